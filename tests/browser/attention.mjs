// The "needs attention" page (#/, web/src/attention.js) in Chromium against a live `serve` whose
// store the test seeded (tests/integration/server_http_test.cpp, ServerDashboardBrowser.
// AttentionPage): each section lists the meters EXPECT names (a JSON object: per user, per
// section the serials, and the fleet's counts per group), the critical alarm above the warning,
// a row opens its meter, an empty section is one line, the chart is drawn, and an admin of one
// group sees only that group. Screenshots desktop and phone.
//
//   node attention.mjs URL ROOT_USER ROOT_PASS GROUP_USER GROUP_PASS SCREENSHOT_DIR EXPECT_JSON
//
// Prints one line of JSON (what it saw); exits non-zero on the first failed check.
import { args, browserTest } from './harness.mjs';

const [url, rootUser, rootPass, groupUser, groupPass, shotDir, expectJson] =
  args('node attention.mjs URL ROOT_USER ROOT_PASS GROUP_USER GROUP_PASS SCREENSHOT_DIR EXPECT_JSON', 7);
const expect = JSON.parse(expectJson);

const SECTIONS = {
  alarms: 'att-alarms',
  offline: 'att-offline',
  running_out: 'att-running-out',
  closed_with_credit: 'att-closed',
  used_up: 'att-used-up',
  rejected: 'att-rejected',
  unanswered: 'att-unanswered',
};

await browserTest(shotDir, async ({ page, result, check, text, shots, login, logout }) => {
  // What the page shows: per section its rows' serials and its count; the fleet table.
  const seen = () => page.evaluate((sections) => {
    const out = { sections: {}, groups: {} };
    for (const [key, id] of Object.entries(sections)) {
      const s = document.getElementById(id);
      out.sections[key] = s ? {
        serials: [...s.querySelectorAll('li.att-row')].map((li) => li.dataset.serial),
        count: Number(s.dataset.count),
        empty: s.classList.contains('att-empty'),
        text: s.textContent.replace(/\s+/g, ' ').trim(),
      } : null;
    }
    for (const tr of document.querySelectorAll('#att-groups tbody tr')) {
      const cell = (cls) => tr.querySelector(`td.${cls}`).textContent.trim();
      out.groups[tr.dataset.group] = { meters: Number(cell('att-meters')), online: Number(cell('att-online')), offline: Number(cell('att-offline')), today: cell('att-today') };
    }
    out.order = [...document.querySelectorAll('#attention-page > .att-section')].map((s) => s.id);
    out.severities = [...document.querySelectorAll('#att-alarms li.att-row .sev')].map((b) => b.textContent.trim());
    return out;
  }, SECTIONS);

  const checkAgainst = (got, want, who) => {
    for (const [key, serials] of Object.entries(want.sections)) {
      const s = got.sections[key];
      check(s !== null, `${who}: section ${key} is shown`);
      const sorted = (a) => [...a].sort().join(',');
      check(sorted(s.serials) === sorted(serials), `${who}: ${key} lists ${serials}, not ${s.serials}`);
      check(s.count === serials.length, `${who}: ${key} counts ${serials.length}, not ${s.count}`);
      check(s.empty === (serials.length === 0), `${who}: ${key} is one line exactly when empty`);
    }
    for (const [group, counts] of Object.entries(want.groups)) {
      const g = got.groups[group];
      check(g && g.meters === counts.meters && g.online === counts.online && g.offline === counts.offline,
        `${who}: fleet row ${group} says ${JSON.stringify(g)}, not ${JSON.stringify(counts)}`);
    }
    check(Object.keys(got.groups).sort().join(',') === Object.keys(want.groups).sort().join(','),
      `${who}: the fleet table has the groups ${Object.keys(want.groups)}: ${Object.keys(got.groups)}`);
  };

  // 1) The dashboard opens on what needs attention.
  await page.goto(url);
  await login(rootUser, rootPass);
  await page.waitForSelector('#attention-page[data-loaded]', { state: 'visible' });
  check(await page.isVisible('#nav-attention') && await page.isVisible('#nav-meters'), 'the header links to Attention and Meters');
  const root = await seen();
  result.root = root;
  checkAgainst(root, expect.root, rootUser);
  check(root.order.join(',') === ['att-broker', 'att-alarms', 'att-offline', 'att-running-out', 'att-closed', 'att-used-up', 'att-rejected', 'att-unanswered', 'att-fleet'].join(','),
    `the sections in order, the broker's warning first: ${root.order}`);
  result.broker = await text('#att-broker');
  check(result.broker.includes(`dropped ${expect.brokerDropped} messages`) && result.broker.includes('max_queued_messages 0'),
    `the broker's warning says what was dropped and what to change: "${result.broker}"`);
  check(root.severities[0] === 'critical' && root.severities.indexOf('warning') > 0,
    `the critical alarm is above the warning: ${root.severities}`);
  check(root.sections.alarms.serials[0] === expect.critical, `the first alarm is ${expect.critical}'s: ${root.sections.alarms.serials}`);
  const empty = Object.values(root.sections).find((s) => s.empty);
  if (empty) check(/^No /.test(empty.text), `an empty section is one line: "${empty.text}"`);

  // The chart: a line per group, drawn.
  await page.waitForSelector('#att-chart .u-over');
  result.chartSeries = await page.$$eval('#att-chart .u-legend .u-series', (s) => s.length - 1);
  check(result.chartSeries === Object.keys(expect.root.groups).length, `the chart has a line per group: ${result.chartSeries}`);
  result.chartPixels = await page.$eval('#att-chart canvas', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
    return n;
  });
  check(result.chartPixels > 1000, `the chart is drawn (${result.chartPixels} pixels)`);
  await shots('attention');

  // 2) A row opens its meter; the header link comes back.
  const target = expect.root.sections.running_out[0];
  await page.click(`#att-running-out li.att-row[data-serial="${target}"] a`);
  await page.waitForFunction((s) => location.hash.startsWith(`#/meter/${s}`), target);
  await page.waitForSelector(`#meter-page[data-serial="${target}"][data-loaded]`, { state: 'visible' });
  result.opened = await text('#meter-title');
  check(result.opened.includes(target), `the meter's page opened: "${result.opened}"`);
  await page.click('#nav-attention');
  await page.waitForSelector('#attention-page[data-loaded]', { state: 'visible' });
  check(await page.isHidden('#meter-page'), 'the meter page is gone');
  await page.click('#nav-meters');
  await page.waitForSelector('#meters tr.meter');
  check(await page.isHidden('#attention-page'), 'the list replaced the attention page');
  // The list keeps its search in the address, at #/meters and at an older #/?q= bookmark.
  for (const hash of [`#/meters?q=${target}`, `#/?q=${target}`]) {
    await page.goto(`${url}#/`);
    await page.waitForSelector('#attention-page[data-loaded]', { state: 'visible' });
    await page.goto(`${url}${hash}`);
    await page.waitForFunction((s) => document.querySelector('#search').value === s
      && [...document.querySelectorAll('#meters tr.meter')].map((tr) => tr.dataset.serial).join() === s, target);
  }

  // 3) An admin of one group sees that group's entries only.
  await logout();
  await page.goto(url);
  await login(groupUser, groupPass);
  await page.waitForSelector('#attention-page[data-loaded]', { state: 'visible' });
  const group = await seen();
  result.group = group;
  checkAgainst(group, expect.group, groupUser);
  check(!group.order.includes('att-broker'), `the broker's warning is for fleet administrators only: ${group.order}`);
  await shots('attention-group');
});
