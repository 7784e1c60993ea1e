package zmtp

import (
	"os"
	"path/filepath"
	"testing"
)

// TestKeyFilesV1: key files written by the previous release
// (testdata/keys-v1, by commit 0ca3b1e) load unchanged; new ones are
// created atomically with their modes and leave no temp file; an existing
// public key is never overwritten.
func TestKeyFilesV1(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{PublicKeyFile, SecretKeyFile} {
		b, err := os.ReadFile(filepath.Join("testdata", "keys-v1", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kp, created, err := LoadOrCreateKeyPair(dir)
	if err != nil || created || kp.PublicZ85() != "exRr2LwHmY-3jjPbEt>>4!/b4y<ozoFCiD%4/T^d" {
		t.Fatalf("v1 keys: %s created=%v %v", kp.PublicZ85(), created, err)
	}

	// the public file missing: re-derived and created, mode 0644
	if err := os.Remove(filepath.Join(dir, PublicKeyFile)); err != nil {
		t.Fatal(err)
	}
	if kp2, _, err := LoadOrCreateKeyPair(dir); err != nil || kp2.PublicZ85() != kp.PublicZ85() {
		t.Fatalf("re-derived: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, PublicKeyFile)); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("public file: %v %v", fi, err)
	}

	fresh := t.TempDir()
	if _, created, err := LoadOrCreateKeyPair(fresh); err != nil || !created {
		t.Fatalf("new pair: %v %v", created, err)
	}
	if m, _ := filepath.Glob(filepath.Join(fresh, ".*tmp*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
	if err := writeKeyFile(filepath.Join(fresh, PublicKeyFile), "x", 0o644); err == nil {
		t.Fatal("an existing key file was overwritten")
	}
}
