// Drives the dashboard in Debian's headless Chromium through playwright-core
// (no browser download: executablePath is the system's chromium).
//
//   node tests/dashboard/run.mjs --base http://127.0.0.1:PORT --token SUPERVISOR_TOKEN \
//        --writer-token INTEGRATOR_TOKEN --out target/dashboard [--chromium /usr/bin/chromium]
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
  if (!base || !token) {
    console.error("usage: run.mjs --base URL --token TOKEN [--writer-token TOKEN] [--out DIR] [--chromium PATH]");
    process.exit(2);
  }
  return { base: base.replace(/\/$/, ""), token, writer, out, executablePath };
}

const { base, token, writer, out, executablePath } = options();
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
    // The long poll is aborted on purpose when a page closes.
    if (!request.url().includes("/v1/events")) consoleErrors.push(`[${label}] request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
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
  await desktop.locator("#token").fill(token);
  await desktop.locator('#sign-in button[type="submit"]').click();
  await desktop.locator('[data-testid="identity"]').filter({ hasText: "supervisor" }).waitFor();

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
  console.log(`dashboard loaded in ${Date.now() - started} ms: 10 risk rows, ${heatRows} heatmap rows, ${before} leads in the funnel`);

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
  check(bundle.format === "salesledger-evidence/2", `the download is not a bundle: ${bundle.format}`);
  check(bundle.events.length > 0, "the bundle holds no event");
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `the phone customer page is ${wide} px wide`);
  await phone.screenshot({ path: join(out, "phone-customer.png"), fullPage: true });
  await desktop.goto(base + "/" + new URL(phone.url()).hash);
  await desktop.locator('[data-testid="evidence-timeline"]').waitFor({ timeout: 180_000 });
  await desktop.screenshot({ path: join(out, "desktop-customer.png") });
  console.log(`customer page: ${bundle.events.length} events in the evidence bundle of ${bundle.subject.id}`);

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
