// Package snmpscripts runs the SNMP user scripts: snmp_device scripts
// (callbacks/system/snmp_device/*.lua, hooks snmpDevice and
// snmpDeviceInterface, docs/script-contract.md §2.2) on the poller's latest
// state every minute and every 5 minutes, and trap scripts
// (callbacks/system/snmp_trap/*.lua, hooks.trap(trap)) on every received
// trap. Discovery (also the plugin trees' user_scripts/snmp_device and
// snmp_trap), the Lua state, the returned-table contract, the setup rule
// and the per-script counters are lua/contract's, as for every other user
// script, so scripts raise alerts through alerts_api.
package snmpscripts

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
	"flowgate/snmp"
)

// Configuration of the runner. Zero fields take defaults.
type Configuration struct {
	Dir     string // scripts root (--scripts-dir); default DataDir/scripts
	DataDir string
	// CallBudget bounds one hook call (default 1 s: SNMP scripts may call
	// ntop.snmpget, which waits for the network).
	CallBudget time.Duration
	// Schedule enables the min/5mins runs (default true via New; tests
	// call RunDevices themselves).
	NoSchedule bool
	Now        func() time.Time
	Logger     *slog.Logger
}

// Subdirectories under <Dir>/callbacks/system/.
const (
	DeviceSubdir = "snmp_device"
	TrapSubdir   = "snmp_trap"
)

// Runner runs SNMP device and trap scripts.
type Runner struct {
	cfg    Configuration
	poller *snmp.Poller
	store  *alerts.Store
	deps   api.Deps
	log    *slog.Logger
	wd     *vm.Watchdog

	mu      sync.Mutex                   // one device run at a time; guards prev
	prev    map[string]map[uint32]uint64 // device → ifIndex → oper status at the last run
	devices atomic.Pointer[[]*contract.File]
	traps   atomic.Pointer[[]*contract.File]
	modDirs atomic.Pointer[[]string] // the module path of the last Reload

	statsMu sync.Mutex
	stats   map[string]*contract.Stats // per script: "subdir/key"

	// The trap state belongs to the receiver's script goroutine.
	trapState *vm.State
	trapCtx   *api.Context
	trapSet   *[]*contract.File
	trapHooks []*loaded

	calls, errs, runs, trapCalls atomic.Uint64
	lastErr                      atomic.Pointer[string]

	stop chan struct{}
	done chan struct{}
}

// Counters of the runner.
type Counters struct {
	Runs      uint64 `json:"device_runs"`
	Calls     uint64 `json:"hook_calls"`
	TrapCalls uint64 `json:"trap_hook_calls"`
	Errors    uint64 `json:"errors"`
	LastError string `json:"last_error,omitempty"`
	Device    int    `json:"device_scripts"`
	Trap      int    `json:"trap_scripts"`
	// Scripts are the per-script counters ("snmp_device/key", "snmp_trap/key").
	Scripts map[string]ScriptCounters `json:"scripts,omitempty"`
}

// ScriptCounters are one script's counters.
type ScriptCounters struct {
	Calls      uint64 `json:"calls"`
	Errors     uint64 `json:"errors"`
	Timeouts   uint64 `json:"timeouts"`
	MissingAPI uint64 `json:"missing_api"`
	LastError  string `json:"last_error,omitempty"` // "file:line: message"
}

// DefaultConfiguration returns the defaults: 1 s per hook call, scheduled
// min/5mins runs.
func DefaultConfiguration() Configuration { return Configuration{CallBudget: time.Second} }

// New returns an inert runner.
func New(cfg Configuration, poller *snmp.Poller, store *alerts.Store, deps api.Deps) *Runner {
	if cfg.Dir == "" && cfg.DataDir != "" {
		cfg.Dir = filepath.Join(cfg.DataDir, "scripts")
	}
	if cfg.CallBudget <= 0 {
		cfg.CallBudget = DefaultConfiguration().CallBudget
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if deps.ScriptsDir == "" {
		deps.ScriptsDir = cfg.Dir
	}
	if deps.DataDir == "" {
		deps.DataDir = cfg.DataDir
	}
	return &Runner{cfg: cfg, poller: poller, store: store, deps: deps, log: cfg.Logger.With("component", "snmp_scripts"),
		wd: vm.NewWatchdog(0), prev: map[string]map[uint32]uint64{}, stats: map[string]*contract.Stats{}}
}

// Start compiles the scripts and starts the min/5mins schedule.
func (r *Runner) Start() error {
	r.wd.Start()
	if err := r.Reload(); err != nil {
		r.log.Warn("snmp scripts not loaded", "err", err)
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.loop()
	return nil
}

// Stop stops the schedule. The trap state is closed by the receiver's
// goroutine when it next runs, or left to the GC after Stop.
func (r *Runner) Stop() {
	if r.stop != nil {
		close(r.stop)
		<-r.done
		r.stop = nil
	}
	r.wd.Stop()
}

// Reload rediscovers and recompiles the device and trap scripts (every
// layout lua/contract knows: callbacks/system/snmp_{device,trap}/ and the
// plugin trees); running states pick them up at their next call. Files
// that do not compile are left out and reported.
func (r *Runner) Reload() error {
	set, err := contract.Discover(r.cfg.Dir, contract.SNMPDevice, contract.SNMPTrap)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		empty := []*contract.File{}
		r.devices.Store(&empty)
		r.traps.Store(&empty)
		return err
	}
	devices, traps := set.Files[contract.SNMPDevice], set.Files[contract.SNMPTrap]
	r.modDirs.Store(&set.ModuleDirs)
	r.devices.Store(&devices)
	r.traps.Store(&traps)
	r.log.Info("snmp scripts loaded", "device", len(devices), "trap", len(traps))
	return errors.Join(set.Problems...)
}

// Counters returns the runner's totals.
func (r *Runner) Counters() Counters {
	c := Counters{Runs: r.runs.Load(), Calls: r.calls.Load(), TrapCalls: r.trapCalls.Load(), Errors: r.errs.Load()}
	if p := r.lastErr.Load(); p != nil {
		c.LastError = *p
	}
	if d := r.devices.Load(); d != nil {
		c.Device = len(*d)
	}
	if t := r.traps.Load(); t != nil {
		c.Trap = len(*t)
	}
	r.statsMu.Lock()
	for id, s := range r.stats {
		if c.Scripts == nil {
			c.Scripts = map[string]ScriptCounters{}
		}
		le, _ := s.LastError()
		c.Scripts[id] = ScriptCounters{Calls: s.Calls.Load(), Errors: s.Errors.Load(), Timeouts: s.Timeouts.Load(),
			MissingAPI: s.MissingAPI.Load(), LastError: le}
	}
	r.statsMu.Unlock()
	return c
}

func (r *Runner) statsFor(f *contract.File) *contract.Stats {
	id := f.Subdir + "/" + f.Key
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	s := r.stats[id]
	if s == nil {
		s = &contract.Stats{}
		r.stats[id] = s
	}
	return s
}

// call runs one hook of f, counted per script and in the totals.
func (r *Runner) call(st *vm.State, f *contract.File, fn lua.LValue, nargs int, a, b, c lua.LValue) {
	r.statsFor(f).Calls.Add(1)
	if _, err := st.Call(r.cfg.CallBudget, fn, nargs, a, b, c); err != nil {
		r.fail(f, err)
	}
}

// fail accounts a failed load or call of f; the other scripts carry on.
func (r *Runner) fail(f *contract.File, err error) {
	r.errs.Add(1)
	s := f.Key + ": " + err.Error()
	r.lastErr.Store(&s)
	if _, logIt, sup := r.statsFor(f).Fail(err, time.Now()); logIt {
		r.log.Warn("snmp script failed", "script", f.Subdir+"/"+f.Key, "err", err, "suppressed_since_last_log", sup)
	}
}

func (r *Runner) newState(ctx *api.Context) *vm.State {
	env := contract.Env{ScriptsDir: r.cfg.Dir, DataDir: r.cfg.DataDir, Watchdog: r.wd, Deps: r.deps}
	if d := r.modDirs.Load(); d != nil {
		env.ModuleDirs = *d
	}
	return contract.NewState(env, ctx)
}

// lifecycleBudget bounds loading a script file, setup and teardown.
const lifecycleBudget = 10 * time.Second

// loaded is a script evaluated in a state.
type loaded struct {
	*contract.Script
	c    *contract.File
	conf lua.LValue // {enabled=true, script_conf=default_value}
	gran map[string]bool
}

// load evaluates the scripts in st (the contract: hooks of the kind, `all`
// expanded, default_enabled) and runs their setup(); a script whose setup
// returns false (or nothing) is skipped, as ntopng 4.2 does.
func (r *Runner) load(st *vm.State, list []*contract.File) []*loaded {
	var out []*loaded
	for _, c := range list {
		s, err := contract.Load(st, c, lifecycleBudget)
		if err != nil {
			r.fail(c, err)
			continue
		}
		if !s.DefaultEnabled {
			continue
		}
		l := &loaded{Script: s, c: c, gran: map[string]bool{}}
		t := s.Table
		// granularities: which periodic runs call the script; ntopng runs
		// SNMP device scripts every 5 minutes, so that is the default.
		switch g := t.RawGetString("granularities").(type) {
		case *lua.LTable:
			g.ForEach(func(_, v lua.LValue) { l.gran[lua.LVAsString(v)] = true })
		case lua.LString:
			l.gran[string(g)] = true
		default:
			l.gran["5mins"] = true
		}
		conf := st.L.NewTable()
		conf.RawSetString("enabled", lua.LTrue)
		sc := t.RawGetString("default_value")
		if _, ok := sc.(*lua.LTable); !ok {
			sc = st.L.NewTable()
		}
		conf.RawSetString("script_conf", sc)
		l.conf = conf
		ok, err := s.RunSetup(st, lifecycleBudget)
		if err != nil {
			r.fail(c, err)
			continue
		}
		if !ok {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (r *Runner) teardown(st *vm.State, ls []*loaded) {
	for _, l := range ls {
		if l.Teardown != nil {
			if _, err := st.Call(lifecycleBudget, l.Teardown, 0, nil, nil, nil); err != nil {
				r.fail(l.c, err)
			}
		}
	}
}

func (r *Runner) loop() {
	defer close(r.done)
	if r.cfg.NoSchedule {
		<-r.stop
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := r.cfg.Now().Truncate(time.Minute)
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		now := r.cfg.Now().Truncate(time.Minute)
		if !now.After(last) {
			continue
		}
		last = now
		r.RunDevices("min")
		if now.Minute()%5 == 0 {
			r.RunDevices("5mins")
		}
	}
}
