// lib.js: the UI's building blocks. Every piece of data reaches the page
// through textContent or an attribute set by el(): never as markup, so a
// host name, a syslog message or an alert JSON is shown as text.

const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content || "";
export const session = { csrf: meta("csrf-token"), user: meta("fg-user"), group: meta("fg-group") };
export const isAdmin = () => session.group === "administrator";

// el(tag, attrs, ...children): children are nodes or text (strings and
// numbers become text nodes).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(e, ...children) {
  e.replaceChildren();
  append(e, children);
  return e;
}

// ---- REST ----

export class RestError extends Error {}

// The login page, coming back to where the user was.
export function toLogin(reason) {
  const back = "/" + location.hash;
  location.assign("/lua/login.lua?" + (reason ? "reason=" + reason + "&" : "") + "referer=" + encodeURIComponent(back));
}

// alive checks the session before REST calls (at most every 2 s): a REST
// call without a session is answered 401 with a Basic challenge, which
// makes the browser prompt for credentials (or wait for them) instead of
// handing the answer to the script. "/?alive" is a page: without a session
// it redirects to the login, which fetch sees as an opaque redirect.
let aliveAt = 0;
let aliveP = null;
export function recheckSession() { aliveAt = 0; }
async function alive() {
  if (Date.now() - aliveAt < 2000 && aliveP) return aliveP;
  aliveAt = Date.now();
  aliveP = fetch("/?alive", { credentials: "same-origin", redirect: "manual", cache: "no-store" }).then((r) => {
    if (r.type === "opaqueredirect" || r.status === 401) {
      toLogin("expired");
      throw new RestError("The session ended: log in again.");
    }
  });
  return aliveP;
}

// api(path, params, {method, keepEmpty}) calls /lua/rest/v2/<path>, unwraps ntopng's
// envelope and throws RestError with its message on failure. A request
// refused because the session is gone (401 with a login challenge) goes
// to the login page; a 401 without one is "not granted" and is shown.
export async function api(path, params = {}, opts = {}) {
  const method = opts.method || "GET";
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && (v !== "" || opts.keepEmpty)) q.set(k, v);
  let url = "/lua/rest/v2/" + path;
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method === "GET") {
    const s = q.toString();
    if (s) url += "?" + s;
  } else {
    init.headers["X-CSRF-Token"] = session.csrf;
    init.headers["Content-Type"] = "application/x-www-form-urlencoded";
    init.body = q.toString();
  }
  await alive();
  // A request still waiting after 20 s (a credentials prompt when the
  // session ended between the check and the call) is abandoned.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20000);
  init.signal = abort.signal;
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    recheckSession();
    await alive();
    throw new RestError("The server did not answer: " + e.message);
  } finally {
    clearTimeout(timer);
  }
  if (r.status === 401 && r.headers.get("WWW-Authenticate")) {
    toLogin("expired");
    throw new RestError("The session expired.");
  }
  let env;
  try {
    env = await r.json();
  } catch {
    throw new RestError(`${path}: HTTP ${r.status}, not JSON`);
  }
  if (!r.ok || env.rc !== 0) throw new RestError(env.rc_str_hr || env.rc_str || `HTTP ${r.status}`);
  return opts.envelope ? env : env.rsp;
}

// ---- numbers as ntopng writes them ----

function scaled(v, units, base) {
  if (v === null || v === undefined || isNaN(v)) return "-";
  let i = 0;
  let x = Math.abs(v);
  while (x >= base && i < units.length - 1) { x /= base; i++; }
  const digits = i === 0 || x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return (v < 0 ? "-" : "") + x.toFixed(digits) + " " + units[i];
}
export const fmtBytes = (v) => scaled(v, ["B", "KB", "MB", "GB", "TB", "PB"], 1024);
export const fmtBps = (v) => scaled(v, ["bps", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"], 1000);
export const fmtPps = (v) => scaled(v, ["pps", "Kpps", "Mpps", "Gpps"], 1000);
export const fmtNum = (v) => (v === null || v === undefined ? "-" : Number(v).toLocaleString("en-US"));
export function fmtTime(epoch) {
  if (!epoch) return "-";
  const d = new Date(epoch * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
export function fmtDuration(s) {
  s = Math.max(0, Math.round(s || 0));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

// ---- hash routes with query state: #/hosts?page=2&sort=bytes ----

export function hashState() {
  const h = location.hash.replace(/^#/, "") || "/dashboard";
  const [path, qs] = h.split("?");
  return { path, query: new URLSearchParams(qs || "") };
}

// setQuery changes the bookmarkable part of the URL without a reload.
export function setQuery(changes) {
  const { path, query } = hashState();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === "") query.delete(k);
    else query.set(k, v);
  }
  const s = query.toString();
  history.replaceState(null, "", "#" + path + (s ? "?" + s : ""));
}

// ---- a server-paged, sortable table ----
// columns: [{key, label, sort (REST column) , render(row) -> node|text, num}]
// fetch({page, perPage, sort, order}) -> {rows, total}

export function pagedTable({ columns, fetch, perPage = 25, defaultSort = "", caption, prefix = "" }) {
  const q = hashState().query;
  const st = {
    page: +q.get(prefix + "page") || 1,
    perPage: +q.get(prefix + "per") || +localStorage.getItem("fg-per") || perPage,
    sort: q.get(prefix + "sort") || defaultSort,
    order: q.get(prefix + "order") || "desc",
  };
  const tbody = el("tbody");
  const info = el("span", { class: "muted", "aria-live": "polite" });
  const prev = el("button", { type: "button", onclick: () => go(st.page - 1) }, "\u2039 Prev");
  const next = el("button", { type: "button", onclick: () => go(st.page + 1) }, "Next \u203a");
  const heads = columns.map((c) => {
    if (!c.sort) return el("th", { scope: "col", class: c.num ? "num" : "" }, c.label);
    const b = el("button", { type: "button", class: "sort", onclick: () => {
      st.order = st.sort === c.sort && st.order === "desc" ? "asc" : "desc";
      st.sort = c.sort;
      go(1);
    } }, c.label);
    return el("th", { scope: "col", class: c.num ? "num" : "", "data-sort": c.sort }, b);
  });
  const table = el("table", { class: "grid" }, caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, heads)), tbody);
  const root = el("div", { class: "paged" }, el("div", { class: "scroll" }, table),
    el("div", { class: "pager" }, prev, info, next));
  let total = 0;
  let seq = 0;
  async function load() {
    const my = ++seq;
    heads.forEach((h) => {
      const s = h.getAttribute("data-sort");
      h.setAttribute("aria-sort", s && s === st.sort ? (st.order === "asc" ? "ascending" : "descending") : "none");
    });
    const res = await fetch({ page: st.page, perPage: st.perPage, sort: st.sort, order: st.order });
    if (my !== seq) return;
    total = res.total;
    clear(tbody, res.rows.length ? res.rows.map((r) => el("tr", {}, columns.map((c) => el("td", { class: c.num ? "num" : "" },
      c.render ? c.render(r) : r[c.key])))) : el("tr", {}, el("td", { colspan: columns.length, class: "muted" }, "No data")));
    const pages = Math.max(1, Math.ceil(total / st.perPage));
    info.textContent = `Page ${st.page} of ${pages} \u00b7 ${fmtNum(total)} rows`;
    prev.disabled = st.page <= 1;
    next.disabled = st.page >= pages;
    root.dataset.loaded = String(my);
  }
  function go(p) {
    st.page = Math.max(1, p);
    setQuery({ [prefix + "page"]: st.page > 1 ? st.page : "", [prefix + "sort"]: st.sort, [prefix + "order"]: st.order });
    load().catch(showError);
  }
  return { root, load, reset: () => go(1) };
}

// ---- messages ----

export function showError(e) {
  const box = document.getElementById("error");
  if (!box) return;
  box.hidden = false;
  clear(box, el("span", {}, e instanceof Error ? e.message : String(e)),
    el("button", { type: "button", class: "icon", "aria-label": "Dismiss", onclick: () => { box.hidden = true; } }, "\u00d7"));
}

export function hideError() {
  const box = document.getElementById("error");
  if (box) box.hidden = true;
}

// ---- charts (uPlot, canvas) ----

function cssVar(n) { return getComputedStyle(document.documentElement).getPropertyValue(n).trim(); }

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

// lineChart draws series [{label, values, color}] over times (epoch s)
// into host, with a y formatter; it follows the container's width.
// stacked: each series is drawn on top of the previous ones (uPlot bands
// between the running sums), the legend and cursor showing its own value.
export function lineChart(host, times, series, yfmt, { stacked = false } = {}) {
  const w = Math.max(280, host.clientWidth || 600);
  const axis = { stroke: cssVar("--fg-muted"), grid: { stroke: cssVar("--grid") }, ticks: { stroke: cssVar("--grid") } };
  let data = series.map((s) => s.values);
  let bands;
  if (stacked) {
    const acc = times.map(() => 0);
    data = series.map((s) => s.values.map((v, i) => (acc[i] += v || 0)));
    bands = series.slice(1).map((_, k) => ({ series: [k + 2, k + 1] }));
  }
  const own = (si, di, v) => (di === null || di === undefined ? yfmt(v) : yfmt(series[si - 1].values[di]));
  const opts = {
    width: w, height: 240,
    scales: { x: { time: true } },
    series: [{}, ...series.map((s, i) => {
      const color = s.color || PALETTE[i % PALETTE.length];
      return { label: s.label, stroke: color, fill: color + (stacked ? "99" : "22"), width: stacked ? 1 : 1.5, value: (u, v, si, di) => own(si, di, v) };
    })],
    bands,
    axes: [axis, { ...axis, size: 96, values: (u, vals) => vals.map(yfmt) }],
    cursor: { drag: { x: true, y: false } }, // drag to zoom, double-click resets
    // The shown x range, and whether it is a zoom (live refreshes wait).
    hooks: { setScale: [(u, key) => {
      if (key !== "x" || !times.length) return;
      host.dataset.xmin = String(Math.round(u.scales.x.min));
      host.dataset.xmax = String(Math.round(u.scales.x.max));
      host.dataset.zoomed = String(u.scales.x.min > times[0] || u.scales.x.max < times[times.length - 1]);
    }] },
  };
  const plot = new window.uPlot(opts, [times, ...data], host);
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, host.clientWidth), height: 240 }));
  ro.observe(host);
  host.dataset.drawn = String(times.length);
  host.dataset.series = String(series.length);
  return { plot, destroy: () => { ro.disconnect(); plot.destroy(); } };
}

// tsSeries reads ts.lua and answers {times, series: {id: values}}.
export async function tsSeries(schema, query, seconds, extra = {}) {
  const end = Math.floor(Date.now() / 1000);
  const rsp = await api("get/timeseries/ts.lua", { ts_schema: schema, ts_query: query, epoch_begin: end - seconds, epoch_end: end, limit: 300, ...extra });
  const m = rsp.metadata;
  const times = [];
  for (let i = 0; i < m.num_point; i++) times.push(m.epoch_begin + i * m.epoch_step);
  const series = {};
  for (const s of rsp.series) series[s.id] = s.data;
  return { times, series, meta: m };
}

export const RANGES = [["5m", 300], ["30m", 1800], ["1h", 3600], ["1d", 86400], ["1w", 604800], ["1M", 2592000], ["1y", 31536000]];

// rangeButtons: a keyboard-usable group of range choices.
export function rangeButtons(current, onpick) {
  const g = el("div", { class: "ranges", role: "group", "aria-label": "Time range" });
  for (const [label, secs] of RANGES) {
    g.append(el("button", { type: "button", "aria-pressed": String(label === current), onclick: () => {
      g.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === btn)));
      onpick(label, secs);
    } }, label));
    const btn = g.lastChild;
  }
  return g;
}
export const rangeSeconds = (label) => (RANGES.find((r) => r[0] === label) || RANGES[2])[1];
