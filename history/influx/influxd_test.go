package influx

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flowgate/history"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// influxd is a real InfluxDB 1.x (Debian's influxdb package): the one
// test peer of internal/testpeer, with the queries these tests make.
type influxd struct{ *testpeer.Influxd }

func newInfluxd(t *testing.T) influxd { return influxd{testpeer.StartInfluxd(t)} }

// query runs an InfluxQL statement and returns the first series' values.
func (d influxd) query(db, q string) ([][]any, error) {
	series, err := d.Query(db, q)
	if err != nil || len(series) == 0 {
		return nil, err
	}
	return series[0].Values, nil
}

// count is the number of points of measurement m.
func (d influxd) count(m, field string) int {
	vals, err := d.query("ntopng", fmt.Sprintf(`SELECT count(%q) FROM %q`, field, m))
	if err != nil || len(vals) == 0 {
		return 0
	}
	n, _ := vals[0][1].(float64)
	return int(n)
}

// TestInfluxd: samples appended to the time-series store reach a real
// influxd with ntopng's measurement, tag and field names; influxd is
// stopped mid-run: the points go to the spool, and after influxd restarts
// the spool drains and every point is there, none lost or doubled.
func TestInfluxd(t *testing.T) {
	d := newInfluxd(t)
	if _, err := d.query("", "CREATE DATABASE ntopng"); err != nil {
		t.Fatal(err)
	}
	spool := t.TempDir()
	e, err := New(fastConfig("http://"+d.Addr+"/ntopng", spool))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	st := history.New(history.Configuration{DataDir: t.TempDir()})
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	st.Subscribe(e.Write)

	const t0 = 1700000000
	appendHosts := func(from, to int) {
		for i := from; i < to; i++ {
			batch := []history.Sample{
				{Schema: history.HostTraffic, Tags: []string{"0", "10.0.0.1"}, Values: []float64{float64(1000 * i), float64(2000 * i)}, T: int64(t0 + 300*i)},
				{Schema: history.IfaceFlows, Tags: []string{"0"}, Values: []float64{float64(i)}, T: int64(t0 + 300*i)},
			}
			if err := st.Append(batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendHosts(0, 30)
	testwait.ForState(t, "30 host:traffic points in influxd", func() (any, bool) {
		n := d.count("host:traffic", "bytes_sent")
		return n, n == 30 && d.count("iface:flows", "num_flows") == 30
	})
	// ntopng's names: measurement host:traffic, tags ifid and host,
	// fields bytes_sent and bytes_rcvd; counters as the counter's value.
	vals, err := d.query("ntopng", `SELECT "bytes_rcvd" FROM "host:traffic" WHERE "ifid" = '0' AND "host" = '10.0.0.1' ORDER BY time DESC LIMIT 1`)
	if err != nil || len(vals) != 1 {
		t.Fatalf("query by tags: %v %v", vals, err)
	}
	if ts, v := vals[0][0], vals[0][1]; ts != time.Unix(t0+300*29, 0).UTC().Format(time.RFC3339) || v != float64(2000*29) {
		t.Fatalf("last point %v = %v", ts, v)
	}

	// influxd goes away: the points are spooled.
	d.Stop()
	appendHosts(30, 50)
	testwait.ForState(t, "40 points in the spool", func() (any, bool) { c := e.Counters(); return c, c.SpoolPoints == 40 })
	if fi, err := os.Stat(filepath.Join(spool, SpoolFile)); err != nil || fi.Size() == 0 {
		t.Fatalf("spool file: %v", err)
	}
	// It comes back: the spool drains, every point is there.
	d.Start()
	appendHosts(50, 60)
	testwait.ForState(t, "60 points of each schema in influxd", func() (any, bool) {
		n, m := d.count("host:traffic", "bytes_sent"), d.count("iface:flows", "num_flows")
		return fmt.Sprint(n, " ", m, " ", e.Counters()), n == 60 && m == 60
	})
	c := e.Counters()
	if c.Dropped != 0 || c.Rejected != 0 || c.SpoolPoints != 0 || c.Spooled < 40 || c.SendErrors == 0 {
		t.Fatalf("counters %+v", c)
	}
	vals, err = d.query("ntopng", `SELECT sum("num_flows") FROM "iface:flows"`)
	if err != nil || len(vals) != 1 || vals[0][1] != float64(59*60/2) {
		t.Fatalf("sum of the gauge: %v %v (a point lost or doubled)", vals, err)
	}
}
