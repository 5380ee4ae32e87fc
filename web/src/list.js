// #/meters : every meter, grouped by group, searchable and sortable. Refreshes every 60 s.
// Up to PAGE meters the whole list is loaded and searched and sorted here, by every column; a
// larger fleet is paged by the server (GET /api/meters?limit=..., docs/api.md), which searches
// and sorts by serial, name and last seen; the other columns do not sort then.
import * as api from './api.js';
import { showBanner } from './banner.js';
import { t } from './i18n.js';
import { ago, dateTime, daysLeft, dec, el, estimateMethod, isRounded, plural } from './format.js';

const REFRESH_MS = 60000;
const PAGE = 500;
const SERVER_SORTS = new Set(['serial', 'name', 'last_seen']);
const SEARCH_DELAY_MS = 300;
const $ = (id) => document.getElementById(id);

let meters = [];
let skew = 0; // server clock - browser clock, seconds
let sort = { key: 'serial', dir: 1 };
let timer = null;
let controller = null;
let wired = false;
// Paged by the server: the answer's total, offset and per-group counts.
let paged = false;
let page = { total: 0, offset: 0, groups: {} };
let searchTimer = null;

const num = (s) => {
  if (s === null || s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

// The value a column sorts by; null sorts last in both directions.
const sortValue = {
  serial: (m) => m.serial,
  name: (m) => m.name || null,
  energy: (m) => num(m.latest && m.latest.energy_kwh),
  volume: (m) => num(m.latest && m.latest.volume_m3),
  hours: (m) => num(m.latest && m.latest.hours),
  remaining: (m) => num(m.remaining),
  time_left: (m) => (m.beyond_horizon ? 1e9 : num(m.days_left)),
  last_seen: (m) => m.last_seen || null,
};

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a, b) {
  const va = sortValue[sort.key](a);
  const vb = sortValue[sort.key](b);
  if (va === null && vb === null) return collator.compare(a.serial, b.serial);
  if (va === null) return 1;
  if (vb === null) return -1;
  const c = typeof va === 'string' ? collator.compare(va, vb) : va - vb;
  return c === 0 ? collator.compare(a.serial, b.serial) : c * sort.dir;
}

function matches(m, needle) {
  if (!needle) return true;
  return [m.serial, m.name, m.group].some((v) => v && String(v).toLowerCase().includes(needle));
}

function numCell(value, cls = 'num') {
  return el('td', { class: cls, title: isRounded(value) ? String(value) : null }, dec(value));
}

function row(m, now) {
  const latest = m.latest || {};
  const offline = !m.online;
  const closed = m.valve === 'close';
  const classes = ['meter'];
  if (offline) classes.push('offline');
  if (closed) classes.push('valve-closed');
  const href = `#/meter/${encodeURIComponent(m.serial)}`;

  const serialCell = el('td', { class: 'serial' }, el('a', { href }, m.serial));
  const badges = el('span', { class: 'badges' });
  if (offline) badges.append(el('span', { class: 'badge badge-offline' }, t('badge.offline')));
  if (closed) badges.append(el('span', { class: 'badge badge-closed' }, t('badge.closed')));
  serialCell.append(badges);

  const remaining = numCell(m.remaining);
  if (typeof m.remaining === 'string' && m.remaining.startsWith('-')) remaining.classList.add('negative');
  if (m.kind === 'water' && m.remaining !== null && m.remaining !== undefined) {
    remaining.append(' ', el('span', { class: 'unit' }, 'm³'));
  }
  const seen = el('td', { class: 'num col-seen', title: m.last_seen ? dateTime(m.last_seen) : null },
    ago(m.last_seen, now));

  return el('tr', { class: classes.join(' '), dataset: { serial: m.serial } },
    serialCell,
    el('td', { class: 'name' }, m.name || ''),
    numCell(latest.energy_kwh, 'num col-energy'),
    numCell(latest.volume_m3, 'num col-volume'),
    numCell(latest.hours, 'num col-hours'),
    remaining,
    el('td', { class: 'num col-left', title: m.valve_installed ? estimateMethod(m.method) : null },
      daysLeft(m)),
    seen,
  );
}

function render() {
  const table = $('meters');
  if (!table) return;
  const now = Date.now() / 1000 + skew;
  const needle = $('search').value.trim().toLowerCase();

  const key = paged && !SERVER_SORTS.has(sort.key) ? 'serial' : sort.key;
  for (const th of table.querySelectorAll('th[data-sort]')) {
    const active = th.dataset.sort === key;
    th.setAttribute('aria-sort', active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    const fixed = paged && !SERVER_SORTS.has(th.dataset.sort);
    th.classList.toggle('unsortable', fixed);
    th.title = fixed ? t('list.unsortable', { page: PAGE }) : '';
  }

  const groups = new Map();
  let shown = 0;
  for (const m of meters) {
    if (!paged && !matches(m, needle)) continue;
    const g = m.group || '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(m);
    shown += 1;
  }

  for (const tbody of table.querySelectorAll('tbody')) tbody.remove();
  const names = [...groups.keys()].sort((a, b) => collator.compare(a, b));
  const cols = table.querySelectorAll('thead th').length;
  for (const name of names) {
    const list = paged ? groups.get(name) : groups.get(name).sort(compare);
    const offline = list.filter((m) => !m.online).length;
    // Paged: the group's matches in the whole fleet; the offline count is of this page.
    const inGroup = paged ? (page.groups[name] || list.length) : list.length;
    const offlineText = offline ? t(paged ? 'list.group.offline_here' : 'list.group.offline', { n: offline }) : '';
    const head = el('tr', { class: 'group-head' },
      el('th', { colspan: cols, scope: 'rowgroup' },
        name || t('group.none'),
        el('span', { class: 'muted group-count' },
          ` ${plural('meters', inGroup, { n: inGroup.toLocaleString('en') })}${offlineText}`)));
    const tbody = el('tbody', { class: 'group', dataset: { group: name } }, head);
    for (const m of list) tbody.append(row(m, now));
    table.append(tbody);
  }

  const count = $('meter-count');
  if (paged) {
    count.textContent = plural(needle ? 'list.matches' : 'meters', page.total, { n: page.total.toLocaleString('en') });
    count.dataset.count = String(page.total);
    const first = page.total === 0 ? 0 : page.offset + 1;
    $('page-range').textContent = t('list.range', {
      first: first.toLocaleString('en'), last: (page.offset + shown).toLocaleString('en'), total: page.total.toLocaleString('en'),
    });
    $('page-prev').disabled = page.offset === 0;
    $('page-next').disabled = page.offset + shown >= page.total;
  } else {
    count.textContent = shown === meters.length
      ? plural('meters', meters.length)
      : t('list.shown', { shown, total: meters.length });
    count.dataset.count = String(shown);
  }
  $('pager').hidden = !paged;
  $('list-empty').hidden = shown > 0 || (!paged && meters.length === 0) || (paged && !needle);
}

// The page's query: the first load asks for PAGE meters and learns whether that is all of them.
function query() {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (!paged) return q;
  q.set('offset', String(page.offset));
  q.set('sort', SERVER_SORTS.has(sort.key) ? sort.key : 'serial');
  q.set('order', sort.dir > 0 ? 'asc' : 'desc');
  const needle = $('search').value.trim();
  if (needle) q.set('q', needle);
  return q;
}

async function load() {
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  try {
    const data = await api.get(`api/meters?${query()}`, { signal });
    if (signal.aborted) return;
    meters = Array.isArray(data.meters) ? data.meters : [];
    // A fleet larger than one page stays paged (a search that matches fewer is still a page).
    if (!paged && data.total > meters.length) paged = true;
    page = { total: data.total, offset: data.offset || 0, groups: data.groups || {} };
    if (typeof data.now === 'number') skew = data.now - Date.now() / 1000;
    showBanner(null);
    render();
  } catch (err) {
    if (api.isAbort(err) || err.status === 401) return;
    showBanner(t('list.failed', { error: err.message }));
  }
}

function wire() {
  if (wired) return;
  wired = true;
  $('search').addEventListener('input', () => {
    if (!paged) {
      render();
      return;
    }
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      page.offset = 0;
      load();
    }, SEARCH_DELAY_MS);
  });
  const turn = (step) => {
    page.offset = Math.max(0, page.offset + step * PAGE);
    load();
  };
  $('page-prev').addEventListener('click', () => turn(-1));
  $('page-next').addEventListener('click', () => turn(1));
  for (const th of $('meters').querySelectorAll('th[data-sort]')) {
    th.tabIndex = 0;
    const activate = () => {
      // Paged, only what the server sorts by sorts.
      if (paged && !SERVER_SORTS.has(th.dataset.sort)) return;
      if (sort.key === th.dataset.sort) sort.dir = -sort.dir;
      else sort = { key: th.dataset.sort, dir: 1 };
      if (paged) {
        page.offset = 0;
        load();
      } else {
        render();
      }
    };
    th.addEventListener('click', activate);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        activate();
      }
    });
  }
  // A click anywhere on a meter's row opens it (the serial is the real link).
  $('meters').addEventListener('click', (e) => {
    if (e.target.closest('a')) return;
    const tr = e.target.closest('tr.meter');
    if (tr) location.hash = `#/meter/${encodeURIComponent(tr.dataset.serial)}`;
  });
}

export function mount({ params }) {
  wire();
  $('meter-list').hidden = false;
  document.title = `${t('list.heading')} · MeterLogger`;
  const q = params.get('q');
  if (q !== null) $('search').value = q;
  if (meters.length) render(); // the last list at once, then fresh data
  load();
  timer = setInterval(load, REFRESH_MS);
}

// At logout: nothing of the last user's list stays in memory.
export function forget() {
  meters = [];
  paged = false;
  page = { total: 0, offset: 0, groups: {} };
  for (const tbody of $('meters').querySelectorAll('tbody')) tbody.remove();
  $('meter-count').textContent = '';
}

export function unmount() {
  clearInterval(timer);
  timer = null;
  if (controller) controller.abort();
  controller = null;
  $('meter-list').hidden = true;
}
