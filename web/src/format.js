// Display helpers. Values from the API are exact decimal strings: they are shown as given,
// at most rounded to a few decimals for display (on the digits, not through floating point).

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

// Hours (a JSON number) as "N d M h".
export function duration(hours) {
  if (hours === null || hours === undefined || Number.isNaN(Number(hours))) return DASH;
  const h = Number(hours);
  if (!Number.isFinite(h)) return '∞';
  if (h < 0) return 'overdue';
  const days = Math.floor(h / 24);
  const rest = Math.floor(h - days * 24);
  return `${days} d ${rest} h`;
}

// The estimate of how long the paid energy lasts (docs/api.md: days_left, beyond_horizon):
// "12 d", "3 d 4 h" under 7 days, "closed" when nothing is left, "> 400 d" beyond the horizon,
// "—" without an estimate. days_left is an exact decimal string ("3.17").
export function daysLeft(m) {
  if (!m) return DASH;
  if (m.beyond_horizon) return '> 400 d';
  const d = Number(m.days_left);
  if (m.days_left === null || m.days_left === undefined || !Number.isFinite(d)) return DASH;
  if (d <= 0) return 'closed';
  const days = Math.floor(d);
  if (days >= 7) return `${days} d`;
  const hours = Math.floor((d - days) * 24);
  return days === 0 ? `${hours} h` : `${days} d ${hours} h`;
}

// What the estimate was made from, for a tooltip (docs/server.md, "Estimates").
export function estimateMethod(method) {
  switch (method) {
    case 'seasonal': return 'Estimated from the same days of earlier years (seasonal)';
    case 'recent': return 'Estimated from the use of the last 7 days (recent)';
    default: return 'Not enough history for an estimate';
  }
}

// Seconds since a unix time, as "2 min ago".
export function ago(time, now) {
  if (!time) return 'never';
  const s = Math.max(0, Math.round(now - time));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const pad = (n) => String(n).padStart(2, '0');

// A unix time in the browser's local time: "2026-11-30 14:05".
export function dateTime(time, withSeconds = false) {
  if (time === null || time === undefined || time === 0) return DASH;
  const d = new Date(time * 1000);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base;
}

// A span of seconds, roughly: "3 d 4 h", "5 h 10 min", "12 min".
export function span(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86400 * 2) {
    const d = Math.floor(s / 86400);
    const h = Math.floor((s - d * 86400) / 3600);
    return h ? `${d} d ${h} h` : `${d} d`;
  }
  if (s >= 3600) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s - h * 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  return `${Math.max(1, Math.round(s / 60))} min`;
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
