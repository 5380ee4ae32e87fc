// The meter list of a fleet larger than one page (web/src/list.js, GET /api/meters?limit=...)
// in Chromium against a live `serve` whose store holds METERS meters, serials FIRST, FIRST + 1,
// ... in one group (tests/integration/server_http_test.cpp, ServerDashboardBrowser.
// AFleetLargerThanAPageIsPaged): the first page and the pager, the next page, a search the
// server answers, a sort by name the server does, and the columns it cannot sort left alone.
// Screenshots desktop and phone.
//
//   node meter_pages.mjs URL USER PASS SCREENSHOT_DIR METERS FIRST
//
// Prints one line of JSON (what it saw); exits non-zero on the first failed check.
import { args, browserTest } from './harness.mjs';

const [url, user, pass, shotDir, metersText, firstText] =
  args('node meter_pages.mjs URL USER PASS SCREENSHOT_DIR METERS FIRST', 6);
const meters = Number(metersText);
const first = Number(firstText);
const PAGE = 500;

await browserTest(shotDir, async ({ page, result, check, text, shots, login }) => {
  const requests = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/meters') requests.push(u.search);
  });
  const rows = () => page.$$eval('#meters tr.meter', (trs) => trs.map((tr) => tr.dataset.serial));
  const range = () => text('#page-range');
  const waitRange = (want) => page.waitForFunction((w) => document.querySelector('#page-range').textContent === w, want);

  await page.goto(`${url}#/meters`);
  await login(user, pass);
  await page.waitForSelector('#pager', { state: 'visible' });
  const all = meters.toLocaleString('en');
  await waitRange(`1–${PAGE} of ${all}`);
  let shown = await rows();
  result.first = { count: shown.length, head: shown[0], text: await text('#meter-count') };
  check(shown.length === PAGE, `one page of ${PAGE} rows, not ${shown.length}`);
  check(shown[0] === String(first), `the page starts at ${first}: ${shown[0]}`);
  check(result.first.text === `${all} meters`, `the count is the fleet's: "${result.first.text}"`);
  check(await page.isDisabled('#page-prev') && !await page.isDisabled('#page-next'), 'only Next is open on the first page');
  check(requests[0].includes(`limit=${PAGE}`), `the list asked for one page: ${requests[0]}`);
  const head = await text('#meters tbody tr.group-head');
  check(head.includes(`${all} meters`), `the group heading counts the whole group: "${head}"`);

  await page.click('#page-next');
  await waitRange(`${PAGE + 1}–${Math.min(2 * PAGE, meters).toLocaleString('en')} of ${all}`);
  shown = await rows();
  check(shown[0] === String(first + PAGE), `the second page starts at ${first + PAGE}: ${shown[0]}`);
  check(!await page.isDisabled('#page-prev'), 'Previous is open on the second page');

  // A search goes to the server (the meter is on no page loaded so far).
  const wanted = String(first + meters - 3);
  await page.fill('#search', wanted);
  await page.waitForFunction((s) => [...document.querySelectorAll('#meters tr.meter')].map((tr) => tr.dataset.serial).join() === s, wanted);
  check(requests.at(-1).includes(`q=${wanted}`) && requests.at(-1).includes('offset=0'), `the search asked the server: ${requests.at(-1)}`);
  result.search = await range();
  check(result.search === '1–1 of 1', `one match: "${result.search}"`);
  await page.fill('#search', '');
  await waitRange(`1–${PAGE} of ${all}`);

  // Name sorts on the server: meter FIRST + i is named "Vej <METERS - i>", and names compare as
  // text ("Vej 1", "Vej 10", "Vej 100", ...). Energy does not sort.
  await page.click('#meters th[data-sort="name"]');
  const byName = [1, 10, 100].map((n) => String(first + meters - n));
  await page.waitForFunction((want) => [...document.querySelectorAll('#meters tr.meter')].slice(0, 3).map((tr) => tr.dataset.serial).join() === want, byName.join());
  check(await page.getAttribute('#meters th[data-sort="name"]', 'aria-sort') === 'ascending', 'name is the sort');
  check(requests.at(-1).includes('sort=name') && requests.at(-1).includes('order=asc'), `the sort asked the server: ${requests.at(-1)}`);
  result.byName = byName;
  const before = requests.length;
  await page.click('#meters th[data-sort="energy"]');
  check(await page.getAttribute('#meters th[data-sort="energy"]', 'aria-sort') === 'none', 'energy does not sort a paged list');
  check(requests.length === before, 'a column the server cannot sort asks nothing');
  check(await page.getAttribute('#meters th[data-sort="energy"]', 'class').then((c) => c.includes('unsortable')), 'energy is shown as not sortable');
  await shots('meter-pages');
});
