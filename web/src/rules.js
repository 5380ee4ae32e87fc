// #/rules (admins): the alarm rules (GET /api/alarm-rules, docs/api.md "Alarms") with their
// group, text, severity, recipients and channels; enabling, disabling and removing (a second
// click confirms) for the admins of a rule's group; a built-in template applied to a group; the
// editor for a new rule or an existing one (the text checked as typed by POST
// /api/alarm-rules/check: its canonical form, or the error marked at its column); and "Try it",
// the backtest of the text over a meter's stored data (POST /api/alarm-rules/test). The rule
// language is in docs/alarms.md; the page shows a short cheat-sheet.
import * as api from './api.js';
import { session } from './session.js';
import { DASH, dateTime, el, viewSection } from './format.js';

const $ = (id) => document.getElementById(id);
const CHECK_DEBOUNCE_MS = 300;
const RECIPIENTS = [['operators', 'the group\'s operators'], ['customer', 'the meter\'s customer']];

let mounted = 0;

function message(node, text, isError) {
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
  node.classList.toggle('ok', !isError && Boolean(text));
}

function field(label, input, cls = null) {
  return el('label', { class: cls }, el('span', null, label), input);
}

// Seconds as the shortest duration the server reads back: 600 -> "10min", 7200 -> "2h".
export function durationText(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return '';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]]) {
    if (s % size === 0) return `${s / size}${unit}`;
  }
  return `${s}s`;
}

const listText = (list, none) => (Array.isArray(list) && list.length ? list.join(', ') : none);

const section = () => viewSection('rules-page');

// "column 14: expected ..." -> 14 (null without a column).
function errorColumn(text) {
  const m = /column (\d+)/.exec(text || '');
  return m ? Number(m[1]) : null;
}

// The rule as typed with a caret under the column the error names.
function errorMarker(rule, column) {
  if (!column) return null;
  const line = rule.replace(/\s/g, ' ');
  return el('pre', { class: 'rule-caret', 'aria-hidden': 'true' },
    `${line}\n${' '.repeat(Math.max(0, column - 1))}^`);
}

function cheatSheet() {
  const row = (term, meaning) => el('tr', null, el('td', null, el('code', null, term)), el('td', null, meaning));
  return el('details', { class: 'card cheat-sheet', id: 'rule-cheat-sheet' },
    el('summary', null, 'The rule language in short'),
    el('div', { class: 'table-scroll' }, el('table', { class: 'data' }, el('tbody', null,
      row('t1 t2 t3 tdif', 'temperatures (median of the last 3 samples), e.g. t1 > 95 C'),
      row('flow1 effect1 e1 v1 hr', 'flow, power, energy, volume, hour counter'),
      row('median(t1, 5)', 'the median of another number of samples'),
      row('delta(e1, 24 h)', 'the newest value minus the value that long ago'),
      row('rate(e1, 1 h)', 'that delta per hour (kW for e1, m3/h for v1)'),
      row('age', 'time since the newest sample, e.g. age > 30 min'),
      row('credit_kwh, days_left', 'prepaid credit left and the days it lasts'),
      row('valve == closed', 'the valve: open, closed or unknown'),
      row('… for 10 min', 'true for at least that long'),
      row('and, or, not, ( )', 'combine conditions'),
      row('s min h d · kWh MWh · m3 l · C · m3/h l/h · kW W', 'units (a space between number and unit)')))),
    el('p', { class: 'muted' }, 'Unknown values never raise an alarm. The whole language, the lifecycle and the templates: docs/alarms.md.'));
}

export function mount() {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = 'Alarm rules · MeterLogger';
  const tbody = el('tbody');
  const listMsg = el('p', { class: 'message', id: 'rules-message' });
  let data = { rules: [], templates: [], channel_names: [] };

  // ---- the editor -----------------------------------------------------------------------
  const edName = el('input', { id: 're-name', maxlength: 100, autocomplete: 'off' });
  const edGroup = el('input', { id: 're-group', maxlength: 100, autocomplete: 'off', placeholder: 'empty: every group', list: 're-groups' });
  const edRule = el('textarea', { id: 're-rule', rows: 2, maxlength: 1000, spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. flow1 > 0 m3/h for 5 min and valve == closed for 10 min' });
  const edSeverity = el('select', { id: 're-severity' }, ...['critical', 'warning', 'info'].map((s) => el('option', { value: s, selected: s === 'warning' }, s)));
  const edQuiet = el('input', { id: 're-quiet', maxlength: 20, autocomplete: 'off', placeholder: 'e.g. 22:00-07:00' });
  const edSettle = el('input', { id: 're-settle', maxlength: 20, autocomplete: 'off', placeholder: '10min' });
  const edRepeat = el('input', { id: 're-repeat', maxlength: 20, autocomplete: 'off', placeholder: '1h' });
  const toBoxes = el('div', { class: 'checks', id: 're-to' }, ...RECIPIENTS.map(([value, label]) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: 're-to', value, checked: value === 'operators' }), el('span', null, label))));
  const channelBoxes = el('div', { class: 'checks', id: 're-channels' });
  const checkOut = el('div', { id: 're-check', class: 'rule-check', 'aria-live': 'polite' });
  const edMsg = el('p', { id: 're-message', class: 'message', 'aria-live': 'polite' });
  const edTitle = el('h2', { id: 're-title' }, 'New rule');
  const edSave = el('button', { type: 'submit', id: 're-save', class: 'primary' }, 'Add rule');
  const edCancel = el('button', { type: 'button', id: 're-cancel', hidden: true }, 'Cancel editing');
  let editing = null; // the rule being edited, null: a new one

  function renderChannels(selected) {
    const names = Array.isArray(data.channel_names) ? data.channel_names : [];
    channelBoxes.replaceChildren(...names.map((n) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 're-channel', value: n, checked: selected.includes(n) }), el('span', null, n))));
    if (!names.length) channelBoxes.append(el('span', { class: 'muted' }, 'every channel of [notify]'));
  }

  function fillEditor(rule) {
    editing = rule;
    edTitle.textContent = rule ? `Edit rule #${rule.id} ${rule.name}` : 'New rule';
    edSave.textContent = rule ? 'Save rule' : 'Add rule';
    edCancel.hidden = !rule;
    edName.value = rule ? rule.name : '';
    edGroup.value = rule ? rule.group : '';
    edRule.value = rule ? rule.rule : '';
    edSeverity.value = rule ? rule.severity : 'warning';
    edQuiet.value = rule ? rule.quiet || '' : '';
    edSettle.value = rule ? durationText(rule.settle_s) : '';
    edRepeat.value = rule ? durationText(rule.repeat_s) : '';
    const to = rule && Array.isArray(rule.to) ? rule.to : ['operators'];
    for (const box of toBoxes.querySelectorAll('input')) box.checked = to.includes(box.value);
    renderChannels(rule && Array.isArray(rule.channels) ? rule.channels : []);
    message(edMsg, '', false);
    checkNow();
  }

  let checkTimer = 0;
  let checkSeq = 0;
  async function checkNow() {
    const text = edRule.value;
    const seq = ++checkSeq;
    if (!text.trim()) {
      checkOut.replaceChildren();
      delete checkOut.dataset.state;
      return;
    }
    try {
      const r = await api.post('api/alarm-rules/check', { rule: text });
      if (seq !== checkSeq || token !== mounted) return;
      checkOut.dataset.state = 'ok';
      checkOut.replaceChildren(el('span', { class: 'ok' }, '✓ reads as '), el('code', { id: 're-canonical' }, r.rule));
    } catch (err) {
      if (seq !== checkSeq || token !== mounted || err.status === 401) return;
      checkOut.dataset.state = 'error';
      checkOut.replaceChildren(el('p', { class: 'message error', id: 're-error' }, err.message), errorMarker(text, errorColumn(err.message)) || '');
    }
  }
  edRule.addEventListener('input', () => {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkNow, CHECK_DEBOUNCE_MS);
  });
  edCancel.addEventListener('click', () => fillEditor(null));

  const editor = el('form', { id: 'rule-editor', class: 'card', novalidate: true },
    edTitle,
    el('div', { class: 'form-grid' },
      field('Name', edName), field('Group', edGroup), field('Severity', edSeverity),
      field('Rule', edRule, 'wide'),
      el('div', { class: 'wide' }, checkOut),
      field('Quiet hours', edQuiet), field('Settle (clears after)', edSettle), field('Repeat (first after)', edRepeat),
      el('fieldset', { class: 'wide' }, el('legend', null, 'Notify'), toBoxes),
      el('fieldset', { class: 'wide' }, el('legend', null, 'Channels (none ticked: every channel)'), channelBoxes)),
    el('div', { class: 'button-row' }, edSave, edCancel),
    edMsg);
  editor.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: edName.value.trim(),
      group: edGroup.value.trim(),
      rule: edRule.value.trim(),
      severity: edSeverity.value,
      quiet: edQuiet.value.trim(),
      to: [...toBoxes.querySelectorAll('input:checked')].map((b) => b.value),
      channels: [...channelBoxes.querySelectorAll('input:checked')].map((b) => b.value),
    };
    if (edSettle.value.trim()) body.settle = edSettle.value.trim();
    if (edRepeat.value.trim()) body.repeat = edRepeat.value.trim();
    edSave.disabled = true;
    try {
      const r = await api.post(editing ? `api/alarm-rules/${editing.id}` : 'api/alarm-rules', body);
      const done = editing ? `Rule #${editing.id} is saved.` : `Rule #${r && r.id} is added.`;
      if (!editing) fillEditor(null); // ready for the next one
      message(edMsg, done, false);
      load();
    } catch (err) {
      if (err.status !== 401) message(edMsg, err.message, true);
    } finally {
      edSave.disabled = false;
    }
  });

  // ---- try it (the backtest) ------------------------------------------------------------
  const isoLocal = (t) => {
    const d = new Date(t * 1000);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };
  const nowS = Math.floor(Date.now() / 1000);
  const trySerial = el('input', { id: 'try-serial', inputmode: 'numeric', autocomplete: 'off', placeholder: 'e.g. 6892850' });
  const tryFrom = el('input', { id: 'try-from', type: 'datetime-local', value: isoLocal(nowS - 7 * 86400) });
  const tryUntil = el('input', { id: 'try-until', type: 'datetime-local', value: isoLocal(nowS) });
  const tryOut = el('div', { id: 'try-result', 'aria-live': 'polite' });
  const tryMsg = el('p', { id: 'try-message', class: 'message' });
  const tryForm = el('form', { id: 'try-form', class: 'card', novalidate: true },
    el('h2', null, 'Try it'),
    el('p', { class: 'muted' }, 'Replays the editor\'s rule over a meter\'s stored samples, minute by minute, and lists when it would have raised, notified and cleared. Nothing is stored or sent.'),
    el('div', { class: 'form-grid' }, field('Meter', trySerial), field('From', tryFrom), field('Until', tryUntil)),
    el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'try-run', class: 'primary' }, 'Try it')),
    tryMsg, tryOut);
  tryForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const from = Math.floor(new Date(tryFrom.value).getTime() / 1000);
    const until = Math.floor(new Date(tryUntil.value).getTime() / 1000);
    if (!edRule.value.trim() || !trySerial.value.trim() || !Number.isFinite(from) || !Number.isFinite(until)) {
      message(tryMsg, 'Write a rule in the editor, then give a meter and the times.', true);
      return;
    }
    message(tryMsg, 'Replaying…', false);
    tryOut.replaceChildren();
    try {
      const body = { rule: edRule.value.trim(), serial: trySerial.value.trim(), from, until, severity: edSeverity.value };
      if (edQuiet.value.trim()) body.quiet = edQuiet.value.trim();
      if (edSettle.value.trim()) body.settle = edSettle.value.trim();
      if (edRepeat.value.trim()) body.repeat = edRepeat.value.trim();
      const r = await api.post('api/alarm-rules/test', body);
      const events = Array.isArray(r.events) ? r.events : [];
      message(tryMsg, events.length ? `${events.length} ${events.length === 1 ? 'change' : 'changes'} between ${dateTime(r.from ?? from)} and ${dateTime(r.until ?? until)}.`
        : 'The rule would not have fired in this time.', false);
      // Each event: its minute, the statuses the alarm went to, and the notification it sent.
      const statuses = (ev) => (Array.isArray(ev.transitions) ? ev.transitions : [])
        .map((t) => (t && typeof t === 'object' ? t.to : String(t))).join(', ');
      tryOut.replaceChildren(el('ol', { class: 'events', id: 'try-events' }, ...events.map((ev) => el('li', {
        class: 'try-event', dataset: { notify: ev.notify || '' },
      },
      el('time', null, dateTime(ev.time)),
      el('span', { class: 'kind' }, statuses(ev) || DASH),
      el('span', { class: 'detail' }, ev.notify ? `notifies: ${ev.notify}` : '')))));
    } catch (err) {
      if (err.status !== 401) message(tryMsg, err.message, true);
    }
  });

  // ---- apply a template -----------------------------------------------------------------
  const tplSelect = el('select', { id: 'tpl-name' });
  const tplGroup = el('input', { id: 'tpl-group', maxlength: 100, autocomplete: 'off', list: 're-groups', placeholder: 'e.g. Loppen' });
  const tplInfo = el('p', { id: 'tpl-info', class: 'muted' });
  const tplMsg = el('p', { id: 'tpl-message', class: 'message', 'aria-live': 'polite' });
  const tplForm = el('form', { id: 'template-form', class: 'card', novalidate: true },
    el('h2', null, 'Apply a template to a group'),
    el('div', { class: 'form-grid' }, field('Template', tplSelect), field('Group', tplGroup),
      el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'tpl-apply', class: 'primary' }, 'Apply'))),
    tplInfo, tplMsg);
  const showTemplate = () => {
    const t = (data.templates || []).find((x) => x.name === tplSelect.value);
    tplInfo.replaceChildren(...(t ? [el('code', null, t.rule), ` (${t.severity}) ${t.description || ''}`] : []));
  };
  tplSelect.addEventListener('change', showTemplate);
  tplForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api.post('api/alarm-rules', { template: tplSelect.value, group: tplGroup.value.trim() });
      message(tplMsg, `Rule #${r.id} ${r.name} is added for ${r.group || 'every group'}.`, false);
      load();
    } catch (err) {
      if (err.status !== 401) message(tplMsg, err.message, true);
    }
  });

  // ---- the table ------------------------------------------------------------------------
  function ruleRow(rule) {
    const actions = el('td', { class: 'actions' });
    const msg = el('span', { class: 'message row-message' });
    const enabled = el('input', { type: 'checkbox', class: 'rule-enabled', checked: rule.enabled, disabled: !rule.can_admin, 'aria-label': `Rule ${rule.name} enabled` });
    const act = async (path, body) => {
      try {
        await api.post(`api/alarm-rules/${rule.id}/${path}`, body);
        load();
      } catch (err) {
        if (err.status !== 401) message(msg, err.message, true);
        load();
      }
    };
    enabled.addEventListener('change', () => act('enable', { enabled: enabled.checked }));
    if (rule.can_admin) {
      const edit = el('button', { type: 'button', class: 'small rule-edit' }, 'Edit');
      edit.addEventListener('click', () => {
        fillEditor(rule);
        editor.scrollIntoView({ block: 'start' });
        edName.focus();
      });
      const remove = el('button', { type: 'button', class: 'small danger rule-remove' }, 'Remove');
      remove.addEventListener('click', () => {
        if (remove.dataset.armed !== 'true') {
          remove.dataset.armed = 'true';
          remove.textContent = `Really remove ${rule.name}?`;
          return;
        }
        act('remove', {});
      });
      actions.append(edit, ' ', remove, ' ');
    }
    actions.append(msg);
    return el('tr', { class: `rule${rule.enabled ? '' : ' disabled'}`, dataset: { id: String(rule.id), name: rule.name } },
      el('td', { class: 'name' }, rule.name, rule.template ? el('div', { class: 'muted' }, `from ${rule.template}`) : null),
      el('td', { class: 'group' }, rule.group || el('span', { class: 'muted' }, 'every group')),
      el('td', { class: 'rule-text' }, el('code', null, rule.rule),
        el('div', { class: 'muted rule-timing' }, `settle ${durationText(rule.settle_s) || DASH}, repeat ${durationText(rule.repeat_s) || DASH}${rule.quiet ? `, quiet ${rule.quiet}` : ''}`)),
      el('td', null, el('span', { class: `badge sev sev-${rule.severity}` }, rule.severity)),
      el('td', { class: 'to' }, listText(rule.to, 'operators')),
      el('td', { class: 'channels' }, listText(rule.channels, 'all')),
      el('td', { class: 'enabled' }, el('label', { class: 'check' }, enabled, el('span', null, rule.enabled ? 'on' : 'off'))),
      actions);
  }

  async function load() {
    try {
      const r = await api.get('api/alarm-rules');
      if (token !== mounted) return;
      data = r;
      const rules = Array.isArray(r.rules) ? r.rules : [];
      tbody.replaceChildren(...rules.map(ruleRow));
      $('rules-empty').hidden = rules.length > 0;
      const current = tplSelect.value;
      tplSelect.replaceChildren(...(r.templates || []).map((t) => el('option', { value: t.name, selected: t.name === current }, t.name)));
      showTemplate();
      if (!editing) renderChannels([...channelBoxes.querySelectorAll('input:checked')].map((b) => b.value));
      page.dataset.loaded = String(Date.now());
    } catch (err) {
      if (token === mounted && err.status !== 401) message(listMsg, err.message, true);
    }
  }

  const groups = session.groups.filter((g) => g !== '*');
  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/alarms' }, '← Alarms')),
    el('div', { class: 'title-row' }, el('h1', null, 'Alarm rules')),
    el('datalist', { id: 're-groups' }, ...groups.map((g) => el('option', { value: g }))),
    el('section', { class: 'card' },
      el('div', { class: 'table-scroll' },
        el('table', { id: 'rules', class: 'data' },
          el('thead', null, el('tr', null, el('th', null, 'Name'), el('th', null, 'Group'), el('th', null, 'Rule'),
            el('th', null, 'Severity'), el('th', null, 'Notify'), el('th', null, 'Channels'), el('th', null, 'Enabled'), el('th', null, ''))),
          tbody)),
      el('p', { id: 'rules-empty', class: 'muted', hidden: true }, 'No rules yet: apply a template or write one below.'),
      listMsg),
    tplForm,
    editor,
    tryForm,
    cheatSheet());
  fillEditor(null);
  load();
}

export function unmount() {
  mounted += 1;
  const page = $('rules-page');
  if (page) {
    page.hidden = true;
    delete page.dataset.loaded;
  }
}
