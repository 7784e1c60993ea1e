package snmpseries

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flowgate/history"
	"flowgate/snmp"
)

// TestMoveAndServe: a data dir of the previous release (an SNMP series
// file of five polls of interfaces 1-3 from t=1,700,000,000 every 60 s,
// testdata/snmp_series) is moved into the time-series store at the
// poller's start, once; the file is gone; after a restart that no longer
// has the file the poller's Series (what the SNMP REST timeseries.lua
// answers) has every point; they are in ntopng's snmp_if:traffic as bytes
// per second.
func TestMoveAndServe(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, snmp.SeriesDir), 0o750); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join("testdata", "snmp_series", "10.0.0.1.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, snmp.SeriesDir, "10.0.0.1.ts"), old, 0o640); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000+600, 0)
	clock := func() time.Time { return now }
	hcfg := history.DefaultConfiguration()
	hcfg.DataDir, hcfg.Now = dir, clock
	st := history.New(hcfg)
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	newPoller := func() *snmp.Poller {
		p := snmp.New(snmp.Configuration{DataDir: dir, Interval: time.Hour, Timeout: 100 * time.Millisecond, Retries: -1,
			Devices: []snmp.DeviceConfig{{Address: "10.0.0.1", Version: "2c", Community: "public"}}, Now: clock, Logger: quiet},
			snmp.Deps{Series: New(st)})
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(p *snmp.Poller) {
		t.Helper()
		for _, idx := range []uint32{1, 2, 3} {
			pts, ok := p.Series("10.0.0.1", idx, time.Time{})
			if !ok || len(pts) != 5 {
				t.Fatalf("if %d: %d points (%v)", idx, len(pts), ok)
			}
			for k, pt := range pts {
				at := int64(1_700_000_000 + k*60)
				want := snmp.Point{T: at / 60 * 60, InBps: float32(idx) * 1000, OutBps: float32(at % 1000),
					InErrors: idx, OutErrors: 2, OperStatus: 1}
				if pt != want {
					t.Fatalf("if %d point %d: %+v, want %+v", idx, k, pt, want)
				}
			}
		}
	}
	p := newPoller()
	check(p)
	p.Stop()
	if _, err := os.Stat(filepath.Join(dir, snmp.SeriesDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("series dir still there after the move: %v", err)
	}
	// A restart loads the points from the store alone.
	p = newPoller()
	defer p.Stop()
	check(p)

	// ntopng's snmp_if:traffic: bytes per second (the poll's bit/s / 8).
	res, err := st.Query(context.Background(), history.Query{Schema: "snmp_if:traffic",
		Tags:  map[string]string{"ifid": SystemIfID, "device": "10.0.0.1", "if_index": "3"},
		Begin: 1_700_000_000 - 600, End: 1_700_000_000 + 600, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if mx := res.Series[1].Stats.Max; mx != 3000.0/8 {
		t.Errorf("snmp_if:traffic bytes_rcvd max %v, want %v", mx, 3000.0/8)
	}
}
