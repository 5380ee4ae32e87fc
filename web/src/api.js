// The JSON API of docs/api.md: fetch with the session cookie, the CSRF token on every POST,
// errors as ApiError (the server's own text, else the HTTP status; an unreachable server in the
// page's language), and a 401 anywhere sends the user back to the login view.
import { t } from './i18n.js';

let csrfToken = null;
let unauthorizedHandler = () => {};

export class ApiError extends Error {
  constructor(status, message, retryAfter = null, data = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfter = retryAfter;
    this.data = data; // the error answer's JSON, when it had one
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

export function isAbort(err) {
  return err && err.name === 'AbortError';
}

// Relative URLs, so the dashboard also works behind a reverse proxy under a path prefix.
export function meterPath(serial, rest = '') {
  return `api/meters/${encodeURIComponent(serial)}${rest}`;
}

async function request(method, path, body, { signal, expect401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', signal, cache: 'no-store' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    init.body = JSON.stringify(body ?? {});
  }

  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(0, t('error.network'));
  }

  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }

  const message = (data && typeof data.error === 'string' && data.error) || `${res.status} ${res.statusText}`.trim();
  if (res.status === 401 && !expect401) {
    csrfToken = null;
    unauthorizedHandler();
    throw new ApiError(401, message);
  }
  if (!res.ok) throw new ApiError(res.status, message, res.headers.get('Retry-After'), data);
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
