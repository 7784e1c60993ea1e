package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/cputime"
)

// BenchmarkInsert measures alerts stored per second through the batching
// writer: chunks of 10,000 appended, each acknowledged by Flush (so the
// figure is committed alerts, fsynced with FULL).
func BenchmarkInsert(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		for _, kind := range []string{"flow", "host"} {
			b.Run(kind+"/"+sync, func(b *testing.B) {
				d := open(b, Configuration{Synchronous: sync, QueueSize: 20_000})
				ctx := context.Background()
				b.ResetTimer()
				start, cpu0 := time.Now(), cputime.Process()
				for i := 1; i <= b.N; i++ {
					if kind == "flow" {
						d.Append(flowAlert(uint64(i), "10.0.0.1", "10.0.0.2", 7, 0, alerts.SeverityError, int64(i)))
					} else {
						d.Append(hostAlert(uint64(i), "10.0.0.1", 0, 49, alerts.SeverityError, int64(i)))
					}
					if i%10_000 == 0 {
						if err := d.Flush(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := d.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				el, cpu := time.Since(start), cputime.Process()-cpu0
				b.StopTimer()
				if c := d.Counters(); c.Dropped != 0 || c.Committed != uint64(b.N) {
					b.Fatalf("counters %+v", c)
				}
				b.ReportMetric(float64(b.N)/el.Seconds(), "alerts/s")
				// CPU time of the whole process per alert: on a shared
				// machine the wall-clock rate depends on the neighbours,
				// this does not.
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/alert")
			})
		}
	}
}

const benchRows = 1_000_000

// benchDB is a file of 1,000,000 flow alerts over ~11.5 days from 1,000
// clients to 100 servers, built once per run.
var benchDB *DB

func millionFlows(b *testing.B) *DB {
	if benchDB != nil {
		return benchDB
	}
	// FLOWGATE_ALERTS_BENCHDB keeps the file for the next run (building
	// it takes minutes on a loaded machine).
	path := os.Getenv("FLOWGATE_ALERTS_BENCHDB")
	kept := path != ""
	if !kept {
		path = filepath.Join(b.TempDir(), "alerts.db")
	}
	d := New(Configuration{Path: path, Synchronous: "NORMAL", QueueSize: 50_000})
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if kept && d.MaxID() == benchRows {
		benchDB = d
		return d
	}
	if d.MaxID() != 0 {
		b.Fatalf("%s holds %d alerts, not the %d of a finished build: remove it", path, d.MaxID(), benchRows)
	}
	for i := 1; i <= benchRows; i++ {
		a := flowAlert(uint64(i), fmt.Sprintf("10.0.%d.%d", i%1000/250, i%250), fmt.Sprintf("192.168.0.%d", i%100),
			i%200, 0, alerts.Severity(3+i%4), int64(1_700_000_000+i))
		d.Append(a)
		if i%20_000 == 0 {
			if err := d.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := d.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	// What the writer does every minute: the planner's statistics.
	if err := d.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	benchDB = d
	return d
}

// BenchmarkList1M pages a filtered list of a table of 1,000,000 flow
// alerts and reports the median latency (p50-ms).
func BenchmarkList1M(b *testing.B) {
	d := millionFlows(b)
	mk := func(field, v string) []Filter { f, _ := ParseFilters(field, v); return f }
	for _, c := range []struct {
		name string
		q    ListQuery
		none bool // the filter matches no alert
	}{
		{"cli_ip+day", ListQuery{Filters: mk("cli_ip", "10.0.1.7;eq"), EpochBegin: 1_700_100_000, EpochEnd: 1_700_186_400}, false},
		{"ip", ListQuery{Filters: mk("ip", "192.168.0.42;eq")}, false},
		{"severity+hour", ListQuery{Filters: mk("severity", "5;gte"), EpochBegin: 1_700_500_000, EpochEnd: 1_700_503_600}, false},
		{"alert_id+l7proto", ListQuery{Filters: append(mk("alert_id", "62;eq"), mk("l7proto", "7;eq")...)}, false},
		{"severity-all", ListQuery{Filters: mk("severity", "6;eq")}, false},
		{"severity-gte-all", ListQuery{Filters: mk("severity", "3;gte")}, false}, // every row
		{"unfiltered", ListQuery{}, false},
		// Ports have no index: a port every alert has, and one none has
		// (the count then reads every row of the interface).
		{"srv_port-all", ListQuery{Filters: mk("srv_port", "443;eq")}, false},
		{"cli_port-none", ListQuery{Filters: mk("cli_port", "8080;eq")}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			q := c.q
			// As the REST asks: one interface (the REST always has an
			// ifid), historical, the third page of 10, newest first.
			ifid := 1
			q.IfID, q.Family, q.Status, q.Start, q.Length, q.Desc = &ifid, FamilyFlow, StatusHistorical, 20, 10, true
			lat := make([]time.Duration, 0, b.N)
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				p, err := d.ListPage(context.Background(), q, nil)
				lat = append(lat, time.Since(t0))
				if err != nil || c.none != (p.Total == 0) || !c.none && len(p.Rows) != 10 {
					b.Fatalf("%d %d %v", p.Total, len(p.Rows), err)
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkSustained is the end-to-end write figure (bench/alerts.sh):
// flow alerts raised through alerts.Store.StoreEvent, as flow scripts
// raise them, into the SQLite history (synchronous NORMAL, the default,
// or FLOWGATE_ALERTS_SYNC), for FLOWGATE_ALERTS_SECONDS (default 10). The alerts vary as real ones do
// (1,000 clients, 100 servers, 200 applications, a 150-byte JSON), so
// that every index takes inserts all over its tree. Run with
// -benchtime 1x.
//
// FLOWGATE_ALERTS_RATE=0 (default) is a closed loop: chunks of 10,000
// raised, each acknowledged by Flush before the next, and alerts/s is
// what was acknowledged. A rate R paces the producer at R alerts/s
// (every millisecond, R/1000) and the run fails if the queue dropped
// any: the rate was sustained. min-1s is the slowest second.
func BenchmarkSustained(b *testing.B) {
	secs, rate := envInt(b, "FLOWGATE_ALERTS_SECONDS", 10), envInt(b, "FLOWGATE_ALERTS_RATE", 0)
	d := open(b, Configuration{Synchronous: benchSync(b)})
	st := alerts.NewStore(alerts.Config{History: d.History()})
	ctx := context.Background()
	i := 0
	raise := func(n int) {
		for k := 0; k < n; k++ {
			i++
			st.StoreEvent(variedFlow(i, time.Now().Unix()))
		}
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Process()
	end := start.Add(time.Duration(secs) * time.Second)
	var perSec []uint64
	last, lastT := uint64(0), start
	sample := func(now time.Time) {
		if now.Sub(lastT) >= time.Second {
			c := d.Counters().Committed
			perSec = append(perSec, uint64(float64(c-last)/now.Sub(lastT).Seconds()))
			last, lastT = c, now
		}
	}
	if rate == 0 {
		for time.Now().Before(end) {
			raise(10_000)
			if err := d.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			sample(time.Now())
		}
	} else {
		tick := time.NewTicker(time.Millisecond)
		sent, per := 0, rate/1000
		for now := range tick.C {
			if now.After(end) {
				break
			}
			// Catch up on ticks the scheduler skipped, so the rate holds.
			due := int(float64(rate)*now.Sub(start).Seconds()) - sent
			if due < per {
				due = per
			}
			raise(due)
			sent += due
			sample(now)
		}
		tick.Stop()
		if err := d.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	el, cpu := time.Since(start), cputime.Process()-cpu0
	b.StopTimer()
	c := d.Counters()
	if c.Dropped != 0 || c.Committed != uint64(i) {
		b.Fatalf("raised %d, counters %+v: the rate was not sustained", i, c)
	}
	minSec := uint64(0)
	for k, v := range perSec {
		if k == 0 || v < minSec {
			minSec = v
		}
	}
	b.ReportMetric(float64(c.Committed)/el.Seconds(), "alerts/s")
	b.ReportMetric(float64(minSec), "min-1s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(c.Committed), "cpu-us/alert")
	b.ReportMetric(float64(c.Committed), "stored")
}

// benchSync is FLOWGATE_ALERTS_SYNC: the synchronous pragma of the write
// benchmarks (default: the store's, NORMAL).
func benchSync(b *testing.B) string {
	s := os.Getenv("FLOWGATE_ALERTS_SYNC")
	if err := (Configuration{DataDir: "x", Synchronous: s}).Validate(); err != nil {
		b.Fatal(err)
	}
	return s
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a count", name, s)
	}
	return n
}

// variedFlow is the i-th flow alert of the write benchmarks: 1,000
// clients, 100 servers, 200 applications, 4 severities, client ports
// spread over the ephemeral range as real ones are (not in sequence, so
// that an index on them takes inserts all over its tree), a 150-byte JSON.
func variedFlow(i int, ts int64) alerts.Alert {
	a := flowAlert(0, fmt.Sprintf("10.0.%d.%d", i%1000/250, i%250), fmt.Sprintf("192.168.0.%d", i%100),
		i%200, 0, alerts.Severity(3+i%4), ts)
	a.JSON = benchJSON
	a.Flow.Cli.Port = 1024 + int(uint32(i)*2654435761%64511)
	return a
}

const benchJSON = `{"alert_generation":{"script_key":"flow_risk","subdir":"flow"},"flow_risk_info":"{\"1\":\"TLS certificate expired\"}","proto":6,"ntopng.key":1234567}`

// BenchmarkWriterCPU appends FLOWGATE_ALERTS_COUNT (default 300,000)
// prebuilt varied flow alerts straight to the DB, in chunks of 20,000
// each acknowledged by Flush, and reports the process's CPU per stored
// alert: the writer's cost, free of the producer's, to compare writer
// changes on a shared machine (the wall-clock rate is reported too).
//
// indexes=ntopng is the store as it runs. indexes=none first drops every
// index of flow_alerts: what a row costs SQLite (modernc.org/sqlite)
// without them, the floor under any index choice (docs/alert-store.md,
// "Write rate").
func BenchmarkWriterCPU(b *testing.B) {
	for _, drop := range []bool{false, true} {
		name := "indexes=ntopng"
		if drop {
			name = "indexes=none"
		}
		b.Run(name, func(b *testing.B) { writerCPU(b, drop) })
	}
}

func writerCPU(b *testing.B, dropIndexes bool) {
	n := envInt(b, "FLOWGATE_ALERTS_COUNT", 300_000)
	as := make([]alerts.Alert, n)
	for i := range as {
		as[i] = variedFlow(i, 1_700_000_000+int64(i)/50_000)
		as[i].ID = uint64(i + 1)
	}
	d := open(b, Configuration{Synchronous: benchSync(b)})
	ctx := context.Background()
	if dropIndexes {
		err := d.do(ctx, func(tx *sql.Tx) error {
			var drops sql.NullString // one DROP INDEX statement per index
			err := tx.QueryRow(`SELECT group_concat('DROP INDEX "' || name || '"', ';') FROM sqlite_master
				WHERE type = 'index' AND tbl_name = 'flow_alerts'`).Scan(&drops)
			if err != nil || !drops.Valid {
				return fmt.Errorf("flow_alerts indexes %q: %v", drops.String, err)
			}
			_, err = tx.Exec(drops.String)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start, cpu0, w0 := time.Now(), cputime.Process(), bytesWritten(b)
	for i := range as {
		d.Append(as[i])
		if (i+1)%20_000 == 0 {
			if err := d.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := d.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	el, cpu, w := time.Since(start), cputime.Process()-cpu0, bytesWritten(b)-w0
	b.StopTimer()
	if c := d.Counters(); c.Dropped != 0 || c.Committed != uint64(n) {
		b.Fatalf("counters %+v", c)
	}
	b.ReportMetric(float64(n)/el.Seconds(), "alerts/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-us/alert")
	// Bytes written (WAL frames and checkpoints) per alert: unlike the
	// two above, the neighbours cannot change it.
	b.ReportMetric(float64(w)/float64(n), "bytes/alert")
}

// bytesWritten is the process's write(2) byte count (wchar of
// /proc/self/io).
func bytesWritten(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("/proc/self/io: no wchar")
	return 0
}
