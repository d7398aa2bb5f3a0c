// The booking portal as a person uses it, in Debian's headless Chromium driven by Playwright
// (playwright-core: no browser download; /usr/bin/chromium is the browser).
//
// Run by tests/browser_booking.rs against a bridge it started; usable by hand too:
//
//   BASE_URL=http://127.0.0.1:8080 USER=alice PASSWORD=secret SCREENSHOT=/tmp/sheet.png \
//     node tests/browser/booking.mjs
//
// (or the same four as arguments: node booking.mjs BASE_URL USER PASSWORD SCREENSHOT).
//
// Steps: log in; open "Plan a conference"; submit an invalid form (title too long, capacity 50)
// and check that each error shows beside its field and the typed title is kept; book a valid
// conference (audio and video, in the 2×2 layout) starting in a few minutes; on the connection
// sheet check the layout it names, read the SIP URI, conference number, access code and
// modification link; save full-page screenshots of the sheet (SCREENSHOT)
// and of the refused form (SCREENSHOT with -form-errors before .png); open the
// modification link in a fresh browser context (no session) and check it shows the same sheet.
//
// Standard output gets exactly one JSON line:
//   {"sip_uri": "...", "number": "...", "access_code": "...", "modify_url": "..."}
// Everything else goes to standard error. Any failure exits with status 1 and says which step
// failed, what page the browser was on and what that page said (and saves a screenshot of it
// beside SCREENSHOT, suffixed -failure.png).

import { chromium } from 'playwright-core';

const [argBase, argUser, argPassword, argShot] = process.argv.slice(2);
const BASE_URL = (argBase || process.env.BASE_URL || '').replace(/\/+$/, '');
const USER = argUser || process.env.USER_NAME || process.env.USER;
const PASSWORD = argPassword || process.env.PASSWORD;
const SCREENSHOT = argShot || process.env.SCREENSHOT;

/// Every single wait (navigation, selector) gives up after this long.
const STEP_MS = 15_000;
/// The whole script gives up after this long, whatever it is doing (a wedged browser included).
const TOTAL_MS = 90_000;
/// Chromium as this machine runs it: as root (so no sandbox), without a GPU, and without its
/// background connections to Google's services, which a closed network refuses many at a time.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/// A title longer than the 24 characters the booking rules allow.
const LONG_TITLE = 'Weekly staff meeting of the whole department';
/// The valid booking.
const TITLE = 'Weekly staff';
const RECIPIENT = 'staff@example.org';
/// The video layout chosen in the form's select, and how the sheet names it.
const LAYOUT = '2x2';
const LAYOUT_SHOWN = '2×2';

/// The form with its errors is kept beside the sheet's screenshot, for a person to look at.
const ERRORS_SCREENSHOT = () => SCREENSHOT.replace(/(\.png)?$/, '-form-errors.png');

let step = 'start';
let browser;
let page;

function log(msg) {
  process.stderr.write(`booking.mjs: ${msg}\n`);
}

/// Fail the current step with `msg`.
function fail(msg) {
  throw new Error(msg);
}

/// Local date (YYYY-MM-DD) and time (HH:MM) of `when` in the IANA zone `zone`.
function localDateTime(when, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(when)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/// Submit the booking form with its `#submit` button and return the response of the page the
/// browser lands on (after the redirect, when there is one).
async function submitForm() {
  const [response] = await Promise.all([
    page.waitForNavigation({ timeout: STEP_MS, waitUntil: 'load' }),
    page.click('#submit', { timeout: STEP_MS }),
  ]);
  if (!response) fail('submitting the form loaded no page');
  return response;
}

/// What `selector` shows on the current page: a link's target, a form field's value, or else
/// its visible text (fails when it is absent or hidden).
async function textOf(selector) {
  const el = page.locator(selector).first();
  await el.waitFor({ state: 'visible', timeout: STEP_MS });
  const tag = await el.evaluate((e) => e.tagName.toLowerCase());
  if (tag === 'a') return ((await el.getAttribute('href')) || '').trim();
  if (tag === 'input' || tag === 'textarea') return (await el.inputValue()).trim();
  return (await el.innerText({ timeout: STEP_MS })).trim();
}

/// Check that the error element `#error-FIELD` is shown, says something, and sits beside the
/// field `name` (its box starts within 120 px vertically of the field's: same row, or just
/// under or over it), so a person sees which field is wrong.
async function expectErrorBeside(field, name) {
  const error = page.locator(`#error-${field}`);
  if ((await error.count()) === 0) fail(`no #error-${field} element after the invalid submit`);
  if (!(await error.isVisible())) fail(`#error-${field} is in the page but not visible`);
  const message = (await error.innerText()).trim();
  if (!message) fail(`#error-${field} is empty`);
  if (!/\berror\b/.test((await error.getAttribute('class')) || '')) {
    fail(`#error-${field} lacks the class "error"`);
  }
  const input = page.locator(`[name="${name}"]`).first();
  const [eb, ib] = [await error.boundingBox(), await input.boundingBox()];
  if (!eb || !ib) fail(`#error-${field} or the field ${name} has no layout box`);
  const gap = Math.max(0, eb.y - (ib.y + ib.height), ib.y - (eb.y + eb.height));
  if (gap > 120) {
    fail(`#error-${field} is ${Math.round(gap)} px away from the field ${name}, not beside it`);
  }
  log(`#error-${field} beside ${name}: "${message}"`);
}

async function main() {
  if (!BASE_URL || !USER || !PASSWORD || !SCREENSHOT) {
    fail('need BASE_URL, USER (or USER_NAME), PASSWORD and SCREENSHOT (environment or arguments)');
  }
  step = 'launch chromium';
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: STEP_MS,
  });
  const context = await browser.newContext({
    viewport: { width: 1100, height: 900 },
    locale: 'en-GB',
  });
  page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);

  step = 'log in';
  let response = await page.goto(`${BASE_URL}/login?lang=en`);
  if (!response || response.status() !== 200) fail(`GET /login answered ${response?.status()}`);
  await page.fill('input[name="name"]', USER);
  await page.fill('input[name="password"]', PASSWORD);
  [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('form:has(input[name="password"]) [type="submit"]').first().click(),
  ]);
  if (new URL(page.url()).pathname !== '/conferences') {
    fail(`logging in led to ${page.url()} (status ${response?.status()}), not /conferences`);
  }
  log('logged in');

  step = 'open the form';
  response = await page.goto(`${BASE_URL}/conferences/new`);
  if (!response || response.status() !== 200) fail(`GET /conferences/new answered ${response?.status()}`);
  await page.locator('#submit').waitFor({ state: 'visible' });

  step = 'submit an invalid form';
  // The page may carry maxlength/max attributes, and Chromium would then refuse to send the form:
  // drop them (and the browser's own validation) so that it is the server's checks being tested,
  // as for a browser without them or a hand-made request.
  await page.evaluate(() => {
    for (const form of document.forms) form.noValidate = true;
    for (const el of document.querySelectorAll('[maxlength],[max],[min],[required],[pattern]')) {
      for (const a of ['maxlength', 'max', 'min', 'required', 'pattern']) el.removeAttribute(a);
    }
  });
  await page.fill('[name="title"]', LONG_TITLE);
  await page.fill('[name="capacity"]', '50');
  response = await submitForm();
  if (response.status() !== 422) fail(`the invalid form answered ${response.status()}, not 422`);
  await expectErrorBeside('title', 'title');
  await expectErrorBeside('capacity', 'capacity');
  const keptTitle = await page.inputValue('[name="title"]');
  if (keptTitle !== LONG_TITLE) fail(`the form kept the title "${keptTitle}", not "${LONG_TITLE}"`);
  const keptCapacity = await page.inputValue('[name="capacity"]');
  if (keptCapacity !== '50') fail(`the form kept the capacity "${keptCapacity}", not "50"`);
  await page.screenshot({ path: ERRORS_SCREENSHOT(), fullPage: true, timeout: STEP_MS });
  log(`invalid form refused with the errors beside their fields, typed values kept (${ERRORS_SCREENSHOT()})`);

  step = 'book a valid conference';
  await page.fill('[name="title"]', TITLE);
  await page.fill('[name="access_code"]', '');
  // UTC when the list has it, so the start is plain to compute; else the preselected zone.
  const zoneSelect = page.locator('select[name="time_zone"]');
  const zones = await zoneSelect.locator('option').evaluateAll((os) => os.map((o) => o.value));
  if (zones.includes('UTC')) await zoneSelect.selectOption('UTC');
  const zone = await zoneSelect.inputValue();
  // A start two to three minutes from now: in the future when the server checks it, and well
  // inside the bridge's early-join window, so the phone can join right after the booking.
  const start = localDateTime(new Date(Date.now() + 3 * 60_000), zone);
  await page.fill('[name="start_date"]', start.date);
  await page.fill('[name="start_time"]', start.time);
  await page.selectOption('select[name="duration_minutes"]', '60');
  await page.check('input[name="kind"][value="video"]');
  await page.selectOption('select[name="layout"]', LAYOUT);
  await page.fill('[name="capacity"]', '5');
  await page.fill('[name="comment"]', 'Booked by the browser test.');
  await page.fill('[name="recipients"]', RECIPIENT);
  log(`booking "${TITLE}" at ${start.date} ${start.time} ${zone}, 60 min, 5 connections, video in ${LAYOUT}`);
  response = await submitForm();
  if (response.status() === 200 && (await page.locator('[name="confirm_overlap"]').count()) > 0) {
    // An overlap with another booking of the same organiser only warns: confirm it.
    log('overlap warning shown: confirming');
    await page.check('[name="confirm_overlap"]');
    response = await submitForm();
  }
  const sheetPath = new URL(page.url()).pathname;
  if (response.status() !== 200 || !/^\/conferences\/[^/]+$/.test(sheetPath) || sheetPath === '/conferences/new') {
    const errors = await page.locator('.error').allInnerTexts();
    fail(`booking led to ${page.url()} (status ${response.status()}), not a sheet; errors: ${JSON.stringify(errors)}`);
  }

  step = 'read the connection sheet';
  const sipText = await textOf('#sip-uri');
  const sipUri = (sipText.match(/sips?:[^\s<>"]+/) || [])[0];
  if (!sipUri) fail(`#sip-uri says "${sipText}", no SIP URI in it`);
  const numberText = await textOf('#number');
  const number = (numberText.match(/\d+/) || [])[0];
  if (!number) fail(`#number says "${numberText}", no number in it`);
  const codeText = await textOf('#access-code');
  const accessCode = (codeText.match(/\d+/) || [])[0];
  if (!accessCode || !/^[1-9]\d{3}$/.test(accessCode)) fail(`#access-code says "${codeText}", not a 4-digit code`);
  if (!sipUri.includes(number)) fail(`the SIP URI ${sipUri} does not carry the number ${number}`);
  const modifyUrl = await textOf('#modify-url');
  if (!/\/m\/[^/\s]+$/.test(modifyUrl)) fail(`#modify-url is "${modifyUrl}", not a /m/TOKEN link`);
  const sheetTitle = await textOf('#title');
  if (!sheetTitle.includes(TITLE)) fail(`the sheet's #title says "${sheetTitle}", not "${TITLE}"`);
  if ((await page.locator('#sheet-text').count()) === 0) fail('the sheet has no #sheet-text to copy');
  const layoutText = await textOf('#layout');
  if (layoutText !== LAYOUT_SHOWN) fail(`the sheet's #layout says "${layoutText}", not "${LAYOUT_SHOWN}"`);
  const keyText = await textOf('#layout-key');
  if (!keyText.includes('*')) fail(`the sheet's #layout-key says "${keyText}", no * key in it`);
  await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: STEP_MS });
  log(`sheet at ${sheetPath} saved to ${SCREENSHOT}`);

  step = 'open the modification link without a session';
  // The link must work for a recipient who has no account: a context with no cookies. Its host
  // is the configured public URL; the path is what matters here.
  const anonymous = await browser.newContext();
  const other = await anonymous.newPage();
  const modifyPath = new URL(modifyUrl, BASE_URL).pathname;
  const linkResponse = await other.goto(`${BASE_URL}${modifyPath}`, { timeout: STEP_MS });
  if (!linkResponse || linkResponse.status() !== 200) {
    fail(`GET ${modifyPath} without a session answered ${linkResponse?.status()}`);
  }
  const linkCode = (await other.locator('#access-code').first().innerText({ timeout: STEP_MS })).trim();
  if (!linkCode.includes(accessCode)) fail(`the modification page shows the code "${linkCode}", not ${accessCode}`);
  await anonymous.close();

  process.stdout.write(
    `${JSON.stringify({ sip_uri: sipUri, number, access_code: accessCode, modify_url: modifyUrl })}\n`,
  );
}

/// On failure: where the browser was, what the page said, and a screenshot of it.
async function report(err) {
  log(`FAILED at step "${step}": ${err && err.message ? err.message : err}`);
  if (page) {
    try {
      log(`page: ${page.url()}`);
      const text = await page.locator('body').innerText({ timeout: 2_000 });
      log(`page text:\n${text.slice(0, 2_000)}`);
      if (SCREENSHOT) {
        const shot = SCREENSHOT.replace(/(\.png)?$/, '-failure.png');
        await page.screenshot({ path: shot, fullPage: true, timeout: 5_000 });
        log(`failure screenshot: ${shot}`);
      }
    } catch (e) {
      log(`(could not read the page: ${e.message})`);
    }
  }
}

const watchdog = setTimeout(() => {
  log(`FAILED: gave up after ${TOTAL_MS / 1000} s at step "${step}"`);
  process.exit(1);
}, TOTAL_MS);

let status = 0;
try {
  await main();
} catch (err) {
  await report(err);
  status = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  clearTimeout(watchdog);
}
process.exit(status);
