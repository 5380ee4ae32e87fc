// #/users : the dashboard's users, for admins of every group ("*") only (docs/api.md, "Users"):
// the list, adding one (role, groups, a password typed or made by the server and shown once),
// changing role and groups, their e-mail and phone (where operator messages go), a new password
// (shown once), unlocking after failed logins, resetting a lost second factor and removing (a
// second click confirms for both). Every change is in the audit log.
import * as api from './api.js';
import { session } from './session.js';
import { t } from './i18n.js';
import { el, dateTime, viewSection, word } from './format.js';

const $ = (id) => document.getElementById(id);

let mounted = 0; // bumped per mount: answers for an older mount are dropped

function message(node, text, isError) {
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
  node.classList.toggle('ok', !isError && Boolean(text));
}

function field(label, input, wide = false) {
  return el('label', { class: wide ? 'wide' : null }, el('span', null, label), input);
}

function roleSelect(cls, value) {
  const s = el('select', { class: cls });
  for (const r of ['viewer', 'admin']) s.append(el('option', { value: r, selected: r === value }, word('role', r)));
  return s;
}

const groupList = (text) => text.split(',').map((g) => g.trim()).filter(Boolean);

// A password made by the server: shown once, where the admin asked for it.
function passwordOnce(user, password) {
  return el('div', { class: 'key-once password-once', role: 'status' },
    el('h3', null, t('users.password.once', { user })),
    el('code', { class: 'key', dataset: { user } }, password),
    el('p', { class: 'muted' }, t('users.password.give')));
}

const section = () => viewSection('users-page');

function userRow(u, ctx) {
  const self = u.name === session.user;
  const msg = el('span', { class: 'message row-message' });
  const actions = el('td', { class: 'actions' });
  const button = (cls, text, onClick, danger = false) => {
    const b = el('button', { type: 'button', class: `small ${cls}${danger ? ' danger' : ''}` }, text);
    b.addEventListener('click', () => onClick(b));
    actions.append(b, ' ');
    return b;
  };
  const row = el('tr', { class: 'user', dataset: { name: u.name } },
    el('td', { class: 'name' }, u.name, self ? el('span', { class: 'muted' }, ` (${t('users.you')})`) : null),
    el('td', { class: 'role' }, word('role', u.role), u.second_factor ? el('span', { class: 'muted factor' }, ` · ${t('users.second_factor')}`) : null),
    el('td', { class: 'groups' }, (u.groups || []).join(', ')),
    el('td', { class: 'contact' }, [u.email, u.phone].filter(Boolean).join(', ')),
    el('td', { class: 'time col-created' }, u.created ? dateTime(u.created) : ''),
    actions);
  const act = async (path, body, done) => {
    try {
      const r = await api.post(`api/users/${encodeURIComponent(u.name)}${path}`, body);
      done(r);
    } catch (err) {
      if (err.status !== 401) message(msg, err.message, true);
    }
  };
  if (!self) {
    button('u-edit', t('users.role.edit'), () => {
      if (row.nextElementSibling && row.nextElementSibling.classList.contains('user-edit')) return;
      const role = roleSelect('ue-role', u.role);
      const groups = el('input', { class: 'ue-groups', value: (u.groups || []).join(', '), autocomplete: 'off' });
      const emsg = el('p', { class: 'message' });
      const form = el('form', { class: 'form-grid user-edit-form', novalidate: true },
        field(t('users.role'), role), field(t('users.groups.edit'), groups, true),
        el('div', { class: 'button-row wide' },
          el('button', { type: 'submit', class: 'primary ue-save' }, t('save')),
          el('button', { type: 'button', class: 'ue-cancel' }, t('cancel'))), emsg);
      const tr = el('tr', { class: 'user-edit' }, el('td', { colspan: 6 }, form));
      row.after(tr);
      form.querySelector('.ue-cancel').addEventListener('click', () => tr.remove());
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await api.post(`api/users/${encodeURIComponent(u.name)}`, {
            role: role.value, groups: role.value === 'admin' ? groupList(groups.value) : [],
          });
          ctx.reload();
        } catch (err) {
          if (err.status !== 401) message(emsg, err.message, true);
        }
      });
    });
  }
  // The user's e-mail and phone: where the group's operator messages go (also one's own).
  button('u-contact', t('users.contact.edit'), () => {
    if (row.nextElementSibling && row.nextElementSibling.classList.contains('user-edit')) return;
    const email = el('input', { class: 'uc-email', type: 'email', value: u.email || '', autocomplete: 'off', maxlength: 200 });
    const phone = el('input', { class: 'uc-phone', type: 'tel', value: u.phone || '', autocomplete: 'off', maxlength: 20, placeholder: '+4512345678' });
    const emsg = el('p', { class: 'message' });
    const form = el('form', { class: 'form-grid user-contact-form', novalidate: true },
      field(t('users.email'), email), field(t('users.phone.sms'), phone),
      el('div', { class: 'button-row wide' },
        el('button', { type: 'submit', class: 'primary uc-save' }, t('save')),
        el('button', { type: 'button', class: 'uc-cancel' }, t('cancel'))), emsg);
    const tr = el('tr', { class: 'user-edit' }, el('td', { colspan: 6 }, form));
    row.after(tr);
    form.querySelector('.uc-cancel').addEventListener('click', () => tr.remove());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.post(`api/users/${encodeURIComponent(u.name)}`, {
          email: email.value.trim(), phone: phone.value.replace(/\s+/g, ''),
        });
        ctx.reload();
      } catch (err) {
        if (err.status !== 401) message(emsg, err.message, true);
      }
    });
  });
  button('u-password', t('users.password.new'), () => act('/password', {}, (r) => {
    ctx.showOnce(passwordOnce(u.name, r.password));
  }));
  button('u-unlock', t('users.unlock'), () => act('/unlock', {}, () => message(msg, t('users.unlocked'), false)));
  // A change that cannot be undone: the first click asks, the second does it.
  const twice = (cls, text, question, path) => button(cls, text, (b) => {
    if (b.dataset.armed !== 'true') {
      b.dataset.armed = 'true';
      b.textContent = question;
      return;
    }
    act(path, {}, () => ctx.reload());
  }, true);
  // A lost phone and recovery codes: the user sets the second factor up again.
  if (u.second_factor && !self) {
    twice('u-factor-reset', t('users.factor.reset'), t('users.factor.reset.really', { name: u.name }), '/second-factor-reset');
  }
  if (!self) twice('u-remove', t('remove'), t('remove.really', { name: u.name }), '/remove');
  actions.append(msg);
  return row;
}

export function mount() {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('users.heading')} · MeterLogger`;
  const tbody = el('tbody');
  const once = el('div', { id: 'users-once' });
  const listMsg = el('p', { class: 'message', id: 'users-message' });
  const ctx = {
    reload: () => load(),
    showOnce: (node) => {
      once.replaceChildren(node);
      once.scrollIntoView({ block: 'nearest' });
    },
  };
  async function load() {
    try {
      const data = await api.get('api/users');
      if (token !== mounted) return;
      tbody.replaceChildren(...data.users.map((u) => userRow(u, ctx)));
      page.dataset.loaded = 'true';
    } catch (err) {
      if (token === mounted && err.status !== 401) message(listMsg, err.message, true);
    }
  }

  const name = el('input', { id: 'nu-name', maxlength: 64, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
  const role = roleSelect('nu-role', 'viewer');
  role.id = 'nu-role';
  const groups = el('input', { id: 'nu-groups', autocomplete: 'off', placeholder: t('users.groups.hint') });
  const password = el('input', { id: 'nu-password', type: 'password', autocomplete: 'new-password', placeholder: t('users.password.hint') });
  const email = el('input', { id: 'nu-email', type: 'email', autocomplete: 'off', maxlength: 200, placeholder: t('optional') });
  const phone = el('input', { id: 'nu-phone', type: 'tel', autocomplete: 'off', maxlength: 20, placeholder: t('users.phone.hint') });
  const addMsg = el('p', { id: 'nu-message', class: 'message', 'aria-live': 'polite' });
  const add = el('form', { id: 'add-user-form', class: 'card', novalidate: true },
    el('h2', null, t('users.add.heading')),
    el('div', { class: 'form-grid' },
      field(t('users.name'), name), field(t('users.role'), role), field(t('users.groups'), groups, true), field(t('users.password'), password, true),
      field(t('users.email'), email), field(t('users.phone'), phone)),
    el('div', { class: 'button-row' }, el('button', { type: 'submit', id: 'nu-add', class: 'primary' }, t('users.add'))),
    addMsg);
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), role: role.value, groups: role.value === 'admin' ? groupList(groups.value) : [] };
    if (password.value) body.password = password.value;
    if (email.value.trim()) body.email = email.value.trim();
    if (phone.value.trim()) body.phone = phone.value.replace(/\s+/g, '');
    try {
      const r = await api.post('api/users', body);
      message(addMsg, t('users.added', { name: r.name }), false);
      if (r.password) ctx.showOnce(passwordOnce(r.name, r.password));
      name.value = '';
      groups.value = '';
      password.value = '';
      email.value = '';
      phone.value = '';
      load();
    } catch (err) {
      if (err.status !== 401) message(addMsg, err.message, true);
    }
  });

  page.replaceChildren(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/meters' }, t('crumb.meters'))),
    el('div', { class: 'title-row' }, el('h1', null, t('users.heading'))),
    once,
    el('section', { class: 'card' },
      el('div', { class: 'table-scroll' },
        el('table', { id: 'users', class: 'data' },
          el('thead', null, el('tr', null, el('th', null, t('users.col.name')), el('th', null, t('users.role')), el('th', null, t('users.groups')),
            el('th', null, t('users.col.contact')), el('th', { class: 'col-created' }, t('users.col.added')), el('th', null, ''))),
          tbody)),
      listMsg),
    add);
  load();
}

export function unmount() {
  mounted += 1;
  const page = $('users-page');
  if (page) {
    page.hidden = true;
    delete page.dataset.loaded;
    page.replaceChildren(); // a password shown once goes with the page
  }
}
