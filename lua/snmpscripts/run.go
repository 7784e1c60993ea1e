package snmpscripts

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/lua/api"
	"flowgate/snmp"
)

var granSecs = map[string]int{"min": 60, "5mins": 300, "hour": 3600, "day": 86400}

// RunDevices runs the snmp_device scripts of granularity ("min", "5mins")
// once: per run a fresh Lua state, setup(), snmpDevice for each reachable
// device, snmpDeviceInterface for each of its interfaces, teardown(); then
// the SNMP alerts of that granularity no script re-confirmed are released
// (a threshold alert whose condition went away, or whose script was
// removed).
func (r *Runner) RunDevices(granularity string) {
	gsec, ok := granSecs[granularity]
	if !ok || r.poller == nil {
		return
	}
	set := r.devices.Load()
	if set == nil || len(*set) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs.Add(1)
	now := r.cfg.Now()
	runStart := now.Unix()
	ctx := &api.Context{Alerts: r.store, Now: now, Granularity: granularity, Subdir: DeviceSubdir}
	st := r.newState(ctx)
	defer st.Close()
	L := st.L
	var ls []*loaded
	uc := r.userConf(DeviceSubdir)
	for _, l := range r.load(st, *set) {
		if l.gran[granularity] && applyConf(L, l, uc) {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return
	}
	alertsAPI := requireModule(L, "alerts_api")
	entity := func(builder string, args ...lua.LValue) lua.LValue {
		tbl, ok := alertsAPI.(*lua.LTable)
		if !ok {
			return lua.LNil
		}
		fn := tbl.RawGetString(builder)
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, args...); err != nil {
			return lua.LNil
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	for _, dev := range r.poller.Devices() {
		if !dev.Reachable {
			continue
		}
		ifs, _ := r.poller.Interfaces(dev.Key)
		prev := r.prev[dev.Key]
		next := make(map[uint32]uint64, len(ifs))
		ip := lua.LString(dev.Key)
		cached := L.NewTable()
		sys := L.NewTable()
		sys.RawSetString("name", lua.LString(dev.System.Name))
		sys.RawSetString("descr", lua.LString(dev.System.Descr))
		sys.RawSetString("object_id", lua.LString(dev.System.ObjectID))
		sys.RawSetString("uptime", lua.LNumber(dev.System.UpTime))
		sys.RawSetString("location", lua.LString(dev.System.Location))
		sys.RawSetString("contact", lua.LString(dev.System.Contact))
		cached.RawSetString("system", sys)
		cached.RawSetString("ip", ip)
		cached.RawSetString("num_interfaces", lua.LNumber(len(ifs)))
		info := L.NewTable()
		info.RawSetString("granularity", lua.LString(granularity))
		info.RawSetString("alert_entity", entity("snmpDeviceEntity", ip))
		info.RawSetString("cached_device", cached)
		info.RawSetString("now", lua.LNumber(now.Unix()-now.Unix()%300))
		for _, l := range ls {
			fn := l.Hooks["snmpDevice"]
			if fn == nil {
				continue
			}
			ctx.Script = l.c.Key
			info.RawSetString("user_script", l.Table)
			r.calls.Add(1)
			r.call(st, l.c, fn, 3, ip, info, l.conf)
		}
		for k := range ifs {
			i := &ifs[k]
			if i.OperStatus != 0 {
				next[i.Index] = i.OperStatus
			}
			var ii *lua.LTable
			for _, l := range ls {
				fn := l.Hooks["snmpDeviceInterface"]
				if fn == nil {
					continue
				}
				if ii == nil {
					ii = ifInfo(L, i, prev, granularity, now)
					ii.RawSetString("alert_entity", entity("snmpInterfaceEntity", ip, lua.LNumber(i.Index)))
				}
				ctx.Script = l.c.Key
				ii.RawSetString("user_script", l.Table)
				ii.RawSetString("conf", l.conf.(*lua.LTable).RawGetString("script_conf"))
				r.calls.Add(1)
				r.call(st, l.c, fn, 3, ip, lua.LNumber(i.Index), ii)
			}
		}
		r.prev[dev.Key] = next
	}
	r.teardown(st, ls)
	if r.store != nil {
		r.store.ReleaseStale(-1, gsec, func(a alerts.Alert) bool {
			return a.Entity != alerts.EntitySNMPDevice || a.Subdir != DeviceSubdir || a.TstampEnd >= runStart
		})
	}
}

// ifInfo is the snmpDeviceInterface table: the cached interface (ntopng's
// fields where they exist) plus flowgate's rates, previous status and the
// flow traffic seen on the interface.
func ifInfo(L *lua.LState, i *snmp.Interface, prev map[uint32]uint64, granularity string, now time.Time) *lua.LTable {
	t := L.NewTable()
	set := func(k string, v lua.LValue) { t.RawSetString(k, v) }
	n := func(v uint64) lua.LValue { return lua.LNumber(v) }
	set("index", n(uint64(i.Index)))
	set("name", lua.LString(i.Name))
	set("alias", lua.LString(i.Alias))
	set("descr", lua.LString(i.Descr))
	set("type", n(i.Type))
	set("speed", n(i.SpeedBps()))
	set("admin_status", n(i.AdminStatus))
	set("oper_status", n(i.OperStatus))
	set("status", lua.LString(snmp.OperStatusName(i.OperStatus)))
	if p, ok := prev[i.Index]; ok {
		set("prev_oper_status", n(p))
		set("prev_status", lua.LString(snmp.OperStatusName(p)))
	}
	set("in_bps", lua.LNumber(i.InBps))
	set("out_bps", lua.LNumber(i.OutBps))
	if sp := i.SpeedBps(); sp > 0 {
		set("in_utilization", lua.LNumber(i.InBps*100/float64(sp)))
		set("out_utilization", lua.LNumber(i.OutBps*100/float64(sp)))
	}
	set("in_errors_delta", n(i.InErrorsDelta))
	set("out_errors_delta", n(i.OutErrorsDelta))
	set("flow_bytes_in", n(i.FlowBytesIn))
	set("flow_bytes_out", n(i.FlowBytesOut))
	c := L.NewTable()
	for k, v := range map[string]uint64{"in_octets": i.InOctets, "out_octets": i.OutOctets, "in_errors": i.InErrors,
		"out_errors": i.OutErrors, "in_discards": i.InDiscards, "out_discards": i.OutDiscards,
		"in_ucast_pkts": i.InUcastPkts, "out_ucast_pkts": i.OutUcastPkts, "in_mcast_pkts": i.InMulticastPkts,
		"out_mcast_pkts": i.OutMulticastPkts, "in_bcast_pkts": i.InBroadcastPkts, "out_bcast_pkts": i.OutBroadcastPkts} {
		c.RawSetString(k, n(v))
	}
	set("if_counters", c)
	set("bridge", L.NewTable())
	set("granularity", lua.LString(granularity))
	set("now", lua.LNumber(now.Unix()))
	return t
}

func requireModule(L *lua.LState, name string) lua.LValue {
	if err := L.CallByParam(lua.P{Fn: L.GetGlobal("require"), NRet: 1, Protect: true}, lua.LString(name)); err != nil {
		return lua.LNil
	}
	v := L.Get(-1)
	L.Pop(1)
	return v
}

// OnTrap runs the trap scripts on t. It is the receiver's TrapDeps.OnTrap:
// it always runs in the receiver's script goroutine, which owns the Lua
// state (rebuilt when the scripts were reloaded).
func (r *Runner) OnTrap(t snmp.Trap) {
	set := r.traps.Load()
	if set == nil || len(*set) == 0 {
		return
	}
	if r.trapSet != set {
		if r.trapState != nil {
			r.trapState.Close()
		}
		r.trapCtx = &api.Context{Alerts: r.store, Subdir: TrapSubdir}
		r.trapState = r.newState(r.trapCtx)
		r.trapSet = set
		uc := r.userConf(TrapSubdir)
		r.trapHooks = r.trapHooks[:0]
		for _, l := range r.load(r.trapState, *set) {
			if applyConf(r.trapState.L, l, uc) {
				r.trapHooks = append(r.trapHooks, l)
			}
		}
	}
	if len(r.trapHooks) == 0 {
		return
	}
	L := r.trapState.L
	tt := L.NewTable()
	tt.RawSetString("source", lua.LString(t.Source))
	tt.RawSetString("version", lua.LString(t.Version))
	if t.Community != "" {
		tt.RawSetString("community", lua.LString(t.Community))
	}
	if t.User != "" {
		tt.RawSetString("user", lua.LString(t.User))
	}
	tt.RawSetString("trap_oid", lua.LString(t.TrapOID))
	tt.RawSetString("uptime", lua.LNumber(t.Uptime))
	tt.RawSetString("inform", lua.LBool(t.Inform))
	vbs := L.CreateTable(len(t.Varbinds), 0)
	for _, v := range t.Varbinds {
		vb := L.CreateTable(0, 3)
		vb.RawSetString("oid", lua.LString(v.OID))
		vb.RawSetString("type", lua.LString(v.Type))
		vb.RawSetString("value", lua.LString(v.Value))
		vbs.Append(vb)
	}
	tt.RawSetString("varbinds", vbs)
	r.trapCtx.Now = t.Time
	for _, l := range r.trapHooks {
		r.trapCtx.Script = l.c.Key
		r.trapCalls.Add(1)
		r.call(r.trapState, l.c, l.Hooks["trap"], 1, tt, nil, nil)
	}
}
