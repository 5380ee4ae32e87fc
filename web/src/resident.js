// The residents' page (resident.html; docs/residents.md): a resident logs in with a code sent to
// their e-mail address or phone (typed, or through the link in the same message), or with a
// password of their own, then sees each of their meters: the credit left in kWh (m3 for
// water) and money, the days left with the date the heat closes and how that was estimated, the
// valve, their use compared with last year and the typical home of their group, their payments,
// and how to pay (text and QR code); their notices and password; and their own data to download. Phone first; every text from the residents' table (i18n_resident.js);
// values are the API's exact decimals, only rounded for display (format.js).
import { ApiError, get, post, setCsrf, onUnauthorized } from './api.js';
import { applyTo, chooseLanguage, language, locale, setLanguage, t, useCatalogue } from './i18n.js';
import { keepTyped } from './typed.js';
import { CATALOGUE } from './i18n_resident.js';
import { dec, el } from './format.js';

const $ = (id) => document.getElementById(id);
const PERIODS = ['day', 'week', 'month', 'year'];
const COUNTS = { day: 14, week: 12, month: 12, year: 5 };

let resident = null; // GET /api/resident/session
let meters = []; // GET /api/resident/meters
let address = '';
const chosenPeriod = {}; // serial -> period shown

function showBanner(text) {
  const b = $('banner');
  b.textContent = text || '';
  b.hidden = !text;
}

function date(time, withTime = false) {
  if (!time) return '—';
  const options = withTime
    ? { dateStyle: 'medium', timeStyle: 'short' }
    : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(locale(), options).format(new Date(time * 1000));
}

// A bucket's label: "3 Dec", "week 49", "December 2026", "2026".
function bucketLabel(period, start) {
  const d = new Date(start * 1000);
  if (period === 'year') return String(d.getUTCFullYear());
  if (period === 'month') {
    return new Intl.DateTimeFormat(locale(), { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
  }
  const day = new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
  return period === 'week' ? `${day} –` : day;
}

function unitOf(m) {
  return m.kind === 'water' ? 'm³' : 'kWh';
}

// ---- logging in ----

function showLogin() {
  resident = null;
  setCsrf(null);
  $('meters').hidden = true;
  $('meters').replaceChildren();
  $('logout').hidden = true;
  $('login').hidden = false;
  $('address-form').hidden = false;
  $('code-form').hidden = true;
  $('password-form').hidden = true;
  $('address').focus();
}

function showPasswordLogin() {
  $('login-message').textContent = '';
  $('pw-address').value = $('address').value.trim();
  $('address-form').hidden = true;
  $('password-form').hidden = false;
  ($('pw-address').value ? $('password') : $('pw-address')).focus();
}

// What to say of a failed login; `wrongKey`: the catalogue's words for a refused code or password.
function loginError(err, wrongKey = 'login.wrong') {
  if (err instanceof ApiError && err.status === 429) {
    return t('login.wait', { seconds: err.retryAfter || '60' });
  }
  if (err instanceof ApiError && err.status === 401) return t(wrongKey);
  if (err instanceof ApiError && err.status === 0) return t('error.network');
  return err.message;
}

async function askForCode(event) {
  event.preventDefault();
  address = $('address').value.trim();
  $('login-message').textContent = '';
  if (!address) {
    $('address').focus();
    return;
  }
  $('send-code').disabled = true;
  try {
    await post('api/resident/code', { address });
    $('address-form').hidden = true;
    $('code-form').hidden = false;
    $('code').value = '';
    $('code').focus();
  } catch (err) {
    $('login-message').textContent = loginError(err);
  } finally {
    $('send-code').disabled = false;
  }
}

async function logIn(event) {
  event.preventDefault();
  $('login-message').textContent = '';
  $('log-in').disabled = true;
  try {
    const session = await post('api/resident/login', { address, code: $('code').value }, { expect401: true });
    await start(session);
  } catch (err) {
    $('login-message').textContent = loginError(err);
    $('code').focus();
  } finally {
    $('log-in').disabled = false;
  }
}

async function logInWithPassword(event) {
  event.preventDefault();
  $('login-message').textContent = '';
  $('password-log-in').disabled = true;
  try {
    const session = await post('api/resident/login',
      { address: $('pw-address').value.trim(), password: $('password').value }, { expect401: true });
    $('password').value = '';
    await start(session);
  } catch (err) {
    $('login-message').textContent = loginError(err, 'login.password.wrong');
    $('password').focus();
  } finally {
    $('password-log-in').disabled = false;
  }
}

// The login link of a code's message: resident.html#login=CODE&address=ADDRESS. The fragment
// never reaches a server; it is dropped from the address bar and the history before use.
async function logInWithLink() {
  const fields = new URLSearchParams(location.hash.slice(1));
  const code = fields.get('login');
  if (!code) return false;
  history.replaceState(null, '', location.pathname + location.search);
  address = fields.get('address') || '';
  try {
    await start(await post('api/resident/login', { address, code }, { expect401: true }));
  } catch (err) {
    showLogin();
    $('address').value = address;
    $('login-message').textContent = loginError(err, 'login.link.wrong');
  }
  return true;
}

async function logOut() {
  try {
    await post('api/resident/logout', {});
  } catch {
    // the session is gone either way
  }
  showLogin();
}

// ---- the meters ----

async function start(session) {
  resident = session;
  setCsrf(session.csrf);
  setLanguage(chooseLanguage(resident.language));
  applyTo();
  $('login').hidden = true;
  $('logout').hidden = false;
  const answer = await get('api/resident/meters');
  meters = answer.meters || [];
  render();
}

function render() {
  const box = $('meters');
  box.hidden = false;
  if (meters.length === 0) {
    box.replaceChildren(el('p', { class: 'card' }, t('meters.none')));
    return;
  }
  // The resident's own data to take away (docs/residents.md, "Your data").
  const link = (file, key) => el('a', { href: `api/resident/${file}`, download: `meterlogger-${file}` }, t(key));
  const data = el('section', { class: 'card', id: 'your-data', 'aria-labelledby': 'data-heading' },
    el('h2', { id: 'data-heading' }, t('data.heading')),
    el('p', null, t('data.text'), ' ', link('export.json', 'data.json'), ' · ',
      link('readings.csv', 'data.readings'), ' · ', link('payments.csv', 'data.payments')));
  box.replaceChildren(...meters.map(meterCard), preferencesCard(), passwordCard(), data);
  for (const m of meters) {
    loadUse(m);
    loadPayments(m);
  }
}

function row(label, ...value) {
  return el('div', null, el('dt', null, label), el('dd', null, ...value));
}

function valveText(m) {
  if (!m.valve_installed) return t('valve.none');
  if (m.valve === 'open') return t('valve.open');
  if (m.valve === 'close') return t('valve.closed');
  return t('valve.unknown');
}

function daysText(m) {
  if (m.beyond_horizon) return t('credit.beyond');
  if (m.days_left === null || m.days_left === undefined) return t('credit.none');
  if (Number(m.days_left) <= 0) return t('credit.closed');
  return dec(m.days_left, Number(m.days_left) >= 7 ? 0 : 1);
}

function meterCard(m) {
  const unit = unitOf(m);
  const credit = el('dl', { class: 'values resident-values' });
  if (m.valve_installed) {
    credit.append(
      row(t('credit.left'), el('strong', { class: 'credit', id: `credit-${m.serial}` }, dec(m.remaining, 1)), ' ', el('span', { class: 'unit' }, unit)),
    );
    if (m.remaining_money !== null && m.remaining_money !== undefined) {
      credit.append(
        row(t('credit.money'), el('span', { id: `money-${m.serial}` }, dec(m.remaining_money, 2)), ' kr ',
          el('span', { class: 'muted' }, t('credit.price', { price: m.price, unit }))),
      );
    }
    credit.append(row(t('credit.days'), el('span', { id: `days-${m.serial}` }, daysText(m))));
    if (m.closes_at) credit.append(row(t('credit.closes'), date(m.closes_at)));
  }
  credit.append(
    row(t('valve.heading'), el('span', { id: `valve-${m.serial}`, class: m.valve === 'close' ? 'state-bad' : (m.valve === 'open' ? 'state-ok' : '') }, valveText(m))),
    row(t('seen.heading'), m.last_seen ? date(m.last_seen, true) : t('seen.never')),
  );
  const method = m.valve_installed
    ? el('p', { class: 'muted small-print' }, t(`method.${m.method === 'seasonal' || m.method === 'recent' ? m.method : 'none'}`))
    : null;

  const periodButtons = el('div', { class: 'range-buttons', role: 'group', 'aria-label': t('use.period') },
    ...PERIODS.map((p) => {
      const b = el('button', { type: 'button', 'aria-pressed': String(p === (chosenPeriod[m.serial] || 'month')), dataset: { period: p } }, t(`use.${p}`));
      b.addEventListener('click', () => {
        chosenPeriod[m.serial] = p;
        for (const other of periodButtons.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === b));
        loadUse(m);
      });
      return b;
    }));

  const pay = el('section', { class: 'resident-pay', 'aria-labelledby': `pay-h-${m.serial}` },
    el('h3', { id: `pay-h-${m.serial}` }, t('pay.heading')));
  if (m.payment) {
    pay.append(el('p', { id: `pay-text-${m.serial}` }, m.payment));
    if (m.payment_qr_svg) {
      const img = el('img', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(m.payment_qr_svg)}`, alt: `${t('pay.qr')}: ${m.payment}`, class: 'qr', width: 160, height: 160 });
      pay.append(el('figure', null, img, el('figcaption', { class: 'muted' }, t('pay.qr'))));
    }
  } else {
    pay.append(el('p', { class: 'muted' }, t('pay.none')));
  }

  return el('article', { class: 'card resident-meter', id: `meter-${m.serial}`, 'aria-labelledby': `h-${m.serial}` },
    el('h2', { id: `h-${m.serial}` }, t('meter.heading', { name: m.name || m.serial, serial: m.serial })),
    el('section', { 'aria-label': t('credit.heading') }, credit, method),
    el('section', { class: 'resident-use', 'aria-labelledby': `use-h-${m.serial}` },
      el('h3', { id: `use-h-${m.serial}` }, t('use.heading')),
      periodButtons,
      // A region of its own that takes the focus: on a narrow screen it may scroll sideways,
      // and the keyboard can then scroll it too.
      el('div', { id: `use-${m.serial}`, class: 'table-scroll', role: 'region', tabindex: 0, 'aria-labelledby': `use-h-${m.serial}` }),
      el('p', { class: 'muted small-print' }, t('use.median.note'))),
    el('section', { 'aria-labelledby': `pay-list-h-${m.serial}` },
      el('h3', { id: `pay-list-h-${m.serial}` }, t('payments.heading')),
      el('div', { id: `payments-${m.serial}`, class: 'table-scroll' })),
    pay);
}

// The resident's own choices (POST api/resident/preferences): which notices, how, the language.
function preferencesCard() {
  const choice = (id, label, options, value) => {
    const select = el('select', { id },
      ...options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
    return [el('label', { for: id }, label), select];
  };
  const [noticesLabel, notices] = choice('pref-notices', t('prefs.notices'),
    ['all', 'essential', 'none'].map((v) => [v, t(`prefs.notices.${v}`)]), resident.notices || 'all');
  const channels = [['', t('prefs.channel.auto')]];
  if (resident.email) channels.push(['email', t('prefs.channel.email', { address: resident.email })]);
  if (resident.phone) channels.push(['sms', t('prefs.channel.sms', { address: resident.phone })]);
  const [channelLabel, channel] = choice('pref-channel', t('prefs.channel'), channels, resident.notice_channel || '');
  const lowChoices = [[0, t('prefs.low.default')], ...[3, 7, 14, 30].map((d) => [d, t('prefs.low.days', { days: d })])];
  if (resident.low_days && !lowChoices.some(([d]) => d === resident.low_days)) lowChoices.push([resident.low_days, t('prefs.low.days', { days: resident.low_days })]);
  const [lowLabel, low] = choice('pref-low', t('prefs.low'), lowChoices.map(([d, text]) => [String(d), text]), String(resident.low_days || 0));
  const [languageLabel, lang] = choice('pref-language', t('prefs.language'),
    [['', t('prefs.language.browser')], ['da', 'Dansk'], ['en', 'English']], resident.language || '');
  const msg = el('p', { id: 'pref-message', class: 'message', role: 'status' });
  const form = el('form', { id: 'preferences', class: 'resident-prefs', novalidate: true },
    noticesLabel, notices, channelLabel, channel, lowLabel, low, languageLabel, lang,
    el('button', { type: 'submit', class: 'primary' }, t('prefs.save')), msg);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const changed = await post('api/resident/preferences', { notices: notices.value, notice_channel: channel.value, low_days: Number(low.value), language: lang.value });
      resident = { ...resident, ...changed };
      msg.className = 'message ok';
      msg.textContent = t('prefs.saved');
      if (lang.value && lang.value !== language()) {
        setLanguage(lang.value, true);
        applyTo();
        render();
      }
    } catch (err) {
      msg.className = 'message error';
      msg.textContent = err.message;
    }
  });
  return el('section', { class: 'card', id: 'prefs-card', 'aria-labelledby': 'prefs-heading' },
    el('h2', { id: 'prefs-heading' }, t('prefs.heading')), form);
}

// Logging in with a password of their own besides the codes: set, changed or removed. A new
// password ends every other session (the server answers with a new one for this browser).
function passwordCard() {
  const msg = el('p', { id: 'password-message', class: 'message', role: 'status' });
  const field = el('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 1024 });
  const save = async (password, doneKey) => {
    msg.className = 'message';
    msg.textContent = '';
    if (password !== '' && password.length < 8) {
      msg.className = 'message error';
      msg.textContent = t('password.short');
      field.focus();
      return;
    }
    try {
      const session = await post('api/resident/password', { password });
      resident = { ...resident, ...session };
      setCsrf(session.csrf);
      render();
      const shown = $('password-message');
      shown.className = 'message ok';
      shown.textContent = t(doneKey);
    } catch (err) {
      msg.className = 'message error';
      msg.textContent = err.message;
    }
  };
  let remove = null;
  if (resident.password) {
    remove = el('button', { type: 'button', id: 'remove-password' }, t('password.remove'));
    remove.addEventListener('click', () => save('', 'password.removed'));
  }
  const form = el('form', { id: 'password-change', class: 'resident-prefs', novalidate: true },
    el('label', { for: 'new-password' }, t('password.new')), field,
    el('div', { class: 'button-row' },
      el('button', { type: 'submit', class: 'primary' }, t('password.save')), remove),
    msg);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(field.value, 'password.saved');
  });
  return el('section', { class: 'card', id: 'password-card', 'aria-labelledby': 'password-heading' },
    el('h2', { id: 'password-heading' }, t('password.heading')),
    el('p', {}, t(resident.password ? 'password.set' : 'password.none')), form);
}

async function loadUse(m) {
  const period = chosenPeriod[m.serial] || 'month';
  const box = $(`use-${m.serial}`);
  if (!box) return;
  try {
    const answer = await get(`api/resident/meters/${encodeURIComponent(m.serial)}/consumption?period=${period}&count=${COUNTS[period]}`);
    const buckets = (answer.buckets || []).slice().reverse(); // newest first
    if (!buckets.some((b) => b.use !== null)) {
      box.replaceChildren(el('p', { class: 'muted' }, t('use.none')));
      return;
    }
    const unit = answer.unit === 'm3' ? 'm³' : answer.unit;
    // Last year in this year's weather: a column when the cooperative corrects for it
    // (docs/residents.md, "Weather").
    const weather = answer.weather_correction === true;
    const max = Math.max(...buckets.flatMap((b) => [b.use, b.last_year, b.group_median, b.last_year_corrected]
      .filter((v) => v !== null && v !== undefined).map(Number)), 0);
    const bar = (value, cls) => (value === null || max <= 0 ? null
      : el('span', { class: `bar ${cls}`, style: `width:${Math.round((Number(value) / max) * 100)}%`, 'aria-hidden': 'true' }));
    // The unit once, in the headers: five columns fit a phone's width.
    const cell = (value, cls) => el('td', { class: 'num' }, value === null || value === undefined ? '—' : dec(value, 1), bar(value, cls));
    const head = (key) => el('th', { scope: 'col', class: 'num' }, t(key), ' ', el('span', { class: 'unit' }, unit));
    const table = el('table', { class: 'data use-table', id: `use-table-${m.serial}` },
      el('thead', null, el('tr', null,
        el('th', { scope: 'col' }, t('use.col.period')),
        head('use.col.use'), head('use.col.last_year'),
        weather ? head('use.col.weather') : null,
        head('use.col.median'))),
      el('tbody', null, ...buckets.map((b) => el('tr', null,
        el('th', { scope: 'row' }, bucketLabel(period, b.start)),
        cell(b.use, 'bar-use'), cell(b.last_year, 'bar-last'),
        weather ? cell(b.last_year_corrected, 'bar-last') : null,
        cell(b.group_median, 'bar-median')))));
    box.replaceChildren(table);
    if (weather) box.append(el('p', { class: 'muted', id: `weather-note-${m.serial}` }, t('use.weather.note')));
  } catch (err) {
    box.replaceChildren(el('p', { class: 'message error' }, err.message));
  }
}

async function loadPayments(m) {
  const box = $(`payments-${m.serial}`);
  try {
    const answer = await get(`api/resident/meters/${encodeURIComponent(m.serial)}/payments`);
    const list = (answer.payments || []).slice().reverse();
    if (list.length === 0) {
      box.replaceChildren(el('p', { class: 'muted' }, t('payments.none')));
      return;
    }
    const unit = unitOf(m);
    box.replaceChildren(el('table', { class: 'data', id: `payments-table-${m.serial}` },
      el('thead', null, el('tr', null,
        el('th', { scope: 'col' }, t('payments.col.time')),
        el('th', { scope: 'col', class: 'num' }, t('payments.col.amount')),
        el('th', { scope: 'col', class: 'num' }, t('payments.col.price')),
        el('th', { scope: 'col', class: 'num' }, t('payments.col.credited')))),
      el('tbody', null, ...list.map((p) => el('tr', { class: p.state === 'void' ? 'voided' : null },
        el('td', null, date(p.time), p.state === 'void' ? ` (${t('payments.voided')})` : ''),
        el('td', { class: 'num' }, `${dec(p.amount, 2)} kr`),
        el('td', { class: 'num' }, `${p.price} kr/${unit}`),
        el('td', { class: 'num' }, `${dec(p.kwh, 1)} ${unit}`))))));
  } catch (err) {
    box.replaceChildren(el('p', { class: 'message error' }, err.message));
  }
}

// ---- start ----

// The page drawn again in the new language, with what was typed into it (typed.js).
function switchLanguage() {
  const restoreTyped = keepTyped($('main'));
  setLanguage(language() === 'da' ? 'en' : 'da', true);
  applyTo();
  if (resident) {
    render();
    restoreTyped();
  }
}

async function main() {
  useCatalogue(CATALOGUE);
  setLanguage(chooseLanguage(null));
  applyTo();
  onUnauthorized(showLogin);
  $('address-form').addEventListener('submit', askForCode);
  $('code-form').addEventListener('submit', logIn);
  $('other-address').addEventListener('click', showLogin);
  $('use-password').addEventListener('click', showPasswordLogin);
  $('use-code').addEventListener('click', showLogin);
  $('password-form').addEventListener('submit', logInWithPassword);
  $('logout').addEventListener('click', logOut);
  $('language').addEventListener('click', switchLanguage);
  // A link opened in a tab that shows the page already only changes the fragment.
  window.addEventListener('hashchange', logInWithLink);
  if (await logInWithLink()) return;
  try {
    const session = await get('api/resident/session', { expect401: true });
    await start(session);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin();
    else showBanner(err.status === 0 ? t('error.network') : err.message);
  }
}

main();
