package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

func open(t testing.TB, cfg Configuration) *DB {
	t.Helper()
	if cfg.Path == "" && cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	d := New(cfg)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

func hostAlert(id uint64, ip string, vlan int, typ int, sev alerts.Severity, ts int64) alerts.Alert {
	return alerts.Alert{ID: id, IfID: 0, Type: typ, Subtype: "bytes", Severity: sev, Entity: alerts.EntityHost,
		EntityVal: fmt.Sprintf("%s@%d", ip, vlan), Granularity: 60, Tstamp: ts, TstampEnd: ts + 60, JSON: `{"v":1}`,
		Action: alerts.ActionRelease, Script: "bytes", Subdir: "host"}
}

func flowAlert(id uint64, cli, srv string, l7, master int, sev alerts.Severity, ts int64) alerts.Alert {
	return alerts.Alert{ID: id, IfID: 1, Type: 62, Severity: sev, Entity: alerts.EntityFlow, EntityVal: "flow",
		Tstamp: ts, TstampEnd: ts, JSON: `{}`, Action: alerts.ActionStore, Script: "flow_risk", Subdir: "flow",
		Flow: &alerts.FlowInfo{Status: 3, Score: int(sev) * 10, FirstSeen: ts - 5, Proto: 6, ProtoNDPI: "TLS.Google",
			L7Proto: l7, L7Master: master, Cli2SrvBytes: 100, Cli2SrvPkts: 2, Srv2CliBytes: 2000, Srv2CliPkts: 3,
			Cli: alerts.FlowPeer{Addr: cli, Port: 40000, Country: "IT", ASN: 1, Localhost: true},
			Srv: alerts.FlowPeer{Addr: srv, Port: 443, Blacklisted: true, OS: "Linux"}}}
}

func flush(t testing.TB, d *DB) {
	t.Helper()
	if err := d.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Alerts read back equal what was appended, in their family's table.
func TestRoundTrip(t *testing.T) {
	d := open(t, Configuration{})
	want := []alerts.Alert{
		hostAlert(1, "10.0.0.1", 0, 49, alerts.SeverityError, 1000),
		flowAlert(2, "10.0.0.2", "8.8.8.8", 91, 7, alerts.SeverityWarning, 1001),
		{ID: 3, IfID: -1, Type: 41, Severity: alerts.SeverityNotice, Entity: alerts.EntityInterface, EntityVal: "-1",
			Tstamp: 1002, TstampEnd: 1002, Action: alerts.ActionStore},
		{ID: 4, IfID: 0, Type: 49, Severity: alerts.SeverityNotice, Entity: alerts.EntityNetwork, EntityVal: "10.0.0.0/8",
			Tstamp: 1003, TstampEnd: 1010, Action: alerts.ActionRelease},
	}
	for _, a := range want {
		d.Append(a)
	}
	flush(t, d)
	for _, c := range []struct {
		fam  Family
		want alerts.Alert
	}{{FamilyHost, want[0]}, {FamilyFlow, want[1]}, {FamilySystem, want[2]}, {FamilyNetwork, want[3]}} {
		got, total, err := d.List(context.Background(), ListQuery{Family: c.fam, Status: StatusAny}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(got) != 1 || !reflect.DeepEqual(got[0], c.want) {
			t.Errorf("%s: total %d\n got %+v\nwant %+v", c.fam, total, got, c.want)
		}
	}
	var ip string
	var vlan, ver int
	if err := d.r.QueryRow(`SELECT ip, vlan_id, ip_version FROM host_alerts`).Scan(&ip, &vlan, &ver); err != nil || ip != "10.0.0.1" || vlan != 0 || ver != 4 {
		t.Errorf("host columns: %q %d %d %v", ip, vlan, ver, err)
	}
	if d.MaxID() != 4 {
		t.Errorf("MaxID %d", d.MaxID())
	}
}

// Every family's table takes an alert of its own (one of each entity,
// both interfaces), in single and multi-row INSERTs, and the columns
// flowgate does not fill hold their DEFAULT, as ntopng's schema says.
func TestEveryFamilyStored(t *testing.T) {
	d := open(t, Configuration{})
	var want []alerts.Alert
	for _, e := range []alerts.EntityType{alerts.EntityHost, alerts.EntityFlow, alerts.EntityInterface, alerts.EntityNetwork,
		alerts.EntityMAC, alerts.EntitySNMPDevice, alerts.EntityUser, alerts.EntityAMHost, alerts.EntityInfluxDB} {
		for _, ifid := range []int{0, -1} {
			want = append(want, alerts.Alert{IfID: ifid, Type: 49, Severity: alerts.SeverityError, Entity: e,
				EntityVal: "10.0.0.1", Tstamp: 1000, TstampEnd: 1000, JSON: "{}", Action: alerts.ActionStore})
		}
	}
	id := uint64(0)
	for round := 0; round < 1+multiRows; round++ { // a whole multi-row group per family, and singles
		for _, a := range want {
			id++
			a.ID = id
			d.Append(a)
		}
	}
	flush(t, d)
	if c := d.Counters(); c.Committed != id || c.WriteErrors != 0 {
		t.Fatalf("counters %+v, want %d committed", c, id)
	}
	rows := 0
	for _, tb := range tables {
		var n int
		d.r.QueryRow("SELECT COUNT(*) FROM " + tb.name).Scan(&n)
		rows += n
	}
	if uint64(rows) != id {
		t.Errorf("%d rows in the tables, %d alerts appended", rows, id)
	}
	for _, tb := range tables {
		if got, want := len(tb.filled()), len(commonValues(&want[0]))+len(tb.values(&want[0])); got != want {
			t.Errorf("%s: %d filled columns, %d values", tb.name, got, want)
		}
		for _, c := range tb.columns() {
			if !c.fixed {
				continue
			}
			var n int
			q := fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE %s IS NOT ?`, tb.name, quoteIdent(c.name))
			if err := d.r.QueryRow(q, c.def).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s.%s: %d rows not at the default %v (%v)", tb.name, c.name, n, c.def, err)
			}
		}
	}
}

// N alerts queued while the writer is busy are written in
// ceil(N/MaxBatch) transactions, not N.
func TestWriterBatches(t *testing.T) {
	d := open(t, Configuration{MaxBatch: 1000})
	busy, release := make(chan struct{}), make(chan struct{})
	go d.do(context.Background(), func(*sql.Tx) error { close(busy); <-release; return nil })
	<-busy
	const n = 10_000
	for i := 1; i <= n; i++ {
		d.Append(hostAlert(uint64(i), "10.0.0.1", 0, 49, alerts.SeverityError, int64(1000+i)))
	}
	close(release)
	flush(t, d)
	c := d.Counters()
	if c.Committed != n || c.Dropped != 0 || c.Transactions != n/1000 {
		t.Errorf("counters %+v, want %d committed in %d transactions", c, n, n/1000)
	}
	var rows int
	d.r.QueryRow(`SELECT COUNT(*) FROM host_alerts`).Scan(&rows)
	if rows != n {
		t.Errorf("%d rows", rows)
	}
}

// A full queue drops and counts; Append never blocks.
func TestQueueFullDrops(t *testing.T) {
	d := open(t, Configuration{QueueSize: 10})
	busy, release := make(chan struct{}), make(chan struct{})
	go d.do(context.Background(), func(*sql.Tx) error { close(busy); <-release; return nil })
	<-busy
	for i := 1; i <= 25; i++ {
		d.Append(hostAlert(uint64(i), "10.0.0.1", 0, 49, alerts.SeverityError, int64(1000+i)))
	}
	close(release)
	flush(t, d)
	if c := d.Counters(); c.Appended != 10 || c.Dropped != 15 || c.Committed != 10 {
		t.Errorf("counters %+v", c)
	}
}

// The history survives a restart, and alerts.Store numbers new alerts
// after the stored ones.
func TestStoreHistoryRestart(t *testing.T) {
	dir := t.TempDir()
	d := New(Configuration{DataDir: dir})
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	st := alerts.NewStore(alerts.Config{History: d.History()})
	a := hostAlert(0, "10.0.0.1", 0, 49, alerts.SeverityError, 1000)
	st.Trigger(a)
	st.StoreEvent(flowAlert(0, "10.0.0.2", "10.0.0.3", 7, 0, alerts.SeverityWarning, 1001))
	a.TstampEnd = 1100
	st.Release(a)
	st.Trigger(hostAlert(0, "10.0.0.9", 0, 49, alerts.SeverityError, 1200)) // stays engaged
	rows, total := st.List(alerts.Query{})
	if total != 3 || len(rows) != 3 {
		t.Fatalf("before restart: %d %+v", total, rows)
	}
	if rows, total := st.List(alerts.Query{Status: alerts.StatusHistorical, SortBy: "id", Asc: true}); total != 2 || rows[0].ID != 1 || rows[1].ID != 2 {
		t.Fatalf("historical: %d %+v", total, rows)
	}
	d.Stop()

	d2 := open(t, Configuration{DataDir: dir})
	st2 := alerts.NewStore(alerts.Config{History: d2.History()})
	rows, total = st2.List(alerts.Query{SortBy: "id", Asc: true})
	if total != 2 || rows[0].TstampEnd != 1100 || rows[1].Flow == nil {
		t.Fatalf("after restart: %d %+v", total, rows)
	}
	st2.StoreEvent(hostAlert(0, "10.0.0.4", 0, 49, alerts.SeverityError, 1300))
	rows, _ = st2.List(alerts.Query{SortBy: "id"})
	if rows[0].ID != 3 { // after the stored ones (the lost engaged alert 3 was never stored)
		t.Errorf("new id %d, want 3", rows[0].ID)
	}
	// Paging over engaged and historical together.
	st2.Trigger(hostAlert(0, "10.0.0.5", 0, 49, alerts.SeverityError, 1250))
	rows, total = st2.List(alerts.Query{SortBy: "tstamp", Offset: 1, Limit: 2})
	if total != 4 || len(rows) != 2 || rows[0].Tstamp != 1250 || rows[1].Tstamp != 1001 {
		t.Errorf("merged page: %d %+v", total, rows)
	}
	if n := st2.Acknowledge(alerts.Query{Entity: alerts.Ptr(alerts.EntityHost)}, nil); n != 2 {
		t.Errorf("acknowledged %d", n)
	}
	if n := st2.Delete(alerts.Query{}, []uint64{2}); n != 1 {
		t.Errorf("deleted %d", n)
	}
	rows, total = st2.List(alerts.Query{Status: alerts.StatusHistorical})
	if total != 2 || !rows[0].Acknowledged || !rows[1].Acknowledged {
		t.Errorf("after ack/delete: %d %+v", total, rows)
	}
}

func TestRetention(t *testing.T) {
	d := open(t, Configuration{RetentionChunk: 7})
	id := uint64(0)
	for i := 0; i < 50; i++ {
		id++
		d.Append(hostAlert(id, "10.0.0.1", 0, 49, alerts.SeverityError, int64(1000+i)))
		id++
		d.Append(flowAlert(id, "10.0.0.1", "10.0.0.2", 7, 0, alerts.SeverityError, int64(1000+i)))
	}
	flush(t, d)
	ctx := context.Background()
	// Age: alerts ending before 1030 go (host alerts end 60 s later).
	// Age: flow alerts end when they start, host alerts 60 s later, so a
	// cut at 1030 removes the flows of 1000..1029 and no host alert.
	n, err := d.Retain(ctx, time.Unix(1030, 0).Add(time.Hour), time.Hour, 0)
	if err != nil || n != 30 {
		t.Fatalf("age: %d %v", n, err)
	}
	count := func() (h, f int) {
		d.r.QueryRow(`SELECT COUNT(*) FROM host_alerts`).Scan(&h)
		d.r.QueryRow(`SELECT COUNT(*) FROM flow_alerts`).Scan(&f)
		return
	}
	if h, f := count(); h != 50 || f != 20 {
		t.Fatalf("after age: %d host, %d flow", h, f)
	}
	// Count: keep the 25 newest ids of all tables.
	n, err = d.Retain(ctx, time.Unix(0, 0), 0, 25)
	if err != nil || n != 45 {
		t.Fatalf("count: %d %v", n, err)
	}
	var minID int
	d.r.QueryRow(`SELECT MIN(rowid) FROM (SELECT rowid FROM host_alerts UNION ALL SELECT rowid FROM flow_alerts)`).Scan(&minID)
	if h, f := count(); h+f != 25 || minID != 100-25+1 {
		t.Errorf("after count: %d+%d rows, oldest id %d", h, f, minID)
	}
	if c := d.Counters(); c.Expired != 75 {
		t.Errorf("expired %d", c.Expired)
	}
}

// The writer's ticker applies the configured bounds.
func TestRetentionInWriter(t *testing.T) {
	d := open(t, Configuration{MaxCount: 5, RetentionEvery: 10 * time.Millisecond})
	for i := 1; i <= 20; i++ {
		d.Append(hostAlert(uint64(i), "10.0.0.1", 0, 49, alerts.SeverityError, int64(1000+i)))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		d.r.QueryRow(`SELECT COUNT(*) FROM host_alerts`).Scan(&n)
		if n == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d rows", n)
		}
		time.Sleep(5 * time.Millisecond) // polling the asserted condition
	}
}

// Retention removes its chunks between insert batches: an alert appended
// while a long retention runs (5,000 rows, one a chunk) is committed
// before the retention ends (the writer used to remove every chunk
// before it took the next alert).
func TestRetentionLetsInsertsThrough(t *testing.T) {
	const rows, keep = 5000, 10
	d := open(t, Configuration{MaxCount: keep, RetentionChunk: 1, RetentionEvery: 10 * time.Millisecond})
	for i := 1; i <= rows; i++ {
		d.Append(hostAlert(uint64(i), "10.0.0.1", 0, 49, alerts.SeverityError, int64(1000+i)))
	}
	flush(t, d)
	waitFor := func(what string, ok func(c Counters) bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !ok(d.Counters()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: counters %+v", what, d.Counters())
			}
			time.Sleep(time.Millisecond) // polling the asserted condition
		}
	}
	waitFor("retention started", func(c Counters) bool { return c.Expired > 0 })
	d.Append(hostAlert(rows+1, "10.0.0.2", 0, 49, alerts.SeverityError, 9000))
	flush(t, d)
	if c := d.Counters(); c.Committed != rows+1 || c.Expired >= rows-keep {
		t.Fatalf("alert appended during the retention: committed %d, expired %d of %d (retention went first)",
			c.Committed, c.Expired, rows-keep)
	}
	waitFor("retention done", func(c Counters) bool { return c.Expired == rows+1-keep })
	var n int
	d.r.QueryRow(`SELECT COUNT(*) FROM host_alerts WHERE rowid = ?`, rows+1).Scan(&n)
	if n != 1 {
		t.Errorf("the newest alert was removed")
	}
}

func TestSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	d := open(t, Configuration{DataDir: dir})
	var v int
	d.r.QueryRow(`PRAGMA user_version`).Scan(&v)
	if v != SchemaVersion {
		t.Errorf("user_version %d", v)
	}
	var mode string
	d.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %q", mode)
	}
	d.Stop()
	// A file from a newer flowgate is refused, not damaged.
	db, err := sql.Open("sqlite", filepath.Join(dir, "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion+1))
	db.Close()
	d2 := New(Configuration{DataDir: dir})
	if err := d2.Start(); err == nil {
		d2.Stop()
		t.Fatal("a newer schema was accepted")
	}
}

// A version 1 file (port indexes without the covering columns) opens as
// version 2: its alerts kept, the port indexes covering and analyzed
// when the file had planner statistics.
func TestMigrateFromVersion1(t *testing.T) {
	dir := t.TempDir()
	d := open(t, Configuration{DataDir: dir})
	for i := 1; i <= 20; i++ {
		d.Append(flowAlert(uint64(i), "10.0.0.1", "10.0.0.2", 7, 0, alerts.SeverityError, int64(1000+i)))
	}
	flush(t, d)
	if err := d.Optimize(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	db, err := sql.Open("sqlite", filepath.Join(dir, "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX flow_alerts_i_cli_port`, `DROP INDEX flow_alerts_i_srv_port`,
		`DELETE FROM sqlite_stat1 WHERE idx LIKE 'flow_alerts_i_%_port'`,
		`CREATE INDEX flow_alerts_i_cli_port ON flow_alerts(cli_port)`, `CREATE INDEX flow_alerts_i_srv_port ON flow_alerts(srv_port)`,
		`PRAGMA user_version = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	d = open(t, Configuration{DataDir: dir})
	var v, cols, stats, rows int
	d.r.QueryRow(`PRAGMA user_version`).Scan(&v)
	d.r.QueryRow(`SELECT COUNT(*) FROM pragma_index_info('flow_alerts_i_srv_port')`).Scan(&cols)
	d.r.QueryRow(`SELECT COUNT(*) FROM sqlite_stat1 WHERE idx IN ('flow_alerts_i_cli_port', 'flow_alerts_i_srv_port')`).Scan(&stats)
	d.r.QueryRow(`SELECT COUNT(*) FROM flow_alerts`).Scan(&rows)
	if v != SchemaVersion || cols != 4 || stats != 2 || rows != 20 {
		t.Fatalf("user_version %d, srv_port index columns %d, analyzed port indexes %d, rows %d", v, cols, stats, rows)
	}
	f, err := ParseFilters("srv_port", "443;eq")
	if err != nil {
		t.Fatal(err)
	}
	ifid := 1
	p, err := d.ListPage(context.Background(), ListQuery{Family: FamilyFlow, IfID: &ifid, Filters: f, Length: 5, Desc: true}, nil)
	if err != nil || p.Total != 20 || len(p.Rows) != 5 || p.Rows[0].ID != 20 {
		t.Fatalf("srv_port list: total %d, %d rows, %v", p.Total, len(p.Rows), err)
	}
}

func TestConfigurationValidate(t *testing.T) {
	for _, c := range []Configuration{{}, {DataDir: "x", Synchronous: "OFF"}, {DataDir: "x", MaxCount: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (Configuration{DataDir: "x"}).Validate(); err != nil {
		t.Error(err)
	}
	var bp *BadParamError
	_, err := ParseFilters("severity", "3;like")
	if !errors.As(err, &bp) || !errors.Is(err, ErrBadParam) {
		t.Errorf("%v", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	d := open(t, Configuration{Metrics: reg})
	d.Append(hostAlert(1, "10.0.0.1", 0, 49, alerts.SeverityError, 1000))
	flush(t, d)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		got[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	if got["flowgate_alert_store_committed_total"] != 1 || got["flowgate_alert_store_appended_total"] != 1 ||
		len(got) != 11 {
		t.Errorf("%v", got)
	}
	// The commit kicked the checkpointer, which copies the WAL into the
	// file beside the writer.
	testwait.ForState(t, "a checkpoint", func() (any, bool) {
		c := d.Counters()
		return c, c.Checkpoints >= 1 && c.CheckpointErrors == 0
	})
}

// A failing disk (here: the writer's connection gone) costs the batch,
// counted, and the writer carries on.
func TestWriteFailureCounted(t *testing.T) {
	d := open(t, Configuration{})
	d.w.Close()
	for i := 1; i <= 3; i++ {
		d.Append(hostAlert(uint64(i), "10.0.0.1", 0, 49, alerts.SeverityError, 1000))
	}
	flush(t, d)
	if c := d.Counters(); c.WriteErrors == 0 || c.Dropped != 3 || c.Committed != 0 {
		t.Errorf("counters %+v", c)
	}
	if _, err := d.Acknowledge(context.Background(), ListQuery{Family: FamilyHost}, ""); err == nil {
		t.Error("acknowledge on a dead connection succeeded")
	}
}
