// Display helpers. Values from the API are exact decimal strings: they are shown as given,
// at most rounded to a few decimals for display (on the digits, not through floating point), and
// written the same in both languages (docs/server.md, "Languages"). Words, times and dates are in
// the page's language (t() and locale() of i18n.js).
import { locale, t } from './i18n.js';

export const DASH = '—';

// "12345.67891" -> "12345.679"; "7" -> "7"; null -> "—". Rounds half away from zero on the
// decimal digits themselves, so no binary floating point is involved.
export function dec(value, places = 3) {
  if (value === null || value === undefined || value === '') return DASH;
  const s = String(value).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const [, sign, intPart0, frac0 = ''] = m;
  if (frac0.length <= places) return s;
  const digits = (intPart0 || '0') + frac0.slice(0, places);
  let out = digits.split('');
  if (frac0.charCodeAt(places) >= 53 /* '5' */) {
    let i = out.length - 1;
    while (i >= 0) {
      if (out[i] === '9') {
        out[i] = '0';
        i -= 1;
      } else {
        out[i] = String.fromCharCode(out[i].charCodeAt(0) + 1);
        break;
      }
    }
    if (i < 0) out.unshift('1');
  }
  const intLen = out.length - places;
  const intPart = out.slice(0, intLen).join('').replace(/^0+(?=\d)/, '');
  const frac = out.slice(intLen).join('');
  const body = places > 0 ? `${intPart}.${frac}` : intPart;
  const isZero = /^[0.]*$/.test(body);
  return (sign === '-' && !isZero ? '-' : '') + body;
}

// Whether dec() shortened the value (then the full value goes into a tooltip).
export function isRounded(value, places = 3) {
  return value !== null && value !== undefined && dec(value, places) !== String(value).trim();
}

// A catalogue key's text, or `value` itself when the catalogue has no such word (a state or a
// name the server added later): word('severity', 'critical') reads "severity.critical".
export function word(group, value) {
  const key = `${group}.${value}`;
  const text = t(key);
  return text === key ? String(value ?? '') : text;
}

// The text of "KEY.one" for n === 1, else of "KEY.other"; {n} is n.
export function plural(key, n, vars = {}) {
  return t(`${key}.${n === 1 ? 'one' : 'other'}`, { n, ...vars });
}

// The estimate of how long the paid energy lasts (docs/api.md: days_left, beyond_horizon):
// "12 d", "3 d 4 h" under 7 days, "closed" when nothing is left, "> 400 d" beyond the horizon,
// "—" without an estimate. days_left is an exact decimal string ("3.17").
export function daysLeft(m) {
  if (!m) return DASH;
  if (m.beyond_horizon) return t('time.beyond');
  const d = Number(m.days_left);
  if (m.days_left === null || m.days_left === undefined || !Number.isFinite(d)) return DASH;
  if (d <= 0) return t('time.closed');
  const days = Math.floor(d);
  if (days >= 7) return t('time.d', { d: days });
  const hours = Math.floor((d - days) * 24);
  return days === 0 ? t('time.h', { h: hours }) : t('time.dh', { d: days, h: hours });
}

// What the estimate was made from, for a tooltip (docs/server.md, "Estimates").
export function estimateMethod(method) {
  return t(method === 'seasonal' || method === 'recent' ? `estimate.${method}` : 'estimate.none');
}

// Seconds since a unix time, as "2 min ago".
export function ago(time, now) {
  if (!time) return t('ago.never');
  const s = Math.max(0, Math.round(now - time));
  if (s < 60) return t('ago.s', { n: s });
  if (s < 3600) return t('ago.min', { n: Math.floor(s / 60) });
  if (s < 86400 * 2) return t('ago.h', { n: Math.floor(s / 3600) });
  return t('ago.d', { n: Math.floor(s / 86400) });
}

const pad = (n) => String(n).padStart(2, '0');

// A unix time in the browser's local time: "2026-11-30 14:05" (in both languages: it sorts and
// reads the same everywhere).
export function dateTime(time, withSeconds = false) {
  if (time === null || time === undefined || time === 0) return DASH;
  const d = new Date(time * 1000);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base;
}

// A unix time with the month's name, in the page's language: "30 Nov 2026, 14:05" or
// "30. nov. 2026 14.05".
export function longDateTime(time) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(time * 1000));
}

// A span of seconds, roughly: "3 d 4 h", "5 h 10 min", "12 min".
export function span(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86400 * 2) {
    const d = Math.floor(s / 86400);
    const h = Math.floor((s - d * 86400) / 3600);
    return h ? t('time.dh', { d, h }) : t('time.d', { d });
  }
  if (s >= 3600) {
    const h = Math.floor(s / 3600);
    const min = Math.floor((s - h * 3600) / 60);
    return min ? t('time.hmin', { h, min }) : t('time.h', { h });
  }
  return t('time.min', { min: Math.max(1, Math.round(s / 60)) });
}

// Small DOM builder: el('td', {class: 'num', title: 'x'}, 'text', childNode). Text is always
// set as text, never parsed as HTML.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, val] of Object.entries(attrs)) {
      if (val === null || val === undefined || val === false) continue;
      if (key === 'class') node.className = val;
      else if (key === 'dataset') Object.assign(node.dataset, val);
      else node.setAttribute(key, val === true ? '' : String(val));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// A page's own <section class="view"> in #app, made the first time it is asked for (hidden).
export function viewSection(id) {
  const found = document.getElementById(id);
  if (found) return found;
  const made = el('section', { id, class: 'view', hidden: true });
  document.getElementById('app').append(made);
  return made;
}

// A number cell/span that shows dec(value) and the exact value as a tooltip when rounded.
export function decNode(tag, value, attrs = {}, places = 3) {
  const title = isRounded(value, places) ? String(value) : null;
  return el(tag, { ...attrs, title }, dec(value, places));
}

// Puts text (and a tooltip with the exact value when rounded) into the element with this id.
export function setDec(id, value, places = 3) {
  const node = document.getElementById(id);
  if (!node) return;
  node.textContent = dec(value, places);
  if (isRounded(value, places)) node.title = String(value);
  else node.removeAttribute('title');
}

export function setText(id, text) {
  const node = document.getElementById(id);
  if (node) node.textContent = text;
}

export function ledgerUnit(kind) {
  return kind === 'water' ? 'm³' : 'kWh';
}
