package ui

import (
	"flag"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"flowgate/engine"
	"flowgate/web"
	"flowgate/web/users"
)

var (
	timings      = flag.Bool("timings", false, "measure page load times in headless Chromium over a large engine (TestPageTimings)")
	timingFlows  = flag.Int("timings.flows", 1_000_000, "active flows for -timings")
	timingHosts  = flag.Int("timings.hosts", 100_000, "hosts for -timings (local 10.0.0.0/8 clients, remote servers)")
	timingRounds = flag.Int("timings.rounds", 3, "loads of each page; the figures are the median")
)

// TestPageTimings (with -timings) loads the dashboard, hosts and flows
// pages in headless Chromium against an engine holding -timings.flows
// flows between -timings.hosts hosts, and reports, from the page's
// navigation start (performance.now), when each is ready: its data shown.
// No ingest runs meanwhile (see README.md).
func TestPageTimings(t *testing.T) {
	if !*timings {
		t.Skip("page timings: run with -timings")
	}
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	ecfg.MaxFlows, ecfg.MaxHosts = *timingFlows+1, *timingHosts+1
	eng := engine.New(ecfg)
	i := eng.AddInterface("tcp://*:5556c", "zmq")
	now := uint32(time.Now().Unix())
	start := time.Now()
	nh := *timingHosts
	for done := 0; done < *timingFlows; {
		b := i.NewBatch()
		for k := 0; k < 4096 && done < *timingFlows; k++ {
			f := b.AddFlow()
			h := done % (nh / 2)
			f.SrcIP = netip.AddrFrom4([4]byte{10, byte(h >> 16), byte(h >> 8), byte(h)})
			f.DstIP = netip.AddrFrom4([4]byte{100, byte(h >> 16), byte(h >> 8), byte(h)})
			f.SrcPort, f.DstPort, f.Proto = uint16(1024+done/(nh/2)), 443, 6
			f.InBytes, f.InPkts, f.OutBytes, f.OutPkts = uint64(1000+done%5000), 4, 500, 2
			f.FirstSwitched, f.LastSwitched = now-5, now
			f.L7Set, f.L7App = true, 91
			done++
		}
		i.Process(b)
	}
	var nflows, nhosts int
	i.Do(func(tb *engine.Tables) { nflows, nhosts = tb.NumFlows(), tb.NumHosts() })
	t.Logf("engine: %d flows, %d hosts, filled in %v", nflows, nhosts, time.Since(start).Round(time.Millisecond))

	dir := t.TempDir()
	ucfg := users.DefaultConfiguration()
	ucfg.Path = filepath.Join(dir, users.FileName)
	us := users.New(ucfg, users.Dependencies{})
	if err := us.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(us.Stop)
	s := web.New(web.Configuration{Addr: "127.0.0.1:0", DataDir: dir, AdminPassword: adminPass}, web.Dependencies{Engine: eng, Users: us})
	New().Mount(s)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	base := "http://" + s.Addr()

	ctx := browser(t)
	login(t, ctx, base, "admin", adminPass, "/")
	pages := []struct{ name, route, ready string }{
		// The dashboard's time series are not served here (no history
		// store): ready is the live numbers and the top tables.
		{"dashboard", "#/dashboard", `document.getElementById('d-flows')?.textContent !== '-' && document.querySelector('.card tbody tr td a')`},
		{"hosts (first page, by traffic)", "#/hosts", `document.querySelector('#hosts-table[data-loaded] tbody a')`},
		{"hosts (first page, by IP)", "#/hosts?sort=ip&order=asc", `document.querySelector('#hosts-table[data-loaded] tbody a')`},
		{"flows (first page, by traffic)", "#/flows", `document.querySelector('#flows-table[data-loaded] tbody a')`},
	}
	for _, p := range pages {
		var ms []float64
		for r := 0; r < *timingRounds; r++ {
			run(t, ctx, "load "+p.name, chromedp.Navigate(fmt.Sprintf("%s/?load=%d%s", base, r, p.route)))
			waitJS(t, ctx, p.name+" ready", `!!(`+p.ready+`) && (window.__ready = window.__ready || performance.now(), true)`)
			ms = append(ms, val(t, ctx, "timing", chromedp.Evaluate[float64](`window.__ready`)))
		}
		t.Logf("%-32s ready %6.0f ms after navigation start (median of %v)", p.name, median(ms), ms)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
