// #/audit : the admin audit log as GET /api/audit answers it (docs/api.md): an admin of every
// group sees every entry, an admin of some groups the entries of their meters and their own.
// Filters by serial and actor (kept in the address: #/audit?serial=…&actor=…), newest first, a
// page of 50 at a time ("Older" follows next_before).
import * as api from './api.js';
import { t } from './i18n.js';
import { el, dateTime, viewSection } from './format.js';

const $ = (id) => document.getElementById(id);
const PAGE = 50;

let mounted = 0;

const section = () => viewSection('audit-page');

export function mount({ params }) {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('audit.heading')} · MeterLogger`;
  const serial = el('input', { id: 'audit-serial', type: 'search', value: params.get('serial') || '', placeholder: t('audit.serial'), 'aria-label': t('audit.serial'), autocomplete: 'off', inputmode: 'numeric' });
  const actor = el('input', { id: 'audit-actor', type: 'search', value: params.get('actor') || '', placeholder: t('audit.user'), 'aria-label': t('audit.user'), autocomplete: 'off', autocapitalize: 'none' });
  const tbody = el('tbody');
  const msg = el('p', { class: 'message', id: 'audit-message' });
  const older = el('button', { type: 'button', id: 'audit-older', hidden: true }, t('audit.older'));
  const newest = el('button', { type: 'button', id: 'audit-newest', hidden: true }, t('audit.newest'));
  const pages = []; // the `before` of each page shown, for "Newest"

  async function load(before) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (serial.value.trim()) q.set('serial', serial.value.trim());
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (before) q.set('before', String(before));
    try {
      const data = await api.get(`api/audit?${q}`);
      if (token !== mounted) return;
      tbody.replaceChildren(...data.entries.map((e) => el('tr', { class: 'audit-entry', dataset: { id: String(e.id), action: e.action } },
        el('td', { class: 'time' }, dateTime(e.time, true)),
        el('td', { class: 'actor', translate: 'no' }, el('a', { href: `#/audit?actor=${encodeURIComponent(e.actor)}` }, e.actor)),
        el('td', { class: 'action', translate: 'no' }, e.action),
        el('td', { class: 'serial' }, e.serial ? el('a', { href: `#/meter/${encodeURIComponent(e.serial)}` }, e.serial) : ''),
        el('td', { class: 'detail', translate: 'no' }, e.detail),
        el('td', { class: 'remote col-remote' }, e.remote))));
      msg.textContent = data.entries.length ? '' : t('audit.none');
      msg.classList.remove('error');
      older.hidden = data.next_before === null || data.next_before === undefined;
      older.dataset.before = older.hidden ? '' : String(data.next_before);
      newest.hidden = !before;
      page.dataset.loaded = 'true';
    } catch (err) {
      if (token !== mounted || err.status === 401) return;
      msg.textContent = err.message;
      msg.classList.add('error');
    }
  }

  const filter = el('form', { id: 'audit-filter', class: 'toolbar', role: 'search' },
    el('h1', null, t('audit.heading')), serial, actor,
    el('button', { type: 'submit', id: 'audit-apply' }, t('filter')));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (serial.value.trim()) q.set('serial', serial.value.trim());
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    const hash = `#/audit${q.toString() ? `?${q}` : ''}`;
    if (location.hash === hash) load(0);
    else location.hash = hash; // remounts with the filter
  });
  older.addEventListener('click', () => {
    pages.push(older.dataset.before);
    load(Number(older.dataset.before));
  });
  newest.addEventListener('click', () => {
    pages.length = 0;
    load(0);
  });

  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/meters' }, t('crumb.meters'))),
    filter,
    el('section', { class: 'card' },
      el('div', { class: 'table-scroll' },
        el('table', { id: 'audit', class: 'data' },
          el('thead', null, el('tr', null, el('th', null, t('audit.col.time')), el('th', null, t('audit.user')), el('th', null, t('audit.col.action')),
            el('th', null, t('audit.col.meter')), el('th', null, t('audit.col.detail')), el('th', { class: 'col-remote' }, t('audit.col.from')))),
          tbody)),
      msg,
      el('div', { class: 'button-row' }, newest, older)));
  load(0);
}

export function unmount() {
  mounted += 1;
  const page = $('audit-page');
  if (page) {
    page.hidden = true;
    delete page.dataset.loaded;
  }
}
