// Package syslog runs ntopng syslog handler scripts
// (callbacks/syslog/<producer>.lua): one long-lived Lua state per producer,
// fed through a bounded queue whose drops are counted, with setup/teardown
// and hooks.handleEvent in its 4.2 (syslog_conf, message, host, priority)
// and 4.0 (message) forms. It is the engine.LogSink the syslog collector
// delivers to; the states are built with the same bindings and modules as
// the user-script runtime, bound to the syslog engine interface so that
// interface.processFlow lands flows there.
package syslog

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/internal/ratelog"
	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
)

// Configuration of the handler runtime. Zero fields take defaults.
type Configuration struct {
	Dir     string // scripts root (--scripts-dir)
	DataDir string

	QueueSize int // events queued per producer (default 65536)
	// Workers is the number of Lua states (goroutines) per producer, all
	// fed from the producer's queue (default 1, ntopng's model). More
	// workers scale a heavy handler (JSON decoding) over cores, at the
	// price that module-level variables are per state and events of one
	// producer may be handled out of order.
	Workers         int
	CallBudget      time.Duration // one handleEvent call (default 100 ms)
	LifecycleBudget time.Duration // loading, setup, teardown (default 10 s)

	// ScriptConf overrides a handler's default_value as the script_conf
	// its 4.2 syslog_conf carries (key → script_conf).
	ScriptConf map[string]map[string]any

	// Install, if set, runs in every new state after the bindings.
	Install func(L *lua.LState, ctx *api.Context)
	Logger  *slog.Logger
	// Metrics, when set, gets the per-producer families (metrics.go),
	// labelled with the interface; New registers them.
	Metrics prometheus.Registerer
}

// DefaultConfiguration returns the defaults: 65536 events queued per producer, 100 ms per handleEvent call.
func DefaultConfiguration() Configuration { return Configuration{}.withDefaults() }

func (c Configuration) withDefaults() Configuration {
	if c.QueueSize <= 0 {
		c.QueueSize = 65536
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.CallBudget <= 0 {
		c.CallBudget = 100 * time.Millisecond
	}
	if c.LifecycleBudget <= 0 {
		c.LifecycleBudget = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Runtime is the syslog handler runtime of one syslog interface.
type Runtime struct {
	cfg   Configuration
	iface *engine.Interface
	eng   *engine.Engine
	store *alerts.Store
	deps  api.Deps
	log   *slog.Logger
	rl    *ratelog.Limiter
	wd    *vm.Watchdog
	// modDirs is the module path of the handlers (lua/contract), set by
	// Start before any handler state exists.
	modDirs []string

	handlers atomic.Pointer[map[string]*handler]
	running  atomic.Bool
	mu       sync.Mutex // Start/Stop
	wg       sync.WaitGroup

	unhandledMu sync.Mutex
	unhandled   map[string]*atomic.Uint64 // producer without a handler → events
}

// New returns an inert runtime whose handlers run against iface (the
// syslog engine interface, kind "syslog"). eng and store may be nil.
func New(cfg Configuration, eng *engine.Engine, iface *engine.Interface, store *alerts.Store, deps api.Deps) *Runtime {
	cfg = cfg.withDefaults()
	if deps.ScriptsDir == "" {
		deps.ScriptsDir = cfg.Dir
	}
	if deps.DataDir == "" {
		deps.DataDir = cfg.DataDir
	}
	r := &Runtime{cfg: cfg, eng: eng, iface: iface, store: store, deps: deps,
		log: cfg.Logger.With("component", "syslog-lua"), wd: vm.NewWatchdog(0), unhandled: map[string]*atomic.Uint64{}}
	r.rl = ratelog.New(r.log, 10*time.Second)
	empty := map[string]*handler{}
	r.handlers.Store(&empty)
	if cfg.Metrics != nil && iface != nil {
		r.registerMetrics(cfg.Metrics)
	}
	return r
}

// Discover lists the handler files of dir: key (producer, lower case) →
// path, as lua/contract discovers syslog scripts: the pre-plugin
// callbacks/syslog/ wins over 4.2's callbacks/system/syslog/, then the
// plugin trees; the first file of a key wins.
func Discover(dir string) map[string]string {
	out := map[string]string{}
	set, err := contract.Discover(dir, contract.Syslog)
	if err != nil {
		return out
	}
	for _, f := range set.Files[contract.Syslog] {
		out[f.Key] = f.Path
	}
	for _, p := range set.Problems {
		var ve *vm.Error
		if errors.As(p, &ve) {
			out[strings.ToLower(strings.TrimSuffix(filepath.Base(ve.File), ".lua"))] = ve.File
		}
	}
	return out
}

// Start compiles the handlers and starts one goroutine (and Lua state) per
// producer, which runs the script and its setup before taking events. A
// script that does not compile or load is logged and left out; the others
// run.
func (r *Runtime) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wd.Start()
	hs := map[string]*handler{}
	var problems []string
	set, err := contract.Discover(r.cfg.Dir, contract.Syslog)
	if err != nil {
		set = &contract.Set{} // no scripts directory (yet): no handler
	}
	r.modDirs = set.ModuleDirs
	for _, p := range set.Problems {
		var ve *vm.Error
		if errors.As(p, &ve) {
			problems = append(problems, p.Error())
		}
		r.log.Warn("syslog handler not loaded", "err", p)
	}
	for _, f := range set.Files[contract.Syslog] {
		hs[f.Key] = &handler{r: r, key: f.Key, path: f.Path, file: f, q: make(chan engine.LogEvent, r.cfg.QueueSize),
			stop: make(chan struct{})}
	}
	keys := make([]string, 0, len(hs))
	for k := range hs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	conf := r.syslogConf(hs)
	for _, k := range keys {
		h := hs[k]
		h.ready.Add(r.cfg.Workers)
		for range r.cfg.Workers {
			r.wg.Add(1)
			go h.run(conf)
		}
	}
	// Wait for every state to finish its setup, so that the first events
	// find their handler loaded (setup is bounded by LifecycleBudget).
	for _, k := range keys {
		hs[k].ready.Wait()
	}
	for _, k := range keys {
		if hs[k].disabled.Load() {
			hs[k].closeQueue() // workers that did load tear down and exit
			delete(hs, k)
		}
	}
	r.handlers.Store(&hs)
	r.running.Store(true)
	r.log.Info("syslog handlers loaded", "dir", r.cfg.Dir, "producers", strings.Join(keys, ","))
	if len(problems) > 0 {
		return fmt.Errorf("syslog handlers: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Stop closes the queues; each producer drains what was queued, runs its
// teardown and closes its state.
func (r *Runtime) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running.Swap(false) {
		return
	}
	// The handlers stay in the map so that their counters remain readable;
	// Deliver refuses events from now on.
	hs := *r.handlers.Load()
	for _, h := range hs {
		h.closeQueue()
	}
	r.wg.Wait()
	r.wd.Stop()
}

// HasHandler tells whether producer has a loaded handler.
func (r *Runtime) HasHandler(producer string) bool {
	_, ok := (*r.handlers.Load())[producer]
	return ok
}

// Deliver queues ev for its producer's handler without blocking.
func (r *Runtime) Deliver(ev *engine.LogEvent) engine.LogDelivery {
	h := (*r.handlers.Load())[ev.Producer]
	if h == nil {
		r.countUnhandled(ev.Producer)
		return engine.LogNoHandler
	}
	h.received.Add(1)
	if !r.running.Load() || !h.enqueue(ev) {
		h.dropped.Add(1)
		return engine.LogDropped
	}
	return engine.LogQueued
}

func (r *Runtime) countUnhandled(p string) {
	r.unhandledMu.Lock()
	c := r.unhandled[p]
	if c == nil {
		if len(r.unhandled) >= 1024 {
			// Bounded: hostile senders can invent tags.
			p = "(other)"
			c = r.unhandled[p]
		}
		if c == nil {
			c = new(atomic.Uint64)
			r.unhandled[p] = c
		}
	}
	r.unhandledMu.Unlock()
	c.Add(1)
}

// syslogConf is 4.2's syslog_conf: {<key> = {all = {enabled, script_conf}}}
// for every handler, as Go values converted in each state.
func (r *Runtime) syslogConf(hs map[string]*handler) map[string]any {
	out := map[string]any{}
	for k := range hs {
		sc := map[string]any{}
		for ck, cv := range r.cfg.ScriptConf[k] {
			sc[ck] = cv
		}
		out[k] = map[string]any{"all": map[string]any{"enabled": true, "script_conf": sc}}
	}
	return out
}

// ProducerStats are one producer's counters, in ntopng's syslog stats
// names where they exist.
type ProducerStats struct {
	Producer         string `json:"producer"`
	Path             string `json:"path,omitempty"`
	Received         uint64 `json:"received"`  // events routed to it
	Handled          uint64 `json:"handled"`   // handleEvent calls that returned
	Dropped          uint64 `json:"dropped"`   // its queue was full
	Errors           uint64 `json:"errors"`    // calls that raised (timeouts included)
	Timeouts         uint64 `json:"timeouts"`  // calls stopped by the budget
	Queued           int    `json:"queued"`    // now in its queue
	Unhandled        uint64 `json:"unhandled"` // no handler (producers without a script), or counted by the script
	TotEvents        uint64 `json:"tot_events"`
	Malformed        uint64 `json:"malformed"`
	Alerts           uint64 `json:"alerts"`
	HostCorrelations uint64 `json:"host_correlations"`
	Flows            uint64 `json:"flows"`
	LastError        string `json:"last_error,omitempty"`
	HasHandler       bool   `json:"has_handler"`
}

// Stats returns per-producer counters (handlers, then producers seen
// without a handler), sorted by producer.
func (r *Runtime) Stats() []ProducerStats {
	var out []ProducerStats
	for _, h := range *r.handlers.Load() {
		out = append(out, h.stats())
	}
	r.unhandledMu.Lock()
	for p, c := range r.unhandled {
		out = append(out, ProducerStats{Producer: p, Received: c.Load(), Unhandled: c.Load()})
	}
	r.unhandledMu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Producer < out[j].Producer })
	return out
}

// Totals sums the producers' counters (the interface's syslog stats).
func (r *Runtime) Totals() ProducerStats {
	t := ProducerStats{Producer: "*"}
	for _, s := range r.Stats() {
		t.Received += s.Received
		t.Handled += s.Handled
		t.Dropped += s.Dropped
		t.Errors += s.Errors
		t.Timeouts += s.Timeouts
		t.Queued += s.Queued
		t.Unhandled += s.Unhandled
		t.TotEvents += s.TotEvents
		t.Malformed += s.Malformed
		t.Alerts += s.Alerts
		t.HostCorrelations += s.HostCorrelations
		t.Flows += s.Flows
	}
	return t
}

// WaitIdle waits until every queue is empty and no call runs, or the
// deadline passes (tests, benchmarks, shutdown reports).
func (r *Runtime) WaitIdle(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		busy := false
		for _, h := range *r.handlers.Load() {
			if h.received.Load() != h.finished.Load()+h.dropped.Load() {
				busy = true
			}
		}
		if !busy {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// SyslogTotals is the interface's "syslog" statistics in ntopng's names:
// tot_events counts every event routed to a producer (with or without a
// handler); malformed, alerts, host_correlations and flows are what the
// handlers reported through interface.incSyslogStats; unhandled adds the
// events of producers without a handler to what handlers reported.
func (r *Runtime) SyslogTotals() map[string]uint64 {
	t := r.Totals()
	return map[string]uint64{"tot_events": t.Received, "malformed": t.Malformed, "unhandled": t.Unhandled,
		"alerts": t.Alerts, "host_correlations": t.HostCorrelations, "flows": t.Flows, "dropped": t.Dropped}
}
