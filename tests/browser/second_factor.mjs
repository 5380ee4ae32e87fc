// The second factor in a real browser (web/src/second_factor.js, the login form's code): Debian's
// Chromium, headless, driven by playwright-core, against a running `meterlogger-server serve`
// whose [http] second_factor needs one for ROOT_USER (an admin of every group without one yet).
//
//   node second_factor.mjs URL ROOT_USER ROOT_PASS SCREENSHOT_DIR [OTHER_USER]
//
// Logs in with the password and lands on the setup page (the header's links hidden), sets up
// the app from the key shown (the code computed here, as an authenticator app does: RFC 6238,
// HMAC-SHA1, 6 digits, 30 s), reads the ten recovery codes, continues to the first page, logs
// out, logs in again: the form asks for the code, and a recovery code logs in. Prints what it
// read as JSON (the recovery code used, so the caller can check it is spent); exits non-zero on
// the first failed check. With OTHER_USER (another user with a second factor set up), it then
// resets theirs from the Users page.
import { createHmac } from 'node:crypto';
import { args, browserTest } from './harness.mjs';

const [url, rootUser, rootPass, shotDir, otherUser] = args('node second_factor.mjs URL ROOT_USER ROOT_PASS SCREENSHOT_DIR [OTHER_USER]', 4);

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, '0');
}

await browserTest(shotDir, async ({ page, result, check, text, shots, logout }) => {
  await page.goto(url);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#username', rootUser);
  await page.fill('#password', rootPass);
  await page.click('#login-form button[type=submit]');
  // The role needs a second factor: the setup page, and nothing else to go to.
  await page.waitForSelector('#second-factor-begin', { state: 'visible' });
  check(!(await page.isVisible('nav.admin-nav')), 'the header links are hidden until it is set up');
  result.intro = await text('#second-factor-intro');
  check(/needs a second factor/.test(result.intro), `the page says why: ${result.intro}`);
  await page.click('#second-factor-begin');
  await page.waitForSelector('#second-factor-qr svg');
  const secret = await text('#second-factor-secret');
  check(/^[A-Z2-7]{32}$/.test(secret), `the key is shown as Base32: ${secret}`);
  await shots('second-factor-setup');
  // A wrong code first: refused, said so.
  const code = totp(base32Decode(secret), Date.now() / 1000);
  await page.fill('#second-factor-code', code === '000000' ? '111111' : '000000');
  await page.click('#second-factor-confirm button[type=submit]');
  await page.waitForSelector('#second-factor-message.error');
  result.wrongCode = await text('#second-factor-message');
  await page.fill('#second-factor-code', code);
  await page.click('#second-factor-confirm button[type=submit]');
  await page.waitForSelector('#recovery-codes li');
  const codes = (await page.$$eval('#recovery-codes li', (items) => items.map((li) => li.textContent.trim())));
  check(codes.length === 10, `ten recovery codes: ${codes.length}`);
  check(codes.every((c) => /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/.test(c)), `XXXXX-XXXXX: ${codes[0]}`);
  await shots('second-factor-codes');
  await page.click('#second-factor-continue');
  await page.waitForSelector('#attention-page[data-loaded]');
  check(await page.isVisible('nav.admin-nav'), 'the header links are back');

  // The next login asks for the code; a recovery code logs in.
  await logout();
  await page.fill('#username', rootUser);
  await page.fill('#password', rootPass);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-code', { state: 'visible' });
  result.asked = await text('#login-message');
  await shots('login-code');
  await page.fill('#login-code', codes[0].toLowerCase());
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#attention-page[data-loaded]');
  result.recoveryCode = codes[0];
  // The own page now says it is set up, with one recovery code fewer.
  await page.click('#nav-second-factor');
  await page.waitForSelector('#second-factor-state');
  result.state = await text('#second-factor-state');
  check(/left: 9/.test(result.state), `nine recovery codes left: ${result.state}`);

  // OTHER_USER lost their phone: the Users page resets their second factor (a second click
  // confirms); there is no such button for one's own.
  if (otherUser) {
    await page.click('#nav-users');
    await page.waitForSelector('#users-page[data-loaded="true"]');
    check(!(await page.isVisible(`#users tr.user[data-name="${rootUser}"] .u-factor-reset`)), 'no reset of one\'s own second factor');
    const reset = `#users tr.user[data-name="${otherUser}"] .u-factor-reset`;
    await page.click(reset);
    result.resetAsks = await text(reset);
    check(/Really reset/.test(result.resetAsks), `the first click asks: ${result.resetAsks}`);
    await page.click(reset);
    await page.waitForSelector(`#users tr.user[data-name="${otherUser}"]`);
    await page.waitForFunction((sel) => !document.querySelector(sel), reset);
    result.reset = otherUser;
  }
});
