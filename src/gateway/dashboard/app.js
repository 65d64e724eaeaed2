// salesledger morning dashboard: plain JavaScript, no framework, no build
// step, no external resource. Every figure comes from the authenticated
// /v1/ API; the page refreshes itself by long-polling GET /v1/events and
// re-reading the views with wait_for_position (read-your-writes).
"use strict";

const TOKEN_KEY = "salesledger.token";
const LANG_KEY = "salesledger.lang";
const LANGS = ["zh-CN", "en"];
const SVG_NS = "http://www.w3.org/2000/svg";
const POLL_WAIT_MS = 25000;
const LEVELS = ["green", "yellow", "red"];
const AGING = ["current", "1_30", "31_60", "61_90", "over_90"];
const STAGES = ["lead", "qualified", "proposal", "negotiation", "won"];

const app = {
  token: null,
  me: null,
  generation: 0, // bumped at sign-in/out: stale loops stop
  poll: null, // AbortController of the long poll
  position: null, // highest log position known to be reflected
  refreshing: false,
  pendingPosition: null,
  refreshTimer: null,
  route: { name: "board" },
  bundle: null, // {customerId, text}
  evidenceStale: false, // a record about the open customer arrived
  leaderboardRegion: null,
  digestDay: null,
  lang: "en",
  messages: {},
  rendersInFlight: 0,
  // The organisation's time zone: the pool policy's day-close offset
  // (GET /v1/me), China Standard Time until the page knows it.
  utcOffsetMinutes: 480,
};

// ---------------------------------------------------------------- DOM helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function tip(text) {
  return svg("title", { text });
}

function $(id) {
  return document.getElementById(id);
}

function bodyOf(sectionId) {
  return $(sectionId).querySelector(".body");
}

function show(sectionId, ...nodes) {
  const body = bodyOf(sectionId);
  body.replaceChildren(...nodes.flat().filter(Boolean));
}

function empty(text) {
  return el("p", { class: "empty", text });
}

// ------------------------------------------------------------ messages

// The language: the one chosen with the header's switch (remembered), else
// the browser's first zh* (-> zh-CN) or en* preference, else English.
function preferredLang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (LANGS.includes(saved)) return saved;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (const tag of wanted) {
    const lower = String(tag).toLowerCase();
    if (lower === "zh" || lower.startsWith("zh-")) return "zh-CN";
    if (lower === "en" || lower.startsWith("en-")) return "en";
  }
  return "en";
}

async function loadMessages(lang) {
  const response = await fetch(`/dashboard/i18n/${lang}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`/dashboard/i18n/${lang}.json: HTTP ${response.status}`);
  return response.json();
}

// The message `key` with its {placeholders} filled from `params`.
function t(key, params) {
  const text = Object.prototype.hasOwnProperty.call(app.messages, key) ? app.messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
}

// The message as nodes: a placeholder whose value is a DOM node is that node.
function tNodes(key, params) {
  const text = Object.prototype.hasOwnProperty.call(app.messages, key) ? app.messages[key] : key;
  return text.split(/(\{\w+\})/).filter((part) => part !== "").map((part) => {
    const match = /^\{(\w+)\}$/.exec(part);
    if (!match || !params || !(match[1] in params)) return part;
    const value = params[match[1]];
    return value instanceof Node ? value : String(value);
  });
}

// A message named by a data value (`stage.won`, `risk.kind.low_usage`);
// the value itself, words spaced, when the catalogue has none.
function tKind(prefix, value) {
  const key = prefix + "." + value;
  return Object.prototype.hasOwnProperty.call(app.messages, key) ? app.messages[key] : humanKind(value);
}

// A region as the reader says it: the server's placeholder for a customer
// without one ("unassigned") from the catalogue, a region's own name as it is.
function regionName(region) {
  return region === "unassigned" ? t("region.unassigned") : region;
}

// Fills the page's fixed texts from the catalogue and marks the language.
function applyStatic() {
  document.documentElement.lang = app.lang;
  document.title = t("page.title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const attribute of ["title", "aria-label", "placeholder"]) {
    for (const node of document.querySelectorAll(`[data-i18n-${attribute}]`)) {
      node.setAttribute(attribute, t(node.getAttribute(`data-i18n-${attribute}`)));
    }
  }
  $("sign-in-help").replaceChildren(...tNodes("auth.help", { command: el("code", { text: "serve --demo" }) }));
  for (const button of document.querySelectorAll("#lang button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === app.lang));
  }
  nf = new Intl.NumberFormat(t("format.locale"));
}

async function setLang(lang) {
  const messages = await loadMessages(lang);
  app.lang = lang;
  app.messages = messages;
  applyStatic();
}

// -------------------------------------------------------------- formatting

let nf = new Intl.NumberFormat("en-US");

function fmtInt(n) {
  return n === null || n === undefined ? "–" : nf.format(n);
}

function fmtBp(bp) {
  return bp === null || bp === undefined ? "–" : t("format.percent", { n: (bp / 100).toFixed(bp % 100 === 0 ? 0 : 1) });
}

function fmtScore(bp) {
  return bp === null || bp === undefined ? "–" : (bp / 100).toFixed(2);
}

// Amounts in yuan: ¥ and 万 in every language, as the organisation writes them.
function fmtFen(fen) {
  if (fen === null || fen === undefined) return "–";
  const yuan = fen / 100;
  if (Math.abs(yuan) >= 1e6) return "¥" + (yuan / 1e4).toFixed(0) + "万";
  if (Math.abs(yuan) >= 1e4) return "¥" + (yuan / 1e4).toFixed(1) + "万";
  return "¥" + nf.format(Math.round(yuan));
}

function fmtCents(cents) {
  if (cents === null || cents === undefined) return "–";
  return (cents / 100).toLocaleString(t("format.locale"), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

// Large sums with the language's unit (k / M; 万 / 亿).
function fmtBigCents(cents) {
  if (cents === null || cents === undefined) return "–";
  const units = cents / 100;
  const large = Number(t("format.big.large_divisor"));
  const medium = Number(t("format.big.medium_divisor"));
  if (units >= large) return t("format.big.large", { n: (units / large).toFixed(2) });
  if (units >= 1e4) return t("format.big.medium", { n: (units / medium).toFixed(1) });
  return nf.format(Math.round(units));
}

const pad2 = (n) => String(n).padStart(2, "0");

// A business day (YYYY-MM-DD, already the organisation's date).
function fmtDay(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
  if (!match) return day ? String(day) : "–";
  return t("format.day", { y: match[1], m: match[2], d: match[3], M: Number(match[2]), D: Number(match[3]) });
}

function fmtDayShort(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ""));
  if (!match) return day ? String(day) : "–";
  return t("format.day_short", { m: match[2], d: match[3], M: Number(match[2]), D: Number(match[3]) });
}

function zoneName() {
  const offset = app.utcOffsetMinutes;
  if (offset === 480) return t("format.zone.cst");
  const abs = Math.abs(offset);
  return t("format.zone.offset", { sign: offset < 0 ? "−" : "+", hh: pad2(Math.floor(abs / 60)), mm: pad2(abs % 60) });
}

// An instant (RFC 3339) in the organisation's time zone.
function fmtTime(iso) {
  if (!iso) return "–";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  const local = new Date(ms + app.utcOffsetMinutes * 60000);
  const day = `${local.getUTCFullYear()}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}`;
  const time = `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}`;
  return t("format.time", { date: fmtDay(day), time, zone: zoneName() });
}

function shortId(id) {
  return id ? String(id).slice(0, 8) : "–";
}

function humanKind(kind) {
  return String(kind).replace(/_/g, " ");
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || t("error.http", { status }));
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, options = {}) {
  // Problems (title, detail) come back in the page's language.
  const headers = { Accept: "application/json", "Accept-Language": app.lang };
  if (app.token) headers.Authorization = "Bearer " + app.token;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    cache: "no-store",
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (_) {
    json = null;
  }
  if (response.status === 401 && app.token && !options.signingIn) {
    signOut(t("auth.expired"));
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return options.raw ? { json, text } : json;
}

function withWait(path, position) {
  if (position === null || position === undefined) return path;
  const sep = path.includes("?") ? "&" : "?";
  return `${path}${sep}wait_for_position=${position}&timeout_ms=10000`;
}

// What a view read that failed answers: null (404), "forbidden" (403), or
// READ_AGAIN when the view was not caught up within the wait (then read
// what is there now); any other error propagates.
const READ_AGAIN = Symbol("read again");
function failedRead(error, position) {
  if (error instanceof ApiError && error.status === 404) return null;
  if (error instanceof ApiError && error.status === 403) return "forbidden";
  if (error instanceof ApiError && error.status === 503 && position !== undefined && position !== null) {
    return READ_AGAIN;
  }
  throw error;
}

// A view read: the data, or null when the view is not there or empty (404),
// or "forbidden" (403: the section is hidden). Other errors propagate.
async function view(path, position) {
  try {
    const answer = await api(withWait(path, position));
    if (answer && typeof answer.position === "number") notePosition(answer.position);
    return answer ? answer.data : null;
  } catch (error) {
    const outcome = failedRead(error, position);
    return outcome === READ_AGAIN ? view(path, null) : outcome;
  }
}

// A paged list view read whole: 1,000 rows a page, following
// `next_cursor` until it is null (so no answer carries 100k rows at once).
// Same outcomes as `view`.
async function viewAll(path, position) {
  const sep = path.includes("?") ? "&" : "?";
  const rows = [];
  let cursor = null;
  do {
    const page = `${path}${sep}limit=1000${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    let answer;
    try {
      answer = await api(withWait(page, position));
    } catch (error) {
      const outcome = failedRead(error, position);
      return outcome === READ_AGAIN ? viewAll(path, null) : outcome;
    }
    if (!answer) return null;
    if (typeof answer.position === "number") notePosition(answer.position);
    rows.push(...answer.data);
    cursor = answer.next_cursor === undefined ? null : answer.next_cursor;
  } while (cursor !== null);
  return rows;
}

function notePosition(position) {
  if (app.position === null || position > app.position) app.position = position;
}

// ------------------------------------------------------------ sections

function hideIfForbidden(sectionId, data) {
  const forbidden = data === "forbidden";
  $(sectionId).hidden = forbidden;
  return forbidden;
}

async function guarded(sectionId, load) {
  try {
    await load();
  } catch (error) {
    if (error.name === "AbortError") return;
    show(sectionId, el("p", { class: "error", text: t("error.load", { error: error.message }) }));
  }
}

// --- risk list (SPEC C8)

async function loadRisk(position) {
  const data = await view("/v1/views/risk", position);
  if (hideIfForbidden("risk", data)) return;
  $("risk-day").textContent = data ? t("risk.subtitle", { day: fmtDay(data.day), n_at_risk: fmtInt(data.n_at_risk), n_evaluated: fmtInt(data.n_evaluated) }) : "";
  if (data && data.day) app.lastClosedDay = data.day;
  if (!data || !data.customers || data.customers.length === 0) {
    show("risk", empty(t("risk.empty")));
    return;
  }
  const rows = data.customers.map((c) =>
    el(
      "tr",
      { "data-testid": "risk-row", class: "level-" + c.level },
      el("td", { class: "num rank", text: c.rank }),
      el(
        "td",
        { class: "company" },
        el("a", { href: "#/customers/" + c.customer_id, text: c.company_name || shortId(c.customer_id) }),
        el("div", { class: "muted", text: regionName(c.region) }),
      ),
      el("td", { class: "num" }, el("span", { class: "badge " + c.level, text: fmtScore(c.score_bp) })),
      el(
        "td",
        { class: "scripts" },
        c.risks.length === 0
          ? el("span", { class: "muted", text: t("risk.none_flagged") })
          : [
              el("div", { class: "chips" }, c.risks.map((risk) => el("span", { class: "chip", text: tKind("risk.kind", risk.kind) }))),
              el(
                "details",
                { class: "script" },
                el("summary", { title: t("risk.all_scripts") }, el("span", { class: "preview", text: c.risks[0].script })),
                el(
                  "ul",
                  { class: "plain" },
                  c.risks.map((risk) => el("li", {}, el("strong", { text: tKind("risk.kind", risk.kind) + t("punct.colon") }), risk.script)),
                ),
              ),
            ],
        c.competitor_keywords && c.competitor_keywords.length
          ? el("div", {
              class: "muted keywords",
              text: t("risk.searched", { keywords: c.competitor_keywords.map((k) => `${k.keyword} ×${k.count}`).join(t("punct.list")) }),
            })
          : null,
      ),
    ),
  );
  show(
    "risk",
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        { class: "risk" },
        el("thead", {}, el("tr", {}, el("th", { text: t("risk.col.rank") }), el("th", { text: t("risk.col.customer") }), el("th", { text: t("risk.col.score") }), el("th", { text: t("risk.col.risks") }))),
        el("tbody", {}, rows),
      ),
    ),
  );
}

// --- health distribution and trend (SPEC C7)

async function loadHealth(position) {
  const [list, trend] = await Promise.all([
    viewAll("/v1/views/health", position),
    view("/v1/dashboard/health-trend?days=30", position),
  ]);
  if (hideIfForbidden("health", list)) return;
  if (!list || list.length === 0) {
    show("health", empty(t("health.empty")));
    return;
  }
  const counts = { green: 0, yellow: 0, red: 0, unscored: 0 };
  for (const row of list) counts[row.level || "unscored"] += 1;
  const total = counts.green + counts.yellow + counts.red;
  const figures = el(
    "div",
    { class: "figures" },
    LEVELS.map((level) =>
      el(
        "div",
        { class: "figure " + level, "data-testid": "health-" + level },
        el("strong", { text: fmtInt(counts[level]) }),
        el("span", { text: total ? t("health.share", { level: tKind("level", level), percent: t("format.percent", { n: Math.round((100 * counts[level]) / total) }) }) : tKind("level", level) }),
      ),
    ),
    counts.unscored ? el("div", { class: "figure" }, el("strong", { text: fmtInt(counts.unscored) }), el("span", { text: t("health.no_score") })) : null,
  );
  show("health", figures, distributionBar(counts, total), trend && trend !== "forbidden" ? trendChart(trend) : null);
}

function distributionBar(counts, total) {
  const width = 600;
  const bar = svg("svg", { viewBox: `0 0 ${width} 28`, class: "chart bar", role: "img", "aria-label": t("health.distribution") });
  let x = 0;
  for (const level of LEVELS) {
    const w = total ? (width * counts[level]) / total : 0;
    if (w > 0) bar.append(svg("rect", { x, y: 0, width: w, height: 28, class: "fill-" + level }, tip(t("health.count", { level: tKind("level", level), count: fmtInt(counts[level]) }))));
    x += w;
  }
  return bar;
}

function trendChart(trend) {
  const days = trend.days || [];
  if (days.length < 2) return empty(t("health.trend_needs_two"));
  const width = 600;
  const height = 180;
  const pad = { left: 34, right: 8, top: 8, bottom: 22 };
  const max = Math.max(1, ...days.map((d) => d.green + d.yellow + d.red));
  const x = (i) => pad.left + ((width - pad.left - pad.right) * i) / (days.length - 1);
  const y = (v) => height - pad.bottom - ((height - pad.top - pad.bottom) * v) / max;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart trend", role: "img", "aria-label": t("health.trend"), "data-testid": "health-trend" });
  // Stacked areas: red at the bottom, then yellow, then green.
  const order = ["red", "yellow", "green"];
  const base = days.map(() => 0);
  for (const level of order) {
    const top = days.map((d, i) => base[i] + d[level]);
    const points = top.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    const back = base.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse();
    chart.append(svg("polygon", { points: points.concat(back).join(" "), class: "fill-" + level + " area" }, tip(tKind("level", level))));
    top.forEach((v, i) => (base[i] = v));
  }
  for (const v of [0, Math.round(max / 2), max]) {
    chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "grid-line" }));
    chart.append(svg("text", { x: pad.left - 4, y: y(v) + 4, class: "axis", "text-anchor": "end", text: v }));
  }
  const labels = [0, Math.floor((days.length - 1) / 2), days.length - 1];
  for (const i of labels) {
    chart.append(svg("text", { x: x(i), y: height - 6, class: "axis", "text-anchor": i === 0 ? "start" : i === days.length - 1 ? "end" : "middle", text: fmtDayShort(days[i].day) }));
  }
  days.forEach((d, i) =>
    chart.append(
      svg("rect", { x: x(i) - 3, y: pad.top, width: 6, height: height - pad.top - pad.bottom, class: "hover" }, tip(t("health.trend_day", { day: fmtDay(d.day), green: fmtInt(d.green), yellow: fmtInt(d.yellow), red: fmtInt(d.red) }))),
    ),
  );
  return el("figure", {}, chart, el("figcaption", { text: t("health.trend_caption", { n: days.length }) }));
}

// --- penetration heatmap (stores x days, grouped by region)

async function loadPenetration(position) {
  const data = await view("/v1/views/stores/penetration", position);
  if (hideIfForbidden("penetration", data)) return;
  if (!data || !data.promotion || !data.regions || data.regions.length === 0 || !data.days || data.days.length === 0) {
    $("penetration-title").textContent = "";
    show("penetration", empty(t("penetration.empty")));
    return;
  }
  const p = data.promotion;
  $("penetration-title").textContent = t("penetration.subtitle", { name: p.name, sku: p.sku, from: fmtDay(p.starts_on), to: fmtDay(p.ends_on) });
  show("penetration", heatmap(data));
}

function heatColor(share, max) {
  // 0 -> pale, max -> deep teal; fixed palette of 8 steps.
  if (share === null || share === undefined) return "cell-none";
  const step = max > 0 ? Math.min(7, Math.floor((8 * share) / (max + 1))) : share > 0 ? 7 : 0;
  return "cell-" + step;
}

function heatmap(data) {
  const container = bodyOf("penetration");
  const available = Math.max(300, (container.clientWidth || 800) - 8);
  const days = data.days;
  const labelWidth = available < 500 ? 54 : 120;
  const totalWidth = 48;
  const cell = Math.max(3, Math.min(28, Math.floor((available - labelWidth - totalWidth) / days.length)));
  const rowHeight = Math.max(9, Math.min(cell, 18));
  const labelSize = rowHeight >= 14 ? 12 : 9;
  // The colour scale tops out at the 98th percentile of the shares, so a
  // few days with a handful of tickets do not wash out the rest.
  const shares = [];
  for (const region of data.regions) for (const store of region.stores) for (const c of store.cells) if (c.share_bp !== null) shares.push(c.share_bp);
  shares.sort((a, b) => a - b);
  const max = shares.length ? shares[Math.min(shares.length - 1, Math.floor(shares.length * 0.98))] : 0;
  const width = labelWidth + cell * days.length + totalWidth;
  const headerHeight = 16;
  const regionHeader = 18;
  const nStores = data.regions.reduce((n, r) => n + r.stores.length, 0);
  const height = headerHeight + data.regions.length * regionHeader + nStores * rowHeight + 4;
  const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "chart heatmap", role: "img", "aria-label": t("penetration.chart"), "data-testid": "heatmap" });
  // Month ticks along the top.
  let lastTick = -Infinity;
  days.forEach((day, i) => {
    const x = labelWidth + i * cell;
    if ((i === 0 || day.endsWith("-01") || (cell >= 20 && i % 7 === 0)) && x - lastTick >= 40) {
      chart.append(svg("text", { x, y: 11, class: "axis", text: fmtDayShort(day) }));
      lastTick = x;
    }
  });
  chart.append(svg("text", { x: width - 2, y: 11, class: "axis", "text-anchor": "end", text: t("penetration.total") }));
  let y = headerHeight;
  for (const region of data.regions) {
    chart.append(svg("text", { x: 0, y: y + 13, class: "region-label", text: region.region }));
    y += regionHeader;
    for (const store of region.stores) {
      const row = svg("g", { class: "heat-row", "data-testid": "heat-row" });
      row.append(svg("text", { x: labelWidth - 4, y: y + rowHeight - 3, class: "store-label", "font-size": labelSize, "text-anchor": "end", text: store.store }, tip(`${store.store} ${store.name || ""} (${store.format || ""})`)));
      store.cells.forEach((c, i) => {
        row.append(
          svg(
            "rect",
            { x: labelWidth + i * cell, y, width: Math.max(1, cell - (cell > 4 ? 1 : 0)), height: rowHeight - 1, class: heatColor(c.share_bp, max) },
            tip(c.share_bp === null ? t("penetration.cell_none", { store: store.store, day: fmtDay(c.day) }) : t("penetration.cell", { store: store.store, day: fmtDay(c.day), share: fmtBp(c.share_bp), with: fmtInt(c.with_product), tickets: fmtInt(c.tickets) })),
          ),
        );
      });
      row.append(svg("text", { x: width - 2, y: y + rowHeight - 3, class: "store-label", "font-size": labelSize, "text-anchor": "end", text: store.total ? fmtBp(store.total.share_bp) : "–" }));
      chart.append(row);
      y += rowHeight;
    }
  }
  const legend = el(
    "div",
    { class: "legend" },
    el("span", { text: t("penetration.legend") }),
    [0, 2, 4, 6, 7].map((step) => el("span", { class: "swatch cell-" + step, title: t("penetration.legend_step", { share: fmtBp(Math.round(((step + 1) * (max + 1)) / 8)) }) })),
    el("span", { text: t("penetration.legend_range", { max: fmtBp(max) }) }),
    el("span", { class: "swatch cell-none" }),
    el("span", { text: t("penetration.no_ticket") }),
  );
  return [el("div", { class: "scroll heat" }, chart), legend];
}

// --- regional store leaderboard

async function loadLeaderboard(position) {
  const data = await view("/v1/views/stores/leaderboard?limit=10", position);
  if (hideIfForbidden("leaderboard", data)) return;
  const regions = (data && data.regions) || [];
  if (regions.length === 0) {
    show("leaderboard", empty(t("leaderboard.empty")));
    return;
  }
  if (!regions.some((r) => r.region === app.leaderboardRegion)) app.leaderboardRegion = regions[0].region;
  const select = el(
    "select",
    {
      "aria-label": t("leaderboard.region"),
      onchange: (event) => {
        app.leaderboardRegion = event.target.value;
        renderBoard();
      },
    },
    regions.map((r) => el("option", { value: r.region, selected: r.region === app.leaderboardRegion, text: r.region })),
  );
  const holder = el("div", {});
  function renderBoard() {
    const region = regions.find((r) => r.region === app.leaderboardRegion) || regions[0];
    const max = Math.max(1, ...region.stores.map((s) => s.sales_cents));
    holder.replaceChildren(
      el("p", { class: "muted", text: region.from && region.to ? t("leaderboard.period", { from: fmtDay(region.from), to: fmtDay(region.to) }) : t("leaderboard.no_sale") }),
      el(
        "div",
        { class: "scroll" },
        el(
          "table",
          { class: "board" },
          el("thead", {}, el("tr", {}, el("th", { text: t("leaderboard.col.rank") }), el("th", { text: t("leaderboard.col.store") }), el("th", { text: t("leaderboard.col.sales") }), el("th", { class: "num", text: t("leaderboard.col.avg_ticket") }), el("th", { class: "num", text: t("leaderboard.col.new_product") }))),
          el(
            "tbody",
            {},
            region.stores.map((s) =>
              el(
                "tr",
                { "data-testid": "leaderboard-row" },
                el("td", { class: "num rank", text: s.rank }),
                el("td", {}, el("strong", { text: s.store }), " ", el("span", { class: "muted", text: s.name || "" }), s.format === "franchised" ? el("span", { class: "chip small", text: t("leaderboard.franchise") }) : null),
                el("td", { class: "barcell" }, svg("svg", { viewBox: "0 0 100 10", class: "chart minibar", preserveAspectRatio: "none" }, svg("rect", { x: 0, y: 0, width: (100 * s.sales_cents) / max, height: 10, class: "fill-accent" })), el("span", { text: fmtBigCents(s.sales_cents) })),
                el("td", { class: "num", text: fmtCents(s.avg_ticket_cents) }),
                el("td", { class: "num", text: fmtBp(s.penetration_bp) }),
              ),
            ),
          ),
        ),
      ),
    );
  }
  renderBoard();
  show("leaderboard", el("label", { class: "inline" }, t("leaderboard.region"), " ", select), holder);
}

// --- funnel (SPEC C11)

async function loadFunnel(position) {
  const rows = await view("/v1/views/funnel?group=region&period=total", position);
  if (hideIfForbidden("funnel", rows)) return;
  if (!rows || rows.length === 0) {
    show("funnel", empty(t("funnel.empty")));
    return;
  }
  const reached = { lead: 0, qualified: 0, proposal: 0, negotiation: 0, won: 0, lost: 0 };
  let cycles = 0;
  let cycleSum = 0;
  for (const row of rows) {
    for (const key of Object.keys(reached)) reached[key] += row.reached[key] || 0;
    if (row.cycle_mean_days !== null && row.won_cycles) {
      cycles += row.won_cycles;
      cycleSum += row.cycle_mean_days * row.won_cycles;
    }
  }
  const width = 600;
  const barHeight = 34;
  const gap = 6;
  const height = STAGES.length * (barHeight + gap);
  const max = Math.max(1, reached.lead);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart funnel", role: "img", "aria-label": t("funnel.chart"), "data-testid": "funnel-chart" });
  STAGES.forEach((stage, i) => {
    const w = Math.max(2, ((width - 200) * reached[stage]) / max);
    const y = i * (barHeight + gap);
    const x = 100 + (width - 200 - w) / 2;
    chart.append(svg("rect", { x, y, width: w, height: barHeight, rx: 3, class: "fill-stage-" + i }, tip(`${tKind("stage", stage)}${t("punct.colon")}${fmtInt(reached[stage])}`)));
    chart.append(svg("text", { x: 0, y: y + barHeight / 2 + 5, class: "label", text: tKind("stage", stage) }));
    chart.append(svg("text", { x: width, y: y + barHeight / 2 + 5, class: "label strong", "text-anchor": "end", "data-testid": "funnel-" + stage, text: fmtInt(reached[stage]) }));
    if (i > 0) {
      const previous = reached[STAGES[i - 1]];
      const rate = previous ? Math.floor((10000 * reached[stage]) / previous) : null;
      chart.append(svg("text", { x: width / 2, y: y + barHeight / 2 + 5, class: "label on-bar", "text-anchor": "middle", text: fmtBp(rate) }));
    }
  });
  const winRate = reached.lead ? Math.floor((10000 * reached.won) / reached.lead) : null;
  show(
    "funnel",
    chart,
    el(
      "p",
      { class: "muted" },
      t("funnel.summary", { rate: fmtBp(winRate), lost: fmtInt(reached.lost) }),
      cycles ? t("funnel.cycle", { days: (cycleSum / cycles).toFixed(1), won: fmtInt(cycles) }) : "",
    ),
  );
}

// --- receivables aging (SPEC C10)

async function loadReceivables(position) {
  const data = await view("/v1/views/receivables", position);
  if (hideIfForbidden("receivables", data)) return [];
  $("receivables-as-of").textContent = data && data.as_of ? t("receivables.as_of", { day: fmtDay(data.as_of) }) : "";
  const regions = (data && data.regions) || [];
  if (regions.length === 0) {
    show("receivables", empty(t("receivables.empty")));
    return regions;
  }
  const totals = {};
  for (const key of AGING) totals[key] = regions.reduce((sum, r) => sum + (r.aging[key] || 0), 0);
  const outstanding = regions.reduce((sum, r) => sum + r.outstanding_fen, 0);
  const width = 600;
  const chart = svg("svg", { viewBox: `0 0 ${width} 120`, class: "chart aging", role: "img", "aria-label": t("receivables.chart"), "data-testid": "aging-chart" });
  const max = Math.max(1, ...AGING.map((key) => totals[key]));
  const slot = width / AGING.length;
  AGING.forEach((key, i) => {
    const label = t("aging." + key);
    const h = (70 * totals[key]) / max;
    chart.append(svg("rect", { x: i * slot + 12, y: 96 - h, width: slot - 24, height: Math.max(h, 1), class: "fill-aging-" + i }, tip(`${label}: ${fmtFen(totals[key])}`)));
    chart.append(svg("text", { x: i * slot + slot / 2, y: 91 - h, class: "label small", "text-anchor": "middle", text: fmtFen(totals[key]) }));
    chart.append(svg("text", { x: i * slot + slot / 2, y: 114, class: "axis", "text-anchor": "middle", text: label }));
  });
  const sorted = regions.slice().sort((a, b) => b.outstanding_fen - a.outstanding_fen || a.region.localeCompare(b.region));
  show(
    "receivables",
    el("p", { class: "figure-line" }, el("strong", { text: fmtFen(outstanding) }), t("receivables.outstanding")),
    chart,
    el(
      "div",
      { class: "scroll short" },
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, el("th", { text: t("receivables.col.region") }), el("th", { class: "num", text: t("receivables.col.outstanding") }), el("th", { class: "num", text: t("receivables.col.over_90") }), el("th", { class: "num", text: t("receivables.col.dso") }))),
        el(
          "tbody",
          {},
          sorted.map((r) =>
            el(
              "tr",
              {},
              el("td", { text: regionName(r.region) }),
              el("td", { class: "num", text: fmtFen(r.outstanding_fen) }),
              el("td", { class: "num", text: fmtFen(r.aging.over_90) }),
              el("td", { class: "num", text: r.dso_days === null ? "–" : r.dso_days.toFixed(1) }),
            ),
          ),
        ),
      ),
    ),
  );
  return regions.map((r) => r.region);
}

// --- regional digests (SPEC C12)

async function loadDigests(position, regions) {
  const day = app.digestDay || app.lastClosedDay;
  if (!day) {
    show("digests", empty(t("digests.no_day")));
    return;
  }
  $("digest-day").textContent = "";
  const names = (regions || []).filter((r) => r !== "unassigned");
  const reports = await Promise.all(names.map((region) => view(`/v1/views/digest/${encodeURIComponent(region)}/${day}`, position)));
  if (reports.some((r) => r === "forbidden")) {
    $("digests").hidden = true;
    return;
  }
  $("digests").hidden = false;
  const rows = reports.filter((r) => r && typeof r === "object");
  const picker = el("input", {
    type: "date",
    value: day,
    max: app.lastClosedDay || undefined,
    "aria-label": t("digests.day"),
    onchange: (event) => {
      app.digestDay = event.target.value || null;
      guarded("digests", () => loadDigests(null, app.regions));
    },
  });
  if (rows.length === 0) {
    show("digests", el("label", { class: "inline" }, t("digests.day"), " ", picker), empty(t("digests.empty")));
    return;
  }
  const sum = (key) => rows.reduce((n, r) => n + (r[key] || 0), 0);
  const cols = [
    ["new_leads", t("digests.col.leads"), ""],
    ["visits", t("digests.col.visits"), ""],
    ["proposals_delivered", t("digests.col.proposals"), "opt"],
    ["payments_fen", t("digests.col.collected"), ""],
  ];
  show(
    "digests",
    el("label", { class: "inline" }, t("digests.day"), " ", picker, rows[0].closed ? el("span", { class: "chip small", text: t("digests.closed") }) : el("span", { class: "chip small warn", text: t("digests.open") })),
    el(
      "div",
      { class: "scroll short" },
      el(
        "table",
        { class: "digest" },
        el("thead", {}, el("tr", {}, el("th", { text: t("digests.col.region") }), cols.map(([, label, opt]) => el("th", { class: "num " + opt, text: label })), el("th", { class: "num", text: t("digests.col.turned") }))),
        el(
          "tbody",
          {},
          rows.map((r) =>
            el(
              "tr",
              { "data-testid": "digest-row" },
              el("td", { text: regionName(r.region) }),
              cols.map(([key, , opt]) => el("td", { class: "num " + opt, text: key.endsWith("_fen") ? fmtFen(r[key]) : fmtInt(r[key]) })),
              el("td", { class: "num" }, el("span", { class: "t-yellow", text: r.turned_yellow.length }), " / ", el("span", { class: "t-red", text: r.turned_red.length })),
            ),
          ),
        ),
        el(
          "tfoot",
          {},
          el(
            "tr",
            {},
            el("th", { text: t("digests.all_regions") }),
            cols.map(([key, , opt]) => el("th", { class: "num " + opt, text: key.endsWith("_fen") ? fmtFen(sum(key)) : fmtInt(sum(key)) })),
            el("th", { class: "num", text: `${rows.reduce((n, r) => n + r.turned_yellow.length, 0)} / ${rows.reduce((n, r) => n + r.turned_red.length, 0)}` }),
          ),
        ),
      ),
    ),
  );
}

async function loadBoard(position) {
  const risk = guarded("risk", () => loadRisk(position));
  const others = [
    guarded("health", () => loadHealth(position)),
    guarded("penetration", () => loadPenetration(position)),
    guarded("leaderboard", () => loadLeaderboard(position)),
    guarded("funnel", () => loadFunnel(position)),
  ];
  // The digests need the regions (from receivables) and the last closed day
  // (from the risk list).
  const digests = guarded("receivables", async () => {
    const regions = await loadReceivables(position);
    if (regions && regions.length) app.regions = regions;
    await risk;
    await guarded("digests", () => loadDigests(position, app.regions || []));
  });
  await Promise.all([risk, digests, ...others]);
}

// ------------------------------------------------------------ customer page

async function loadCustomer(id, position) {
  await Promise.all([
    guarded("customer-health", () => loadCustomerHealth(id, position)),
    guarded("customer-responsibility", () => loadResponsibility(id, position)),
    guarded("customer-evidence", () => loadEvidence(id, position)),
  ]);
}

async function loadCustomerHealth(id, position) {
  const data = await view("/v1/views/health/" + encodeURIComponent(id), position);
  if (hideIfForbidden("customer-health", data)) return;
  if (!data) {
    show("customer-health", empty(t("customer.no_health")));
    return;
  }
  $("customer-title").textContent = data.company_name || id;
  const b = data.breakdown;
  const head = el(
    "div",
    { class: "figures" },
    el("div", { class: "figure " + b.level, "data-testid": "customer-score" }, el("strong", { text: fmtScore(b.score_bp) }), el("span", { text: t("customer.score_as_of", { level: tKind("level", b.level), day: fmtDay(b.as_of) }) })),
    el("div", { class: "figure" }, el("strong", { text: regionName(data.region) }), el("span", { text: data.frozen ? t("customer.frozen") : t("customer.region") })),
  );
  const width = 600;
  const rowH = 30;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${b.indicators.length * rowH}`, class: "chart indicators", role: "img", "aria-label": t("customer.breakdown_chart") });
  b.indicators.forEach((ind, i) => {
    const y = i * rowH;
    const full = ((width - 330) * ind.weight) / 100;
    const got = (full * ind.normalised_bp) / 10000;
    chart.append(svg("text", { x: 0, y: y + 19, class: "label small", text: tKind("indicator", ind.indicator) }));
    chart.append(svg("rect", { x: 230, y: y + 6, width: Math.max(full, 1), height: 18, class: "track" }));
    chart.append(svg("rect", { x: 230, y: y + 6, width: Math.max(got, 0), height: 18, class: "fill-accent" }, tip(t("customer.indicator_tip", { indicator: tKind("indicator", ind.indicator), raw: JSON.stringify(ind.raw), normalised: fmtBp(ind.normalised_bp), weight: ind.weight }))));
    chart.append(svg("text", { x: width, y: y + 19, class: "label small", "text-anchor": "end", text: `${fmtScore(ind.contribution_bp)} / ${ind.weight}` }));
  });
  const daily = data.daily || [];
  let spark = null;
  if (daily.length >= 2) {
    const h = 60;
    const xs = (i) => (width * i) / (daily.length - 1);
    const ys = (bp) => h - (h * bp) / 10000;
    spark = svg(
      "svg",
      { viewBox: `0 0 ${width} ${h}`, class: "chart spark", role: "img", "aria-label": t("customer.score_history_chart") },
      svg("polyline", { points: daily.map((d, i) => `${xs(i).toFixed(1)},${ys(d.score_bp).toFixed(1)}`).join(" "), class: "line" }),
      daily.map((d, i) => svg("circle", { cx: xs(i), cy: ys(d.score_bp), r: 3, class: "fill-" + d.level }, tip(`${fmtDay(d.day)}${t("punct.colon")}${fmtScore(d.score_bp)} ${tKind("level", d.level)}`))),
    );
  }
  const history = (data.history || []).slice(-8).reverse();
  show(
    "customer-health",
    head,
    el("h3", { text: t("customer.breakdown") }),
    chart,
    spark ? [el("h3", { text: t("customer.score_history") }), spark] : null,
    history.length
      ? [
          el("h3", { text: t("customer.level_changes") }),
          el("ul", { class: "plain" }, history.map((h) => el("li", {}, `${fmtDay(h.day)}${t("punct.colon")}${h.from ? tKind("level", h.from) : "–"} → `, el("span", { class: "badge " + h.to, text: tKind("level", h.to) }), ` (${fmtScore(h.score_bp)}, #${h.position})`))),
        ]
      : null,
  );
}

function summarise(value) {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) {
    const ranked = value.filter((item) => item && typeof item === "object" && "rep_id" in item);
    if (ranked.length === value.length && ranked.length > 0) {
      return ranked.map((item) => `${item.rank ? "#" + item.rank + " " : ""}${shortId(item.rep_id)}${item.score !== undefined ? " (" + item.score + ")" : ""}`).join(", ");
    }
    return value.length === 1 ? t("customer.item") : t("customer.items", { n: fmtInt(value.length) });
  }
  if (typeof value === "object") {
    const text = JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 77) + "…" : text;
  }
  const text = String(value);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return fmtTime(text);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return fmtDay(text);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(text) ? shortId(text) : text;
}

// Fields of a change whose value is one of a fixed set, worded from the
// catalogue (`<prefix>.<value>`).
const VALUE_KINDS = { rule: "pool_rule" };

function describeChange(change) {
  const rest = Object.entries(change)
    .filter(([key]) => key !== "kind")
    .map(([key, value]) => `${tKind("field", key)}${t("punct.colon")}${key in VALUE_KINDS ? tKind(VALUE_KINDS[key], value) : summarise(value)}`);
  return rest.join(" · ");
}

async function loadResponsibility(id, position) {
  const data = await view("/v1/views/responsibility/customers/" + encodeURIComponent(id), position);
  if (hideIfForbidden("customer-responsibility", data)) return;
  if (!data || !data.entries || data.entries.length === 0) {
    show("customer-responsibility", empty(t("customer.no_responsibility")));
    return;
  }
  if (data.company_name) $("customer-title").textContent = data.company_name;
  show(
    "customer-responsibility",
    el("p", { class: "muted", text: data.current_owner ? t("customer.owner", { owner: data.current_owner }) : t("customer.in_pool") }),
    el(
      "ol",
      { class: "timeline", "data-testid": "responsibility-entries" },
      data.entries
        .slice()
        .reverse()
        .map((entry) =>
          el(
            "li",
            {},
            el("div", {}, el("span", { class: "chip", text: tKind("change", entry.change.kind) }), " ", el("span", { class: "muted" }, `${fmtTime(entry.recorded_at)} · `, el("span", { class: "actor", text: entry.actor }), ` · #${entry.position}`)),
            el("div", { class: "detail", text: describeChange(entry.change) }),
          ),
        ),
    ),
  );
}

async function loadEvidence(id, position) {
  if (!app.me || !app.me.may_download_evidence) {
    show("customer-evidence", empty(t("evidence.not_for_role", { role: app.me ? tKind("role", app.me.role) : t("evidence.this_role") })));
    return;
  }
  // A bundle scans the whole log: on a refresh, build it again only when
  // one of the new records mentions this customer.
  if (position !== null && position !== undefined && app.bundle && app.bundle.customerId === id && !app.evidenceStale) return;
  app.evidenceStale = false;
  show("customer-evidence", el("p", { class: "muted", text: t("evidence.building") }));
  let answer;
  try {
    answer = await api("/v1/audit/evidence/customers/" + encodeURIComponent(id), { raw: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      show("customer-evidence", empty(t("evidence.none")));
      return;
    }
    if (error instanceof ApiError && error.status === 403) {
      $("customer-evidence").hidden = true;
      return;
    }
    throw error;
  }
  const bundle = answer.json;
  app.bundle = { customerId: id, text: answer.text };
  const button = el("button", { type: "button", "data-testid": "download-bundle", onclick: () => downloadBundle(id) }, t("evidence.download"));
  show(
    "customer-evidence",
    el(
      "div",
      { class: "evidence-head" },
      button,
      el(
        "p",
        { class: "muted" },
        t("evidence.summary", {
          events: fmtInt(bundle.events.length),
          records: fmtInt(bundle.checkpoint.tree_size),
          root: String(bundle.checkpoint.root_hash).slice(0, 16),
          signed: fmtTime(bundle.checkpoint.signed_at),
          fingerprint: String(bundle.log.key_fingerprint).slice(0, 16),
        }),
        el("code", { text: t("evidence.command") }),
      ),
    ),
    el(
      "div",
      { class: "scroll tall" },
      el(
        "table",
        { class: "evidence", "data-testid": "evidence-timeline" },
        el("thead", {}, el("tr", {}, el("th", { class: "num", text: t("evidence.col.position") }), el("th", { text: t("evidence.col.recorded") }), el("th", { text: t("evidence.col.event") }), el("th", { text: t("evidence.col.actor") }), el("th", { text: t("evidence.col.stream") }))),
        el(
          "tbody",
          {},
          bundle.events
            .slice()
            .reverse()
            .map((e) =>
              el(
                "tr",
                {},
                el("td", { class: "num", text: e.position }),
                el("td", { text: fmtTime(e.record.recorded_at) }),
                el("td", {}, el("strong", { text: e.record.event_type })),
                el("td", { text: e.record.actor }),
                el("td", { class: "muted", text: `${e.record.stream_id.replace(/-([0-9a-f]{8})-[0-9a-f-]+$/, "-$1…")} v${e.record.stream_version}` }),
              ),
            ),
        ),
      ),
    ),
  );
}

function downloadBundle(id) {
  if (!app.bundle || app.bundle.customerId !== id) return;
  const blob = new Blob([app.bundle.text], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: `evidence-customer-${id}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ----------------------------------------------------------- routing, refresh

function parseRoute() {
  const match = /^#\/customers\/([0-9a-fA-F-]{36})$/.exec(location.hash);
  return match ? { name: "customer", id: match[1].toLowerCase() } : { name: "board" };
}

// Draws the visible page. A render that began in another language (the
// switch was pressed while it waited for the views) draws again, so the
// last words on the page are always in the chosen language; <html
// data-rendered> names that language once no render is in flight.
async function render(position) {
  const lang = app.lang;
  app.rendersInFlight += 1;
  delete document.documentElement.dataset.rendered;
  try {
    app.route = parseRoute();
    const onCustomer = app.route.name === "customer";
    $("board").hidden = onCustomer;
    $("customer").hidden = !onCustomer;
    if (onCustomer) {
      ensureCustomerTitle();
      $("customer-title").textContent = app.route.id;
      await loadCustomer(app.route.id, position);
    } else {
      await loadBoard(position);
    }
  } finally {
    app.rendersInFlight -= 1;
  }
  if (lang !== app.lang) return render(position);
  if (app.rendersInFlight === 0) document.documentElement.dataset.rendered = lang;
}

function ensureCustomerTitle() {
  if ($("customer-title")) return;
  const crumbs = document.querySelector("#customer .crumbs");
  crumbs.append(" · ", el("span", { id: "customer-title", class: "title" }));
}

// Refreshes the visible page once the views have applied `position`;
// refreshes arriving while one runs are merged into the next one.
function scheduleRefresh(position) {
  if (app.pendingPosition === null || position > app.pendingPosition) app.pendingPosition = position;
  if (app.refreshTimer || app.refreshing) return;
  app.refreshTimer = setTimeout(runRefresh, 250);
}

async function runRefresh() {
  app.refreshTimer = null;
  if (app.pendingPosition === null) return;
  const position = app.pendingPosition;
  app.pendingPosition = null;
  app.refreshing = true;
  const generation = app.generation;
  try {
    await render(position);
    if (generation === app.generation) setLive(t("live.live", { position: fmtInt(Math.max(position, app.position || 0)) }), "ok");
  } finally {
    app.refreshing = false;
    if (app.pendingPosition !== null && generation === app.generation) app.refreshTimer = setTimeout(runRefresh, 250);
  }
}

function setLive(text, state) {
  const live = $("live");
  live.textContent = text;
  live.className = "live " + (state || "");
  if (app.position !== null) live.dataset.position = String(app.position);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The long poll: GET /v1/events?after=N&wait_ms=25000 (an EventSource could
// not send the Authorization header).
async function follow(generation) {
  // From the last position the views showed, so that records appended
  // while the page was loading still trigger a refresh; the log's head
  // only when no view has answered yet.
  let after = app.position;
  if (after === null) {
    try {
      const health = await (await fetch("/healthz", { cache: "no-store" })).json();
      after = health.log_len > 0 ? health.log_len - 1 : null;
    } catch (_) {
      after = null;
    }
  }
  while (generation === app.generation) {
    app.poll = new AbortController();
    const query = after === null ? `wait_ms=${POLL_WAIT_MS}&limit=1000` : `after=${after}&wait_ms=${POLL_WAIT_MS}&limit=1000`;
    try {
      const page = await api("/v1/events?" + query, { signal: app.poll.signal });
      if (generation !== app.generation) return;
      if (page.next_after !== null && page.next_after !== undefined) after = page.next_after;
      if (page.records.length > 0) {
        const last = page.records[page.records.length - 1].position;
        if (app.route.name === "customer" && page.records.some((record) => JSON.stringify(record.payload).includes(app.route.id) || record.stream_id.endsWith(app.route.id))) {
          app.evidenceStale = true;
        }
        setLive(t("live.updating", { position: fmtInt(last) }), "busy");
        scheduleRefresh(last);
      } else if (!app.refreshing && !app.refreshTimer) {
        setLive(t("live.live", { position: fmtInt(Math.max(app.position || 0, after || 0)) }), "ok");
      }
    } catch (error) {
      if (generation !== app.generation || error.name === "AbortError") return;
      setLive(t("live.offline"), "bad");
      await sleep(3000);
    }
  }
}

// ---------------------------------------------------------------- sign-in

async function signIn(token) {
  app.token = token;
  const me = await api("/v1/me", { signingIn: true });
  app.me = me;
  if (Number.isInteger(me.utc_offset_minutes)) app.utcOffsetMinutes = me.utc_offset_minutes;
  localStorage.setItem(TOKEN_KEY, token);
  app.generation += 1;
  $("sign-in").hidden = true;
  $("who").hidden = false;
  showIdentity();
  setLive(t("live.loading"), "busy");
  await render(null);
  setLive(t("live.live", { position: fmtInt(app.position || 0) }), "ok");
  follow(app.generation);
}

function showIdentity() {
  if (app.me) $("identity").replaceChildren(...tNodes("identity", { actor: el("span", { class: "actor", text: app.me.actor }), role: tKind("role", app.me.role) }));
}

function signOut(message) {
  app.generation += 1;
  if (app.poll) app.poll.abort();
  app.token = null;
  app.me = null;
  app.position = null;
  app.bundle = null;
  localStorage.removeItem(TOKEN_KEY);
  $("who").hidden = true;
  $("board").hidden = true;
  $("customer").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  $("token").value = "";
}

// The header's language switch: remembered in local storage; the page's
// texts and the visible sections are redrawn in the new language.
async function switchLang(lang) {
  if (!LANGS.includes(lang) || lang === app.lang) return;
  localStorage.setItem(LANG_KEY, lang);
  await setLang(lang);
  showIdentity();
  const live = $("live");
  if (live.className.includes("ok")) setLive(t("live.live", { position: fmtInt(app.position || 0) }), "ok");
  if (app.token && app.me) await render(null);
}

async function start() {
  try {
    await setLang(preferredLang());
  } catch (_) {
    // The catalogue could not be read: English texts are the keys' fallback.
    await setLang("en").catch(() => {});
  }
  $("live").textContent = t("live.connecting");
  for (const button of document.querySelectorAll("#lang button")) {
    button.addEventListener("click", () => switchLang(button.dataset.lang));
  }
  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    $("sign-in-error").textContent = "";
    try {
      await signIn(token);
    } catch (error) {
      app.token = null;
      $("sign-in-error").textContent = error instanceof ApiError && error.status === 401 ? t("auth.rejected") : t("auth.failed", { error: error.message });
    }
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  window.addEventListener("hashchange", () => {
    if (app.token) render(null);
  });
  const saved = localStorage.getItem(TOKEN_KEY);
  if (saved) {
    // Only a 401 forgets the saved token; an unreachable or failing
    // gateway is retried.
    const restore = () =>
      signIn(saved).catch((error) => {
        if (error instanceof ApiError && error.status === 401) {
          signOut(t("auth.saved_expired"));
        } else {
          setLive(t("live.unreachable"), "bad");
          setTimeout(restore, 3000);
        }
      });
    restore();
  } else {
    signOut("");
  }
}

start();
