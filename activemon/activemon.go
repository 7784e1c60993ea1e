// Package activemon is ntopng's active monitoring: configured hosts probed
// every minute, 5 minutes or hour with ICMP echo (IPv4 and IPv6), a TCP
// connect or an HTTP(S) request; each measurement goes to the time series
// am_host:val_<granularity> and an am_host alert is engaged while a host is
// unreachable or above its threshold, released when it recovers
// (docs/active-monitoring.md). The hosts persist in the data dir.
package activemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/history"
	"flowgate/internal/ratelog"
	"flowgate/store"
)

// FileName is the hosts' file in the data dir.
const FileName = "active_monitoring.json"

// SystemIfID is ntopng's system interface, which owns the am_host alerts
// and series (getSystemInterfaceId()).
const SystemIfID = -1

// Configuration of the monitor.
type Configuration struct {
	// DataDir holds FileName; empty: hosts are not persisted.
	DataDir string
	// MaxHosts bounds the configured hosts (default 10,000).
	MaxHosts int
	// PingWait is how long a round waits for echo replies (ntopng: 3 s).
	PingWait time.Duration
	// Timeout bounds a TCP connect or an HTTP(S) request (ntopng: 10 s).
	Timeout time.Duration
	// Concurrency bounds the TCP and HTTP probes running at once (default 64).
	Concurrency int
	// SocketMode forces datagram or raw ICMP sockets (default: datagram
	// where net.ipv4.ping_group_range allows, raw otherwise).
	SocketMode SocketMode
	// TLS is the client configuration of https probes (nil: system roots).
	TLS *tls.Config
	// Disabled keeps the rounds from running (the REST and Lua still work).
	Disabled bool
	Logger   *slog.Logger
	Now      func() time.Time
	Metrics  prometheus.Registerer
}

// DefaultConfiguration returns ntopng's waits and flowgate's bounds.
func DefaultConfiguration() Configuration {
	return Configuration{MaxHosts: 10_000, PingWait: 3 * time.Second, Timeout: 10 * time.Second, Concurrency: 64}
}

// Deps are what the monitor writes to; nil ones are skipped.
type Deps struct {
	Alerts     *alerts.Store
	Timeseries *history.Scripts
}

// Status is what the last round measured of a host.
type Status struct {
	When        int64   `json:"when"`  // epoch of the last measurement, 0: never
	Value       float64 `json:"value"` // ms; 0 when unreachable
	IP          string  `json:"ip"`    // resolved address
	Reachable   bool    `json:"reachable"`
	Alerted     bool    `json:"alerted"`
	Error       string  `json:"error,omitempty"`
	hours       [24][3]uint32
	hoursWhen   int64
	lookup, con float64 // http(s) phases, ms
}

// Hour stats indexes (ntopng's HOUR_STATS_OK, _EXCEEDED, _UNREACHABLE).
const (
	hourOK = iota
	hourExceeded
	hourUnreachable
)

// Monitor probes the configured hosts.
type Monitor struct {
	cfg  Configuration
	deps Deps
	log  *slog.Logger
	warn *ratelog.Limiter
	st   *Counters
	ping *Pinger

	mu     sync.Mutex
	hosts  map[string]Host
	status map[string]*Status

	alertType int
	cancel    context.CancelFunc
	done      chan struct{}
}

// New returns an inert monitor.
func New(cfg Configuration, deps Deps) (*Monitor, error) {
	def := DefaultConfiguration()
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = def.MaxHosts
	}
	if cfg.PingWait <= 0 {
		cfg.PingWait = def.PingWait
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = def.Concurrency
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch cfg.SocketMode {
	case ModeAuto, ModeDatagram, ModeRaw:
	default:
		return nil, fmt.Errorf("active monitoring: socket mode %q is not datagram or raw", cfg.SocketMode)
	}
	t, ok := alerts.TypeByKey("alert_am_threshold_cross")
	if !ok {
		return nil, errors.New("active monitoring: alert_am_threshold_cross unknown to the alert table")
	}
	log := cfg.Logger.With("component", "active monitoring")
	st := &Counters{}
	m := &Monitor{cfg: cfg, deps: deps, log: log, warn: ratelog.New(log, 10*time.Second), st: st,
		ping:  newPinger(cfg.SocketMode, max(cfg.PingWait, 10*time.Second), st),
		hosts: map[string]Host{}, status: map[string]*Status{}, alertType: t.ID}
	if err := m.registerMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("active monitoring: %w", err)
	}
	return m, nil
}

// Pinger is the monitor's ICMP pinger (ntop.pingHost's too).
func (m *Monitor) Pinger() *Pinger { return m.ping }

// Start loads the hosts and runs the rounds at each minute boundary.
func (m *Monitor) Start() error {
	if err := m.load(); err != nil {
		return err
	}
	m.done = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	if m.cfg.Disabled {
		close(m.done)
		return nil
	}
	go m.loop(ctx)
	return nil
}

// Stop ends the rounds (a running one finishes its probes) and closes
// the sockets.
func (m *Monitor) Stop() {
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
	m.ping.Close()
}

func (m *Monitor) loop(ctx context.Context) {
	defer close(m.done)
	for {
		now := m.cfg.Now()
		next := now.Truncate(time.Minute).Add(time.Minute)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		for _, g := range Due(next) {
			m.Round(ctx, g, next)
		}
	}
}

// Due lists the granularities whose round runs at minute t: "min" always,
// "5mins" every fifth minute, "hour" at the hour.
func Due(t time.Time) []string {
	out := []string{"min"}
	if t.Minute()%5 == 0 {
		out = append(out, "5mins")
	}
	if t.Minute() == 0 {
		out = append(out, "hour")
	}
	return out
}

// load reads the hosts' file.
func (m *Monitor) load() error {
	if m.cfg.DataDir == "" {
		return nil
	}
	b, ok, err := store.ReadFile(filepath.Join(m.cfg.DataDir, FileName))
	if err != nil {
		return fmt.Errorf("active monitoring: %w", err)
	}
	if !ok {
		return nil
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("active monitoring: %s: %w", FileName, err)
	}
	hosts, err := c.Hosts()
	if err != nil {
		// Keep the good ones; the bad entries are logged and counted.
		m.st.configRejected.Add(1)
		m.log.Warn("active monitoring: entries of the hosts file skipped", "err", err)
	}
	m.mu.Lock()
	for _, h := range hosts {
		m.hosts[h.Key()] = h
	}
	m.mu.Unlock()
	return nil
}

// save writes the hosts' file (callers hold m.mu, so files follow changes in order).
func (m *Monitor) save(c Config) error {
	if m.cfg.DataDir == "" {
		return nil
	}
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return fmt.Errorf("active monitoring: %w", err)
	}
	if err := os.MkdirAll(m.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("active monitoring: %w", err)
	}
	if err := store.WriteFile(filepath.Join(m.cfg.DataDir, FileName), b, 0o640); err != nil {
		m.st.saveErrors.Add(1)
		return fmt.Errorf("active monitoring: %w", err)
	}
	return nil
}

func (m *Monitor) configLocked() Config {
	c := make(Config, len(m.hosts))
	for k, h := range m.hosts {
		c[k] = HostConfig{Threshold: h.Threshold, Granularity: h.Granularity}
	}
	return c
}

// Hosts lists the configured hosts, sorted by key.
func (m *Monitor) Hosts() []Host {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Host, 0, len(m.hosts))
	for _, h := range m.hosts {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Host returns the host of key.
func (m *Monitor) Host(key string) (Host, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.hosts[key]
	return h, ok
}

// Status returns what the last round measured of key (zero: never measured).
func (m *Monitor) Status(key string) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.status[key]; s != nil {
		return *s
	}
	return Status{}
}

// HourStats are the checks of key per hour of the day (ntopng's
// am_utils.getHourStats): [hour][ok, exceeded, unreachable], and the
// availability over them in percent (-1: no check yet).
func (m *Monitor) HourStats(key string) ([24][3]uint32, float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.status[key]
	if s == nil {
		return [24][3]uint32{}, -1
	}
	var ok, all uint32
	for _, h := range s.hours {
		ok += h[hourOK]
		all += h[hourOK] + h[hourExceeded] + h[hourUnreachable]
	}
	if all == 0 {
		return s.hours, -1
	}
	return s.hours, float64(ok) * 100 / float64(all)
}

// ErrExists and ErrNotFound are Add's and Edit's/Delete's refusals.
var (
	ErrExists   = errors.New("active monitoring host already exists")
	ErrNotFound = errors.New("active monitoring host not found")
	ErrFull     = errors.New("active monitoring: too many hosts")
)

// Add adds a host after Validate.
func (m *Monitor) Add(h Host) (Host, error) {
	if err := h.Validate(); err != nil {
		m.st.configRejected.Add(1)
		return h, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.hosts[h.Key()]; dup {
		m.st.configRejected.Add(1)
		return h, fmt.Errorf("%w: %s", ErrExists, h.Key())
	}
	if len(m.hosts) >= m.cfg.MaxHosts {
		m.st.configRejected.Add(1)
		return h, fmt.Errorf("%w (%d)", ErrFull, m.cfg.MaxHosts)
	}
	m.hosts[h.Key()] = h
	if err := m.save(m.configLocked()); err != nil {
		delete(m.hosts, h.Key())
		return h, err
	}
	return h, nil
}

// Edit replaces the host of oldKey by h (a new key when the host or the
// measurement changed: the old host's alert is released, its status
// dropped).
func (m *Monitor) Edit(oldKey string, h Host) (Host, error) {
	if err := h.Validate(); err != nil {
		m.st.configRejected.Add(1)
		return h, err
	}
	m.mu.Lock()
	old, ok := m.hosts[oldKey]
	if !ok {
		m.mu.Unlock()
		m.st.configRejected.Add(1)
		return h, fmt.Errorf("%w: %s", ErrNotFound, oldKey)
	}
	if h.Key() != oldKey {
		if _, dup := m.hosts[h.Key()]; dup {
			m.mu.Unlock()
			m.st.configRejected.Add(1)
			return h, fmt.Errorf("%w: %s", ErrExists, h.Key())
		}
	}
	delete(m.hosts, oldKey)
	m.hosts[h.Key()] = h
	if err := m.save(m.configLocked()); err != nil {
		delete(m.hosts, h.Key())
		m.hosts[oldKey] = old
		m.mu.Unlock()
		return h, err
	}
	if h.Key() != oldKey {
		delete(m.status, oldKey)
	}
	m.mu.Unlock()
	if h.Key() != oldKey || h.Granularity != old.Granularity {
		m.release(old)
	}
	return h, nil
}

// Delete removes the host of key and releases its alert.
func (m *Monitor) Delete(key string) error {
	m.mu.Lock()
	h, ok := m.hosts[key]
	if !ok {
		m.mu.Unlock()
		m.st.configRejected.Add(1)
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	delete(m.hosts, key)
	if err := m.save(m.configLocked()); err != nil {
		m.hosts[key] = h
		m.mu.Unlock()
		return err
	}
	delete(m.status, key)
	m.mu.Unlock()
	m.release(h)
	return nil
}

// Export is the configuration as ntopng exports it.
func (m *Monitor) Export() Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.configLocked()
}

// ValidateConfig checks an import without changing anything.
func (m *Monitor) ValidateConfig(c Config) error {
	hosts, err := c.Hosts()
	if err != nil {
		return err
	}
	if len(hosts) > m.cfg.MaxHosts {
		return fmt.Errorf("%w (%d > %d)", ErrFull, len(hosts), m.cfg.MaxHosts)
	}
	return nil
}

// Import replaces every host with those of c (ntopng resets, then adds).
func (m *Monitor) Import(c Config) error {
	if err := m.ValidateConfig(c); err != nil {
		m.st.configRejected.Add(1)
		return err
	}
	hosts, _ := c.Hosts()
	return m.replace(hosts)
}

// Reset removes every host, releasing their alerts.
func (m *Monitor) Reset() error { return m.replace(nil) }

func (m *Monitor) replace(hosts []Host) error {
	next := make(map[string]Host, len(hosts))
	for _, h := range hosts {
		next[h.Key()] = h
	}
	m.mu.Lock()
	old := m.hosts
	m.hosts = next
	if err := m.save(m.configLocked()); err != nil {
		m.hosts = old
		m.mu.Unlock()
		return err
	}
	var gone []Host
	for k, h := range old {
		if n, ok := next[k]; !ok || n.Granularity != h.Granularity {
			gone = append(gone, h)
			delete(m.status, k)
		}
	}
	m.mu.Unlock()
	for _, h := range gone {
		m.release(h)
	}
	return nil
}

// alertBase is the engaged-alert key of h.
func (m *Monitor) alertBase(h Host) alerts.Alert {
	return alerts.Alert{IfID: SystemIfID, Entity: alerts.EntityAMHost, EntityVal: h.Key(), Type: m.alertType,
		Granularity: GranularitySeconds(h.Granularity), Script: "active_monitoring", Subdir: "system"}
}

func (m *Monitor) release(h Host) {
	if m.deps.Alerts == nil {
		return
	}
	if m.deps.Alerts.Release(m.alertBase(h)) {
		m.st.alertsReleased.Add(1)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// resolve returns the address of a host name for the family.
func resolve(ctx context.Context, host string, v6 bool) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	network := "ip4"
	if v6 {
		network = "ip6"
	}
	addrs, err := resolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("resolve %s: no %s address", host, network)
	}
	return addrs[0].Unmap(), nil
}
