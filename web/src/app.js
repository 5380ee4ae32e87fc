// MeterLogger dashboard: login, what needs attention (#/, the first page), the meter list
// (#/meters), a meter's page (#/meter/SERIAL), and the
// admin pages: add a meter (#/meters/new), users (#/users, admins of every group) and the audit
// log (#/audit); the alarms (#/alarms, everyone), the alarm rules (#/rules) and notifications
// (#/notifications, admins); the user's second factor (#/second-factor, everyone; the only page
// until it is set up when the role needs one); the header links to those the user may use.
// Danish or English (docs/server.md, "Languages"): the header's and the login's language button
// switches and remembers it on this device; every page is drawn again in the new language.
import * as api from './api.js';
import { applyTo, chooseLanguage, language, setLanguage, t, useCatalogue } from './i18n.js';
import { keepTyped } from './typed.js';
import { CATALOGUE } from './i18n_dashboard.js';
import { session, setSession } from './session.js';
import * as list from './list.js';
import * as attention from './attention.js';
import * as meter from './meter.js';
import * as addMeter from './admin.js';
import * as users from './users.js';
import * as audit from './audit.js';
import * as alarms from './alarms.js';
import * as rules from './rules.js';
import * as notifications from './notifications.js';
import * as secondFactor from './second_factor.js';
import { showBanner } from './banner.js';
import { word } from './format.js';

const $ = (id) => document.getElementById(id);

let current = null; // the mounted view module

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  if (session.setupSecondFactor || path === '/second-factor') return { view: secondFactor, params };
  const m = /^\/meter\/([^/]+)\/?$/.exec(path);
  if (m) return { view: meter, serial: decodeURIComponent(m[1]), params };
  const isAdmin = session.role === 'admin';
  if (path === '/meters/new' && isAdmin) return { view: addMeter, params };
  if (path === '/users' && isAdmin && session.groups.includes('*')) return { view: users, params };
  if (path === '/audit' && isAdmin) return { view: audit, params };
  if (path === '/alarms') return { view: alarms, params };
  if (path === '/rules' && isAdmin) return { view: rules, params };
  if (path === '/notifications' && isAdmin) return { view: notifications, params };
  // The list's address, and an older bookmark of it with a search (#/?q=...).
  if (path === '/meters' || path === '/meters/' || params.has('q')) return { view: list, params };
  return { view: attention, params };
}

function unmount() {
  if (current) current.unmount();
  current = null;
}

function route() {
  if (!session.user) return;
  const r = parseHash();
  unmount();
  showBanner(null);
  $('login-view').hidden = true;
  $('app-header').hidden = false;
  $('app').hidden = false;
  current = r.view;
  current.mount(r);
  window.scrollTo(0, 0);
}

function renderUser() {
  const user = $('user');
  user.textContent = '';
  user.append(session.user, ' ');
  const role = document.createElement('span');
  role.className = 'role';
  role.textContent = word('role', session.role || '');
  user.append(role);
  const groups = Array.isArray(session.groups) ? session.groups.join(', ') : '';
  user.title = groups ? t('user.groups', { groups }) : '';
  const isAdmin = session.role === 'admin';
  $('nav-add-meter').hidden = !isAdmin;
  $('nav-audit').hidden = !isAdmin;
  $('nav-rules').hidden = !isAdmin;
  $('nav-notifications').hidden = !isAdmin;
  $('nav-users').hidden = !(isAdmin && session.groups.includes('*'));
  // Until the second factor is set up, nothing else answers.
  document.querySelector('nav.admin-nav').hidden = session.setupSecondFactor;
}

function showLogin(message, isError = true) {
  unmount();
  list.forget();
  setSession(null);
  $('app').hidden = true;
  $('app-header').hidden = true;
  $('login-view').hidden = false;
  const msg = $('login-message');
  msg.textContent = message || '';
  msg.classList.toggle('error', Boolean(message) && isError);
  $('password').value = '';
  $('login-code').value = '';
  $('login-code-row').hidden = true;
  const focus = $('username').value ? $('password') : $('username');
  focus.focus();
}

function loggedIn(data) {
  setSession(data);
  api.setCsrf(data.csrf);
  renderUser();
  $('login-message').textContent = '';
  $('login-message').classList.remove('error');
  route();
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type=submit]');
  const msg = $('login-message');
  msg.classList.remove('error');
  msg.textContent = t('login.busy');
  button.disabled = true;
  try {
    const data = await api.post('api/login', {
      username: $('username').value.trim(),
      password: $('password').value,
      code: $('login-code-row').hidden ? '' : $('login-code').value.trim(),
    }, { expect401: true });
    $('password').value = '';
    $('login-code').value = '';
    $('login-code-row').hidden = true;
    loggedIn(data);
  } catch (err) {
    msg.classList.add('error');
    if (err.status === 401 && err.data && err.data.second_factor) {
      // The password was right; the code is asked for (or was wrong, the server says which).
      const asked = $('login-code-row').hidden;
      $('login-code-row').hidden = false;
      msg.classList.toggle('error', !asked);
      msg.textContent = asked ? t('login.code.ask') : `${err.message}.`;
      $('login-code').value = '';
      $('login-code').focus();
      return;
    }
    if (err.status === 401) {
      msg.textContent = t('login.wrong');
    } else if (err.status === 429) {
      const secs = parseInt(err.retryAfter, 10);
      msg.textContent = Number.isFinite(secs) ? t('login.wait', { seconds: secs }) : t('login.wait.later');
    } else {
      msg.textContent = t('login.failed', { error: err.message });
    }
    $('password').select();
  } finally {
    button.disabled = false;
  }
}

async function onLogout() {
  const button = $('logout');
  button.disabled = true;
  try {
    await api.post('api/logout', {}, { expect401: true });
  } catch (err) {
    // The session is gone either way once we forget it; say so only for real failures.
    if (err.status && err.status !== 401) showBanner(t('logout.failed', { error: err.message }));
  } finally {
    button.disabled = false;
    api.setCsrf(null);
    showLogin(t('logout.done'), false);
  }
}

// The page's own texts (index.html's data-i18n, its templates included) in the language.
function showLanguage() {
  applyTo();
  for (const template of document.querySelectorAll('template')) applyTo(template.content);
}

// Every page is drawn again in the new language, with what was typed into it (typed.js).
function switchLanguage() {
  const restoreTyped = keepTyped($('app'));
  setLanguage(language() === 'da' ? 'en' : 'da', true);
  showLanguage();
  if (session.user) {
    renderUser();
    route();
    restoreTyped();
  }
}

async function start() {
  useCatalogue(CATALOGUE);
  setLanguage(chooseLanguage(null));
  showLanguage();
  api.onUnauthorized(() => {
    if (!$('login-view').hidden) return; // several requests can fail at once
    if (session.user) showLogin(t('session.ended'));
    else showLogin();
  });
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  for (const button of document.querySelectorAll('.language-switch')) button.addEventListener('click', switchLanguage);
  secondFactor.whenEnrolled(() => {
    session.setupSecondFactor = false;
    renderUser();
  });
  window.addEventListener('hashchange', route);

  try {
    const data = await api.get('api/session', { expect401: true });
    loggedIn(data);
  } catch (err) {
    if (err.status === 401) showLogin();
    else showLogin(t('session.failed', { error: err.message }));
  }
}

start();
