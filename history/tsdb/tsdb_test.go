package tsdb

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func open(t *testing.T, path string) *DB {
	t.Helper()
	d, err := Open(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func pt(sid, t int64, v ...float64) Point {
	p := Point{SID: sid, T: t, V: [MaxMetrics]float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}}
	copy(p.V[:], v)
	return p
}

func count(t *testing.T, d *DB, tier Tier, sid int64, from, to int64) (n int, avg float64) {
	t.Helper()
	rows, err := d.r.Query(`SELECT v0 FROM pts_`+tier.Name+` WHERE sid = ? AND t >= ? AND t < ?`, sid, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sum float64
	for rows.Next() {
		var v float64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		sum += v
		n++
	}
	if n > 0 {
		avg = sum / float64(n)
	}
	return n, avg
}

// TestRetention400Days drives a 1 s and a 300 s series through 400 days
// of a fake clock, running Maintain every 6 hours as the background loop
// would, and checks what each tier keeps and drops.
func TestRetention400Days(t *testing.T) {
	d := open(t, filepath.Join(t.TempDir(), "ts.db"))
	fast, _ := d.Register("iface:traffic", "ifid=0", 1)
	slow, _ := d.Register("host:traffic", "ifid=0,host=10.0.0.1", 300)
	start := int64(1_600_000_000) / day * day
	const days = 400
	ctx := context.Background()
	for dd := int64(0); dd < days; dd++ {
		base := start + dd*day
		var pts []Point
		// The 1 s series: one minute of data at 02:00 each day, rate = day number.
		for s := int64(0); s < 60; s++ {
			pts = append(pts, pt(fast.ID, base+7201+s, float64(dd))) // covers the minute [02:00, 02:01)
		}
		// The 300 s series: all day, a constant 10 B/s sent, 20 received.
		for s := int64(0); s < day; s += 300 {
			pts = append(pts, pt(slow.ID, base+s, 10, 20))
		}
		// Written as the day goes, with Maintain every 6 hours.
		for q := int64(1); q <= 4; q++ {
			var part []Point
			for _, p := range pts {
				if p.T >= base+(q-1)*day/4 && p.T < base+q*day/4 {
					part = append(part, p)
				}
			}
			if err := d.Write(part); err != nil {
				t.Fatal(err)
			}
			if err := d.Maintain(ctx, time.Unix(base+q*day/4, 0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := start + days*day
	all := func(tier Tier, sid int64) (int, float64) { return count(t, d, tier, sid, 0, math.MaxInt64) }

	// Raw: only the last day.
	if n, _ := all(TierRaw, slow.ID); n != 288 {
		t.Errorf("raw points of the 300 s series = %d, want a day's 288", n)
	}
	if n, _ := count(t, d, TierRaw, slow.ID, 0, now-day); n != 0 {
		t.Errorf("%d raw points older than a day kept", n)
	}
	if n, _ := all(TierRaw, fast.ID); n != 60 {
		t.Errorf("raw points of the 1 s series = %d, want the last day's 60", n)
	}
	// 1 s chain: 1 min kept 30 days (one minute of data a day), 1 h kept 100.
	if n, _ := all(Tier1m, fast.ID); n < 29 || n > 31 {
		t.Errorf("1 min points of the 1 s series = %d, want 30 days' worth (one a day)", n)
	}
	if n, _ := count(t, d, Tier1m, fast.ID, 0, now-30*day); n != 0 {
		t.Errorf("%d 1 min points older than 30 days kept", n)
	}
	if n, _ := all(Tier1h, fast.ID); n < 99 || n > 101 {
		t.Errorf("1 h points of the 1 s series = %d, want 100 days' worth", n)
	}
	// The minute of day 399 averages to 399.
	if n, avg := count(t, d, Tier1m, fast.ID, start+399*day, now); n != 1 || avg != 399 {
		t.Errorf("last day's 1 min point: n=%d avg=%v, want 1 of 399", n, avg)
	}
	// 300 s chain: 1 h kept 100 days (24 a day), 1 day kept a year.
	if n, avg := all(Tier1h, slow.ID); n < 2399 || n > 2401 || avg != 10 {
		t.Errorf("1 h points of the 300 s series: n=%d avg=%v, want 2400 of 10", n, avg)
	}
	if n, avg := all(Tier1d, slow.ID); n < 364 || n > 366 || avg != 10 {
		t.Errorf("1 day points of the 300 s series: n=%d avg=%v, want 365 of 10", n, avg)
	}
	if n, _ := count(t, d, Tier1d, slow.ID, 0, now-365*day); n != 0 {
		t.Errorf("%d daily points older than a year kept", n)
	}
	// A 1 s series never gets daily points, a 300 s one never 1 min ones.
	if n, _ := all(Tier1d, fast.ID); n != 0 {
		t.Errorf("1 s series has %d daily points", n)
	}
	if n, _ := all(Tier1m, slow.ID); n != 0 {
		t.Errorf("300 s series has %d 1 min points", n)
	}
	c := d.Counters()
	if c.Rollups == 0 || c.Deleted == 0 || c.MaintErrors != 0 {
		t.Errorf("counters %+v", c)
	}
}

// TestReadTiers: a wide read comes from the coarse tier and its tail
// (not rolled up yet) from the raw tier; the integral is the same.
func TestReadTiers(t *testing.T) {
	d := open(t, filepath.Join(t.TempDir(), "ts.db"))
	s, _ := d.Register("iface:traffic", "ifid=0", 1)
	begin := int64(1_700_000_000) / 3600 * 3600
	end := begin + 3600
	var pts []Point
	for ts := begin + 1; ts <= end; ts++ { // raw stamps end their second: they cover [begin, end)
		pts = append(pts, pt(s.ID, ts, 100))
	}
	if err := d.Write(pts); err != nil {
		t.Fatal(err)
	}
	// At end, the buckets ending before end-grace are rolled up.
	now := time.Unix(end, 0)
	if err := d.Maintain(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	wm := d.Watermark(Fast, Tier1m)
	if wm <= begin || wm >= end {
		t.Fatalf("1 min watermark %d not inside [%d, %d)", wm, begin, end)
	}
	for _, width := range []int64{1, 60, 480} {
		rows, tier, err := d.Read(context.Background(), s, begin, end, width, now)
		if err != nil {
			t.Fatal(err)
		}
		var total float64
		for _, r := range rows {
			total += r.V[0] * float64(min(r.T+r.Dur, end)-max(r.T, begin))
		}
		if total != 360000 {
			t.Errorf("width %d (tier %s): integral %v, want 360000", width, tier.Name, total)
		}
		wantTier := "1m"
		if width < 60 {
			wantTier = "raw"
		}
		if tier.Name != wantTier {
			t.Errorf("width %d read tier %s, want %s", width, tier.Name, wantTier)
		}
	}
}

// TestTornWAL: a copy of the files taken while a writer is running, with
// the WAL cut at many places, reopens with a prefix of the transactions.
func TestTornWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ts.db")
	d := open(t, path)
	s, _ := d.Register("iface:traffic", "ifid=0", 1)
	for b := int64(0); b < 20; b++ {
		var pts []Point
		for i := int64(0); i < 50; i++ {
			pts = append(pts, pt(s.ID, 1000+b*50+i, float64(b)))
		}
		if err := d.Write(pts); err != nil {
			t.Fatal(err)
		}
	}
	// The writer is still open: the points are in the WAL only.
	wal, err := os.ReadFile(path + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("no WAL to tear: %v", err)
	}
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for _, cut := range []int{len(wal), len(wal) - 1, len(wal) - 100, len(wal) / 2, len(wal) / 3, 100, 0} {
		cdir := t.TempDir()
		cp := filepath.Join(cdir, "ts.db")
		if err := os.WriteFile(cp, db, 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cp+"-wal", wal[:cut], 0o640); err != nil {
			t.Fatal(err)
		}
		c, err := Open(Config{Path: cp})
		if err != nil {
			t.Fatalf("cut at %d: reopen: %v", cut, err)
		}
		var ok string
		if err := c.w.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Errorf("cut at %d: integrity %q %v", cut, ok, err)
		}
		var n int64
		if err := c.w.QueryRow(`SELECT COUNT(*) FROM pts_raw`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n%50 != 0 {
			t.Errorf("cut at %d: %d points, not whole batches of 50", cut, n)
		}
		if cut == len(wal) && n != 1000 {
			t.Errorf("whole WAL: %d points, want 1000", n)
		}
		if last >= 0 && n > int64(last) {
			t.Errorf("cut at %d kept more (%d) than a longer WAL (%d)", cut, n, last)
		}
		last = int(n)
		// The reopened store takes writes again.
		if err := c.Write([]Point{pt(s.ID, 99999, 1)}); err != nil {
			t.Errorf("cut at %d: write after reopen: %v", cut, err)
		}
		c.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Config{}); err == nil {
		t.Error("no path accepted")
	}
	if _, err := Open(Config{Path: filepath.Join(t.TempDir(), "x.db"), Synchronous: "OFF"}); err == nil {
		t.Error("synchronous OFF accepted")
	}
	// A file that is not a database fails to open with its path in the error.
	p := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(p, []byte("this is not a database file, not at all, really not"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{Path: p}); err == nil {
		t.Error("garbage file opened")
	}
}
