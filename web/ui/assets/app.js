// app.js: the shell (navigation, interface, theme) and the hash router.
import { session, isAdmin, el, clear, api, hashState, showError, hideError, recheckSession } from "./lib.js";
import { dashboard, interfaces, hosts, host, flows } from "./pages.js";
import { alertsPage, recipients, scripts, snmp, usersPage, account } from "./admin.js";
import { networks, syslogPage } from "./netpages.js";

// Routes: #/<name>[/<arg>][?state]. admin: only for administrators (the
// server refuses them to others anyway; the UI does not offer them).
const routes = {
  dashboard: { page: dashboard, title: "Dashboard" },
  interfaces: { page: interfaces, title: "Interfaces" },
  hosts: { page: hosts, title: "Hosts" },
  host: { page: host, title: "Host" },
  flows: { page: flows, title: "Flows" },
  networks: { page: networks, title: "Networks" },
  syslog: { page: syslogPage, title: "Syslog" },
  alerts: { page: alertsPage, title: "Alerts" },
  recipients: { page: recipients, title: "Recipients", admin: true },
  scripts: { page: scripts, title: "User scripts", admin: true },
  snmp: { page: snmp, title: "SNMP" },
  users: { page: usersPage, title: "Users", admin: true },
  account: { page: account, title: "Preferences" },
};

export const ctx = { ifid: localStorage.getItem("fg-ifid") || "0", timers: [], cleanups: [] };

// every(ms, fn): a refresh that stops when the page changes or is hidden.
ctx.every = (ms, fn) => {
  const id = setInterval(() => { if (!document.hidden) fn().catch(showError); }, ms);
  ctx.timers.push(id);
};

function theme(t) {
  document.documentElement.dataset.theme = t;
  localStorage.setItem("fg-theme", t);
}

async function route(ev) {
  ctx.timers.forEach(clearInterval);
  ctx.cleanups.forEach((f) => f());
  ctx.timers = [];
  ctx.cleanups = [];
  hideError();
  // A navigation checks the session again; the first route does not:
  // init's request checked it a moment ago (one round trip less per load).
  if (ev) recheckSession();
  const { path } = hashState();
  const [, name, ...rest] = path.split("/");
  const r = routes[name] || routes.dashboard;
  const main = document.getElementById("main");
  document.querySelectorAll("#nav a").forEach((a) => {
    if (a.getAttribute("href") === "#/" + name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  document.title = r.title + " \u00b7 flowgate";
  document.getElementById("nav").classList.remove("open");
  if (r.admin && !isAdmin()) {
    clear(main, el("h1", {}, r.title), el("p", { class: "notice", id: "not-granted" }, "This page is for administrators."));
    return;
  }
  clear(main, el("p", { class: "muted" }, "Loading\u2026"));
  try {
    await r.page(main, ctx, decodeURIComponent(rest.join("/")));
  } catch (e) {
    clear(main, el("h1", {}, r.title));
    showError(e);
  }
}

async function init() {
  theme(localStorage.getItem("fg-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
  document.getElementById("theme").addEventListener("click", () => {
    theme(document.documentElement.dataset.theme === "dark" ? "light" : "dark");
    route(); // charts take their colours when drawn
  });
  const toggle = document.getElementById("menu-toggle");
  toggle.addEventListener("click", () => {
    const open = document.getElementById("nav").classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  document.getElementById("whoami").textContent = session.user + (isAdmin() ? " (admin)" : "");
  if (!isAdmin()) document.querySelectorAll("[data-admin]").forEach((e) => e.remove());
  const sel = document.getElementById("ifid");
  try {
    const ifs = await api("get/ntopng/interfaces.lua");
    for (const i of ifs) sel.append(el("option", { value: i.ifid }, `${i.ifid}: ${i.ifname}`));
    if (!ifs.some((i) => String(i.ifid) === ctx.ifid) && ifs.length) ctx.ifid = String(ifs[0].ifid);
    sel.value = ctx.ifid;
  } catch (e) {
    showError(e);
  }
  sel.addEventListener("change", () => {
    ctx.ifid = sel.value;
    localStorage.setItem("fg-ifid", ctx.ifid);
    route();
  });
  addEventListener("hashchange", route);
  await route();
}

init();
