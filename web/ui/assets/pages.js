// pages.js: dashboard, interfaces, hosts, host details (with its peers), flows.
import {
  el, clear, api, fmtBytes, fmtBps, fmtPps, fmtNum, fmtTime, fmtDuration, pagedTable, hashState, setQuery,
  lineChart, tsSeries, rangeButtons, rangeSeconds, showError,
} from "./lib.js";

export const hostLink = (ip, vlan, name) => el("a", { href: "#/host/" + encodeURIComponent(vlan ? `${ip}@${vlan}` : ip) }, name || ip);

export function card(title, ...body) {
  return el("section", { class: "card" }, el("h2", {}, title), ...body);
}

function stat(label, id) {
  return el("div", { class: "stat" }, el("div", { class: "muted" }, label), el("div", { class: "big", id }, "-"));
}

// chartCard: a traffic chart with range buttons, redrawn from ts.lua;
// short ranges refresh live.
export function chartCard(ctx, title, id, load, yfmt, chartOpts) {
  const q = hashState().query;
  let range = q.get("range") || "1h";
  const box = el("div", { class: "chart", id });
  let chart = null;
  // A chart that cannot load says so in its box; the rest of the page stays.
  async function draw() {
    let times, series;
    try {
      ({ times, series } = await load(rangeSeconds(range)));
    } catch (e) {
      if (chart) chart.destroy();
      chart = null;
      clear(box, el("p", { class: "muted", role: "status" }, "Chart unavailable: " + e.message));
      return;
    }
    if (chart) chart.destroy();
    clear(box);
    if (!times.length) {
      box.append(el("p", { class: "muted" }, "No data in this range."));
      return;
    }
    chart = lineChart(box, times, series, yfmt, chartOpts);
  }
  ctx.cleanups.push(() => chart && chart.destroy());
  const c = card(title, rangeButtons(range, (label) => { range = label; setQuery({ range: label }); draw().catch(showError); }), box);
  ctx.every(10000, () => (rangeSeconds(range) <= 3600 && box.dataset.zoomed !== "true" ? draw() : Promise.resolve()));
  return { card: c, draw };
}

// topSeries: ts.lua's "top:<schema>" ranking (one series per protocol or
// interface, the biggest first), as bit rates for a stacked chart.
export const topSeries = (schema, query, names = (id) => id) => async (secs) => {
  const { times, series } = await tsSeries("top:" + schema, query, secs, { topk: 8 });
  return { times, series: Object.entries(series).map(([id, v]) => ({ label: names(id), values: v.map((x) => (x === null ? null : x * 8)) })) };
};

// The interface traffic series: ts.lua stores bytes as rates (bytes/s).
const ifaceTraffic = (ifid) => async (secs) => {
  const { times, series } = await tsSeries("iface:traffic", "ifid:" + ifid, secs);
  return { times, series: [{ label: "Traffic", values: (series.bytes || []).map((v) => (v === null ? null : v * 8)) }] };
};

export async function dashboard(main, ctx) {
  const ifid = ctx.ifid;
  const chart = chartCard(ctx, "Throughput", "dash-chart", ifaceTraffic(ifid), fmtBps);
  const appChart = chartCard(ctx, "Applications", "dash-apps-chart", topSeries("iface:ndpi", "ifid:" + ifid), fmtBps, { stacked: true });
  const stats = el("div", { class: "stats" }, stat("Throughput", "d-bps"), stat("Packets", "d-pps"), stat("Active hosts", "d-hosts"),
    stat("Active flows", "d-flows"), stat("Engaged alerts", "d-alerts"), stat("Dropped flows", "d-drops"));
  const topHosts = el("tbody", { id: "top-hosts" });
  const topApps = el("tbody", { id: "top-apps" });
  const topFlows = el("tbody", { id: "top-flows" });
  const probes = el("tbody");
  clear(main, el("h1", {}, "Dashboard"), stats, chart.card, appChart.card,
    el("div", { class: "cols" },
      card("Top hosts", el("table", { class: "grid" }, el("thead", {}, el("tr", {}, el("th", {}, "Host"), el("th", { class: "num" }, "Traffic"), el("th", { class: "num" }, "Throughput"))), topHosts)),
      card("Top applications", el("table", { class: "grid" }, el("thead", {}, el("tr", {}, el("th", {}, "Application"), el("th", { class: "num" }, "Traffic"))), topApps))),
    card("Top flows", el("div", { class: "scroll" }, el("table", { class: "grid" }, el("thead", {}, el("tr", {},
      ["Application", "Client", "Server", "Throughput", "Traffic"].map((h, k) => el("th", { class: k > 2 ? "num" : "" }, h)))), topFlows))),
    card("Probes (ZMQ)", el("div", { class: "scroll" }, el("table", { class: "grid", id: "probes" }, el("thead", {}, el("tr", {},
      ["Probe", "Interface", "Version", "Exported flows", "Dropped flows", "Dropped packets", "Last update"].map((h) => el("th", {}, h)))), probes))));
  const set = (id, v) => { const e = document.getElementById(id); if (e) e.textContent = v; };
  async function live() {
    const [d, hs, fl, apps, pr, eng] = await Promise.all([
      api("get/interface/data.lua", { ifid, live: 1 }), // live: not behind the queued batches (web/rest.go)
      api("get/host/active.lua", { ifid, perPage: 10, sortColumn: "traffic", sortOrder: "desc" }),
      api("get/flow/active.lua", { ifid, perPage: 10, sortColumn: "bytes", sortOrder: "desc" }),
      api("get/interface/l7/stats.lua", { ifid }),
      api("get/interface/nprobes/data.lua", { ifid }).catch(() => []),
      api("get/host/alert/list.lua", { ifid, status: "engaged", length: 1 }, { envelope: true }).catch(() => null),
    ]);
    set("d-bps", fmtBps(d.throughput_bps));
    set("d-pps", fmtPps(d.throughput_pps));
    set("d-hosts", fmtNum(d.num_hosts));
    set("d-flows", fmtNum(d.num_flows));
    set("d-alerts", eng ? fmtNum(eng.recordsTotal) : fmtNum(d.engaged_alerts));
    set("d-drops", fmtNum((d.zmqRecvStats?.dropped_flows || 0) + (d["zmq.drops.flow_collection_drops"] || 0)));
    clear(topHosts, hs.data.map((h) => el("tr", {}, el("td", {}, hostLink(h.ip, h.vlan, h.name)),
      el("td", { class: "num" }, fmtBytes(h.bytes.total)), el("td", { class: "num" }, fmtBps(h.thpt.bps)))));
    clear(topFlows, fl.data.length ? fl.data.map((f) => el("tr", {}, el("td", {}, f.protocol.l7),
      el("td", {}, hostLink(f.client.ip, f.vlan, f.client.name), ":" + f.client.port),
      el("td", {}, hostLink(f.server.ip, f.vlan, f.server.name), ":" + f.server.port),
      el("td", { class: "num" }, fmtBps(f.thpt.bps)), el("td", { class: "num" }, fmtBytes(f.bytes))))
      : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No active flow.")));
    clear(topApps, apps.slice().sort((a, b) => b.value - a.value).slice(0, 10).map((a) => el("tr", {},
      el("td", {}, el("a", { href: "#/flows?application=" + encodeURIComponent(a.label) }, a.label)), el("td", { class: "num" }, fmtBytes(a.value)))));
    clear(probes, pr.length ? pr.map((p) => el("tr", {}, el("td", {}, p.probe_ip), el("td", {}, p.probe_interface), el("td", {}, p.probe_version),
      el("td", { class: "num" }, fmtNum(p.exported_flows)), el("td", { class: "num" }, fmtNum(p.dropped_flows)),
      el("td", { class: "num" }, fmtNum(p.dropped_packets)), el("td", {}, fmtTime(p.probe_last_update))))
      : el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No probe has reported.")));
  }
  await Promise.all([live(), chart.draw(), appChart.draw()]);
  ctx.every(3000, live);
}

// IFACE_KINDS: how each -i kind is named (get/system/health/interfaces.lua's type).
const IFACE_KINDS = { zmq: "ZMQ", syslog: "Syslog", snmptrap: "SNMP traps", packet: "Packet", pcap: "Packet (pcap)", netflow: "NetFlow/IPFIX", sflow: "sFlow" };

export async function interfaces(main, ctx) {
  const ifs = await api("get/ntopng/interfaces.lua");
  const kinds = {};
  for (const h of await api("get/system/health/interfaces.lua").catch(() => [])) kinds[h.ifid] = h.type;
  const rows = await Promise.all(ifs.map((i) => api("get/interface/data.lua", { ifid: i.ifid }).catch(() => null)));
  // Each kind's own figures: a ZMQ interface its probes and drops, a
  // syslog one its producers and messages (linking to #/syslog).
  const details = await Promise.all(ifs.map(async (i, k) => {
    const d = rows[k] || {};
    switch (kinds[i.ifid]) {
      case "syslog": {
        const st = await api("get/syslog/stats.lua", { ifid: i.ifid }).catch(() => null);
        if (!st) return "-";
        const l = st.listener || {};
        // The average rate since the listener started (the syslog page
        // shows each producer's current one).
        const up = l.started_unix ? Date.now() / 1000 - l.started_unix : 0;
        const rate = up > 0 ? ` (${((l.received || 0) / up).toFixed(1)} msg/s since start)` : "";
        return el("a", { href: "#/syslog?ifid=" + i.ifid, class: "syslog-link" },
          `${plural((st.producers || []).length, "producer")}, ${plural(l.received, "message")}${rate}, ${fmtNum(l.malformed)} malformed`);
      }
      case "zmq":
        return `${plural(d.num_probes, "probe")}, ${plural((d.zmqRecvStats?.dropped_flows || 0) + (d["zmq.drops.flow_collection_drops"] || 0), "dropped flow")}`;
      default:
        return `${fmtNum(d.packets)} packets, ${fmtNum(d.drops)} drops`;
    }
  }));
  // The SNMP trap receiver (snmptrap://) is an -i without an engine
  // interface: its counters come with the SNMP stats (when granted).
  const traps = (await api("get/snmp/stats.lua").catch(() => null))?.traps;
  clear(main, el("h1", {}, "Interfaces"), el("div", { class: "scroll" }, el("table", { class: "grid", id: "interfaces-table" },
    el("thead", {}, el("tr", {}, ["Id", "Name", "Kind", "Hosts", "Flows", "Traffic", "Throughput", "Details"].map((h, k) => el("th", { class: k >= 3 && k <= 6 ? "num" : "" }, h)))),
    el("tbody", {}, ifs.map((i, k) => {
      const d = rows[k] || {};
      return el("tr", { "data-kind": kinds[i.ifid] || "" }, el("td", {}, i.ifid), el("td", {}, i.ifname),
        el("td", {}, IFACE_KINDS[kinds[i.ifid]] || kinds[i.ifid] || "-"), el("td", { class: "num" }, fmtNum(d.num_hosts)),
        el("td", { class: "num" }, fmtNum(d.num_flows)), el("td", { class: "num" }, fmtBytes(d.bytes)),
        el("td", { class: "num" }, fmtBps(d.throughput_bps)), el("td", {}, details[k]));
    }), traps ? el("tr", { "data-kind": "snmptrap" }, el("td", {}, "-"), el("td", {}, "snmptrap://"), el("td", {}, IFACE_KINDS.snmptrap),
      el("td", { colspan: 4, class: "muted" }, "no flows: traps become alerts"),
      el("td", {}, el("a", { href: "#/snmp" }, `${plural(traps.traps, "trap")} from ${plural(traps.sources, "source")}, ${plural(traps.decode_errors, "decode error")}`))) : null))));
}

const plural = (n, word) => `${fmtNum(n || 0)} ${word}${n === 1 ? "" : "s"}`;

// HOST_FILTERS: host/active.lua's filters the hosts page offers, kept in
// the URL (#/hosts?mode=local&network=0&vlan=10&search=10.1): bookmarkable.
const HOST_FILTERS = ["mode", "network", "vlan", "version", "search"];
const HOST_MODES = [["", "All hosts"], ["local", "Local only"], ["remote", "Remote only"]];

export async function hosts(main, ctx) {
  const ifid = ctx.ifid;
  const q = hashState().query;
  const filters = {};
  for (const k of HOST_FILTERS) if (q.get(k)) filters[k] = q.get(k);
  // The network list fills its filter when it comes: the first page of
  // hosts does not wait for it (one round trip less before the table).
  const netsP = api("get/network/networks.lua", { ifid }).catch(() => []);
  const option = (name, v, l) => el("option", { value: v, selected: (filters[name] || "") === String(v) }, l);
  const select = (name, opts) => el("select", { name, id: "host-" + name }, opts.map(([v, l]) => option(name, v, l)));
  const netSel = select("network", [["", "Any"]]);
  netsP.then((nets) => netSel.append(...nets.map((n) => option("network", n.network_id, n.label))));
  const form = el("form", { class: "toolbar", role: "search", id: "host-filters", onsubmit: (e) => {
    e.preventDefault();
    const ch = { page: "" };
    for (const [k, v] of new FormData(form).entries()) ch[k] = String(v).trim();
    setQuery(ch);
    hosts(main, ctx).catch(showError);
  } },
  el("label", {}, "Hosts ", select("mode", HOST_MODES)),
  el("label", {}, "Network ", netSel),
  el("label", {}, "IP ", select("version", [["", "v4 and v6"], ["4", "IPv4"], ["6", "IPv6"]])),
  el("label", {}, "VLAN ", el("input", { name: "vlan", id: "host-vlan", value: filters.vlan || "", size: 5, inputmode: "numeric", pattern: "[0-9]*" })),
  el("label", {}, "Search ", el("input", { type: "search", name: "search", id: "host-search", value: filters.search || "", placeholder: "10.1.0 or @10", maxlength: 64 })),
  el("button", { type: "submit" }, "Filter"),
  el("a", { href: "#/hosts", id: "host-filters-clear" }, "Clear"));
  const t = pagedTable({
    defaultSort: "bytes",
    columns: [
      { label: "IP address", sort: "ip", render: (h) => hostLink(h.ip, h.vlan, h.name) },
      { label: "Location", render: (h) => (h.is_localhost ? "Local" : "Remote") },
      { label: "VLAN", sort: "vlan", key: "vlan", num: true },
      { label: "Flows", sort: "num_flows", num: true, render: (h) => fmtNum(h.num_flows.total) },
      { label: "Alerts", sort: "alerts", num: true, render: (h) => fmtNum(h.num_alerts) },
      { label: "Seen since", sort: "first_seen", render: (h) => fmtTime(h.first_seen) },
      { label: "Throughput", sort: "thpt", num: true, render: (h) => fmtBps(h.thpt.bps) },
      { label: "Traffic", sort: "bytes", num: true, render: (h) => fmtBytes(h.bytes.total) },
    ],
    fetch: async (s) => {
      const r = await api("get/host/active.lua", { ifid, currentPage: s.page, perPage: s.perPage, sortColumn: s.sort, sortOrder: s.order, ...filters });
      return { rows: r.data, total: r.totalRows };
    },
  });
  t.root.id = "hosts-table";
  clear(main, el("h1", {}, "Hosts"), form, t.root);
  ctx.timers.forEach(clearInterval);
  ctx.timers = [];
  await t.load().catch(showError); // a refused filter leaves the form to fix it
  ctx.every(5000, t.load);
}

export async function host(main, ctx, key) {
  const ifid = ctx.ifid;
  if (!key) throw new Error("No host given.");
  const d = await api("get/host/data.lua", { ifid, host: key });
  const [ip] = key.split("@");
  const tskey = d.tskey || ip;
  const dl = (pairs) => el("dl", { class: "kv" }, pairs.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const chart = chartCard(ctx, "Traffic", "host-chart", async (secs) => {
    const { times, series } = await tsSeries("host:traffic", `ifid:${ifid},host:${tskey}`, secs);
    const bits = (a) => (a || []).map((v) => (v === null ? null : v * 8));
    return { times, series: [{ label: "Sent", values: bits(series.bytes_sent) }, { label: "Received", values: bits(series.bytes_rcvd) }] };
  }, fmtBps);
  const appChart = chartCard(ctx, "Applications", "host-apps-chart", topSeries("host:ndpi", `ifid:${ifid},host:${tskey}`), fmtBps, { stacked: true });
  const apps = el("tbody");
  const flowsT = flowTable(ctx, { host: key }, "f");
  const peersT = peerTable(ctx, key);
  const portsCard = el("div", { id: "host-snmp-ports-card" }); // filled when the host has SNMP ports
  const alertsBody = el("tbody");
  clear(main, el("h1", {}, "Host ", el("span", { id: "host-name" }, d.name || d.ip)),
    el("div", { class: "cols" },
      card("Summary", dl([["IP address", d.ip], ["VLAN", d.vlan], ["Location", d.localhost ? "Local" : "Remote"],
        ["Network", d.local_network_name || "-"], ["MAC", d.mac || "-"], ["First seen", fmtTime(d["seen.first"])],
        ["Last seen", fmtTime(d["seen.last"])], ["Sent", fmtBytes(d["bytes.sent"])], ["Received", fmtBytes(d["bytes.rcvd"])],
        ["Throughput", fmtBps(d.throughput_bps)], ["Active flows", fmtNum((d["active_flows.as_client"] || 0) + (d["active_flows.as_server"] || 0))],
        ["Peers", fmtNum(d.num_peers)], ["Alerts", fmtNum(d.total_alerts)]])),
      card("Applications", el("table", { class: "grid", id: "host-apps" }, el("thead", {}, el("tr", {}, el("th", {}, "Application"), el("th", { class: "num" }, "Traffic"), el("th", { class: "num" }, "Duration"))), apps))),
    chart.card, appChart.card,
    card("Flows", flowsT.root),
    card("Peers", peersT.root),
    portsCard,
    card("Alerts", el("table", { class: "grid", id: "host-alerts" }, el("thead", {}, el("tr", {}, ["Date", "Severity", "Alert", "Status", "Details"].map((h) => el("th", {}, h)))), alertsBody)));
  const [l7, eng, hist] = await Promise.all([
    api("get/host/l7/stats.lua", { ifid, host: key }).catch(() => []),
    api("get/host/alert/list.lua", { ifid, status: "engaged", ip: ip + ";eq" }).catch(() => ({ records: [] })),
    api("get/host/alert/list.lua", { ifid, status: "historical", ip: ip + ";eq", length: 20 }).catch(() => ({ records: [] })),
    chart.draw(), appChart.draw(), flowsT.load(), peersT.load()]);
  snmpPorts(ctx, key, portsCard).catch(showError);
  clear(apps, l7.length ? l7.map((a) => el("tr", {}, el("td", {}, a.label), el("td", { class: "num" }, fmtBytes(a.value)), el("td", { class: "num" }, fmtDuration(a.duration))))
    : el("tr", {}, el("td", { colspan: 3, class: "muted" }, "No data")));
  const al = [...eng.records, ...hist.records];
  clear(alertsBody, al.length ? al.map((a) => el("tr", {}, el("td", {}, fmtTime(a.tstamp.value)), el("td", {}, sevBadge(a.severity)),
    el("td", {}, a.alert_name), el("td", {}, a.status), el("td", { class: "json" }, a.json)))
    : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No alerts")));
}

// peerTable: the hosts a host talks with (flowgate's get/host/peers.lua),
// each linking to its page and to the flows between the two.
function peerTable(ctx, key) {
  const t = pagedTable({
    prefix: "p", defaultSort: "bytes", perPage: 10,
    columns: [
      { label: "Peer", sort: "ip", render: (p) => hostLink(p.ip, p.vlan, p.name) },
      { label: "Location", render: (p) => (p.is_localhost ? "Local" : "Remote") },
      { label: "Flows", sort: "flows", num: true, render: (p) => el("a", { href: "#/flows?" + new URLSearchParams({ host: key, talking_with: p.ip }) }, fmtNum(p.num_flows)) },
      { label: "Sent", sort: "sent", num: true, render: (p) => fmtBytes(p.bytes.sent) },
      { label: "Received", sort: "rcvd", num: true, render: (p) => fmtBytes(p.bytes.rcvd) },
      { label: "Throughput", sort: "thpt", num: true, render: (p) => fmtBps(p.thpt.bps) },
      { label: "Traffic", sort: "bytes", num: true, render: (p) => fmtBytes(p.bytes.total) },
    ],
    fetch: async (s) => {
      const r = await api("get/host/peers.lua", { ifid: ctx.ifid, host: key, currentPage: s.page, perPage: s.perPage, sortColumn: s.sort, sortOrder: s.order });
      return { rows: r.data, total: r.totalRows };
    },
  });
  t.root.id = "host-peers";
  return t;
}

// snmpPorts: the SNMP ports the host's flows were seen on (flowgate's
// get/host/snmp_ports.lua), shown only when there are some; a port of a
// polled device links to that device's interface.
async function snmpPorts(ctx, key, box) {
  const r = await api("get/host/snmp_ports.lua", { ifid: ctx.ifid, host: key });
  if (!r.data.length) return;
  const device = (p) => (p.correlated
    ? el("a", { href: `#/snmp/${encodeURIComponent(p.device_key)}?if=${p.if_index}` }, p.device_name)
    : p.exporter_ip);
  const iface = (p) => (p.if_name ? `${p.if_name}${p.if_alias ? " (" + p.if_alias + ")" : ""}` : "ifIndex " + p.if_index);
  const more = r.totalRows > r.data.length ? el("p", { class: "muted" }, `${fmtNum(r.data.length)} of ${fmtNum(r.totalRows)} ports, most traffic first`) : null;
  clear(box, card("SNMP ports", el("table", { class: "grid", id: "host-snmp-ports" },
    el("thead", {}, el("tr", {}, el("th", {}, "Device"), el("th", {}, "Interface"), el("th", {}, "Status"), el("th", { class: "num" }, "Flows"), el("th", { class: "num" }, "Traffic"))),
    el("tbody", {}, r.data.map((p) => el("tr", {}, el("td", {}, device(p)), el("td", {}, iface(p)), el("td", {}, p.if_status || "-"),
      el("td", { class: "num" }, fmtNum(p.num_flows)), el("td", { class: "num" }, fmtBytes(p.bytes.total)))))), more));
}

export function sevBadge(s) {
  return el("span", { class: "sev sev-" + s.value }, s.label);
}

// flowTable: the live flows (flow/active.lua), with fixed filters.
function flowTable(ctx, filters, prefix = "") {
  const t = pagedTable({
    prefix, defaultSort: "bytes",
    columns: [
      { label: "Application", render: (f) => f.protocol.l7 },
      { label: "Protocol", sort: "protocol", render: (f) => f.protocol.l4 },
      { label: "Client", sort: "client", render: (f) => el("span", {}, hostLink(f.client.ip, f.vlan, f.client.name), ":" + f.client.port) },
      { label: "Server", sort: "server", render: (f) => el("span", {}, hostLink(f.server.ip, f.vlan, f.server.name), ":" + f.server.port) },
      { label: "Duration", sort: "duration", num: true, render: (f) => fmtDuration(f.duration) },
      { label: "Throughput", sort: "thpt", num: true, render: (f) => fmtBps(f.thpt.bps) },
      { label: "Traffic", sort: "bytes", num: true, render: (f) => fmtBytes(f.bytes) },
    ],
    fetch: async (s) => {
      const r = await api("get/flow/active.lua", { ifid: ctx.ifid, currentPage: s.page, perPage: s.perPage, sortColumn: s.sort, sortOrder: s.order, ...filters });
      return { rows: r.data, total: r.totalRows };
    },
  });
  return t;
}

const HOSTS_TYPES = [["", "All"], ["local_only", "Local only"], ["remote_only", "Remote only"], ["local_origin_remote_target", "Local to remote"],
  ["remote_origin_local_target", "Remote to local"], ["local_to_local", "Local to local"]];

export async function flows(main, ctx) {
  const q = hashState().query;
  const filters = {};
  for (const k of ["host", "talking_with", "application", "l4proto", "vlan", "flowhosts_type"]) if (q.get(k)) filters[k] = q.get(k);
  const input = (name, label, ph) => el("label", {}, label, el("input", { name, value: filters[name] || "", placeholder: ph, size: 14 }));
  const hostsType = el("select", { name: "flowhosts_type" }, HOSTS_TYPES.map(([v, l]) => el("option", { value: v, selected: (filters.flowhosts_type || "") === v }, l)));
  const form = el("form", { class: "toolbar", id: "flow-filters", onsubmit: (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const ch = { page: "" };
    for (const [k, v] of fd.entries()) ch[k] = String(v).trim();
    setQuery(ch);
    flows(main, ctx).catch(showError);
  } }, input("host", "Host ", "10.0.0.1"), input("talking_with", "Talking with ", "peer"), input("application", "Application ", "TLS"),
  input("l4proto", "L4 ", "tcp"), input("vlan", "VLAN ", "0"), el("label", {}, "Hosts ", hostsType), el("button", { type: "submit" }, "Filter"));
  const t = flowTable(ctx, filters);
  t.root.id = "flows-table";
  clear(main, el("h1", {}, "Active flows"), form, t.root);
  ctx.timers.forEach(clearInterval);
  ctx.timers = [];
  await t.load();
  ctx.every(5000, t.load);
}
