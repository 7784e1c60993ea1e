package activemon

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// Counters are the monitor's running totals.
type Counters struct {
	pingsSent, pingReplies, pingsExpired, pingStrayReplies       atomic.Uint64
	pingSendErrors, pingRecvErrors, pingBadReplies, pingOverflow atomic.Uint64
	socketErrors, resolveErrors, probeErrors, seriesErrors       atomic.Uint64
	alertsEngaged, alertsReleased, configRejected, saveErrors    atomic.Uint64

	mu       sync.Mutex
	rounds   map[string]uint64 // by granularity
	roundNs  map[string]uint64
	measures map[[2]string]uint64 // measurement, result
}

var outcomeNames = [...]string{hourOK: "ok", hourExceeded: "exceeded", hourUnreachable: "unreachable"}

func (c *Counters) round(g string, d time.Duration) {
	c.mu.Lock()
	if c.rounds == nil {
		c.rounds, c.roundNs = map[string]uint64{}, map[string]uint64{}
	}
	c.rounds[g]++
	c.roundNs[g] += uint64(d)
	c.mu.Unlock()
}

func (c *Counters) measured(measurement string, outcome int) {
	c.mu.Lock()
	if c.measures == nil {
		c.measures = map[[2]string]uint64{}
	}
	c.measures[[2]string{measurement, outcomeNames[outcome]}]++
	c.mu.Unlock()
}

// Stats is a snapshot of the counters (REST and /metrics).
type Stats struct {
	Hosts            int                          `json:"hosts"`
	Rounds           map[string]uint64            `json:"rounds"`
	RoundSeconds     map[string]float64           `json:"round_seconds"`
	Measurements     map[string]map[string]uint64 `json:"measurements"` // measurement → ok|exceeded|unreachable
	PingsSent        uint64                       `json:"pings_sent"`
	PingReplies      uint64                       `json:"ping_replies"`
	PingsExpired     uint64                       `json:"pings_expired"`
	PingStrayReplies uint64                       `json:"ping_stray_replies"`
	PingSendErrors   uint64                       `json:"ping_send_errors"`
	PingRecvErrors   uint64                       `json:"ping_recv_errors"`
	PingBadReplies   uint64                       `json:"ping_bad_replies"`
	PingOverflow     uint64                       `json:"ping_overflow"`
	SocketErrors     uint64                       `json:"socket_errors"`
	ResolveErrors    uint64                       `json:"resolve_errors"`
	ProbeErrors      uint64                       `json:"probe_errors"`
	SeriesErrors     uint64                       `json:"series_errors"`
	AlertsEngaged    uint64                       `json:"alerts_engaged"`
	AlertsReleased   uint64                       `json:"alerts_released"`
	ConfigRejected   uint64                       `json:"config_rejected"`
	SaveErrors       uint64                       `json:"save_errors"`
}

// Stats returns the counters.
func (m *Monitor) Stats() Stats {
	c := m.st
	s := Stats{Rounds: map[string]uint64{}, RoundSeconds: map[string]float64{}, Measurements: map[string]map[string]uint64{},
		PingsSent: c.pingsSent.Load(), PingReplies: c.pingReplies.Load(), PingsExpired: c.pingsExpired.Load(),
		PingStrayReplies: c.pingStrayReplies.Load(), PingSendErrors: c.pingSendErrors.Load(), PingRecvErrors: c.pingRecvErrors.Load(),
		PingBadReplies: c.pingBadReplies.Load(), PingOverflow: c.pingOverflow.Load(), SocketErrors: c.socketErrors.Load(),
		ResolveErrors: c.resolveErrors.Load(), ProbeErrors: c.probeErrors.Load(), SeriesErrors: c.seriesErrors.Load(),
		AlertsEngaged: c.alertsEngaged.Load(), AlertsReleased: c.alertsReleased.Load(), ConfigRejected: c.configRejected.Load(),
		SaveErrors: c.saveErrors.Load()}
	c.mu.Lock()
	for g, n := range c.rounds {
		s.Rounds[g] = n
		s.RoundSeconds[g] = float64(c.roundNs[g]) / 1e9
	}
	for k, n := range c.measures {
		if s.Measurements[k[0]] == nil {
			s.Measurements[k[0]] = map[string]uint64{}
		}
		s.Measurements[k[0]][k[1]] = n
	}
	c.mu.Unlock()
	m.mu.Lock()
	s.Hosts = len(m.hosts)
	m.mu.Unlock()
	return s
}

func (m *Monitor) registerMetrics(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	ctr := func(name, help string, v func(*Stats) uint64) metrics.Family[Stats] {
		return metrics.Counter("flowgate_am_"+name, help, v)
	}
	c := metrics.NewCollector(m.Stats,
		metrics.Gauge("flowgate_am_hosts", "Active monitoring hosts configured.", func(s *Stats) float64 { return float64(s.Hosts) }),
		metrics.CounterVec("flowgate_am_rounds_total", "Active monitoring rounds run, by granularity.", []string{"granularity"},
			func(s *Stats, emit func(uint64, ...string)) { metrics.Each(s.Rounds, emit) }),
		metrics.Vec("flowgate_am_round_seconds_total", "Wall-clock seconds spent in active monitoring rounds, by granularity.",
			prometheus.CounterValue, []string{"granularity"}, func(s *Stats, emit func(float64, ...string)) {
				for g, v := range s.RoundSeconds {
					emit(v, g)
				}
			}),
		metrics.CounterVec("flowgate_am_measurements_total", "Active monitoring measurements, by measurement and result (ok, exceeded, unreachable).",
			[]string{"measurement", "result"}, func(s *Stats, emit func(uint64, ...string)) {
				for m, byRes := range s.Measurements {
					for r, n := range byRes {
						emit(n, m, r)
					}
				}
			}),
		ctr("pings_sent_total", "ICMP echo requests sent.", func(s *Stats) uint64 { return s.PingsSent }),
		ctr("ping_replies_total", "ICMP echo replies matched to a request.", func(s *Stats) uint64 { return s.PingReplies }),
		ctr("pings_expired_total", "ICMP echo requests forgotten without a reply.", func(s *Stats) uint64 { return s.PingsExpired }),
		ctr("ping_stray_replies_total", "ICMP echo replies matching no waiting request (late or foreign).", func(s *Stats) uint64 { return s.PingStrayReplies }),
		ctr("ping_send_errors_total", "ICMP echo requests the socket refused.", func(s *Stats) uint64 { return s.PingSendErrors }),
		ctr("ping_recv_errors_total", "ICMP socket read errors.", func(s *Stats) uint64 { return s.PingRecvErrors }),
		ctr("ping_bad_replies_total", "ICMP packets that did not parse.", func(s *Stats) uint64 { return s.PingBadReplies }),
		ctr("ping_overflow_total", "ICMP echo requests not sent: too many waiting.", func(s *Stats) uint64 { return s.PingOverflow }),
		ctr("socket_errors_total", "ICMP sockets that could not be opened.", func(s *Stats) uint64 { return s.SocketErrors }),
		ctr("resolve_errors_total", "Monitored host names that did not resolve.", func(s *Stats) uint64 { return s.ResolveErrors }),
		ctr("probe_errors_total", "TCP connects and HTTP(S) requests that failed.", func(s *Stats) uint64 { return s.ProbeErrors }),
		ctr("series_errors_total", "Measurements not written to the time series.", func(s *Stats) uint64 { return s.SeriesErrors }),
		ctr("alerts_engaged_total", "am_host alerts engaged.", func(s *Stats) uint64 { return s.AlertsEngaged }),
		ctr("alerts_released_total", "am_host alerts released.", func(s *Stats) uint64 { return s.AlertsReleased }),
		ctr("config_rejected_total", "Host additions, edits, deletions and imports refused.", func(s *Stats) uint64 { return s.ConfigRejected }),
		ctr("save_errors_total", "Writes of the hosts' file that failed.", func(s *Stats) uint64 { return s.SaveErrors }),
	)
	return metrics.Register(r, c)
}
