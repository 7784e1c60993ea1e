package api

import (
	"encoding/json"
	"net/netip"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lists"
)

// flowState is what ntopng keeps on a Flow beyond the status bitmap: the
// score and the status that was alerted.
type flowState struct {
	score, cliScore, srvScore int
	alerted                   bool
	alertedStatus             int
	alertedScore              int
	info                      string // flow.setCustomInfo
}

func (b *binding) stateIfAny(f *engine.Flow) *flowState { return b.flowState[f.ID()] }

func (b *binding) state(f *engine.Flow) *flowState {
	if st := b.flowState[f.ID()]; st != nil {
		return st
	}
	if len(b.flowState) >= b.pruneAt {
		b.pruneFlowState()
	}
	st := &flowState{}
	b.flowState[f.ID()] = st
	return st
}

// pruneFlowState drops the state of flows that are gone. It runs when the
// map doubles, so its cost is amortized over the insertions.
func (b *binding) pruneFlowState() {
	if t := b.ctx.Tables; t != nil {
		for id := range b.flowState {
			if t.Flow(id) == nil {
				delete(b.flowState, id)
			}
		}
	}
	b.pruneAt = max(1024, 2*len(b.flowState))
}

func (b *binding) alertedStatus(f *engine.Flow) int {
	if st := b.stateIfAny(f); st != nil && st.alerted {
		return st.alertedStatus
	}
	return 0
}

func clampScore(s int) int { return min(max(s, 0), maxScore) }

// statusReq is one flow.setStatus/triggerStatus call, normalized.
type statusReq struct {
	key                       int
	flowScore, cliScore, srvS int
	alertType                 int // 0: from the status table
	severity                  alerts.Severity
	params                    lua.LValue // alert_type_params / 4.0 status_info
	scriptKey                 string
	category                  int
}

// intField reads t[k] as a number, or t[k][sub] when it is a table.
func intField(t *lua.LTable, k, sub string) (int, bool) {
	switch v := t.RawGetString(k).(type) {
	case lua.LNumber:
		return int(v), true
	case *lua.LTable:
		if sub != "" {
			if n, ok := v.RawGetString(sub).(lua.LNumber); ok {
				return int(n), true
			}
		}
	}
	return 0, false
}

// statusKeyOf reads a status definition's key (4.2 status_key, 4.0 status_id).
func statusKeyOf(def *lua.LTable) (int, bool) {
	if k, ok := intField(def, "status_key", ""); ok {
		return k, true
	}
	return intField(def, "status_id", "")
}

// alertTypeOf reads alert_type.alert_key: a number, or {pen, key} for
// third-party plugins ((pen<<16)+key).
func alertTypeOf(t *lua.LTable) int {
	at, ok := t.RawGetString("alert_type").(*lua.LTable)
	if !ok {
		return 0
	}
	switch k := at.RawGetString("alert_key").(type) {
	case lua.LNumber:
		return int(k)
	case *lua.LTable:
		pen, _ := k.RawGetInt(1).(lua.LNumber)
		key, _ := k.RawGetInt(2).(lua.LNumber)
		return int(pen)<<16 + int(key)
	}
	return 0
}

// severityOf reads alert_severity.severity_id (4.2 ids; the 4.0 info id 0
// maps to info).
func severityOf(v lua.LValue) alerts.Severity {
	var id int
	switch x := v.(type) {
	case lua.LNumber:
		id = int(x)
	case *lua.LTable:
		n, ok := x.RawGetString("severity_id").(lua.LNumber)
		if !ok {
			return 0
		}
		id = int(n)
	default:
		return 0
	}
	if s := alerts.Severity(id); s.Valid() {
		return s
	}
	s, _ := alerts.SeverityFrom40(id)
	return s
}

// setStatus sets status req.key on f, adds the scores, and stores a flow
// alert when the status is new and scores higher than the one alerted so
// far (ntopng alerts a flow for its highest-scoring status). It reports
// whether the status was newly set.
func (b *binding) setStatus(f *engine.Flow, r statusReq) bool {
	if r.key <= 0 || r.key > 63 {
		return false
	}
	if f.Status&(1<<uint(r.key)) != 0 {
		return false
	}
	if b.ctx.Tables != nil {
		b.ctx.Tables.SetFlowStatus(f, uint8(r.key), true)
	} else {
		f.Status |= 1 << uint(r.key) // outside an owner call: no observer to tell
	}
	st := b.state(f)
	fs := clampScore(r.flowScore)
	st.score = clampScore(st.score + fs)
	st.cliScore = clampScore(st.cliScore + clampScore(r.cliScore))
	st.srvScore = clampScore(st.srvScore + clampScore(r.srvS))
	if st.alerted && (fs < st.alertedScore || fs == st.alertedScore && r.key > st.alertedStatus) {
		return true
	}
	replace := st.alerted
	st.alerted, st.alertedStatus, st.alertedScore = true, r.key, fs
	b.storeFlowAlert(f, r, fs, replace, luaJSON(r.params))
	return true
}

func (b *binding) storeFlowAlert(f *engine.Flow, r statusReq, score int, replace bool, paramsJSON string) {
	if b.ctx.Alerts == nil {
		return
	}
	def := flowStatuses[r.key]
	typ, sev := r.alertType, r.severity
	if typ == 0 {
		typ = def.alertType
	}
	if !sev.Valid() {
		sev = def.severity
		if !sev.Valid() {
			sev = alerts.SeverityError
		}
	}
	a := alerts.Alert{
		Type: typ, Severity: sev, Entity: alerts.EntityFlow, EntityVal: "flow",
		Tstamp: b.ctx.Now.Unix(), Script: r.scriptKey, Subdir: "flow", Category: r.category,
		JSON: b.flowAlertJSON(f, r.scriptKey, paramsJSON),
		Flow: b.flowAlertInfo(f, r.key, score, replace),
	}
	if b.ctx.Now.IsZero() {
		a.Tstamp = 0 // the store uses its clock
	}
	if b.ctx.Iface != nil {
		a.IfID = b.ctx.Iface.ID()
	}
	b.ctx.Alerts.StoreEvent(a)
}

// flowAlertJSON is 4.2's alert_json of a flow alert: {"info", "status_info"}
// where status_info is the JSON of the alert_type_params plus ntopng.key,
// hash_entry_id and alert_generation.
func (b *binding) flowAlertJSON(f *engine.Flow, script, paramsJSON string) string {
	si := map[string]any{}
	if paramsJSON != "" {
		var p any
		if json.Unmarshal([]byte(paramsJSON), &p) == nil {
			if m, ok := p.(map[string]any); ok {
				si = m
			}
		}
	}
	si["ntopng.key"] = f.Key()
	si["hash_entry_id"] = f.ID()
	si["alert_generation"] = map[string]any{"script_key": script, "subdir": "flow", "confset_id": 0}
	sij, _ := json.Marshal(si)
	info := f.L7Info()
	if st := b.stateIfAny(f); st != nil && st.info != "" {
		info = st.info
	}
	if info == "" {
		info = serverName(f)
	}
	out, _ := json.Marshal(map[string]string{"info": info, "status_info": string(sij)})
	return string(out)
}

func (b *binding) flowAlertInfo(f *engine.Flow, status, score int, replace bool) *alerts.FlowInfo {
	e := ext(f)
	info := f.L7Info()
	peer := func(ip netip.Addr, port uint16, local bool, as uint32, bl bool) alerts.FlowPeer {
		g := b.deps.GeoIP.Lookup(ip)
		if as == 0 {
			as = g.ASN
		}
		return alerts.FlowPeer{Addr: ip.String(), Port: int(port), Country: g.Country, ASN: as, Localhost: local, Blacklisted: bl}
	}
	return &alerts.FlowInfo{
		Status: status, Score: score, FirstSeen: int64(f.FirstSeen), VLAN: int(f.VLAN()),
		Proto: int(f.Proto()), ProtoNDPI: f.L7Name(), L7Master: int(f.L7Master), L7Proto: int(f.L7()),
		Cli2SrvBytes: f.CliBytes, Cli2SrvPkts: f.CliPkts, Srv2CliBytes: f.SrvBytes, Srv2CliPkts: f.SrvPkts,
		Cli:  peer(f.Client(), f.ClientPort(), b.cliLocal(f), e.CliAS, f.Blacklist&lists.SideClient != 0),
		Srv:  peer(f.Server(), f.ServerPort(), b.srvLocal(f), e.SrvAS, f.Blacklist&lists.SideServer != 0),
		Info: info, ReplaceAlert: replace,
	}
}

func init() {
	register("flow", []luaFn{
		flowNum("getStatus", func(f *engine.Flow) float64 { return float64(f.Status) }),
		fn("isStatusSet", func(b *binding, L *lua.LState) int {
			f := b.flow(L)
			k := L.CheckInt(1)
			L.Push(lua.LBool(k >= 0 && k < 64 && f.Status&(1<<uint(k)) != 0))
			return 1
		}),
		fn("getAlertedStatus", flowAlerted),
		fn("getPredominantStatus", flowAlerted), // 4.0 name
		fn("getAlertedStatusScore", func(b *binding, L *lua.LState) int {
			s := 0
			if st := b.stateIfAny(b.flow(L)); st != nil && st.alerted {
				s = st.alertedScore
			}
			b.pushI(L, int64(s))
			return 1
		}),
		fn("getScore", func(b *binding, L *lua.LState) int {
			s := 0
			if st := b.stateIfAny(b.flow(L)); st != nil {
				s = st.score
			}
			b.pushI(L, int64(s))
			return 1
		}),
		fn("setStatus", flowSetStatus),
		fn("clearStatus", func(b *binding, L *lua.LState) int {
			f := b.flow(L)
			var k int
			switch v := L.Get(1).(type) {
			case *lua.LTable:
				k, _ = statusKeyOf(v)
			default:
				k = L.CheckInt(1)
			}
			if k <= 0 || k > 63 || f.Status&(1<<uint(k)) == 0 {
				L.Push(lua.LFalse)
				return 1
			}
			if b.ctx.Tables != nil {
				b.ctx.Tables.SetFlowStatus(f, uint8(k), false)
			} else {
				f.Status &^= 1 << uint(k)
			}
			L.Push(lua.LTrue)
			return 1
		}),
		fn("triggerStatus", flowTriggerStatus),
		fn("triggerAlert", flowTriggerAlert),
	})
}

func flowAlerted(b *binding, L *lua.LState) int {
	b.pushI(L, int64(b.alertedStatus(b.flow(L))))
	return 1
}

// flowSetStatus accepts the 4.2 C form (status_key, flow_score, cli_score,
// srv_score, script_key[, category_id]) and the 4.0 Lua override
// (status_definition, flow_score, cli_score, srv_score).
func flowSetStatus(b *binding, L *lua.LState) int {
	f := b.flow(L)
	r := statusReq{flowScore: L.OptInt(2, 0), cliScore: L.OptInt(3, 0), srvS: L.OptInt(4, 0),
		scriptKey: b.ctx.Script}
	switch v := L.Get(1).(type) {
	case *lua.LTable:
		r.key, _ = statusKeyOf(v)
		r.alertType = alertTypeOf(v)
		r.severity = severityOf(v.RawGetString("alert_severity"))
	default:
		r.key = L.CheckInt(1)
		if s, ok := L.Get(5).(lua.LString); ok && s != "" {
			r.scriptKey = string(s)
		}
		r.category = L.OptInt(6, 0)
	}
	L.Push(lua.LBool(b.setStatus(f, r)))
	return 1
}

// flowTriggerStatus accepts the 4.2 form (status_info, flow_score,
// cli_score, srv_score), where status_info has a status_type field, and the
// 4.0 form (status_definition, status_info, flow_score, cli_score,
// srv_score, custom_severity).
func flowTriggerStatus(b *binding, L *lua.LState) int {
	f := b.flow(L)
	arg := L.CheckTable(1)
	r := statusReq{scriptKey: b.ctx.Script}
	if st, ok := arg.RawGetString("status_type").(*lua.LTable); ok {
		var found bool
		if r.key, found = statusKeyOf(st); !found {
			L.ArgError(1, "status_type has no status_key")
		}
		r.flowScore, r.cliScore, r.srvS = L.OptInt(2, 0), L.OptInt(3, 0), L.OptInt(4, 0)
		if r.alertType = alertTypeOf(arg); r.alertType == 0 {
			r.alertType = alertTypeOf(st)
		}
		if r.severity = severityOf(arg.RawGetString("alert_severity")); !r.severity.Valid() {
			r.severity = severityOf(st.RawGetString("alert_severity"))
		}
		r.params = arg.RawGetString("alert_type_params")
	} else {
		var found bool
		if r.key, found = statusKeyOf(arg); !found {
			L.ArgError(1, "expected a status_info (with status_type) or a status definition (with status_key)")
		}
		r.params = L.Get(2)
		r.flowScore, r.cliScore, r.srvS = L.OptInt(3, 0), L.OptInt(4, 0), L.OptInt(5, 0)
		r.alertType = alertTypeOf(arg)
		if r.severity = severityOf(L.Get(6)); !r.severity.Valid() {
			r.severity = severityOf(arg.RawGetString("alert_severity"))
		}
	}
	L.Push(lua.LBool(b.setStatus(f, r)))
	return 1
}

// flowTriggerAlert is the runner-internal (status_key, alert_key,
// severity_id, score, now[, status_info_json]): it stores the flow alert
// and returns {triggered=true, alert_json=...}.
func flowTriggerAlert(b *binding, L *lua.LState) int {
	f := b.flow(L)
	r := statusReq{key: L.CheckInt(1), alertType: L.CheckInt(2), severity: severityOf(L.Get(3)),
		scriptKey: b.ctx.Script}
	score := clampScore(L.OptInt(4, 0))
	st := b.state(f)
	replace := st.alerted
	st.alerted, st.alertedStatus, st.alertedScore = true, r.key, score
	js := b.flowAlertJSON(f, r.scriptKey, L.OptString(6, ""))
	b.storeFlowAlert(f, r, score, replace, L.OptString(6, ""))
	t := L.CreateTable(0, 2)
	t.RawSetString("triggered", lua.LTrue)
	t.RawSetString("alert_json", lua.LString(js))
	L.Push(t)
	return 1
}
