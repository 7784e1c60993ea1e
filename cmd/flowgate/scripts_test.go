package main

import (
	"path/filepath"
	"strings"
	"testing"

	"flowgate/internal/testpeer"
)

// `flowgate scripts check` exits 1 and names file:line for a flow script or
// a syslog handler whose require cannot be resolved, and exits 0 on real
// ntopng scripts and 4.2-style flow, host, syslog and SNMP scripts.
func TestScriptsCheckCommand(t *testing.T) {
	td := func(p string) string {
		a, err := filepath.Abs(filepath.Join("..", "..", "lua", "scripts", "testdata", p))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unresolvable require", []string{"check", td("check_require")}, 1, []string{
			td("check_require/callbacks/syslog/needs_module.lua") + `:5: require "no_such_module"`,
			td("check_require/callbacks/interface/flow/needs_module.lua") + `:4: require "no_such_module"`,
			"3 problem(s) found",
		}},
		{"compatible scripts", []string{"check", testpeer.CompatTree(t, td("check_compat"), compatDir)}, 0, []string{"8 script(s), 0 problem(s)", "no problems found"}},
		{"flowgate's own scripts", []string{"check", filepath.Join("..", "..", "deploy", "scripts")}, 0, []string{"no problems found"}},
		{"missing dir", []string{"check", td("no_such_dir")}, 2, nil},
		{"usage", []string{"verify"}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := runScripts(tc.args, &out, &errOut); code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q\n%s", w, out.String())
				}
			}
		})
	}
}
