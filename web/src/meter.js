// #/meter/SERIAL : a meter's latest values, prepaid state, charts over a zoomable range,
// payments (admins add them after a preview), valve control, commands (admins send any of the
// server's list, GET /api/commands), alarms (alarm_parts.js) and events.
import * as api from './api.js';
import { showBanner } from './banner.js';
import { createCharts } from './charts.js';
import { changeNote, paymentActions, renderMeterAdmin } from './admin.js';
import { renderResidents } from './residents_admin.js';
import { meterAlarms } from './alarm_parts.js';
import { t } from './i18n.js';
import {
  DASH, ago, dateTime, daysLeft, dec, decNode, el, estimateMethod, ledgerUnit, plural, setDec,
  setText, span, word,
} from './format.js';

const $ = (id) => document.getElementById(id);

const DAY = 86400;
const PRESETS = { '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '1y': 365 * DAY, all: null };
const DEFAULT_PRESET = '7d';
const MIN_SPAN = 600; // never zoom in closer than 10 minutes
const SERIES_DEBOUNCE_MS = 150;
const FAST_REFRESH_MS = 30000; // latest values, commands
const SLOW_REFRESH_MS = 60000; // payments, events, a live range's series
const PENDING = new Set(['queued', 'sent']);

let st = null; // the mounted page's state; replaced on every mount
let wired = false;

const nowSec = () => Math.floor(Date.now() / 1000);
const isVoid = (p) => p.state === 'void' || p.paid_after === null || p.paid_after === undefined;

function presetView(preset) {
  const to = nowSec();
  return { from: preset === 'all' ? 0 : to - PRESETS[preset], to, preset };
}

function viewFromParams(params) {
  const preset = params.get('range');
  if (preset && Object.prototype.hasOwnProperty.call(PRESETS, preset)) return presetView(preset);
  const from = Number(params.get('from'));
  const to = Number(params.get('to'));
  if (params.has('from') && params.has('to') && Number.isFinite(from) && Number.isFinite(to)
      && from >= 0 && to - from >= MIN_SPAN / 2) {
    return { from: Math.floor(from), to: Math.ceil(to), preset: null };
  }
  return presetView(DEFAULT_PRESET);
}

// ---------------------------------------------------------------------------------------------
// Mounting

export function mount({ serial, params }) {
  wire();
  st = {
    serial,
    meter: null,
    payments: null,
    series: null,
    loaded: null, // the range the charts' data was loaded for
    view: viewFromParams(params),
    explicitRange: params.has('range') || params.has('from'),
    charts: null,
    timers: [],
    debounce: 0,
    seriesCtrl: null,
    controllers: new Set(),
  };
  const page = $('meter-page');
  page.dataset.serial = serial;
  page.hidden = false;
  document.title = `${serial} · MeterLogger`;
  resetPage(serial);
  mountAlarms(st);
  updateRangeUi();
  start(st);
}

export function unmount() {
  const s = st;
  st = null;
  $('meter-page').hidden = true;
  if (!s) return;
  for (const t of s.timers) clearInterval(t);
  clearTimeout(s.debounce);
  if (s.seriesCtrl) s.seriesCtrl.abort();
  for (const c of s.controllers) c.abort();
  if (s.charts) s.charts.destroy();
}

async function start(s) {
  const ok = await loadMeter(s);
  if (!ok || s !== st) return;
  // A meter that sent nothing lately opens on the week before its newest sample, not on an
  // empty week (unless the address asks for a range).
  const newest = s.meter.latest && s.meter.latest.time;
  if (!s.explicitRange && newest && newest < s.view.from) {
    s.view = { from: newest - PRESETS[DEFAULT_PRESET] + 3600, to: newest + 3600, preset: null };
    updateRangeUi();
  }
  s.charts = createCharts({
    energyEl: $('chart-energy'),
    tempsEl: $('chart-temps'),
    unit: ledgerUnit(s.meter.kind),
    syncKey: `meter-${s.serial}`,
    range: s.view.preset === 'all' && s.view.from === 0 ? { from: s.view.to - DAY, to: s.view.to } : s.view,
    onRange: (from, to) => userRange(from, to),
    onZoomOut: () => zoomOut(),
  });
  fetchSeries();
  loadPayments(s);
  loadCommands(s);
  loadEvents(s);
  loadGaps(s);
  s.timers.push(setInterval(() => {
    if (document.hidden) return;
    loadMeter(s);
    loadCommands(s);
  }, FAST_REFRESH_MS));
  s.timers.push(setInterval(() => {
    if (document.hidden) return;
    loadPayments(s);
    loadEvents(s);
    loadGaps(s);
    if (s.view.preset) setView(presetView(s.view.preset));
  }, SLOW_REFRESH_MS));
}

// A GET for this page that is abandoned when the page goes away. Returns undefined when the
// answer no longer matters (aborted, page left, 401 already handled). A failure shows in the
// banner as the catalogue's `failed` (with {error}), when given.
async function fetchFor(s, path, failed) {
  const ctrl = new AbortController();
  s.controllers.add(ctrl);
  try {
    const data = await api.get(path, { signal: ctrl.signal });
    return s === st ? data : undefined;
  } catch (err) {
    if (api.isAbort(err) || err.status === 401 || s !== st) return undefined;
    if (failed) showBanner(t(failed, { error: err.message }));
    throw err;
  } finally {
    s.controllers.delete(ctrl);
  }
}

function resetPage(serial) {
  delete $('meter-page').dataset.loaded;
  $('meter-title').replaceChildren(el('span', { class: 'serial' }, serial));
  $('meter-badges').replaceChildren();
  $('meter-error').hidden = true;
  $('meter-body').hidden = false;
  for (const node of $('latest').querySelectorAll('dd > span[id]')) {
    node.textContent = DASH;
    node.removeAttribute('title');
    node.className = '';
  }
  for (const node of $('remaining').querySelectorAll('dd > span[id]')) node.textContent = DASH;
  $('diagnostics').replaceChildren();
  $('diagnostics-box').hidden = true;
  $('rejected').replaceChildren();
  $('rejected-box').hidden = true;
  $('resolution').textContent = DASH;
  $('range-summary').textContent = DASH;
  $('series-status').textContent = '';
  const energyEl = $('chart-energy');
  energyEl.replaceChildren();
  energyEl.removeAttribute('data-from');
  energyEl.removeAttribute('data-to');
  energyEl.removeAttribute('data-resolution');
  $('chart-temps').replaceChildren();
  $('payments').tBodies[0].replaceChildren();
  $('commands').tBodies[0].replaceChildren();
  $('events').replaceChildren();
  $('gaps').tBodies[0].replaceChildren();
  $('gaps-info').textContent = '';
  $('gaps-empty').hidden = true;
  $('payments-empty').hidden = true;
  $('commands-empty').hidden = true;
  $('events-empty').hidden = true;
  $('valve-slot').replaceChildren();
  $('payment-slot').replaceChildren();
  $('command-slot').replaceChildren();
  $('meter-admin-slot').replaceChildren();
  $('meter-residents-slot').replaceChildren();
  delete $('meter-residents-slot').dataset.serial;
}

// ---------------------------------------------------------------------------------------------
// The meter: title, latest values, prepaid state, admin controls

async function loadMeter(s) {
  try {
    const m = await fetchFor(s, api.meterPath(s.serial), null);
    if (!m) return false;
    s.meter = m;
    renderMeter(s);
    $('meter-page').dataset.loaded = 'true'; // the meter's values and controls are shown
    showBanner(null);
    return true;
  } catch (err) {
    if (s.meter === null) {
      $('meter-body').hidden = true;
      const msg = $('meter-error');
      msg.hidden = false;
      msg.textContent = err.status === 404 ? t('meter.missing', { serial: s.serial }) : t('meter.failed', { error: err.message });
    } else {
      showBanner(t('meter.failed.refresh', { error: err.message }));
    }
    return false;
  }
}

function renderMeter(s) {
  const m = s.meter;
  const title = [el('span', { class: 'serial' }, m.serial)];
  if (m.name) title.push(' ', el('span', { class: 'name' }, m.name));
  $('meter-title').replaceChildren(...title);
  document.title = `${m.serial}${m.name ? ` ${m.name}` : ''} · MeterLogger`;

  const badges = [];
  if (m.group) badges.push(el('span', { class: 'badge badge-group' }, m.group));
  if (m.kind && m.kind !== 'heat') badges.push(el('span', { class: 'badge badge-kind' }, word('kind', m.kind)));
  badges.push(m.online
    ? el('span', { class: 'badge badge-online' }, t('badge.online'))
    : el('span', { class: 'badge badge-offline' }, t('badge.offline')));
  if (m.valve === 'close') badges.push(el('span', { class: 'badge badge-closed' }, t('badge.closed')));
  $('meter-badges').replaceChildren(...badges);

  const l = m.latest || {};
  for (const [id, field] of [['energy', 'energy_kwh'], ['volume', 'volume_m3'], ['hours', 'hours'],
    ['power', 'power_kw'], ['t1', 't1'], ['t2', 't2'], ['tdif', 'tdif'], ['flow', 'flow']]) {
    setDec(`latest-${id}`, l[field]);
  }
  const seen = $('latest-last-seen');
  seen.textContent = ago(m.last_seen, nowSec());
  seen.title = m.last_seen ? dateTime(m.last_seen, true) : '';
  const online = $('latest-online');
  online.textContent = t(m.online ? 'badge.online' : 'badge.offline');
  online.className = m.online ? 'state-ok' : 'state-bad';
  const valve = $('latest-valve');
  valve.textContent = m.valve ? word('valve', m.valve) : t(m.valve_installed ? 'valve.unknown' : 'valve.none');
  valve.className = m.valve === 'close' ? 'state-bad' : (m.valve === 'open' ? 'state-ok' : '');
  setText('latest-version', m.version || DASH);

  const unit = ledgerUnit(m.kind);
  for (const node of document.querySelectorAll('#meter-page .ledger-unit')) node.textContent = unit;
  for (const node of document.querySelectorAll('#meter-page .rate-unit')) node.textContent = `${unit}/h`;
  setDec('remaining-kwh', m.remaining);
  // The estimate from the daily history (docs/api.md: days_left, closes_at, method, rate_kw).
  setText('remaining-time', daysLeft(m));
  $('remaining-time').title = estimateMethod(m.method);
  setText('remaining-closes', m.beyond_horizon ? t('meter.beyond') : dateTime(m.closes_at));
  setText('remaining-method', m.method && m.method !== 'none' ? word('method', m.method) : DASH);
  $('remaining-method').title = estimateMethod(m.method);
  setDec('remaining-rate-kw', m.rate_kw);
  setDec('remaining-open-until', m.open_until);
  setDec('remaining-paid', m.paid);
  setDec('remaining-setup', m.setup_value);
  setDec('remaining-rate', m.rate_per_hour);
  // A meter without a valve is not prepaid: no prepaid card.
  document.querySelector('#meter-page .card.prepaid').hidden = !m.valve_installed;

  renderDiagnostics(m.diagnostics);
  renderRejected(m.rejected);
  renderAdmin(s);
}

// Messages naming this meter that the server rejected: a device with a wrong key shows here,
// each reason with what it most likely means (as the server's log and `meters show` say; the
// catalogue's "rejected.REASON").
function renderRejected(rejected) {
  const entries = rejected && typeof rejected === 'object' ? Object.entries(rejected) : [];
  entries.sort(([a], [b]) => a.localeCompare(b));
  $('rejected').replaceChildren(...entries.map(([reason, r]) => el('div', null,
    el('dt', null, word('rejected', reason)),
    el('dd', null, plural('messages', r.count),
      r.last_time ? el('span', { class: 'muted when' }, `, ${t('meter.rejected.last', { ago: ago(r.last_time, nowSec()) })}`)
        : null))));
  $('rejected-box').hidden = entries.length === 0;
}

function renderDiagnostics(diag) {
  const list = $('diagnostics');
  const entries = diag && typeof diag === 'object' ? Object.entries(diag) : [];
  entries.sort(([a], [b]) => a.localeCompare(b));
  // The device's names and values, as it and the server word them.
  list.replaceChildren(...entries.map(([name, v]) => el('div', null,
    el('dt', { translate: 'no' }, name),
    el('dd', { title: v && v.text ? String(v.value) : null },
      el('span', { translate: 'no' }, v && v.text ? v.text : (v && v.value !== null && v.value !== undefined ? String(v.value) : DASH)),
      v && v.time ? el('span', { class: 'muted when' }, ` ${ago(v.time, nowSec())}`) : null))));
  $('diagnostics-box').hidden = entries.length === 0;
}

function renderAdmin(s) {
  const m = s.meter;
  const valveSlot = $('valve-slot');
  const wantValve = Boolean(m.can_admin && m.valve_installed);
  if (wantValve && !$('valve-open')) {
    valveSlot.replaceChildren($('tpl-valve').content.cloneNode(true));
    $('valve-open').addEventListener('click', () => valveCommand('open'));
    $('valve-close').addEventListener('click', () => valveCommand('close'));
  } else if (!wantValve) {
    valveSlot.replaceChildren();
  }

  const paySlot = $('payment-slot');
  if (m.can_admin && !$('payment-form')) {
    paySlot.replaceChildren($('tpl-payment-form').content.cloneNode(true));
    wirePaymentForm();
  } else if (!m.can_admin) {
    paySlot.replaceChildren();
  }
  const commandSlot = $('command-slot');
  if (m.can_admin && !$('command-form')) {
    commandSlot.replaceChildren($('tpl-command-form').content.cloneNode(true));
    wireCommandForm(s);
  } else if (!m.can_admin) {
    commandSlot.replaceChildren();
  }
  renderResidents($('meter-residents-slot'), m);
  renderMeterAdmin($('meter-admin-slot'), m, {
    onSaved: () => { if (s === st) loadMeter(s); },
    onRemoved: () => { location.hash = '#/meters'; },
  });
  if (m.can_admin) {
    const unit = ledgerUnit(m.kind);
    for (const node of document.querySelectorAll('#payment-form .pay-price-unit')) node.textContent = `kr/${unit}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The range: presets, zoom, pan; the charts' data follows it

function wire() {
  if (wired) return;
  wired = true;
  for (const b of document.querySelectorAll('#meter-page button[data-range]')) {
    b.addEventListener('click', () => {
      if (st) setView(presetView(b.dataset.range));
    });
  }
  $('zoom-out').addEventListener('click', () => zoomOut());
  $('pan-left').addEventListener('click', () => pan(-1));
  $('pan-right').addEventListener('click', () => pan(1));
}

function clampView(from, to) {
  let a = from;
  let b = to;
  if (b - a < MIN_SPAN) {
    const mid = (a + b) / 2;
    a = mid - MIN_SPAN / 2;
    b = mid + MIN_SPAN / 2;
  }
  if (a < 0) {
    b -= a;
    a = 0;
  }
  return { from: Math.floor(a), to: Math.ceil(b) };
}

function setView(view) {
  const s = st;
  if (!s) return;
  s.view = view;
  // "All" from 0 is shown once its data says where it starts.
  if (s.charts && !(view.preset === 'all' && view.from === 0)) s.charts.setRange(view.from, view.to);
  updateRangeUi();
  scheduleSeries();
}

// A zoom or pan done in a chart.
function userRange(from, to) {
  const s = st;
  if (!s) return;
  if (Math.abs(from - s.view.from) < 1 && Math.abs(to - s.view.to) < 1) return;
  setView({ ...clampView(from, to), preset: null });
}

function zoomOut() {
  const s = st;
  if (!s) return;
  const { from, to } = s.view;
  const width = (to - from) * 2;
  const now = nowSec();
  let b = (from + to) / 2 + width / 2;
  if (b > now && to <= now) b = now;
  setView({ ...clampView(b - width, b), preset: null });
}

function pan(dir) {
  const s = st;
  if (!s) return;
  const { from, to } = s.view;
  const width = to - from;
  const now = nowSec();
  let a = from + dir * width / 2;
  if (dir > 0 && a + width > now) a = Math.max(from, now - width);
  setView({ ...clampView(a, a + width), preset: null });
}

function updateRangeUi() {
  const s = st;
  if (!s) return;
  const { from, to, preset } = s.view;
  for (const b of document.querySelectorAll('#meter-page button[data-range]')) {
    const on = b.dataset.range === preset;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  }
  $('range-label').textContent = preset === 'all' && from === 0
    ? t('range.all', { time: dateTime(to) })
    : `${dateTime(from)} – ${dateTime(to)} (${span(to - from)})`;

  const q = `from=${from}&to=${to}`;
  const base = api.meterPath(s.serial);
  $('csv-samples').href = `${base}/samples.csv?${q}`;
  $('csv-samples').setAttribute('download', `${s.serial}-samples-${from}-${to}.csv`);
  $('csv-energy').href = `${base}/energy.csv?${q}`;
  $('csv-energy').setAttribute('download', `${s.serial}-energy-${from}-${to}.csv`);

  // Keep the range in the address, without a hashchange (that would reload the page).
  const hash = `#/meter/${encodeURIComponent(s.serial)}?${preset ? `range=${preset}&` : ''}${q}`;
  if (location.hash !== hash) history.replaceState(history.state, '', hash);
}

function scheduleSeries() {
  const s = st;
  if (!s) return;
  clearTimeout(s.debounce);
  s.debounce = setTimeout(fetchSeries, SERIES_DEBOUNCE_MS);
}

async function fetchSeries() {
  const s = st;
  if (!s || !s.charts) return;
  clearTimeout(s.debounce);
  if (s.seriesCtrl) s.seriesCtrl.abort();
  const ctrl = new AbortController();
  s.seriesCtrl = ctrl;
  const view = { ...s.view };
  const energyEl = $('chart-energy');
  energyEl.classList.add('loading');
  $('chart-temps').classList.add('loading');
  $('series-status').textContent = t('range.loading');
  try {
    const data = await api.get(
      api.meterPath(s.serial, `/series?from=${view.from}&to=${view.to}&resolution=auto`),
      { signal: ctrl.signal },
    );
    if (s !== st || ctrl.signal.aborted) return;
    s.series = data;
    // "All" starts at 0; show it from the first thing there is.
    if (view.preset === 'all' && s.view.preset === 'all' && s.view.from === view.from) {
      const first = firstTime(s);
      if (first !== null && first > view.from) {
        const to = Math.max(view.to, first + MIN_SPAN);
        s.view = { from: first, to, preset: 'all' };
        view.from = first;
        view.to = to;
        updateRangeUi();
      }
    }
    s.loaded = view;
    drawCharts(s);
    $('resolution').textContent = data.resolution ? word('resolution', data.resolution) : DASH;
    energyEl.dataset.from = String(view.from);
    energyEl.dataset.to = String(view.to);
    energyEl.dataset.resolution = data.resolution || '';
    const n = Array.isArray(data.time) ? data.time.length : 0;
    $('series-status').textContent = `· ${plural('range.points', n)}`;
  } catch (err) {
    if (api.isAbort(err) || err.status === 401 || s !== st) return;
    $('series-status').textContent = `· ${t('range.failed', { error: err.message })}`;
  } finally {
    if (s.seriesCtrl === ctrl) {
      s.seriesCtrl = null;
      energyEl.classList.remove('loading');
      $('chart-temps').classList.remove('loading');
    }
  }
}

function firstTime(s) {
  let first = null;
  const t = s.series && Array.isArray(s.series.time) ? s.series.time : [];
  if (t.length) first = t[0];
  for (const p of s.payments || []) {
    if (first === null || p.time < first) first = p.time;
  }
  return first;
}

const toNum = (v) => (v === null || v === undefined || v === '' ? null : Number(v));

// The charts' columns. The energy chart's x axis is the samples' times plus the payments' and
// the range's ends, so the paid step line spans the whole range.
function drawCharts(s) {
  if (!s.charts) return;
  const data = s.series || {};
  const time = Array.isArray(data.time) ? data.time : [];
  const field = s.meter && s.meter.kind === 'water' ? 'volume' : 'energy';
  const reg = Array.isArray(data[field]) ? data[field] : [];
  const setup = toNum(data.setup_value ?? (s.meter && s.meter.setup_value)) || 0;
  const view = s.loaded || s.view;

  const active = (s.payments || []).filter((p) => !isVoid(p)).sort((a, b) => a.time - b.time);
  const byTime = new Map();
  for (let i = 0; i < time.length; i++) {
    const v = reg[i];
    byTime.set(time[i], v === null || v === undefined ? null : v - setup);
  }
  const xs = new Set(time);
  xs.add(view.from);
  xs.add(view.to);
  for (const p of active) if (p.time >= view.from && p.time <= view.to) xs.add(p.time);
  const x = [...xs].sort((a, b) => a - b);

  const since = new Array(x.length);
  const paid = new Array(x.length);
  let pi = 0;
  let paidNow = 0;
  for (let i = 0; i < x.length; i++) {
    while (pi < active.length && active[pi].time <= x[i]) {
      paidNow = toNum(active[pi].paid_after) ?? paidNow;
      pi += 1;
    }
    paid[i] = paidNow;
    since[i] = byTime.has(x[i]) ? byTime.get(x[i]) : null;
  }

  const unit = ledgerUnit(s.meter && s.meter.kind);
  const marks = (s.payments || []).map((p) => ({
    time: p.time,
    void: isVoid(p),
    label: p.kwh !== null && p.kwh !== undefined ? `+${dec(p.kwh, 0)} ${unit}` : '',
  }));

  const col = (name) => (Array.isArray(data[name]) ? data[name] : new Array(time.length).fill(null));
  s.charts.setData(
    [x, since, paid],
    [time, col('t1'), col('t2'), col('tdif'), col('flow'), col('power')],
    marks,
    s.view.from,
    s.view.to,
  );
  renderSummary(s, time, reg);
}

// Consumption and average power over the visible range, from the first and last register
// values inside it.
function renderSummary(s, time, reg) {
  const { from, to } = s.view;
  let i0 = -1;
  let i1 = -1;
  for (let i = 0; i < time.length; i++) {
    if (time[i] < from || time[i] > to || reg[i] === null || reg[i] === undefined) continue;
    if (i0 < 0) i0 = i;
    i1 = i;
  }
  const out = $('range-summary');
  if (i0 < 0 || i1 <= i0) {
    out.textContent = t('range.none');
    return;
  }
  const unit = ledgerUnit(s.meter && s.meter.kind);
  const used = reg[i1] - reg[i0];
  const hours = (time[i1] - time[i0]) / 3600;
  const avg = hours > 0 ? used / hours : null;
  const rateUnit = unit === 'kWh' ? 'kW' : `${unit}/h`;
  out.replaceChildren(
    t('range.used'), ' ',
    el('strong', { id: 'range-used' }, used.toFixed(3)), ` ${unit}, `,
    t('range.average'), ' ',
    el('strong', { id: 'range-average' }, avg === null ? DASH : avg.toFixed(3)), ` ${rateUnit}`,
    el('span', { class: 'muted' }, ` (${dateTime(time[i0])} – ${dateTime(time[i1])}, ${span(time[i1] - time[i0])})`),
  );
}

// ---------------------------------------------------------------------------------------------
// Payments

async function loadPayments(s) {
  let data;
  try {
    data = await fetchFor(s, api.meterPath(s.serial, '/payments'), 'meter.failed.payments');
  } catch {
    return;
  }
  if (!data) return;
  s.payments = Array.isArray(data.payments) ? data.payments : [];
  renderPayments(s);
  if (s.series) drawCharts(s);
}

function renderPayments(s) {
  const unit = ledgerUnit(s.meter && s.meter.kind);
  const rows = [...s.payments].reverse().map((p) => {
    const voided = isVoid(p);
    const state = el('td', { class: 'state' }, word('payment.state', p.state || (voided ? 'void' : 'active')));
    if (p.replaces) { // null or 0: replaces nothing
      state.append(el('span', { class: 'muted' }, ` (${t('payment.replaces', { id: p.replaces })})`));
    }
    state.append(changeNote(p) || '');
    const canAdmin = Boolean(s.meter && s.meter.can_admin);
    const actions = canAdmin && !voided
      ? paymentActions(p, { onChanged: () => { if (s === st) { loadPayments(s); loadCommands(s); loadMeter(s); } } })
      : el('td', { class: 'actions' });
    const kwh = decNode('td', p.kwh, { class: 'num' });
    kwh.append(` ${unit}`);
    return el('tr', { class: `payment${voided ? ' void' : ''}`, dataset: { id: String(p.id) } },
      el('td', { class: 'time' }, dateTime(p.time)),
      decNode('td', p.amount, { class: 'num' }, 2),
      decNode('td', p.price, { class: 'num' }, 4),
      kwh,
      decNode('td', p.paid_after, { class: 'num' }),
      el('td', { class: 'note' }, p.note || ''),
      state,
      actions);
  });
  $('payments').tBodies[0].replaceChildren(...rows);
  $('payments-empty').hidden = rows.length > 0;

  // Suggest the newest active payment's price.
  const price = $('pay-price');
  if (price && !price.value) {
    const last = [...s.payments].reverse().find((p) => !isVoid(p) && p.price);
    if (last) price.value = String(last.price);
  }
}

function payBody() {
  // Decimal commas are accepted and sent as points; the values stay strings (exact decimals).
  const clean = (id) => $(id).value.trim().replace(/\s+/g, '').replace(',', '.');
  return { amount: clean('pay-amount'), price: clean('pay-price'), note: $('pay-note').value.trim() };
}

function payMessage(text, isError) {
  const msg = $('pay-message');
  if (!msg) return;
  msg.textContent = text;
  msg.classList.toggle('error', Boolean(isError));
  msg.classList.toggle('ok', !isError && Boolean(text));
}

function checkPayBody(body) {
  const decimal = /^-?\d+(\.\d+)?$/;
  if (!decimal.test(body.amount)) return t('payment.amount.bad');
  if (!decimal.test(body.price) || /^-?0*(\.0*)?$/.test(body.price)) return t('payment.price.bad');
  return null;
}

function wirePaymentForm() {
  const form = $('payment-form');
  const invalidate = () => {
    $('pay-confirm').disabled = true;
    $('pay-preview-result').replaceChildren();
    delete form.dataset.previewed;
  };
  for (const id of ['pay-amount', 'pay-price', 'pay-note']) $(id).addEventListener('input', invalidate);
  $('pay-preview').addEventListener('click', () => previewPayment());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if ($('pay-confirm').disabled) previewPayment(); // Enter before a preview: preview first
    else confirmPayment();
  });
}

function previewRow(label, ...value) {
  return el('div', null, el('dt', null, label), el('dd', null, ...value));
}

async function previewPayment() {
  const s = st;
  if (!s) return;
  const body = payBody();
  const problem = checkPayBody(body);
  if (problem) {
    payMessage(problem, true);
    return;
  }
  const button = $('pay-preview');
  button.disabled = true;
  payMessage('', false);
  try {
    const p = await api.post(api.meterPath(s.serial, '/payments/preview'), body);
    if (s !== st) return;
    const unit = ledgerUnit(s.meter.kind);
    $('pay-preview-result').replaceChildren(el('dl', { class: 'values preview-values' },
      previewRow(t('payment.preview.credits'), decNode('strong', p.kwh), ` ${unit}`),
      previewRow(t('payment.preview.paid'), decNode('span', p.paid_before), ' → ', decNode('strong', p.paid_after), ` ${unit}`),
      previewRow(t('prepaid.open_until'), decNode('span', p.open_until_before), ' → ', decNode('strong', p.open_until_after), ` ${unit}`),
      previewRow(t('payment.preview.remaining'), decNode('strong', p.remaining_after), ` ${unit}`),
      previewRow(t('payment.preview.time_left'), el('strong', { title: estimateMethod(p.method) },
        daysLeft({ days_left: p.days_left_after, beyond_horizon: p.beyond_horizon_after })))));
    $('payment-form').dataset.previewed = 'true';
    $('pay-confirm').disabled = false;
    $('pay-confirm').focus();
  } catch (err) {
    if (err.status === 401 || s !== st) return;
    payMessage(err.message, true);
  } finally {
    if ($('pay-preview')) $('pay-preview').disabled = false;
  }
}

async function confirmPayment() {
  const s = st;
  if (!s) return;
  const body = payBody();
  const confirm = $('pay-confirm');
  confirm.disabled = true;
  payMessage(t('adding'), false);
  try {
    const r = await api.post(api.meterPath(s.serial, '/payments'), body);
    if (s !== st) return;
    const queued = r.command_id !== null && r.command_id !== undefined;
    payMessage(t(queued ? 'payment.added.command' : 'payment.added', { id: r.id, limit: dec(r.open_until), command: r.command_id }), false);
    $('pay-amount').value = '';
    $('pay-note').value = '';
    $('pay-preview-result').replaceChildren();
    delete $('payment-form').dataset.previewed;
    loadPayments(s);
    loadCommands(s);
    loadMeter(s);
  } catch (err) {
    if (err.status === 401 || s !== st) return;
    payMessage(err.message, true);
    confirm.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Valve, commands, events

async function valveCommand(command) {
  const s = st;
  if (!s) return;
  const msg = $('valve-message');
  const name = s.meter.name ? `${s.serial} (${s.meter.name})` : s.serial;
  if (command === 'close' && !window.confirm(t('valve.close.confirm', { name }))) {
    return;
  }
  await queueCommand(s, { command }, msg, [$('valve-open'), $('valve-close')]);
}

// Queues a command for the meter of `s` and says in `msg` how it went; `controls` are disabled
// meanwhile. True when it was queued.
async function queueCommand(s, body, msg, controls) {
  for (const b of controls) b.disabled = true;
  msg.classList.remove('error', 'ok');
  msg.textContent = t('command.sending', { command: body.command });
  try {
    const r = await api.post(api.meterPath(s.serial, '/commands'), body);
    if (s !== st) return false;
    msg.classList.add('ok');
    msg.textContent = t('command.queued', { command: body.command, id: r.id });
    loadCommands(s);
    return true;
  } catch (err) {
    if (err.status === 401 || s !== st) return false;
    msg.classList.add('error');
    msg.textContent = err.message;
    return false;
  } finally {
    for (const b of controls) if (b.isConnected) b.disabled = false;
  }
}

// The commands an operator may send, as the server's command table has them (GET /api/commands):
// fetched once per page load.
let commandList = null;
function commandTable() {
  if (!commandList) {
    commandList = api.get('api/commands').then(
      (data) => (data && Array.isArray(data.commands) ? data.commands : []),
      (err) => {
        commandList = null;
        throw err;
      });
  }
  return commandList;
}

// The valve's and cron's commands only for a meter with a valve (the other builds ignore them).
function offered(c, meter) {
  return (c.feature !== 'valve' && c.feature !== 'cron') || Boolean(meter.valve_installed);
}

async function wireCommandForm(s) {
  const form = $('command-form');
  const select = $('cmd-name');
  const arg = $('cmd-argument');
  const send = $('cmd-send');
  const msg = $('cmd-message');
  let list;
  try {
    list = await commandTable();
  } catch (err) {
    if (err.status === 401 || s !== st || !form.isConnected) return;
    msg.classList.add('error');
    msg.textContent = t('command.list.failed', { error: err.message });
    return;
  }
  if (s !== st || !form.isConnected) return;
  const byName = new Map();
  select.replaceChildren(...list.filter((c) => offered(c, s.meter)).map((c) => {
    byName.set(c.name, c);
    return el('option', { value: c.name }, c.name);
  }));
  const follow = () => {
    const c = byName.get(select.value);
    const takes = Boolean(c && c.argument);
    arg.disabled = !takes;
    arg.placeholder = takes ? c.argument : t('command.argument.none');
    arg.type = c && c.secret ? 'password' : 'text';
    if (!takes) arg.value = '';
    send.disabled = !c;
  };
  select.addEventListener('change', follow);
  follow();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const command = select.value;
    if (!byName.has(command)) return;
    const queued = await queueCommand(s, { command, argument: arg.value }, msg, [send]);
    if (queued && byName.get(command).secret) arg.value = '';
  });
}

async function loadCommands(s) {
  let data;
  try {
    data = await fetchFor(s, api.meterPath(s.serial, '/commands'), 'meter.failed.commands');
  } catch {
    return;
  }
  if (!data) return;
  const commands = Array.isArray(data.commands) ? data.commands : [];
  const rows = commands.map((c) => {
    const pending = PENDING.has(c.state);
    const reply = c.reply !== null && c.reply !== undefined ? String(c.reply) : '';
    return el('tr', {
      class: `command${pending ? ' pending' : ''}`,
      dataset: { id: String(c.id), state: c.state || '', command: c.command || '' },
    },
    el('td', { class: 'time' }, dateTime(c.created)),
    el('td', { class: 'cmd', translate: 'no' }, c.command || ''),
    el('td', { class: 'arg' }, c.argument === null || c.argument === undefined ? '' : dec(c.argument)),
    el('td', null, el('span', { class: `state state-${c.state}` }, word('command.state', c.state || ''))),
    el('td', { class: 'num col-sent' }, c.sent_count ?? 0),
    el('td', { class: 'time col-last-sent' }, c.last_sent ? dateTime(c.last_sent) : DASH),
    el('td', { class: 'reply', translate: 'no', title: c.reply_time ? dateTime(c.reply_time, true) : null }, reply || DASH),
    el('td', { class: 'time col-expires' }, c.expires ? dateTime(c.expires) : t('command.expires.never')));
  });
  $('commands').tBodies[0].replaceChildren(...rows);
  $('commands-empty').hidden = rows.length > 0;
}

// The meter's alarms (web/src/alarm_parts.js): its open ones, their history; refreshed with the
// latest values.
function mountAlarms(s) {
  const card = meterAlarms(s.serial, { isCurrent: () => s === st });
  s.timers.push(setInterval(() => {
    if (!document.hidden) card.refresh();
  }, FAST_REFRESH_MS));
}

// What was done about a gap (docs/api.md, GET /api/meters/{serial}/gaps).
function gapStateText(state, takesResend) {
  if (['requested', 'not_kept', 'unanswered'].includes(state)) return t(`gap.${state}`);
  return t(takesResend ? 'gap.not_asked' : 'gap.cannot_ask');
}

async function loadGaps(s) {
  let data;
  try {
    data = await fetchFor(s, api.meterPath(s.serial, '/gaps'), 'meter.failed.gaps');
  } catch {
    return;
  }
  if (!data) return;
  const gaps = Array.isArray(data.gaps) ? data.gaps : [];
  const days = Math.round((data.window_s || 0) / 86400);
  $('gaps-info').textContent = data.interval ? t('gap.info', { days, interval: data.interval }) : t('gap.info.none');
  $('gaps').tBodies[0].replaceChildren(...gaps.map((g) => el('tr', { class: `gap gap-${g.state}` },
    el('td', {}, dateTime(g.from)),
    el('td', {}, dateTime(g.to)),
    el('td', { class: 'num' }, String(g.expected)),
    el('td', {}, gapStateText(g.state, data.takes_resend)))));
  $('gaps-empty').hidden = gaps.length > 0;
  if (s.charts) s.charts.setGaps(gaps.map((g) => ({ from: g.from, to: g.to })));
}

async function loadEvents(s) {
  let data;
  try {
    data = await fetchFor(s, api.meterPath(s.serial, '/events'), 'meter.failed.events');
  } catch {
    return;
  }
  if (!data) return;
  const events = Array.isArray(data.events) ? data.events : [];
  $('events').replaceChildren(...events.map((e) => el('li', { class: `event event-${e.kind}` },
    el('time', { datetime: new Date(e.time * 1000).toISOString() }, dateTime(e.time)),
    el('span', { class: 'kind' }, e.kind || ''),
    // A reply the server puts in words (reset_reason) shows them, the raw text as a tooltip.
    e.text
      ? el('span', { class: 'detail', title: String(e.detail) }, e.text)
      : el('span', { class: 'detail' }, e.detail === null || e.detail === undefined ? '' : String(e.detail)),
    // Who or what caused it, as far as the server can tell.
    e.cause && e.cause.text
      ? el('span', { class: `cause cause-${e.cause.kind}` }, e.cause.text)
      : null)));
  $('events-empty').hidden = events.length > 0;
}
