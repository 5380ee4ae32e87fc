// What the alarms page (#/alarms) and a meter's page share (docs/api.md, "Alarms"): an open
// alarm as one row (severity, meter, rule, status, raised, acknowledged by and note, snoozed
// until) with Acknowledge (a note in an inline form) and Snooze (1 h, 4 h, 1 d or a typed
// duration) for those who may (can_admin), the history of transitions, and the meter page's
// "Alarms" card (GET /api/alarms?serial=), shown when the meter has alarms, history or a rule
// that applies to it.
import * as api from './api.js';
import { ago, dateTime, el } from './format.js';

export const SEVERITIES = ['critical', 'warning', 'info'];

const STATUS_TEXT = {
  raised: 'raised',
  notified: 'notified',
  acknowledged: 'acknowledged',
  cleared: 'cleared',
};

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
  return el('span', { class: `badge sev sev-${severity}` }, severity);
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
    el('span', { class: `alarm-status status-${status}` }, STATUS_TEXT[status] || status),
    el('span', { class: 'alarm-raised' }, 'raised ', when(a.raised, now)),
  ];
  if (a.acked_by) {
    facts.push(el('span', { class: 'alarm-ack' }, `acknowledged by ${a.acked_by}`,
      a.ack_note ? el('q', { class: 'ack-note' }, a.ack_note) : null));
  }
  if (a.snoozed_until && a.snoozed_until > now) {
    facts.push(el('span', { class: 'alarm-snooze' }, `snoozed until ${dateTime(a.snoozed_until)}`));
  }
  const row = el('li', {
    class: `alarm sev-${a.severity} status-${status}`,
    dataset: { episode: String(a.episode), status, severity: a.severity || '', serial: a.serial },
  },
  el('div', { class: 'alarm-head' },
    severityBadge(a.severity),
    el('strong', { class: 'alarm-rule' }, a.rule || `rule ${a.rule_id}`),
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
      message(msg, what === 'ack' ? 'Acknowledged.' : 'Snoozed.', false);
      onChanged();
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    } finally {
      button.disabled = false;
    }
  };
  const ackButton = el('button', { type: 'button', class: 'small primary alarm-ack-open' }, 'Acknowledge');
  ackButton.disabled = a.status === 'acknowledged';
  ackButton.addEventListener('click', () => {
    const note = el('input', { class: 'ack-note-input', maxlength: 500, autocomplete: 'off', placeholder: 'What is being done (optional)' });
    const submit = el('button', { type: 'submit', class: 'primary ack-submit' }, 'Acknowledge');
    const cancel = el('button', { type: 'button' }, 'Cancel');
    const form = el('form', { class: 'alarm-form ack-form', novalidate: true },
      el('label', null, el('span', null, `Note for alarm #${a.episode}`), note),
      el('div', { class: 'button-row' }, submit, cancel));
    cancel.addEventListener('click', () => slot.replaceChildren());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      post('ack', { note: note.value.trim() }, submit);
    });
    slot.replaceChildren(form);
    note.focus();
  });
  const snoozeButton = el('button', { type: 'button', class: 'small alarm-snooze-open' }, 'Snooze…');
  snoozeButton.addEventListener('click', () => {
    const custom = el('input', { class: 'snooze-custom', autocomplete: 'off', placeholder: 'e.g. 30min, 2h, 3d', size: 10 });
    const form = el('form', { class: 'alarm-form snooze-form', novalidate: true },
      el('span', { class: 'muted' }, 'No notification for '),
      ...[['1h', '1 h'], ['4h', '4 h'], ['1d', '1 d']].map(([value, label]) => {
        const b = el('button', { type: 'button', class: 'small snooze-for', dataset: { for: value } }, label);
        b.addEventListener('click', () => post('snooze', { for: value }, b));
        return b;
      }),
      custom,
      el('button', { type: 'submit', class: 'small snooze-custom-submit' }, 'Snooze'),
      el('button', { type: 'button', class: 'small snooze-cancel' }, 'Cancel'));
    form.querySelector('.snooze-cancel').addEventListener('click', () => slot.replaceChildren());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = custom.value.trim();
      if (!value) {
        message(msg, 'Type how long, e.g. 2h.', true);
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
function transitionText(t) {
  const snooze = /^snoozed until (\d+)$/.exec(t.note || '');
  if (t.from === t.to && snooze) return { kind: 'snoozed', note: `until ${dateTime(Number(snooze[1]))}` };
  return { kind: t.to, note: t.note || '' };
}

// The transitions, newest first: when, which alarm (and meter), from → to, who and the note.
// `ruleNames` maps a rule id to its name when known.
export function historyList(transitions, { showMeter = true, ruleNames = new Map(), id = null } = {}) {
  return el('ol', { class: 'events alarm-history', id },
    ...transitions.map((t) => {
      const shown = transitionText(t);
      return el('li', {
        class: `transition to-${t.to}`,
        dataset: { episode: String(t.episode), to: t.to, kind: shown.kind, serial: t.serial },
      },
      el('time', { datetime: new Date(t.time * 1000).toISOString(), title: dateTime(t.time, true) }, dateTime(t.time)),
      el('span', { class: 'kind' }, shown.kind),
      el('span', { class: 'detail' },
        `#${t.episode}`,
        ruleNames.has(t.rule_id) ? ` ${ruleNames.get(t.rule_id)}` : '',
        showMeter ? ' on ' : '', showMeter ? meterLink(t.serial, '') : null,
        t.from && t.from !== t.to ? el('span', { class: 'muted' }, ` (from ${t.from})`) : null,
        shown.note ? el('q', { class: 'transition-note' }, shown.note) : null),
      t.actor ? el('span', { class: 'cause cause-user' }, t.actor) : null);
    }));
}

// The open alarms in groups by severity (critical first), or `empty` when there are none.
export function alarmGroups(alarms, now, { onChanged, showMeter = true, empty = 'No open alarms.' }) {
  if (!alarms.length) return [el('p', { class: 'muted alarms-empty' }, empty)];
  const out = [];
  const known = new Set(SEVERITIES);
  for (const severity of [...SEVERITIES, 'other']) {
    const of = alarms.filter((a) => (severity === 'other' ? !known.has(a.severity) : a.severity === severity));
    if (!of.length) continue;
    out.push(el('section', { class: `alarm-group sev-${severity}`, dataset: { severity } },
      el('h3', null, `${severity[0].toUpperCase()}${severity.slice(1)} `, el('span', { class: 'muted' }, `(${of.length})`)),
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
    el('h2', { id: 'meter-alarms-heading' }, 'Alarms ', el('a', { class: 'small-link', href: '#/alarms' }, 'all alarms')),
    openList,
    el('h3', null, 'History'),
    history,
    status);

  async function refresh() {
    let data;
    try {
      data = await api.get(`api/alarms?serial=${encodeURIComponent(serial)}`);
    } catch (err) {
      if (err.status !== 401 && isCurrent()) message(status, `Cannot load the alarms: ${err.message}`, true);
      return;
    }
    if (!isCurrent()) return;
    message(status, '', false);
    const alarms = Array.isArray(data.alarms) ? data.alarms : [];
    const transitions = Array.isArray(data.transitions) ? data.transitions : [];
    card.hidden = !(alarms.length || transitions.length || data.rules_apply > 0);
    if (!formOpen(openList)) {
      openList.replaceChildren(...alarmGroups(alarms, data.now, {
        onChanged: () => refresh(), showMeter: false, empty: 'No open alarms for this meter.',
      }));
    }
    history.replaceChildren(transitions.length
      ? historyList(transitions, { showMeter: false, id: 'meter-alarm-history' })
      : el('p', { class: 'muted' }, 'No alarms so far.'));
    card.dataset.loaded = 'true';
  }
  refresh();
  return { refresh };
}
