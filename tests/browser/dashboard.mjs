// The server's dashboard (web/) in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against a running `meterlogger-server serve`.
//
//   node dashboard.mjs URL ADMIN_USER ADMIN_PASS VIEWER_USER VIEWER_PASS SERIAL SCREENSHOT_DIR
//
// SERIAL must be a meter the admin may change, with a valve and some samples. The test refuses
// a wrong password, logs in as the admin, searches and sorts the list, opens the meter, zooms
// the energy chart by dragging (the data is fetched again for the narrower range), adds a
// payment after its preview (an open_until command is queued), closes the valve, sends `ping`
// from the command form (built from GET /api/commands), logs out
// (the API then answers 401), and logs in as the viewer, who sees no admin controls and whose
// POSTs are refused. Prints what it read as JSON; exits non-zero on the first failed check.
import { join } from 'node:path';
import { args, browserTest, DESKTOP, PHONE } from './harness.mjs';

const [url, adminUser, adminPass, viewerUser, viewerPass, serial, shotDir] =
  args('node dashboard.mjs URL ADMIN_USER ADMIN_PASS VIEWER_USER VIEWER_PASS SERIAL SCREENSHOT_DIR', 7);

await browserTest(shotDir, async ({ page, result, check, text, fetchStatus, csrfToken }) => {
  result.serial = serial;
  const serialsByGroup = () => page.$$eval('#meters tbody.group', (groups) => groups.map((g) => ({
    group: g.dataset.group,
    serials: [...g.querySelectorAll('tr.meter')].map((tr) => tr.dataset.serial),
  })));
  const meterApi = `api/meters/${encodeURIComponent(serial)}`;

  async function login(user, password) {
    await page.fill('#username', user);
    await page.fill('#password', password);
    await page.click('#login-form button[type=submit]');
  }

  // a) The login form; a wrong password is refused; the admin logs in and sees the list.
  await page.goto(url);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await login(adminUser, 'not-the-password');
  await page.waitForSelector('#login-message.error');
  result.wrongPassword = await text('#login-message');
  check(/wrong/i.test(result.wrongPassword), `wrong password refused: "${result.wrongPassword}"`);

  await login(adminUser, adminPass);
  // The dashboard opens on what needs attention; the list is one click away (#/meters).
  await page.waitForSelector('#attention-page[data-loaded]', { state: 'visible' });
  check(await page.isVisible('#nav-attention') && await page.isVisible('#nav-meters'), 'the header links to Attention and Meters');
  await page.click('#nav-meters');
  await page.waitForFunction(() => location.hash === '#/meters');
  await page.waitForSelector('#meter-list tr.meter');
  const row = `#meters tr.meter[data-serial="${serial}"]`;
  await page.waitForSelector(row, { state: 'visible' });
  result.user = await text('#user');
  check(result.user.includes(adminUser), `header names the user: "${result.user}"`);
  result.meters = await page.$$eval('#meters tr.meter', (rows) => rows.length);
  result.meterCount = await text('#meter-count');
  check(result.meterCount.includes(String(result.meters)), `the count says ${result.meters}: "${result.meterCount}"`);

  // Search: the serial finds the meter, nonsense finds nothing, clearing shows all again.
  await page.fill('#search', serial);
  await page.waitForFunction((s) => [...document.querySelectorAll('#meters tr.meter')]
    .every((tr) => tr.dataset.serial.includes(s) || tr.textContent.toLowerCase().includes(s.toLowerCase())), serial);
  check(await page.isVisible(row), 'search by serial keeps the meter');
  result.searchShown = await page.$$eval('#meters tr.meter', (rows) => rows.length);
  await page.fill('#search', 'no-such-meter-zz9');
  await page.waitForFunction(() => document.querySelectorAll('#meters tr.meter').length === 0);
  await page.fill('#search', '');
  await page.waitForFunction((n) => document.querySelectorAll('#meters tr.meter').length === n, result.meters);

  // Sorting by serial, then again: each group's order reverses.
  const serialTh = '#meters th[data-sort="serial"]';
  await page.click(serialTh);
  const firstDir = await page.getAttribute(serialTh, 'aria-sort');
  const before = await serialsByGroup();
  await page.click(serialTh);
  const secondDir = await page.getAttribute(serialTh, 'aria-sort');
  const after = await serialsByGroup();
  check(firstDir !== secondDir && ['ascending', 'descending'].includes(secondDir), `sort direction toggles (${firstDir} -> ${secondDir})`);
  for (const g of before) {
    const other = after.find((a) => a.group === g.group);
    check(other && JSON.stringify([...g.serials].reverse()) === JSON.stringify(other.serials),
      `group "${g.group}" reversed by the second click`);
  }
  result.sortChangedOrder = before.some((g) => g.serials.length > 1);
  // Sorting by another column keeps every meter.
  await page.click('#meters th[data-sort="remaining"]');
  check(await page.$$eval('#meters tr.meter', (rows) => rows.length) === result.meters, 'sorting keeps every meter');

  await page.screenshot({ path: join(shotDir, 'list.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForSelector(row, { state: 'visible' }); // the list follows the width
  check(await page.isVisible(row), 'the meter is listed on a phone');
  await page.screenshot({ path: join(shotDir, 'list-phone.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);

  // b) The meter's page: both charts drawn, the resolution the server picked.
  const seriesRequests = [];
  page.on('request', (req) => {
    if (req.url().includes(`${meterApi}/series`)) seriesRequests.push(req.url());
  });
  await page.click(`${row} a`);
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`, { state: 'visible' });
  await page.waitForSelector('#chart-energy .u-over');
  await page.waitForSelector('#chart-temps .u-over');
  await page.waitForSelector('#chart-energy[data-from][data-to]');
  await page.waitForFunction(() => ['raw', 'hour', 'day'].includes(document.querySelector('#resolution').textContent.trim()));
  result.title = await text('#meter-title');
  check(result.title.includes(serial), `title names the meter: "${result.title}"`);
  result.latest = {
    energy: await text('#latest-energy'),
    power: await text('#latest-power'),
    t1: await text('#latest-t1'),
    online: await text('#latest-online'),
    valve: await text('#latest-valve'),
    version: await text('#latest-version'),
  };
  result.prepaid = {
    remaining: await text('#remaining-kwh'),
    timeLeft: await text('#remaining-time'),
    openUntil: await text('#remaining-open-until'),
  };
  result.resolution = await text('#resolution');
  // The three hours the history lacks are listed as a gap (and drawn as a band on the charts).
  await page.waitForSelector('#gaps tbody tr.gap');
  result.gaps = await page.$$eval('#gaps tbody tr.gap', (rows) => rows.map((r) => r.cells[2].textContent));
  check(result.gaps.length === 1 && result.gaps[0] === '3', `one gap of 3 samples: ${JSON.stringify(result.gaps)}`);
  result.gapsInfo = await text('#gaps-info');
  check(result.gapsInfo.includes('every 3600 s'), `the interval is named: "${result.gapsInfo}"`);
  // Rejected messages naming the meter, with the likely cause (the test stored 7 with a bad MAC).
  check(await page.isVisible('#rejected-box'), 'the rejected messages are shown');
  result.rejected = await text('#rejected');
  check(result.rejected.toLowerCase().includes('bad mac: wrong key?') && result.rejected.includes('7 messages'),
    `the rejections name the cause and the count: "${result.rejected}"`);
  const range0 = await page.$eval('#chart-energy', (e) => ({ from: Number(e.dataset.from), to: Number(e.dataset.to) }));
  result.rangeBefore = range0;
  check(range0.to > range0.from, `a range is loaded: ${JSON.stringify(range0)}`);

  // Zoom: drag across the middle third of the energy chart.
  const requestsBefore = seriesRequests.length;
  await page.locator('#chart-energy .u-over').scrollIntoViewIfNeeded();
  const box = await page.locator('#chart-energy .u-over').boundingBox();
  check(box && box.width > 100, 'the energy chart has a plot area');
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width / 3, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, y, { steps: 5 });
  await page.mouse.move(box.x + (2 * box.width) / 3, y, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(([f, t]) => {
    const e = document.querySelector('#chart-energy');
    return Number(e.dataset.from) > f && Number(e.dataset.to) < t;
  }, [range0.from, range0.to]);
  const range1 = await page.$eval('#chart-energy', (e) => ({ from: Number(e.dataset.from), to: Number(e.dataset.to) }));
  result.rangeAfter = range1;
  result.resolutionAfter = await text('#resolution');
  const spanBefore = range0.to - range0.from;
  const spanAfter = range1.to - range1.from;
  check(spanAfter < spanBefore * 0.6 && spanAfter > spanBefore * 0.15, `zoomed to about a third (${spanBefore} s -> ${spanAfter} s)`);
  check(seriesRequests.length > requestsBefore, 'the zoom fetched the series again');
  const lastSeries = new URL(seriesRequests[seriesRequests.length - 1]);
  result.seriesRequest = lastSeries.pathname + lastSeries.search;
  check(Number(lastSeries.searchParams.get('from')) === range1.from && Number(lastSeries.searchParams.get('to')) === range1.to,
    `the last series request is for the zoomed range: ${result.seriesRequest}`);
  const hash = new URLSearchParams(new URL(page.url()).hash.split('?')[1] || '');
  check(Number(hash.get('from')) === range1.from && Number(hash.get('to')) === range1.to, `the range is in the address: ${page.url()}`);
  result.rangeSummary = await text('#range-summary');

  await page.screenshot({ path: join(shotDir, 'meter.png'), fullPage: true });
  await page.setViewportSize(PHONE);
  // The charts follow the width: wait for it, not for time.
  await page.waitForFunction((w) => {
    const chart = document.querySelector('#chart-energy .uplot');
    return chart && chart.getBoundingClientRect().width <= w;
  }, PHONE.width).catch(() => {});
  const phoneChartWidth = await page.$eval('#chart-energy .uplot', (e) => e.getBoundingClientRect().width);
  check(phoneChartWidth <= PHONE.width, `the chart fits a phone (${phoneChartWidth} px)`);
  await page.screenshot({ path: join(shotDir, 'meter-phone.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);

  // c) A payment: preview, confirm, the new limit queued.
  await page.waitForSelector('#payment-form');
  const paymentsBefore = await page.$$eval('#payments tr.payment', (rows) => rows.length);
  await page.fill('#pay-amount', '100');
  await page.fill('#pay-price', '0.85');
  await page.fill('#pay-note', 'browser test');
  check(await page.isDisabled('#pay-confirm'), 'no confirm before a preview');
  await page.click('#pay-preview');
  await page.waitForFunction(() => document.querySelector('#pay-preview-result').textContent.trim().length > 0);
  result.paymentPreview = await text('#pay-preview-result');
  check(result.paymentPreview.includes('117.647'), `the preview credits 100 / 0.85 kWh: "${result.paymentPreview}"`);
  check(await page.isEnabled('#pay-confirm'), 'confirm enabled after the preview');
  await page.click('#pay-confirm');
  await page.waitForFunction(() => /open_until/.test(document.querySelector('#pay-message').textContent));
  result.paymentMessage = await text('#pay-message');
  check(!(await page.getAttribute('#pay-message', 'class')).includes('error'), `payment added: "${result.paymentMessage}"`);
  check(/queued/.test(result.paymentMessage), `the message says queued: "${result.paymentMessage}"`);
  await page.waitForFunction((n) => document.querySelectorAll('#payments tr.payment').length === n + 1, paymentsBefore);
  const commandId = (/command (\d+)/.exec(result.paymentMessage) || [])[1];
  const openUntilRow = commandId
    ? `#commands tr.command[data-id="${commandId}"]`
    : '#commands tr.command[data-command="open_until"]';
  await page.waitForSelector(openUntilRow);
  result.openUntilCommand = await page.$eval(openUntilRow, (tr) => ({
    id: tr.dataset.id, command: tr.dataset.command, state: tr.dataset.state,
    argument: tr.querySelector('.arg')?.textContent,
  }));
  check(result.openUntilCommand.command === 'open_until', `the queued command is open_until: ${JSON.stringify(result.openUntilCommand)}`);
  check(['queued', 'sent', 'acked'].includes(result.openUntilCommand.state), `open_until is queued, sent or acked: ${result.openUntilCommand.state}`);

  // d) Close the valve (the page asks first).
  await page.waitForSelector('#valve-close');
  page.once('dialog', (dialog) => dialog.accept());
  await page.click('#valve-close');
  await page.waitForFunction(() => /queued/.test(document.querySelector('#valve-message').textContent));
  result.valveMessage = await text('#valve-message');
  await page.waitForSelector('#commands tr.command[data-command="close"]');
  result.closeCommand = await page.$eval('#commands tr.command[data-command="close"]', (tr) => tr.dataset.state);

  // The command form offers the server's list (GET /api/commands): `ping` takes no argument,
  // `open_until` does (its hint is the placeholder), `save` is not offered.
  await page.waitForSelector('#cmd-name option[value="ping"]', { state: 'attached' });
  result.commandOptions = await page.$$eval('#cmd-name option', (os) => os.map((o) => o.value));
  check(!result.commandOptions.includes('save'), `save is not offered: ${result.commandOptions.join(' ')}`);
  check(result.commandOptions.includes('open_until'), `open_until is offered: ${result.commandOptions.join(' ')}`);
  await page.selectOption('#cmd-name', 'open_until');
  check(await page.isEnabled('#cmd-argument'), 'open_until takes an argument');
  result.openUntilHint = await page.getAttribute('#cmd-argument', 'placeholder');
  check(/kWh/.test(result.openUntilHint || ''), `open_until's hint: "${result.openUntilHint}"`);
  await page.selectOption('#cmd-name', 'ping');
  check(!(await page.isEnabled('#cmd-argument')), 'ping takes no argument');
  await page.click('#cmd-send');
  await page.waitForFunction(() => /queued/.test(document.querySelector('#cmd-message').textContent));
  result.commandMessage = await text('#cmd-message');
  await page.waitForSelector('#commands tr.command[data-command="ping"]');

  // A POST without the CSRF token is refused, even for the admin (preview changes nothing).
  result.adminPostWithoutCsrf = await fetchStatus(`${meterApi}/payments/preview`, {
    method: 'POST', body: { amount: '1', price: '1', note: '' },
  });
  check(result.adminPostWithoutCsrf === 403, `admin POST without CSRF token: ${result.adminPostWithoutCsrf}`);
  result.adminPostWrongCsrf = await fetchStatus(`${meterApi}/payments/preview`, {
    method: 'POST', body: { amount: '1', price: '1', note: '' }, csrf: 'not-the-token',
  });
  check(result.adminPostWrongCsrf === 403, `admin POST with a wrong CSRF token: ${result.adminPostWrongCsrf}`);

  // e) Logging out ends the session.
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible' });
  result.afterLogout = await fetchStatus('api/meters');
  check(result.afterLogout === 401, `GET /api/meters after logout: ${result.afterLogout}`);

  // f) The viewer sees the meter but none of the admin controls, and the API refuses changes.
  await login(viewerUser, viewerPass);
  await page.waitForSelector(`#meter-page[data-serial="${serial}"]`, { state: 'visible' }); // the address kept the meter
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`);
  await page.waitForSelector('#chart-energy[data-from]');
  result.viewer = { user: await text('#user') };
  check(result.viewer.user.includes(viewerUser), `viewer logged in: "${result.viewer.user}"`);
  check(await page.$('#payment-form') === null, 'no payment form for the viewer');
  check(await page.$('#valve-close') === null, 'no valve control for the viewer');
  check(await page.$('#command-form') === null, 'no command form for the viewer');
  const csrf = await csrfToken();
  check(typeof csrf === 'string' && csrf.length > 0, 'the viewer has a CSRF token');
  result.viewer.postPayment = await fetchStatus(`${meterApi}/payments`, {
    method: 'POST', body: { amount: '100', price: '0.85', note: 'viewer' }, csrf,
  });
  result.viewer.postCommand = await fetchStatus(`${meterApi}/commands`, {
    method: 'POST', body: { command: 'open' }, csrf,
  });
  result.viewer.postWithoutCsrf = await fetchStatus(`${meterApi}/commands`, {
    method: 'POST', body: { command: 'open' },
  });
  check(result.viewer.postPayment === 403, `viewer POST payments: ${result.viewer.postPayment}`);
  check(result.viewer.postCommand === 403, `viewer POST commands: ${result.viewer.postCommand}`);
  check(result.viewer.postWithoutCsrf === 403, `viewer POST without CSRF token: ${result.viewer.postWithoutCsrf}`);
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible' });
});
