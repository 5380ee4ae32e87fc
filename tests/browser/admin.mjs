// The dashboard's admin screens (web/src/admin.js, users.js, audit.js) in a real browser:
// Debian's Chromium, headless, driven by playwright-core, against a running
// `meterlogger-server serve` on a real SQLite file.
//
//   node admin.mjs URL ROOT_USER ROOT_PASS SERIAL SCREENSHOT_DIR [OLD_SERIAL OLD_TIME]
//
// ROOT_USER is an admin of every group ("*"); SERIAL a meter with a valve and two active
// payments; OLD_SERIAL (optional) a meter without a valve whose newest sample is at OLD_TIME, a
// month ago, with a reset_reason event: its page has no prepaid card, its chart opens on the
// week of its data and the reset reads in words. The test adds meter 7000001 and reads its key once (the meter's page never shows
// it), edits the meter, corrects one payment of SERIAL and voids the other (each with a reason
// shown in the table), adds a user with a password the server makes, changes its groups, logs
// in as that user, reads and filters the audit log, and removes meter 7000001 after typing its
// serial. Screenshots of each screen at desktop and phone size. Prints what it read as JSON;
// exits non-zero on the first failed check.
import { args, browserTest } from './harness.mjs';

const [url, rootUser, rootPass, serial, shotDir, oldSerial, oldTime] =
  args('node admin.mjs URL ROOT_USER ROOT_PASS SERIAL SCREENSHOT_DIR [OLD_SERIAL OLD_TIME]', 5);
const NEW_SERIAL = '7000001';

await browserTest(shotDir, async ({ page, result, check, text, shots, login, logout }) => {
  result.serial = serial;
  await page.goto(url);
  await login(rootUser, rootPass);
  await page.waitForSelector('#attention-page[data-loaded]');
  await page.click('#nav-meters');
  await page.waitForSelector('#meters tbody tr.meter');
  for (const id of ['nav-add-meter', 'nav-users', 'nav-audit']) {
    check(await page.isVisible(`#${id}`), `the global admin sees #${id}`);
  }

  // 1) Add a meter: its key is shown once, with the steps for the gateway.
  await page.click('#nav-add-meter');
  await page.waitForSelector('#add-meter-form');
  await page.fill('#new-serial', NEW_SERIAL);
  await page.fill('#new-name', 'Skovvej 3');
  await page.fill('#new-group', 'Loppen');
  await page.fill('#new-setup', '100');
  await page.check('#new-valve');
  await page.click('#new-add');
  await page.waitForSelector('#key-once');
  const key = (await text('#key-value'));
  check(/^[0-9a-f]{32}$/.test(key), `a 32-hex-digit key is shown: "${key}"`);
  result.key = key;
  check((await text('#key-once')).includes(`key_file = "/etc/meterlogger/${NEW_SERIAL}.key"`), 'the key panel says where the key goes');
  await shots('add-meter');

  // 2) The meter's page never shows the key again; edit its settings.
  await page.click('#new-link');
  await page.waitForSelector('#meter-page[data-loaded="true"]');
  await page.waitForSelector('#meter-settings-form');
  check(!(await page.content()).includes(key), 'the meter page does not hold the key');
  await page.fill('#set-name', 'Skovvej 3, st.');
  await page.uncheck('#set-valve');
  await page.click('#set-save');
  await page.waitForSelector('#set-message.ok');
  await page.waitForFunction(() => document.querySelector('#meter-title .name')?.textContent === 'Skovvej 3, st.');
  result.edited = await text('#meter-title');
  await page.reload();
  await page.waitForSelector('#meter-page[data-loaded="true"]');
  check(!(await page.isChecked('#set-valve')), 'the valve is no longer installed after a reload');
  check(!(await page.content()).includes(key), 'the reloaded meter page does not hold the key');
  await page.evaluate(() => document.getElementById('meter-admin-slot').scrollIntoView());
  await shots('meter-settings');

  // 3) Correct one payment of SERIAL and void the other, each with a reason.
  await page.goto(`${url}#/meter/${serial}`);
  await page.waitForSelector('#meter-page[data-loaded="true"]');
  await page.waitForSelector('#payments tr.payment .pay-void');
  const active = await page.$$eval('#payments tr.payment', (rows) => rows.filter((r) => !r.classList.contains('void')).map((r) => r.dataset.id));
  check(active.length >= 2, `two active payments: ${active}`);
  const [first, second] = active;
  await page.click(`#payments tr.payment[data-id="${first}"] .pay-correct`);
  await page.waitForSelector('tr.payment-change[data-action="correct"]');
  // A reason is required.
  await page.fill('tr.payment-change .pc-amount', '80');
  await page.click('tr.payment-change button[type=submit]');
  await page.waitForSelector('tr.payment-change .message.error');
  await page.fill('tr.payment-change .pc-reason', 'typed 100 for 80');
  await page.click('tr.payment-change button[type=submit]');
  await page.waitForSelector(`#payments tr.payment.void[data-id="${first}"] .change-note`);
  result.corrected = await text(`#payments tr.payment[data-id="${first}"] td.state`);
  check(/corrected by/.test(result.corrected) && result.corrected.includes('typed 100 for 80'), `the correction is shown: ${result.corrected}`);
  await page.click(`#payments tr.payment[data-id="${second}"] .pay-void`);
  await page.fill('tr.payment-change[data-action="void"] .pc-reason', 'paid twice');
  await page.click('tr.payment-change[data-action="void"] button[type=submit]');
  await page.waitForSelector(`#payments tr.payment.void[data-id="${second}"] .change-note`);
  result.voided = await text(`#payments tr.payment[data-id="${second}"] td.state`);
  check(result.voided.includes('voided by') && result.voided.includes('paid twice'), `the void is shown: ${result.voided}`);
  await page.evaluate(() => document.getElementById('payments').scrollIntoView());
  await shots('payments');

  // 4) Users: add one (the server makes its password, shown once), change its groups.
  await page.click('#nav-users');
  await page.waitForSelector('#users-page[data-loaded="true"]');
  await page.fill('#nu-name', 'carl');
  await page.selectOption('#nu-role', 'admin');
  await page.fill('#nu-groups', 'Loppen');
  await page.click('#nu-add');
  await page.waitForSelector('.password-once code.key[data-user="carl"]');
  const carlPass = await text('.password-once code.key');
  check(carlPass.length === 20, `a made password: ${carlPass}`);
  await page.waitForSelector('#users tr.user[data-name="carl"]');
  await page.click('#users tr.user[data-name="carl"] .u-edit');
  await page.fill('tr.user-edit .ue-groups', 'Loppen, Hald');
  await page.click('tr.user-edit .ue-save');
  await page.waitForFunction(() => document.querySelector('#users tr.user[data-name="carl"] td.groups')?.textContent === 'Loppen, Hald');
  result.users = await page.$$eval('#users tr.user', (rows) => rows.map((r) => r.dataset.name));
  await shots('users');

  // 5) carl logs in with it: an admin of some groups sees the audit link, not the users link.
  await logout();
  await login('carl', carlPass);
  check(await page.isVisible('#nav-audit'), 'carl sees the audit link');
  check(!(await page.isVisible('#nav-users')), 'carl does not see the users link');
  await page.goto(`${url}#/audit`);
  await page.waitForSelector('#audit-page[data-loaded="true"]');
  result.carlAudit = await page.$$eval('#audit tr.audit-entry', (rows) => rows.map((r) => r.dataset.action));
  check(!result.carlAudit.includes('user.add'), `carl does not see the user entries: ${result.carlAudit}`);
  check(result.carlAudit.includes('payment.void'), `carl sees the entries of his meters: ${result.carlAudit}`);
  await logout();
  await login(rootUser, rootPass);

  // 6) The audit log: everything for root, filtered by actor.
  await page.click('#nav-audit');
  await page.waitForSelector('#audit-page[data-loaded="true"]');
  const actions = await page.$$eval('#audit tr.audit-entry', (rows) => rows.map((r) => r.dataset.action));
  for (const a of ['meter.add', 'meter.edit', 'payment.correct', 'payment.void', 'user.add', 'user.access']) {
    check(actions.includes(a), `the audit log has ${a}: ${actions}`);
  }
  check(!(await page.content()).includes(key), 'the audit page does not hold the key');
  check(!(await page.content()).includes(carlPass), 'the audit page does not hold the password');
  await page.fill('#audit-actor', 'carl');
  await page.click('#audit-apply');
  await page.waitForFunction(() => location.hash.includes('actor=carl'));
  await page.waitForSelector('#audit-page[data-loaded="true"]');
  await page.waitForFunction(() => {
    const actors = [...document.querySelectorAll('#audit tr.audit-entry td.actor')];
    return actors.length > 0 && actors.every((td) => td.textContent === 'carl');
  });
  result.carlEntries = await page.$$eval('#audit tr.audit-entry', (rows) => rows.map((r) => r.dataset.action));
  check(result.carlEntries.includes('login'), `carl's login is in the filtered log: ${result.carlEntries}`);
  await page.goto(`${url}#/audit`);
  await page.waitForSelector('#audit-page[data-loaded="true"]');
  await shots('audit');

  // 7) Remove meter 7000001: only after typing its serial.
  await page.goto(`${url}#/meter/${NEW_SERIAL}`);
  await page.waitForSelector('#meter-page[data-loaded="true"]');
  check(await page.isDisabled('#remove-meter'), 'remove is disabled before the serial is typed');
  await page.fill('#remove-confirm', '7000002');
  check(await page.isDisabled('#remove-meter'), 'remove is disabled for a wrong serial');
  await page.fill('#remove-confirm', NEW_SERIAL);
  await page.click('#remove-meter');
  await page.waitForFunction(() => location.hash === '#/meters');
  await page.waitForSelector('#meters tbody tr.meter');
  const serials = await page.$$eval('#meters tr.meter', (rows) => rows.map((r) => r.dataset.serial));
  check(!serials.includes(NEW_SERIAL), `the removed meter is gone from the list: ${serials}`);
  result.listAfterRemove = serials;
  await shots('list-after-remove');

  // 8) A meter without a valve and only old data.
  if (oldSerial) {
    await page.goto(`${url}#/meter/${oldSerial}`);
    await page.waitForSelector(`#meter-page[data-serial="${oldSerial}"][data-loaded="true"]`);
    check(await page.isHidden('#meter-page .card.prepaid'), 'no prepaid card without a valve');
    await page.waitForSelector('#chart-energy[data-from]');
    const range = await page.$eval('#chart-energy', (e) => ({ from: Number(e.dataset.from), to: Number(e.dataset.to) }));
    result.oldRange = range;
    check(range.from <= Number(oldTime) && Number(oldTime) <= range.to, `the chart opens on the data at ${oldTime}: ${JSON.stringify(range)}`);
    await page.waitForSelector('#events li.event-reset_reason');
    result.resetText = await text('#events li.event-reset_reason .detail');
    await page.evaluate(() => document.getElementById('events').scrollIntoView());
    await shots('meter-old-data');
  }

});
