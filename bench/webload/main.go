// Command webload is the HTTP load generator of bench/web.sh: C
// keep-alive clients send GET requests to one URL for a duration and it
// prints requests/s, p50/p99 latency and the answers that were not 200.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type header []string

func (h *header) String() string     { return strings.Join(*h, ", ") }
func (h *header) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	conns := flag.Int("c", 8, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "duration")
	var hdrs header
	flag.Var(&hdrs, "H", "header `Name: value` (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: webload [-c N] [-d DUR] [-H 'Name: value'] URL")
		os.Exit(2)
	}
	url := flag.Arg(0)
	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		mu       sync.Mutex
		lat      []time.Duration
		bad      = map[int]int{}
		failures int
		wg       sync.WaitGroup
	)
	end := time.Now().Add(*dur)
	start := time.Now()
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			myBad := map[int]int{}
			myFail := 0
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				for _, h := range hdrs {
					k, v, _ := strings.Cut(h, ":")
					req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					myFail++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					myBad[resp.StatusCode]++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range myBad {
				bad[k] += v
			}
			failures += myFail
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("requests=%d seconds=%.1f req_per_s=%.0f p50_ms=%.2f p99_ms=%.2f non_200=%v transport_errors=%d\n",
		len(lat), elapsed.Seconds(), float64(len(lat))/elapsed.Seconds(),
		float64(pct(0.50).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000, bad, failures)
	if len(bad) > 0 || failures > 0 {
		os.Exit(1)
	}
}
