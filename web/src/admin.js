// Admin parts of a meter's page and the "add a meter" page (#/meters/new), for admins of the
// meter's group (docs/api.md): the settings form (POST /api/meters/{serial}/settings, with the
// customer's contact), a new key
// shown once with how to put it on the device, removal after typing the serial
// (POST /api/meters/{serial}/remove), and voiding or correcting a payment with a reason
// (POST /api/payments/{id}/void|correct). A key is only ever in the answer that made it: the
// page shows it until it is left and never fetches it again.
import * as api from './api.js';
import { session } from './session.js';
import { el, dateTime, viewSection } from './format.js';

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
  for (const k of KINDS) select.append(el('option', { value: k, selected: k === value }, k));
  return select;
}

// The key, once, with the steps that put it on the gateway (docs/agent.md: the meter's `key` or
// `key_file` in agent.toml, then a reload). The setup page (docs/setup-page.md) does not take
// keys: it only shows whether the meter's samples get through after the reload.
export function keyPanel(serial, key) {
  const file = `/etc/meterlogger/${serial}.key`;
  return el('div', { class: 'key-once', id: 'key-once', role: 'status' },
    el('h3', null, 'The meter\'s key — shown only now'),
    el('p', null, 'Copy it now: the server never shows it again (a lost key is replaced by a new one).'),
    el('code', { class: 'key', id: 'key-value' }, key),
    el('ol', { class: 'steps' },
      el('li', null, 'On the gateway, write the key to a file only the agent may read: ',
        el('code', null, `echo ${key} > ${file} && chmod 600 ${file}`)),
      el('li', null, 'In agent.toml, in this meter\'s [[meter]] section, set ',
        el('code', null, `serial = "${serial}"`), ' and ', el('code', null, `key_file = "${file}"`),
        ' (or ', el('code', null, 'key = "…"'), ' inline, in a file not readable by everyone).'),
      el('li', null, 'Check and reload: ', el('code', null, 'meterlogger agent --check'), ', then ',
        el('code', null, 'systemctl reload meterlogger-agent'), '.'),
      el('li', null, 'Until the gateway has the new key, its messages are rejected as "bad MAC" on this page; '
        + 'the gateway\'s setup page shows whether samples are sent.')));
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
    el('h3', null, 'Settings'),
    el('div', { class: 'form-grid' },
      field('Name', name, true), field('Group', group), field('Kind', kind),
      field('Setup value (kWh at installation)', setup),
      el('label', { class: 'check' }, valve, el('span', null, 'Valve installed')),
      field('Customer', contactName), field('Customer e-mail', contactEmail), field('Customer phone', contactPhone)),
    el('div', { class: 'button-row' },
      el('button', { type: 'submit', id: 'set-save', class: 'primary' }, 'Save'),
      el('button', { type: 'button', id: 'set-new-key' }, 'New key…'),
      el('button', { type: 'button', id: 'set-change-key',
        title: 'The server sends the device a new key sealed under its current one (devices with the original firmware ignore it)' },
      meter.key_change_since ? 'Key change under way: send again' : 'Change the key remotely')),
    el('p', { id: 'key-change-state', class: 'muted', hidden: !meter.key_change_since },
      meter.key_change_since
        ? `A key change is under way since ${new Date(meter.key_change_since * 1000).toLocaleString()}: it is done when the device answers under the new key.`
        : ''),
    msg, keySlot);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: name.value.trim(), group: group.value.trim(), kind: kind.value,
      setup_value: setup.value.trim().replace(',', '.'), valve_installed: valve.checked,
      contact_name: contactName.value.trim(), contact_email: contactEmail.value.trim(),
      contact_phone: contactPhone.value.replace(/\s+/g, ''),
    };
    message(msg, 'Saving…', false);
    try {
      await api.post(api.meterPath(meter.serial, '/settings'), body);
      message(msg, 'Saved.', false);
      onSaved();
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });

  const newKey = form.querySelector('#set-new-key');
  newKey.addEventListener('click', async () => {
    if (newKey.dataset.armed !== 'true') {
      newKey.dataset.armed = 'true';
      newKey.textContent = 'Replace the key: the device stops being accepted until it has the new one';
      newKey.classList.add('danger');
      return;
    }
    delete newKey.dataset.armed;
    newKey.textContent = 'New key…';
    newKey.classList.remove('danger');
    try {
      const r = await api.post(api.meterPath(meter.serial, '/settings'), { generate_key: true });
      keySlot.replaceChildren(keyPanel(meter.serial, r.key));
      message(msg, 'A new key is made.', false);
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });

  // The key changed over MQTT (docs/security.md, "Changing a key"): nothing to copy to the device.
  const changeKey = form.querySelector('#set-change-key');
  changeKey.addEventListener('click', async () => {
    try {
      const r = await api.post(api.meterPath(meter.serial, '/key-change'), {});
      message(msg, `${r.resumed ? 'The key change goes on' : 'A new key is on its way to the device'} (command #${r.command}); the old key works until the device answers under the new one.`, false);
      onSaved();
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });

  // Removal: type the serial, then remove.
  const confirmInput = el('input', { id: 'remove-confirm', autocomplete: 'off', spellcheck: 'false', placeholder: meter.serial });
  const removeButton = el('button', { type: 'submit', id: 'remove-meter', class: 'danger', disabled: true }, 'Remove meter');
  const removeMsg = el('p', { id: 'remove-message', class: 'message', 'aria-live': 'polite' });
  confirmInput.addEventListener('input', () => {
    removeButton.disabled = confirmInput.value.trim() !== meter.serial;
  });
  const removeForm = el('form', { id: 'meter-remove-form', class: 'remove-form', novalidate: true },
    el('h3', null, 'Remove'),
    el('p', { class: 'muted' }, 'The meter leaves the list and its messages are rejected as unknown from then on. '
      + 'Its samples, payments and audit entries stay in the database: adding the serial again shows them again.'),
    field(`Type ${meter.serial} to confirm`, confirmInput, true),
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

  slot.replaceChildren(el('section', { class: 'card admin-card', 'aria-label': 'Meter settings' }, form, removeForm));
}

// ---------------------------------------------------------------------------------------------
// Payments: the state and why an entry was changed; void and correct for admins

// The state cell's extra text: who changed the entry, when, and why.
export function changeNote(p) {
  const c = p.change;
  if (!c) return null;
  const verb = c.action === 'correct' ? 'corrected' : 'voided';
  return el('span', { class: 'change-note' },
    el('br'), `${verb} by ${c.actor} ${dateTime(c.time)}: `, el('em', null, c.reason));
}

// The actions cell of an active payment row (admins only).
export function paymentActions(p, { onChanged }) {
  const cell = el('td', { class: 'actions' });
  const open = (what) => {
    const row = cell.closest('tr');
    const existing = row.nextElementSibling;
    if (existing && existing.classList.contains('payment-change')) existing.remove();
    const reason = el('input', { class: 'pc-reason', required: true, maxlength: 500, autocomplete: 'off', placeholder: 'why (required)' });
    const amount = el('input', { class: 'pc-amount', inputmode: 'decimal', value: p.amount, autocomplete: 'off' });
    const price = el('input', { class: 'pc-price', inputmode: 'decimal', value: p.price, autocomplete: 'off' });
    const note = el('input', { class: 'pc-note', value: p.note || '', maxlength: 200, autocomplete: 'off' });
    const msg = el('p', { class: 'message', 'aria-live': 'polite' });
    const submit = el('button', { type: 'submit', class: what === 'void' ? 'danger' : 'primary' },
      what === 'void' ? `Void #${p.id}` : `Correct #${p.id}`);
    const cancel = el('button', { type: 'button' }, 'Cancel');
    const form = el('form', { class: `payment-change-form form-grid`, novalidate: true },
      what === 'correct' ? field('Amount', amount) : null,
      what === 'correct' ? field('Price', price) : null,
      what === 'correct' ? field('Note', note, true) : null,
      field('Reason', reason, true),
      el('div', { class: 'button-row wide' }, submit, cancel), msg);
    const tr = el('tr', { class: 'payment-change', dataset: { id: String(p.id), action: what } },
      el('td', { colspan: 8 }, form));
    row.after(tr);
    reason.focus();
    cancel.addEventListener('click', () => tr.remove());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) {
        message(msg, 'Say why (the reason goes to the audit log).', true);
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
    el('button', { type: 'button', class: 'small pay-correct', dataset: { id: String(p.id) } }, 'Correct'), ' ',
    el('button', { type: 'button', class: 'small danger pay-void', dataset: { id: String(p.id) } }, 'Void'));
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
  document.title = 'Add a meter · MeterLogger';
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
      field('Serial', serial), field('Kind', kind), field('Name or address', name, true),
      field('Group', group), field('Setup value (kWh at installation)', setup),
      el('label', { class: 'check' }, valve, el('span', null, 'Valve installed'))),
    el('datalist', { id: 'new-group-list' }, ...groups.map((g) => el('option', { value: g }))),
    el('p', { class: 'muted' }, 'The server makes the meter\'s key and shows it once, after adding.'),
    el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'new-add', class: 'primary' }, 'Add meter')),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      serial: serial.value.trim(), name: name.value.trim(), group: group.value.trim(), kind: kind.value,
      setup_value: setup.value.trim().replace(',', '.') || '0', valve_installed: valve.checked, generate_key: true,
    };
    message(msg, 'Adding…', false);
    try {
      const r = await api.post('api/meters', body);
      message(msg, '', false);
      form.hidden = true;
      result.replaceChildren(el('div', { class: 'card' },
        el('p', { class: 'message ok' }, 'Meter ', el('a', { href: `#/meter/${encodeURIComponent(r.serial)}`, id: 'new-link' }, r.serial), ' is added.'),
        keyPanel(r.serial, r.key)));
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });
  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/meters' }, '← Meters')),
    el('div', { class: 'title-row' }, el('h1', null, 'Add a meter')),
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
