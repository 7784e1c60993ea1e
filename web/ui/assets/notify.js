// notify.js: #/recipients: ntopng's endpoints (where alerts go: a kind and
// its connection settings) and recipients (an endpoint plus filters), each
// listed, added, edited, tested and deleted; and flowgate's one-step
// recipient URLs. Secrets are never shown back: the REST masks them
// ("xxxxx") and a secret left empty in an edit keeps the stored one.
import { el, clear, api, fmtNum, showError, hideError } from "./lib.js";
import { field, values, panel, listOf } from "./forms.js";

const MASK = "xxxxx"; // alerts/recipients.Masked
const FORMATS = [["", "kind's default"], ["text", "text"], ["json", "json"], ["cef", "CEF"], ["ecs", "ECS"], ["rfc5424", "RFC 5424"]];
const TLS = [
  { name: "insecure", label: "Skip certificate check", type: "checkbox" },
  { name: "ca", label: "CA file", placeholder: "/etc/ssl/ca.pem" },
  { name: "server_name", label: "TLS server name" },
];
const TIMEOUT = { name: "timeout", label: "Timeout", placeholder: "5s" };
// The endpoint kinds flowgate delivers to and their settings (every key
// alerts/recipients' endpointKeys accepts, plus the connection keys).
export const KINDS = {
  syslog: { label: "Syslog", fields: [
    { name: "host", label: "Host", required: true }, { name: "port", label: "Port", type: "number", placeholder: "514", min: 1, max: 65535 },
    { name: "protocol", label: "Transport", type: "select", options: [["udp", "UDP"], ["tcp", "TCP"], ["tls", "TLS"]] },
    { name: "framing", label: "Message format", type: "select", options: [["", "default"], ["rfc3164", "RFC 3164"], ["rfc5424", "RFC 5424"]] },
    { name: "octet_counting", label: "Octet counting (TCP, TLS)", type: "select", options: [["", "default (on)"], ["true", "on"], ["false", "off"]] },
    { name: "facility", label: "Facility", placeholder: "local0" }, { name: "app", label: "App name", placeholder: "flowgate" },
    { name: "hostname", label: "Host name sent" }, { name: "cert", label: "Client certificate" }, { name: "key", label: "Client key" },
    ...TLS, TIMEOUT] },
  webhook: { label: "Webhook (ntopng, Slack, Discord, Mattermost, Teams)", fields: [
    { name: "url", label: "URL", placeholder: "https://hooks.example/alerts", hint: "http(s)://host[:port]/path" },
    { name: "style", label: "Body", type: "select", options: [["ntopng", "ntopng 0.2"], ["slack", "Slack"], ["discord", "Discord"], ["mattermost", "Mattermost"], ["teams", "Teams"]] },
    { name: "secret", label: "Signing secret", type: "secret" }, { name: "username", label: "User" },
    { name: "password", label: "Password", type: "secret" }, { name: "channel", label: "Channel" }, ...TLS, TIMEOUT] },
  smtp: { label: "Email (SMTP)", fields: [
    { name: "host", label: "Mail server", required: true }, { name: "port", label: "Port", type: "number", placeholder: "25", min: 1, max: 65535 },
    { name: "protocol", label: "Transport", type: "select", options: [["smtp", "SMTP"], ["smtps", "SMTPS"]] },
    { name: "from", label: "From", placeholder: "flowgate@example.org" }, { name: "to", label: "To", required: true, placeholder: "noc@example.org, ..." },
    { name: "starttls", label: "STARTTLS", type: "checkbox" }, ...TLS, TIMEOUT] },
  nats: { label: "NATS JetStream", fields: [
    { name: "host", label: "Server", required: true }, { name: "port", label: "Port", type: "number", placeholder: "4222", min: 1, max: 65535 },
    { name: "path", label: "Subject", required: true, placeholder: "alerts.flowgate" }, { name: "stream", label: "Stream" },
    { name: "token", label: "Token", type: "secret" }, { name: "tls", label: "TLS", type: "checkbox" }, ...TLS, TIMEOUT] },
  file: { label: "File (JSON lines)", fields: [
    { name: "path", label: "Path", required: true, placeholder: "/var/log/flowgate/alerts.jsonl" },
    { name: "max_size", label: "Rotate at", placeholder: "100MB" }, { name: "keep", label: "Files kept", type: "number", min: 0 }] },
  shell: { label: "Shell script", fields: [{ name: "path", label: "Script", required: true, placeholder: "/usr/local/bin/on-alert" }, TIMEOUT] },
};
const SEVERITIES = [["", "any"], ["debug", "Debug"], ["info", "Info"], ["notice", "Notice"], ["warning", "Warning"], ["error", "Error"],
  ["critical", "Critical"], ["alert", "Alert"], ["emergency", "Emergency"]];
const CATEGORIES = [["other", "Other"], ["security", "Security"], ["internals", "Internals"], ["network", "Network"], ["system", "System"]];
const ENTITIES = ["host", "flow", "interface", "network", "snmp_device", "system", "syslog", "am_host", "mac", "user"].map((e) => [e, e]);
const ACTIONS = [["engage", "engage"], ["release", "release"], ["store", "store"]];
const SEV_NAMES = SEVERITIES.map(([v]) => v);

export async function recipients(main, ctx) {
  const [eps, recs] = await Promise.all([api("get/endpoint/list.lua"), api("get/recipient/list.lua")]);
  const result = el("p", { id: "recipient-result", role: "status", "aria-live": "polite" });
  const editor = el("div", { id: "notify-editor" });
  const reload = () => recipients(main, ctx).catch(showError);
  const close = () => clear(editor);
  const post = async (path, params, done) => {
    try {
      await api(path, params, { method: "POST" });
      hideError();
      await reload();
      if (done) document.getElementById("recipient-result").textContent = done;
    } catch (err) { showError(err); }
  };
  const test = async (kind, key, name) => {
    try {
      const t = await api(`test/${kind}.lua`, { [key]: name }, { method: "POST" });
      hideError();
      result.textContent = `${name}: ${t.success ? "test sent" : "test failed: " + (t.message || "")}`;
    } catch (err) { showError(err); }
  };
  const del = (kind, key, name) => {
    if (confirm(`Delete ${kind} ${name}?`)) post(`delete/${kind}.lua`, { [key]: name }, `${name} deleted.`);
  };

  // ---- endpoints ----
  function endpointForm(ep) {
    const edit = !!ep;
    let kind = ep ? (ep.endpoint_conf_type === "email" ? "smtp" : ep.endpoint_conf_type) : "webhook";
    const params = ep?.params || {};
    const kindSel = field({ name: "endpoint_conf_type", label: "Kind", type: "select", options: Object.entries(KINDS).map(([k, d]) => [k, d.label]) }, kind, { id: "ep-kind" });
    const box = el("div", { class: "fields" });
    const common = el("div", { class: "fields" },
      field({ name: "format", label: "Default format", type: "select", options: FORMATS }, params.format, { id: "ep-format" }),
      field({ name: "url_alt", label: "Or a full URL", placeholder: "replaces the fields above", hint: "e.g. smtps://user:pw@mail:465?to=noc@example.org" }, kind !== "webhook" ? params.url : "", { id: "ep-url-alt" }));
    const draw = () => clear(box, KINDS[kind].fields.map((f) => field({ ...f, required: f.required && !params.url },
      f.type === "secret" ? "" : params[f.name], { id: "ep-" + f.name })),
    edit && KINDS[kind].fields.some((f) => f.type === "secret") ? el("p", { class: "muted" }, "Secrets are not shown: leave them empty to keep the stored ones.") : null);
    kindSel.querySelector("select").addEventListener("change", (e) => { kind = e.target.value; draw(); });
    draw();
    const name = field({ name: "endpoint_conf_name", label: "Name", required: true, readOnly: edit, pattern: "[A-Za-z0-9_.\\-]{1,64}" }, ep?.endpoint_conf_name, { id: "ep-name" });
    const form = el("form", { id: "endpoint-form", onsubmit: (e) => {
      e.preventDefault();
      const v = values(form);
      const p = { endpoint_conf_name: v.endpoint_conf_name, endpoint_conf_type: kind };
      for (const f of KINDS[kind].fields) {
        const x = v[f.name];
        if (f.type === "checkbox") { if (x) p[f.name] = "true"; continue; }
        if (f.type === "secret" && x === "" && edit && params[f.name] !== undefined) { p[f.name] = MASK; continue; }
        if (x !== "" && x !== undefined) p[f.name] = x;
      }
      if (v.url_alt) {
        for (const k of ["host", "port", "path", "protocol", "url"]) delete p[k];
        p.url = v.url_alt;
      }
      if (v.format) p.format = v.format;
      post(edit ? "edit/endpoint.lua" : "add/endpoint.lua", p, `Endpoint ${p.endpoint_conf_name} ${edit ? "saved" : "added"}.`);
    } }, el("div", { class: "fields" }, name, kindSel), box, common,
    el("div", { class: "toolbar" }, el("button", { type: "submit" }, edit ? "Save" : "Add endpoint"), el("button", { type: "button", onclick: close }, "Cancel")));
    clear(editor, panel(edit ? "Edit endpoint " + ep.endpoint_conf_name : "New endpoint", close, form));
    form.querySelector("input, select").focus();
  }

  // ---- recipients of an endpoint ----
  function recipientForm(r) {
    const edit = !!r;
    const p = r?.params || {};
    const f = r?.filter || {};
    const sev = p.min_severity || SEV_NAMES[f.min_severity] || "";
    const cats = p.categories !== undefined ? listOf(p.categories) : (f.categories || []).map((i) => CATEGORIES[i]?.[0]).filter(Boolean);
    const form = el("form", { id: "recipient-form", onsubmit: (e) => {
      e.preventDefault();
      const v = values(form);
      const q = { recipient_name: v.recipient_name, endpoint_conf_name: v.endpoint_conf_name };
      if (v.format) q.format = v.format;
      if (v.min_severity) q.recipient_minimum_severity = v.min_severity;
      for (const [k, key] of [["categories", "recipient_check_categories"], ["entities", "recipient_check_entities"], ["actions", "actions"]]) {
        if (v[k].length) q[key] = v[k].join(",");
      }
      for (const k of ["networks", "pools", "queue_size", "batch", "linger"]) if (v[k]) q[k] = v[k];
      post(edit ? "edit/recipient.lua" : "add/recipient.lua", q, `Recipient ${q.recipient_name} ${edit ? "saved" : "added"}.`);
    } },
    el("div", { class: "fields" },
      field({ name: "recipient_name", label: "Name", required: true, readOnly: edit }, r?.name, { id: "rc-name" }),
      field({ name: "endpoint_conf_name", label: "Endpoint", type: "select", required: true, options: eps.map((x) => [x.endpoint_conf_name, `${x.endpoint_conf_name} (${x.endpoint_conf_type})`]) }, r?.endpoint_conf_name, { id: "rc-endpoint" }),
      field({ name: "min_severity", label: "Minimum severity", type: "select", options: SEVERITIES }, sev, { id: "rc-severity" }),
      field({ name: "format", label: "Format", type: "select", options: FORMATS }, p.format, { id: "rc-format" })),
    el("div", { class: "fields" },
      field({ name: "categories", label: "Script categories (none: all)", type: "multi", options: CATEGORIES }, cats, { id: "rc-categories" }),
      field({ name: "entities", label: "Alert families (none: all)", type: "multi", options: ENTITIES }, p.entities !== undefined ? listOf(p.entities) : f.entities || [], { id: "rc-entities" }),
      field({ name: "actions", label: "Actions (none: all)", type: "multi", options: ACTIONS }, p.actions !== undefined ? listOf(p.actions) : f.actions || [], { id: "rc-actions" })),
    el("div", { class: "fields" },
      field({ name: "networks", label: "Networks", placeholder: "10.0.0.0/8, 2001:db8::/32" }, p.networks ?? (f.networks || []).join(","), { id: "rc-networks" }),
      field({ name: "pools", label: "Host pools", placeholder: "0, 3" }, p.pools ?? (f.pools || []).join(","), { id: "rc-pools" }),
      field({ name: "queue_size", label: "Queue size", type: "number", min: 1, hint: "applies at the next start" }, p.queue_size, { id: "rc-queue" }),
      field({ name: "batch", label: "Batch", type: "number", min: 1 }, p.batch, { id: "rc-batch" }),
      field({ name: "linger", label: "Linger", placeholder: "30s" }, p.linger, { id: "rc-linger" })),
    el("div", { class: "toolbar" }, el("button", { type: "submit" }, edit ? "Save" : "Add recipient"), el("button", { type: "button", onclick: close }, "Cancel")));
    clear(editor, panel(edit ? "Edit recipient " + r.name : "New recipient", close, eps.length ? form
      : el("p", { class: "notice" }, "Add an endpoint first: a recipient sends through one.")));
    form.querySelector("input:not([readonly]), select")?.focus();
  }

  const url = el("input", { name: "url", id: "recipient-url", required: true, size: 40, placeholder: "syslog+tcp://siem:514?format=cef" });
  const quick = el("form", { class: "toolbar", id: "recipient-add", onsubmit: (e) => {
    e.preventDefault();
    post("add/recipient.lua", { url: url.value.trim() }, "Recipient added.");
  } }, el("label", {}, "Recipient URL ", url), el("button", { type: "submit" }, "Add"));

  const btn = (label, onclick, attrs = {}) => el("button", { type: "button", onclick, ...attrs }, label);
  const epRows = eps.map((x) => el("tr", { "data-name": x.endpoint_conf_name },
    el("td", {}, x.endpoint_conf_name), el("td", {}, x.endpoint_conf_type), el("td", { class: "json" }, x.url),
    el("td", {}, (x.recipients || []).join(", ") || "-"),
    el("td", {}, btn("Test", () => test("endpoint", "endpoint_conf_name", x.endpoint_conf_name)), " ",
      x.persistent ? [btn("Edit", () => endpointForm(x), { class: "edit" }), " ", btn("Delete", () => del("endpoint", "endpoint_conf_name", x.endpoint_conf_name))]
        : el("span", { class: "muted" }, "configuration file"))));
  const recRows = recs.map((r) => el("tr", { "data-name": r.name },
    el("td", {}, r.name), el("td", {}, r.endpoint_conf_name || r.endpoint), el("td", { class: "json" }, r.url), el("td", {}, r.format),
    el("td", {}, describeFilter(r.filter)), el("td", { class: "num" }, fmtNum(r.sent)), el("td", { class: "num" }, fmtNum(r.failed)),
    el("td", { class: "num" }, fmtNum(r.dropped)),
    el("td", {}, btn("Test", () => test("recipient", "recipient_name", r.name)), " ",
      r.persistent && r.endpoint_conf_name ? [btn("Edit", () => recipientForm(r), { class: "edit" }), " "] : "",
      r.persistent ? btn("Delete", () => del("recipient", "recipient_name", r.name)) : "")));
  const tbl = (id, heads, rows) => el("div", { class: "scroll" }, el("table", { class: "grid", id },
    el("thead", {}, el("tr", {}, heads.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: heads.length, class: "muted" }, "None")))));
  clear(main, el("h1", {}, "Recipients and endpoints"), result, editor,
    el("section", { class: "card" }, el("div", { class: "panel-head" }, el("h2", {}, "Endpoints"), btn("New endpoint", () => endpointForm(null), { id: "endpoint-new" })),
      tbl("endpoints-table", ["Name", "Kind", "Where (secrets masked)", "Recipients", ""], epRows)),
    el("section", { class: "card" }, el("div", { class: "panel-head" }, el("h2", {}, "Recipients"), btn("New recipient", () => recipientForm(null), { id: "recipient-new" })),
      quick, tbl("recipients-table", ["Name", "Endpoint", "URL", "Format", "Filter", "Sent", "Failed", "Dropped", ""], recRows)));
}

function describeFilter(f) {
  if (!f) return "all";
  const parts = [];
  if (f.min_severity) parts.push("\u2265 " + SEV_NAMES[f.min_severity]);
  if (f.categories?.length) parts.push(f.categories.map((i) => CATEGORIES[i]?.[0] ?? i).join(","));
  if (f.entities?.length) parts.push(f.entities.join(","));
  if (f.networks?.length) parts.push(f.networks.join(","));
  if (f.pools?.length) parts.push("pools " + f.pools.join(","));
  if (f.actions?.length) parts.push(f.actions.join(","));
  return parts.join("; ") || "all";
}
