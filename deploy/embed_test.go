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
