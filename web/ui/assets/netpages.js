// netpages.js: the local networks and the syslog producers.
import { el, clear, api, fmtBytes, fmtBps, fmtNum, hashState, pagedTable, tsSeries } from "./lib.js";
import { card, chartCard } from "./pages.js";

// #/networks[?net=<cidr>]: the local networks (get/network/networks.lua,
// with flowgate's live figures), sortable, each linking to its hosts;
// ?net= adds its subnet:traffic chart (ingress, egress, inner).
export async function networks(main, ctx) {
  const ifid = ctx.ifid;
  const nets = await api("get/network/networks.lua", { ifid });
  const net = hashState().query.get("net");
  // The list is short and whole: pagedTable's fetch sorts and pages it here.
  const cols = [
    { sort: "name", label: "Network", key: (n) => n.label, render: (n) => el("span", {}, n.label, n.label !== n.id ? el("span", { class: "muted" }, " " + n.id) : null) },
    { sort: "hosts", label: "Hosts", num: true, key: (n) => n.num_hosts, render: (n) => el("a", { href: "#/hosts?network=" + n.network_id }, fmtNum(n.num_hosts)) },
    { sort: "ingress", label: "Ingress", num: true, key: (n) => n.bytes.ingress, render: (n) => fmtBytes(n.bytes.ingress) },
    { sort: "egress", label: "Egress", num: true, key: (n) => n.bytes.egress, render: (n) => fmtBytes(n.bytes.egress) },
    { sort: "inner", label: "Inner", num: true, key: (n) => n.bytes.inner, render: (n) => fmtBytes(n.bytes.inner) },
    { sort: "traffic", label: "Traffic", num: true, key: (n) => n.bytes.total, render: (n) => fmtBytes(n.bytes.total) },
    { sort: "thpt", label: "Throughput", num: true, key: (n) => n.throughput_bps, render: (n) => fmtBps(n.throughput_bps) },
    { label: "Chart", render: (n) => el("a", { href: "#/networks?" + new URLSearchParams({ net: n.id }), "aria-current": n.id === net ? "true" : null }, "Chart") },
  ];
  const t = pagedTable({
    defaultSort: "traffic", columns: cols,
    fetch: async (s) => {
      const col = cols.find((c) => c.sort === s.sort) || cols[5];
      const sorted = nets.slice().sort((a, b) => {
        const x = col.key(a), y = col.key(b);
        const d = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "en", { numeric: true });
        return s.order === "asc" ? d : -d;
      });
      return { rows: sorted.slice((s.page - 1) * s.perPage, s.page * s.perPage), total: sorted.length };
    },
  });
  t.root.id = "networks-table";
  const body = [el("h1", {}, "Networks"), card("Local networks", t.root)];
  let chart = null;
  if (net) {
    const bits = (a) => (a || []).map((v) => (v === null ? null : v * 8));
    chart = chartCard(ctx, "Traffic of " + net, "net-chart", async (secs) => {
      const { times, series } = await tsSeries("subnet:traffic", `ifid:${ifid},subnet:${net}`, secs);
      return { times, series: [{ label: "Ingress", values: bits(series.bytes_ingress) }, { label: "Egress", values: bits(series.bytes_egress) },
        { label: "Inner", values: bits(series.bytes_inner) }] };
    }, fmtBps);
    body.push(chart.card);
  }
  clear(main, ...body);
  await Promise.all([t.load(), chart ? chart.draw() : null]);
}

// #/syslog[?ifid=N]: per syslog interface, its producers (get/syslog/stats.lua:
// handler script, messages, errors; the rate is the change between two
// refreshes), the producer map (get/syslog/producers.lua) and the
// listener's totals, bad lines included.
export async function syslogPage(main, ctx) {
  const want = hashState().query.get("ifid");
  const kinds = await api("get/system/health/interfaces.lua");
  const ifs = kinds.filter((i) => i.type === "syslog" && (!want || String(i.ifid) === want));
  if (!ifs.length) {
    clear(main, el("h1", {}, "Syslog"), el("p", { class: "notice", id: "no-syslog" }, "No syslog interface (-i syslog://...) is configured."));
    return;
  }
  const views = ifs.map((i) => syslogView(i));
  clear(main, el("h1", {}, "Syslog producers"), views.map((v) => v.root));
  await Promise.all(views.map((v) => v.load()));
  ctx.every(3000, () => Promise.all(views.map((v) => v.load())));
}

function syslogView(iface) {
  const ifid = iface.ifid;
  const totals = el("dl", { class: "kv", id: "syslog-totals-" + ifid });
  const prodBody = el("tbody");
  const mapBody = el("tbody");
  const root = el("section", { class: "syslog-if", "data-ifid": ifid },
    el("h2", {}, `Interface ${ifid}: ${iface.ifname}`),
    el("div", { class: "cols" },
      card("Listener", totals),
      card("Producer map", el("table", { class: "grid", id: "syslog-map-" + ifid },
        el("thead", {}, el("tr", {}, el("th", {}, "Source (IP or device)"), el("th", {}, "Producer"))), mapBody))),
    card("Producers", el("div", { class: "scroll" }, el("table", { class: "grid", id: "syslog-producers-" + ifid },
      el("thead", {}, el("tr", {}, ["Producer", "Handler", "Messages", "Rate", "Handled", "Errors", "Dropped", "Malformed", "Last error"]
        .map((h, k) => el("th", { class: k >= 2 && k < 8 ? "num" : "" }, h)))), prodBody))));
  let last = null; // {at, received: {producer: n}}: the previous sample, for rates
  async function load() {
    const [st, map] = await Promise.all([api("get/syslog/stats.lua", { ifid }), api("get/syslog/producers.lua", { ifid })]);
    const now = performance.now();
    const l = st.listener || {};
    clear(totals, [["Transport", l.transport], ["Messages", fmtNum(l.received)], ["Bytes", fmtBytes(l.bytes)],
      ["Malformed lines", fmtNum(l.malformed)], ["Without producer", fmtNum(l.no_producer)], ["Without handler", fmtNum(l.unhandled)],
      ["Dropped (queue full)", fmtNum(l.dropped)], ["Oversized", fmtNum(l.oversized)], ["Connections open", fmtNum(l.conns_open)]]
      .map(([k, v]) => [el("dt", {}, k), el("dd", { "data-key": k }, v ?? "-")]));
    clear(mapBody, map.length ? map.map((m) => el("tr", {}, el("td", {}, m.host), el("td", {}, m.producer)))
      : el("tr", {}, el("td", { colspan: 2, class: "muted" }, "No entry: producers are named by the messages' app name.")));
    const prods = st.producers || [];
    const rate = (p) => {
      if (!last || !(p.producer in last.received)) return "-";
      const secs = (now - last.at) / 1000;
      return secs > 0 ? (Math.max(0, p.received - last.received[p.producer]) / secs).toFixed(1) + " msg/s" : "-";
    };
    clear(prodBody, prods.length ? prods.map((p) => el("tr", { "data-producer": p.producer }, el("td", {}, p.producer),
      el("td", {}, p.has_handler ? (p.path || "").split("/").pop() : el("span", { class: "muted" }, "none")),
      el("td", { class: "num" }, fmtNum(p.received)), el("td", { class: "num" }, rate(p)), el("td", { class: "num" }, fmtNum(p.handled)),
      el("td", { class: "num" }, fmtNum(p.errors)), el("td", { class: "num" }, fmtNum(p.dropped)), el("td", { class: "num" }, fmtNum(p.malformed)),
      el("td", { class: "json" }, p.last_error || "")))
      : el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No message received yet.")));
    last = { at: now, received: Object.fromEntries(prods.map((p) => [p.producer, p.received])) };
    root.dataset.loaded = String((+root.dataset.loaded || 0) + 1);
  }
  return { root, load };
}
