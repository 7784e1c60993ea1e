package web

import (
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/flowexport"
	chflows "flowgate/flowexport/clickhouse"
	"flowgate/flowexport/clickhouse/chtest"
	"flowgate/internal/testwait"
)

// dbServer is walkServer with the historical-flows REST over a real
// ClickHouse holding 100 flows of ifid 0: 10.0.0.i -> 192.0.2.1:443 (TCP,
// L7 91) for even i, 10.0.0.i -> 192.0.2.2:53 (UDP, L7 5) for odd i, and
// one IPv6 flow; bytes = 100*i each way.
func dbServer(t *testing.T) *Server {
	srv := chtest.Start(t)
	cfg := chflows.DefaultConfiguration()
	cfg.Addr, cfg.Password, cfg.DataDir, cfg.FlushEvery = srv.Addr, chtest.Password, t.TempDir(), 50*time.Millisecond
	cfg.Metrics = prometheus.NewRegistry()
	w, err := chflows.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	for i := 0; i < 101; i++ {
		r := flowexport.Row{FlowID: uint64(i + 1), IPVersion: 4, FirstSeen: 1700000000 + uint32(i), LastSeen: 1700000100 + uint32(i),
			Src: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}).As16(), SrcPort: uint16(40000 + i), SrcBytes: uint64(100 * i), DstBytes: uint64(100 * i),
			SrcPkts: 1, DstPkts: 1, Instance: "site-a", Info: "host.example"}
		if i%2 == 0 {
			r.Dst, r.DstPort, r.Protocol, r.L7Proto = netip.MustParseAddr("192.0.2.1").As16(), 443, 6, 91
		} else {
			r.Dst, r.DstPort, r.Protocol, r.L7Proto = netip.MustParseAddr("192.0.2.2").As16(), 53, 17, 5
		}
		if i == 100 {
			r.IPVersion, r.Src, r.Dst = 6, netip.MustParseAddr("2001:db8::1").As16(), netip.MustParseAddr("2001:db8::2").As16()
		}
		if !w.Offer(&r) {
			t.Fatal("offer")
		}
	}
	testwait.ForState(t, "rows in ClickHouse", func() (any, bool) { c := w.Counters(); return c, c.Written == 101 })
	s := walkServer(t)
	s.HandleProDB(w)
	return s
}

func TestProDBErrors(t *testing.T) {
	s := dbServer(t)
	base := map[string]string{"ifid": "0", "begin_time_clause": "1690000000", "end_time_clause": "1800000000"}
	with := func(kv map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range kv {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name, path string
		kv         map[string]string
		code, rc   int
	}{
		{"no ifid", "get/db/flows.lua", map[string]string{"begin_time_clause": "1", "end_time_clause": "2"}, 400, -2},
		{"no begin", "get/db/flows.lua", map[string]string{"ifid": "0", "end_time_clause": "2"}, 400, -5},
		{"end before begin", "get/db/flows.lua", map[string]string{"ifid": "0", "begin_time_clause": "5", "end_time_clause": "2"}, 400, -5},
		{"bad maxhits", "get/db/flows.lua", with(map[string]string{"maxhits_clause": "100001"}), 400, -5},
		{"unknown select column", "get/db/flows.lua", with(map[string]string{"select_clause": "PASSWORD"}), 400, -5},
		{"select function", "get/db/flows.lua", with(map[string]string{"select_clause": "file('/etc/passwd')"}), 400, -5},
		{"select subquery", "get/db/flows.lua", with(map[string]string{"select_clause": "(SELECT 1)"}), 400, -5},
		{"where injection", "get/db/flows.lua", with(map[string]string{"where_clause": "PROTOCOL = 6; DROP TABLE flows"}), 400, -5},
		{"where or true", "get/db/flows.lua", with(map[string]string{"where_clause": "1 = 1"}), 400, -5},
		{"where unknown column", "get/db/flows.lua", with(map[string]string{"where_clause": "system.users = 1"}), 400, -5},
		{"where bad ip", "get/db/flows.lua", with(map[string]string{"where_clause": `IPV4_SRC_ADDR = ("10.0.0.300")`}), 400, -5},
		{"where number overflow", "get/db/flows.lua", with(map[string]string{"where_clause": "PROTOCOL = 256"}), 400, -5},
		{"where unterminated", "get/db/flows.lua", with(map[string]string{"where_clause": "INFO = 'x"}), 400, -5},
		{"where unbalanced", "get/db/flows.lua", with(map[string]string{"where_clause": "(PROTOCOL = 6"}), 400, -5},
		{"where like number", "get/db/flows.lua", with(map[string]string{"where_clause": "PROTOCOL LIKE '6'"}), 400, -5},
		{"group star", "get/db/flows.lua", with(map[string]string{"group_by_clause": "PROTOCOL"}), 400, -5},
		{"group missing", "get/db/flows.lua", with(map[string]string{"select_clause": "IP_DST_PORT", "group_by_clause": "PROTOCOL"}), 400, -5},
		{"order direction", "get/db/flows.lua", with(map[string]string{"order_by_clause": "TOTAL_BYTES SIDEWAYS"}), 400, -5},
		{"order unknown", "get/db/flows.lua", with(map[string]string{"order_by_clause": "rand()"}), 400, -5},
		{"topk bad value", "get/db/topk_flows.lua", with(map[string]string{"select_values_clause": "INFO"}), 400, -5},
		{"topk bad fn", "get/db/topk_flows.lua", with(map[string]string{"topk_clause": "SLEEP"}), 400, -5},
		{"topk bad key", "get/db/topk_flows.lua", with(map[string]string{"select_keys_clause": "IPV4_SRC_ADDR,1"}), 400, -5},
		{"search no epoch", "get/db/historical_db_search.lua", map[string]string{"ifid": "0"}, 400, -5},
		{"search bad op", "get/db/historical_db_search.lua", map[string]string{"ifid": "0", "epoch_begin": "1", "epoch_end": "2000000000", "l4proto": "6;like"}, 400, -5},
		{"search bad value", "get/db/historical_db_search.lua", map[string]string{"ifid": "0", "epoch_begin": "1", "epoch_end": "2000000000", "l4proto": "x;eq"}, 400, -5},
		{"search bad length", "get/db/historical_db_search.lua", map[string]string{"ifid": "0", "epoch_begin": "1", "epoch_end": "2000000000", "length": "0"}, 400, -5},
	} {
		code, env := call(t, s, "GET", pro+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("%s: %d %v, want %d rc %d", tc.name, code, env, tc.code, tc.rc)
		}
	}
}

func TestProDBAnswers(t *testing.T) {
	s := dbServer(t)
	q := func(path string, kv map[string]string) []any {
		t.Helper()
		kv["ifid"] = "0"
		if _, ok := kv["epoch_begin"]; !ok {
			if _, ok := kv["begin_time_clause"]; !ok {
				kv["begin_time_clause"], kv["end_time_clause"] = "1690000000", "1800000000"
			}
		}
		code, env := call(t, s, "GET", pro+path, kv)
		if code != 200 || env["rc"] != float64(0) {
			t.Fatalf("%s %v: %d %v", path, kv, code, env)
		}
		if rsp, ok := env["rsp"].([]any); ok {
			return rsp
		}
		return []any{env["rsp"]}
	}
	// ntopng's example: an IP in quotes and parentheses; values as text.
	rows := q("get/db/flows.lua", map[string]string{"where_clause": `IPV4_SRC_ADDR = ("10.0.0.4")`})
	if len(rows) != 1 {
		t.Fatalf("one flow from 10.0.0.4: %v", rows)
	}
	r := rows[0].(map[string]any)
	if r["IPV4_SRC_ADDR"] != "10.0.0.4" || r["IPV4_DST_ADDR"] != "192.0.2.1" || r["TOTAL_BYTES"] != "800" || r["FIRST_SEEN"] != "1700000004" ||
		r["IPV6_SRC_ADDR"] != "::" || r["NTOPNG_INSTANCE_NAME"] != "site-a" || r["PROTOCOL"] != "6" || r["L7_PROTO"] != "91" {
		t.Fatalf("row: %v", r)
	}
	// Bare IP, AND/OR, parentheses, ORDER and maxhits.
	rows = q("get/db/flows.lua", map[string]string{"select_clause": "IPV4_SRC_ADDR,TOTAL_BYTES", "where_clause": "(IPV4_DST_ADDR = 192.0.2.2 OR IP_DST_PORT = 443) AND TOTAL_BYTES >= 19000 AND NOT IP_PROTOCOL_VERSION = 6",
		"order_by_clause": "TOTAL_BYTES DESC", "maxhits_clause": "3"})
	if len(rows) != 3 || rows[0].(map[string]any)["TOTAL_BYTES"] != "19800" || rows[2].(map[string]any)["IPV4_SRC_ADDR"] != "10.0.0.97" {
		t.Fatalf("ordered rows: %v", rows)
	}
	// GROUP BY with aggregates and an alias to order by.
	rows = q("get/db/flows.lua", map[string]string{"select_clause": "PROTOCOL, SUM(TOTAL_BYTES) AS bytes, COUNT(*)", "group_by_clause": "PROTOCOL",
		"where_clause": "IP_PROTOCOL_VERSION = 4", "order_by_clause": "bytes DESC"})
	if len(rows) != 2 {
		t.Fatalf("groups: %v", rows)
	}
	// UDP (odd i): 200*(1+3+...+99) = 500000; TCP: 200*(0+2+...+98) = 490000.
	if g := rows[0].(map[string]any); g["PROTOCOL"] != "17" || g["bytes"] != "500000" || g["COUNT(*)"] != "50" {
		t.Fatalf("first group: %v", g)
	}
	// A string value with a quote stays a value.
	if rows := q("get/db/flows.lua", map[string]string{"where_clause": `INFO = "x' OR '1'='1"`}); len(rows) != 0 {
		t.Fatalf("quoted value matched: %v", rows)
	}
	rows = q("get/db/flows.lua", map[string]string{"where_clause": "IPV6_SRC_ADDR = 2001:db8::1"})
	if len(rows) != 1 || rows[0].(map[string]any)["IPV6_DST_ADDR"] != "2001:db8::2" {
		t.Fatalf("IPv6 flow: %v", rows)
	}
	// Time window: flows whose FIRST_SEEN >= begin and LAST_SEEN <= end.
	if rows := q("get/db/flows.lua", map[string]string{"begin_time_clause": "1700000090", "end_time_clause": "1700000195", "maxhits_clause": "100"}); len(rows) != 6 {
		t.Fatalf("window: %d rows, want 6 (i=90..95)", len(rows))
	}
	// Top-k: bytes by destination.
	rows = q("get/db/topk_flows.lua", map[string]string{"select_keys_clause": "IPV4_DST_ADDR", "where_clause": "IP_PROTOCOL_VERSION = 4"})
	if len(rows) != 2 || rows[0].(map[string]any)["IPV4_DST_ADDR"] != "192.0.2.2" || rows[0].(map[string]any)["value"] != "500000" {
		t.Fatalf("topk: %v", rows)
	}
	// Historical search: filters, paging, totals.
	rsp := q("get/db/historical_db_search.lua", map[string]string{"epoch_begin": "1690000000", "epoch_end": "1800000000",
		"l4proto": "17;eq", "srv_port": "53", "start": "10", "length": "5", "sort": "first_seen", "order": "asc"})[0].(map[string]any)
	recs := rsp["records"].([]any)
	if rsp["recordsTotal"] != float64(50) || len(recs) != 5 || recs[0].(map[string]any)["IPV4_SRC_ADDR"] != "10.0.0.21" {
		t.Fatalf("search: %v", rsp)
	}
	rsp = q("get/db/historical_db_search.lua", map[string]string{"epoch_begin": "1690000000", "epoch_end": "1800000000", "ip": "10.0.0.7;neq", "l4proto": "17"})[0].(map[string]any)
	if rsp["recordsTotal"] != float64(49) {
		t.Fatalf("search neq: %v", rsp)
	}
}
