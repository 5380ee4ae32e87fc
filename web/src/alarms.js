// #/alarms : the open alarms grouped by severity (critical, warning, info) with their meter,
// rule, status, when raised, who acknowledged them and why, and until when they are snoozed;
// admins of a meter's group acknowledge (with a note) and snooze them; below, the newest
// transitions of every alarm (GET /api/alarms, docs/api.md "Alarms"). Refreshed every 30 s
// while shown (not while a form of a row is open).
import * as api from './api.js';
import { alarmGroups, formOpen, historyList } from './alarm_parts.js';
import { t } from './i18n.js';
import { el, plural, viewSection } from './format.js';

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 30000;

let mounted = 0;
let timer = 0;

const section = () => viewSection('alarms-page');

export function mount() {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('alarms.heading')} · MeterLogger`;
  const open = el('div', { id: 'alarms-open' });
  const history = el('div', { id: 'alarms-history' });
  const msg = el('p', { class: 'message', id: 'alarms-message' });
  const count = el('span', { class: 'muted', id: 'alarms-count' });
  let ruleNames = new Map();

  async function load() {
    try {
      const [data, rules] = await Promise.all([
        api.get('api/alarms'),
        api.get('api/alarm-rules').catch(() => null),
      ]);
      if (token !== mounted) return;
      if (rules && Array.isArray(rules.rules)) ruleNames = new Map(rules.rules.map((r) => [r.id, r.name]));
      const alarms = Array.isArray(data.alarms) ? data.alarms : [];
      if (!formOpen(open)) open.replaceChildren(...alarmGroups(alarms, data.now, { onChanged: () => load() }));
      count.textContent = plural('alarms.open', alarms.length);
      const transitions = Array.isArray(data.transitions) ? data.transitions : [];
      history.replaceChildren(transitions.length
        ? historyList(transitions, { ruleNames, id: 'alarm-history' })
        : el('p', { class: 'muted' }, t('alarms.history.none')));
      msg.textContent = '';
      msg.classList.remove('error');
      page.dataset.loaded = String(Date.now());
    } catch (err) {
      if (token !== mounted || err.status === 401) return;
      msg.textContent = t('alarms.failed', { error: err.message });
      msg.classList.add('error');
    }
  }

  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/meters' }, t('crumb.meters'))),
    el('div', { class: 'title-row' }, el('h1', null, t('alarms.heading')), count),
    el('section', { class: 'card', 'aria-label': t('alarms.open.label') }, open, msg),
    el('section', { class: 'card', 'aria-labelledby': 'alarms-history-heading' },
      el('h2', { id: 'alarms-history-heading' }, t('alarms.history')), history));
  load();
  clearInterval(timer);
  timer = setInterval(() => {
    if (!document.hidden) load();
  }, REFRESH_MS);
}

export function unmount() {
  mounted += 1;
  clearInterval(timer);
  timer = 0;
  const page = $('alarms-page');
  if (page) {
    page.hidden = true;
    delete page.dataset.loaded;
  }
}
