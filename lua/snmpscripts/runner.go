// Package snmpscripts runs the SNMP user scripts: snmp_device scripts
// (callbacks/system/snmp_device/*.lua, hooks snmpDevice and
// snmpDeviceInterface, spec user_scripts.md §2.2) on the poller's latest
// state every minute and every 5 minutes, and trap scripts
// (callbacks/system/snmp_trap/*.lua, hooks.trap(trap)) on every received
// trap. The Lua states carry the same bindings and modules as every other
// user script (lua/api, lua/modules) so scripts raise alerts through
// alerts_api.
package snmpscripts

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/lua/api"
	"flowgate/lua/modules"
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
	devices atomic.Pointer[[]*compiled]
	traps   atomic.Pointer[[]*compiled]

	// The trap state belongs to the receiver's script goroutine.
	trapState *vm.State
	trapCtx   *api.Context
	trapSet   *[]*compiled
	trapHooks []*loaded

	calls, errs, runs, trapCalls atomic.Uint64
	lastErr                      atomic.Pointer[string]

	stop chan struct{}
	done chan struct{}
}

type compiled struct {
	key, path string
	proto     *lua.FunctionProto
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
		wd: vm.NewWatchdog(0), prev: map[string]map[uint32]uint64{}}
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

// Reload recompiles both directories; running states pick them up at their
// next call.
func (r *Runner) Reload() error {
	var errs []error
	for _, x := range []struct {
		sub string
		dst *atomic.Pointer[[]*compiled]
	}{{DeviceSubdir, &r.devices}, {TrapSubdir, &r.traps}} {
		list, err := compileDir(filepath.Join(r.cfg.Dir, "callbacks", "system", x.sub))
		if err != nil {
			errs = append(errs, err)
		}
		x.dst.Store(&list)
	}
	r.log.Info("snmp scripts loaded", "device", len(*r.devices.Load()), "trap", len(*r.traps.Load()))
	return errors.Join(errs...)
}

func compileDir(dir string) ([]*compiled, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*compiled
	var errs []error
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".lua") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		proto, err := vm.Compile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, &compiled{key: strings.TrimSuffix(e.Name(), ".lua"), path: p, proto: proto})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, errors.Join(errs...)
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
	return c
}

func (r *Runner) fail(what string, err error) {
	r.errs.Add(1)
	s := what + ": " + err.Error()
	r.lastErr.Store(&s)
	r.log.Warn("snmp script failed", "script", what, "err", err)
}

func (r *Runner) newState(ctx *api.Context) *vm.State {
	return vm.New(vm.Options{ScriptsDir: r.cfg.Dir, DataDir: r.cfg.DataDir, Watchdog: r.wd,
		Install: func(L *lua.LState) {
			api.Install(L, ctx, r.deps)
			modules.Install(L, ctx)
		}})
}

// loaded is a script evaluated in a state.
type loaded struct {
	c     *compiled
	table *lua.LTable
	hooks map[string]*lua.LFunction
	conf  lua.LValue // {enabled=true, script_conf=default_value}
	gran  map[string]bool
}

// load evaluates the scripts in st and runs their setup(); a script whose
// setup returns false (or nothing) is skipped, as ntopng 4.2 does.
func (r *Runner) load(st *vm.State, list []*compiled, hookNames ...string) []*loaded {
	var out []*loaded
	for _, c := range list {
		ret, err := st.Call(10*time.Second, st.Load(c.proto), 0, nil, nil, nil)
		if err != nil {
			r.fail(c.key, err)
			continue
		}
		t, ok := ret.(*lua.LTable)
		if !ok {
			r.fail(c.key, fmt.Errorf("%s returns %s, not a table", c.path, ret.Type()))
			continue
		}
		hooks, _ := t.RawGetString("hooks").(*lua.LTable)
		if hooks == nil {
			r.fail(c.key, fmt.Errorf("%s: no hooks table", c.path))
			continue
		}
		l := &loaded{c: c, table: t, hooks: map[string]*lua.LFunction{}, gran: map[string]bool{}}
		for _, h := range hookNames {
			if fn, ok := hooks.RawGetString(h).(*lua.LFunction); ok {
				l.hooks[h] = fn
			}
		}
		if all, ok := hooks.RawGetString("all").(*lua.LFunction); ok {
			for _, h := range hookNames {
				l.hooks[h] = all
			}
		}
		if len(l.hooks) == 0 {
			continue
		}
		if v := t.RawGetString("default_enabled"); v == lua.LFalse {
			continue
		}
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
		if setup, ok := t.RawGetString("setup").(*lua.LFunction); ok {
			ok2, err := st.Call(10*time.Second, setup, 0, nil, nil, nil)
			if err != nil {
				r.fail(c.key, err)
				continue
			}
			if !lua.LVAsBool(ok2) {
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

func (r *Runner) teardown(st *vm.State, ls []*loaded) {
	for _, l := range ls {
		if td, ok := l.table.RawGetString("teardown").(*lua.LFunction); ok {
			if _, err := st.Call(10*time.Second, td, 0, nil, nil, nil); err != nil {
				r.fail(l.c.key, err)
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
