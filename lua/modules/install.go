package modules

import (
	"embed"
	"fmt"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"flowgate/alerts"
	"flowgate/lua/api"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// luaModules are the embedded modules, by require name.
var luaModules = []string{
	"lua_utils", "flow_utils", "alert_consts", "flow_consts", "user_scripts", "alerts_api",
	"alert_severities", "flow_keys", "format_utils", "alert_utils", "companion_interface_utils",
	"ts_utils", // over lua/api's flowgate_ts (Services.Timeseries)
	"rest_utils",
}

// Aliases: other names under which ntopng scripts require the same module.
var aliases = map[string]string{
	"json": "dkjson",
}

// Names lists every module Install makes require-able.
func Names() []string {
	out := append([]string(nil), luaModules...)
	return append(out, "dkjson", "json", "alert_keys", "flowgate_alerts", "flowgate_rest")
}

var (
	compileOnce sync.Once
	protos      map[string]*lua.FunctionProto
	compileErr  error
)

// compiled parses and compiles the embedded modules once per process; the
// prototypes are shared by every state.
func compiled() (map[string]*lua.FunctionProto, error) {
	compileOnce.Do(func() {
		protos = map[string]*lua.FunctionProto{}
		for _, name := range luaModules {
			src, err := luaFiles.ReadFile("lua/" + name + ".lua")
			if err != nil {
				compileErr = fmt.Errorf("lua module %s: %w", name, err)
				return
			}
			chunk, err := parse.Parse(strings.NewReader(string(src)), name+".lua")
			if err != nil {
				compileErr = fmt.Errorf("lua module %s: %w", name, err)
				return
			}
			p, err := lua.Compile(chunk, name+".lua")
			if err != nil {
				compileErr = fmt.Errorf("lua module %s: %w", name, err)
				return
			}
			protos[name] = p
		}
	})
	return protos, compileErr
}

func install(L *lua.LState, ctx *api.Context) {
	ps, err := compiled()
	if err != nil {
		// The modules are part of the binary; a failure is a build defect.
		panic(err)
	}
	for _, name := range luaModules {
		p := ps[name]
		L.PreloadModule(name, func(L *lua.LState) int {
			L.Push(L.NewFunctionFromProto(p))
			L.Call(0, 1)
			return 1
		})
	}
	var codec *jsonCodec
	var jsonMod *lua.LTable
	jsonLoader := func(L *lua.LState) int {
		if jsonMod == nil {
			codec = newJSONCodec(L)
			jsonMod = codec.module(L)
		}
		L.Push(jsonMod)
		return 1
	}
	L.PreloadModule("dkjson", jsonLoader)
	for alias := range aliases {
		L.PreloadModule(alias, jsonLoader)
	}
	L.PreloadModule("alert_keys", loadAlertKeys)
	L.PreloadModule("flowgate_rest", loadRESTConsts) // rest_utils.consts, from RESTCodes
	b := &bridge{ctx: ctx}
	L.PreloadModule("flowgate_alerts", b.load)
	// ntopng's runners require lua_utils before loading any script, and
	// scripts use its globals (shortFlowLabel, traceError, ...) unrequired.
	if err := L.CallByParam(lua.P{Fn: L.NewFunctionFromProto(ps["lua_utils"]), NRet: 1, Protect: true}); err != nil {
		panic(fmt.Errorf("lua module lua_utils: %w", err))
	}
	ret := L.Get(-1)
	L.Pop(1)
	if loaded, ok := L.GetField(L.GetGlobal("package"), "loaded").(*lua.LTable); ok {
		loaded.RawSetString("lua_utils", ret)
	}
}

// loadAlertKeys builds alert_keys: {ntopng = {name = id}, user = {...}}
// from the Go table, the single source of the numeric keys.
func loadAlertKeys(L *lua.LState) int {
	m := L.NewTable()
	ntopng, user := L.NewTable(), L.NewTable()
	for _, t := range alerts.Types() {
		if t.ID >= alerts.UserTypeBase {
			user.RawSetString(t.Key, lua.LNumber(t.ID))
		} else {
			ntopng.RawSetString(t.Key, lua.LNumber(t.ID))
		}
	}
	m.RawSetString("ntopng", ntopng)
	m.RawSetString("user", user)
	L.Push(m)
	return 1
}

// bridge is the flowgate_alerts module: alerts_api reaches the Go store
// through it, with the ifid, script and subdir of the running hook.
type bridge struct {
	ctx *api.Context
}

func (b *bridge) load(L *lua.LState) int {
	m := L.NewTable()
	L.SetFuncs(m, map[string]lua.LGFunction{
		"context": b.context,
		"trigger": b.trigger,
		"release": b.release,
		"store":   b.store,
		"engaged": b.engaged,
	})
	L.Push(m)
	return 1
}

func (b *bridge) ifid() int {
	if b.ctx == nil || b.ctx.Iface == nil {
		return -1 // the system interface
	}
	return b.ctx.Iface.ID()
}

// entity is the value of the entity the running hook is about.
func (b *bridge) entity() string {
	switch {
	case b.ctx == nil:
		return ""
	case b.ctx.Host != nil:
		return fmt.Sprintf("%s@%d", b.ctx.Host.IP(), b.ctx.Host.VLAN())
	case b.ctx.Network != nil:
		return b.ctx.Network.Prefix.String()
	case b.ctx.Flow != nil:
		return "flow"
	}
	return fmt.Sprint(b.ifid())
}

func (b *bridge) context(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("ifid", lua.LNumber(b.ifid()))
	t.RawSetString("entity", lua.LString(b.entity()))
	if b.ctx != nil {
		t.RawSetString("script", lua.LString(b.ctx.Script))
		t.RawSetString("subdir", lua.LString(b.ctx.Subdir))
		t.RawSetString("granularity", lua.LString(b.ctx.Granularity))
	}
	L.Push(t)
	return 1
}

func (b *bridge) now() int64 {
	if b.ctx != nil && !b.ctx.Now.IsZero() {
		return b.ctx.Now.Unix()
	}
	return time.Now().Unix()
}

// alertArgs reads (entity_id, entity_val, type_id, subtype, ...) shared by
// trigger, release and store.
func (b *bridge) alertArgs(L *lua.LState) alerts.Alert {
	a := alerts.Alert{
		IfID:      b.ifid(),
		Entity:    alerts.EntityType(L.CheckInt(1)),
		EntityVal: L.CheckString(2),
		Type:      L.CheckInt(3),
		Subtype:   L.OptString(4, ""),
	}
	if b.ctx != nil {
		a.Script, a.Subdir = b.ctx.Script, b.ctx.Subdir
	}
	return a
}

func (b *bridge) when(L *lua.LState, idx int) int64 {
	if n, ok := L.Get(idx).(lua.LNumber); ok && n > 0 {
		return int64(n)
	}
	return b.now()
}

func (b *bridge) store_() *alerts.Store {
	if b.ctx == nil {
		return nil
	}
	return b.ctx.Alerts
}

// trigger(entity_id, entity_val, type_id, subtype, severity_id, gran_secs, when, json, category) -> bool
func (b *bridge) trigger(L *lua.LState) int {
	return b.raise(L, func(s *alerts.Store, a alerts.Alert) { s.Trigger(a) })
}

// release(entity_id, entity_val, type_id, subtype, gran_secs, when) -> bool
func (b *bridge) release(L *lua.LState) int {
	a := b.alertArgs(L)
	a.Granularity = L.OptInt(5, 0)
	a.TstampEnd = b.when(L, 6)
	s := b.store_()
	if s == nil {
		L.Push(lua.LFalse)
		return 1
	}
	L.Push(lua.LBool(s.Release(a)))
	return 1
}

// store(entity_id, entity_val, type_id, subtype, severity_id, gran_secs, when, json, category) -> bool
func (b *bridge) store(L *lua.LState) int {
	return b.raise(L, (*alerts.Store).StoreEvent)
}

// raise reads the arguments trigger and store share, (entity_id,
// entity_val, type_id, subtype, severity_id, gran_secs, when, json,
// category), and hands the alert to do; it answers false without a store
// or with an invalid severity.
func (b *bridge) raise(L *lua.LState, do func(*alerts.Store, alerts.Alert)) int {
	a := b.alertArgs(L)
	a.Severity = alerts.Severity(L.CheckInt(5))
	a.Granularity = L.OptInt(6, 0)
	a.Tstamp = b.when(L, 7)
	a.JSON = L.OptString(8, "{}")
	a.Category = L.OptInt(9, 0)
	s := b.store_()
	if s == nil || !a.Severity.Valid() {
		L.Push(lua.LFalse)
		return 1
	}
	do(s, a)
	L.Push(lua.LTrue)
	return 1
}

// engaged(entity_id, entity_val) -> array of alert tables (docs/script-contract.md §5.3).
func (b *bridge) engaged(L *lua.LState) int {
	out := L.NewTable()
	if s := b.store_(); s != nil {
		for _, a := range s.Engaged(b.ifid(), alerts.EntityType(L.CheckInt(1)), L.CheckString(2)) {
			out.Append(AlertTable(L, a))
		}
	}
	L.Push(out)
	return 1
}

// AlertTable is the Lua table of an engaged alert as ntopng 4.2's
// getAlerts returns it (AlertableEntity::luaAlert); bindings that implement
// host.getAlerts and friends can use it.
func AlertTable(L *lua.LState, a alerts.Alert) *lua.LTable {
	t := L.CreateTable(0, 9)
	t.RawSetString("alert_type", lua.LNumber(a.Type))
	t.RawSetString("alert_subtype", lua.LString(a.Subtype))
	t.RawSetString("alert_severity", lua.LNumber(a.Severity))
	t.RawSetString("alert_entity", lua.LNumber(a.Entity))
	t.RawSetString("alert_entity_val", lua.LString(a.EntityVal))
	t.RawSetString("alert_tstamp", lua.LNumber(a.Tstamp))
	t.RawSetString("alert_tstamp_end", lua.LNumber(a.TstampEnd))
	t.RawSetString("alert_granularity", lua.LNumber(a.Granularity))
	t.RawSetString("alert_json", lua.LString(a.JSON))
	return t
}
