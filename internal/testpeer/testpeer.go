// Package testpeer finds the real peers integration tests talk to (libzmq
// through python3-zmq, redis-server, net-snmp, ...). A missing peer skips
// the test with a clear message, except under FLOWGATE_REQUIRE_PEERS=1 (set
// by `make test` and so by CI), where it fails: CI must never call a skipped
// interop check a pass.
package testpeer

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Python is the interpreter whose python3-zmq the tests use.
const Python = "/usr/bin/python3"

func missing(t testing.TB, what, install string) {
	t.Helper()
	msg := what + " is not available (install: " + install + ")"
	if os.Getenv("FLOWGATE_REQUIRE_PEERS") == "1" {
		t.Fatal(msg + "; FLOWGATE_REQUIRE_PEERS=1 forbids skipping")
	}
	t.Skip(msg)
}

// PythonZMQ returns the python interpreter after checking that it can
// import zmq (libzmq's own bindings).
func PythonZMQ(t testing.TB) string {
	t.Helper()
	if err := exec.Command(Python, "-c", "import zmq").Run(); err != nil {
		missing(t, "python3-zmq", "apt-get install python3-zmq")
	}
	return Python
}

// Command returns the path of a peer program such as redis-server.
func Command(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name, "apt-get install "+debianPackage)
	}
	return p
}

// File returns path after checking that it exists: references that live
// beside the repository rather than in it (ntopng's own scripts in
// ../shared/compat, which are ntopng's code and never copied in) are peers
// too, so CI fails when they are missing.
func File(t testing.TB, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, what+" ("+path+")", "check out ../shared beside the repository")
	}
	return path
}

// CompatTree is a scripts directory for checks that mix flowgate's own
// test scripts (ownDir, copied) with ntopng 4.2's real ones from compatDir
// (../shared/compat beside the repository: flow_logger.lua, bytes.lua and
// suricata.lua), placed where ntopng keeps them. The real ones are read
// from beside the repository, never committed into it.
func CompatTree(t testing.TB, ownDir, compatDir string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(ownDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(ownDir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{
		"flow_logger.lua": "callbacks/interface/flow",
		"bytes.lua":       "callbacks/interface/host",
		"suricata.lua":    "callbacks/syslog",
	} {
		src := File(t, filepath.Join(compatDir, name), "ntopng 4.2's "+name)
		if err := os.MkdirAll(filepath.Join(dst, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(src, filepath.Join(dst, dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
