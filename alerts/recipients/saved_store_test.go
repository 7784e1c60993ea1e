package recipients

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSavedRecipientsV1: the recipients file of the previous release
// (testdata/saved-v1, written by commit 0ca3b1e) reads back entry for
// entry; a save replaces it atomically with mode 0600 (endpoints carry
// credentials), whatever mode the old file had.
func TestSavedRecipientsV1(t *testing.T) {
	dir := t.TempDir()
	old, err := os.ReadFile(filepath.Join("testdata", "saved-v1", "recipients.json"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "recipients.json"), old, 0o644))
	m := New(Configuration{DataDir: dir, Hostname: "fg1", Location: time.UTC})
	got, err := m.loadSaved()
	must(t, err)
	if len(got) != 3 || got[0].URL != "syslog://127.0.0.1:5514?format=cef" || got[1].Name != "luaq" || !got[1].Lua ||
		got[2].Endpoint != "ep1" || got[2].Params["min_severity"] != "warning" {
		t.Fatalf("loaded %+v", got)
	}
	must(t, writeFile0600(m.savedPath(), got[:2]))
	fi, err := os.Stat(m.savedPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", fi.Mode(), err)
	}
	again, err := m.loadSaved()
	if err != nil || len(again) != 2 {
		t.Fatalf("reloaded %+v %v", again, err)
	}
}
