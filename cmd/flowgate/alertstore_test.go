package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/internal/testwait"
)

// alertChildEnv makes TestAlertStoreChildProcess run flowgate with the
// arguments it holds (separated by "|"), print its HTTP address and wait
// to be killed.
const alertChildEnv = "FLOWGATE_ALERTSTORE_CHILD_ARGS"

// TestAlertStoreChildProcess is the flowgate that TestAlertsSurviveKill9
// kills; run by itself (no environment) it does nothing.
func TestAlertStoreChildProcess(t *testing.T) {
	spec := os.Getenv(alertChildEnv)
	if spec == "" {
		return
	}
	opts, err := parseArgs(strings.Split(spec, "|"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("http %s\n", a.http.Addr())
	select {} // until SIGKILL (or -test.timeout)
}

// startChild runs flowgate with args in a child process (this test binary
// re-run as TestAlertStoreChildProcess) and returns it with a client of its
// HTTP address; the child is killed at the test's end if still running.
func startChild(t *testing.T, args []string) (*exec.Cmd, *client) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAlertStoreChildProcess$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), alertChildEnv+"="+strings.Join(args, "|"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "http ") {
		t.Fatalf("flowgate child %q said %q", args, sc.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, &client{t: t, base: "http://" + strings.TrimPrefix(sc.Text(), "http ")}
}

// writeScripts writes files (path under dir → body) into the scripts dir
// dir, creating their directories.
func writeScripts(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for path, body := range files {
		path = filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hostLogPath is where a scripts dir holds the syslog handler of
// hostLogHandler.
const hostLogPath = "callbacks/syslog/host_log.lua"

// hostLogHandler is testdata's syslog handler written as ntopng 4.2's
// host_log.lua.
func hostLogHandler(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/hostlog/host_log.lua")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAlertsSurviveKill9: alerts stored by a syslog handler in a flowgate
// child are listed over REST (a list reads what is committed), the child
// is SIGKILLed, and a flowgate started on the same data dir lists every
// one of them, with the filters of the 5.x list.
func TestAlertsSurviveKill9(t *testing.T) {
	data := t.TempDir()
	scripts := filepath.Join(data, "scripts")
	writeScripts(t, scripts, map[string][]byte{hostLogPath: hostLogHandler(t)})
	sport := freePort(t)
	args := []string{
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", freePort(t)), // ifid 0
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@tcp", sport), // ifid 1
		"--syslog-producers", "*=host_log",
		"-w", "127.0.0.1:0", "-d", data, "--scripts-dir", scripts, "--disable-login",
	}
	cmd, c := startChild(t, args)

	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sport))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// auth.err (level 3) is above host_log's threshold: one stored host
	// alert per line, on the syslog interface.
	const n = 30
	for i := 0; i < n; i++ {
		if _, err := fmt.Fprintf(conn, "<35>Nov 22 00:30:%02d 10.1.2.%d sshd[%d]: error: maximum authentication attempts exceeded for root\n", i, 1+i%3, i); err != nil {
			t.Fatal(err)
		}
	}
	list := "/lua/rest/v2/get/host/alert/list.lua?ifid=1&length=100"
	total := func(c *client, path string) int {
		env, code := c.get(path)
		if code != 200 {
			return -1
		}
		return int(num(env["recordsTotal"]))
	}
	testwait.ForState(t, "stored host_log alerts", func() (any, bool) {
		got := total(c, list)
		return got, got == n
	})
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no Stop, no checkpoint
		t.Fatal(err)
	}
	cmd.Wait()

	opts, err := parseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	c2 := &client{t: t, base: "http://" + a.http.Addr()}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"", n},
		{"&severity=5;eq", n},
		{"&severity=5;neq", 0},
		{"&ip=10.1.2.1;eq", n / 3},
		{"&ip=10.1.2.1;neq", n - n/3},
		{"&alert_id=alert_host_log;eq", n},
		{"&status=engaged", 0},
	} {
		if got := total(c2, list+tc.query); got != tc.want {
			t.Errorf("after kill -9 and restart, %s: %d alerts, want %d", list+tc.query, got, tc.want)
		}
	}
}
