// Package layout holds tests of the repository's shape: which packages may
// import which, and that every package is named for its folder. They keep
// the layering that README.md's Layout section describes from eroding.
package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"path"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Name       string
	Deps       []string
}

// list runs `go list -json` over the module and decodes every
// package, with its transitive dependencies.
func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Name,Deps", "flowgate/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// The engine, the collectors, SNMP and alerts are Lua-free: the Lua runtime
// sits on top of them, never under them, so each can be used, tested and
// benchmarked without a Lua state.
func TestCoreImportsNoLua(t *testing.T) {
	core := []string{"flowgate/engine", "flowgate/collectors", "flowgate/snmp", "flowgate/alerts", "flowgate/store"}
	checked := 0
	for _, p := range list(t) {
		isCore := false
		for _, c := range core {
			if p.ImportPath == c || strings.HasPrefix(p.ImportPath, c+"/") {
				isCore = true
			}
		}
		if !isCore {
			continue
		}
		checked++
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "flowgate/lua/") || d == "flowgate/lua" || strings.HasPrefix(d, "flowgate/web") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no core package found")
	}
}

// The alert store and recipients know nothing of the engine: alerts come
// from scripts, SNMP and syslog as well as from flows.
func TestAlertsImportNoEngine(t *testing.T) {
	for _, p := range list(t) {
		if p.ImportPath != "flowgate/alerts" && !strings.HasPrefix(p.ImportPath, "flowgate/alerts/") {
			continue
		}
		for _, d := range p.Deps {
			if d == "flowgate/engine" || strings.HasPrefix(d, "flowgate/engine/") {
				t.Errorf("%s depends on %s", p.ImportPath, d)
			}
		}
	}
}

func TestPackageNamedForFolder(t *testing.T) {
	for _, p := range list(t) {
		if p.Name == "main" {
			continue
		}
		if want := path.Base(p.ImportPath); p.Name != want {
			t.Errorf("package %s is named %q, want %q", p.ImportPath, p.Name, want)
		}
	}
}
