package scripts

import (
	"strconv"
	"testing"
	"time"
)

func cacheInt(f *fixture, k string) int {
	v, _ := f.cache.Get(k)
	n, _ := strconv.Atoi(v)
	return n
}

func TestPeriodicSchedule(t *testing.T) {
	fx := newFixture(t, copyTree(t, "periodic"), nil)
	loc := time.FixedZone("CET", 3600)
	start := time.Date(2024, 3, 10, 10, 0, 30, 0, loc)
	fx.clk.Set(start)
	fx.rt.tick(start) // arms the scheduler
	var hours, days []time.Time
	prevRuns := [4]uint64{}
	for now := start; now.Before(start.Add(24 * time.Hour)); now = now.Add(30 * time.Second) {
		fx.clk.Set(now)
		fx.rt.tick(now)
		p := fx.rt.Periodic()
		if p[2].Runs != prevRuns[2] {
			hours = append(hours, p[2].LastRun)
		}
		if p[3].Runs != prevRuns[3] {
			days = append(days, p[3].LastRun)
		}
		for g := range p {
			prevRuns[g] = p[g].Runs
		}
	}
	for _, tc := range []struct {
		gran string
		want int
	}{{"min", 1440}, {"5mins", 288}, {"hour", 24}, {"day", 1}} {
		for _, sub := range []string{"interface", "network", "system"} {
			if got := cacheInt(fx, "calls."+sub+"."+tc.gran); got != tc.want {
				t.Errorf("%s %s: %d calls, want %d", sub, tc.gran, got, tc.want)
			}
		}
	}
	for _, h := range hours {
		if h.Minute() != 0 || h.Second() != 0 {
			t.Errorf("hour run at %v", h)
		}
	}
	if len(days) != 1 || days[0].In(loc).Hour() != 0 || days[0].In(loc).Minute() != 0 {
		t.Errorf("day runs at %v, want one at local midnight", days)
	}
	if v, _ := fx.cache.Get("last.interface"); v == "" {
		t.Error("interface params not recorded")
	}
}

func TestPeriodicParams(t *testing.T) {
	fx := newFixture(t, copyTree(t, "periodic"), nil)
	base := time.Date(2024, 3, 10, 10, 0, 30, 0, time.UTC)
	fx.clk.Set(base)
	fx.flow("10.0.0.1", "8.8.8.8", 40000, 53, 17, 0)
	fx.rt.tick(base)
	next := base.Add(time.Minute)
	fx.clk.Set(next)
	fx.rt.tick(next)
	for _, tc := range []struct{ sub, want string }{
		{"interface", "min|0|0||every_interface"},
		{"network", "min|2|10.0.0.0/8||every_network"},
		{"system", "min|0|-1||every_system"},
	} {
		if v, _ := fx.cache.Get("last." + tc.sub); v != tc.want {
			t.Errorf("%s params %q, want %q", tc.sub, v, tc.want)
		}
	}
	if n := cacheInt(fx, "calls.host.min"); n != 2 {
		t.Errorf("host min calls %d, want 2 (two hosts)", n)
	}
	if _, ok := fx.cache.Get("localonly.10.0.0.1"); !ok {
		t.Error("local_only script did not run on the local host")
	}
	if _, ok := fx.cache.Get("localonly.8.8.8.8"); ok {
		t.Error("local_only script ran on a remote host")
	}
}

func TestPeriodicOverrunSkips(t *testing.T) {
	dir := copyTree(t, "periodic")
	fx := newFixture(t, dir, nil)
	base := time.Date(2024, 3, 10, 10, 0, 30, 0, time.UTC)
	fx.rt.tick(base)
	// The clock says the 10:01 run ended at 10:03:10: 10:02 and 10:03 are
	// skipped, not stacked.
	b := time.Date(2024, 3, 10, 10, 1, 0, 0, time.UTC)
	fx.clk.Set(b.Add(130 * time.Second))
	fx.rt.tick(b)
	p := fx.rt.Periodic()[0]
	if p.Runs != 1 || p.Overruns != 1 || p.Skipped != 2 {
		t.Fatalf("after overrun: %+v", p)
	}
	fx.rt.tick(b.Add(130 * time.Second))
	if p := fx.rt.Periodic()[0]; p.Runs != 1 {
		t.Fatalf("a skipped boundary ran: %+v", p)
	}
	fx.clk.Set(b.Add(3 * time.Minute))
	fx.rt.tick(b.Add(3 * time.Minute))
	if p := fx.rt.Periodic()[0]; p.Runs != 2 {
		t.Fatalf("10:04 did not run: %+v", p)
	}
}
