// What every browser test of the dashboard shares: Debian's Chromium (headless, driven by
// playwright-core), one page with a deadline that grows with ML_TEST_TIME_SCALE (as the
// integration tests', docs/building.md), the browser's language British English unless the
// test asks for another (its locale: navigator.languages and Accept-Language), script errors
// collected, and the result printed as one line of JSON on stdout with the exit status 0 (every
// check held) or 1.
//
//   await browserTest(shotDir, async (t) => { ... t.check(cond, 'what'); t.result.x = ...; });
//   await browserTest(shotDir, async (t) => { ... }, { locale: 'da-DK' });
//
// t holds: page, result (printed), check(condition, what), text(selector) (the element's text
// with whitespace folded), shots(name) (desktop and phone screenshots in shotDir; the phone one
// must not scroll sideways), login(user, password) (from the login form to the header),
// logout(), fetchStatus(path, {method, body, csrf}) (a request from the page with its session
// cookie) and csrfToken().
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const timeScale = Number(process.env.ML_TEST_TIME_SCALE || '1') || 1;

export function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

// The arguments after the script's name, or the usage line and exit status 2 when some of the
// first `required` are missing.
export function args(usage, required) {
  const a = process.argv.slice(2);
  if (a.length < required || a.slice(0, required).some((x) => !x)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return a;
}

export async function browserTest(shotDir, body, { locale = 'en-GB' } = {}) {
  mkdirSync(shotDir, { recursive: true });
  const result = {};
  const pageErrors = [];
  const browser = await chromium.launch({
    executablePath: process.env.ML_CHROMIUM || '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-dev-shm-usage'],
  });
  let failed = false;
  try {
    const context = await browser.newContext({ viewport: DESKTOP, locale });
    const page = await context.newPage();
    page.setDefaultTimeout(30000 * timeScale);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // Refused requests (401/403, expected in the role checks) are not script errors.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text());
    });
    const t = {
      page,
      result,
      check,
      text: async (selector) => (await page.innerText(selector))?.replace(/\s+/g, ' ').trim(),
      async shots(name) {
        await page.screenshot({ path: join(shotDir, `${name}.png`), fullPage: true });
        await page.setViewportSize(PHONE);
        // Wait for the page to take the phone's width (a busy machine lays out late), then measure:
        // a page that still scrolls sideways after that fails.
        await page.waitForFunction((w) => window.innerWidth === w
          && document.documentElement.scrollWidth - window.innerWidth <= 1, PHONE.width, { timeout: 3000 * timeScale })
          .catch(() => {});
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        check(overflow <= 1, `${name} fits a ${PHONE.width} px phone (overflows by ${overflow} px)`);
        await page.screenshot({ path: join(shotDir, `${name}-phone.png`), fullPage: true });
        await page.setViewportSize(DESKTOP);
      },
      async login(user, password) {
        await page.waitForSelector('#login-form', { state: 'visible' });
        await page.fill('#username', user);
        await page.fill('#password', password);
        await page.click('#login-form button[type=submit]');
        await page.waitForSelector('#app-header', { state: 'visible' });
      },
      async logout() {
        await page.click('#logout');
        await page.waitForSelector('#login-form', { state: 'visible' });
      },
      fetchStatus: (path, { method = 'GET', body, csrf } = {}) => page.evaluate(async ([p, m, b, token]) => {
        const headers = { 'Content-Type': 'application/json' };
        if (token) headers['X-CSRF-Token'] = token;
        const res = await fetch(p, { method: m, headers, credentials: 'same-origin', body: b === undefined ? undefined : JSON.stringify(b) });
        return res.status;
      }, [path, method, body, csrf]),
      csrfToken: () => page.evaluate(async () => (await (await fetch('api/session', { credentials: 'same-origin' })).json()).csrf),
    };
    await body(t);
    check(pageErrors.length === 0, `no script errors in the page: ${pageErrors.join(' | ')}`);
    result.ok = true;
  } catch (err) {
    failed = true;
    result.ok = false;
    result.error = String(err && err.stack ? err.stack : err);
    result.pageErrors = pageErrors;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
  process.exit(failed ? 1 : 0);
}
