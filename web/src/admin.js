// Admin parts of a meter's page and the "add a meter" page (#/meters/new), for admins of the
// meter's group (docs/api.md): the settings form (POST /api/meters/{serial}/settings, with the
// customer's contact), a new key
// shown once with how to put it on the device, removal after typing the serial
// (POST /api/meters/{serial}/remove), and voiding or correcting a payment with a reason
// (POST /api/payments/{id}/void|correct). A key is only ever in the answer that made it: the
// page shows it until it is left and never fetches it again.
import * as api from './api.js';
import { session } from './session.js';
import { t } from './i18n.js';
import { el, dateTime, longDateTime, viewSection, word } from './format.js';

const KINDS = ['heat', 'water', 'electricity'];

const $ = (id) => document.getElementById(id);

export function message(node, text, isError) {
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
  node.classList.toggle('ok', !isError && Boolean(text));
}

export function field(label, input, wide = false) {
  return el('label', { class: wide ? 'wide' : null }, el('span', null, label), input);
}

function kindSelect(id, value) {
  const select = el('select', { id, name: 'kind' });
  for (const k of KINDS) select.append(el('option', { value: k, selected: k === value }, word('kind', k)));
  return select;
}

// The key, once, with the steps that put it on the gateway (docs/agent.md: the meter's `key` or
// `key_file` in agent.toml, then a reload). The setup page (docs/setup-page.md) does not take
// keys: it only shows whether the meter's samples get through after the reload.
export function keyPanel(serial, key) {
  const file = `/etc/meterlogger/${serial}.key`;
  return el('div', { class: 'key-once', id: 'key-once', role: 'status' },
    el('h3', null, t('key.heading')),
    el('p', null, t('key.copy')),
    el('code', { class: 'key', id: 'key-value' }, key),
    el('ol', { class: 'steps' },
      el('li', null, t('key.step.file'), ' ',
        el('code', null, `echo ${key} > ${file} && chmod 600 ${file}`)),
      el('li', null, t('key.step.toml'), ' ',
        el('code', null, `serial = "${serial}"`), ` ${t('and')} `, el('code', null, `key_file = "${file}"`),
        ` (${t('or')} `, el('code', null, 'key = "…"'), ` ${t('key.step.inline')}).`),
      el('li', null, t('key.step.check'), ' ', el('code', null, 'meterlogger agent --check'), `, ${t('then')} `,
        el('code', null, 'systemctl reload meterlogger-agent'), '.'),
      el('li', null, t('key.step.until'))));
}

// ---------------------------------------------------------------------------------------------
// The meter's settings card

export function renderMeterAdmin(slot, meter, { onSaved, onRemoved }) {
  if (!meter.can_admin) {
    slot.replaceChildren();
    return;
  }
  if ($('meter-settings-form') && slot.dataset.serial === meter.serial) return; // keep what is typed
  slot.dataset.serial = meter.serial;
  const name = el('input', { id: 'set-name', value: meter.name || '', maxlength: 200, autocomplete: 'off' });
  const group = el('input', { id: 'set-group', value: meter.group || '', maxlength: 100, autocomplete: 'off' });
  const kind = kindSelect('set-kind', meter.kind || 'heat');
  const setup = el('input', { id: 'set-setup', value: meter.setup_value || '0', inputmode: 'decimal', autocomplete: 'off' });
  const valve = el('input', { id: 'set-valve', type: 'checkbox', checked: Boolean(meter.valve_installed) });
  // The customer's contact (the customer's notices go there; docs/api.md, meter settings).
  const contactName = el('input', { id: 'set-contact-name', value: meter.contact_name || '', maxlength: 200, autocomplete: 'off' });
  const contactEmail = el('input', { id: 'set-contact-email', type: 'email', value: meter.contact_email || '', maxlength: 200, autocomplete: 'off' });
  const contactPhone = el('input', { id: 'set-contact-phone', type: 'tel', value: meter.contact_phone || '', maxlength: 20, autocomplete: 'off', placeholder: '+4512345678' });
  const msg = el('p', { id: 'set-message', class: 'message', 'aria-live': 'polite' });
  const keySlot = el('div', { id: 'key-slot' });
  const form = el('form', { id: 'meter-settings-form', class: 'settings-form', novalidate: true },
    el('h3', null, t('settings.heading')),
    el('div', { class: 'form-grid' },
      field(t('settings.name'), name, true), field(t('settings.group'), group), field(t('settings.kind'), kind),
      field(t('settings.setup'), setup),
      el('label', { class: 'check' }, valve, el('span', null, t('settings.valve'))),
      field(t('settings.customer'), contactName), field(t('settings.customer.email'), contactEmail), field(t('settings.customer.phone'), contactPhone)),
    el('div', { class: 'button-row' },
      el('button', { type: 'submit', id: 'set-save', class: 'primary' }, t('save')),
      el('button', { type: 'button', id: 'set-new-key' }, t('key.new')),
      el('button', { type: 'button', id: 'set-change-key', title: t('key.change.title') },
        t(meter.key_change_since ? 'key.change.again' : 'key.change'))),
    el('p', { id: 'key-change-state', class: 'muted', hidden: !meter.key_change_since },
      meter.key_change_since ? t('key.change.since', { time: longDateTime(meter.key_change_since) }) : ''),
    msg, keySlot);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: name.value.trim(), group: group.value.trim(), kind: kind.value,
      setup_value: setup.value.trim().replace(',', '.'), valve_installed: valve.checked,
      contact_name: contactName.value.trim(), contact_email: contactEmail.value.trim(),
      contact_phone: contactPhone.value.replace(/\s+/g, ''),
    };
    message(msg, t('saving'), false);
    try {
      await api.post(api.meterPath(meter.serial, '/settings'), body);
      message(msg, t('saved'), false);
      onSaved();
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });

  const newKey = form.querySelector('#set-new-key');
  newKey.addEventListener('click', async () => {
    if (newKey.dataset.armed !== 'true') {
      newKey.dataset.armed = 'true';
      newKey.textContent = t('key.new.really');
      newKey.classList.add('danger');
      return;
    }
    delete newKey.dataset.armed;
    newKey.textContent = t('key.new');
    newKey.classList.remove('danger');
    try {
      const r = await api.post(api.meterPath(meter.serial, '/settings'), { generate_key: true });
      keySlot.replaceChildren(keyPanel(meter.serial, r.key));
      message(msg, t('key.made'), false);
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });

  // The key changed over MQTT (docs/security.md, "Changing a key"): nothing to copy to the device.
  const changeKey = form.querySelector('#set-change-key');
  changeKey.addEventListener('click', async () => {
    try {
      const r = await api.post(api.meterPath(meter.serial, '/key-change'), {});
      message(msg, t(r.resumed ? 'key.change.resumed' : 'key.change.sent', { command: r.command }), false);
      onSaved();
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });

  // Removal: type the serial, then remove.
  const confirmInput = el('input', { id: 'remove-confirm', autocomplete: 'off', spellcheck: 'false', placeholder: meter.serial });
  const removeButton = el('button', { type: 'submit', id: 'remove-meter', class: 'danger', disabled: true }, t('meter.remove'));
  const removeMsg = el('p', { id: 'remove-message', class: 'message', 'aria-live': 'polite' });
  confirmInput.addEventListener('input', () => {
    removeButton.disabled = confirmInput.value.trim() !== meter.serial;
  });
  const removeForm = el('form', { id: 'meter-remove-form', class: 'remove-form', novalidate: true },
    el('h3', null, t('remove')),
    el('p', { class: 'muted' }, t('meter.remove.text')),
    field(t('meter.remove.confirm', { serial: meter.serial }), confirmInput, true),
    el('div', { class: 'button-row' }, removeButton), removeMsg);
  removeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (removeButton.disabled) return;
    removeButton.disabled = true;
    try {
      await api.post(api.meterPath(meter.serial, '/remove'), { confirm: confirmInput.value.trim() });
      onRemoved();
    } catch (err) {
      if (err.status !== 401) message(removeMsg, err.message, true);
      removeButton.disabled = false;
    }
  });

  slot.replaceChildren(el('section', { class: 'card admin-card', 'aria-label': t('settings.label') }, form, removeForm));
}

// ---------------------------------------------------------------------------------------------
// Payments: the state and why an entry was changed; void and correct for admins

// The state cell's extra text: who changed the entry, when, and why.
export function changeNote(p) {
  const c = p.change;
  if (!c) return null;
  const done = t(c.action === 'correct' ? 'payment.corrected_by' : 'payment.voided_by', { user: c.actor, time: dateTime(c.time) });
  return el('span', { class: 'change-note' },
    el('br'), `${done}: `, el('em', null, c.reason));
}

// The actions cell of an active payment row (admins only).
export function paymentActions(p, { onChanged }) {
  const cell = el('td', { class: 'actions' });
  const open = (what) => {
    const row = cell.closest('tr');
    const existing = row.nextElementSibling;
    if (existing && existing.classList.contains('payment-change')) existing.remove();
    const reason = el('input', { class: 'pc-reason', required: true, maxlength: 500, autocomplete: 'off', placeholder: t('payment.reason.hint') });
    const amount = el('input', { class: 'pc-amount', inputmode: 'decimal', value: p.amount, autocomplete: 'off' });
    const price = el('input', { class: 'pc-price', inputmode: 'decimal', value: p.price, autocomplete: 'off' });
    const note = el('input', { class: 'pc-note', value: p.note || '', maxlength: 200, autocomplete: 'off' });
    const msg = el('p', { class: 'message', 'aria-live': 'polite' });
    const submit = el('button', { type: 'submit', class: what === 'void' ? 'danger' : 'primary' },
      t(what === 'void' ? 'payment.void.id' : 'payment.correct.id', { id: p.id }));
    const cancel = el('button', { type: 'button' }, t('cancel'));
    const form = el('form', { class: `payment-change-form form-grid`, novalidate: true },
      what === 'correct' ? field(t('payment.amount'), amount) : null,
      what === 'correct' ? field(t('payment.price'), price) : null,
      what === 'correct' ? field(t('payment.note'), note, true) : null,
      field(t('payment.reason'), reason, true),
      el('div', { class: 'button-row wide' }, submit, cancel), msg);
    const tr = el('tr', { class: 'payment-change', dataset: { id: String(p.id), action: what } },
      el('td', { colspan: 8 }, form));
    row.after(tr);
    reason.focus();
    cancel.addEventListener('click', () => tr.remove());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) {
        message(msg, t('payment.reason.missing'), true);
        return;
      }
      const clean = (input) => input.value.trim().replace(/\s+/g, '').replace(',', '.');
      const body = what === 'void' ? { reason: reason.value.trim() }
        : { reason: reason.value.trim(), amount: clean(amount), price: clean(price), note: note.value.trim() };
      submit.disabled = true;
      try {
        await api.post(`api/payments/${p.id}/${what}`, body);
        tr.remove();
        onChanged();
      } catch (err) {
        if (err.status !== 401) message(msg, err.message, true);
        submit.disabled = false;
      }
    });
  };
  cell.append(
    el('button', { type: 'button', class: 'small pay-correct', dataset: { id: String(p.id) } }, t('payment.correct')), ' ',
    el('button', { type: 'button', class: 'small danger pay-void', dataset: { id: String(p.id) } }, t('payment.void')));
  cell.querySelector('.pay-correct').addEventListener('click', () => open('correct'));
  cell.querySelector('.pay-void').addEventListener('click', () => open('void'));
  return cell;
}

// ---------------------------------------------------------------------------------------------
// #/meters/new : add a meter

const section = () => viewSection('add-meter-page');

export function mount() {
  const page = section();
  page.hidden = false;
  document.title = `${t('add.heading')} · MeterLogger`;
  const serial = el('input', { id: 'new-serial', required: true, inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
  const name = el('input', { id: 'new-name', maxlength: 200, autocomplete: 'off' });
  const groups = session.groups.filter((g) => g !== '*');
  const group = el('input', { id: 'new-group', maxlength: 100, autocomplete: 'off', list: 'new-group-list', value: groups.length === 1 ? groups[0] : '' });
  const kind = kindSelect('new-kind', 'heat');
  const setup = el('input', { id: 'new-setup', value: '0', inputmode: 'decimal', autocomplete: 'off' });
  const valve = el('input', { id: 'new-valve', type: 'checkbox' });
  const msg = el('p', { id: 'new-message', class: 'message', 'aria-live': 'polite' });
  const result = el('div', { id: 'new-result' });
  const form = el('form', { id: 'add-meter-form', class: 'card', novalidate: true },
    el('div', { class: 'form-grid' },
      field(t('add.serial'), serial), field(t('settings.kind'), kind), field(t('add.name'), name, true),
      field(t('settings.group'), group), field(t('settings.setup'), setup),
      el('label', { class: 'check' }, valve, el('span', null, t('settings.valve')))),
    el('datalist', { id: 'new-group-list' }, ...groups.map((g) => el('option', { value: g }))),
    el('p', { class: 'muted' }, t('add.key')),
    el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'new-add', class: 'primary' }, t('add.submit'))),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      serial: serial.value.trim(), name: name.value.trim(), group: group.value.trim(), kind: kind.value,
      setup_value: setup.value.trim().replace(',', '.') || '0', valve_installed: valve.checked, generate_key: true,
    };
    message(msg, t('adding'), false);
    try {
      const r = await api.post('api/meters', body);
      message(msg, '', false);
      form.hidden = true;
      result.replaceChildren(el('div', { class: 'card' },
        el('p', { class: 'message ok' }, t('add.done.before'), ' ', el('a', { href: `#/meter/${encodeURIComponent(r.serial)}`, id: 'new-link' }, r.serial), ' ', t('add.done.after')),
        keyPanel(r.serial, r.key)));
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });
  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/meters' }, t('crumb.meters'))),
    el('div', { class: 'title-row' }, el('h1', null, t('add.heading'))),
    form, result);
  serial.focus();
}

export function unmount() {
  const page = $('add-meter-page');
  if (page) {
    page.hidden = true;
    page.replaceChildren(); // the key goes with the page
  }
}
