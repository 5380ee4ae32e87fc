// The residents of a meter on its page, for the admins of its group (docs/residents.md): who may
// log in to see the meter (GET /api/meters/{serial}/residents), inviting one with an e-mail
// address and/or a phone number and a language (POST, the same route), and removing one's
// personal data (POST /api/residents/{id}/remove, after a second click), and the meter's poster
// to print. The resident then logs in on resident.html with a code sent to that address.
import * as api from './api.js';
import { t } from './i18n.js';
import { el, dateTime, word } from './format.js';
import { field, message } from './admin.js';

async function refresh(list, serial) {
  const answer = await api.get(api.meterPath(serial, '/residents'));
  const residents = answer.residents || [];
  if (residents.length === 0) {
    list.replaceChildren(el('p', { class: 'muted', id: 'residents-empty' }, t('residents.none')));
    return;
  }
  list.replaceChildren(el('table', { class: 'data', id: 'residents-table' },
    el('thead', null, el('tr', null,
      el('th', { scope: 'col' }, t('residents.name')), el('th', { scope: 'col' }, t('users.email')), el('th', { scope: 'col' }, t('users.phone')),
      el('th', { scope: 'col' }, t('residents.language')), el('th', { scope: 'col' }, t('residents.invited')), el('th', { scope: 'col' }, ''))),
    el('tbody', null, ...residents.map((r) => {
      const remove = el('button', { type: 'button', class: 'small danger', dataset: { resident: r.id } }, t('remove'));
      remove.addEventListener('click', async () => {
        if (remove.dataset.armed !== 'true') {
          remove.dataset.armed = 'true';
          remove.textContent = t('residents.remove.really');
          return;
        }
        try {
          await api.post(`api/residents/${r.id}/remove`, {});
          await refresh(list, serial);
        } catch (err) {
          if (err.status !== 401) remove.textContent = err.message;
        }
      });
      return el('tr', null,
        el('td', null, r.name || '—'), el('td', null, r.email || '—'), el('td', null, r.phone || '—'),
        el('td', null, r.language ? word('language', r.language) : t('residents.language.browser.short')),
        el('td', null, t('residents.invited_by', { time: dateTime(r.created), user: r.invited_by })), el('td', { class: 'actions' }, remove));
    }))));
}

export function renderResidents(slot, meter) {
  if (!meter.can_admin) {
    slot.replaceChildren();
    return;
  }
  if (slot.dataset.serial === meter.serial && slot.firstChild) return; // keep what is typed
  slot.dataset.serial = meter.serial;
  const list = el('div', { id: 'residents-list', class: 'table-scroll' });
  const name = el('input', { id: 'resident-name', maxlength: 200, autocomplete: 'off' });
  const email = el('input', { id: 'resident-email', type: 'email', maxlength: 254, autocomplete: 'off' });
  const phone = el('input', { id: 'resident-phone', type: 'tel', maxlength: 32, autocomplete: 'off', placeholder: '+4512345678' });
  const language = el('select', { id: 'resident-language' },
    el('option', { value: '' }, t('residents.language.browser')), el('option', { value: 'da' }, t('language.da')), el('option', { value: 'en' }, t('language.en')));
  const msg = el('p', { id: 'resident-message', class: 'message', 'aria-live': 'polite' });
  const form = el('form', { id: 'resident-invite-form', class: 'settings-form', novalidate: true },
    el('h3', null, t('residents.invite.heading')),
    el('p', { class: 'muted' }, t('residents.invite.text')),
    el('div', { class: 'form-grid' },
      field(t('residents.name'), name), field(t('users.email'), email), field(t('users.phone'), phone), field(t('residents.language'), language)),
    el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'resident-invite', class: 'primary' }, t('residents.invite'))),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.post(api.meterPath(meter.serial, '/residents'), {
        name: name.value.trim(), email: email.value.trim(), phone: phone.value.trim(), language: language.value,
      });
      message(msg, t('residents.invited.done'), false);
      name.value = '';
      email.value = '';
      phone.value = '';
      await refresh(list, meter.serial);
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  });
  // The poster to hang by the meter (GET /api/meters/{serial}/poster): a page of its own to print.
  const posters = el('p', null, t('residents.poster'), ' ',
    el('a', { id: 'resident-poster', href: api.meterPath(meter.serial, '/poster?language=da'), target: '_blank', rel: 'noopener' }, t('language.da')),
    ' · ',
    el('a', { href: api.meterPath(meter.serial, '/poster?language=en'), target: '_blank', rel: 'noopener' }, t('language.en')));
  slot.replaceChildren(el('section', { class: 'card', id: 'residents-card', 'aria-labelledby': 'residents-heading' },
    el('h2', { id: 'residents-heading' }, t('residents.heading')), list, form, posters));
  refresh(list, meter.serial).catch((err) => {
    if (err.status !== 401) list.replaceChildren(el('p', { class: 'message error' }, err.message));
  });
}
