// #/rules (admins): the alarm rules (GET /api/alarm-rules, docs/api.md "Alarms") with their
// group, text, severity, recipients and channels; enabling, disabling and removing (a second
// click confirms) for the admins of a rule's group; a built-in template applied to a group; the
// editor for a new rule or an existing one (the text checked as typed by POST
// /api/alarm-rules/check: its canonical form, or the error marked at its column); and "Try it",
// the backtest of the text over a meter's stored data (POST /api/alarm-rules/test). The rule
// language is in docs/alarms.md; the page shows a short cheat-sheet.
import * as api from './api.js';
import { session } from './session.js';
import { t } from './i18n.js';
import { DASH, dateTime, el, plural, viewSection, word } from './format.js';

const $ = (id) => document.getElementById(id);
const CHECK_DEBOUNCE_MS = 300;
const RECIPIENTS = ['operators', 'customer']; // each named by "rules.to.NAME"

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

// The language's terms (as the rule text writes them) and what each means (the catalogue's
// "rules.sheet.N").
const SHEET = ['t1 t2 t3 tdif', 'flow1 effect1 e1 v1 hr', 'median(t1, 5)', 'delta(e1, 24 h)', 'rate(e1, 1 h)', 'age',
  'credit_kwh, days_left', 'valve == closed', '… for 10 min', 'and, or, not, ( )',
  's min h d · kWh MWh · m3 l · C · m3/h l/h · kW W'];

function cheatSheet() {
  const row = (term, meaning) => el('tr', null, el('td', null, el('code', null, term)), el('td', null, meaning));
  return el('details', { class: 'card cheat-sheet', id: 'rule-cheat-sheet' },
    el('summary', null, t('rules.sheet')),
    el('div', { class: 'table-scroll' }, el('table', { class: 'data' }, el('tbody', null,
      ...SHEET.map((term, i) => row(term, t(`rules.sheet.${i + 1}`)))))),
    el('p', { class: 'muted' }, t('rules.sheet.more')));
}

export function mount() {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('rules.heading')} · MeterLogger`;
  const tbody = el('tbody');
  const listMsg = el('p', { class: 'message', id: 'rules-message' });
  let data = { rules: [], templates: [], channel_names: [] };

  // ---- the editor -----------------------------------------------------------------------
  const edName = el('input', { id: 're-name', maxlength: 100, autocomplete: 'off' });
  const edGroup = el('input', { id: 're-group', maxlength: 100, autocomplete: 'off', placeholder: t('rules.group.hint'), list: 're-groups' });
  const edRule = el('textarea', { id: 're-rule', rows: 2, maxlength: 1000, spellcheck: 'false', autocomplete: 'off', placeholder: t('rules.rule.hint') });
  const edSeverity = el('select', { id: 're-severity' }, ...['critical', 'warning', 'info'].map((s) => el('option', { value: s, selected: s === 'warning' }, word('severity', s))));
  const edQuiet = el('input', { id: 're-quiet', maxlength: 20, autocomplete: 'off', placeholder: t('rules.quiet.hint') });
  const edSettle = el('input', { id: 're-settle', maxlength: 20, autocomplete: 'off', placeholder: '10min' });
  const edRepeat = el('input', { id: 're-repeat', maxlength: 20, autocomplete: 'off', placeholder: '1h' });
  const toBoxes = el('div', { class: 'checks', id: 're-to' }, ...RECIPIENTS.map((value) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: 're-to', value, checked: value === 'operators' }), el('span', null, t(`rules.to.${value}`)))));
  const channelBoxes = el('div', { class: 'checks', id: 're-channels' });
  const checkOut = el('div', { id: 're-check', class: 'rule-check', 'aria-live': 'polite' });
  const edMsg = el('p', { id: 're-message', class: 'message', 'aria-live': 'polite' });
  const edTitle = el('h2', { id: 're-title' }, t('rules.new'));
  const edSave = el('button', { type: 'submit', id: 're-save', class: 'primary' }, t('rules.add'));
  const edCancel = el('button', { type: 'button', id: 're-cancel', hidden: true }, t('rules.cancel'));
  let editing = null; // the rule being edited, null: a new one

  function renderChannels(selected) {
    const names = Array.isArray(data.channel_names) ? data.channel_names : [];
    channelBoxes.replaceChildren(...names.map((n) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 're-channel', value: n, checked: selected.includes(n) }), el('span', null, n))));
    if (!names.length) channelBoxes.append(el('span', { class: 'muted' }, t('rules.channels.all')));
  }

  function fillEditor(rule) {
    editing = rule;
    edTitle.textContent = rule ? t('rules.edit', { id: rule.id, name: rule.name }) : t('rules.new');
    edSave.textContent = t(rule ? 'rules.save' : 'rules.add');
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
      checkOut.replaceChildren(el('span', { class: 'ok' }, `✓ ${t('rules.reads_as')} `), el('code', { id: 're-canonical' }, r.rule));
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
      field(t('rules.name'), edName), field(t('rules.group'), edGroup), field(t('rules.severity'), edSeverity),
      field(t('rules.rule'), edRule, 'wide'),
      el('div', { class: 'wide' }, checkOut),
      field(t('rules.quiet'), edQuiet), field(t('rules.settle'), edSettle), field(t('rules.repeat'), edRepeat),
      el('fieldset', { class: 'wide' }, el('legend', null, t('rules.to')), toBoxes),
      el('fieldset', { class: 'wide' }, el('legend', null, t('rules.channels')), channelBoxes)),
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
      const done = editing ? t('rules.saved', { id: editing.id }) : t('rules.added', { id: r && r.id });
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
  const trySerial = el('input', { id: 'try-serial', inputmode: 'numeric', autocomplete: 'off', placeholder: t('rules.try.meter.hint') });
  const tryFrom = el('input', { id: 'try-from', type: 'datetime-local', value: isoLocal(nowS - 7 * 86400) });
  const tryUntil = el('input', { id: 'try-until', type: 'datetime-local', value: isoLocal(nowS) });
  const tryOut = el('div', { id: 'try-result', 'aria-live': 'polite' });
  const tryMsg = el('p', { id: 'try-message', class: 'message' });
  const tryForm = el('form', { id: 'try-form', class: 'card', novalidate: true },
    el('h2', null, t('rules.try')),
    el('p', { class: 'muted' }, t('rules.try.intro')),
    el('div', { class: 'form-grid' }, field(t('rules.try.meter'), trySerial), field(t('rules.try.from'), tryFrom), field(t('rules.try.until'), tryUntil)),
    el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'try-run', class: 'primary' }, t('rules.try'))),
    tryMsg, tryOut);
  tryForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const from = Math.floor(new Date(tryFrom.value).getTime() / 1000);
    const until = Math.floor(new Date(tryUntil.value).getTime() / 1000);
    if (!edRule.value.trim() || !trySerial.value.trim() || !Number.isFinite(from) || !Number.isFinite(until)) {
      message(tryMsg, t('rules.try.missing'), true);
      return;
    }
    message(tryMsg, t('rules.try.busy'), false);
    tryOut.replaceChildren();
    try {
      const body = { rule: edRule.value.trim(), serial: trySerial.value.trim(), from, until, severity: edSeverity.value };
      if (edQuiet.value.trim()) body.quiet = edQuiet.value.trim();
      if (edSettle.value.trim()) body.settle = edSettle.value.trim();
      if (edRepeat.value.trim()) body.repeat = edRepeat.value.trim();
      const r = await api.post('api/alarm-rules/test', body);
      const events = Array.isArray(r.events) ? r.events : [];
      message(tryMsg, events.length ? plural('rules.try.changes', events.length, { from: dateTime(r.from ?? from), until: dateTime(r.until ?? until) })
        : t('rules.try.none'), false);
      // Each event: its minute, the statuses the alarm went to, and the notification it sent.
      const statuses = (ev) => (Array.isArray(ev.transitions) ? ev.transitions : [])
        .map((tr) => word('alarm.status', tr && typeof tr === 'object' ? tr.to : String(tr))).join(', ');
      tryOut.replaceChildren(el('ol', { class: 'events', id: 'try-events' }, ...events.map((ev) => el('li', {
        class: 'try-event', dataset: { notify: ev.notify || '' },
      },
      el('time', null, dateTime(ev.time)),
      el('span', { class: 'kind' }, statuses(ev) || DASH),
      el('span', { class: 'detail' }, ev.notify ? t('rules.try.notifies', { notify: ev.notify }) : '')))));
    } catch (err) {
      if (err.status !== 401) message(tryMsg, err.message, true);
    }
  });

  // ---- apply a template -----------------------------------------------------------------
  const tplSelect = el('select', { id: 'tpl-name' });
  const tplGroup = el('input', { id: 'tpl-group', maxlength: 100, autocomplete: 'off', list: 're-groups', placeholder: t('rules.template.group.hint') });
  const tplInfo = el('p', { id: 'tpl-info', class: 'muted' });
  const tplMsg = el('p', { id: 'tpl-message', class: 'message', 'aria-live': 'polite' });
  const tplForm = el('form', { id: 'template-form', class: 'card', novalidate: true },
    el('h2', null, t('rules.template.heading')),
    el('div', { class: 'form-grid' }, field(t('rules.template'), tplSelect), field(t('rules.group'), tplGroup),
      el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'tpl-apply', class: 'primary' }, t('rules.template.apply')))),
    tplInfo, tplMsg);
  const showTemplate = () => {
    const tpl = (data.templates || []).find((x) => x.name === tplSelect.value);
    tplInfo.replaceChildren(...(tpl ? [el('code', null, tpl.rule), ` (${word('severity', tpl.severity)}) ${tpl.description || ''}`] : []));
  };
  tplSelect.addEventListener('change', showTemplate);
  tplForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api.post('api/alarm-rules', { template: tplSelect.value, group: tplGroup.value.trim() });
      message(tplMsg, t('rules.template.added', { id: r.id, name: r.name, group: r.group || t('rules.group.every') }), false);
      load();
    } catch (err) {
      if (err.status !== 401) message(tplMsg, err.message, true);
    }
  });

  // ---- the table ------------------------------------------------------------------------
  function ruleRow(rule) {
    const actions = el('td', { class: 'actions' });
    const msg = el('span', { class: 'message row-message' });
    const enabled = el('input', { type: 'checkbox', class: 'rule-enabled', checked: rule.enabled, disabled: !rule.can_admin, 'aria-label': t('rules.enabled.label', { name: rule.name }) });
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
      const edit = el('button', { type: 'button', class: 'small rule-edit' }, t('rules.edit.button'));
      edit.addEventListener('click', () => {
        fillEditor(rule);
        editor.scrollIntoView({ block: 'start' });
        edName.focus();
      });
      const remove = el('button', { type: 'button', class: 'small danger rule-remove' }, t('remove'));
      remove.addEventListener('click', () => {
        if (remove.dataset.armed !== 'true') {
          remove.dataset.armed = 'true';
          remove.textContent = t('remove.really', { name: rule.name });
          return;
        }
        act('remove', {});
      });
      actions.append(edit, ' ', remove, ' ');
    }
    actions.append(msg);
    return el('tr', { class: `rule${rule.enabled ? '' : ' disabled'}`, dataset: { id: String(rule.id), name: rule.name } },
      el('td', { class: 'name' }, rule.name, rule.template ? el('div', { class: 'muted' }, t('rules.from_template', { template: rule.template })) : null),
      el('td', { class: 'group' }, rule.group || el('span', { class: 'muted' }, t('rules.group.every'))),
      el('td', { class: 'rule-text' }, el('code', null, rule.rule),
        el('div', { class: 'muted rule-timing' }, t('rules.timing', { settle: durationText(rule.settle_s) || DASH, repeat: durationText(rule.repeat_s) || DASH }),
          rule.quiet ? `, ${t('rules.timing.quiet', { quiet: rule.quiet })}` : '')),
      el('td', null, el('span', { class: `badge sev sev-${rule.severity}` }, word('severity', rule.severity))),
      el('td', { class: 'to' }, listText((rule.to || []).map((to) => word('rules.recipient', to)), t('rules.recipient.operators'))),
      el('td', { class: 'channels' }, listText(rule.channels, t('rules.channels.every'))),
      el('td', { class: 'enabled' }, el('label', { class: 'check' }, enabled, el('span', null, t(rule.enabled ? 'rules.on' : 'rules.off')))),
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
    el('nav', { class: 'crumbs' }, el('a', { href: '#/alarms' }, t('crumb.alarms'))),
    el('div', { class: 'title-row' }, el('h1', null, t('rules.heading'))),
    el('datalist', { id: 're-groups' }, ...groups.map((g) => el('option', { value: g }))),
    el('section', { class: 'card' },
      el('div', { class: 'table-scroll' },
        el('table', { id: 'rules', class: 'data' },
          el('thead', null, el('tr', null, el('th', null, t('rules.name')), el('th', null, t('rules.group')), el('th', null, t('rules.rule')),
            el('th', null, t('rules.severity')), el('th', null, t('rules.to')), el('th', null, t('rules.channels.col')), el('th', null, t('rules.enabled')),
            el('th', null, ''))),
          tbody)),
      el('p', { id: 'rules-empty', class: 'muted', hidden: true }, t('rules.none')),
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
