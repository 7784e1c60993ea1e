package syslog

import (
	"os"
	"path/filepath"
	"testing"
)

// TestProducersFileV1: the producer map saved by the previous release
// (testdata/producers-v1.json, written by commit 0ca3b1e) loads and wins
// over the configured map; an edit saves it atomically with mode 0640.
func TestProducersFileV1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "syslog_producers.json")
	old, err := os.ReadFile(filepath.Join("testdata", "producers-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Collector{}
	c.cfg.ProducersFile = path
	c.cfg.Producers = map[string]string{"10.0.0.5": "configured", "10.0.0.9": "other"}
	if err := c.loadProducers(); err != nil {
		t.Fatal(err)
	}
	got := c.Producers()
	want := map[string]string{"*": "host_log", "10.0.0.5": "suricata", "fw1": "fortinet", "10.0.0.9": "other"}
	if len(got) != len(want) {
		t.Fatalf("producers %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("producers %v, want %v", got, want)
		}
	}
	if err := c.SetProducer("fw1", ""); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("saved file: %v %v", fi.Mode(), err)
	}
	c2 := &Collector{}
	c2.cfg.ProducersFile = path
	if err := c2.loadProducers(); err != nil {
		t.Fatal(err)
	}
	if p := c2.Producers(); len(p) != 3 || p["fw1"] != "" {
		t.Fatalf("after delete and reload: %v", p)
	}
}
