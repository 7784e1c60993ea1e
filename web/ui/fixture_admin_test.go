package ui

import (
	"os"
	"path/filepath"
	"testing"
)

// addGUIScripts lays testdata/scripts/country_list.lua (an items_list
// check) out as a flow check in scriptsDir, for the scripts page's list
// editing.
func addGUIScripts(t *testing.T, scriptsDir string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "scripts", "country_list.lua"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(scriptsDir, "callbacks", "interface", "flow")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "country_list.lua"), src, 0o644); err != nil {
		t.Fatal(err)
	}
}
