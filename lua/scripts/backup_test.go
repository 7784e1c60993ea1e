package scripts

import (
	"path/filepath"
	"testing"
)

// The checks backup: exported overrides import back; an entry for an
// unknown script or hook refuses the whole import.
func TestConfigBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigFile)
	c := newConfStore(path)
	c.defs = map[string]map[string]*info{
		"flow": {"bytes": {Subdir: "flow", Key: "bytes", Hooks: []string{"protocolDetected"}, Default: HookConfig{Enabled: true}}},
		"host": {"hits": {Subdir: "host", Key: "hits", Hooks: []string{"min", "5mins"}, Default: HookConfig{Enabled: true}}},
	}
	r := &Runtime{conf: c}
	off := false
	if err := c.set("host", "hits", "5mins", &off, map[string]any{"threshold": 5.0}); err != nil {
		t.Fatal(err)
	}
	saved := r.ExportConfig()
	if hc := saved["host"]["hits"]["5mins"]; hc.Enabled || hc.ScriptConf["threshold"] != 5.0 {
		t.Fatalf("export: %+v", saved)
	}
	for name, bad := range map[string]ScriptsConfig{
		"unknown script": {"flow": {"nope": {"all": {Enabled: true}}}},
		"unknown hook":   {"host": {"hits": {"hour": {Enabled: true}}}},
		"per-hook flow":  {"flow": {"bytes": {"protocolDetected": {Enabled: true}}}},
	} {
		if err := r.ImportConfig(bad); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
	if err := r.ResetConfig(); err != nil {
		t.Fatal(err)
	}
	if hc := c.get("host", "hits", "5mins"); !hc.Enabled {
		t.Fatalf("reset kept the override: %+v", hc)
	}
	if err := r.ImportConfig(saved); err != nil {
		t.Fatal(err)
	}
	again := newConfStore(path)
	again.defs = c.defs
	if err := again.load(); err != nil {
		t.Fatal(err)
	}
	if hc := again.get("host", "hits", "5mins"); hc.Enabled || hc.ScriptConf["threshold"] != 5.0 {
		t.Errorf("imported and reloaded: %+v", hc)
	}
}
