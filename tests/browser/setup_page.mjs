// The setup page in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Run by the integration test SetupPageBrowser.* (tests/integration/setup_page_test.cpp), which
// starts the broker, the emulated meters and the agent, then checks the change took effect.
//
//   node setup_page.mjs URL PASSWORD SCREENSHOT.png
//
// Logs in (after a wrong password is refused), reads the status, has a bad broker port
// refused, sets the pulse meter's base reading and impulses, and prints what it read as JSON.
import { chromium } from 'playwright-core';

const [url, password, screenshot] = process.argv.slice(2);
if (!url || !password) {
  console.error('usage: node setup_page.mjs URL PASSWORD [SCREENSHOT.png]');
  process.exit(2);
}

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

// Deadlines grow with ML_TEST_TIME_SCALE, as the integration tests' (docs/building.md).
const timeScale = Number(process.env.ML_TEST_TIME_SCALE || '1') || 1;

const browser = await chromium.launch({
  executablePath: process.env.ML_CHROMIUM || '/usr/bin/chromium',
  args: ['--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(30000 * timeScale);

  // Not logged in: the page sends the browser to the login form.
  await page.goto(url);
  check(new URL(page.url()).pathname === '/login', `redirected to /login, at ${page.url()}`);

  await page.fill('#password', 'not-the-password');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#message.error');
  check((await page.textContent('#message')).includes('Wrong password'), 'wrong password refused');

  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#meter-0');
  check(new URL(page.url()).pathname === '/', 'logged in');

  const read = async (id) => (await page.textContent(`#${id}`))?.trim();
  const status = {
    broker: await read('broker'),
    meter0: {
      heading: await read('meter-0 h2'),
      e1: await read('meter-0-e1'),
      framesOk: Number(await read('meter-0-frames-ok')),
      crcErrors: Number(await read('meter-0-crc-errors')),
      mqtt: await read('meter-0-mqtt'),
      valve: await read('meter-0-valve'),
    },
  };
  check(status.meter0.framesOk > 0, 'frames read from the meter');
  check(status.meter0.mqtt === 'connected', 'MQTT connected');

  // A bad broker port is refused, and the page says why.
  await page.fill('#broker-port', '70000');
  await page.click('#broker-form button[type=submit]');
  await page.waitForSelector('#message.error');
  check((await read('message')).includes('port must be a number'), 'bad port refused');

  // The pulse meter's settings: saved, shown, the count reset.
  await page.fill('#meter-1-base-input', '2500.5');
  await page.fill('#meter-1-per-unit-input', '800');
  await page.click('#meter-1-pulse-form button[type=submit]');
  await page.waitForSelector('#message.ok');
  check((await read('message')).includes('starts at 0'), 'pulse settings saved');
  status.pulseBase = await read('meter-1-base');
  status.pulsePerUnit = await read('meter-1-per-unit');
  check(status.pulseBase === '2500.5', `base shown as ${status.pulseBase}`);
  check(status.pulsePerUnit === '800', `impulses shown as ${status.pulsePerUnit}`);

  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  // Logging out ends the session: the page asks for the password again.
  await page.click('text=Log out');
  await page.waitForSelector('#login-form');
  console.log(JSON.stringify(status));
} finally {
  await browser.close();
}
