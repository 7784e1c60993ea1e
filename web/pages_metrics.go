package web

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerPageMetrics adds the flowgate_http_lua_page* families to r; they
// read the PageStats snapshot.
func (s *Server) registerPageMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(s.PageStats,
		metrics.CounterVec("flowgate_http_lua_pages_total", "Lua page requests, by result: ok, error (the page raised or does not compile), timeout (past --lua-call-budget), bad_input (malformed query, form or JSON body), too_large (output over the limit).", []string{"result"}, func(p *PageStats, emit func(uint64, ...string)) {
			emit(p.Runs, "ok")
			emit(p.Errors+p.SyntaxErr, "error")
			emit(p.Timeouts, "timeout")
			emit(p.BadInput, "bad_input")
			emit(p.TooLarge, "too_large")
		}),
		metrics.Counter("flowgate_http_bad_paths_total", "Requests refused with 400 for their path (.., //, backslash, CR, LF or NUL).", func(p *PageStats) uint64 { return p.BadPaths }),
		metrics.Counter("flowgate_http_lua_states_total", "Lua states built for pages (the others were served by a pooled state).", func(p *PageStats) uint64 { return p.States }),
		metrics.Gauge("flowgate_http_lua_page_overrides", "Lua page files that shadow a built-in endpoint (logged at start).", func(p *PageStats) float64 { return float64(p.Overrides) }),
	))
}
