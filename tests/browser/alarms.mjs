// The alarm screens (web/src/alarms.js, rules.js, notifications.js, alarm_parts.js and the
// contacts in users.js and admin.js) in a real browser against a live system: `run` (alarm
// rounds every second, an SMTP and a webhook channel) and `serve` on the same SQLite file.
//
//   node alarms.mjs URL ROOT_USER ROOT_PASS OPERATOR SERIAL SCREENSHOT_DIR
//
// ROOT_USER is an admin of every group; OPERATOR an admin of SERIAL's group (Loppen) without a
// contact; SERIAL's newest sample is 10 minutes old. The test gives OPERATOR an e-mail address
// and SERIAL a customer contact, applies the "offline" template to group Hald, sees the editor
// mark a bad rule's error and then adds "age > 2 min" for Loppen (settle 5 s), edits it (both
// channels, repeat 2 h) and backtests it ("Try it") on SERIAL: the alarm appears
// on #/alarms, is snoozed and acknowledged with a note (shown there and in the meter's history).
// The caller, seeing the acknowledgement in the database, publishes a fresh sample: the alarm
// clears, and the history shows raised, notified, acknowledged and cleared. The notifications
// page lists the messages sent. VIEWER (optional) then reads the alarms without admin links or
// buttons. Screenshots of each page, desktop and phone. Prints what it read as JSON; exits
// non-zero on the first failed check.
import { args, browserTest, timeScale } from './harness.mjs';

const [url, rootUser, rootPass, operator, serial, shotDir, viewer, viewerPass] =
  args('node alarms.mjs URL ROOT_USER ROOT_PASS OPERATOR SERIAL SCREENSHOT_DIR [VIEWER VIEWER_PASS]', 6);
const NOTE = 'plumber called';

await browserTest(shotDir, async ({ page, result, check, text, shots, login, logout }) => {
  // Reloads `hash` until `ready` holds in the page (the server's rounds are not the page's).
  const until = async (hash, ready, what, seconds = 60) => {
    const deadline = Date.now() + seconds * 1000 * timeScale;
    for (;;) {
      await page.goto(`${url}${hash}`);
      await page.reload();
      await page.waitForSelector('.view:not([hidden])[data-loaded]');
      if (await page.evaluate(ready, serial)) return;
      check(Date.now() < deadline, `${what} within ${seconds * timeScale} s`);
      await page.waitForTimeout(500);
    }
  };

  await page.goto(url);
  await login(rootUser, rootPass);
  for (const id of ['nav-alarms', 'nav-rules', 'nav-notifications']) {
    check(await page.isVisible(`#${id}`), `the admin sees #${id}`);
  }

  // 1) The operator's e-mail (the alarm's message goes there) and the customer's contact.
  await page.click('#nav-users');
  await page.waitForSelector('#users-page[data-loaded="true"]');
  await page.click(`#users tr.user[data-name="${operator}"] .u-contact`);
  await page.fill('tr.user-edit .uc-phone', '12');
  await page.click('tr.user-edit .uc-save');
  await page.waitForSelector('tr.user-edit .message.error');
  result.phoneError = await text('tr.user-edit .message.error');
  await page.fill('tr.user-edit .uc-email', `${operator}@example.org`);
  await page.fill('tr.user-edit .uc-phone', '+45 12 34 56 78');
  await page.click('tr.user-edit .uc-save');
  await page.waitForFunction((u) => document.querySelector(`#users tr.user[data-name="${u}"] td.contact`)?.textContent.includes('@example.org'), operator);
  result.operatorContact = await text(`#users tr.user[data-name="${operator}"] td.contact`);
  check(result.operatorContact === `${operator}@example.org, +4512345678`, `the contact is listed: ${result.operatorContact}`);

  await page.goto(`${url}#/meter/${serial}`);
  await page.waitForSelector('#meter-page[data-loaded="true"]');
  await page.waitForSelector('#set-contact-email');
  await page.fill('#set-contact-email', 'kunde@example.org');
  await page.fill('#set-contact-phone', '+4587654321');
  await page.click('#set-save');
  await page.waitForSelector('#set-message.ok');
  await page.reload();
  await page.waitForSelector('#meter-page[data-loaded="true"]');
  check(await page.inputValue('#set-contact-email') === 'kunde@example.org', 'the customer e-mail is kept');

  // 2) Rules: a template for another group; the editor marks a bad rule, then adds a good one.
  await page.click('#nav-rules');
  await page.waitForSelector('#rules-page[data-loaded]');
  await page.selectOption('#tpl-name', 'offline');
  await page.fill('#tpl-group', 'Hald');
  await page.click('#tpl-apply');
  await page.waitForSelector('#rules tr.rule[data-name="offline"]');
  check((await text('#rules tr.rule[data-name="offline"] td.group')) === 'Hald', 'the template is applied to Hald');
  await page.fill('#re-name', 'stale');
  await page.fill('#re-group', 'Loppen');
  await page.fill('#re-rule', 'age > 2 kWh');
  await page.waitForSelector('#re-check[data-state="error"] #re-error');
  result.ruleError = await text('#re-error');
  check(/column \d+/.test(result.ruleError), `the parser's error names its column: ${result.ruleError}`);
  check(await page.isVisible('#re-check pre.rule-caret'), 'a caret marks the column');
  await page.fill('#re-rule', 'age>2 min');
  await page.waitForSelector('#re-check[data-state="ok"] #re-canonical');
  result.canonical = await text('#re-canonical');
  check(result.canonical === 'age > 2 min', `the canonical text: ${result.canonical}`);
  await page.selectOption('#re-severity', 'critical');
  await page.fill('#re-settle', '5s');
  await page.click('#re-save');
  await page.waitForSelector('#rules tr.rule[data-name="stale"]');
  result.rules = await page.$$eval('#rules tr.rule', (rows) => rows.map((r) => r.dataset.name));
  // Edit it: both channels ticked, a longer repeat.
  await page.click('#rules tr.rule[data-name="stale"] .rule-edit');
  check((await page.inputValue('#re-settle')) === '5s', 'the editor holds the rule\'s settle time');
  check((await page.inputValue('#re-rule')) === 'age > 2 min', 'the editor holds the rule\'s text');
  for (const channel of ['mail', 'hook']) await page.check(`#re-channels input[value="${channel}"]`);
  await page.fill('#re-repeat', '2h');
  await page.click('#re-save');
  await page.waitForSelector('#re-message.ok');
  await page.waitForFunction(() => document.querySelector('#rules tr.rule[data-name="stale"] td.channels')?.textContent === 'mail, hook');
  result.editedRule = await text('#rules tr.rule[data-name="stale"]');
  check(result.editedRule.includes('repeat 2h') && result.editedRule.includes('critical'), `the edit is shown: ${result.editedRule}`);
  // Try it: the backtest of the editor's text over the meter's data (its sample is 10 min old).
  await page.fill('#try-serial', serial);
  await page.click('#try-run');
  await page.waitForSelector('#try-events li.try-event[data-notify="raised"]');
  result.tryIt = await text('#try-events');
  check(result.tryIt.includes('raised'), `the backtest raises: ${result.tryIt}`);
  await shots('rules');

  // 3) The alarm appears (the round runs every second), is notified, snoozed and acknowledged.
  await until('#/alarms', (s) => Boolean(document.querySelector(`#alarms-open li.alarm[data-serial="${s}"][data-status="notified"]`)),
    'the alarm is raised and notified');
  const episode = await page.$eval(`#alarms-open li.alarm[data-serial="${serial}"]`, (li) => li.dataset.episode);
  result.episode = episode;
  const row = `#alarms-open li.alarm[data-episode="${episode}"]`;
  check((await page.$eval(row, (li) => li.closest('.alarm-group').dataset.severity)) === 'critical', 'grouped as critical');
  result.alarmRow = await text(row);
  check(result.alarmRow.includes('stale') && result.alarmRow.includes('raised'), `the row names rule and time: ${result.alarmRow}`);
  await page.click(`${row} .alarm-snooze-open`);
  await page.click(`${row} .snooze-for[data-for="1h"]`);
  await page.waitForSelector(`#alarms-open li.alarm[data-episode="${episode}"] .alarm-snooze`);
  result.snoozed = await text(`${row} .alarm-snooze`);
  await page.click(`${row} .alarm-ack-open`);
  await page.fill(`${row} .ack-note-input`, NOTE);
  await page.click(`${row} .ack-submit`);
  await page.waitForSelector(`#alarms-open li.alarm[data-episode="${episode}"][data-status="acknowledged"] .ack-note`);
  result.acked = await text(`${row} .alarm-ack`);
  check(result.acked.includes(`acknowledged by ${rootUser}`) && result.acked.includes(NOTE), `the acknowledgement is shown: ${result.acked}`);
  await page.waitForSelector(`#alarm-history li.transition[data-episode="${episode}"][data-to="acknowledged"]`);
  result.snoozeLine = await text(`#alarm-history li.transition[data-episode="${episode}"][data-kind="snoozed"]`);
  check(/^\d{4}-\d\d-\d\d \d\d:\d\d snoozed #\d+ stale .*until \d{4}-/.test(result.snoozeLine), `the snooze reads as a date: ${result.snoozeLine}`);
  await shots('alarms');

  // 4) The meter's page: its alarm and history, the note included.
  await page.goto(`${url}#/meter/${serial}`);
  await page.waitForSelector('#meter-alarms[data-loaded="true"]');
  check(await page.isVisible('#meter-alarms'), 'the meter page has an Alarms card');
  await page.waitForSelector(`#meter-alarm-history li.transition[data-episode="${episode}"][data-to="acknowledged"]`);
  result.meterHistory = await text(`#meter-alarm-history li.transition[data-episode="${episode}"][data-to="acknowledged"]`);
  check(result.meterHistory.includes(NOTE), `the note is in the meter's history: ${result.meterHistory}`);
  await page.evaluate(() => document.getElementById('meter-alarms').scrollIntoView());
  await shots('meter-alarms');

  // 5) The caller publishes a fresh sample: after the settle time the alarm clears.
  await until('#/alarms', (s) => Boolean(document.querySelector(`#alarm-history li.transition[data-serial="${s}"][data-to="cleared"]`)),
    'the alarm clears', 120);
  const steps = await page.$$eval(`#alarm-history li.transition[data-episode="${episode}"]`, (lis) => lis.map((li) => li.dataset.to).reverse());
  result.transitions = steps;
  for (const to of ['raised', 'notified', 'acknowledged', 'cleared']) check(steps.includes(to), `the history has ${to}: ${steps}`);
  check(!(await page.$(`#alarms-open li.alarm[data-episode="${episode}"]`)), 'the cleared alarm is no longer open');
  await page.goto(`${url}#/meter/${serial}`);
  await page.waitForSelector(`#meter-alarm-history li.transition[data-episode="${episode}"][data-to="cleared"]`);

  // 6) The notifications page: the messages went out (e-mail and webhook).
  await until('#/notifications', () => {
    const rows = [...document.querySelectorAll('#notifications tr.notification')];
    const sent = (channel) => rows.some((r) => r.dataset.channel === channel && r.dataset.state === 'sent');
    return sent('mail') && sent('hook');
  }, 'the messages are sent');
  result.channels = await page.$$eval('#channels tr.channel', (rows) => rows.map((r) => r.dataset.name));
  check(result.channels.includes('mail') && result.channels.includes('hook'), `the channels are listed: ${result.channels}`);
  await page.selectOption('#nf-state', 'sent');
  const states = await page.$$eval('#notifications tr.notification', (rows) => rows.map((r) => r.dataset.state));
  check(states.length > 0 && states.every((s) => s === 'sent'), `the state filter keeps the sent ones: ${states}`);
  result.notifications = await page.$$eval('#notifications tr.notification', (rows) => rows.map((r) => `${r.dataset.channel} ${r.querySelector('.recipient').textContent}`));
  check(result.notifications.some((n) => n === `mail ${operator}@example.org`), `the e-mail went to the operator: ${result.notifications}`);
  await shots('notifications');

  // 7) A viewer reads the alarms and their history, and has no admin links or buttons.
  if (viewer) {
    await logout();
    await login(viewer, viewerPass);
    check(await page.isVisible('#nav-alarms'), 'the viewer sees the alarms link');
    for (const id of ['nav-rules', 'nav-notifications']) check(!(await page.isVisible(`#${id}`)), `the viewer does not see #${id}`);
    await page.goto(`${url}#/alarms`);
    await page.waitForSelector('#alarms-page[data-loaded]');
    check(Boolean(await page.$(`#alarm-history li.transition[data-episode="${episode}"][data-to="cleared"]`)), 'the viewer reads the history');
    check(!(await page.$('#alarms-page .alarm-actions')), 'the viewer has no acknowledge or snooze buttons');
    await page.goto(`${url}#/rules`);
    await page.waitForTimeout(200);
    check(await page.isHidden('#rules-page') || !(await page.$('#rules-page')), 'the rules page is not the viewer\'s');
    result.viewerChecked = true;
  }
});
