package rrd

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// approx compares with NaN equal to NaN.
func approx(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func column(t *testing.T, f *Fetched, ds int) []float64 {
	t.Helper()
	out := make([]float64, len(f.Rows))
	for i, r := range f.Rows {
		out[i] = r[ds]
	}
	return out
}

func checkSeries(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d: %v", what, len(got), len(want), got)
	}
	for i := range want {
		if !approx(got[i], want[i]) {
			t.Errorf("%s row %d: %v, want %v (all: %v)", what, i, got[i], want[i], got)
		}
	}
}

func update(t *testing.T, r *RRD, arg string) {
	t.Helper()
	ts, vals, err := ParseUpdate(arg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Update(ts, vals); err != nil {
		t.Fatalf("update %s: %v", arg, err)
	}
}

var nan = math.NaN()

// rrdtool's tutorial (rrdtutorial): a COUNTER of speed with a 300 s step,
// 15 updates; its fetch output, computed by hand here: the rate of each
// 300 s interval is the counter's difference over 300.
func TestTutorialCounter(t *testing.T) {
	r, err := Create(300, 920804400, []string{"DS:speed:COUNTER:600:U:U",
		"RRA:AVERAGE:0.5:1:24", "RRA:AVERAGE:0.5:6:10", "RRA:MAX:0.5:6:10", "RRA:MIN:0.5:6:10", "RRA:LAST:0.5:6:10"})
	if err != nil {
		t.Fatal(err)
	}
	vals := []int{12345, 12357, 12363, 12363, 12363, 12373, 12383, 12393, 12399, 12405, 12411, 12415, 12420, 12422, 12423}
	for i, v := range vals {
		update(t, r, strconv.Itoa(920804700+300*i)+":"+strconv.Itoa(v))
	}
	f, err := r.Fetch(Average, 920804400, 920809200, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Start != 920804400 || f.End != 920809200 || f.Step != 300 || len(f.Names) != 1 || f.Names[0] != "speed" {
		t.Fatalf("fetch header %d %d %d %v", f.Start, f.End, f.Step, f.Names)
	}
	want := []float64{nan, 12.0 / 300, 6.0 / 300, 0, 0, 10.0 / 300, 10.0 / 300, 10.0 / 300, 6.0 / 300, 6.0 / 300, 6.0 / 300, 4.0 / 300, 5.0 / 300, 2.0 / 300, 1.0 / 300, nan}
	checkSeries(t, "AVERAGE 300 s", column(t, f, 0), want)

	// The 1800 s archives: rows end at 920806200 (PDPs 920804700..920806200,
	// one unknown of six, within xff 0.5) and 920808000.
	row1 := []float64{12.0 / 300, 6.0 / 300, 0, 0, 10.0 / 300}
	row2 := []float64{10.0 / 300, 10.0 / 300, 6.0 / 300, 6.0 / 300, 6.0 / 300, 4.0 / 300}
	sum := func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	}
	for _, c := range []struct {
		cf         string
		one, other float64
	}{
		{Average, sum(row1) / 5, sum(row2) / 6},
		{Max, 12.0 / 300, 10.0 / 300},
		{Min, 0, 4.0 / 300},
		{Last, 10.0 / 300, 4.0 / 300},
	} {
		f, err := r.Fetch(c.cf, 920804400, 920808000, 1800)
		if err != nil {
			t.Fatal(err)
		}
		if f.Step != 1800 {
			t.Fatalf("%s: step %d, want 1800", c.cf, f.Step)
		}
		checkSeries(t, c.cf+" 1800 s", column(t, f, 0), []float64{c.one, c.other})
	}
}

// The four types over the same steps: GAUGE stores the value, ABSOLUTE the
// value over the interval, DERIVE the signed difference's rate, COUNTER the
// difference with a wrap at 2^32 (and 2^64).
func TestTypes(t *testing.T) {
	r, err := Create(10, 1000, []string{"DS:g:GAUGE:20:U:U", "DS:a:ABSOLUTE:20:U:U", "DS:d:DERIVE:20:U:U",
		"DS:c:COUNTER:20:U:U", "DS:c64:COUNTER:20:U:U", "RRA:AVERAGE:0:1:10"})
	if err != nil {
		t.Fatal(err)
	}
	update(t, r, "1010:5:100:1000:4294967200:18446744073709551000")
	update(t, r, "1020:7:100:900:100:100") // d -10/s; c wraps 2^32: 196 → 19.6/s
	update(t, r, "1030:U:50:1000:200:200") // g unknown
	f, err := r.Fetch(Average, 1000, 1030, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "GAUGE", column(t, f, 0), []float64{5, 7, nan})
	checkSeries(t, "ABSOLUTE", column(t, f, 1), []float64{10, 10, 5})
	checkSeries(t, "DERIVE", column(t, f, 2), []float64{nan, -10, 10})
	checkSeries(t, "COUNTER 32", column(t, f, 3), []float64{nan, 19.6, 10})
	// 100 - 18446744073709551000 + 2^32 is still negative: + 2^64 - 2^32
	// (float64 arithmetic as rrdtool's, so compare with the same sum).
	w := 100 - 18446744073709551000.0
	w += 4294967296
	w += 18446744069414584320
	checkSeries(t, "COUNTER 64", column(t, f, 4), []float64{nan, w / 10, 10})
}

// Values between steps are averaged over the seconds they cover; a gap
// longer than the heartbeat, or more than half a step unknown, is unknown;
// min/max bounds turn an out-of-range rate unknown.
func TestHeartbeatAndBounds(t *testing.T) {
	r, err := Create(60, 6000, []string{"DS:x:GAUGE:120:0:100", "RRA:AVERAGE:0.5:1:100"})
	if err != nil {
		t.Fatal(err)
	}
	update(t, r, "6030:10") // (6000, 6030] at 10
	update(t, r, "6060:20") // (6030, 6060] at 20: PDP 6060 = 15
	update(t, r, "6120:30") // PDP 6120 = 30
	update(t, r, "6420:40") // gap 300 s > heartbeat 120: PDPs 6180..6420 unknown
	update(t, r, "6480:50")
	update(t, r, "6540:60")
	update(t, r, "6570:500") // above max 100: unknown for 30 s
	update(t, r, "6600:70")  // PDP 6600: half the step unknown (not more): 70
	update(t, r, "6640:500") // 40 s unknown
	update(t, r, "6660:80")  // PDP 6660: more than half unknown
	f, err := r.Fetch(Average, 6000, 6660, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "heartbeat", column(t, f, 0), []float64{15, 30, nan, nan, nan, nan, nan, 50, 60, 70, nan})
	if r.LastUpdate != 6660 || r.DS[0].LastDS != "80" {
		t.Fatalf("last update %d %q", r.LastUpdate, r.DS[0].LastDS)
	}
}

// A gap longer than an archive keeps only the newest rows, and old rows
// are NaN when outside the archive's window.
func TestLongGapAndWindow(t *testing.T) {
	r, err := Create(1, 100, []string{"DS:x:GAUGE:1000000:U:U", "RRA:AVERAGE:0:1:5", "RRA:MAX:0:2:3"})
	if err != nil {
		t.Fatal(err)
	}
	update(t, r, "101:1")
	update(t, r, "102:2")
	update(t, r, "100102:3") // heartbeat holds: every PDP of the gap is 3
	f, err := r.Fetch(Average, 100090, 100102, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "window", column(t, f, 0), []float64{nan, nan, nan, nan, nan, nan, nan, 3, 3, 3, 3, 3})
	f, err = r.Fetch(Average, 100, 102, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "overwritten", column(t, f, 0), []float64{nan, nan})
	f, err = r.Fetch(Max, 100096, 100102, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "max 2 s", column(t, f, 0), []float64{3, 3, 3})
}

func TestTune(t *testing.T) {
	r, err := Create(10, 0, []string{"DS:x:GAUGE:10:U:U", "RRA:LAST:0:1:10"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Tune([]string{"--heartbeat", "x:100", "-a", "x:50", "-r", "x:y", "-d", "y:DERIVE"}); err != nil {
		t.Fatal(err)
	}
	d := r.DS[0]
	if d.Name != "y" || d.Heartbeat != 100 || d.Max != 50 || d.Type != Derive {
		t.Fatalf("tuned %+v", d)
	}
	for _, bad := range [][]string{{"-h", "nope:10"}, {"-h", "y:0"}, {"-z", "y:1"}, {"-h"}, {"-d", "y:FOO"}, {"-r", "y:bad name"}, {"-h", "y:20", "-h", "zz:1"}} {
		if err := r.Tune(bad); !errors.Is(err, ErrBadArg) {
			t.Errorf("tune %v: %v", bad, err)
		}
	}
	if r.DS[0].Heartbeat != 100 {
		t.Fatalf("a failed tune changed the heartbeat to %d", r.DS[0].Heartbeat)
	}
}

func TestBadArgs(t *testing.T) {
	for _, specs := range [][]string{
		{}, {"DS:x:GAUGE:10:U:U"}, {"RRA:AVERAGE:0.5:1:10"},
		{"DS:x:GAUGE:10:U", "RRA:AVERAGE:0.5:1:10"},
		{"DS:x:FOO:10:U:U", "RRA:AVERAGE:0.5:1:10"},
		{"DS:x:GAUGE:0:U:U", "RRA:AVERAGE:0.5:1:10"},
		{"DS:x:GAUGE:10:5:1", "RRA:AVERAGE:0.5:1:10"},
		{"DS:x:GAUGE:10:U:U", "DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:10"},
		{"DS:a_very_long_name_of_more_than_19:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:10"},
		{"DS:x:GAUGE:10:U:U", "RRA:MEDIAN:0.5:1:10"},
		{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:1.5:1:10"},
		{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:0:10"},
		{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:999999999"},
		{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:3000000", "RRA:AVERAGE:0.5:1:3000000"},
		{"XX:x"},
	} {
		if _, err := Create(10, 0, specs); !errors.Is(err, ErrBadArg) {
			t.Errorf("create %v: %v", specs, err)
		}
	}
	if _, err := Create(0, 0, []string{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:10"}); !errors.Is(err, ErrBadArg) {
		t.Errorf("step 0: %v", err)
	}
	r, _ := Create(10, 100, []string{"DS:x:GAUGE:10:U:U", "DS:y:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:10"})
	for _, u := range []string{"", "110", "abc:1:2", "110:1:zz", "110:1:NaN", "110:1:Inf", "-5:1:2"} {
		if ts, v, err := ParseUpdate(u, 0); err == nil {
			if err := r.Update(ts, v); err == nil {
				t.Errorf("update %q accepted", u)
			}
		}
	}
	if err := r.Update(110, []string{"1"}); !errors.Is(err, ErrBadArg) {
		t.Errorf("one value for two: %v", err)
	}
	if err := r.Update(100, []string{"1", "2"}); !errors.Is(err, ErrBadArg) {
		t.Errorf("update at the last update time: %v", err)
	}
	for _, c := range []struct {
		cf         string
		start, end int64
	}{{"MEDIAN", 0, 10}, {Max, 0, 10}, {Average, 10, 10}, {Average, 20, 10}} {
		if _, err := r.Fetch(c.cf, c.start, c.end, 0); !errors.Is(err, ErrBadArg) {
			t.Errorf("fetch %v: %v", c, err)
		}
	}
}

func TestStoreFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(920809000, 0)
	s := New(Configuration{Dir: dir, Now: func() time.Time { return now }})
	path := filepath.Join(dir, "0", "rrd", "speed.rrd")
	if err := s.Create(path, 300, 920804400, []string{"DS:speed:COUNTER:600:U:U", "RRA:AVERAGE:0.5:1:24"}); err != nil {
		t.Fatal(err)
	}
	vals := []int{12345, 12357, 12363, 12363, 12363, 12373, 12383, 12393, 12399, 12405, 12411, 12415, 12420, 12422, 12423}
	// Through the file, with a compaction every 64 updates: the result is
	// the same as in memory (the tutorial's, repeated).
	for rep := 0; rep < 6; rep++ {
		for i, v := range vals {
			ts := 920804700 + 300*(i+rep*len(vals))
			if err := s.Update(path, strconv.Itoa(ts)+":"+strconv.Itoa(v+rep*100)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r, err := s.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Create(300, 920804400, []string{"DS:speed:COUNTER:600:U:U", "RRA:AVERAGE:0.5:1:24"})
	for rep := 0; rep < 6; rep++ {
		for i, v := range vals {
			update(t, want, strconv.Itoa(920804700+300*(i+rep*len(vals)))+":"+strconv.Itoa(v+rep*100))
		}
	}
	if r.LastUpdate != want.LastUpdate {
		t.Fatalf("last update %d, want %d", r.LastUpdate, want.LastUpdate)
	}
	checkSeries(t, "file", r.RRA[0].Data, want.RRA[0].Data)
	if _, err := s.Fetch(path, Average, want.LastUpdate-3000, want.LastUpdate, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Tune(path, []string{"-h", "speed:900"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Load(path); r.DS[0].Heartbeat != 900 {
		t.Fatalf("tune not stored: %d", r.DS[0].Heartbeat)
	}
	// N is the store's clock.
	if err := s.Update(path, "N:1"); err == nil {
		t.Fatal("N before the last update accepted")
	}

	// Paths are confined to the directory.
	for _, p := range []string{"../x.rrd", "/etc/x.rrd", dir + "/../x.rrd", "a/../../x.rrd", "", dir} {
		if err := s.Create(p, 10, 0, []string{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:10"}); !errors.Is(err, ErrPath) {
			t.Errorf("create %q: %v", p, err)
		}
	}
	if err := s.Create("rel/x.rrd", 10, -1, []string{"DS:x:GAUGE:10:U:U", "RRA:AVERAGE:0.5:1:10"}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Load(filepath.Join(dir, "rel/x.rrd")); err != nil || r.LastUpdate != now.Unix()-86400 {
		t.Fatalf("relative create: %v %v", r, err)
	}
	if _, err := s.Fetch("missing.rrd", Average, 0, 10, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.rrd"), []byte("not an rrd at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("junk.rrd"); err == nil {
		t.Fatal("junk file loaded")
	}

	// deleteOldRRDs: by last modification.
	old := time.Unix(now.Unix()-40*86400, 0)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteOld(dir, 30*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d: %v", n, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("old RRD still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rel/x.rrd")); err != nil {
		t.Fatalf("recent RRD removed: %v", err)
	}
	if _, err := s.DeleteOld("../..", time.Hour); !errors.Is(err, ErrPath) {
		t.Fatalf("delete outside: %v", err)
	}
	if c := s.Counters(); c.Deleted != 1 || c.Errors == 0 || c.Creates != 2 {
		t.Fatalf("counters %+v", c)
	}
}

// A crash mid-update leaves a torn record: the file reopens with every
// update before it, and updates carry on.
func TestTornUpdate(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	s := New(Configuration{Dir: dir, Metrics: reg})
	if err := s.Create("x.rrd", 10, 1000, []string{"DS:x:GAUGE:20:U:U", "RRA:LAST:0:1:10"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"1010:1", "1020:2", "1030:3"} {
		if err := s.Update("x.rrd", u); err != nil {
			t.Fatal(err)
		}
	}
	s.Close() // the process dies: the file is what is left
	f, err := os.OpenFile(filepath.Join(dir, "x.rrd"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{9, 0, 0, 0, 1, 2, 3, 4, 'U', '1'}) // a frame cut short
	f.Close()
	r, err := s.Load("x.rrd")
	if err != nil || r.LastUpdate != 1030 {
		t.Fatalf("after a torn update: %v %v", r, err)
	}
	if err := s.Update("x.rrd", "1040:4"); err != nil {
		t.Fatal(err)
	}
	fe, err := s.Fetch("x.rrd", Last, 1000, 1040, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "after repair", column(t, fe, 0), []float64{1, 2, 3, 4})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetMetric()[0].GetCounter().GetValue()
	}
	if got["flowgate_rrd_updates_total"] != 4 || got["flowgate_rrd_creates_total"] != 1 || got["flowgate_rrd_fetches_total"] != 1 {
		t.Fatalf("metrics %v", got)
	}
}

// More RRDs than stay open: the least recently used are closed and
// reopened from their files when used again.
func TestManyFiles(t *testing.T) {
	s := New(Configuration{Dir: t.TempDir()})
	defer s.Close()
	const n = maxOpen + 40
	for i := range n {
		p := "many/" + strconv.Itoa(i) + ".rrd"
		if err := s.Create(p, 10, 1000, []string{"DS:x:GAUGE:20:U:U", "RRA:LAST:0:1:10"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"1010:" + strconv.Itoa(i), "1020:" + strconv.Itoa(i+1)} {
			if err := s.Update(p, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.mu.Lock()
	open := len(s.open)
	s.mu.Unlock()
	if open > maxOpen {
		t.Fatalf("%d files open, bound %d", open, maxOpen)
	}
	for i := range n {
		f, err := s.Fetch("many/"+strconv.Itoa(i)+".rrd", Last, 1000, 1020, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkSeries(t, "file "+strconv.Itoa(i), column(t, f, 0), []float64{float64(i), float64(i + 1)})
	}
}
