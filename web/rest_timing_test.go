package web

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestServerTiming: the reads the dashboard, hosts and flows pages make
// answer with a Server-Timing header naming where the time went (waiting
// for the interface goroutine, the work on its tables, the JSON encoding),
// each metric once with a duration, while the engine runs; their answers
// are unchanged (the hosts sent are there); an answer refused before any
// read carries no header.
func TestServerTiming(t *testing.T) {
	s := hostFilterServer(t)
	eng := s.deps.Engine
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	for _, tc := range []struct {
		path, want string // want: a piece of the answer
		timed      bool
	}{
		{"get/host/active.lua?ifid=0&sortColumn=ip&sortOrder=asc", `"ip":"10.1.0.1"`, true},
		{"get/flow/active.lua?ifid=0&sortColumn=bytes", `"ip":"10.1.0.3"`, true},
		{"get/interface/data.lua?ifid=0", `"num_hosts":8`, true},
		{"get/interface/data.lua?ifid=0&live=1", `"num_hosts":8`, true},
		{"get/interface/data.lua?ifid=0&live=maybe", `"rc_str":"INVALID_ARGUMENTS"`, false},
		{"get/interface/l7/stats.lua?ifid=0", `"label":"TLS"`, true},
		{"get/interface/nprobes/data.lua?ifid=0", `"rsp":[]`, true},
		{"get/host/active.lua?ifid=0&sortColumn=bogus", `"rc_str":"INVALID_ARGUMENTS"`, false},
		{"get/flow/active.lua?ifid=9", `"rc_str":"INVALID_INTERFACE"`, false},
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/lua/rest/v2/"+tc.path, nil))
		if !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: answer %s, want %s in it", tc.path, w.Body.String(), tc.want)
		}
		got := map[string]int{}
		for _, h := range w.Header().Values("Server-Timing") {
			name, dur, ok := strings.Cut(h, ";dur=")
			if v, err := strconv.ParseFloat(dur, 64); !ok || err != nil || v < 0 {
				t.Errorf("%s: Server-Timing %q: want name;dur=ms", tc.path, h)
			}
			got[name]++
		}
		want := map[string]int{}
		if tc.timed {
			want = map[string]int{"wait": 1, "tables": 1, "json": 1}
		}
		if len(got) != len(want) || got["wait"] != want["wait"] || got["tables"] != want["tables"] || got["json"] != want["json"] {
			t.Errorf("%s: Server-Timing metrics %v, want %v", tc.path, got, want)
		}
	}
}
