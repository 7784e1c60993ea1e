package web

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsHandler serves Dependencies.Metrics at /metrics. Each component
// registered its families there when it was built; a scrape asks each for
// one snapshot of its counters (the same the REST reads), so the hot path
// pays nothing. A collector that fails is logged and the others are still
// served.
func (s *Server) metricsHandler() http.Handler {
	var g prometheus.Gatherer = s.deps.Metrics
	if s.deps.Metrics == nil {
		g = prometheus.NewRegistry()
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.deps.Logger.With("component", "metrics").Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
}
