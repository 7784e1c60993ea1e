package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/internal/testpeer"
	"flowgate/lua/api"
	"flowgate/lua/modules"
)

func TestCheck(t *testing.T) {
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	for _, tc := range []struct {
		dir      string
		problems int
		want     []string
	}{
		{"testdata/check_good", 0, []string{"on_protocolDetected.lua [flow/on_protocolDetected]: ok"}},
		{"testdata/check_bad", 5, []string{
			"syntax.lua:3", "nohooks.lua: no valid hook", "note: custom keys", // (note not counted)
			"missing.lua:3: ntop.noSuchFunction is not provided by flowgate",
			`unknown hook "sometimes" for host scripts`,
			// syslog handlers are checked with their own hook names
			"typo.lua [syslog/typo]: 1 problem(s)",
			`typo.lua: unknown hook "handleEvents" for syslog scripts`,
		}},
		// Unresolvable requires, wherever they are, with file:line: at a
		// flow script's top level and inside its hook, inside a syslog
		// handler's hook (the runtime would fail on the first event).
		{abs("testdata/check_require"), 3, []string{
			abs("testdata/check_require/callbacks/interface/flow/needs_module.lua") + `:4: require "no_such_module": no such module`,
			abs("testdata/check_require/callbacks/interface/flow/needs_module.lua") + `:9: require "no_such_module_either": no such module`,
			abs("testdata/check_require/callbacks/syslog/needs_module.lua") + `:5: require "no_such_module": no such module`,
			"[syslog/needs_module]: 1 problem(s)",
		}},
		// Real ntopng scripts (flow_logger, bytes, suricata, read from
		// ../shared/compat beside the repository) and 4.2-style
		// flow, host, syslog, SNMP device and trap scripts in callbacks/
		// and plugin layouts, one requiring a module of the scripts
		// directory's modules/.
		{testpeer.CompatTree(t, "testdata/check_compat", "../../../shared/compat"), 0, []string{
			"flow_logger.lua [flow/flow_logger]: ok", "bytes.lua [host/bytes]: ok", "suricata.lua [syslog/suricata]: ok",
			"demo_flow.lua [flow/demo_flow]: ok", "demo_host.lua [host/demo_host]: ok", "demo_syslog.lua [syslog/demo_syslog]: ok",
			"demo_snmp.lua [snmp_device/demo_snmp]: ok", "demo_trap.lua [snmp_trap/demo_trap]: ok", "8 script(s), 0 problem(s)",
		}},
		// flowgate's own scripts pass their own check.
		{"../../deploy/scripts", 0, []string{"host_log.lua [syslog/host_log]: ok", "[snmp_device/if_errors]: ok"}},
	} {
		var out strings.Builder
		n, err := Check(tc.dir, &out)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.problems {
			t.Errorf("%s: %d problems, want %d\n%s", tc.dir, n, tc.problems, out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q\n%s", tc.dir, w, out.String())
			}
		}
	}
	if _, err := Check("testdata/does_not_exist", &strings.Builder{}); err == nil {
		t.Error("missing dir: no error")
	}
}

// Check resolves requires against what lua/modules provides, not a list of
// its own: a script requiring every module flowgate ships passes, and the
// same script with one unknown name fails on that line only.
func TestCheckRequiresFollowModules(t *testing.T) {
	dir := t.TempDir()
	flowDir := filepath.Join(dir, "callbacks", "interface", "flow")
	if err := os.MkdirAll(flowDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, m := range modules.Names() {
		src.WriteString("local _ = require(\"" + m + "\")\n")
	}
	src.WriteString("local x = require(\"flowgate_has_no_such_module\")\n")
	src.WriteString("return {hooks = {flowEnd = function() end}}\n")
	path := filepath.Join(flowDir, "all_modules.lua")
	if err := os.WriteFile(path, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	n, err := Check(dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	line := len(modules.Names()) + 1
	want := path + ":" + itoa(line) + `: require "flowgate_has_no_such_module"`
	if n != 1 || !strings.Contains(out.String(), want) {
		t.Errorf("%d problems, want 1 with %q\n%s", n, want, out.String())
	}
}

// A call of an ntop function flowgate only stubs (docs/ntop-api.md's
// "unavailable") is a problem, reported with its line; the name is taken
// from the compatibility table, which changes as functions get implemented.
func TestCheckUnavailableAPI(t *testing.T) {
	name := ""
	for _, s := range api.NtopStatuses() {
		if s.Status == api.StatusUnavailable {
			name = s.Name
			break
		}
	}
	if name == "" {
		t.Skip("every ntop.* function of the seed is provided: nothing is unavailable")
	}
	dir := t.TempDir()
	sysDir := filepath.Join(dir, "callbacks", "syslog")
	if err := os.MkdirAll(sysDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sysDir, "stub.lua")
	src := "local h = {hooks = {}}\nfunction h.hooks.handleEvent(c, m)\n  local x = ntop." + name + "()\nend\nreturn h\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	n, err := Check(dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := path + ":3: ntop." + name + " is unavailable in flowgate"
	if n != 1 || !strings.Contains(out.String(), want) {
		t.Errorf("%d problems, want 1 with %q\n%s", n, want, out.String())
	}
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
