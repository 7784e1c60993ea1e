package api

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
)

// entityRef is what a host.*, network.* or interface.* alert call is about.
type entityRef struct {
	typ alerts.EntityType
	val string
}

func (e entityRef) cacheKey() string { return strconv.Itoa(int(e.typ)) + ":" + e.val }

func (b *binding) ifid() int {
	if b.ctx.Iface == nil {
		return -1 // ntopng's system interface
	}
	return b.ctx.Iface.ID()
}

// entityFuncs are the alert and cached-value functions host, network and
// interface share; cur resolves the table's current entity (raising a Lua
// error when there is none).
func entityFuncs(table string, cur func(b *binding, L *lua.LState) entityRef) []luaFn {
	return []luaFn{
		fn("getCachedAlertValue", func(b *binding, L *lua.LState) int {
			e := cur(b, L)
			k := L.CheckString(1) + ":" + strconv.Itoa(L.OptInt(2, 0))
			L.Push(lua.LString(b.cached[e.cacheKey()][k]))
			return 1
		}),
		fn("setCachedAlertValue", func(b *binding, L *lua.LState) int {
			e := cur(b, L)
			k := L.CheckString(1) + ":" + strconv.Itoa(L.OptInt(3, 0))
			m := b.cached[e.cacheKey()]
			if m == nil {
				m = make(map[string]string)
				b.cached[e.cacheKey()] = m
			}
			m[k] = L.ToString(2)
			return 0
		}),
		fn("getAlerts", func(b *binding, L *lua.LState) int {
			e := cur(b, L)
			gran := -1
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				gran = alerts.GranularitySeconds(L.CheckInt(1))
			}
			L.Push(b.engagedTable(L, e, gran))
			return 1
		}),
		fn("storeTriggeredAlert", func(b *binding, L *lua.LState) int {
			e := cur(b, L)
			L.Push(b.storeTriggered(L, e, 1))
			return 1
		}),
		fn("releaseTriggeredAlert", func(b *binding, L *lua.LState) int {
			e := cur(b, L)
			L.Push(b.releaseTriggered(L, e, 1))
			return 1
		}),
	}
}

// splitAlertKey parses "<alert_key>@<subtype>" (the subtype may be empty).
func splitAlertKey(k string) (typ int, subtype string) {
	t, sub, _ := strings.Cut(k, "@")
	typ, _ = strconv.Atoi(t)
	return typ, sub
}

// storeTriggered is storeTriggeredAlert(alert_key_name, granularity_id,
// severity_id, alert_type_id, subtype, alert_json) with arguments from
// index i: the alert table of docs/script-contract.md §5.3 for a new engagement, nil when it was
// already engaged (then only refreshed).
func (b *binding) storeTriggered(L *lua.LState, e entityRef, i int) lua.LValue {
	keyName := L.CheckString(i)
	gid := L.CheckInt(i + 1)
	sev := severityOf(L.Get(i + 2))
	typ := L.OptInt(i+3, 0)
	sub := L.OptString(i+4, "")
	ktyp, ksub := splitAlertKey(keyName)
	if typ == 0 {
		typ = ktyp
	}
	if sub == "" {
		sub = ksub
	}
	a := alerts.Alert{IfID: b.ifid(), Type: typ, Subtype: sub, Severity: sev, Entity: e.typ, EntityVal: e.val,
		Granularity: alerts.GranularitySeconds(gid), JSON: L.OptString(i+5, ""),
		Script: b.ctx.Script, Subdir: b.ctx.Subdir}
	if !b.ctx.Now.IsZero() {
		a.Tstamp = b.ctx.Now.Unix()
	}
	if b.ctx.Alerts == nil || !b.ctx.Alerts.Trigger(a) {
		return lua.LNil
	}
	for _, cur := range b.ctx.Alerts.Engaged(a.IfID, e.typ, e.val) {
		if cur.Key() == a.Key() {
			return b.alertTable(L, cur)
		}
	}
	return lua.LNil
}

// releaseTriggered is releaseTriggeredAlert(alert_key_name, granularity_id,
// when): the released alert's table, nil when none was engaged.
func (b *binding) releaseTriggered(L *lua.LState, e entityRef, i int) lua.LValue {
	typ, sub := splitAlertKey(L.CheckString(i))
	a := alerts.Alert{IfID: b.ifid(), Type: typ, Subtype: sub, Entity: e.typ, EntityVal: e.val,
		Granularity: alerts.GranularitySeconds(L.CheckInt(i + 1)), TstampEnd: int64(L.OptInt64(i+2, 0))}
	if a.TstampEnd == 0 && !b.ctx.Now.IsZero() {
		a.TstampEnd = b.ctx.Now.Unix()
	}
	if b.ctx.Alerts == nil {
		return lua.LNil
	}
	var found *alerts.Alert
	for _, cur := range b.ctx.Alerts.Engaged(a.IfID, e.typ, e.val) {
		if cur.Key() == a.Key() {
			found = &cur
			break
		}
	}
	if found == nil || !b.ctx.Alerts.Release(a) {
		return lua.LNil
	}
	if a.TstampEnd > found.TstampEnd {
		found.TstampEnd = a.TstampEnd
	}
	return b.alertTable(L, *found)
}

// alertTable is AlertableEntity::luaAlert (docs/script-contract.md §5.3).
func (b *binding) alertTable(L *lua.LState, a alerts.Alert) *lua.LTable {
	t := L.CreateTable(0, 9)
	b.setN(t, "alert_type", float64(a.Type))
	t.RawSetString("alert_subtype", lua.LString(a.Subtype))
	b.setN(t, "alert_severity", float64(a.Severity))
	b.setN(t, "alert_entity", float64(a.Entity))
	t.RawSetString("alert_entity_val", lua.LString(a.EntityVal))
	b.setN(t, "alert_tstamp", float64(a.Tstamp))
	b.setN(t, "alert_tstamp_end", float64(a.TstampEnd))
	b.setN(t, "alert_granularity", float64(a.Granularity))
	t.RawSetString("alert_json", lua.LString(a.JSON))
	return t
}

// engagedTable lists the alerts engaged on e, at granularity gran seconds
// (-1: any).
func (b *binding) engagedTable(L *lua.LState, e entityRef, gran int) *lua.LTable {
	t := L.NewTable()
	if b.ctx.Alerts == nil {
		return t
	}
	for _, a := range b.ctx.Alerts.Engaged(b.ifid(), e.typ, e.val) {
		if gran < 0 || a.Granularity == gran {
			t.Append(b.alertTable(L, a))
		}
	}
	return t
}
