package web

import (
	"net/http"
	"strconv"
	"time"

	"flowgate/engine"
)

// Server-Timing (https://www.w3.org/TR/server-timing/) on the REST reads
// the UI pages make: where a slow answer's time went, per request, in the
// browser's developer tools and Performance API (bench/uitimings prints
// them beside each request of a page load). The metrics:
//
//	wait    waiting for the interface goroutine (behind the batch it is
//	        applying, other readers and, for Do, the batches queued before)
//	tables  the work on the tables inside the interface goroutine (walk,
//	        filter, copy of the page's rows)
//	json    encoding the answer (writeJSON)
//
// Durations only: no host, user or parameter goes into the header.

// timedTables runs fn on the interface's tables through run (i.Read for
// list reads that need not see the last queued batches, i.Do for totals)
// and adds its wait and tables times to w's Server-Timing header.
func timedTables(w http.ResponseWriter, run func(func(*engine.Tables)), fn func(*engine.Tables)) {
	t0 := time.Now()
	var t1 time.Time
	run(func(t *engine.Tables) {
		t1 = time.Now()
		fn(t)
	})
	t2 := time.Now()
	addServerTiming(w, "wait", t1.Sub(t0))
	addServerTiming(w, "tables", t2.Sub(t1))
}

// addServerTiming appends one metric ("name;dur=ms") to w's header.
func addServerTiming(w http.ResponseWriter, name string, d time.Duration) {
	w.Header().Add("Server-Timing", name+";dur="+strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64))
}
