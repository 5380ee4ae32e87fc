// The residents' side in a real browser (docs/residents.md): an admin invites a resident from the
// meter's page (web/src/residents_admin.js); the resident logs in on resident.html with the code
// the server e-mailed (read from the SMTP sink's files, as the resident reads their mail), sees
// the credit, the use table, the payments and how to pay; a payment the admin adds shows after a
// reload; the page switches to Danish; axe-core finds no WCAG 2.1 A/AA violation on the login and
// the meter pages in either language. Against a running `meterlogger-server run` (its notifier
// sends the code) and `serve`.
//
//   node residents.mjs URL ADMIN ADMIN_PASS SERIAL RESIDENT_EMAIL MAIL_DIR SCREENSHOT_DIR
//
// Prints what it read as JSON; exits non-zero on the first failed check.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { args, browserTest, timeScale } from './harness.mjs';

const [url, admin, adminPass, serial, email, mailDir, shotDir] = args(
  'node residents.mjs URL ADMIN ADMIN_PASS SERIAL RESIDENT_EMAIL MAIL_DIR SCREENSHOT_DIR', 7);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The body of each e-mail to `to` the SMTP sink kept (mail-N: {"to", "data"}), base64 decoded.
function mailsTo(to) {
  const out = [];
  for (const name of readdirSync(mailDir).filter((n) => /^mail-\d+$/.test(n)).sort()) {
    const record = JSON.parse(readFileSync(join(mailDir, name), 'utf8'));
    if (!record.to.includes(to)) continue;
    const [head, ...rest] = record.data.split(/\r?\n\r?\n/);
    const body = rest.join('\n');
    out.push({ head, body: /base64/i.test(head) ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body });
  }
  return out;
}

// Waits for the n-th e-mail to `to` (the notifier sends within its interval) and returns its code.
async function codeFromMail(to, n) {
  const deadline = Date.now() + 60000 * timeScale;
  while (Date.now() < deadline) {
    const mails = mailsTo(to);
    if (mails.length >= n) {
      const match = /\b(\d{8})\b/.exec(mails[n - 1].body);
      if (match) return { code: match[1], mail: mails[n - 1] };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no e-mail number ${n} to ${to} in ${mailDir}`);
}

// axe-core's violations of WCAG 2.0/2.1 level A and AA on the page as it is.
async function axeViolations(page) {
  // Through the debugging protocol, which the page's Content-Security-Policy (no inline
  // scripts) does not govern: the page is checked as it is served.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

await browserTest(shotDir, async ({ page, result, check, text, shots, login, logout }) => {
  const axe = async (where) => {
    const v = await axeViolations(page);
    result[`axe_${where}`] = v;
    check(v.length === 0, `no WCAG A/AA violations on ${where}: ${v.join(' | ')}`);
  };

  // The admin invites the resident from the meter's page.
  await page.goto(url);
  await login(admin, adminPass);
  await page.goto(`${url}#/meter/${serial}`);
  await page.waitForSelector('#residents-card');
  await page.waitForSelector('#residents-empty');
  await page.fill('#resident-name', 'Anna Hansen');
  await page.fill('#resident-email', 'not-an-address');
  await page.click('#resident-invite');
  await page.waitForSelector('#resident-message.error');
  result.badInvite = await text('#resident-message');
  await page.fill('#resident-email', email);
  await page.click('#resident-invite');
  await page.waitForSelector('#residents-table');
  result.invited = await text('#residents-table tbody');
  check(result.invited.includes(email) && result.invited.includes('Anna Hansen'), `the list shows the resident: ${result.invited}`);
  await shots('meter-residents');
  await logout();

  // The resident, on the residents' page, in the browser's language (English here).
  await page.goto(`${url}resident.html`);
  await page.waitForSelector('#address-form', { state: 'visible' });
  result.loginHeading = await text('#login h1');
  check(result.loginHeading === 'Log in to see your meter', `English first: ${result.loginHeading}`);
  await axe('login');
  await shots('resident-login');
  await page.fill('#address', email.toUpperCase()); // an address compares without case
  await page.click('#send-code');
  await page.waitForSelector('#code-form', { state: 'visible' });
  const first = await codeFromMail(email, 1);
  result.mailSubject = /^Subject: (.*)$/m.exec(first.mail.head)?.[1] || '';
  check(!result.mailSubject.includes(first.code), 'the code is not in the subject');
  // A wrong code first: refused, said so.
  await page.fill('#code', first.code === '00000000' ? '11111111' : '00000000');
  await page.click('#log-in');
  await page.waitForFunction(() => document.querySelector('#login-message').textContent.length > 0);
  result.wrongCode = await text('#login-message');
  check(/wrong/.test(result.wrongCode), `a wrong code is refused: ${result.wrongCode}`);
  await page.fill('#code', `${first.code.slice(0, 4)} ${first.code.slice(4)}`);
  await page.click('#log-in');
  await page.waitForSelector(`#meter-${serial}`);
  await page.waitForSelector(`#payments-table-${serial}`);
  await page.waitForSelector(`#use-${serial} table, #use-${serial} p`);
  result.credit = await text(`#credit-${serial}`);
  result.money = await text(`#money-${serial}`);
  result.days = await text(`#days-${serial}`);
  result.valve = await text(`#valve-${serial}`);
  result.payText = await text(`#pay-text-${serial}`);
  result.payments = await page.$$eval(`#payments-table-${serial} tbody tr`, (rows) => rows.length);
  result.useRows = await page.$$eval(`#use-table-${serial} tbody tr`, (rows) => rows.map((r) => r.innerText.replace(/\s+/g, ' ').trim()));
  check(await page.isVisible(`#meter-${serial} img.qr`), 'the payment QR code is shown');
  await axe('meter');
  await shots('resident-meter');

  // The days, weeks and years of use.
  for (const period of ['day', 'week', 'year']) {
    await page.click(`#meter-${serial} button[data-period=${period}]`);
    await page.waitForFunction(([s, p]) => {
      const pressed = document.querySelector(`#meter-${s} button[aria-pressed=true]`);
      return pressed && pressed.dataset.period === p && document.querySelector(`#use-${s} table, #use-${s} p`);
    }, [serial, period]);
  }
  result.yearRows = await page.$$eval(`#use-table-${serial} tbody tr`, (rows) => rows.map((r) => r.innerText.replace(/\s+/g, ' ').trim()));

  // A payment the admin adds appears after a reload, with the credit grown.
  const paid = await page.evaluate(async ([user, pass, s]) => {
    const login = await fetch('api/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin',
      body: JSON.stringify({ username: user, password: pass }),
    });
    const session = await login.json();
    const res = await fetch(`api/meters/${s}/payments`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf }, credentials: 'same-origin',
      body: JSON.stringify({ amount: '200', price: '2', note: 'bank transfer' }),
    });
    await fetch('api/logout', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf }, credentials: 'same-origin', body: '{}' });
    return res.status;
  }, [admin, adminPass, serial]);
  check(paid === 201, `the admin's payment is stored: ${paid}`);
  await page.reload();
  await page.waitForSelector(`#payments-table-${serial}`);
  result.paymentsAfter = await page.$$eval(`#payments-table-${serial} tbody tr`, (rows) => rows.length);
  result.creditAfter = await text(`#credit-${serial}`);
  check(result.paymentsAfter === result.payments + 1, `the payment appears: ${result.payments} -> ${result.paymentsAfter}`);

  // Danish, chosen on this device.
  await page.click('#language');
  await page.waitForFunction(() => document.documentElement.lang === 'da');
  await page.waitForSelector(`#payments-table-${serial}`);
  result.danishHeading = await text(`#h-${serial}`);
  check(/måler/.test(result.danishHeading), `Danish: ${result.danishHeading}`);
  await axe('meter_da');
  await shots('resident-meter-da');

  // Logging out shows the login again, still in Danish; axe checks the Danish login.
  await page.click('#logout');
  await page.waitForSelector('#address-form', { state: 'visible' });
  result.danishLogin = await text('#login h1');
  check(result.danishLogin === 'Log ind og se din måler', `the login in Danish: ${result.danishLogin}`);
  await axe('login_da');
  await shots('resident-login-da');
});
