package clickhouse

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine"
	"flowgate/flowexport"
	"flowgate/flowexport/clickhouse/chtest"
	"flowgate/internal/testwait"
)

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		spec, addr, db, user, pw, err string
	}{
		{spec: "clickhouse", addr: "127.0.0.1:9000", db: "ntopng", user: "default", pw: "default"},
		{spec: "clickhouse;10.0.0.1;flows;u;p", addr: "10.0.0.1:9000", db: "flows", user: "u", pw: "p"},
		{spec: "clickhouse;10.0.0.1@9001;flows;u;p;w", err: "want clickhouse;host"},
		{spec: "clickhouse;ch.example@9001;db;u;p", addr: "ch.example:9001", db: "db", user: "u", pw: "p"},
		{spec: "clickhouse;ch.example:9002;db;u;p", addr: "ch.example:9002", db: "db", user: "u", pw: "p"},
		{spec: "clickhouse;[::1]:9002;db;u;p", addr: "[::1]:9002", db: "db", user: "u", pw: "p"},
		{spec: "clickhouse;h@x;db", err: "bad port"},
		{spec: "clickhouse;h@70000;db", err: "bad port"},
		{spec: "clickhouse;;db", err: "empty host"},
		{spec: "clickhouse;h;db;drop table", addr: "h:9000", db: "db", user: "drop table", pw: "default"},
		{spec: "clickhouse;h;x`; DROP DATABASE y", err: "database name"},
		{spec: "mysql;h;db", err: "not a clickhouse spec"},
	} {
		cfg := DefaultConfiguration()
		err := ParseSpec(c.spec, &cfg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Addr != c.addr || cfg.Database != c.db || cfg.User != c.user || cfg.Password != c.pw {
			t.Errorf("%q: %+v %v", c.spec, cfg, err)
		}
	}
}

func testConfig(srv *chtest.Server, dir string) Configuration {
	cfg := DefaultConfiguration()
	cfg.Addr, cfg.Database, cfg.Password, cfg.DataDir = srv.Addr, "ntopng", chtest.Password, dir
	cfg.FlushEvery, cfg.RetryMin, cfg.RetryMax = 50*time.Millisecond, 20*time.Millisecond, 200*time.Millisecond
	cfg.BatchRows = 5000
	cfg.Metrics = prometheus.NewRegistry()
	return cfg
}

type flowKey struct {
	src, dst       string
	sport, dport   uint16
	sbytes, dbytes uint64
	spkts, dpkts   uint32
	proto, ipv     uint8
	first, last    uint32
	in, out, vlan  uint32
	inst, probe    string
	l7             uint16
}

// TestEndedFlowsInClickHouse runs flows through the engine and checks that
// the rows in a real ClickHouse are exactly the flows that ended.
func TestEndedFlowsInClickHouse(t *testing.T) {
	srv := chtest.Start(t)
	w, err := New(testConfig(srv, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tcfg := flowexport.DefaultConfiguration()
	tcfg.Instance, tcfg.Metrics = "site-a", prometheus.NewRegistry()
	tap, err := flowexport.New(tcfg, w)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Configuration{})
	iface := eng.AddInterface("test", "zmq")
	eng.Observe(tap.Observer)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	now := uint32(time.Now().Unix())
	var want []flowKey
	exporter := netip.MustParseAddr("192.0.2.9")
	for i := 0; i < n; i += 500 {
		b := iface.NewBatch()
		for j := i; j < i+500; j++ {
			r := b.AddFlow()
			r.SrcIP = netip.AddrFrom4([4]byte{10, 1, byte(j >> 8), byte(j)})
			r.DstIP = netip.AddrFrom4([4]byte{10, 2, 0, 1})
			if j%10 == 0 {
				r.SrcIP = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", j+1))
				r.DstIP = netip.MustParseAddr("2001:db8::ffff")
			}
			r.SrcPort, r.DstPort, r.Proto = uint16(1024+j), 443, 6
			r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = uint64(100+j), 2, uint64(2000+j), 3
			r.FirstSwitched, r.LastSwitched = now-10, now-1
			r.InIfIndex, r.OutIfIndex, r.VLAN = 3, 4, 7
			r.ExporterIP = exporter
			r.L7App, r.L7Set = 91, true
			ipv := uint8(4)
			if r.SrcIP.Is6() {
				ipv = 6
			}
			want = append(want, flowKey{src: r.SrcIP.String(), dst: r.DstIP.String(), sport: r.SrcPort, dport: 443, sbytes: r.InBytes,
				dbytes: r.OutBytes, spkts: 2, dpkts: 3, proto: 6, ipv: ipv, first: now - 10, last: now - 1, in: 3, out: 4, vlan: 7,
				inst: "site-a", probe: "192.0.2.9", l7: 91})
		}
		if !iface.EnqueueWait(b, nil) {
			t.Fatal("enqueue")
		}
	}
	eng.Stop() // ends every flow: FlowEnd for each
	w.Stop()
	if c := w.Counters(); c.Written != n || c.BufferDrops != 0 || c.SpoolDrops != 0 {
		t.Fatalf("counters %+v, want %d written, no drop", c, n)
	}
	got := queryFlows(t, srv.Conn(t), "SELECT IPv4NumToString(IPV4_SRC_ADDR), IPv4NumToString(IPV4_DST_ADDR), IPv6NumToString(IPV6_SRC_ADDR), IPv6NumToString(IPV6_DST_ADDR), "+
		"IP_SRC_PORT, IP_DST_PORT, SRC2DST_BYTES, DST2SRC_BYTES, SRC2DST_PACKETS, DST2SRC_PACKETS, PROTOCOL, IP_PROTOCOL_VERSION, "+
		"toUInt32(FIRST_SEEN), toUInt32(LAST_SEEN), INPUT_SNMP, OUTPUT_SNMP, VLAN_ID, NTOPNG_INSTANCE_NAME, IPv4NumToString(PROBE_IP), L7_PROTO, "+
		"PACKETS, TOTAL_BYTES FROM ntopng.flows")
	sortKeys(want)
	sortKeys(got)
	if len(got) != len(want) {
		t.Fatalf("%d rows in ClickHouse, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func queryFlows(t *testing.T, conn driver.Conn, q string) []flowKey {
	t.Helper()
	defer conn.Close()
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []flowKey
	for rows.Next() {
		var k flowKey
		var s4, d4, s6, d6 string
		var ipv, proto uint8
		var vlan uint16
		var pkts uint32
		var total uint64
		var first, last uint32
		if err := rows.Scan(&s4, &d4, &s6, &d6, &k.sport, &k.dport, &k.sbytes, &k.dbytes, &k.spkts, &k.dpkts, &proto, &ipv,
			&first, &last, &k.in, &k.out, &vlan, &k.inst, &k.probe, &k.l7, &pkts, &total); err != nil {
			t.Fatal(err)
		}
		k.proto, k.ipv, k.vlan, k.first, k.last = proto, ipv, uint32(vlan), first, last
		if pkts != k.spkts+k.dpkts || total != k.sbytes+k.dbytes {
			t.Fatalf("PACKETS %d / TOTAL_BYTES %d are not the sums of %+v", pkts, total, k)
		}
		k.src, k.dst = s4, d4
		if ipv == 6 {
			k.src, k.dst = s6, d6
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sortKeys(k []flowKey) {
	sort.Slice(k, func(a, b int) bool {
		if k[a].src != k[b].src {
			return k[a].src < k[b].src
		}
		return k[a].sport < k[b].sport
	})
}

func testRows(n, from int) []flowexport.Row {
	rows := make([]flowexport.Row, n)
	for i := range rows {
		r := &rows[i]
		r.FlowID, r.IPVersion, r.Protocol = uint64(from+i), 4, 17
		r.Src = netip.AddrFrom4([4]byte{10, 9, byte((from + i) >> 8), byte(from + i)}).As16()
		r.Dst = netip.AddrFrom4([4]byte{10, 8, 0, 1}).As16()
		r.SrcPort, r.DstPort, r.SrcBytes, r.SrcPkts = uint16(from+i), 53, 80, 1
		r.FirstSeen, r.LastSeen, r.Instance, r.Info = 1700000000, 1700000001, "x", "example.org"
	}
	return rows
}

func offerAll(t *testing.T, w *Writer, rows []flowexport.Row) {
	t.Helper()
	for i := range rows {
		if !w.Offer(&rows[i]) {
			t.Fatalf("offer %d refused", i)
		}
	}
}

func count(t *testing.T, srv *chtest.Server, q string) uint64 {
	t.Helper()
	conn := srv.Conn(t)
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestServerDownSpoolsAndRecovers stops ClickHouse mid-run: rows go to the
// spool and reach the server once it is back, none lost, none twice.
func TestServerDownSpoolsAndRecovers(t *testing.T) {
	srv := chtest.Start(t)
	w, err := New(testConfig(srv, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	offerAll(t, w, testRows(1000, 0))
	testwait.ForState(t, "first rows written", func() (any, bool) { c := w.Counters(); return c, c.Written == 1000 })
	srv.Kill()
	offerAll(t, w, testRows(4000, 1000))
	testwait.ForState(t, "rows spooled while the server is down", func() (any, bool) {
		c := w.Counters()
		return c, c.Spooled == 4000 && c.SpoolRows == 4000
	})
	srv.Restart(t)
	offerAll(t, w, testRows(1000, 5000))
	// Rows offered just after the restart may be spooled too (the writer
	// is still backing off on a loaded machine): what must hold is that
	// everything spooled came back and everything was written once.
	testwait.ForState(t, "spool drained after the restart", func() (any, bool) {
		c := w.Counters()
		return c, c.Written == 6000 && c.SpoolRows == 0 && c.FromSpool == c.Spooled && c.Spooled >= 4000
	})
	c := w.Counters()
	if c.SpoolDrops != 0 || c.BufferDrops != 0 || c.SendErrors == 0 {
		t.Fatalf("counters %+v: want no drop and counted send errors", c)
	}
	if n := count(t, srv, "SELECT count() FROM ntopng.flows"); n != 6000 {
		t.Fatalf("%d rows in ClickHouse, want 6000", n)
	}
	if n := count(t, srv, "SELECT uniqExact(FLOW_ID) FROM ntopng.flows"); n != 6000 {
		t.Fatalf("%d distinct flows in ClickHouse, want 6000", n)
	}
}

// TestRefusedBatchRetriedThenSpooled: a table that lacks a column (schema
// drift) makes the server refuse every INSERT; the rows are spooled, and
// sent once the table is right again.
func TestRefusedBatchRetriedThenSpooled(t *testing.T) {
	srv := chtest.Start(t)
	conn := srv.Conn(t)
	defer conn.Close()
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE ntopng", "CREATE TABLE ntopng.flows (FLOW_ID UInt64) ENGINE = MergeTree() ORDER BY FLOW_ID"} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	w, err := New(testConfig(srv, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	offerAll(t, w, testRows(500, 0))
	testwait.ForState(t, "refused rows spooled", func() (any, bool) {
		c := w.Counters()
		return c, c.Spooled == 500 && c.SendErrors >= uint64(w.cfg.Attempts)
	})
	if err := conn.Exec(ctx, "DROP TABLE ntopng.flows"); err != nil {
		t.Fatal(err)
	}
	testwait.ForState(t, "spooled rows sent into the recreated table", func() (any, bool) {
		c := w.Counters()
		return c, c.Written == 500 && c.SpoolRows == 0
	})
	if n := count(t, srv, "SELECT count() FROM ntopng.flows"); n != 500 {
		t.Fatalf("%d rows, want 500", n)
	}
}

// TestSpoolBound: beyond the spool's bound rows are dropped and counted;
// what fit arrives.
func TestSpoolBound(t *testing.T) {
	srv := chtest.Start(t)
	cfg := testConfig(srv, t.TempDir())
	cfg.SpoolBytes = 20000 // about 200 rows
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	offerAll(t, w, testRows(1000, 0))
	testwait.ForState(t, "every row spooled or dropped", func() (any, bool) {
		c := w.Counters()
		return c, c.Spooled+c.SpoolDrops == 1000 && c.BufferedRows == 0
	})
	c := w.Counters()
	if c.SpoolDrops == 0 || c.Spooled == 0 || c.SpoolBytes > uint64(cfg.SpoolBytes)+spoolChunk {
		t.Fatalf("counters %+v: want some spooled, the rest dropped, spool within its bound", c)
	}
	srv.Restart(t)
	testwait.ForState(t, "spool drained", func() (any, bool) { c := w.Counters(); return c, c.SpoolRows == 0 && c.Written == c.Spooled })
	if n := count(t, srv, "SELECT count() FROM ntopng.flows"); n != c.Spooled {
		t.Fatalf("%d rows, want the %d spooled", n, c.Spooled)
	}
}

// TestSpoolSurvivesRestart: rows spooled by one writer are sent by the
// next one (a flowgate restart while ClickHouse is down).
func TestSpoolSurvivesRestart(t *testing.T) {
	srv := chtest.Start(t)
	dir := t.TempDir()
	srv.Kill()
	w, err := New(testConfig(srv, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	offerAll(t, w, testRows(300, 0))
	w.Stop() // one failed attempt: spooled
	if c := w.Counters(); c.Spooled != 300 {
		t.Fatalf("counters %+v, want 300 spooled", c)
	}
	srv.Restart(t)
	w2, err := New(testConfig(srv, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	testwait.ForState(t, "previous run's spool sent", func() (any, bool) { c := w2.Counters(); return c, c.FromSpool == 300 && c.SpoolRows == 0 })
	if n := count(t, srv, "SELECT count() FROM ntopng.flows"); n != 300 {
		t.Fatalf("%d rows, want 300", n)
	}
}
