// #/notifications (admins): the channels of [notify] with their state (GET /api/channels: type,
// target, last success and failure, waiting and failed messages; never a secret) and the log of
// messages (GET /api/notifications, newest first, at most 500, each admin seeing those about
// meters of their groups): time, channel, recipient, meter, state, attempts, last error, subject.
// Filtered by meter (asked of the server) and by state (here); shown 50 at a time. The filters
// are kept in the address: #/notifications?serial=…&state=…
import * as api from './api.js';
import { t } from './i18n.js';
import { DASH, dateTime, el, viewSection, word } from './format.js';

const $ = (id) => document.getElementById(id);
const PAGE = 50;
const STATES = ['queued', 'sending', 'sent', 'failed', 'rate_limited'];

let mounted = 0;

const section = () => viewSection('notifications-page');

function channelRow(ch) {
  return el('tr', { class: 'channel', dataset: { name: ch.name } },
    el('td', { class: 'name' }, ch.name),
    el('td', null, ch.type),
    el('td', { class: 'target' }, ch.target || ''),
    el('td', { class: 'time' }, ch.last_success ? dateTime(ch.last_success, true) : DASH),
    el('td', { class: 'time' }, ch.last_failure ? dateTime(ch.last_failure, true) : DASH,
      ch.last_error ? el('div', { class: 'muted error-text' }, ch.last_error) : null),
    el('td', { class: 'num' }, String(ch.waiting ?? 0)),
    el('td', { class: 'num' }, String(ch.failed ?? 0)));
}

function messageRow(n) {
  return el('tr', { class: `notification state-row-${n.state}`, dataset: { id: String(n.id), state: n.state, channel: n.channel } },
    el('td', { class: 'time' }, dateTime(n.created, true)),
    el('td', { class: 'channel' }, n.channel),
    el('td', { class: 'recipient' }, n.recipient || DASH),
    el('td', { class: 'serial' }, n.serial ? el('a', { href: `#/meter/${encodeURIComponent(n.serial)}` }, n.serial) : ''),
    el('td', null, el('span', { class: `state nstate-${n.state}`, title: n.sent_time ? t('notifications.sent_at', { time: dateTime(n.sent_time, true) }) : null },
      word('notification.state', n.state))),
    el('td', { class: 'num' }, String(n.attempts ?? 0)),
    el('td', { class: 'detail last-error' }, n.last_error || ''),
    el('td', { class: 'detail subject' }, n.subject || ''));
}

export function mount({ params }) {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('notifications.heading')} · MeterLogger`;
  const channels = el('tbody');
  const log = el('tbody');
  const msg = el('p', { class: 'message', id: 'notifications-message' });
  const serial = el('input', { id: 'nf-serial', type: 'search', value: params.get('serial') || '', placeholder: t('audit.serial'), 'aria-label': t('audit.serial'), autocomplete: 'off', inputmode: 'numeric' });
  const state = el('select', { id: 'nf-state', 'aria-label': t('notifications.col.state') },
    el('option', { value: '' }, t('notifications.state.every')),
    ...STATES.map((s) => el('option', { value: s, selected: params.get('state') === s }, word('notification.state', s))));
  const more = el('button', { type: 'button', id: 'nf-more', hidden: true }, t('notifications.more'));
  let shown = PAGE;
  let all = [];

  function render() {
    const rows = state.value ? all.filter((n) => n.state === state.value) : all;
    log.replaceChildren(...rows.slice(0, shown).map(messageRow));
    more.hidden = rows.length <= shown;
    msg.textContent = rows.length ? t('notifications.shown', { shown: Math.min(shown, rows.length), total: rows.length }) : t('notifications.none');
  }

  async function load() {
    const q = new URLSearchParams();
    if (serial.value.trim()) q.set('serial', serial.value.trim());
    try {
      const [ch, nl] = await Promise.all([
        api.get('api/channels'),
        api.get(`api/notifications${q.toString() ? `?${q}` : ''}`),
      ]);
      if (token !== mounted) return;
      channels.replaceChildren(...(ch.channels || []).map(channelRow));
      $('channels-empty').hidden = (ch.channels || []).length > 0;
      all = Array.isArray(nl.notifications) ? nl.notifications : [];
      msg.classList.remove('error');
      render();
      page.dataset.loaded = String(Date.now());
    } catch (err) {
      if (token !== mounted || err.status === 401) return;
      msg.textContent = err.message;
      msg.classList.add('error');
    }
  }

  const filter = el('form', { id: 'nf-filter', class: 'toolbar', role: 'search' },
    el('h2', null, t('notifications.log')), serial, state,
    el('button', { type: 'submit', id: 'nf-apply' }, t('filter')),
    el('button', { type: 'button', id: 'nf-refresh' }, t('notifications.refresh')));
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (serial.value.trim()) q.set('serial', serial.value.trim());
    if (state.value) q.set('state', state.value);
    const hash = `#/notifications${q.toString() ? `?${q}` : ''}`;
    if (location.hash === hash) load();
    else location.hash = hash; // remounts with the filter
  });
  state.addEventListener('change', () => {
    shown = PAGE;
    render();
  });
  filter.querySelector('#nf-refresh').addEventListener('click', () => load());
  more.addEventListener('click', () => {
    shown += PAGE;
    render();
  });

  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/meters' }, t('crumb.meters'))),
    el('div', { class: 'title-row' }, el('h1', null, t('notifications.heading'))),
    el('section', { class: 'card', 'aria-labelledby': 'channels-heading' },
      el('h2', { id: 'channels-heading' }, t('notifications.channels')),
      el('div', { class: 'table-scroll' },
        el('table', { id: 'channels', class: 'data' },
          el('thead', null, el('tr', null, el('th', null, t('notifications.col.name')), el('th', null, t('notifications.col.type')),
            el('th', null, t('notifications.col.target')), el('th', null, t('notifications.col.last_sent')),
            el('th', null, t('notifications.col.last_failure')), el('th', { class: 'num' }, t('notifications.col.waiting')),
            el('th', { class: 'num' }, t('notifications.col.failed')))),
          channels)),
      el('p', { id: 'channels-empty', class: 'muted', hidden: true }, t('notifications.channels.none'))),
    el('section', { class: 'card' }, filter,
      el('div', { class: 'table-scroll' },
        el('table', { id: 'notifications', class: 'data' },
          el('thead', null, el('tr', null, el('th', null, t('audit.col.time')), el('th', null, t('notifications.col.channel')),
            el('th', null, t('notifications.col.recipient')), el('th', null, t('audit.col.meter')), el('th', null, t('notifications.col.state')),
            el('th', { class: 'num' }, t('notifications.col.attempts')), el('th', null, t('notifications.col.last_error')),
            el('th', null, t('notifications.col.subject')))),
          log)),
      msg,
      el('div', { class: 'button-row' }, more)));
  load();
}

export function unmount() {
  mounted += 1;
  const page = $('notifications-page');
  if (page) {
    page.hidden = true;
    delete page.dataset.loaded;
  }
}
