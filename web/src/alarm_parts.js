// What the alarms page (#/alarms) and a meter's page share (docs/api.md, "Alarms"): an open
// alarm as one row (severity, meter, rule, status, raised, acknowledged by and note, snoozed
// until) with Acknowledge (a note in an inline form) and Snooze (1 h, 4 h, 1 d or a typed
// duration) for those who may (can_admin), the history of transitions, and the meter page's
// "Alarms" card (GET /api/alarms?serial=), shown when the meter has alarms, history or a rule
// that applies to it.
import * as api from './api.js';
import { t } from './i18n.js';
import { ago, dateTime, el, word } from './format.js';

export const SEVERITIES = ['critical', 'warning', 'info'];

function message(node, text, isError) {
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
  node.classList.toggle('ok', !isError && Boolean(text));
}

// "raised 5 min ago" with the exact time as a tooltip and in a <time>.
function when(time, now) {
  return el('time', { datetime: new Date(time * 1000).toISOString(), title: dateTime(time, true) },
    `${ago(time, now)} (${dateTime(time)})`);
}

export function severityBadge(severity) {
  return el('span', { class: `badge sev sev-${severity}` }, word('severity', severity));
}

export function meterLink(serial, name) {
  return el('a', { class: 'meter-link', href: `#/meter/${encodeURIComponent(serial)}` },
    el('span', { class: 'serial' }, serial), name ? ` ${name}` : '');
}

// One open alarm. `onChanged` runs after an acknowledgement or a snooze; `showMeter` adds the
// meter's link (the alarms page; a meter's page knows its meter).
export function alarmRow(a, now, { onChanged, showMeter = true }) {
  const status = a.status || '';
  const facts = [
    el('span', { class: `alarm-status status-${status}` }, word('alarm.status', status)),
    el('span', { class: 'alarm-raised' }, t('alarm.raised'), ' ', when(a.raised, now)),
  ];
  if (a.acked_by) {
    facts.push(el('span', { class: 'alarm-ack' }, t('alarm.acked_by', { user: a.acked_by }),
      a.ack_note ? el('q', { class: 'ack-note' }, a.ack_note) : null));
  }
  if (a.snoozed_until && a.snoozed_until > now) {
    facts.push(el('span', { class: 'alarm-snooze' }, t('alarm.snoozed_until', { time: dateTime(a.snoozed_until) })));
  }
  const row = el('li', {
    class: `alarm sev-${a.severity} status-${status}`,
    dataset: { episode: String(a.episode), status, severity: a.severity || '', serial: a.serial },
  },
  el('div', { class: 'alarm-head' },
    severityBadge(a.severity),
    el('strong', { class: 'alarm-rule' }, a.rule || t('alarm.rule_id', { id: a.rule_id })),
    showMeter ? meterLink(a.serial, a.name) : null,
    el('span', { class: 'muted alarm-id' }, `#${a.episode}`)),
  el('div', { class: 'alarm-facts' }, ...facts));
  if (a.can_admin) row.append(alarmActions(a, { onChanged }));
  return row;
}

// Acknowledge and snooze, each opening a small inline form under the buttons.
function alarmActions(a, { onChanged }) {
  const slot = el('div', { class: 'alarm-form-slot' });
  const msg = el('p', { class: 'message alarm-message', 'aria-live': 'polite' });
  const post = async (what, body, button) => {
    button.disabled = true;
    try {
      await api.post(`api/alarms/${a.episode}/${what}`, body);
      slot.replaceChildren();
      message(msg, t(what === 'ack' ? 'alarm.acked' : 'alarm.snoozed'), false);
      onChanged();
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    } finally {
      button.disabled = false;
    }
  };
  const ackButton = el('button', { type: 'button', class: 'small primary alarm-ack-open' }, t('alarm.ack'));
  ackButton.disabled = a.status === 'acknowledged';
  ackButton.addEventListener('click', () => {
    const note = el('input', { class: 'ack-note-input', maxlength: 500, autocomplete: 'off', placeholder: t('alarm.ack.note.hint') });
    const submit = el('button', { type: 'submit', class: 'primary ack-submit' }, t('alarm.ack'));
    const cancel = el('button', { type: 'button' }, t('cancel'));
    const form = el('form', { class: 'alarm-form ack-form', novalidate: true },
      el('label', null, el('span', null, t('alarm.ack.note', { id: a.episode })), note),
      el('div', { class: 'button-row' }, submit, cancel));
    cancel.addEventListener('click', () => slot.replaceChildren());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      post('ack', { note: note.value.trim() }, submit);
    });
    slot.replaceChildren(form);
    note.focus();
  });
  const snoozeButton = el('button', { type: 'button', class: 'small alarm-snooze-open' }, t('alarm.snooze.open'));
  snoozeButton.addEventListener('click', () => {
    const custom = el('input', { class: 'snooze-custom', autocomplete: 'off', placeholder: t('alarm.snooze.hint'), 'aria-label': t('alarm.snooze.custom'), size: 10 });
    const form = el('form', { class: 'alarm-form snooze-form', novalidate: true },
      el('span', { class: 'muted' }, t('alarm.snooze.for'), ' '),
      ...[['1h', t('time.h', { h: 1 })], ['4h', t('time.h', { h: 4 })], ['1d', t('time.d', { d: 1 })]].map(([value, label]) => {
        const b = el('button', { type: 'button', class: 'small snooze-for', dataset: { for: value } }, label);
        b.addEventListener('click', () => post('snooze', { for: value }, b));
        return b;
      }),
      custom,
      el('button', { type: 'submit', class: 'small snooze-custom-submit' }, t('alarm.snooze')),
      el('button', { type: 'button', class: 'small snooze-cancel' }, t('cancel')));
    form.querySelector('.snooze-cancel').addEventListener('click', () => slot.replaceChildren());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = custom.value.trim();
      if (!value) {
        message(msg, t('alarm.snooze.missing'), true);
        return;
      }
      post('snooze', { for: /^\d+$/.test(value) ? Number(value) : value }, form.querySelector('.snooze-custom-submit'));
    });
    slot.replaceChildren(form);
    custom.focus();
  });
  return el('div', { class: 'alarm-actions' },
    el('div', { class: 'button-row' }, ackButton, snoozeButton), slot, msg);
}

// Whether a form of an alarm row is open (a refresh then leaves the rows alone).
export function formOpen(container) {
  return Boolean(container.querySelector('.alarm-form'));
}

// A transition's kind and note as shown: a snooze keeps the status (from == to) and its note is
// "snoozed until <unix time>", shown as a date.
function transitionText(tr) {
  const snooze = /^snoozed until (\d+)$/.exec(tr.note || '');
  if (tr.from === tr.to && snooze) return { kind: 'snoozed', note: t('alarm.until', { time: dateTime(Number(snooze[1])) }) };
  return { kind: tr.to, note: tr.note || '' };
}

// The transitions, newest first: when, which alarm (and meter), from → to, who and the note.
// `ruleNames` maps a rule id to its name when known.
export function historyList(transitions, { showMeter = true, ruleNames = new Map(), id = null } = {}) {
  return el('ol', { class: 'events alarm-history', id },
    ...transitions.map((tr) => {
      const shown = transitionText(tr);
      return el('li', {
        class: `transition to-${tr.to}`,
        dataset: { episode: String(tr.episode), to: tr.to, kind: shown.kind, serial: tr.serial },
      },
      el('time', { datetime: new Date(tr.time * 1000).toISOString(), title: dateTime(tr.time, true) }, dateTime(tr.time)),
      el('span', { class: 'kind' }, word('alarm.status', shown.kind)),
      el('span', { class: 'detail' },
        `#${tr.episode}`,
        ruleNames.has(tr.rule_id) ? ` ${ruleNames.get(tr.rule_id)}` : '',
        showMeter ? ` ${t('alarm.on')} ` : '', showMeter ? meterLink(tr.serial, '') : null,
        tr.from && tr.from !== tr.to ? el('span', { class: 'muted' }, ` (${t('alarm.from', { status: word('alarm.status', tr.from) })})`) : null,
        shown.note ? el('q', { class: 'transition-note' }, shown.note) : null),
      tr.actor ? el('span', { class: 'cause cause-user' }, tr.actor) : null);
    }));
}

// The open alarms in groups by severity (critical first), or `empty` when there are none.
export function alarmGroups(alarms, now, { onChanged, showMeter = true, empty = t('alarms.open.none') }) {
  if (!alarms.length) return [el('p', { class: 'muted alarms-empty' }, empty)];
  const out = [];
  const known = new Set(SEVERITIES);
  for (const severity of [...SEVERITIES, 'other']) {
    const of = alarms.filter((a) => (severity === 'other' ? !known.has(a.severity) : a.severity === severity));
    if (!of.length) continue;
    out.push(el('section', { class: `alarm-group sev-${severity}`, dataset: { severity } },
      el('h3', null, word('severity.heading', severity), ' ', el('span', { class: 'muted' }, `(${of.length})`)),
      el('ul', { class: 'alarms' }, ...of.map((a) => alarmRow(a, now, { onChanged, showMeter })))));
  }
  return out;
}

// A meter page's "Alarms" card, put before its Events card; `refresh()` reloads it. Hidden
// while the meter has no alarm, no history and no rule applies to it.
export function meterAlarms(serial, { isCurrent }) {
  const eventsCard = document.getElementById('events').closest('section');
  let card = document.getElementById('meter-alarms');
  if (!card) {
    card = el('section', { id: 'meter-alarms', class: 'card', 'aria-labelledby': 'meter-alarms-heading' });
    eventsCard.before(card);
  }
  card.hidden = true;
  card.replaceChildren();
  delete card.dataset.loaded;
  const openList = el('div', { class: 'alarm-open' });
  const history = el('div', { class: 'alarm-history-slot' });
  const status = el('p', { class: 'message' });
  card.append(
    el('h2', { id: 'meter-alarms-heading' }, t('alarms.heading'), ' ', el('a', { class: 'small-link', href: '#/alarms' }, t('alarms.all'))),
    openList,
    el('h3', null, t('alarms.meter.history')),
    history,
    status);

  async function refresh() {
    let data;
    try {
      data = await api.get(`api/alarms?serial=${encodeURIComponent(serial)}`);
    } catch (err) {
      if (err.status !== 401 && isCurrent()) message(status, t('alarms.failed', { error: err.message }), true);
      return;
    }
    if (!isCurrent()) return;
    message(status, '', false);
    const alarms = Array.isArray(data.alarms) ? data.alarms : [];
    const transitions = Array.isArray(data.transitions) ? data.transitions : [];
    card.hidden = !(alarms.length || transitions.length || data.rules_apply > 0);
    if (!formOpen(openList)) {
      openList.replaceChildren(...alarmGroups(alarms, data.now, {
        onChanged: () => refresh(), showMeter: false, empty: t('alarms.open.none.meter'),
      }));
    }
    history.replaceChildren(transitions.length
      ? historyList(transitions, { showMeter: false, id: 'meter-alarm-history' })
      : el('p', { class: 'muted' }, t('alarms.history.none')));
    card.dataset.loaded = 'true';
  }
  refresh();
  return { refresh };
}
