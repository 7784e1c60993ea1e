package kv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"flowgate/internal/testwait"
)

// TestCrashHelper is the child of TestEmbeddedKill9: it writes 1000 keys,
// says so, then keeps writing until it is killed.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("FLOWGATE_KV_CRASH_DIR")
	if dir == "" {
		return // not the child: nothing to do
	}
	s, err := OpenEmbedded(Config{Dir: dir, FsyncEvery: 10 * time.Millisecond})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; i < 1000; i++ {
		_ = s.Set("k"+strconv.Itoa(i), "v", time.Hour)
	}
	fmt.Println("written")
	for i := 0; ; i++ {
		_ = s.Set("churn", strconv.Itoa(i), 0)
		_, _ = s.Push("list", "x", false)
	}
}

// TestEmbeddedKill9: a process killed with SIGKILL while writing leaves a
// store that opens, with everything written more than one fsync period
// before the kill.
func TestEmbeddedKill9(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), "FLOWGATE_KV_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "written\n" {
		t.Fatalf("child said %q", line)
	}
	// wait until the first 1000 keys are on disk (the flush runs every 10 ms)
	testwait.For(t, "the first 1000 keys in the log", func() bool {
		snap, err := OpenSnapshot(dir)
		if err != nil {
			return false
		}
		_, ok, _ := snap.Get("k999")
		return ok
	})
	_ = cmd.Process.Kill() // SIGKILL, mid-write
	_ = cmd.Wait()
	s, err := OpenEmbedded(Config{Dir: dir})
	if err != nil {
		t.Fatalf("store after kill -9: %v", err)
	}
	defer s.Close()
	for i := 0; i < 1000; i++ {
		if _, ok, _ := s.Get("k" + strconv.Itoa(i)); !ok {
			t.Fatalf("k%d lost", i)
		}
	}
	if d, _ := s.TTL("k0"); d <= 0 {
		t.Fatalf("ttl after crash: %v", d)
	}
}
