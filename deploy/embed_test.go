package deploy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInstallScripts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scripts")
	done, err := InstallScripts(dir)
	if err != nil || !done {
		t.Fatalf("first install: %v %v", done, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "callbacks", "syslog", "suricata.lua")); err != nil {
		t.Errorf("suricata.lua not installed: %v", err)
	}
	// An existing directory is the user's: left alone.
	os.Remove(filepath.Join(dir, "callbacks", "syslog", "suricata.lua"))
	if done, err := InstallScripts(dir); err != nil || done {
		t.Errorf("second install: %v %v", done, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "callbacks", "syslog", "suricata.lua")); !os.IsNotExist(err) {
		t.Error("an existing scripts dir was changed")
	}
}

// An install interrupted by a crash leaves only the ".installing" copy,
// never a partial scripts dir: the next start installs everything.
func TestInstallScriptsAfterCrash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scripts")
	partial := filepath.Join(dir+".installing", "callbacks", "syslog")
	if err := os.MkdirAll(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, "suricata.lua"), []byte("-- half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if done, err := InstallScripts(dir); err != nil || !done {
		t.Fatalf("install after a crash: %v %v", done, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "callbacks", "syslog", "suricata.lua"))
	if err != nil || string(b) == "-- half" || len(b) < 100 {
		t.Fatalf("suricata.lua after reinstall: %d bytes %v", len(b), err)
	}
	if _, err := os.Stat(dir + ".installing"); !os.IsNotExist(err) {
		t.Fatalf("temporary copy left: %v", err)
	}
}
