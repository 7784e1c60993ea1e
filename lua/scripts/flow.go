package scripts

import (
	"errors"
	"fmt"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/lua/api"
	"flowgate/lua/vm"
)

// Flow hook indexes.
const (
	hProtocolDetected = iota
	hStatusChanged
	hPeriodicUpdate
	hFlowEnd
	numFlowHooks
)

var flowHookNames = [numFlowHooks]string{"protocolDetected", "statusChanged", "periodicUpdate", "flowEnd"}

// flowScript is a flow script loaded in one observer's state, with
// everything a call needs pre-resolved.
type flowScript struct {
	s       *script
	stats   *scriptStats
	hooks   [numFlowHooks]*lua.LFunction
	enabled bool
	isSetup bool
	conf    lua.LValue // script_conf table
	confKey string     // JSON of the applied config, to notice changes
}

// flowObserver runs the flow scripts of one interface, in the interface's
// goroutine, in a Lua state that goroutine owns.
type flowObserver struct {
	r     *Runtime
	iface *engine.Interface
	ctx   *api.Context
	st    *vm.State
	gen   uint64
	cgen  uint64

	lists [numFlowHooks][]*flowScript // enabled-or-not scripts per hook, prio order

	nowUnix int64
	nowLV   lua.LValue

	inCall  bool
	pending []*engine.Flow // statusChanged raised during a hook
}

func (r *Runtime) observerFor(i *engine.Interface) engine.FlowObserver {
	o := &flowObserver{r: r, iface: i, ctx: &api.Context{Engine: r.eng, Iface: i, Alerts: r.store, Subdir: "flow"}, nowLV: lua.LNumber(0)}
	r.obsMu.Lock()
	r.observers = append(r.observers, o)
	r.obsMu.Unlock()
	return o
}

// OnFlow maps the engine's lifecycle events to flow hooks.
func (o *flowObserver) OnFlow(ev engine.FlowEvent, f *engine.Flow, now time.Time, t *engine.Tables) {
	var h int
	switch ev {
	case engine.FlowProtocolDetected:
		h = hProtocolDetected
	case engine.FlowPeriodicUpdate:
		h = hPeriodicUpdate
	case engine.FlowStatusChanged:
		h = hStatusChanged
		if o.inCall {
			// A hook changed the status (flow.triggerStatus): run
			// statusChanged after it, as ntopng dev-2019 did.
			o.pending = append(o.pending, f)
			return
		}
	case engine.FlowEnd:
		h = hFlowEnd
	default:
		return
	}
	if g := o.r.gen.Load(); g != o.gen {
		o.rebuild(g)
	}
	if o.st == nil {
		return
	}
	if c := o.r.conf.gen.Load(); c != o.cgen {
		o.applyConfig(c)
	}
	if len(o.lists[h]) == 0 {
		return
	}
	if u := now.Unix(); u != o.nowUnix {
		o.nowUnix, o.nowLV = u, lua.LNumber(u)
	}
	ctx := o.ctx
	ctx.Flow, ctx.Tables, ctx.Now = f, t, now
	o.inCall = true
	o.run(h, f)
	for len(o.pending) > 0 {
		pf := o.pending[0]
		o.pending = o.pending[1:]
		ctx.Flow = pf
		o.run(hStatusChanged, pf)
	}
	o.pending = o.pending[:0]
	o.inCall = false
	ctx.Flow, ctx.Tables = nil, nil
}

// run calls hook h of every matching script (docs/script-contract.md §2.3 order and filters).
func (o *flowObserver) run(h int, f *engine.Flow) {
	proto := int(f.Proto())
	for _, fs := range o.lists[h] {
		s := fs.s
		if !fs.enabled {
			continue
		}
		if s.l4 >= 0 && s.l4 != proto {
			continue
		}
		if h == hPeriodicUpdate && f.PeriodicCount%s.divisor != 0 {
			continue
		}
		if s.twh && proto == 6 && !twhOK(f) {
			continue
		}
		if s.l7 >= 0 && int(f.L7Master) != s.l7 && int(f.L7App) != s.l7 {
			continue
		}
		o.ctx.Script = s.f.Key
		fs.stats.Calls.Add(1)
		if err := o.st.Call2(o.r.cfg.CallBudget, fs.hooks[h], o.nowLV, fs.conf); err != nil {
			o.r.scriptError(s.f, err)
		}
	}
}

// twhOK: the client sent SYN and the server answered SYN-ACK.
func twhOK(f *engine.Flow) bool {
	const syn, ack = 0x02, 0x10
	return f.CliTCPFlags&syn != 0 && f.SrvTCPFlags&(syn|ack) == syn|ack
}

// rebuild replaces the state with one running generation g: teardown of the
// old scripts, load and setup of the new ones.
func (o *flowObserver) rebuild(g uint64) {
	o.close()
	o.gen = g
	set := o.r.currentSet()
	if set == nil || len(set.Files["flow"]) == 0 {
		return
	}
	o.st = o.r.newState(o.ctx, set)
	var all []*flowScript
	for _, f := range set.Files["flow"] {
		s, err := evalScript(o.st, f, o.r.cfg.LifecycleBudget, o.iface != nil && isPacketKind(o.iface.Kind()))
		if err != nil {
			var skip *skipError
			if errors.As(err, &skip) {
				o.r.log.Info("flow script skipped", "script", f.Key, "reason", skip.why)
			} else {
				o.r.scriptError(f, err)
			}
			continue
		}
		if s.isAlert && o.r.cfg.AlertsDisabled {
			continue
		}
		fs := &flowScript{s: s, stats: o.r.statsFor(f), conf: o.st.L.NewTable()}
		for i, n := range flowHookNames {
			fs.hooks[i] = s.Hooks[n]
		}
		all = append(all, fs)
	}
	// Descending prio; ties by key for a stable order.
	sort.SliceStable(all, func(i, j int) bool { return all[i].s.prio > all[j].s.prio })
	for _, fs := range all {
		for h := range fs.hooks {
			if fs.hooks[h] != nil {
				o.lists[h] = append(o.lists[h], fs)
			}
		}
	}
	o.cgen = ^uint64(0)
	o.applyConfig(o.r.conf.gen.Load())
}

// applyConfig refreshes enabled flags and script_conf tables, calling
// setup for scripts enabled for the first time and the 4.2 configuration
// callbacks.
func (o *flowObserver) applyConfig(c uint64) {
	o.cgen = c
	seen := map[*flowScript]bool{}
	for _, l := range o.lists {
		for _, fs := range l {
			if seen[fs] {
				continue
			}
			seen[fs] = true
			o.r.applyScriptConfig(o.st, o.ctx, fs, "flow")
		}
	}
}

// applyScriptConfig applies the current configuration to one loaded script
// (shared by flow observers and periodic runs).
func (r *Runtime) applyScriptConfig(st *vm.State, ctx *api.Context, fs *flowScript, hook string) {
	s := fs.s
	hc := r.conf.get(s.f.Subdir, s.f.Key, hook)
	key := fmt.Sprintf("%v|%v", hc.Enabled, hc.ScriptConf)
	if key == fs.confKey {
		return
	}
	first := fs.confKey == ""
	wasEnabled := fs.enabled
	fs.confKey = key
	conf := vm.ToLua(st.L, hc.ScriptConf)
	if conf == lua.LNil {
		conf = st.L.NewTable()
	}
	fs.conf = conf
	ctx.Script = s.f.Key
	if hc.Enabled && !fs.isSetup {
		fs.isSetup = true
		if s.Setup != nil {
			ok, err := s.RunSetup(st, r.cfg.LifecycleBudget)
			if err != nil {
				r.scriptError(s.f, err)
				fs.enabled = false
				return
			}
			if !ok {
				// ntopng 4.2 calls `setup_ok = script.setup()`: nil or false
				// disables the script.
				r.log.Info("user script disabled: setup() returned false or nothing (ntopng rule)", "script", s.f.Subdir+"/"+s.f.Key)
				fs.enabled = false
				fs.confKey = key
				fs.s.setupFailed = true
				return
			}
		}
	}
	if s.setupFailed {
		fs.enabled = false
		return
	}
	fs.enabled = hc.Enabled
	if first {
		return
	}
	hcT := st.L.NewTable()
	hcT.RawSetString("enabled", lua.LBool(hc.Enabled))
	hcT.RawSetString("script_conf", conf)
	var cb *lua.LFunction
	switch {
	case hc.Enabled && !wasEnabled:
		cb = s.OnEnable
	case !hc.Enabled && wasEnabled:
		cb = s.OnDisable
	case hc.Enabled:
		cb = s.OnUpdateConfig
	}
	if cb != nil {
		if _, err := st.Call(r.cfg.LifecycleBudget, cb, 2, lua.LString(hook), hcT, nil); err != nil {
			r.scriptError(s.f, err)
		}
	}
}

// close tears down the loaded scripts and the state (owner goroutine).
func (o *flowObserver) close() {
	if o.st == nil {
		return
	}
	seen := map[*flowScript]bool{}
	for h, l := range o.lists {
		for _, fs := range l {
			if !seen[fs] && fs.isSetup && !fs.s.setupFailed && fs.s.Teardown != nil {
				o.ctx.Script = fs.s.f.Key
				if _, err := o.st.Call(o.r.cfg.LifecycleBudget, fs.s.Teardown, 0, nil, nil, nil); err != nil {
					o.r.scriptError(fs.s.f, err)
				}
			}
			seen[fs] = true
		}
		o.lists[h] = nil
	}
	o.st.Close()
	o.st = nil
}
