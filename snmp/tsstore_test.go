package snmp

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"flowgate/internal/testwait"
	"flowgate/store"
)

// fakeClock is a settable clock safe for the poller's goroutines.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) Now() time.Time { return time.Unix(c.t.Load(), 0) }
func (c *fakeClock) set(t int64)    { c.t.Store(t) }
func quiet() *slog.Logger           { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func recsOf(idx []uint32, t int64) []byte {
	var b []byte
	for _, i := range idx {
		b = appendRecord(b, i, Point{T: t, InBps: float32(i) * 1000, OutBps: float32(t % 1000), InErrors: i,
			OutErrors: 2, OperStatus: 1})
	}
	return b
}

// deadDevice is a device whose polls fail at once (closed local port): a
// poller started with it loads its series but adds none.
var deadDevice = DeviceConfig{Address: "127.0.0.1", Port: 1, Community: "public", Interval: 600}

// Points of a real agent survive a Stop/New/Start cycle, identical, and the
// series carries on after the restart.
func TestSeriesSurviveRestart(t *testing.T) {
	a := startAgent(t, "")
	dir := t.TempDir()
	cfg := Configuration{DataDir: dir, Interval: time.Hour, Timeout: time.Second, Logger: quiet()}
	p := New(cfg, Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: "public"})
	if err != nil {
		t.Fatal(err)
	}
	// AddDevice kicks the scheduler: wait for that poll, then add two.
	testwait.For(t, "first poll", func() bool { st, _ := p.Device(d.Key()); return st.Polls >= 1 })
	for range 2 {
		if err := p.PollNow(d.Key()); err != nil {
			t.Fatal(err)
		}
	}
	ifs, _ := p.Interfaces(d.Key())
	if len(ifs) == 0 {
		t.Fatal("no interfaces")
	}
	before := map[uint32][]Point{}
	for _, i := range ifs {
		pts, _ := p.Series(d.Key(), i.Index, time.Time{})
		if len(pts) < 3 {
			t.Fatalf("if %d: %d points", i.Index, len(pts))
		}
		before[i.Index] = pts
	}
	if c := p.Counters(); c.SeriesRecords < uint64(3*len(ifs)) || c.SeriesErrors != 0 {
		t.Fatalf("counters %+v", c)
	}
	p.Stop()

	q := New(cfg, Deps{})
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer q.Stop()
	for idx, want := range before {
		got, ok := q.Series(d.Key(), idx, time.Time{})
		// The restarted poller may already have polled once more.
		if !ok || len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
			t.Fatalf("if %d after restart:\n got %+v\nwant %+v", idx, got, want)
		}
	}
	if err := q.PollNow(d.Key()); err != nil {
		t.Fatal(err)
	}
	for idx, want := range before {
		if got, _ := q.Series(d.Key(), idx, time.Time{}); len(got) <= len(want) {
			t.Fatalf("if %d: series did not carry on: %d points", idx, len(got))
		}
	}
	if err := q.RemoveDevice(d.Key()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(q.ts.pathOf(d.Key())); !os.IsNotExist(err) {
		t.Fatalf("series file of a removed device: %v", err)
	}
}

// A torn tail (a partial record, or a record whose checksum fails) is
// truncated on open; the points before it load and appends carry on.
func TestSeriesTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(t *testing.T, path string)
		// points of interfaces 1 and 2 after reopening
		want1, want2 int
	}{
		{"partial record", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(store.AppendFrame(nil, recsOf([]uint32{1}, 1))[:19]); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, 3, 3},
		{"zeroed last record", func(t *testing.T, path string) {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt(make([]byte, seriesFrameLen), st.Size()-seriesFrameLen); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}, 3, 2}, // the last poll's records are ordered 1, 2: interface 2 loses its last point
		{"garbage file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("not a series file at all, really"), 0o640); err != nil {
				t.Fatal(err)
			}
		}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clk := &fakeClock{}
			t0 := int64(1_800_000_000)
			clk.set(t0)
			key := deadDevice.Key()
			st := newSeriesStore(dir, time.Hour, 1<<30, clk.Now, quiet())
			if err := st.start([]string{key}, nil); err != nil {
				t.Fatal(err)
			}
			for k := range 3 {
				st.append(key, recsOf([]uint32{1, 2}, t0+int64(k)*600))
			}
			st.close()
			tc.tear(t, st.pathOf(key))

			clk.set(t0 + 1800)
			cfg := Configuration{DataDir: dir, Interval: time.Hour, Timeout: 100 * time.Millisecond, Retries: -1,
				Devices: []DeviceConfig{deadDevice}, Now: clk.Now, Logger: quiet()}
			p := New(cfg, Deps{})
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			pts, _ := p.Series(key, 1, time.Time{})
			pts2, _ := p.Series(key, 2, time.Time{})
			if len(pts) != tc.want1 || len(pts2) != tc.want2 {
				t.Fatalf("loaded %d and %d points: %+v %+v", len(pts), len(pts2), pts, pts2)
			}
			if c := p.Counters(); c.SeriesRepairs != 1 {
				t.Fatalf("counters %+v", c)
			}
			fi, err := os.Stat(p.ts.pathOf(key))
			if err != nil || fi.Size()%seriesFrameLen != 0 {
				t.Fatalf("file not repaired: %v %v", fi.Size(), err)
			}
			p.ts.append(key, recsOf([]uint32{1, 2}, t0+1800))
			p.Stop()

			q := New(cfg, Deps{})
			if err := q.Start(); err != nil {
				t.Fatal(err)
			}
			defer q.Stop()
			if got, _ := q.Series(key, 2, time.Time{}); len(got) != tc.want2+1 || got[len(got)-1].T != t0+1800 {
				t.Fatalf("after append and reopen: %+v", got)
			}
			if c := q.Counters(); c.SeriesRepairs != 0 {
				t.Fatalf("second open repaired again: %+v", c)
			}
		})
	}
}

// Points older than the retention are dropped on load and compacted out of
// the file, whose size stays bounded by age and by SeriesMaxBytes.
func TestSeriesRetention(t *testing.T) {
	dir := t.TempDir()
	clk := &fakeClock{}
	t0 := int64(1_800_000_000)
	key := deadDevice.Key()
	st := newSeriesStore(dir, time.Hour, 1<<30, clk.Now, quiet())
	clk.set(t0)
	if err := st.start([]string{key}, nil); err != nil {
		t.Fatal(err)
	}
	ifaces := []uint32{1, 2, 3}
	maxRecs := int64(0)
	for k := range int64(25) { // every 10 min for 4 h
		clk.set(t0 + k*600)
		st.append(key, recsOf(ifaces, t0+k*600))
		fi, err := os.Stat(st.pathOf(key))
		if err != nil {
			t.Fatal(err)
		}
		maxRecs = max(maxRecs, fi.Size()/seriesFrameLen)
	}
	st.close()
	// 1.25 h of polls every 10 min, plus the one that triggers compaction.
	if st.compactions.Load() == 0 || maxRecs > int64(len(ifaces))*(75/10+2) {
		t.Fatalf("compactions %d, up to %d records in the file", st.compactions.Load(), maxRecs)
	}

	now := t0 + 24*600
	cfg := Configuration{DataDir: dir, Interval: time.Hour, Retention: time.Hour, Timeout: 100 * time.Millisecond,
		Retries: -1, Devices: []DeviceConfig{deadDevice}, Now: clk.Now, Logger: quiet()}
	p := New(cfg, Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	for _, idx := range ifaces {
		pts, _ := p.Series(key, idx, time.Time{})
		if len(pts) != 6 || pts[0].T != now-3000 || pts[5].T != now {
			t.Fatalf("if %d: %+v", idx, pts)
		}
	}
	p.Stop()

	// Size bound: a file never grows past SeriesMaxBytes; the newest points stay.
	small := newSeriesStore(t.TempDir(), 24*time.Hour, 20*seriesFrameLen, clk.Now, quiet())
	if err := small.start([]string{key}, nil); err != nil {
		t.Fatal(err)
	}
	for k := range int64(30) {
		small.append(key, recsOf(ifaces, now+k))
		if fi, _ := os.Stat(small.pathOf(key)); fi.Size() > small.maxBytes {
			t.Fatalf("file %d bytes > %d", fi.Size(), small.maxBytes)
		}
	}
	small.close()
	pts, err := readSeriesFile(small.pathOf(key), 0)
	if err != nil || pts[1][len(pts[1])-1].T != now+29 {
		t.Fatalf("newest point lost: %+v %v", pts[1], err)
	}
}

func readSeriesFile(path string, cutoff int64) (map[uint32][]Point, error) {
	pts := map[uint32][]Point{}
	var oldest int64
	_, err := store.ReadLog(path, seriesRecLen, replaySeries(cutoff, &oldest, func(idx uint32, p Point) { pts[idx] = append(pts[idx], p) }))
	return pts, err
}

// BenchmarkSeriesAppend1000 encodes and appends one poll of 1,000
// interfaces to a device's file, polled every 60 s (fake clock) with a day
// of retention: the compactions (every 6 h of polls once the file holds
// 30 h) are amortized in the figure; fsync is left to the 1 s flusher, as
// in production.
func BenchmarkSeriesAppend1000(b *testing.B) {
	clk := &fakeClock{}
	clk.set(1_800_000_000)
	st := newSeriesStore(b.TempDir(), 24*time.Hour, 256<<20, clk.Now, quiet())
	if err := st.start([]string{"dev"}, nil); err != nil {
		b.Fatal(err)
	}
	defer st.close()
	idx := make([]uint32, 1000)
	for i := range idx {
		idx[i] = uint32(i + 1)
	}
	buf := make([]byte, 0, len(idx)*seriesRecLen)
	b.SetBytes(int64(len(idx) * seriesRecLen))
	b.ReportAllocs()
	for k := int64(0); b.Loop(); k++ {
		now := 1_800_000_000 + k*60
		clk.set(now)
		buf = buf[:0]
		for _, i := range idx {
			buf = appendRecord(buf, i, Point{T: now, InBps: 1e6, OutBps: 2e6, OperStatus: 1})
		}
		st.append("dev", buf)
	}
}

// BenchmarkSeriesCompact rewrites the file of a 1,000-interface device
// polled every 60 s for 30 h down to the last 24 h: the stall one poll of
// that device sees every 6 h.
func BenchmarkSeriesCompact(b *testing.B) {
	st, base := fill30h(b)
	defer st.close()
	sf := st.files["dev"]
	b.SetBytes(sf.log.Size())
	b.ReportAllocs()
	for k := int64(0); b.Loop(); k++ {
		// Each round drops one more poll, so every round rewrites ≈24 h.
		if err := st.compactLocked(sf, base+6*3600+k*60); err != nil {
			b.Fatal(err)
		}
	}
}

// fill30h writes 30 h of 60 s polls of a 1,000-interface device "dev".
func fill30h(b *testing.B) (*seriesStore, int64) {
	clk := &fakeClock{}
	base := int64(1_800_000_000)
	st := newSeriesStore(b.TempDir(), 24*time.Hour, 256<<20, clk.Now, quiet())
	clk.set(base)
	if err := st.start([]string{"dev"}, nil); err != nil {
		b.Fatal(err)
	}
	idx := make([]uint32, 1000)
	for i := range idx {
		idx[i] = uint32(i + 1)
	}
	var buf []byte
	for k := range int64(30 * 60) {
		buf = buf[:0]
		for _, i := range idx {
			buf = appendRecord(buf, i, Point{T: base + k*60, InBps: 1e6, OutBps: 2e6, OperStatus: 1})
		}
		st.append("dev", buf)
	}
	clk.set(base + 30*3600 - 60)
	return st, base
}

// BenchmarkSeriesLoad opens that 30 h file as Start does: 24 h of 1,000
// series (1.44 M points) go into the rings.
func BenchmarkSeriesLoad(b *testing.B) {
	st, _ := fill30h(b)
	st.close()
	fi, err := os.Stat(st.pathOf("dev"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		rings := map[uint32]*series{}
		ld := newSeriesStore(filepath.Dir(st.dir), 24*time.Hour, 256<<20, st.now, quiet())
		err := ld.start([]string{"dev"}, func(_ string, idx uint32, p Point) {
			r := rings[idx]
			if r == nil {
				r = &series{pts: make([]Point, 0, 24*60)}
				rings[idx] = r
			}
			r.add(p, 24*60)
		})
		ld.close()
		if err != nil || len(rings) != 1000 || len(rings[1].pts) != 24*60 {
			b.Fatalf("%d series: %v", len(rings), err)
		}
	}
}

// Points loaded out of order (two concurrent polls of a device) are sorted,
// full ring or not.
func TestSeriesSortIfNeeded(t *testing.T) {
	for _, tc := range []struct {
		in       []int64
		capacity int
		want     []int64
	}{
		{[]int64{1, 3, 2}, 5, []int64{1, 2, 3}},
		{[]int64{1, 2, 4, 3, 5}, 3, []int64{3, 4, 5}},
		{[]int64{1, 2, 3, 4}, 3, []int64{2, 3, 4}},
	} {
		var s series
		for _, ts := range tc.in {
			s.add(Point{T: ts}, tc.capacity)
		}
		s.sortIfNeeded()
		s.add(Point{T: 10}, tc.capacity)
		var got []int64
		for _, p := range s.since(0) {
			got = append(got, p.T)
		}
		want := append(tc.want, 10)
		if len(want) > tc.capacity {
			want = want[len(want)-tc.capacity:]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v cap %d: got %v, want %v", tc.in, tc.capacity, got, want)
		}
	}
}

// TestSeriesConvertsV1: a ".ts" file of the previous release
// (testdata/series-v1, written by the series store of commit 0ca3b1e: five
// polls of interfaces 1-3 from t=1,700,000,000 every 60 s) is converted
// to the record log at start: every point loads, the old file is gone,
// and the series carries on.
func TestSeriesConvertsV1(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, SeriesDir), 0o750))
	old, err := os.ReadFile(filepath.Join("testdata", "series-v1", SeriesDir, "10.0.0.1.ts"))
	must(err)
	must(os.WriteFile(filepath.Join(dir, SeriesDir, "10.0.0.1.ts"), old, 0o640))
	clk := &fakeClock{}
	clk.set(1_700_000_000 + 600)
	load := func() map[uint32][]Point {
		st := newSeriesStore(dir, 24*time.Hour, 1<<30, clk.Now, quiet())
		got := map[uint32][]Point{}
		must(st.start([]string{"10.0.0.1"}, func(_ string, idx uint32, p Point) { got[idx] = append(got[idx], p) }))
		if len(got) == 3 && len(got[1]) == 5 {
			st.append("10.0.0.1", recsOf([]uint32{1, 2, 3}, 1_700_000_000+600))
		}
		st.close()
		if c := st.converted.Load(); c > 1 || st.repairs.Load() != 0 {
			t.Fatalf("converted %d, repairs %d", c, st.repairs.Load())
		}
		return got
	}
	got := load()
	for _, idx := range []uint32{1, 2, 3} {
		pts := got[idx]
		if len(pts) != 5 {
			t.Fatalf("if %d: %d points", idx, len(pts))
		}
		for k, p := range pts {
			want := Point{T: 1_700_000_000 + int64(k)*60, InBps: float32(idx) * 1000, OutBps: float32((1_700_000_000 + int64(k)*60) % 1000),
				InErrors: idx, OutErrors: 2, OperStatus: 1}
			if p != want {
				t.Fatalf("if %d point %d: %+v, want %+v", idx, k, p, want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, SeriesDir, "10.0.0.1.ts")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old file still there: %v", err)
	}
	if got := load(); len(got[3]) != 6 {
		t.Fatalf("after conversion and an append: %d points", len(got[3]))
	}
}
