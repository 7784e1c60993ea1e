// Package scripts runs ntopng 4.x user scripts on flowgate's engine: it
// discovers and compiles the scripts, keeps their per-script configuration
// (persisted in the data dir, editable over REST), runs flow hooks from the
// engine's lifecycle events and periodic hooks (min, 5mins, hour, day) for
// interfaces, networks, hosts and the system, isolates failing or looping
// scripts, reloads on demand or when files change, and checks a directory
// without running it (`flowgate scripts check`).
package scripts

import (
	"errors"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
)

// Configuration of the runtime. Zero fields take defaults.
type Configuration struct {
	Dir     string // scripts root (--scripts-dir); default DataDir/scripts
	DataDir string // user_scripts_config.json lives here; "" keeps config in memory

	// CallBudget bounds one hook call (default 100 ms); a call that overruns
	// is stopped and counted as a timeout.
	CallBudget time.Duration
	// LifecycleBudget bounds setup/teardown/on* calls and the evaluation of
	// a script file (default 10 s: the seeds' teardown posts over HTTP).
	LifecycleBudget time.Duration
	// PollInterval is how often the directory is checked for changed files
	// (default 2 s; negative disables).
	PollInterval time.Duration
	// Now is the clock of the periodic scheduler (default time.Now); its
	// Location decides local midnight (default time.Local via Now).
	Now func() time.Time
	// AlertsDisabled skips is_alert scripts, as ntopng does when alerts are
	// globally disabled.
	AlertsDisabled bool
	// Install, if set, runs in every new Lua state after the bindings and
	// modules (extra globals for embedding or tests).
	Install func(L *lua.LState, ctx *api.Context)
	Logger  *slog.Logger
}

// DefaultConfiguration returns the defaults: 100 ms per hook call, 10 s per lifecycle call.
func DefaultConfiguration() Configuration { return Configuration{}.withDefaults() }

func (c Configuration) withDefaults() Configuration {
	if c.Dir == "" && c.DataDir != "" {
		c.Dir = filepath.Join(c.DataDir, "scripts")
	}
	if c.CallBudget <= 0 {
		c.CallBudget = 100 * time.Millisecond
	}
	if c.LifecycleBudget <= 0 {
		c.LifecycleBudget = 10 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ConfigFile is the name of the per-script configuration in the data dir.
const ConfigFile = "user_scripts_config.json"

// Runtime runs the user scripts of one directory on one engine.
type Runtime struct {
	cfg   Configuration
	eng   *engine.Engine
	store *alerts.Store
	deps  api.Deps
	log   *slog.Logger
	wd    *vm.Watchdog
	conf  *confStore

	set atomic.Pointer[scriptSet]
	gen atomic.Uint64

	statsMu sync.Mutex
	stats   map[string]*scriptStats // "subdir/key"

	obsMu     sync.Mutex
	observers []*flowObserver

	sched     scheduler
	reloadMu  sync.Mutex
	lastPrint string
	reloadReq chan struct{} // RequestReload: served by loop

	stop chan struct{}
	done chan struct{}
}

// New returns an inert runtime and registers its flow observer with eng
// (so New must precede eng.Start). It does no I/O.
func New(cfg Configuration, eng *engine.Engine, store *alerts.Store, deps api.Deps) *Runtime {
	cfg = cfg.withDefaults()
	r := &Runtime{cfg: cfg, eng: eng, store: store, deps: deps, log: cfg.Logger.With("component", "lua"),
		wd: vm.NewWatchdog(0), stats: map[string]*scriptStats{}, reloadReq: make(chan struct{}, 1)}
	if deps.ScriptsDir == "" {
		r.deps.ScriptsDir = cfg.Dir
	}
	if deps.DataDir == "" {
		r.deps.DataDir = cfg.DataDir
	}
	confPath := ""
	if cfg.DataDir != "" {
		confPath = filepath.Join(cfg.DataDir, ConfigFile)
	}
	r.conf = newConfStore(confPath)
	r.sched.init()
	if eng != nil {
		eng.Observe(r.observerFor)
	}
	return r
}

// Start loads the configuration and the scripts, and starts the watchdog,
// the periodic scheduler and the file poller. A scripts directory that does
// not exist yet is not an error: it is polled until it appears.
func (r *Runtime) Start() error {
	if err := r.conf.load(); err != nil {
		return err
	}
	r.wd.Start()
	if err := r.Reload(); err != nil {
		r.log.Warn("user scripts not loaded", "err", err)
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.loop(r.stop, r.done)
	return nil
}

// Stop stops the scheduler and poller and tears down the flow scripts (in
// their interface goroutines).
func (r *Runtime) Stop() {
	r.stopLoop()
	r.obsMu.Lock()
	obs := append([]*flowObserver(nil), r.observers...)
	r.obsMu.Unlock()
	for _, o := range obs {
		o.iface.Do(func(*engine.Tables) { o.close() })
	}
	r.wd.Stop()
}

// stopLoop stops the scheduler/poller goroutine only (tests drive tick).
func (r *Runtime) stopLoop() {
	if r.stop != nil {
		close(r.stop)
		<-r.done
		r.stop = nil
	}
}

func (r *Runtime) loop(stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPoll := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-r.reloadReq:
			if err := r.Reload(); err != nil {
				r.log.Warn("user scripts reload failed", "err", err)
			}
		case <-tick.C:
			r.tick(r.cfg.Now())
			if r.cfg.PollInterval > 0 && time.Since(lastPoll) >= r.cfg.PollInterval {
				lastPoll = time.Now()
				r.pollFiles()
			}
		}
	}
}

func (r *Runtime) pollFiles() {
	fp := fingerprint(r.cfg.Dir)
	r.reloadMu.Lock()
	changed := fp != r.lastPrint
	r.reloadMu.Unlock()
	if changed {
		r.log.Info("user scripts changed on disk: reloading", "dir", r.cfg.Dir)
		if err := r.Reload(); err != nil {
			r.log.Warn("user scripts reload failed", "err", err)
		}
	}
}

// Reload recompiles the scripts directory. Engine state is untouched: each
// flow Lua state is rebuilt by its own goroutine before its next hook
// (teardown of the old scripts, setup of the new ones); periodic runs use
// the new scripts from their next run.
func (r *Runtime) Reload() error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	r.lastPrint = fingerprint(r.cfg.Dir)
	set, err := compileSet(r.cfg.Dir, r.gen.Load()+1)
	if err != nil {
		return err
	}
	for _, p := range set.Problems {
		r.log.Warn("user script", "problem", p.Error())
	}
	r.conf.setDefs(r.describe(set))
	r.gen.Store(set.gen)
	r.set.Store(set)
	r.log.Info("user scripts loaded", "dir", r.cfg.Dir, "scripts", set.Count(), "generation", set.gen)
	return nil
}

// describe evaluates every script once in a scratch state for its hooks
// and factory configuration.
func (r *Runtime) describe(set *scriptSet) map[string]map[string]*info {
	out := map[string]map[string]*info{}
	ctx := &api.Context{Engine: r.eng, Alerts: r.store}
	st := r.newState(ctx, set)
	defer st.Close()
	for sub, files := range set.Files {
		for _, f := range files {
			s, err := evalScript(st, f, r.cfg.LifecycleBudget, true)
			if err != nil {
				var skip *skipError
				if !errors.As(err, &skip) {
					r.scriptError(f, err)
				}
				continue
			}
			in := &info{Subdir: sub, Key: f.Key, Path: f.Path, Title: s.Title, Description: s.Description,
				Default: HookConfig{Enabled: s.DefaultEnabled, ScriptConf: s.DefaultValue}, GUI: readGUI(s.Table)}
			for h := range s.Hooks {
				in.Hooks = append(in.Hooks, h)
			}
			sort.Strings(in.Hooks)
			if out[sub] == nil {
				out[sub] = map[string]*info{}
			}
			out[sub][f.Key] = in
			r.statsFor(f)
		}
	}
	return out
}

// newState builds a Lua state with the bindings and modules bound to ctx
// and the set's module path.
func (r *Runtime) newState(ctx *api.Context, set *scriptSet) *vm.State {
	env := contract.Env{ScriptsDir: r.cfg.Dir, DataDir: r.cfg.DataDir, Watchdog: r.wd, Deps: r.deps, Install: r.cfg.Install}
	if set != nil {
		env.ModuleDirs = set.ModuleDirs
	}
	return contract.NewState(env, ctx)
}

// ScriptStats are the counters of one script, over all Lua states.
type ScriptStats struct {
	Subdir        string    `json:"script_subdir"`
	Key           string    `json:"script_key"`
	Path          string    `json:"path"`
	Calls         uint64    `json:"calls"`
	Errors        uint64    `json:"errors"`   // every failed call, timeouts included
	Timeouts      uint64    `json:"timeouts"` // calls stopped by the budget
	MissingAPI    uint64    `json:"missing_api"`
	LastError     string    `json:"last_error,omitempty"` // "file:line: message"
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
}

type scriptStats struct {
	subdir, key, path string
	contract.Stats
}

func (r *Runtime) statsFor(f *file) *scriptStats {
	id := f.Subdir + "/" + f.Key
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	s := r.stats[id]
	if s == nil {
		s = &scriptStats{subdir: f.Subdir, key: f.Key}
		r.stats[id] = s
	}
	s.path = f.Path
	return s
}

// Stats returns per-script counters, sorted by subdir and key.
func (r *Runtime) Stats() []ScriptStats {
	r.statsMu.Lock()
	out := make([]ScriptStats, 0, len(r.stats))
	for _, s := range r.stats {
		le, at := s.LastError()
		out = append(out, ScriptStats{Subdir: s.subdir, Key: s.key, Path: s.path,
			Calls: s.Calls.Load(), Errors: s.Errors.Load(), Timeouts: s.Timeouts.Load(), MissingAPI: s.MissingAPI.Load(),
			LastError: le, LastErrorTime: at})
	}
	r.statsMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Subdir != out[j].Subdir {
			return out[i].Subdir < out[j].Subdir
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// scriptError accounts a failed call (contract.Stats: counted, never
// disabled automatically) and logs it, rate-limited per script.
func (r *Runtime) scriptError(f *file, err error) {
	kind, logIt, sup := r.statsFor(f).Fail(err, time.Now())
	if logIt {
		r.log.Warn("user script failed", "script", f.Subdir+"/"+f.Key, "kind", kind, "err", err.Error(), "suppressed_since_last_log", sup)
	}
}

func (r *Runtime) currentSet() *scriptSet { return r.set.Load() }

var errNotFound = errors.New("no such script")
var errBadHook = errors.New("the script has no such hook")
