package scripts

import (
	"os"
	"path/filepath"
	"testing"
)

// TestConfigFileV1: the user-script configuration saved by the previous
// release (testdata/config-v1.json, written by commit 0ca3b1e) loads
// with its overrides; an edit saves it atomically (mode 0644, no temp
// file left).
func TestConfigFileV1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConfigFile)
	old, err := os.ReadFile(filepath.Join("testdata", "config-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newConfStore(path)
	c.defs = map[string]map[string]*info{
		"flow": {"bytes": {Subdir: "flow", Key: "bytes", Hooks: []string{"protocolDetected"}, Default: HookConfig{Enabled: true}}},
		"host": {"hits": {Subdir: "host", Key: "hits", Hooks: []string{"min", "5mins"}, Default: HookConfig{Enabled: true}}},
	}
	if err := c.load(); err != nil {
		t.Fatal(err)
	}
	if hc := c.get("flow", "bytes", "protocolDetected"); hc.Enabled || hc.ScriptConf["threshold"] != 1024.0 {
		t.Fatalf("flow script: %+v", hc)
	}
	if hc := c.get("host", "hits", "5mins"); !hc.Enabled || len(hc.ScriptConf["items"].([]any)) != 2 {
		t.Fatalf("host script 5mins: %+v", hc)
	}
	on := true
	if err := c.set("flow", "bytes", "", &on, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("saved file: %v %v", fi.Mode(), err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
	again := newConfStore(path)
	again.defs = c.defs
	if err := again.load(); err != nil {
		t.Fatal(err)
	}
	if hc := again.get("flow", "bytes", "protocolDetected"); !hc.Enabled || hc.ScriptConf["threshold"] != 1024.0 {
		t.Fatalf("after edit and reload: %+v", hc)
	}
}
