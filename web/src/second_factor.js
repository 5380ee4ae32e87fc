// #/second-factor : the user's own second factor (docs/api.md "Second factor"): set one up (a
// QR code to scan, then the app's first code confirms it and ten recovery codes are shown once),
// or disable it with the password. A user whose role needs one and has none is sent here after
// login (session.setupSecondFactor) and can use nothing else until it is done.
import * as api from './api.js';
import { t } from './i18n.js';
import { el, viewSection } from './format.js';

const $ = (id) => document.getElementById(id);

let mounted = 0;
let onEnrolled = () => {};

const section = () => viewSection('second-factor-page');

// Called once the second factor is confirmed (app.js lifts the session's restriction).
export function whenEnrolled(handler) {
  onEnrolled = handler;
}

function message(id) {
  return el('p', { class: 'message', id, 'aria-live': 'polite' });
}

function fail(msg, err) {
  msg.textContent = err.message;
  msg.classList.add('error');
}

// The server's SVG (our own encoder's output), parsed as SVG rather than set as HTML.
function qrNode(svgText) {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  return document.importNode(doc.documentElement, true);
}

function showCodes(page, codes) {
  page.replaceChildren(
    el('h1', null, t('factor.heading')),
    el('section', { class: 'card', id: 'second-factor-done' },
      el('p', null, t('factor.done')),
      el('h2', null, t('factor.codes')),
      el('p', null, t('factor.codes.text')),
      el('ul', { id: 'recovery-codes', class: 'codes' }, ...codes.map((c) => el('li', null, el('code', null, c)))),
      el('div', { class: 'button-row' }, el('button', { type: 'button', class: 'primary', id: 'second-factor-continue' }, t('factor.continue')))));
  // On to the first page; the address may be it already (the login sent the user here).
  $('second-factor-continue').addEventListener('click', () => {
    if (location.hash === '#/' || location.hash === '') window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = '#/';
  });
  page.dataset.loaded = 'true';
}

function renderSetup(page, token, required) {
  const msg = message('second-factor-message');
  const start = el('button', { type: 'button', class: 'primary', id: 'second-factor-begin' }, t('factor.begin'));
  const box = el('div', { id: 'second-factor-enrol' });
  start.addEventListener('click', async () => {
    start.disabled = true;
    try {
      const data = await api.post('api/second-factor/begin', {});
      if (token !== mounted) return;
      const code = el('input', { id: 'second-factor-code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]*', maxlength: '16', required: true });
      const confirm = el('form', { id: 'second-factor-confirm', class: 'stack' },
        el('label', { for: 'second-factor-code' }, t('factor.code')),
        code,
        el('button', { type: 'submit', class: 'primary' }, t('factor.confirm')));
      confirm.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          const done = await api.post('api/second-factor/confirm', { code: code.value });
          if (token !== mounted) return;
          onEnrolled();
          showCodes(page, done.recovery_codes);
        } catch (err) {
          if (token === mounted) fail(msg, err);
        }
      });
      box.replaceChildren(
        el('p', null, t('factor.scan')),
        el('figure', { class: 'qr', id: 'second-factor-qr' }, qrNode(data.qr_svg)),
        el('p', null, t('factor.type'), ' ', el('code', { id: 'second-factor-secret' }, data.secret)),
        confirm);
      start.hidden = true;
      code.focus();
    } catch (err) {
      start.disabled = false;
      if (token === mounted) fail(msg, err);
    }
  });
  page.replaceChildren(
    el('h1', null, t('factor.heading')),
    el('section', { class: 'card' },
      el('p', { id: 'second-factor-intro' }, t(required ? 'factor.required' : 'factor.intro')),
      start, box, msg));
  page.dataset.loaded = 'true';
}

function renderEnrolled(page, token, state) {
  const msg = message('second-factor-message');
  const children = [
    el('p', { id: 'second-factor-state' }, t('factor.state', { left: state.recovery_codes_left })),
  ];
  if (!state.required) {
    const password = el('input', { id: 'second-factor-password', type: 'password', autocomplete: 'current-password', required: true });
    const form = el('form', { id: 'second-factor-disable', class: 'stack' },
      el('label', { for: 'second-factor-password' }, t('factor.password')),
      password,
      el('button', { type: 'submit' }, t('factor.disable')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.post('api/second-factor/disable', { password: password.value });
        if (token === mounted) load(page, token);
      } catch (err) {
        if (token === mounted) fail(msg, err);
      }
    });
    children.push(form);
  } else {
    children.push(el('p', null, t('factor.needed')));
  }
  page.replaceChildren(el('h1', null, t('factor.heading')), el('section', { class: 'card' }, ...children, msg));
  page.dataset.loaded = 'true';
}

async function load(page, token) {
  try {
    const state = await api.get('api/second-factor');
    if (token !== mounted) return;
    if (state.enrolled) renderEnrolled(page, token, state);
    else renderSetup(page, token, state.required);
  } catch (err) {
    if (token !== mounted || err.status === 401) return;
    const msg = message('second-factor-message');
    page.replaceChildren(el('h1', null, t('factor.heading')), msg);
    fail(msg, err);
  }
}

export function mount() {
  const token = ++mounted;
  const page = section();
  page.hidden = false;
  document.title = `${t('factor.heading')} · MeterLogger`;
  load(page, token);
}

export function unmount() {
  mounted += 1;
  const page = $('second-factor-page');
  if (page) {
    page.hidden = true;
    delete page.dataset.loaded;
  }
}
