// The staff dashboard in Danish and English (docs/server.md, "Languages") in Chromium against a
// running `meterlogger-server serve` (tests/integration/server_http_test.cpp, ServerDashboardBrowser.
// DanishAndEnglish): the dashboard's catalogue (web/src/i18n_dashboard.js) holds the same keys and
// placeholders in both languages; a browser whose language is Danish gets every page in Danish
// (the login, what needs attention, the meter list, a meter's page with its admin parts, the
// alarms, the rules, the notifications, the users, the audit log, adding a meter and the second
// factor), each compared with the catalogue, with no raw key, no unfilled placeholder and no
// English text of the catalogue left, and the date of the key change under way written as
// Danish writes it; axe-core finds no WCAG 2.1 A/AA violation on any of them; the header's
// language button switches to English and back, <html lang> follows, a half-typed form is kept,
// and the choice outlives a reload and a logout. Screenshots of the Danish pages, desktop and phone.
//
//   node dashboard_languages.mjs URL ROOT_USER ROOT_PASS SERIAL KEY_CHANGE_SINCE SCREENSHOT_DIR
//
// ROOT_USER is an admin of every group; SERIAL a meter of theirs with a valve, samples, a
// payment and an open alarm, whose key change began at KEY_CHANGE_SINCE (unix time). Prints what
// it read as JSON; exits non-zero on the first failed check.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { args, browserTest } from './harness.mjs';

const [url, rootUser, rootPass, serial, sinceText, shotDir] =
  args('node dashboard_languages.mjs URL ROOT_USER ROOT_PASS SERIAL KEY_CHANGE_SINCE SCREENSHOT_DIR', 6);
const since = Number(sinceText);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The catalogue through the shared machinery (web/src/i18n.js), as the dashboard reads it.
const { CATALOGUE } = await import('../../web/src/i18n_dashboard.js');
const { catalogueKeys, useCatalogue } = await import('../../web/src/i18n.js');
useCatalogue(CATALOGUE);
const da = CATALOGUE.da;
const en = CATALOGUE.en;
{
  const danish = new Set(catalogueKeys('da'));
  const english = new Set(catalogueKeys('en'));
  const onlyOne = [...english].filter((k) => !danish.has(k)).concat([...danish].filter((k) => !english.has(k)));
  const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();
  const differ = [...english].filter((k) => danish.has(k) && placeholders(en[k]) !== placeholders(da[k]));
  if (onlyOne.length > 0 || differ.length > 0 || english.size < 300) {
    console.log(JSON.stringify({ ok: false, error: `the catalogue's languages differ: keys ${onlyOne.join(', ')}; placeholders ${differ.join(', ')}` }));
    process.exit(1);
  }
}
const keys = new Set(Object.keys(en));
// The texts of one language that the other never writes: shown in the other, they are a text
// the page did not translate.
const only = (mine, other) => {
  const theirs = new Set(Object.values(other));
  return new Set(Object.values(mine).filter((text) => !theirs.has(text)));
};
const onlyEnglish = only(en, da);
const onlyDanish = only(da, en);
// A count's text as the catalogue writes it.
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (m, name) => String(vars[name]));

await browserTest(shotDir, async ({ page, result, check, text, shots, login, logout }) => {
  // Every text the page shows: its rendered text nodes, the options of its lists, the labels,
  // placeholders and tooltips of its elements, and its title; not what the page marks as names
  // the server gives (translate="no": commands, events), which are the same in both languages.
  const shownTexts = () => page.evaluate(() => {
    const out = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest('[hidden], template, script, style, [translate=no]') || parent.getClientRects().length === 0) continue;
      out.push(n.textContent);
    }
    for (const node of document.querySelectorAll('option, [placeholder], [aria-label], [title], [alt]')) {
      if (node.closest('[hidden], template, [translate=no]')) continue;
      if (node.tagName === 'OPTION') out.push(node.textContent);
      for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) if (node.hasAttribute(attr)) out.push(node.getAttribute(attr));
    }
    return out.map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean);
  });
  // The page in `lang`: no catalogue key and no {placeholder} shown, nor a text of the
  // catalogue's other language.
  const inLanguage = async (lang, where) => {
    check(await page.evaluate(() => document.documentElement.lang) === lang, `${where}: <html lang="${lang}">`);
    const foreign = lang === 'da' ? onlyEnglish : onlyDanish;
    const texts = await shownTexts();
    const raw = texts.filter((s) => keys.has(s) || /\{\w+\}/.test(s));
    check(raw.length === 0, `${where}: no raw key or placeholder shown: ${raw.join(' | ')}`);
    const left = texts.filter((s) => foreign.has(s));
    check(left.length === 0, `${where}: no text of the other language: ${left.join(' | ')}`);
    result.texts = (result.texts || 0) + texts.length;
  };
  const axe = async (where) => {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const v = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((x) => `${x.id}: ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    check(v.length === 0, `no WCAG A/AA violations on ${where}: ${v.join(' | ')}`);
  };
  // A page of the Danish dashboard: in Danish, accessible, photographed.
  const danishPage = async (name) => {
    await inLanguage('da', name);
    await axe(name);
    await shots(`da-${name}`);
  };
  const is = async (selector, want, where = selector) => {
    const got = await text(selector);
    check(got === want, `${where} reads "${want}": "${got}"`);
  };
  const open = async (hash, ready) => {
    await page.goto(`${url}${hash}`);
    await page.waitForSelector(ready, { state: 'visible' });
  };

  // 1) The login, in the browser's language; a refused password is said in Danish.
  await page.goto(url);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await is('label[for=username]', da['login.username']);
  await is('#login-form button[type=submit]', da['login.submit']);
  await is('#login-language', da['lang.switch']);
  await page.fill('#username', rootUser);
  await page.fill('#password', 'not-the-password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-message.error');
  await is('#login-message', da['login.wrong']);
  await danishPage('login');
  await login(rootUser, rootPass);

  // 2) What needs attention, with the header.
  await page.waitForSelector('#attention-page[data-loaded]', { state: 'visible' });
  await is('#attention-page h1', da['att.heading']);
  for (const [id, key] of [['nav-attention', 'nav.attention'], ['nav-meters', 'nav.meters'], ['nav-alarms', 'nav.alarms'],
    ['nav-users', 'nav.users'], ['logout', 'logout'], ['language', 'lang.switch']]) {
    await is(`#${id}`, da[key]);
  }
  check(await page.getAttribute('nav.admin-nav', 'aria-label') === da['nav.label'], 'the header\'s menu is named in Danish');
  result.alarmsHeading = await text('#att-alarms h2');
  check(result.alarmsHeading.startsWith(da['att.alarms']), `the alarms' section: "${result.alarmsHeading}"`);
  await is('#att-alarms .sev', da['severity.critical']);
  await is('#att-fleet h2', da['att.fleet']);
  await danishPage('attention');

  // 3) The meter list: its headings, its count in Danish words.
  await page.click('#nav-meters');
  await page.waitForSelector(`#meters tr.meter[data-serial="${serial}"]`);
  await is('#meter-list h1', da['list.heading']);
  await is('#meters th[data-sort=serial]', da['list.col.serial']);
  const meters = await page.$$eval('#meters tr.meter', (rows) => rows.length);
  await is('#meter-count', fill(da[meters === 1 ? 'meters.one' : 'meters.other'], { n: meters }));
  check(await page.getAttribute('#search', 'placeholder') === da['list.search'], 'the search\'s hint is Danish');
  check(await page.title() === `${da['list.heading']} · MeterLogger`, `the title: ${await page.title()}`);
  await danishPage('list');

  // 4) The meter's page with its admin parts, and the key change's date as Danish writes it.
  await page.click(`#meters tr.meter[data-serial="${serial}"] a`);
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`, { state: 'visible' });
  await page.waitForSelector('#chart-energy[data-resolution]:not([data-resolution=""])');
  await page.waitForSelector('#payments tbody tr.payment');
  await page.waitForSelector('#meter-alarms[data-loaded]');
  await page.waitForSelector('#residents-empty');
  await is('#latest-heading', da['latest.heading']);
  await is('#remaining-heading', da['prepaid.heading']);
  await is('#payments-heading', da['payments.heading']);
  await is('#valve-close', da['valve.close.button']);
  await is('#pay-preview', da['payment.preview']);
  await is('#residents-heading', da['residents.heading']);
  await is('#payments tbody tr.payment .pay-void', da['payment.void']);
  await is('#resolution', da[`resolution.${await page.getAttribute('#chart-energy', 'data-resolution')}`]);
  await is('#meter-alarms .alarm-status', da['alarm.status.raised']);
  result.legend = await page.$$eval('#chart-energy .u-legend .u-series .u-label', (labels) => labels.map((l) => l.textContent));
  check(result.legend[0] === da['chart.time'] && result.legend[1] === fill(da['chart.energy'], { unit: 'kWh' }),
    `the chart's legend is Danish: ${result.legend}`);
  const keyDate = (locale) => page.evaluate(([t, l]) => new Intl.DateTimeFormat(l, { dateStyle: 'medium', timeStyle: 'short' })
    .format(new Date(t * 1000)), [since, locale]);
  const danishDate = await keyDate('da-DK');
  const englishDate = await keyDate('en-GB');
  check(danishDate !== englishDate, `the two languages write dates differently: ${danishDate} / ${englishDate}`);
  result.keyChange = await text('#key-change-state');
  check(result.keyChange === fill(da['key.change.since'], { time: danishDate }), `the key change's date is Danish: "${result.keyChange}"`);
  await danishPage('meter');

  // 5) The alarms, the rules, the notifications.
  await open('#/alarms', '#alarms-page[data-loaded]');
  await is('#alarms-page h1', da['alarms.heading']);
  await is('#alarms-open .alarm-ack-open', da['alarm.ack']);
  await is('#alarms-open .sev', da['severity.critical']);
  await danishPage('alarms');
  await open('#/rules', '#rules-page[data-loaded]');
  await is('#rules-page h1', da['rules.heading']);
  await is('#re-title', da['rules.new']);
  await danishPage('rules');
  await open('#/notifications', '#notifications-page[data-loaded]');
  await is('#notifications-page h1', da['notifications.heading']);
  await is('#channels-empty', da['notifications.channels.none']);
  await danishPage('notifications');

  // 6) The users, the audit log, adding a meter, the second factor.
  await open('#/users', '#users-page[data-loaded]');
  await is('#users-page h1', da['users.heading']);
  await is('#nu-add', da['users.add']);
  await is(`#users tr.user[data-name="${rootUser}"] td.role`, da['role.admin']);
  await danishPage('users');
  await open('#/audit', '#audit-page[data-loaded]');
  await is('#audit-page h1', da['audit.heading']);
  await danishPage('audit');
  await open('#/meters/new', '#add-meter-form');
  await is('#add-meter-page h1', da['add.heading']);
  await danishPage('add-meter');
  await open('#/second-factor', '#second-factor-begin');
  await is('#second-factor-begin', da['factor.begin']);
  await danishPage('second-factor');

  // 7) A half-typed rule survives a switch of language: the page is drawn again in English with
  // what was typed, ticked and chosen (web/src/typed.js), then back in Danish.
  await open('#/rules', '#rules-page[data-loaded]');
  await page.fill('#re-name', 'Halvt skrevet');
  await page.fill('#re-rule', 'flow1 > 2');
  await page.selectOption('#re-severity', 'critical');
  await page.uncheck('input[name="re-to"][value="operators"]');
  const typedRule = () => page.evaluate(() => ({
    name: document.getElementById('re-name').value,
    rule: document.getElementById('re-rule').value,
    severity: document.getElementById('re-severity').value,
    operators: document.querySelector('input[name="re-to"][value="operators"]').checked,
  }));
  const typed = await typedRule();
  for (const lang of ['en', 'da']) {
    await page.click('#language');
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    await page.waitForSelector('#rules-page[data-loaded]', { state: 'visible' });
    await is('#re-title', CATALOGUE[lang]['rules.new'], `in ${lang}, #re-title`);
    const kept = await typedRule();
    check(JSON.stringify(kept) === JSON.stringify(typed), `in ${lang}, the half-typed rule is kept: ${JSON.stringify(kept)}`);
  }

  // 8) The language button: English on the meter's page, kept after a reload, and back.
  await open(`#/meter/${serial}`, `#meter-page[data-serial="${serial}"][data-loaded]`);
  await page.waitForSelector('#key-change-state');
  await page.click('#language');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`, { state: 'visible' });
  await page.waitForSelector('#payments tbody tr.payment');
  await is('#latest-heading', en['latest.heading']);
  await is('#language', en['lang.switch']);
  check(await page.evaluate(() => localStorage.getItem('ml_language')) === 'en', 'the choice is kept on this device');
  await page.reload();
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`, { state: 'visible' });
  await page.waitForSelector('#payments tbody tr.payment');
  await page.waitForSelector('#meter-alarms[data-loaded]');
  await is('#latest-heading', en['latest.heading'], 'after a reload, #latest-heading');
  await is('#nav-meters', en['nav.meters'], 'after a reload, #nav-meters');
  result.keyChangeEnglish = await text('#key-change-state');
  check(result.keyChangeEnglish === fill(en['key.change.since'], { time: englishDate }), `the key change's date in English: "${result.keyChangeEnglish}"`);
  await inLanguage('en', 'the meter in English');
  await page.click('#language');
  await page.waitForFunction(() => document.documentElement.lang === 'da');
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`, { state: 'visible' });
  await is('#latest-heading', da['latest.heading'], 'back in Danish, #latest-heading');
  await page.reload();
  await page.waitForSelector(`#meter-page[data-serial="${serial}"][data-loaded]`, { state: 'visible' });
  await page.waitForSelector('#payments tbody tr.payment');
  await page.waitForSelector('#meter-alarms[data-loaded]');
  await inLanguage('da', 'the meter after a reload');
  await is('#latest-heading', da['latest.heading'], 'after a reload, #latest-heading');

  // 9) English chosen, then logged out: the login stays English.
  await page.click('#language');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await logout();
  await is('label[for=username]', en['login.username']);
  await is('#login-message', en['logout.done']);
  await inLanguage('en', 'the login in English');
}, { locale: 'da-DK' });
