package modules

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/internal/testpeer"
	"flowgate/lua/api"
)

// newState is a fresh state with the modules installed, hooked to a store
// and to interface 0 of an engine, as the runner would set it up.
func newState(t testing.TB) (*lua.LState, *api.Context) {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	eng := engine.New(engine.DefaultConfiguration())
	ctx := &api.Context{
		Engine: eng, Iface: eng.AddInterface("eth0", "zmq"),
		Alerts: alerts.NewStore(alerts.Config{}),
		Now:    time.Unix(1604300000, 0), Granularity: "min", Script: "bytes", Subdir: "host",
	}
	Install(L, ctx)
	return L, ctx
}

// eval runs a chunk and returns its first result as a string.
func eval(L *lua.LState, code string) (string, error) {
	fn, err := L.LoadString(code)
	if err != nil {
		return "", err
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		return "", err
	}
	v := L.Get(-1)
	L.Pop(1)
	return v.String(), nil
}

func TestEveryModuleLoads(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			L, _ := newState(t)
			// package.path must not matter: scripts reset it to ntopng's dirs.
			got, err := eval(L, `package.path = "/nonexistent/?.lua"; return type(require("`+name+`"))`)
			if err != nil {
				t.Fatal(err)
			}
			if got != "table" {
				t.Errorf("require(%q) gave a %s", name, got)
			}
		})
	}
}

func TestLuaSnippets(t *testing.T) {
	for _, tc := range []struct {
		name, code, want string
	}{
		// lua_utils
		{"trace levels", `require "lua_utils"; return TRACE_ERROR..TRACE_WARNING..TRACE_NORMAL..TRACE_INFO..TRACE_DEBUG..TRACE_CONSOLE..TRACE_WEB`, "0123401"},
		{"isEmptyString", `require "lua_utils"; return tostring(isEmptyString(nil))..tostring(isEmptyString(""))..tostring(isEmptyString("x"))`, "truetruefalse"},
		{"starts ends", `require "lua_utils"; return tostring(starts("hello","he"))..tostring(ends("hello","lo"))..tostring(string.ends("a","b"))`, "truetruefalse"},
		{"split plain", `require "lua_utils"; return table.concat(split("a.b..c", "."), "|")`, "a|b||c"},
		{"table.len", `require "lua_utils"; return table.len({1,2,x=3})..tablelen({})..table.len(nil)`, "300"},
		{"table.clone is deep", `require "lua_utils"; local a={x={1}}; local b=table.clone(a); b.x[1]=2; return a.x[1]`, "1"},
		{"table.merge", `require "lua_utils"; local m=table.merge({a=1,b=1},{b=2}); return m.a..m.b`, "12"},
		{"table.unpack", `require "lua_utils"; local a,b = table.unpack({1,2}); return a+b`, "3"},
		{"pairsByKeys", `require "lua_utils"; local s=""; for k,v in pairsByKeys({c=3,a=1,b=2}) do s=s..k..v end; return s`, "a1b2c3"},
		{"pairsByValues", `require "lua_utils"; local s=""; for k in pairsByValues({c=1,a=3,b=2}, rev) do s=s..k end; return s`, "abc"},
		{"round", `require "lua_utils"; return round(2.567, 2)..","..round(2.5)`, "2.57,3"},
		{"bytesToSize", `require "lua_utils"; return bytesToSize(512).."|"..bytesToSize(1536).."|"..bytesToSize(3*1024*1024)`, "512 B|1.50 KB|3.00 MB"},
		{"formatPackets", `require "lua_utils"; return formatPackets(1).."|"..formatPackets(1234567)`, "1 Pkt|1,234,567 Pkts"},
		{"formatValue", `require "lua_utils"; return formatValue(1000)`, "1,000"},
		{"secondsToTime", `require "lua_utils"; return secondsToTime(3725)`, "1 h, 2 min, 5 sec"},
		{"hostinfo2hostkey", `require "lua_utils"; return hostinfo2hostkey({ip="1.2.3.4", vlan=0}).." "..hostinfo2hostkey({ip="1.2.3.4", vlan=0}, nil, true).." "..hostinfo2hostkey({host="::1", vlan=7})`, "1.2.3.4 1.2.3.4@0 ::1@7"},
		{"hostkey2hostinfo", `require "lua_utils"; local h=hostkey2hostinfo("10.0.0.1@3"); return h.host.." "..h.vlan`, "10.0.0.1 3"},
		{"ternary", `require "lua_utils"; return ternary(false, "a", "b")`, "b"},
		{"noHtml", `require "lua_utils"; return noHtml("<b>x</b> &gt; 1")`, "x > 1"},
		{"i18n fills params", `require "lua_utils"; return i18n("%{a} crossed %{b}", {a="bytes", b=3})`, "bytes crossed 3"},
		{"shortFlowLabel", `require "lua_utils"; return shortFlowLabel({["proto.ndpi"]="DNS", ["proto.l4"]="UDP", ["cli.ip"]="10.0.0.1", ["cli.port"]=5353, ["srv.ip"]="8.8.8.8", ["srv.port"]=53, info="example.com"})`, "[DNS] UDP 10.0.0.1:5353 -> 8.8.8.8:53 [example.com]"},
		{"shortFlowLabel v6", `require "lua_utils"; return shortFlowLabel({["proto.ndpi"]="TLS", ["proto.l4"]="TCP", ["cli.ip"]="::1", ["cli.port"]=1, ["srv.ip"]="::2", ["srv.port"]=443})`, "[TLS] TCP [::1]:1 -> [::2]:443"},
		{"l4 protos", `require "lua_utils"; return l4_proto_to_id("tcp")..l4_proto_to_string(17)`, "6UDP"},
		{"isIPv4", `require "lua_utils"; return tostring(isIPv4("1.2.3.4"))..tostring(isIPv4("1.2.3.400"))`, "truefalse"},
		// flow_utils
		{"get_dns_type", `require "flow_utils"; return get_dns_type("AAAA")..","..get_dns_type("a")..","..get_dns_type("bogus")`, "28,1,0"},
		// alert_consts
		{"severities", `local c=require("alert_consts"); local s=c.alert_severities; return s.debug.severity_id..s.error.severity_id..s.emergency.severity_id.." "..s.error.syslog_severity..s.warning.syslog_severity`, "158 34"},
		{"severity helpers", `local c=require("alert_consts"); return c.alertSeverityRaw(4).." "..c.alertSeverity("critical")`, "warning 6"},
		{"entities", `local c=require("alert_consts"); local e=c.alert_entities; return e.interface.entity_id..e.host.entity_id..e.network.entity_id..e.flow.entity_id.." "..c.alertEntityRaw(3)`, "0124 snmp_device"},
		{"granularities", `local c=require("alert_consts"); local g=c.alerts_granularities; return g.min.granularity_seconds.." "..g["5mins"].granularity_id.." "..c.sec2granularity(3600)`, "60 2 hour"},
		{"alert type keys", `local c=require("alert_consts"); return c.alert_types.alert_threshold_cross.alert_key.." "..c.alertTypeRaw(46).." "..c.alertType("alert_host_log")`, "49 alert_tcp_syn_flood 59"},
		{"threshold create", `local c=require("alert_consts"); local t=c.alert_types.alert_threshold_cross.create(c.alert_severities.error, "bytes", c.alerts_granularities.min, "bytes", 5, "gt", 3)
			return t.alert_type.alert_key.." "..t.alert_subtype.." "..t.alert_granularity.granularity_seconds.." "..t.alert_type_params.metric..t.alert_type_params.value..t.alert_type_params.operator..t.alert_type_params.threshold`, "49 bytes 60 bytes5gt3"},
		{"generic create keeps severity", `local c=require("alert_consts"); local t=c.alert_types.alert_login_failed.create(c.alert_severities.warning, {msg="x"}, 3)
			return t.alert_severity.severity_id.." "..t.alert_type_params.msg.." "..t.alert_type_params.args[1]`, "4 x 3"},
		{"loadDefinition PEN key", `local c=require("alert_consts"); c.loadDefinition({alert_key={5,2}}, "alert_mine"); return c.alert_types.alert_mine.alert_key`, "327682"},
		{"alert_keys", `local k=require("alert_keys"); return k.ntopng.alert_threshold_cross..","..k.user.alert_user_01`, "49,32768"},
		// flow_consts
		{"status keys", `local f=require("flow_consts"); return f.status_types.status_blacklisted.status_key..","..f.status_types.status_udp_unidirectional.status_key..","..f.max_score`, "1,26,1024"},
		{"status create", `local f=require("flow_consts"); local s=f.status_types.status_blacklisted.create({ cli_blacklisted = true })
			return s.status_type.status_key.." "..s.alert_type.alert_key.." "..s.alert_severity.severity_id.." "..tostring(s.alert_type_params.cli_blacklisted)`, "1 8 5 true"},
		{"status 4.0 id alias", `local f=require("flow_consts"); return f.status_types.status_remote_to_remote.status_id`, "16"},
		{"clamp score", `local f=require("flow_consts"); return f.clamp_score(5000)..","..f.clamp_score(-1)`, "1024,0"},
		// user_scripts
		{"categories", `local u=require("user_scripts"); local c=u.script_categories; return c.other.id..c.security.id..c.internals.id..c.network.id..c.system.id`, "01234"},
		{"script types", `local u=require("user_scripts"); return u.script_types.flow.hooks[1].." "..u.script_types.host.hooks[2].." "..tostring(u.script_types.traffic_element.has_per_hook_config)`, "protocolDetected 5mins true"},
		{"field units", `local u=require("user_scripts"); return u.field_units.bytes`, "field_units.bytes"},
		{"default config per hook", `local u=require("user_scripts"); local c=u.getDefaultConfig({hooks={min=print,hour=print}, default_value={threshold=3}}, "host"); return tostring(c.min.enabled)..c.hour.script_conf.threshold..tostring(c.all)`, "true3nil"},
		{"default config all", `local u=require("user_scripts"); local c=u.getDefaultConfig({hooks={protocolDetected=print}, default_enabled=false}, "flow"); return tostring(c.all.enabled)`, "false"},
		{"target hook config", `local u=require("user_scripts"); local c=u.getTargetHookConfig({x={min={enabled=true, script_conf={a=1}}}}, {key="x"}, "min"); local d=u.getTargetHookConfig({}, {key="y"}, "min"); return tostring(c.enabled)..c.script_conf.a..tostring(d.enabled)`, "true1false"},
		// alerts_api entity builders
		{"entities builders", `local a=require("alerts_api"); local h=a.hostAlertEntity("1.2.3.4", 0); local i=a.interfaceAlertEntity(2); local n=a.networkAlertEntity("10.0.0.0/8"); local s=a.snmpInterfaceEntity("10.0.0.1", 3)
			return h.alert_entity.entity_id..h.alert_entity_val.." "..i.alert_entity.entity_id..i.alert_entity_val.." "..n.alert_entity_val.." "..s.alert_entity_val`, "11.2.3.4@0 02 10.0.0.0/8 10.0.0.1_ifidx3"},
		{"application_bytes", `local a=require("alerts_api"); return a.application_bytes({ndpi={DNS={["bytes.sent"]=3,["bytes.rcvd"]=4}}}, "DNS")..a.category_bytes({}, "Web")`, "70"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L, _ := newState(t)
			got, err := eval(L, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	for _, tc := range []struct {
		name, code, want string
	}{
		{"empty table is an array", `return json.encode({})`, `[]`},
		{"array", `return json.encode({1, "a", true, false})`, `[1,"a",true,false]`},
		{"holes become null", `return json.encode({1, nil, 3})`, `[1,null,3]`},
		{"sparse is an object", `return json.encode({[1]=1, [20]=2})`, `{"1":1,"20":2}`},
		{"object sorted keys", `return json.encode({b=1, a={c=2}, [3]="x", ["0"]=0})`, `{"3":"x","0":0,"a":{"c":2},"b":1}`},
		{"nested", `return json.encode({when=1604300000, hosts={"10.0.0.1", "10.0.0.2"}})`, `{"hosts":["10.0.0.1","10.0.0.2"],"when":1604300000}`},
		{"numbers", `return json.encode({1.5, -2, 1e300, 0.1, 2^53})`, `[1.5,-2,1e+300,0.1,9007199254740992]`},
		{"nan is null", `return json.encode({0/0})`, `[null]`},
		{"string escapes", `return json.encode("q\"b\\n\n\t\1/é")`, `"q\"b\\n\n\t\u0001/é"`},
		{"json.null", `return json.encode({a=json.null, b={json.null}})`, `{"a":null,"b":[null]}`},
		{"jsontype object", `return json.encode(setmetatable({}, {__jsontype="object"}))`, `{}`},
		{"__tojson", `return json.encode({x=setmetatable({}, {__tojson=function() return '"custom"' end})})`, `{"x":"custom"}`},
		{"keyorder", `return json.encode({a=1,b=2,c=3}, {keyorder={"c","a"}})`, `{"c":3,"a":1,"b":2}`},
		{"indent", `return json.encode({a={1}}, {indent=true})`, "{\n  \"a\":[\n    1\n  ]\n}"},
		{"function errors", `local ok, err = pcall(json.encode, {f=print}); return tostring(ok)..":"..tostring(string.find(err, "not supported") ~= nil)`, "false:true"},
		{"cycle errors", `local t={}; t.t=t; local ok, err = pcall(json.encode, t); return tostring(ok)..":"..tostring(string.find(err, "cycle") ~= nil)`, "false:true"},
		{"decode object", `local v, pos = json.decode('{"a":[1,2,{"b":"c"}],"n":-1.5e2,"t":true}'); return v.a[3].b..v.n..tostring(v.t)..pos`, "c-150true42"},
		{"decode unicode", `local v = json.decode([[{"u":"\u00e9\ud83d\ude00\u20ac","e":"a\/b\"c"}]]); return v.u..v.e`, "é😀€a/b\"c"},
		{"decode null default", `local v = json.decode('{"a":null,"b":[1,null,3]}'); return tostring(v.a)..tostring(v.b[2])..v.b[3]`, "nilnil3"},
		{"decode nullval", `local v = json.decode('{"a":null}', 1, json.null); return tostring(v.a == json.null)`, "true"},
		{"decode empty object round trips", `return json.encode(json.decode('{"o":{},"a":[]}'))`, `{"a":[],"o":{}}`},
		{"decode pos", `local v, pos = json.decode('xx[1] ', 3); return v[1]..","..pos`, "1,6"},
		{"decode error", `local v, pos, err = json.decode('{"a":1,'); return tostring(v).."|"..pos.."|"..err`, "nil|1|unterminated object at line 1, column 1"},
		{"decode bad token", `local v, pos, err = json.decode('[1, x]'); return tostring(v).."|"..err`, "nil|unexpected character 'x' at line 1, column 5"},
		{"decode unterminated string", `local v, pos, err = json.decode('"abc'); return tostring(v).."|"..err`, "nil|unterminated string at line 1, column 1"},
		{"decode scalar", `return json.decode(' 42 ') + 1`, "43"},
		{"round trip", `local s='{"a":[1,2.5,"x",{"b":false}],"c":{"d":"e"}}'; return tostring(json.encode(json.decode(s)) == s)`, "true"},
		{"json alias shares null", `return tostring(require("json").null == require("dkjson").null)`, "true"},
		{"quotestring", `return json.quotestring("a\nb")`, `"a\nb"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L, _ := newState(t)
			got, err := eval(L, `local json = require("dkjson"); `+tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// setupHost defines a host global whose bytes the test sets.
const hostStub = `
host_bytes = 0
host = { getBytes = function() return {["bytes.sent"] = host_bytes, ["bytes.rcvd"] = 0} end }
`

func TestAlertsAPITriggerRelease(t *testing.T) {
	L, ctx := newState(t)
	var notes []alerts.Notification
	ctx.Alerts.Subscribe(func(n alerts.Notification) { notes = append(notes, n) })
	_, err := eval(L, `
local alerts_api = require("alerts_api")
local c = require("alert_consts")
local e = alerts_api.hostAlertEntity("10.0.0.1", 0)
local ti = c.alert_types.alert_threshold_cross.create(c.alert_severities.error, "bytes", c.alerts_granularities.min, "bytes", 5, "gt", 3)
assert(alerts_api.trigger(e, ti))
assert(#alerts_api.getEntityAlerts(e) == 1)
local cur = alerts_api.getEntityAlerts(e)
assert(cur[1].alert_type == 49 and cur[1].alert_granularity == 60 and cur[1].alert_entity_val == "10.0.0.1@0")
-- a re-confirmation removes the alert from cur_alerts
assert(alerts_api.trigger(e, ti, nil, cur))
assert(#cur == 0, "matched cur_alerts entry must be removed")
assert(alerts_api.release(e, ti))
assert(#alerts_api.getEntityAlerts(e) == 0)
-- missing granularity is refused
local bad = {alert_type = c.alert_types.alert_threshold_cross, alert_severity = c.alert_severities.error}
assert(alerts_api.trigger(e, bad) == false)
-- one-shot store
assert(alerts_api.store(alerts_api.interfaceAlertEntity(0), {alert_type = c.alert_types.alert_too_many_drops, alert_severity = c.alert_severities.warning}))
return "ok"`)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, n := range notes {
		acts = append(acts, string(n.Alert.Action))
	}
	if got := strings.Join(acts, ","); got != "engage,release,store" {
		t.Fatalf("notifications %s, want engage,release,store", got)
	}
	eng := notes[0].Alert
	if eng.IfID != 0 || eng.Type != 49 || eng.Subtype != "bytes" || eng.Severity != alerts.SeverityError ||
		eng.Entity != alerts.EntityHost || eng.Granularity != 60 || eng.Script != "bytes" || eng.Tstamp != ctx.Now.Unix() {
		t.Errorf("engaged alert %+v", eng)
	}
	if want := `{"alert_generation":{"confset_id":0,"script_key":"bytes","subdir":"host"},"metric":"bytes","operator":"gt","threshold":3,"value":5}`; eng.JSON != want {
		t.Errorf("alert_json %s, want %s", eng.JSON, want)
	}
	if st := notes[2].Alert; st.Entity != alerts.EntityInterface || st.EntityVal != "0" || st.Type != 50 || st.Severity != alerts.SeverityWarning {
		t.Errorf("stored alert %+v", st)
	}
}

func TestCheckThresholdAlert(t *testing.T) {
	for _, tc := range []struct {
		op      string
		value   int
		engaged bool
	}{
		{"gt", 20, true}, {"gt", 10, false}, {"gt", 5, false},
		{"lt", 5, true}, {"lt", 10, false}, {"lt", 20, false},
		{"", 20, true}, // default operator is gt
	} {
		t.Run(fmt.Sprint(tc.op, tc.value), func(t *testing.T) {
			L, ctx := newState(t)
			code := fmt.Sprintf(`
local alerts_api = require("alerts_api")
local c = require("alert_consts")
local conf = {threshold = 10}
if %q ~= "" then conf.operator = %q end
local params = {granularity = "5mins", alert_entity = alerts_api.networkAlertEntity("10.0.0.0/8"),
  user_script = {key = "ingress"}, user_script_config = conf}
return tostring(alerts_api.checkThresholdAlert(params, c.alert_types.alert_threshold_cross, %d))`, tc.op, tc.op, tc.value)
			if got, err := eval(L, code); err != nil || got != "true" {
				t.Fatalf("checkThresholdAlert: %s %v", got, err)
			}
			eng := ctx.Alerts.Engaged(0, alerts.EntityNetwork, "10.0.0.0/8")
			if got := len(eng) == 1; got != tc.engaged {
				t.Fatalf("engaged %v, want %v", got, tc.engaged)
			}
			if tc.engaged && (eng[0].Granularity != 300 || eng[0].Subtype != "ingress") {
				t.Errorf("alert %+v", eng[0])
			}
		})
	}
	// Crossing then recovering releases the alert.
	L, ctx := newState(t)
	_, err := eval(L, `
local alerts_api = require("alerts_api")
local c = require("alert_consts")
local params = {granularity = "min", alert_entity = alerts_api.interfaceAlertEntity(0),
  user_script = {key = "throughput"}, user_script_config = {operator = "gt", threshold = 10}}
alerts_api.checkThresholdAlert(params, c.alert_types.alert_threshold_cross, 11)
alerts_api.checkThresholdAlert(params, c.alert_types.alert_threshold_cross, 9)`)
	if err != nil {
		t.Fatal(err)
	}
	if c := ctx.Alerts.Counters(); c.Triggered != 1 || c.Released != 1 || c.Engaged != 0 {
		t.Errorf("cross then recover: %+v", c)
	}
}

func TestDeltaVal(t *testing.T) {
	for _, tc := range []struct {
		name, stub string
	}{
		{"own cache", ""},
		{"entity cache", `
cached = {}
host = { getCachedAlertValue = function(k, gid) return cached[k .. "/" .. gid] or "" end,
         setCachedAlertValue = function(k, v, gid) cached[k .. "/" .. gid] = v end }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L, _ := newState(t)
			got, err := eval(L, tc.stub+`
local a = require("alerts_api")
local r = {}
r[#r+1] = a.host_delta_val("bytes", "min", 100)        -- first call: the value
r[#r+1] = a.host_delta_val("bytes", "min", 150)        -- then the difference
r[#r+1] = a.host_delta_val("bytes", "5mins", 70, true) -- other granularity, skip_first
r[#r+1] = a.host_delta_val("bytes", "5mins", 100, true)
r[#r+1] = a.host_delta_val("packets", "min", 7)
r[#r+1] = a.interface_delta_val("bytes", "min", 40)
return table.concat(r, ",")`)
			if err != nil {
				t.Fatal(err)
			}
			if want := "100,50,0,30,7,40"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestInvokeScriptHookRecordsScript(t *testing.T) {
	L, ctx := newState(t)
	ctx.Script = ""
	_, err := eval(L, `
local a = require("alerts_api")
local c = require("alert_consts")
local u = require("user_scripts")
local script = {key = "my_script", subdir = "interface", category = u.script_categories.security}
a.invokeScriptHook(script, 0, function(p)
  a.store(a.interfaceAlertEntity(0), {alert_type = c.alert_types.alert_internals, alert_severity = c.alert_severities.info, alert_type_params = {x = p}})
end, 1)
local ok, err = pcall(a.invokeScriptHook, script, 0, function() error("boom") end)
assert(not ok and string.find(err, "boom"))`)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := ctx.Alerts.List(alerts.Query{})
	if len(rows) != 1 || rows[0].Category != 1 ||
		rows[0].JSON != `{"alert_generation":{"confset_id":0,"script_key":"my_script","subdir":"interface"},"x":1}` {
		t.Fatalf("rows %+v", rows)
	}
}

// runScript loads a script file the way the runner does (dofile, the
// returned table, key injected).
func runScript(t *testing.T, L *lua.LState, path, key string) *lua.LTable {
	t.Helper()
	if err := L.DoFile(path); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tbl, ok := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	if !ok {
		t.Fatalf("%s did not return a table", path)
	}
	tbl.RawSetString("key", lua.LString(key))
	return tbl
}

func TestHostThresholdScript(t *testing.T) {
	L, ctx := newState(t)
	script := runScript(t, L, "testdata/host_bytes.lua", "bytes")
	hook := script.RawGetString("hooks").(*lua.LTable).RawGetString("all")
	if err := L.DoString(hostStub); err != nil {
		t.Fatal(err)
	}
	L.SetGlobal("the_script", script)
	L.SetGlobal("the_hook", hook)
	// Cumulative host bytes per minute run and whether the per-minute delta
	// exceeds the 1000-byte threshold.
	for i, step := range []struct {
		total   int
		engaged bool
	}{{500, false}, {2000, true}, {2500, false}, {5000, true}} {
		_, err := eval(L, fmt.Sprintf(`
host_bytes = %d
local alerts_api = require("alerts_api")
the_hook({granularity = "min", alert_entity = alerts_api.hostAlertEntity("10.0.0.9", 0),
  user_script = the_script, user_script_config = the_script.default_value})`, step.total))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ctx.Alerts.Engaged(0, alerts.EntityHost, "10.0.0.9@0")) == 1; got != step.engaged {
			t.Fatalf("run %d (total %d): engaged %v, want %v", i, step.total, got, step.engaged)
		}
	}
}

func TestSyslogScript(t *testing.T) {
	L, ctx := newState(t)
	script := runScript(t, L, "testdata/syslog_json.lua", "syslog_json")
	L.SetGlobal("m", script)
	_, err := eval(L, `
m.hooks.handleEvent({}, '{"event_type":"alert","src_ip":"10.1.1.1","alert":{"severity":2,"signature":"ET TEST"}}', "10.0.0.1", 13)
m.hooks.handleEvent({}, '{"event_type":"dns"}', "10.0.0.1", 13)
m.hooks.handleEvent({}, 'not json', "10.0.0.1", 13)
assert(m.seen == 2 and m.bad == 1)`)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := ctx.Alerts.List(alerts.Query{Status: alerts.StatusHistorical})
	if len(rows) != 1 {
		t.Fatalf("stored alerts: %d", len(rows))
	}
	a := rows[0]
	if a.Type != 7 || a.Severity != alerts.SeverityWarning || a.EntityVal != "10.1.1.1@0" || a.Subtype != "suricata" ||
		!strings.Contains(a.JSON, `"signature":"ET TEST"`) || !strings.Contains(a.JSON, `"dns_type":28`) {
		t.Errorf("alert %+v", a)
	}
}

// TestCompatScripts loads the real ntopng 4.2 scripts when the shared
// references are present (they are not part of the repository).
func TestCompatScripts(t *testing.T) {
	dir := testpeer.File(t, "../../../shared/compat", "ntopng 4.2's compat scripts")
	files, _ := filepath.Glob(filepath.Join(dir, "*.lua"))
	if len(files) == 0 {
		t.Fatalf("no ntopng compat scripts in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			L, ctx := newState(t)
			// The globals the bindings (another package) provide, reduced to
			// what these scripts touch at load time.
			if err := L.DoString(hostStub + `
ntop = { getDirs = function() return {installdir = "/nonexistent"} end, delCache = function() end, setCache = function() end }
interface = { getId = function() return 0 end, processFlow = function() end, incSyslogStats = function() end }`); err != nil {
				t.Fatal(err)
			}
			key := strings.TrimSuffix(filepath.Base(f), ".lua")
			script := runScript(t, L, f, key)
			if _, ok := script.RawGetString("hooks").(*lua.LTable); !ok {
				t.Fatal("no hooks table")
			}
			// Drive the hook each script has with an input of its kind.
			L.SetGlobal("s", script)
			drive := map[string]string{
				"bytes": `host_bytes = 5000
local a = require("alerts_api")
s.hooks.all({granularity = "min", alert_entity = a.hostAlertEntity("10.0.0.1", 0), user_script = s,
  user_script_config = {operator = "gt", threshold = 100}})`,
				"flow_logger": `flow = { getInfo = function() return {["proto.ndpi"]="DNS", ["proto.l4"]="UDP", ["cli.ip"]="10.0.0.1", ["cli.port"]=1234, ["srv.ip"]="8.8.8.8", ["srv.port"]=53} end }
s.hooks.protocolDetected(os.time(), {log_mode = "console"})`,
				"suricata": `s.hooks.handleEvent({}, '{"event_type":"dns","src_ip":"10.0.0.1","dest_ip":"8.8.8.8","src_port":1,"dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"example.com","rrtype":"AAAA"}}', "10.0.0.1", 13)
s.hooks.handleEvent({}, '{"event_type":"alert","flow":{},"alert":{"severity":1}}', "10.0.0.1", 13)`,
			}
			if code, ok := drive[key]; ok {
				if _, err := eval(L, code); err != nil {
					t.Fatalf("hook: %v", err)
				}
			}
			if key == "bytes" && ctx.Alerts.Counters().Engaged != 1 {
				t.Error("bytes.lua over its threshold must engage an alert")
			}
		})
	}
}

func TestInstallDoesNotLeakGlobals(t *testing.T) {
	L, _ := newState(t)
	for _, g := range []string{"json", "alerts_api", "flowgate_alerts"} {
		if L.GetGlobal(g) != lua.LNil {
			t.Errorf("global %s set by Install; modules must be required", g)
		}
	}
	if L.GetGlobal("shortFlowLabel") == lua.LNil {
		t.Error("lua_utils globals must be loaded, as ntopng's runners do")
	}
}
