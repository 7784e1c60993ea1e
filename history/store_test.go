package history

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newStore(t *testing.T, c *clock) *Store {
	t.Helper()
	cfg := DefaultConfiguration()
	cfg.Path = filepath.Join(t.TempDir(), FileName)
	cfg.Now = c.now
	cfg.MaintainEvery = time.Hour // the test runs Maintain itself
	s := New(cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

const t0 = int64(1_700_000_100) // a multiple of 300 minus 0: 1_700_000_100 % 300 == 100

func query(t *testing.T, s *Store, q Query) *Result {
	t.Helper()
	r, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("query %+v: %v", q, err)
	}
	return r
}

// TestDerive checks the DERIVE arithmetic: rates between consecutive
// counter samples, nothing for the first sample, a gap for a reset and
// for a gap longer than the heartbeat, and a late tick filling the steps
// it spans with its rate.
func TestDerive(t *testing.T) {
	c := &clock{time.Unix(t0+1000, 0)}
	s := newStore(t, c)
	ifid := []string{"0"}
	app := func(ts int64, sent, rcvd float64) {
		t.Helper()
		if err := s.Append([]Sample{{Schema: IfaceTrafficRxTx, Tags: ifid, Values: []float64{sent, rcvd}, T: ts}}); err != nil {
			t.Fatal(err)
		}
	}
	app(t0, 1000, 5000)      // first: no point
	app(t0+1, 1100, 5000)    // 100 B/s, 0 B/s
	app(t0+2, 1300, 5100)    // 200, 100
	app(t0+4, 1700, 5100)    // a missed tick: 200 B/s at t0+3 and t0+4
	app(t0+5, 10, 5200)      // sent reset: gap; rcvd 100
	app(t0+6, 60, 5300)      // 50, 100
	app(t0+90, 99999, 99999) // 84 s > heartbeat (60 s): no point
	app(t0+91, 100099, 100099)
	want := map[int64][2]float64{
		t0 + 1: {100, 0}, t0 + 2: {200, 100}, t0 + 3: {200, 0}, t0 + 4: {200, 0},
		t0 + 5: {math.NaN(), 100}, t0 + 6: {50, 100}, t0 + 91: {100, 100},
	}
	r := query(t, s, Query{Schema: "iface:traffic_rxtx", Tags: map[string]string{"ifid": "0"}, Begin: t0, End: t0 + 92, Limit: 92})
	if r.Step != 1 || r.Points != 92 || len(r.Series) != 2 || r.Series[0].ID != "bytes_sent" || r.Series[1].ID != "bytes_rcvd" {
		t.Fatalf("shape: step %d points %d series %d", r.Step, r.Points, len(r.Series))
	}
	for i := range r.Points {
		ts := t0 + int64(i) + 1 // point i covers (t0+i, t0+i+1]: the sample stamped t0+i+1
		w, ok := want[ts]
		for m := range 2 {
			got := r.Series[m].Data[i]
			exp := math.NaN()
			if ok {
				exp = w[m]
			}
			if ts == t0+3 && m == 1 {
				exp = 0 // rcvd did not move over t0+2..t0+4
			}
			if !(math.IsNaN(exp) && math.IsNaN(got)) && got != exp {
				t.Errorf("t0+%d %s = %v, want %v", ts-t0, r.Series[m].ID, got, exp)
			}
		}
	}
	// Totals: the bytes between samples that gave rates.
	if tot := r.Series[0].Stats.Total; tot != 100+200+400+50+100 {
		t.Errorf("sent total %v, want 850", tot)
	}
	cn := s.Counters()
	if cn.Resets != 1 || cn.Samples != 8 {
		t.Errorf("counters %+v", cn)
	}
	// A sample not after the previous one is counted, not stored.
	app(t0+91, 1, 1)
	if s.Counters().Late != 1 {
		t.Errorf("late sample not counted: %+v", s.Counters())
	}
}

// TestConsolidation: a limit folds the points into averaged buckets whose
// integral is the same; max and min pick the extremes; stats follow.
func TestConsolidation(t *testing.T) {
	c := &clock{time.Unix(t0+4000, 0)}
	s := newStore(t, c)
	var batch []Sample
	counter := 0.0
	for i := int64(0); i <= 3600; i++ {
		batch = append(batch, Sample{Schema: IfaceTraffic, Tags: []string{"1"}, Values: []float64{counter}, T: t0 + i})
		counter += float64(i%10) * 10 // rates 0,10,...,90 repeating
	}
	if err := s.Append(batch); err != nil {
		t.Fatal(err)
	}
	q := Query{Schema: "iface:traffic", Tags: map[string]string{"ifid": "1"}, Begin: t0, End: t0 + 3600, Limit: 180}
	avg := query(t, s, q)
	if avg.Points != 180 || avg.Step != 20 || len(avg.Series[0].Data) != 180 {
		t.Fatalf("points %d step %d", avg.Points, avg.Step)
	}
	if avg.Series[0].Stats.Total != 162000 { // 360 cycles of 0+10+...+90
		t.Errorf("total %v", avg.Series[0].Stats.Total)
	}
	// Every 20 s bucket holds two full 0..90 cycles: average 45.
	for i, v := range avg.Series[0].Data {
		if v != 45 {
			t.Fatalf("bucket %d = %v, want 45", i, v)
		}
	}
	q.Aggregation = "max"
	if mx := query(t, s, q); mx.Series[0].Data[3] != 90 || mx.Series[0].Stats.Max != 90 {
		t.Errorf("max bucket %v stats %+v", mx.Series[0].Data[3], mx.Series[0].Stats)
	}
	q.Aggregation = "min"
	if mn := query(t, s, q); mn.Series[0].Data[3] != 0 {
		t.Errorf("min bucket %v", mn.Series[0].Data[3])
	}
	// Without consolidation: p95 of 0..90 is 90, min 0, average 45.
	q.Aggregation, q.Limit = "", 3600
	st := query(t, s, q).Series[0].Stats
	if st.Min != 0 || st.Max != 90 || st.Average != 45 || st.P95 != 90 || st.Total != 162000 {
		t.Errorf("raw stats %+v", st)
	}
}

func TestBadQueries(t *testing.T) {
	c := &clock{time.Unix(t0, 0)}
	s := newStore(t, c)
	ok := Query{Schema: "iface:traffic", Tags: map[string]string{"ifid": "0"}, Begin: t0 - 3600, End: t0}
	if _, err := s.Query(context.Background(), ok); err != nil {
		t.Fatalf("good query refused: %v", err)
	}
	for name, mod := range map[string]func(q *Query){
		"unknown schema":   func(q *Query) { q.Schema = "iface:nope" },
		"unknown top":      func(q *Query) { q.Schema = "top:nope" },
		"reversed":         func(q *Query) { q.Begin, q.End = q.End, q.Begin },
		"empty range":      func(q *Query) { q.Begin = q.End },
		"huge range":       func(q *Query) { q.Begin = q.End - 10*365*86400 },
		"epoch zero":       func(q *Query) { q.Begin = 0 },
		"far future":       func(q *Query) { q.End = 1 << 40 },
		"limit negative":   func(q *Query) { q.Limit = -1 },
		"limit absurd":     func(q *Query) { q.Limit = 1 << 30 },
		"aggregation":      func(q *Query) { q.Aggregation = "median; DROP TABLE series" },
		"missing tag":      func(q *Query) { q.Schema, q.Tags = "host:traffic", map[string]string{"ifid": "0"} },
		"extra tag":        func(q *Query) { q.Tags = map[string]string{"ifid": "0", "host": "1.2.3.4"} },
		"sql in tag":       func(q *Query) { q.Tags = map[string]string{"ifid": "0' OR 1=1 --"} },
		"top without free": func(q *Query) { q.Schema = "top:iface:traffic" },
		"topk":             func(q *Query) { q.Schema, q.Tags, q.TopK = "top:host:traffic", map[string]string{"ifid": "0"}, 1000 },
	} {
		q := ok
		q.Tags = map[string]string{"ifid": "0"}
		mod(&q)
		if _, err := s.Query(context.Background(), q); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%s: err %v, want ErrBadQuery", name, err)
		}
	}
	for _, bad := range []string{"ifid", "ifid:", ":1", "ifid:1,ifid:2", "a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", "ifid:1=2"} {
		if _, err := ParseTags(bad); !errors.Is(err, ErrBadQuery) {
			t.Errorf("ParseTags(%q) err %v", bad, err)
		}
	}
	tags, err := ParseTags("ifid:1,host:fe80::1")
	if err != nil || tags["host"] != "fe80::1" || tags["ifid"] != "1" {
		t.Errorf("IPv6 ts_query: %v %v", tags, err)
	}
	// Samples of a wrong shape are counted, the store carries on.
	if err := s.Append([]Sample{{Schema: IfaceTraffic, Tags: []string{"0", "x"}, Values: []float64{1}, T: t0}}); err != nil {
		t.Fatal(err)
	}
	if s.Counters().Rejected != 1 {
		t.Errorf("rejected %+v", s.Counters())
	}
}

func TestTopAndSubscribe(t *testing.T) {
	c := &clock{time.Unix(t0+3000, 0)}
	s := newStore(t, c)
	var seen int
	s.Subscribe(func(b []Sample) { seen += len(b) })
	hosts := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}
	for k := int64(0); k <= 6; k++ {
		var b []Sample
		for i, h := range hosts {
			// Host i sends (i+1) × 1000 B/s, receives nothing.
			b = append(b, Sample{Schema: HostTraffic, Tags: []string{"0", h}, Values: []float64{float64(k*300) * float64(i+1) * 1000, 0}, T: t0 + k*300})
		}
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if seen != 21 {
		t.Errorf("subscriber saw %d samples, want 21", seen)
	}
	r := query(t, s, Query{Schema: "top:host:traffic", Tags: map[string]string{"ifid": "0"}, Begin: t0, End: t0 + 2100, TopK: 2})
	if len(r.Series) != 2 || r.Series[0].ID != "10.0.0.3" || r.Series[1].ID != "10.0.0.2" {
		t.Fatalf("top: %+v", r.Series)
	}
	// 6 steps of 300 s at 3000 B/s.
	if tot := r.Series[0].Stats.Total; tot != 6*300*3000 {
		t.Errorf("top total %v, want %v", tot, 6*300*3000)
	}
}
