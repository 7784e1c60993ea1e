package scripts

import (
	"errors"
	"strconv"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
	"flowgate/lua/vm"
)

// granularity ids and seconds (alert_consts.alerts_granularities).
var grans = []struct {
	name string
	id   int
	secs int
}{{"min", 1, 60}, {"5mins", 2, 300}, {"hour", 3, 3600}, {"day", 4, 86400}}

// slot is the last boundary of granularity g at or before now, in now's
// location: every minute, every 5 minutes, on the hour, at local midnight.
func slot(g int, now time.Time) time.Time {
	y, mo, d := now.Date()
	h, mi, _ := now.Clock()
	loc := now.Location()
	switch g {
	case 0:
		return time.Date(y, mo, d, h, mi, 0, 0, loc)
	case 1:
		return time.Date(y, mo, d, h, mi-mi%5, 0, 0, loc)
	case 2:
		return time.Date(y, mo, d, h, 0, 0, 0, loc)
	}
	return time.Date(y, mo, d, 0, 0, 0, 0, loc)
}

// next is the boundary of granularity g after boundary b.
func next(g int, b time.Time) time.Time {
	if g == 3 {
		y, m, d := b.Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, b.Location())
	}
	return slot(g, b.Add(time.Duration(grans[g].secs)*time.Second+time.Second))
}

// PeriodicStats count the periodic runs of one granularity.
type PeriodicStats struct {
	Granularity string        `json:"granularity"`
	Runs        uint64        `json:"runs"`
	Overruns    uint64        `json:"overruns"` // runs that lasted longer than their period
	Skipped     uint64        `json:"skipped"`  // boundaries not run because a run overran
	LastRun     time.Time     `json:"last_run,omitzero"`
	LastTook    time.Duration `json:"last_took_ns"`
}

type scheduler struct {
	mu    sync.Mutex
	last  [4]time.Time // last boundary run (or skipped past)
	stats [4]PeriodicStats
}

func (s *scheduler) init() {
	for i, g := range grans {
		s.stats[i].Granularity = g.name
	}
}

// Periodic returns the scheduler counters per granularity.
func (r *Runtime) Periodic() []PeriodicStats {
	r.sched.mu.Lock()
	defer r.sched.mu.Unlock()
	return append([]PeriodicStats(nil), r.sched.stats[:]...)
}

// tick runs the granularities whose boundary passed since their last run.
// The first tick only arms the scheduler (the first runs happen at the
// next boundaries). Boundaries that pass during an overrunning run are
// skipped and counted, so runs never stack.
func (r *Runtime) tick(now time.Time) {
	for g := range grans {
		b := slot(g, now)
		r.sched.mu.Lock()
		last := r.sched.last[g]
		if last.IsZero() {
			r.sched.last[g] = b
			r.sched.mu.Unlock()
			continue
		}
		if !b.After(last) {
			r.sched.mu.Unlock()
			continue
		}
		r.sched.last[g] = b
		r.sched.mu.Unlock()

		r.runPeriodic(g, b)

		end := r.cfg.Now()
		took := end.Sub(b)
		r.sched.mu.Lock()
		st := &r.sched.stats[g]
		st.Runs++
		st.LastRun, st.LastTook = b, took
		if took >= time.Duration(grans[g].secs)*time.Second {
			st.Overruns++
			after := slot(g, end)
			if after.After(b) {
				n := 0
				for x := next(g, b); !x.After(after); x = next(g, x) {
					n++
				}
				st.Skipped += uint64(n)
				r.sched.last[g] = after
			}
			r.sched.mu.Unlock()
			r.log.Warn("periodic user scripts overran their period", "granularity", grans[g].name, "took", took, "skipped", st.Skipped)
			continue
		}
		r.sched.mu.Unlock()
	}
}

// runPeriodic runs granularity g at boundary when: per interface the
// interface, network and host scripts (inside Interface.Do, in states that
// goroutine owns), then the system scripts.
func (r *Runtime) runPeriodic(g int, when time.Time) {
	set := r.currentSet()
	if set == nil {
		return
	}
	if r.eng != nil {
		for _, i := range r.eng.Interfaces() {
			i.Do(func(t *engine.Tables) {
				for _, sub := range []string{"interface", "network", "host"} {
					r.runSubdir(set, sub, g, when, i, t)
				}
			})
		}
	}
	r.runSubdir(set, "system", g, when, nil, nil)
}

// loadedPeriodic is a periodic script loaded for one run.
type loadedPeriodic struct {
	fs *flowScript
	fn *lua.LFunction
}

// runSubdir is one ntopng periodic run of one script type: a fresh state,
// setup() of every enabled script with the hook, the hook for each entity,
// teardown(), then the release of engaged alerts no script re-confirmed.
func (r *Runtime) runSubdir(set *scriptSet, sub string, g int, when time.Time, i *engine.Interface, t *engine.Tables) {
	gname, gsecs := grans[g].name, grans[g].secs
	ifid := -1
	if i != nil {
		ifid = i.ID()
	}
	defer func() {
		if r.store != nil {
			et := entityOf(sub)
			w := when.Unix()
			r.store.ReleaseStale(ifid, gsecs, func(a alerts.Alert) bool { return a.Entity != et || a.TstampEnd >= w })
		}
	}()
	files := set.Files[sub]
	if len(files) == 0 {
		return
	}
	ctx := &api.Context{Engine: r.eng, Iface: i, Tables: t, Now: when, Granularity: gname, Subdir: sub, Alerts: r.store}
	var st *vm.State
	var run []loadedPeriodic
	for _, f := range files {
		in := r.conf.info(sub, f.Key)
		if in == nil || !hasHook(in.Hooks, gname) || !r.conf.get(sub, f.Key, gname).Enabled {
			continue
		}
		if st == nil {
			st = r.newState(ctx, set)
			defer st.Close()
		}
		s, err := evalScript(st, f, r.cfg.LifecycleBudget, i != nil && isPacketKind(i.Kind()))
		if err != nil {
			var skip *skipError
			if !errors.As(err, &skip) {
				r.scriptError(f, err)
			}
			continue
		}
		if s.isAlert && r.cfg.AlertsDisabled {
			continue
		}
		fs := &flowScript{s: s, stats: r.statsFor(f)}
		r.applyScriptConfig(st, ctx, fs, gname)
		if !fs.enabled {
			continue
		}
		run = append(run, loadedPeriodic{fs: fs, fn: s.Hooks[gname]})
	}
	if len(run) == 0 {
		return
	}
	L := st.L
	call := func(params *lua.LTable) {
		for _, lp := range run {
			s := lp.fs.s
			if s.localOnly && ctx.Host != nil && !ctx.Host.Local {
				continue
			}
			ctx.Script = s.f.Key
			params.RawSetString("user_script", s.Table)
			params.RawSetString("user_script_config", lp.fs.conf)
			lp.fs.stats.Calls.Add(1)
			if _, err := st.Call(r.cfg.CallBudget, lp.fn, 1, params, nil, nil); err != nil {
				r.scriptError(s.f, err)
			}
		}
	}
	base := func(entity alerts.EntityType, val string) *lua.LTable {
		p := L.NewTable()
		p.RawSetString("granularity", lua.LString(gname))
		ae := L.NewTable()
		ae.RawSetString("alert_entity", lua.LNumber(entity))
		ae.RawSetString("alert_entity_val", lua.LString(val))
		p.RawSetString("alert_entity", ae)
		return p
	}
	switch sub {
	case "system":
		p := base(alerts.EntityInterface, "-1")
		p.RawSetString("when", lua.LNumber(when.Unix()))
		p.RawSetString("ts_enabled", lua.LFalse)
		call(p)
	case "interface":
		val := strconv.Itoa(ifid)
		p := base(alerts.EntityInterface, val)
		p.RawSetString("entity_info", r.luaCall(st, "interface", "getStats"))
		p.RawSetString("cur_alerts", r.curAlerts(L, ifid, alerts.EntityInterface, val, gsecs))
		call(p)
	case "network":
		for _, n := range t.Networks() {
			ctx.Network = n
			val := n.Prefix.String()
			p := base(alerts.EntityNetwork, val)
			p.RawSetString("entity_info", r.luaCall(st, "network", "getNetworkStats"))
			p.RawSetString("cur_alerts", r.curAlerts(L, ifid, alerts.EntityNetwork, val, gsecs))
			call(p)
		}
		ctx.Network = nil
	case "host":
		var hosts []*engine.Host
		t.Hosts(func(h *engine.Host) bool { hosts = append(hosts, h); return true })
		for _, h := range hosts {
			ctx.Host = h
			ip := h.IP().String()
			val := ip + "@" + strconv.Itoa(int(h.VLAN()))
			p := base(alerts.EntityHost, val)
			p.RawSetString("entity_info", hostInfo(st, ip, h.VLAN()))
			p.RawSetString("cur_alerts", r.curAlerts(L, ifid, alerts.EntityHost, val, gsecs))
			p.RawSetString("when", lua.LNumber(when.Unix()))
			p.RawSetString("ifid", lua.LNumber(ifid))
			p.RawSetString("ts_enabled", lua.LFalse)
			call(p)
		}
		ctx.Host = nil
	}
	for _, lp := range run {
		if s := lp.fs.s; s.Teardown != nil {
			ctx.Script = s.f.Key
			if _, err := st.Call(r.cfg.LifecycleBudget, s.Teardown, 0, nil, nil, nil); err != nil {
				r.scriptError(s.f, err)
			}
		}
	}
}

func hasHook(hooks []string, h string) bool {
	for _, x := range hooks {
		if x == h {
			return true
		}
	}
	return false
}

func entityOf(sub string) alerts.EntityType {
	switch sub {
	case "host":
		return alerts.EntityHost
	case "network":
		return alerts.EntityNetwork
	}
	return alerts.EntityInterface
}

// luaCall calls the binding table.fn() if the state has it (the
// entity_info of interfaces and networks comes from the same accessor a
// script would use), else returns an empty table.
func (r *Runtime) luaCall(st *vm.State, table, fn string) lua.LValue {
	if t, ok := st.L.GetGlobal(table).(*lua.LTable); ok {
		if f, ok := t.RawGetString(fn).(*lua.LFunction); ok {
			if v, err := st.Call(r.cfg.CallBudget, f, 0, nil, nil, nil); err == nil && v != lua.LNil {
				return v
			}
		}
	}
	return st.L.NewTable()
}

// hostInfo is host.getIp() ({ip, vlan}, what ntopng passes) whose other
// fields resolve lazily through host.getInfo() on first access, so scripts
// reading params.entity_info.<field> work without building the big table
// for every host.
func hostInfo(st *vm.State, ip string, vlan uint16) *lua.LTable {
	L := st.L
	ei := L.NewTable()
	ei.RawSetString("ip", lua.LString(ip))
	ei.RawSetString("vlan", lua.LNumber(vlan))
	ht, ok := L.GetGlobal("host").(*lua.LTable)
	if !ok {
		return ei
	}
	getInfo, ok := ht.RawGetString("getInfo").(*lua.LFunction)
	if !ok {
		return ei
	}
	mt := L.NewTable()
	var full *lua.LTable
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if full == nil {
			L.Push(getInfo)
			if err := L.PCall(0, 1, nil); err != nil {
				full = L.NewTable()
			} else {
				full, _ = L.Get(-1).(*lua.LTable)
				L.Pop(1)
				if full == nil {
					full = L.NewTable()
				}
			}
		}
		L.Push(full.RawGet(L.Get(2)))
		return 1
	}))
	L.SetMetatable(ei, mt)
	return ei
}

// curAlerts is params.cur_alerts: the alerts engaged on the entity at this
// granularity, as alert tables (docs/script-contract.md §5.3).
func (r *Runtime) curAlerts(L *lua.LState, ifid int, et alerts.EntityType, val string, gsecs int) *lua.LTable {
	out := L.NewTable()
	if r.store == nil {
		return out
	}
	for _, a := range r.store.Engaged(ifid, et, val) {
		if a.Granularity != gsecs {
			continue
		}
		t := L.NewTable()
		t.RawSetString("alert_type", lua.LNumber(a.Type))
		t.RawSetString("alert_subtype", lua.LString(a.Subtype))
		t.RawSetString("alert_severity", lua.LNumber(a.Severity))
		t.RawSetString("alert_entity", lua.LNumber(a.Entity))
		t.RawSetString("alert_entity_val", lua.LString(a.EntityVal))
		t.RawSetString("alert_tstamp", lua.LNumber(a.Tstamp))
		t.RawSetString("alert_tstamp_end", lua.LNumber(a.TstampEnd))
		t.RawSetString("alert_granularity", lua.LNumber(a.Granularity))
		t.RawSetString("alert_json", lua.LString(a.JSON))
		out.Append(t)
	}
	return out
}
