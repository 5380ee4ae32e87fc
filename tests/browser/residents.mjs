// The residents' side in a real browser (docs/residents.md): an admin invites a resident from the
// meter's page (web/src/residents_admin.js); the resident logs in on resident.html with the code
// the server e-mailed (read from the SMTP sink's files, as the resident reads their mail), sees
// the credit, the use table, the payments and how to pay; a payment the admin adds shows after a
// reload; the resident downloads their data; the page switches to Danish; the resident chooses
// only the essential messages and gets the "running low" e-mail when the credit runs low; sets a
// password and logs in with it; logs in once with the link of a second code's e-mail; axe-core finds no WCAG
// 2.1 A/AA violation on the login and the meter pages in either language, nor on the meter's
// poster (from the Residents card's link). Against a running `meterlogger-server run` (its notifier
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

// The page's catalogue (web/src/i18n_resident.js): Danish and English hold the same keys, so no text
// falls back to English or shows as its key.
const { CATALOGUE } = await import('../../web/src/i18n_resident.js');
const { catalogueKeys, useCatalogue } = await import('../../web/src/i18n.js');
useCatalogue(CATALOGUE);
const danish = new Set(catalogueKeys('da'));
const english = new Set(catalogueKeys('en'));
const onlyOne = [...english].filter((k) => !danish.has(k)).concat([...danish].filter((k) => !english.has(k)));
if (onlyOne.length > 0 || english.size < 50) {
  console.log(JSON.stringify({ ok: false, error: `the catalogue's languages differ: ${onlyOne.join(', ')}` }));
  process.exit(1);
}
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

const subjectOf = (mail) => /^Subject: (.*)$/m.exec(mail.head)?.[1] || '';

// Waits for the n-th e-mail to `to` whose subject begins with `subject` (the notifier sends
// within its interval).
async function mailTo(to, subject, n = 1) {
  const deadline = Date.now() + 60000 * timeScale;
  while (Date.now() < deadline) {
    const mails = mailsTo(to).filter((m) => subjectOf(m).startsWith(subject));
    if (mails.length >= n) return mails[n - 1];
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no e-mail number ${n} to ${to} about "${subject}" in ${mailDir}`);
}

// The code of the n-th login code e-mail to `to`.
async function codeFromMail(to, n) {
  const mail = await mailTo(to, 'Your login code', n);
  const match = /\b(\d{8})\b/.exec(mail.body);
  if (!match) throw new Error(`no code in ${mail.body}`);
  return { code: match[1], mail };
}

// A request as the admin (its own session, in this page's cookie jar until it logs out).
function asAdmin(page, path, body) {
  return page.evaluate(async ([user, pass, p, b]) => {
    const json = { 'Content-Type': 'application/json' };
    const login = await fetch('api/login', { method: 'POST', headers: json, credentials: 'same-origin', body: JSON.stringify({ username: user, password: pass }) });
    const { csrf } = await login.json();
    const headers = { ...json, 'X-CSRF-Token': csrf };
    const res = b === undefined ? await fetch(p, { credentials: 'same-origin' })
      : await fetch(p, { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify(b) });
    const answer = { status: res.status, data: await res.json().catch(() => null) };
    await fetch('api/logout', { method: 'POST', headers, credentials: 'same-origin', body: '{}' });
    return answer;
  }, [admin, adminPass, path, body]);
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
  // The meter's poster, from the card's link: a page of its own, checked as the others.
  const posterHref = await page.getAttribute('#resident-poster', 'href');
  await page.goto(new URL(posterHref, page.url()).href);
  await page.waitForSelector('section.poster svg');
  result.poster = await text('section.poster');
  check(result.poster.includes(serial) && result.poster.includes('resident.html'), `the poster names the meter and the page: ${result.poster}`);
  await axe('poster');
  await page.screenshot({ path: join(shotDir, 'poster.png'), fullPage: true });
  await page.goto(`${url}#/meter/${serial}`);
  await page.waitForSelector('#residents-card');
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
  result.mailSubject = subjectOf(first.mail);
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
  result.useCells = await page.$$eval(`#use-table-${serial} tbody tr`, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent.trim())));
  result.weatherNote = await page.isVisible(`#weather-note-${serial}`);
  check(await page.isVisible(`#meter-${serial} img.qr`), 'the payment QR code is shown');
  // The resident's own data, from the page's links.
  const exportHref = await page.getAttribute('#your-data a[href$="export.json"]', 'href');
  result.exported = await page.evaluate(async (href) => {
    const res = await fetch(href, { credentials: 'same-origin' });
    const data = await res.json();
    return { status: res.status, email: data.resident.email, meters: data.meters.map((m) => m.serial), days: data.meters[0].days.length };
  }, exportHref);
  check(result.exported.status === 200 && result.exported.meters.join() === serial, `the export holds the meter: ${JSON.stringify(result.exported)}`);
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
  const paid = await asAdmin(page, `api/meters/${serial}/payments`, { amount: '200', price: '2', note: 'bank transfer' });
  check(paid.status === 201, `the admin's payment is stored: ${paid.status}`);
  await page.reload();
  await page.waitForSelector(`#payments-table-${serial}`);
  result.paymentsAfter = await page.$$eval(`#payments-table-${serial} tbody tr`, (rows) => rows.length);
  result.creditAfter = await text(`#credit-${serial}`);
  check(result.paymentsAfter === result.payments + 1, `the payment appears: ${result.payments} -> ${result.paymentsAfter}`);

  // Danish, chosen on this device; a choice made but not saved yet is kept (web/src/typed.js).
  await page.selectOption('#pref-notices', 'essential');
  await page.click('#language');
  await page.waitForFunction(() => document.documentElement.lang === 'da');
  await page.waitForSelector(`#payments-table-${serial}`);
  await page.waitForSelector('#pref-notices');
  result.notChosenYet = await page.$eval('#pref-notices', (s) => s.value);
  check(result.notChosenYet === 'essential', `the unsaved choice is kept in Danish: ${result.notChosenYet}`);
  result.danishHeading = await text(`#h-${serial}`);
  check(/måler/.test(result.danishHeading), `Danish: ${result.danishHeading}`);
  await axe('meter_da');
  await shots('resident-meter-da');

  // The resident wants only the essential messages; then the credit runs low (the admin
  // corrects the first payment down): the "running low" e-mail reaches them.
  await page.selectOption('#pref-notices', 'essential');
  await page.selectOption('#pref-low', '7');
  await page.click('#preferences button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#pref-message').textContent.length > 0);
  result.prefsSaved = await text('#pref-message');
  check(result.prefsSaved === 'Gemt.', `the choice is saved: ${result.prefsSaved}`);
  const ledger = await asAdmin(page, `api/meters/${serial}/payments`);
  const big = ledger.data.payments.find((p) => p.amount === '20000' && p.state === 'active');
  const corrected = await asAdmin(page, `api/payments/${big.id}/correct`, { amount: '15880', price: '2', reason: 'typed wrong' });
  check(corrected.status === 200, `the payment is corrected: ${JSON.stringify(corrected)}`);
  const low = await mailTo(email, 'Running low');
  result.lowMail = { subject: subjectOf(low), body: low.body };
  await page.reload();
  await page.waitForSelector(`#credit-${serial}`);
  result.creditLow = await text(`#credit-${serial}`);
  result.daysLow = await text(`#days-${serial}`);

  // A password of their own: too short is refused on the page; a good one is saved (this
  // browser goes on in a new session), and then logs in without a code.
  await page.fill('#new-password', 'kort');
  await page.click('#password-change button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#password-message').textContent.length > 0);
  result.passwordShort = await text('#password-message');
  check(/mindst 8/.test(result.passwordShort), `a short password is refused: ${result.passwordShort}`);
  await page.fill('#new-password', 'varme i stuen 2026');
  await page.click('#password-change button[type=submit]');
  await page.waitForFunction(() => /Gemt/.test(document.querySelector('#password-message')?.textContent || ''));
  check(await page.isVisible('#remove-password'), 'a password once set can be removed');
  await page.click('#logout');
  await page.waitForSelector('#address-form', { state: 'visible' });
  await page.click('#use-password');
  await page.fill('#pw-address', email);
  await page.fill('#password', 'forkert adgangskode');
  await page.click('#password-log-in');
  await page.waitForFunction(() => document.querySelector('#login-message').textContent.length > 0);
  result.passwordWrong = await text('#login-message');
  check(/Forkert adresse eller adgangskode/.test(result.passwordWrong), `a wrong password is refused: ${result.passwordWrong}`);
  await page.fill('#password', 'varme i stuen 2026');
  await page.click('#password-log-in');
  await page.waitForSelector(`#meter-${serial}`);
  await axe('password_da');

  // The link in a code's message logs in once; the fragment leaves the address bar.
  await page.click('#logout');
  await page.waitForSelector('#address-form', { state: 'visible' });
  await page.fill('#address', email);
  await page.click('#send-code');
  await page.waitForSelector('#code-form', { state: 'visible' });
  const second = await codeFromMail(email, 2);
  const link = /(http\S+#login=\S+)/.exec(second.mail.body)?.[1];
  check(link && link.includes(`#login=${second.code}&`), `the message holds a login link with its code: ${second.mail.body}`);
  await page.goto(link);
  await page.waitForSelector(`#meter-${serial}`);
  result.linkUrl = page.url();
  check(!result.linkUrl.includes('#'), `the code left the address bar: ${result.linkUrl}`);
  await page.click('#logout');
  await page.waitForSelector('#address-form', { state: 'visible' });
  await page.goto(link);
  await page.waitForFunction(() => document.querySelector('#login-message').textContent.length > 0);
  result.linkAgain = await text('#login-message');
  check(/brugt eller udløbet/.test(result.linkAgain), `a used link is refused: ${result.linkAgain}`);
  check(await page.inputValue('#address') === email, 'the link\'s address is filled in to ask again');

  // The login, still in Danish after logging out; axe checks the Danish login.
  await page.waitForSelector('#address-form', { state: 'visible' });
  result.danishLogin = await text('#login h1');
  check(result.danishLogin === 'Log ind og se din måler', `the login in Danish: ${result.danishLogin}`);
  await axe('login_da');
  await shots('resident-login-da');
});
