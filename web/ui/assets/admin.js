// admin.js: alerts explorer, SNMP, preferences; the editing pages live in
// notify.js (recipients and endpoints), users.js (users, own password and
// language) and scriptconf.js (user scripts), re-exported here for app.js.
import { el, clear, api, fmtTime, fmtNum, fmtBps, fmtBytes, pagedTable, hashState, setQuery, showError, isAdmin, RANGES, tsSeries } from "./lib.js";
import { sevBadge, chartCard, topSeries } from "./pages.js";
import { accountSections } from "./users.js";

export { recipients } from "./notify.js";
export { usersPage } from "./users.js";
export { scripts } from "./scriptconf.js";

const FAMILIES = ["host", "flow", "interface", "network", "system", "snmp/device", "mac", "user"];
const SEVERITIES = [[0, "Any"], [3, "Notice+"], [4, "Warning+"], [5, "Error+"], [6, "Critical+"], [7, "Alert+"], [8, "Emergency"]];

export async function alertsPage(main, ctx) {
  const q = hashState().query;
  const st = {
    family: FAMILIES.includes(q.get("family")) ? q.get("family") : "host",
    status: ["engaged", "historical", "acknowledged"].includes(q.get("status")) ? q.get("status") : "historical",
    range: q.get("range") || "1d",
    severity: q.get("severity") || "0",
  };
  const tabs = el("div", { class: "tabs", role: "tablist", "aria-label": "Alert status" }, ["engaged", "historical", "acknowledged"].map((s) =>
    el("button", { type: "button", role: "tab", id: "tab-" + s, "aria-selected": String(s === st.status),
      onclick: () => { setQuery({ status: s, page: "" }); alertsPage(main, ctx).catch(showError); } }, s[0].toUpperCase() + s.slice(1))));
  const sel = (name, opts, value) => el("select", { name, id: "alert-" + name }, opts.map(([v, l]) => el("option", { value: v, selected: String(v) === String(value) }, l)));
  const form = el("form", { class: "toolbar", onsubmit: (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    setQuery({ family: fd.get("family"), range: fd.get("range"), severity: fd.get("severity") === "0" ? "" : fd.get("severity"), page: "" });
    alertsPage(main, ctx).catch(showError);
  } },
  el("label", {}, "Family ", sel("family", FAMILIES.map((f) => [f, f]), st.family)),
  el("label", {}, "Range ", sel("range", RANGES.map(([l]) => [l, "last " + l]), st.range)),
  el("label", {}, "Severity ", sel("severity", SEVERITIES, st.severity)),
  el("button", { type: "submit" }, "Apply"));
  const secs = (RANGES.find((r) => r[0] === st.range) || RANGES[3])[1];
  const base = () => {
    const p = { ifid: st.family === "system" ? -1 : ctx.ifid, status: st.status };
    if (st.status !== "engaged") {
      const end = Math.floor(Date.now() / 1000);
      Object.assign(p, { epoch_begin: end - secs, epoch_end: end + 60 });
    }
    if (st.severity !== "0") p.severity = st.severity + ";gte";
    return p;
  };
  const ack = async (a, btn) => {
    btn.disabled = true;
    try {
      const r = await api(`acknowledge/${st.family}/alerts.lua`, { ...base(), row_id: a.row_id + ";eq" }, { method: "POST" });
      btn.replaceWith(el("span", { class: "ok" }, r.count ? "Acknowledged" : "Already changed"));
    } catch (e) {
      btn.disabled = false;
      showError(e);
    }
  };
  const t = pagedTable({
    defaultSort: "tstamp",
    columns: [
      { label: "Date", sort: "tstamp", render: (a) => fmtTime(a.tstamp.value) },
      { label: "Severity", sort: "severity", render: (a) => sevBadge(a.severity) },
      { label: "Alert", render: (a) => a.alert_name },
      { label: "Entity", render: (a) => a.entity_val },
      { label: "Script", render: (a) => a.script_key || "" },
      { label: "Details", render: (a) => el("code", { class: "json" }, a.json || "") },
      { label: "Note", render: (a) => a.user_label || "" },
      { label: "", render: (a) => (st.status === "historical" && isAdmin()
        ? el("button", { type: "button", class: "ack", "data-row": a.row_id, onclick: (e) => ack(a, e.currentTarget) }, "Acknowledge") : "") },
    ],
    fetch: async (s) => {
      const env = await api(`get/${st.family}/alert/list.lua`, { ...base(), start: (s.page - 1) * s.perPage, length: s.perPage, sort: s.sort, order: s.order }, { envelope: true });
      return { rows: env.rsp.records, total: env.recordsTotal };
    },
  });
  t.root.id = "alerts-table";
  clear(main, el("h1", {}, "Alerts"), tabs, form, t.root);
  await t.load();
}

// table(rows, cols): a plain table of objects (cols: [[key, label, fmt]]).
function table(id, rows, cols) {
  return el("div", { class: "scroll" }, el("table", { class: "grid", id },
    el("thead", {}, el("tr", {}, cols.map(([, l]) => el("th", {}, l)))),
    el("tbody", {}, rows.length ? rows.map((r) => el("tr", {}, cols.map(([k, , f]) => el("td", {}, f ? f(r[k], r) : r[k] ?? ""))))
      : el("tr", {}, el("td", { colspan: cols.length, class: "muted" }, "None")))));
}

// snmp: the devices; #/snmp/<device> one device: its interfaces stacked
// (snmp_if:traffic, ranked), the interface table, and with ?if=<index>
// that interface's sent and received traffic.
export async function snmp(main, ctx, key) {
  if (key) return snmpDevice(main, ctx, key);
  let body;
  try {
    const list = await api("get/snmp/device/list.lua");
    body = table("snmp-table", list, [["key", "Device", (v, d) => el("a", { href: "#/snmp/" + encodeURIComponent(v) }, d.config?.name || d.system?.sys_name || v)],
      ["key", "Address"], ["system", "Description", (v) => v?.sys_descr || ""], ["reachable", "Status", (v) => (v ? "reachable" : "unreachable")],
      ["num_interfaces", "Interfaces", fmtNum], ["last_success", "Last poll", (v) => (v ? fmtTime(Date.parse(v) / 1000) : "-")],
      ["polls", "Polls", fmtNum], ["errors", "Errors", fmtNum]]);
  } catch (e) {
    body = el("p", { class: "muted" }, "SNMP: " + e.message);
  }
  clear(main, el("h1", {}, "SNMP devices"), body);
}

async function snmpDevice(main, ctx, key) {
  const [ifs, devs] = await Promise.all([api("get/snmp/device/interfaces.lua", { host: key }), api("get/snmp/device/list.lua")]);
  const dev = devs.find((d) => d.key === key) || { system: {} };
  const names = Object.fromEntries(ifs.map((i) => [String(i.index), i.name || i.descr || "if " + i.index]));
  const sel = hashState().query.get("if");
  const query = `ifid:-1,device:${key}`;
  const charts = [chartCard(ctx, "Interfaces", "snmp-chart", topSeries("snmp_if:traffic", query, (id) => names[id] || id), fmtBps, { stacked: true })];
  if (sel) {
    charts.push(chartCard(ctx, "Interface " + (names[sel] || sel), "snmp-if-chart", async (secs) => {
      const { times, series } = await tsSeries("snmp_if:traffic", `${query},if_index:${sel}`, secs);
      const bits = (a) => (a || []).map((v) => (v === null ? null : v * 8));
      return { times, series: [{ label: "Out", values: bits(series.bytes_sent) }, { label: "In", values: bits(series.bytes_rcvd) }] };
    }, fmtBps));
  }
  const link = (i) => el("a", { href: `#/snmp/${encodeURIComponent(key)}?if=${i.index}`, "aria-current": String(i.index) === sel ? "true" : null }, i.name || i.descr || String(i.index));
  clear(main, el("h1", {}, "SNMP device ", el("span", { id: "snmp-name" }, dev.system?.sys_name || key)),
    el("p", { class: "muted" }, [key, dev.system?.sys_descr].filter(Boolean).join(" \u00b7 ")),
    ...charts.map((c) => c.card),
    table("snmp-ifs", ifs, [["index", "Index"], ["name", "Interface", (v, i) => link(i)], ["alias", "Alias"], ["status", "Status"],
      ["speed", "Speed", (v, i) => fmtBps(i.high_speed ? i.high_speed * 1e6 : v)], ["in_bps", "In", fmtBps], ["out_bps", "Out", fmtBps],
      ["in_octets", "In total", fmtBytes], ["out_octets", "Out total", fmtBytes], ["in_errors", "In errors", fmtNum]]));
  await Promise.all(charts.map((c) => c.draw()));
}

// account: one's own preferences (display kept in this browser; password
// and language on the server, users.js), API token (shown once, when
// generated) and TOTP enrolment (QR code drawn by the server).
export async function account(main, ctx) {
  const me = await api("get/flowgate/account.lua");
  const status = el("p", { id: "account-result", role: "status", "aria-live": "polite" });
  const say = (m) => { status.textContent = m; };
  const dl = (pairs) => el("dl", { class: "kv" }, pairs.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const per = el("select", { id: "pref-per" }, [10, 25, 50, 100].map((n) => el("option", { value: n, selected: n === (+localStorage.getItem("fg-per") || 25) }, n)));
  per.addEventListener("change", () => { localStorage.setItem("fg-per", per.value); say("Rows per page saved in this browser."); });
  const theme = el("select", { id: "pref-theme" }, [["light", "Light"], ["dark", "Dark"]].map(([v, l]) => el("option", { value: v, selected: document.documentElement.dataset.theme === v }, l)));
  theme.addEventListener("change", () => { document.documentElement.dataset.theme = theme.value; localStorage.setItem("fg-theme", theme.value); say("Theme saved in this browser."); });

  const tokenBox = el("div", { id: "token-box" });
  const tokenState = el("p", { class: "muted" }, me.has_api_token ? "You have a token." : "You have no token.");
  const tokenBtn = el("button", { type: "button", id: "token-new", onclick: async () => {
    if (me.has_api_token && !confirm("Replace your API token? The current one stops working.")) return;
    try {
      const r = await api("create/ntopng/api_token.lua", {}, { method: "POST" });
      me.has_api_token = true;
      tokenState.textContent = "You have a token (the one below).";
      clear(tokenBox, el("label", {}, "Your new API token (shown once: copy it now) ",
        el("input", { id: "token-value", readonly: true, size: 40, value: r.api_token, onfocus: (e) => e.target.select() })),
      el("p", { class: "muted" }, "Use it as the header Authorization: Token <token>."));
    } catch (e) { showError(e); }
  } }, me.has_api_token ? "Replace API token" : "Generate API token");

  const totpBox = el("div", { id: "totp-box" });
  const codeForm = (on) => {
    const code = el("input", { id: "totp-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, size: 8, required: true, pattern: "[0-9]{6}" });
    const f = el("form", { class: "toolbar", id: "totp-form", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("edit/flowgate/totp.lua", { enabled: on, code: code.value.trim() }, { method: "POST" });
        me.totp_enabled = on;
        say(on ? "Two-factor authentication is on: the login asks for a code." : "Two-factor authentication is off.");
        drawTOTP();
      } catch (err) { showError(err); }
    } }, el("label", {}, "Code from the app ", code), el("button", { type: "submit" }, on ? "Turn on" : "Turn off"));
    return f;
  };
  function drawTOTP() {
    const state = el("p", { id: "totp-state" }, "Two-factor authentication: ", el("strong", {}, me.totp_enabled ? "on" : "off"));
    if (me.totp_enabled) {
      clear(totpBox, state, codeForm(false));
      return;
    }
    clear(totpBox, state, el("button", { type: "button", id: "totp-new", onclick: async () => {
      try {
        const r = await api("create/flowgate/totp.lua", {}, { method: "POST" });
        clear(totpBox, state,
          el("p", {}, "Scan this code with an authenticator app, or enter the key by hand, then type the code it shows."),
          el("img", { id: "totp-qr", src: r.qr_svg, alt: "QR code of " + r.uri, width: 200, height: 200 }),
          dl([["Key", el("code", { id: "totp-secret" }, r.secret)], ["URL", el("code", { class: "json" }, r.uri)]]),
          codeForm(true));
      } catch (e) { showError(e); }
    } }, "Set up two-factor authentication"));
  }
  drawTOTP();
  clear(main, el("h1", {}, "Preferences"), status,
    el("div", { class: "cols" },
      el("section", { class: "card" }, el("h2", {}, "Account"), dl([["User", el("span", { id: "account-user" }, me.username)], ["Full name", me.full_name || "-"],
        ["Group", me.group], ["Networks", me.allowed_nets || "all"], ["Interface", me.allowed_ifname || "all"],
        ["Language", el("span", { id: "account-language" }, me.language || "en")]])),
      el("section", { class: "card" }, el("h2", {}, "Display"), el("div", { class: "toolbar" }, el("label", {}, "Theme ", theme), el("label", {}, "Rows per page ", per)))),
    el("div", { class: "cols" }, accountSections(me, say)),
    el("section", { class: "card" }, el("h2", {}, "API token"), tokenState, tokenBtn, tokenBox),
    el("section", { class: "card" }, el("h2", {}, "Two-factor authentication (TOTP)"), totpBox));
}
