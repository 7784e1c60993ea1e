package syslog

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
)

// handler is one producer: its queue, its goroutine and (inside that
// goroutine only) its Lua state.
type handler struct {
	r    *Runtime
	key  string
	path string
	file *contract.File

	q        chan engine.LogEvent
	stop     chan struct{}
	stopOnce sync.Once
	ready    sync.WaitGroup // every worker: done after setup (or failure to load)
	disabled atomic.Bool

	received, finished, handled, dropped atomic.Uint64
	syslog                               [6]atomic.Uint64 // interface.incSyslogStats
	// calls, errors (timeouts included), timeouts and the last error, as
	// every user script has them (lua/contract)
	counters contract.Stats
}

func (h *handler) enqueue(ev *engine.LogEvent) bool {
	select {
	case h.q <- *ev:
		return true
	default:
		return false
	}
}

// closeQueue asks the goroutine to drain, tear down and exit. The channel
// itself is never closed, so a Deliver racing with Stop cannot panic: its
// event is simply not handled.
func (h *handler) closeQueue() {
	h.stopOnce.Do(func() { close(h.stop) })
}

func (h *handler) stats() ProducerStats {
	le, _ := h.counters.LastError()
	return ProducerStats{Producer: h.key, Path: h.path, Received: h.received.Load(), Handled: h.handled.Load(),
		Dropped: h.dropped.Load(), Errors: h.counters.Errors.Load(), Timeouts: h.counters.Timeouts.Load(), Queued: len(h.q),
		TotEvents: h.syslog[0].Load(), Malformed: h.syslog[1].Load(), Unhandled: h.syslog[2].Load(),
		Alerts: h.syslog[3].Load(), HostCorrelations: h.syslog[4].Load(), Flows: h.syslog[5].Load(),
		LastError: le, HasHandler: true}
}

var (
	trampOnce  sync.Once
	trampProto *lua.FunctionProto
	trampErr   error
)

// trampoline binds syslog_conf to a 4.2 handler so that each event is a
// three-argument call (vm.State.Call takes at most three).
func trampoline() (*lua.FunctionProto, error) {
	trampOnce.Do(func() {
		trampProto, trampErr = vm.CompileString(
			"local f, conf = ...\nreturn function(m, h, p) return f(conf, m, h, p) end", "=syslog_dispatch")
	})
	return trampProto, trampErr
}

func (h *handler) fail(err error) {
	h.counters.Fail(err, time.Now()) // logged through the runtime's rate limiter
	h.r.rl.Warn("call:"+h.key, "syslog handler failed", "producer", h.key, "err", err.Error())
}

// run is one worker: it owns its Lua state (load, setup, events,
// teardown). A producer has Config.Workers of them on one queue.
func (h *handler) run(conf map[string]any) {
	r := h.r
	defer r.wg.Done()
	var readyOnce sync.Once
	markReady := func() { readyOnce.Do(h.ready.Done) }
	defer markReady()
	ctx := &api.Context{Engine: r.eng, Iface: r.iface, Alerts: r.store, Script: h.key, Subdir: "syslog", Now: time.Now()}
	st := contract.NewState(contract.Env{ScriptsDir: r.cfg.Dir, DataDir: r.cfg.DataDir, ModuleDirs: r.modDirs, Watchdog: r.wd, Deps: r.deps,
		Install: func(L *lua.LState, ctx *api.Context) {
			h.wrapSyslogStats(L)
			if r.cfg.Install != nil {
				r.cfg.Install(L, ctx)
			}
		}}, ctx)
	defer st.Close()
	call, script, form40, err := h.load(st, conf)
	if err != nil {
		h.disabled.Store(true)
		h.fail(err)
		r.log.Warn("syslog handler disabled", "producer", h.key, "file", h.path, "err", err)
		return
	}
	markReady()
	budget := r.cfg.CallBudget
	handle := func(ev *engine.LogEvent) {
		ctx.Now = time.Now()
		h.counters.Calls.Add(1)
		var err error
		if form40 {
			_, err = st.Call(budget, call, 1, lua.LString(ev.Message), nil, nil)
		} else {
			_, err = st.Call(budget, call, 3, lua.LString(ev.Message), lua.LString(ev.Host), lua.LNumber(ev.Priority))
		}
		if err != nil {
			h.fail(err)
		} else {
			h.handled.Add(1)
		}
		h.finished.Add(1)
	}
	for {
		select {
		case ev := <-h.q:
			handle(&ev)
		case <-h.stop:
			for {
				select {
				case ev := <-h.q:
					handle(&ev)
					continue
				default:
				}
				break
			}
			if td := script.Teardown; td != nil {
				ctx.Now = time.Now()
				if _, err := st.Call(r.cfg.LifecycleBudget, td, 1, h.scriptConf(st.L, conf), nil, nil); err != nil {
					h.fail(fmt.Errorf("teardown: %w", err))
				}
			}
			return
		}
	}
}

// load runs the script file (the user-script contract: a table with
// hooks.handleEvent, `all` expanded) and its setup, and resolves the
// handler.
func (h *handler) load(st *vm.State, conf map[string]any) (call lua.LValue, script *contract.Script, form40 bool, err error) {
	r := h.r
	s, err := contract.Load(st, h.file, r.cfg.LifecycleBudget)
	if err != nil {
		return nil, nil, false, err
	}
	fn := s.Hooks["handleEvent"]
	// The seed: "if it returns false then the script is considered
	// disabled". Returning nothing keeps it enabled (Kind.SetupNilEnables:
	// seed examples return true, but a handler without a return is common).
	ok, err := s.RunSetup(st, r.cfg.LifecycleBudget)
	if err != nil {
		return nil, nil, false, fmt.Errorf("setup: %w", err)
	}
	if !ok {
		return nil, nil, false, fmt.Errorf("%s: setup() returned false", h.path)
	}
	// 4.0 / dev-2019 handlers take (message); 4.2 ones
	// (syslog_conf, message, host, priority).
	if fn.Proto != nil && fn.Proto.NumParameters == 1 && fn.Proto.IsVarArg == 0 {
		return fn, s, true, nil
	}
	tp, err := trampoline()
	if err != nil {
		return nil, nil, false, err
	}
	lconf := vm.ToLua(st.L, conf)
	withDefaults(st.L, lconf, h.key, s.Table)
	mk, err := st.Call(r.cfg.LifecycleBudget, st.Load(tp), 2, fn, lconf, nil)
	if err != nil {
		return nil, nil, false, err
	}
	return mk, s, false, nil
}

// withDefaults fills syslog_conf[key].all.script_conf with the script's
// default_value for every key the configuration does not set, as ntopng's
// user_scripts.getConfig does: 4.2's host_log.lua reads
// syslog_conf.host_log.all.script_conf.threshold unguarded.
func withDefaults(L *lua.LState, conf lua.LValue, key string, script *lua.LTable) {
	def, ok := script.RawGetString("default_value").(*lua.LTable)
	if !ok {
		return
	}
	c, ok := conf.(*lua.LTable)
	if !ok {
		return
	}
	mine, ok := c.RawGetString(key).(*lua.LTable)
	if !ok {
		return
	}
	all, ok := mine.RawGetString("all").(*lua.LTable)
	if !ok {
		return
	}
	sc, ok := all.RawGetString("script_conf").(*lua.LTable)
	if !ok {
		sc = L.NewTable()
		all.RawSetString("script_conf", sc)
	}
	def.ForEach(func(k, v lua.LValue) {
		if sc.RawGet(k) == lua.LNil {
			sc.RawSet(k, v)
		}
	})
}

// scriptConf is this handler's script_conf (the teardown argument).
func (h *handler) scriptConf(L *lua.LState, conf map[string]any) lua.LValue {
	if c, ok := conf[h.key].(map[string]any); ok {
		if all, ok := c["all"].(map[string]any); ok {
			return vm.ToLua(L, all["script_conf"])
		}
	}
	return L.NewTable()
}

// wrapSyslogStats counts interface.incSyslogStats per producer, then lets
// the binding count it for interface.getStats() too.
func (h *handler) wrapSyslogStats(L *lua.LState) {
	it, ok := L.GetGlobal("interface").(*lua.LTable)
	if !ok {
		return
	}
	orig, _ := it.RawGetString("incSyslogStats").(*lua.LFunction)
	it.RawSetString("incSyslogStats", L.NewFunction(func(L *lua.LState) int {
		for k := 1; k <= 6 && k <= L.GetTop(); k++ {
			if n := L.OptInt64(k, 0); n > 0 {
				h.syslog[k-1].Add(uint64(n))
			}
		}
		if orig != nil && orig.IsG {
			return orig.GFunction(L)
		}
		return 0
	}))
}
