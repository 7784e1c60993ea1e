package snmp

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDevicesFileV1: the device list of the previous release
// (testdata/devices-v1, written by the device store of commit 0ca3b1e)
// loads; a save replaces it atomically, readable by the owner only (it
// holds communities and v3 passwords), whatever mode the old file had.
func TestDevicesFileV1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DevicesFile)
	old, err := os.ReadFile(filepath.Join("testdata", "devices-v1", DevicesFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &deviceStore{path: path}
	if err := s.load(); err != nil {
		t.Fatal(err)
	}
	if d := s.devs["10.0.0.1"]; d.Community != "s3cret-community" || d.Interval != 60 || d.Name != "core" {
		t.Fatalf("v2c device: %+v", d)
	}
	if d := s.devs["10.0.0.2:1161"]; d.Version != "3" || d.User != "ops" || d.PrivPassword != "privpass1" {
		t.Fatalf("v3 device: %+v", d)
	}
	delete(s.devs, "10.0.0.1")
	if err := s.saveLocked(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", fi.Mode(), err)
	}
	again := &deviceStore{path: path}
	if err := again.load(); err != nil || len(again.devs) != 1 || again.devs["10.0.0.2:1161"].AuthPassword != "authpass1" {
		t.Fatalf("reloaded: %+v %v", again.devs, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
}
