// #/ : what needs an operator now, as GET /api/attention answers it (docs/api.md, "Needs
// attention"): the open alarms (critical first), meters offline, running out of credit, valves
// closed with credit left or open with none, devices with rejected messages, commands with no
// answer, then the fleet per group with a chart of the energy per day. Above them, for fleet
// administrators, a warning when the broker dropped messages in the last day. Each section says its
// count; an empty one is one line. Every row links to the meter's page. Refreshes every 60 s
// while shown.
import * as api from './api.js';
import { showBanner } from './banner.js';
import { createDailyChart } from './charts.js';
import { t } from './i18n.js';
import { ago, dateTime, daysLeft, dec, el, viewSection, word } from './format.js';

const REFRESH_MS = 60000;
const $ = (id) => document.getElementById(id);

let mounted = 0;
let timer = null;
let controller = null;
let chart = null;

const section = () => viewSection('attention-page');

const meterHref = (serial) => `#/meter/${encodeURIComponent(serial)}`;

// A row: a link to the meter with its serial, name and group, then what is wrong.
function row(r, ...detail) {
  const who = [
    el('span', { class: 'att-serial' }, r.serial),
    r.name ? el('span', { class: 'att-name' }, r.name) : null,
    r.group ? el('span', { class: 'att-group muted' }, r.group) : null,
  ];
  const what = el('span', { class: 'att-detail' }, ...detail);
  if (r.meter === false) {
    return el('li', { class: 'att-row unknown', dataset: { serial: r.serial } },
      el('span', { class: 'att-link' }, ...who, el('span', { class: 'att-name muted' }, t('att.unknown_device')), what));
  }
  return el('li', { class: 'att-row', dataset: { serial: r.serial } },
    el('a', { class: 'att-link', href: meterHref(r.serial) }, ...who, what));
}

// One section: its heading with the count, the rows, or one line when there are none.
function part(id, title, empty, rows, total, shown) {
  const count = el('span', { class: 'att-count', dataset: { count: String(total) } }, String(total));
  if (total === 0) {
    return el('section', { id, class: 'card att-section att-empty', dataset: { count: '0' } },
      el('p', { class: 'att-empty-line' }, empty));
  }
  const more = total > shown ? el('p', { class: 'muted' }, t('att.first', { shown, total })) : null;
  return el('section', { id, class: 'card att-section', dataset: { count: String(total) } },
    el('h2', null, title, ' ', count),
    el('ul', { class: 'att-list' }, ...rows),
    more);
}

function render(page, data) {
  const now = data.now || Date.now() / 1000;
  const counts = data.counts || {};
  const list = (key) => (Array.isArray(data[key]) ? data[key] : []);
  const total = (key) => (typeof counts[key] === 'number' ? counts[key] : list(key).length);
  // Each section's heading is att.KEY and its one line when empty att.KEY.none.
  const section = (key, id, fn, vars = {}) =>
    part(id, t(`att.${key}`, vars), t(`att.${key}.none`), list(key).map(fn), total(key), list(key).length);
  const days = data.running_out_days || '7';

  const parts = [
    section('alarms', 'att-alarms', (a) => row(a,
      el('span', { class: `badge sev sev-${a.severity}` }, word('severity', a.severity)),
      ' ', a.rule || t('alarm.rule_id', { id: a.rule_id }), ' ',
      el('span', { class: 'muted', title: dateTime(a.raised) }, `${word('alarm.status', a.status)} ${ago(a.raised, now)}`))),
    section('offline', 'att-offline', (m) => row(m,
      el('span', { class: 'muted', title: dateTime(m.last_seen) }, m.last_seen ? t('att.last_seen', { ago: ago(m.last_seen, now) }) : t('att.never_seen')))),
    section('running_out', 'att-running-out', (m) => row(m,
      el('span', { class: 'att-left' }, daysLeft(m)), ' ', t('att.left', { remaining: dec(m.remaining) })), { days }),
    section('closed_with_credit', 'att-closed', (m) => row(m,
      el('span', { class: 'badge badge-closed' }, t('badge.closed')), ' ', t('att.credit_left', { remaining: dec(m.remaining) }))),
    section('used_up', 'att-used-up', (m) => row(m,
      el('span', { class: 'negative' }, dec(m.remaining)), ' ', t('att.valve', { valve: word('valve', m.valve || 'open') }))),
    section('rejected', 'att-rejected', (r) => row(r,
      el('span', { class: 'att-reason' }, r.reason), ` ×${r.count} · `,
      el('span', { class: 'muted', title: dateTime(r.last_time) }, t('att.last', { ago: ago(r.last_time, now) })))),
    section('unanswered', 'att-unanswered', (c) => row(c,
      el('span', { class: 'att-command' }, c.command), ' ',
      el('span', { class: 'muted', title: dateTime(c.sent) }, t('att.sent', { ago: ago(c.sent, now) })))),
  ];

  const groups = list('groups');
  const tbody = el('tbody', null, ...groups.map((g) => el('tr', { dataset: { group: g.group } },
    el('th', { scope: 'row', class: 'att-group-name' }, g.group || t('group.none')),
    el('td', { class: 'num att-meters col-att-meters' }, String(g.meters)),
    el('td', { class: 'num att-online' }, String(g.online)),
    el('td', { class: `num att-offline${g.offline ? ' negative' : ''}` }, String(g.offline)),
    el('td', { class: 'num att-today' }, dec(g.today, 1)),
    el('td', { class: 'num att-month' }, dec(g.month, 1)))));
  const chartEl = el('div', { id: 'att-chart', class: 'chart' });
  const fleet = el('section', { id: 'att-fleet', class: 'card att-section' },
    el('h2', null, t('att.fleet')),
    el('table', { id: 'att-groups', class: 'data att-groups' },
      el('thead', null, el('tr', null,
        el('th', { scope: 'col' }, t('att.col.group')), el('th', { scope: 'col', class: 'num col-att-meters' }, t('att.col.meters')),
        el('th', { scope: 'col', class: 'num' }, t('att.col.online')), el('th', { scope: 'col', class: 'num' }, t('att.col.offline')),
        el('th', { scope: 'col', class: 'num' }, t('att.col.today'), ' ', el('span', { class: 'unit' }, 'kWh')),
        el('th', { scope: 'col', class: 'num' }, t('att.col.month'), ' ', el('span', { class: 'unit' }, 'kWh')))),
      tbody),
    el('h3', { class: 'chart-title' }, t('att.chart')),
    chartEl);

  // The broker dropped messages in the last day (`run` reads its $SYS; for fleet administrators).
  const b = data.broker;
  const broker = b ? el('section', { id: 'att-broker', class: 'card att-section att-warning' },
    el('h2', null, t('att.broker')),
    el('p', null, t('att.broker.dropped', { n: b.dropped }), ' ',
      el('span', { title: dateTime(b.increased) }, ago(b.increased, now)),
      t('att.broker.why'), ' ',
      el('code', null, 'meterlogger-server check --mosquitto-conf FILE'), ' ', t('att.broker.check'))) : null;

  if (chart) chart.destroy();
  chart = null;
  page.replaceChildren(
    el('div', { class: 'toolbar' },
      el('h1', null, t('att.heading')),
      el('span', { id: 'attention-updated', class: 'muted' }, t('att.updated', { time: dateTime(now, true) }),
        // A large fleet's meter facts come from a kept reading (docs/server.md, "The HTTP server").
        data.as_of && data.as_of < now ? `; ${t('att.as_of', { ago: ago(data.as_of, now) })}` : '')),
    ...(broker ? [broker] : []),
    ...parts,
    fleet);
  chart = createDailyChart(chartEl, groups);
  page.dataset.loaded = String(now);
}

async function load(token) {
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  try {
    const data = await api.get('api/attention', { signal });
    if (signal.aborted || token !== mounted) return;
    showBanner(null);
    render(section(), data);
  } catch (err) {
    if (api.isAbort(err) || err.status === 401) return;
    showBanner(t('att.failed', { error: err.message }));
  }
}

export function mount() {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('att.heading')} · MeterLogger`;
  if (!page.dataset.loaded) page.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  load(token);
  timer = setInterval(() => load(token), REFRESH_MS);
}

export function unmount() {
  mounted += 1;
  clearInterval(timer);
  timer = null;
  if (controller) controller.abort();
  controller = null;
  if (chart) chart.destroy();
  chart = null;
  const page = $('attention-page');
  if (page) {
    page.hidden = true;
    page.replaceChildren();
    delete page.dataset.loaded;
  }
}
