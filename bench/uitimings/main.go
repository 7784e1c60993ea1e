// Command uitimings measures how fast flowgate's web UI pages are ready in
// headless Chromium: it logs in through the form, then loads each page
// afresh -rounds times and reports, from the navigation start
// (performance.now()), when the page's data is on screen. bench/ui.sh runs
// it against a flowgate under emulator ingest.
//
//	go run ./bench/uitimings -url http://127.0.0.1:3456 -pass SECRET [-rounds 5] [-chromium chromium] [-waterfall]
//
// -waterfall also prints, for each page's median load, its REST requests
// and session checks
// as the browser's Performance API saw them (start, time to first byte,
// end, in ms after the navigation start) with the server's own split of
// each answer (the Server-Timing header: wait for the interface
// goroutine, work on its tables, JSON encoding; web/rest_timing.go).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// page is one measured view and the DOM condition that says it is ready.
type page struct {
	Name, Route, Ready string
}

var pages = []page{
	// Live numbers, the top hosts and flows tables (server-sorted by
	// traffic) and the throughput chart drawn (or "no data").
	{"dashboard", "#/dashboard", `document.getElementById('d-flows')?.textContent !== '-' && document.querySelector('#top-hosts a') && document.querySelector('#top-flows a') && document.querySelector('#dash-chart canvas, #dash-chart p')`},
	{"hosts, first page by traffic", "#/hosts", `document.querySelector('#hosts-table[data-loaded] tbody a')`},
	{"hosts, first page by IP", "#/hosts?sort=ip&order=asc", `document.querySelector('#hosts-table[data-loaded] tbody a')`},
	{"hosts, local, by throughput", "#/hosts?mode=local&sort=thpt", `document.querySelector('#hosts-table[data-loaded] tbody a')`},
	{"flows, first page by traffic", "#/flows", `document.querySelector('#flows-table[data-loaded] tbody a')`},
}

// result is one page's figures, in milliseconds.
type result struct {
	Page   string    `json:"page"`
	Median float64   `json:"median_ms"`
	Max    float64   `json:"max_ms"`
	Loads  []float64 `json:"loads_ms"`
	// Requests are the REST requests of the median load.
	Requests []request `json:"requests,omitempty"`
}

// request is one REST request of a page load (PerformanceResourceTiming).
type request struct {
	Path   string             `json:"path"`
	Start  float64            `json:"start_ms"`
	TTFB   float64            `json:"first_byte_ms"` // responseStart
	End    float64            `json:"end_ms"`
	Server map[string]float64 `json:"server_ms,omitempty"` // Server-Timing
}

// requestsJS lists the page's REST requests and session checks (/?alive,
// lib.js), by start.
const requestsJS = `performance.getEntriesByType('resource').filter((e) => e.name.includes('/lua/rest/') || e.name.endsWith('/?alive')).map((e) => ({
  path: e.name.replace(/^.*\/lua\/rest\/v2\//, '').replace(/^.*\/\?alive$/, '(session check) /?alive'), start_ms: e.startTime, first_byte_ms: e.responseStart, end_ms: e.responseEnd,
  server_ms: Object.fromEntries((e.serverTiming || []).map((t) => [t.name, t.duration]))}))`

func main() {
	base := flag.String("url", "http://127.0.0.1:3456", "flowgate's web address")
	user := flag.String("user", "admin", "user to log in as")
	pass := flag.String("pass", "", "its password")
	rounds := flag.Int("rounds", 5, "loads of each page")
	bin := flag.String("chromium", "chromium", "Chromium binary")
	asJSON := flag.Bool("json", false, "print the results as JSON")
	waterfall := flag.Bool("waterfall", false, "print the REST requests of each page's median load")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline of each load")
	flag.Parse()
	res, err := measure(*base, *user, *pass, *bin, *rounds, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "uitimings:", err)
		os.Exit(1)
	}
	if *asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	for _, r := range res {
		fmt.Printf("%-32s ready %6.0f ms (median of %d; max %.0f ms) %v\n", r.Page, r.Median, len(r.Loads), r.Max, r.Loads)
		if *waterfall {
			printRequests(r.Requests)
		}
	}
}

// ready polls the page's condition and answers when it first held, in ms
// after the navigation start. A poll that loses its JavaScript context (the
// document was still being replaced) is retried within the deadline; a
// page that went to the login instead is an error.
func ready(ctx context.Context, p page, timeout time.Duration) (float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		c, cancel := context.WithDeadline(ctx, deadline)
		ms, err := chromedp.Run(c, chromedp.Poll[float64](`location.pathname !== "/" ? -1 : (`+p.Ready+`) ? (window.__ready = window.__ready || performance.now()) : false`,
			chromedp.WithPollingTimeout(time.Until(deadline))))
		cancel()
		switch {
		case err == nil && ms < 0:
			return 0, fmt.Errorf("sent to %s (the session ended?)", "the login page")
		case err == nil:
			return ms, nil
		case strings.Contains(err.Error(), "Cannot find context") && time.Now().Before(deadline):
			continue
		default:
			return 0, err
		}
	}
}

func measure(base, user, pass, bin string, rounds int, timeout time.Duration) ([]result, error) {
	dir, err := os.MkdirTemp("", "uitimings")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 800))
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	// Start Chromium on the long-lived context: a browser started under a
	// per-action deadline would end with it.
	if err := chromedp.Do(ctx); err != nil {
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	do := func(what string, a ...chromedp.Action[chromedp.Void]) error {
		c, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := chromedp.Do(c, a...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if err := do("login",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pass),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`#nav`))); err != nil {
		return nil, err
	}
	var out []result
	for pi, p := range pages {
		r := result{Page: p.Name}
		var waterfalls [][]request
		for k := 0; k < rounds; k++ {
			// A new document each time: a query never used before (the
			// same URL with another #route would only change the hash).
			// Assets stay cached, as a returning user's are.
			if err := do("load "+p.Name, chromedp.Navigate(fmt.Sprintf("%s/?load=%d.%d%s", base, pi, k, p.Route))); err != nil {
				return nil, err
			}
			ms, err := ready(ctx, p, timeout)
			if err != nil {
				return nil, fmt.Errorf("%s not ready: %w", p.Name, err)
			}
			c, cancel := context.WithTimeout(ctx, timeout)
			reqs, err := chromedp.Run(c, chromedp.Evaluate[[]request](requestsJS))
			cancel()
			if err != nil {
				return nil, fmt.Errorf("requests of %s: %w", p.Name, err)
			}
			r.Loads = append(r.Loads, float64(int(ms)))
			waterfalls = append(waterfalls, reqs)
		}
		s := append([]float64(nil), r.Loads...)
		sort.Float64s(s)
		r.Median, r.Max = s[len(s)/2], s[len(s)-1]
		for k, ms := range r.Loads {
			if ms == r.Median {
				r.Requests = waterfalls[k]
				break
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// printRequests writes one line per request: its path (the query cut to
// 60 characters), when it started, got its first byte and ended, and the
// server's split.
func printRequests(reqs []request) {
	sort.Slice(reqs, func(a, b int) bool { return reqs[a].Start < reqs[b].Start })
	for _, q := range reqs {
		path := q.Path
		if len(path) > 60 {
			path = path[:57] + "..."
		}
		var server []string
		for _, k := range []string{"wait", "tables", "json"} {
			if v, ok := q.Server[k]; ok {
				server = append(server, fmt.Sprintf("%s %.1f", k, v))
			}
		}
		fmt.Printf("    %-60s start %6.0f  first byte %6.0f  end %6.0f ms  %s\n", path, q.Start, q.TTFB, q.End, strings.Join(server, ", "))
	}
}
