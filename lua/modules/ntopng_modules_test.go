package modules

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
)

// survey reads testdata/ntopng_modules.tsv: module -> status ("shipped"
// or why not).
func survey(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/ntopng_modules.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || parts[2] == "" {
			t.Fatalf("survey line %q: want module, status, scripts", line)
		}
		out[parts[0]] = parts[1]
	}
	return out
}

// TestSurveyedModules: every module the survey marks shipped is
// require-able (with package.path pointing nowhere, as scripts set it) and
// is a table; every module it lists as not shipped is not pretended.
func TestSurveyedModules(t *testing.T) {
	names := Names()
	for mod, status := range survey(t) {
		t.Run(mod, func(t *testing.T) {
			shipped := status == "shipped"
			if shipped != slices.Contains(names, mod) {
				t.Fatalf("survey says %q, Names() has it: %v", status, !shipped)
			}
			if !shipped {
				return
			}
			L, _ := newAPIState(t)
			got, err := eval(L, `package.path = "/nonexistent/?.lua"; return type(require("`+mod+`"))`)
			if err != nil || got != "table" {
				t.Fatalf("require(%q): %s, %v", mod, got, err)
			}
		})
	}
}

// newAPIState is newState with the ntop/interface bindings (a private
// cache store) and two interfaces, 0 and 1 (interface 0 selected).
func newAPIState(t testing.TB) (*lua.LState, *api.Context) {
	t.Helper()
	L := lua.NewState()
	t.Cleanup(L.Close)
	eng := engine.New(engine.DefaultConfiguration())
	ctx := &api.Context{
		Engine: eng, Iface: eng.AddInterface("eth0", "zmq"),
		Alerts: alerts.NewStore(alerts.Config{}),
		Now:    time.Unix(1604300000, 0), Script: "host_log", Subdir: "syslog",
	}
	eng.AddInterface("syslog", "syslog")
	api.Install(L, ctx, api.Deps{})
	Install(L, ctx)
	return L, ctx
}

// TestNtopngModuleFunctions calls representative functions of the modules
// added for ntopng 4.2's scripts; expected values follow ntopng's behaviour
// (docs/ntopng-modules.md).
func TestNtopngModuleFunctions(t *testing.T) {
	for _, tc := range []struct{ name, code, want string }{
		// companion_interface_utils: none by default; ntopng's keys.
		{"no companions by default", `local c=require("companion_interface_utils"); return #c.getCurrentCompanionOf(0) .. "[" .. c.getCurrentCompanion(0) .. "]"`, "0[]"},
		{"setCompanion", `local c=require("companion_interface_utils"); c.setCompanion(0, "1")
			return c.getCurrentCompanion(0) .. " " .. table.concat(c.getCurrentCompanionOf(1), ",") .. " " .. ntop.getPref("ntopng.prefs.companion_interface.ifid_0.companion")`, "1 0 1"},
		{"setCompanion none", `local c=require("companion_interface_utils"); c.setCompanion(0, "1"); c.setCompanion(0, "")
			return "[" .. c.getCurrentCompanion(0) .. "]" .. #c.getCurrentCompanionOf(1)`, "[]0"},
		{"companion must exist", `local c=require("companion_interface_utils"); ntop.setCache("ntopng.prefs.companion_interface.ifid_0.companion", "7"); return "[" .. c.getCurrentCompanion(0) .. "]"`, "[]"},
		{"available companions", `local c=require("companion_interface_utils"); local r=c.getAvailableCompanions(); return #r .. r[1].ifname .. r[2].ifid .. r[2].ifname .. interface.getId()`, "2None1syslog0"},
		{"initCompanions", `local c=require("companion_interface_utils"); c.initCompanions(); return "ok"`, "ok"},
		// alert_severities: 4.2's ids and syslog levels.
		{"severities", `local s=require("alert_severities"); return s.notice.severity_id .. s.warning.severity_id .. s.error.severity_id .. s.error.syslog_severity .. s.emergency.syslog_severity`, "34530"},
		{"same tables as alert_consts", `return tostring(require("alert_severities").error == require("alert_consts").alert_severities.error)`, "true"},
		{"alertLevelToSyslogLevel", `local c=require("alert_consts"); return c.alertLevelToSyslogLevel(5) .. c.alertLevelToSyslogLevel(2) .. c.alertLevelToSyslogLevel(99)`, "366"},
		// alert_host_log with 4.2's creator signature.
		{"host_log creator", `local c=require("alert_consts"); local s=require("alert_severities")
			local t=c.alert_types.alert_host_log.create("1234", s.error, "10.1.2.3", "ERROR", "auth", "boom")
			return t.alert_subtype .. " " .. t.alert_severity.severity_id .. " " .. t.alert_type_params.host .. " " .. t.alert_type_params.facility .. " " .. t.alert_type_params.message .. " " .. tostring(t.alert_type_params.level)`, "1234 5 10.1.2.3 auth boom nil"},
		// flow_keys
		{"flow_keys", `local k=require("flow_keys"); return k.ntopng.status_blacklisted .. "," .. k.ntopng.status_udp_unidirectional`, "1,26"},
		// format_utils
		{"ISO 8601", `return require("format_utils").formatEpochISO8601(1605810681)`, "2020-11-19T18:31:21.000Z"},
		{"ISO 8601 ms", `return require("format_utils").formatEpochISO8601(1605810681.25)`, "2020-11-19T18:31:21.250Z"},
		{"round", `return require("format_utils").round(2.346, 2)`, "2.35"},
		{"bytesToSize", `return require("format_utils").bytesToSize(1536)`, "1.50 KB"},
		{"percentage", `local f=require("format_utils"); return f.percentage(1, 3) .. " " .. f.percentage(1, 0)`, "33.33 0"},
		{"msToTime", `local f=require("format_utils"); return f.msToTime(12.345) .. "|" .. f.msToTime(61000)`, "12.35 ms|1 min, 1 sec"},
		{"formatValue", `return require("format_utils").formatValue(1234567)`, "1,234,567"},
		// alert_utils
		{"formatAlertNotification", `local u=require("alert_utils")
			return u.formatAlertNotification({alert_type=require("alert_keys").ntopng.alert_host_log, alert_severity=5, alert_entity=1, alert_entity_val="10.1.2.3@0", alert_json='{"host":"10.1.2.3","facility":"auth","message":"boom"}'}, {nohtml=true, show_severity=true, show_entity=true})`,
			"[Error][Host 10.1.2.3@0] Host Log: facility=auth, host=10.1.2.3, message=boom"},
		{"formatAlertMessage no params", `local u=require("alert_utils"); return u.formatAlertMessage(0, {alert_type=require("alert_keys").ntopng.alert_threshold_cross})`, "Threshold Cross"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L, _ := newAPIState(t)
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
