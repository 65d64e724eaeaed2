// Drives the dashboard in Debian's headless Chromium through playwright-core
// (no browser download: executablePath is the system's chromium).
//
//   node tests/dashboard/run.mjs --base http://127.0.0.1:PORT --token SUPERVISOR_TOKEN \
//        --writer-token INTEGRATOR_TOKEN --out target/dashboard [--chromium /usr/bin/chromium] \
//        [--locale zh-CN|en-US]
//
// The browser runs with --locale (navigator.languages, Accept-Language):
// the page must pick that language by itself (<html lang>), show every
// label from its catalogue (in zh-CN no English message of the catalogue
// is visible, checked against the catalogues' keys), and, in zh-CN, switch
// to English with the header's switch, keep it over a reload, and switch
// back. Screenshots go to --out/<locale>/.
//
// Signs in with the token, checks there is no console error, that the ten
// risk rows, the heatmap and the funnel are shown, posts a lead through the
// API (as the writer: supervisors may not register leads) and waits for the
// funnel's lead count to move without a reload, opens a customer page and
// downloads its evidence bundle, and saves screenshots at 1920x1080 and
// 390x844 in --out. Exits 0 on success, 1 with the reason.

import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

function options() {
  const args = process.argv.slice(2);
  const get = (name, fallback) => {
    const i = args.indexOf("--" + name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const base = get("base", process.env.SALESLEDGER_DASHBOARD_URL);
  const token = get("token", process.env.SALESLEDGER_DASHBOARD_TOKEN);
  const writer = get("writer-token", process.env.SALESLEDGER_DASHBOARD_WRITER_TOKEN || token);
  const out = get("out", "target/dashboard");
  const executablePath = get("chromium", process.env.SALESLEDGER_CHROMIUM || "/usr/bin/chromium");
  const locale = get("locale", "en-US");
  if (!base || !token) {
    console.error("usage: run.mjs --base URL --token TOKEN [--writer-token TOKEN] [--out DIR] [--chromium PATH]");
    process.exit(2);
  }
  return { base: base.replace(/\/$/, ""), token, writer, out: join(out, locale), executablePath, locale };
}

const { base, token, writer, out, executablePath, locale } = options();
const pageLang = locale.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
const TIMEOUT = 90_000;
const consoleErrors = [];
let step = "starting";

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function watch(page, label) {
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`[${label}] console: ${message.text()} ${JSON.stringify(message.location())}`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`[${label}] page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // The long poll is aborted on purpose when a page closes; so are the
    // requests still in flight when the test itself navigates the page
    // away (a goto or reload of its own, see `navigate`).
    if (request.url().includes("/v1/events")) return;
    if (navigating.has(label) && request.failure()?.errorText === "net::ERR_ABORTED") return;
    consoleErrors.push(`[${label}] request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
}

// The pages the test is navigating away on purpose, by label.
const navigating = new Set();

// Runs the test's own navigation of the page labelled `label` (a goto or
// a reload), during which an aborted request is not an error.
async function navigate(label, action) {
  navigating.add(label);
  try {
    return await action();
  } finally {
    navigating.delete(label);
  }
}

async function catalogue(lang) {
  const response = await fetch(`${base}/dashboard/i18n/${lang}.json`);
  check(response.ok, `/dashboard/i18n/${lang}.json answered ${response.status}`);
  return response.json();
}

const messages = { en: await catalogue("en"), "zh-CN": await catalogue("zh-CN") };

// The English texts a Chinese page must not show: the literal parts of
// every English message that differs from its Chinese one, with at least
// two Latin letters (placeholders are data, not labels).
function englishLabels() {
  const labels = new Set();
  for (const [key, english] of Object.entries(messages.en)) {
    if (messages["zh-CN"][key] === english) continue;
    for (const part of english.split(/\{\w+\}/)) {
      const text = part.trim();
      if ((text.match(/[A-Za-z]/g) || []).length >= 2) labels.add(text);
    }
  }
  return [...labels];
}

// The page's visible text, without the cells that hold data (actors,
// event types, stream ids: they are not labels).
async function visibleLabels(page) {
  return page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    for (const node of copy.querySelectorAll('.actor, .detail, [data-testid="evidence-timeline"] tbody, [hidden]')) node.remove();
    document.body.append(copy);
    copy.style.position = "absolute";
    copy.style.left = "-100000px";
    const text = copy.innerText;
    copy.remove();
    return text;
  });
}

async function checkLanguage(page, where) {
  const lang = await page.evaluate(() => document.documentElement.lang);
  check(lang === pageLang, `${where}: <html lang="${lang}">, expected ${pageLang}`);
  const text = await visibleLabels(page);
  if (pageLang === "zh-CN") {
    const escape = (label) => label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const left = englishLabels().filter((label) => new RegExp(`(?<![A-Za-z])${escape(label)}(?![A-Za-z])`).test(text));
    check(left.length === 0, `${where}: English labels visible in zh-CN: ${JSON.stringify(left)}`);
    check(!/\bUTC\b/.test(text), `${where}: a time shown in UTC`);
  }
  return text;
}

async function funnelLeads(page) {
  const text = await page.locator('[data-testid="funnel-lead"]').textContent();
  return Number(String(text).replace(/[^0-9]/g, ""));
}

async function postLead() {
  const stamp = Date.now();
  const response = await fetch(base + "/v1/leads", {
    method: "POST",
    headers: { Authorization: "Bearer " + writer, "Content-Type": "application/json" },
    body: JSON.stringify({
      company_name: `Dashboard browser test ${stamp}`,
      contact_email: `dashboard-${stamp}@example.com`,
      attributes: { industry: "browser test" },
    }),
  });
  const body = await response.text();
  check(response.status === 201, `POST /v1/leads answered ${response.status}: ${body}`);
  return JSON.parse(body).last_position;
}

const userDataDir = mkdtempSync(join(tmpdir(), "salesledger-chromium-"));
mkdirSync(out, { recursive: true });
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1920, height: 1080 },
  locale,
  acceptDownloads: true,
});
context.setDefaultTimeout(TIMEOUT);
let desktop = null;
let phone = null;
let failed = false;
try {
  // ---- the meeting-room screen
  step = "desktop: sign in";
  desktop = context.pages()[0] || (await context.newPage());
  watch(desktop, "desktop");
  const started = Date.now();
  await desktop.goto(base + "/");
  await desktop.locator("#token").waitFor();
  await desktop.waitForFunction(() => document.title !== "");
  await checkLanguage(desktop, "sign-in page");
  await desktop.locator("#token").fill(token);
  await desktop.locator('#sign-in button[type="submit"]').click();
  await desktop.locator('[data-testid="identity"]').filter({ hasText: messages[pageLang]["role.supervisor"] }).waitFor();

  step = "desktop: ten risk rows";
  await desktop.waitForFunction(() => document.querySelectorAll('[data-testid="risk-row"]').length === 10, null, { timeout: TIMEOUT });
  step = "desktop: heatmap";
  await desktop.locator('[data-testid="heatmap"]').waitFor();
  const heatRows = await desktop.locator('[data-testid="heat-row"]').count();
  check(heatRows > 0, "the heatmap has no store row");
  step = "desktop: funnel";
  await desktop.locator('[data-testid="funnel-chart"]').waitFor();
  const before = await funnelLeads(desktop);
  check(before > 0, `the funnel shows ${before} leads`);
  await desktop.locator('[data-testid="health-trend"]').waitFor();
  console.log(`[${locale}] dashboard loaded in ${Date.now() - started} ms: 10 risk rows, ${heatRows} heatmap rows, ${before} leads in the funnel`);

  step = "desktop: the board's language";
  await desktop.waitForFunction(() => document.querySelectorAll('[data-testid="digest-row"]').length > 0 && document.querySelectorAll('[data-testid="leaderboard-row"]').length > 0, null, { timeout: TIMEOUT });
  const boardText = await checkLanguage(desktop, "board");
  for (const key of ["risk.title", "health.title", "funnel.title", "receivables.title", "penetration.title", "leaderboard.title", "digests.title"]) {
    check(boardText.includes(messages[pageLang][key]), `the board does not show ${key} "${messages[pageLang][key]}"`);
  }

  step = "desktop: a new lead appears without a reload";
  await desktop.evaluate(() => {
    window.__notReloaded = true;
  });
  const position = await postLead();
  const posted = Date.now();
  await desktop.waitForFunction(
    (expected) => {
      const node = document.querySelector('[data-testid="funnel-lead"]');
      return node && Number(node.textContent.replace(/[^0-9]/g, "")) === expected;
    },
    before + 1,
    { timeout: 60_000 },
  );
  check(await desktop.evaluate(() => window.__notReloaded === true), "the page reloaded");
  console.log(`the lead at position ${position} showed in the funnel ${Date.now() - posted} ms after the POST, without a reload`);
  await desktop.screenshot({ path: join(out, "desktop.png") });
  await desktop.screenshot({ path: join(out, "desktop-full.png"), fullPage: true });

  // ---- the phone (the token is kept in local storage: signed in already)
  step = "phone: board";
  phone = await context.newPage();
  watch(phone, "phone");
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(base + "/");
  await phone.waitForFunction(() => document.querySelectorAll('[data-testid="risk-row"]').length === 10, null, { timeout: TIMEOUT });
  await phone.locator('[data-testid="heatmap"]').waitFor();
  await phone.locator('[data-testid="funnel-chart"]').waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(overflow <= 390, `the phone page is ${overflow} px wide (scrolls sideways)`);
  await phone.screenshot({ path: join(out, "phone.png") });
  await phone.screenshot({ path: join(out, "phone-full.png"), fullPage: true });

  step = "phone: customer page and evidence bundle";
  await phone.locator('[data-testid="risk-row"] a').first().click();
  await phone.locator('[data-testid="customer-score"]').waitFor();
  await phone.locator('[data-testid="evidence-timeline"]').waitFor({ timeout: 180_000 });
  const [download] = await Promise.all([phone.waitForEvent("download"), phone.locator('[data-testid="download-bundle"]').click()]);
  const saved = join(out, "evidence-bundle.json");
  await download.saveAs(saved);
  const bundle = JSON.parse(readFileSync(saved, "utf8"));
  check(bundle.format === "salesledger-evidence/3", `the download is not a bundle: ${bundle.format}`);
  check(bundle.events.length > 0, "the bundle holds no event");
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `the phone customer page is ${wide} px wide`);
  await phone.screenshot({ path: join(out, "phone-customer.png"), fullPage: true });
  await navigate("desktop", () => desktop.goto(base + "/" + new URL(phone.url()).hash));
  await desktop.locator('[data-testid="evidence-timeline"]').waitFor({ timeout: 180_000 });
  await checkLanguage(desktop, "customer page");
  await desktop.screenshot({ path: join(out, "desktop-customer.png") });
  console.log(`customer page: ${bundle.events.length} events in the evidence bundle of ${bundle.subject.id}`);

  if (pageLang === "zh-CN") {
    step = "desktop: the language switch";
    await navigate("desktop", () => desktop.goto(base + "/"));
    await desktop.locator('[data-testid="lang-en"]').click();
    await desktop.waitForFunction(() => document.documentElement.lang === "en");
    await desktop.locator("#risk h2").filter({ hasText: messages.en["risk.title"] }).waitFor();
    await desktop.waitForFunction(() => document.querySelectorAll('[data-testid="risk-row"]').length === 10, null, { timeout: TIMEOUT });
    await navigate("desktop", () => desktop.reload());
    await desktop.locator("#risk h2").filter({ hasText: messages.en["risk.title"] }).waitFor();
    check((await desktop.evaluate(() => document.documentElement.lang)) === "en", "the English choice was not remembered over a reload");
    await desktop.screenshot({ path: join(out, "desktop-switched-to-en.png") });
    await desktop.locator('[data-testid="lang-zh-CN"]').click();
    await desktop.locator("#risk h2").filter({ hasText: messages["zh-CN"]["risk.title"] }).waitFor();
    // The board is redrawn after the fixed texts: wait until no render is in
    // flight and the last one drew in Chinese.
    await desktop.waitForFunction(() => document.documentElement.dataset.rendered === "zh-CN", null, { timeout: TIMEOUT });
    await desktop.waitForFunction(() => document.querySelectorAll('[data-testid="risk-row"]').length === 10, null, { timeout: TIMEOUT });
    await checkLanguage(desktop, "board after switching back");
    console.log("the language switch changes the page, is remembered over a reload, and switches back");
  }

  step = "console";
  check(consoleErrors.length === 0, `console errors:\n  ${consoleErrors.join("\n  ")}`);
  console.log(`dashboard browser test passed; screenshots in ${out}`);
} catch (error) {
  failed = true;
  console.error(`dashboard browser test FAILED at "${step}": ${error.message}`);
  if (consoleErrors.length) console.error(`console errors:\n  ${consoleErrors.join("\n  ")}`);
  for (const [page, name] of [
    [desktop, "failure-desktop.png"],
    [phone, "failure-phone.png"],
  ]) {
    if (page) await page.screenshot({ path: join(out, name), fullPage: true }).catch(() => {});
  }
} finally {
  await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
