// Command uitimings measures how fast flowgate's web UI pages are ready in
// headless Chromium: it logs in through the form, then loads each page
// afresh -rounds times and reports, from the navigation start
// (performance.now()), when the page's data is on screen. bench/ui.sh runs
// it against a flowgate under emulator ingest.
//
//	go run ./bench/uitimings -url http://127.0.0.1:3456 -pass SECRET [-rounds 5] [-chromium chromium]
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
}

func main() {
	base := flag.String("url", "http://127.0.0.1:3456", "flowgate's web address")
	user := flag.String("user", "admin", "user to log in as")
	pass := flag.String("pass", "", "its password")
	rounds := flag.Int("rounds", 5, "loads of each page")
	bin := flag.String("chromium", "chromium", "Chromium binary")
	asJSON := flag.Bool("json", false, "print the results as JSON")
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
			r.Loads = append(r.Loads, float64(int(ms)))
		}
		s := append([]float64(nil), r.Loads...)
		sort.Float64s(s)
		r.Median, r.Max = s[len(s)/2], s[len(s)-1]
		out = append(out, r)
	}
	return out, nil
}
