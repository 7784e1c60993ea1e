package scripts

import (
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/internal/testwait"
	"flowgate/lua/api"
)

// TestChecksFunctions: ntop.getFlowCheckInfo/getHostCheckInfo describe the
// loaded flow and host scripts (nil for an unknown one),
// getFlowChecksStats counts the calls a flow made, a disabled script says
// so, and ntop.reloadFlowChecks from a script loads a script added on disk
// (the file poller is off in this fixture).
func TestChecksFunctions(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "callbacks/interface/flow/tls_check.lua"), `
local script = { hooks = {}, gui = { i18n_title = "TLS check", i18n_description = "looks at TLS flows" } }
function script.hooks.protocolDetected(now, conf) end
return script`)
	writeFile(t, filepath.Join(dir, "callbacks/interface/host/traffic_check.lua"), `
local script = { hooks = {}, gui = { i18n_title = "Traffic check" } }
function script.hooks.min(params) end
return script`)
	fx := newFixture(t, dir, nil)
	fx.rt.deps.Services = &api.Services{Checks: fx.rt}

	eval := func(code string) lua.LValue {
		t.Helper()
		st := fx.rt.newState(&api.Context{Engine: fx.eng, Alerts: fx.store}, fx.rt.currentSet())
		defer st.Close()
		if err := st.L.DoString("return " + code); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		return st.L.Get(-1)
	}
	str := func(code string) string { t.Helper(); return eval(code).String() }

	if got := str(`ntop.getFlowCheckInfo("tls_check").key .. "|" .. ntop.getFlowCheckInfo("tls_check").edition .. "|" .. ntop.getFlowCheckInfo("tls_check").title .. "|" .. ntop.getFlowCheckInfo("tls_check").hooks[1] .. "|" .. tostring(ntop.getFlowCheckInfo("tls_check").enabled)`); got != "tls_check|community|TLS check|protocolDetected|true" {
		t.Fatalf("flow check info: %s", got)
	}
	if got := str(`ntop.getHostCheckInfo("traffic_check").title`); got != "Traffic check" {
		t.Fatalf("host check info title: %s", got)
	}
	for _, code := range []string{`ntop.getFlowCheckInfo("nope")`, `ntop.getFlowCheckInfo("traffic_check")`, `ntop.getHostCheckInfo("tls_check")`} {
		if v := eval(code); v != lua.LNil {
			t.Fatalf("%s = %v, want nil", code, v)
		}
	}
	if err := eval(`(pcall(ntop.getFlowCheckInfo))`); err != lua.LFalse {
		t.Fatalf("getFlowCheckInfo without a name must raise an error, pcall gave %v", err)
	}

	// Two flows reach protocolDetected: num_calls says so.
	fx.flow("10.0.0.1", "10.0.0.2", 40000, 443, 6, 91)
	fx.flow("10.0.0.1", "10.0.0.3", 40001, 443, 6, 91)
	if got := str(`ntop.getFlowChecksStats().tls_check.num_calls .. "|" .. ntop.getFlowChecksStats().tls_check.num_errors .. "|" .. tostring(ntop.getFlowChecksStats().traffic_check)`); got != "2|0|nil" {
		t.Fatalf("flow checks stats: %s", got)
	}

	off := false
	if err := fx.rt.conf.set("flow", "tls_check", "", &off, nil); err != nil {
		t.Fatal(err)
	}
	if got := str(`tostring(ntop.getFlowCheckInfo("tls_check").enabled) .. "|" .. tostring(ntop.getFlowChecksStats().tls_check.enabled)`); got != "false|false" {
		t.Fatalf("disabled check: %s", got)
	}

	// A script asks for a reload: the runtime's own goroutine does it.
	writeFile(t, filepath.Join(dir, "callbacks/interface/flow/dns_check.lua"), `
local script = { hooks = {} }
function script.hooks.flowEnd(now, conf) end
return script`)
	fx.rt.stop, fx.rt.done = make(chan struct{}), make(chan struct{})
	go fx.rt.loop(fx.rt.stop, fx.rt.done)
	if v := eval(`ntop.reloadFlowChecks()`); v != lua.LNil {
		t.Fatalf("reloadFlowChecks returned %v", v)
	}
	testwait.For(t, "the new flow check loaded", func() bool {
		_, ok := fx.rt.CheckInfo("flow", "dns_check")
		return ok
	})
	if got := str(`ntop.getFlowCheckInfo("dns_check").hooks[1]`); got != "flowEnd" {
		t.Fatalf("reloaded check hooks: %s", got)
	}
}

// TestChecksWithoutRuntime: in a process without a script runtime the
// functions raise a clear error rather than answering as if none existed.
func TestChecksWithoutRuntime(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	api.Install(L, &api.Context{}, api.Deps{Logger: quietLogger()})
	err := L.DoString(`ntop.getFlowChecksStats()`)
	if err == nil || !strings.Contains(err.Error(), "no user-script runtime") {
		t.Fatalf("err = %v", err)
	}
}
