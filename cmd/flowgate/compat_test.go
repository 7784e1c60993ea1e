package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// compatDir holds real ntopng 4.2 scripts beside the repository, as CI has
// it. They are ntopng's code: run from there, never copied into the
// repository.
const compatDir = "../../../shared/compat"

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *client) post(path string, body any) map[string]any {
	c.t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(c.base+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if err := json.Unmarshal(out, &env); err != nil || env["rc"] != float64(0) {
		c.t.Fatalf("POST %s: HTTP %d %s", path, resp.StatusCode, out)
	}
	return env
}

// TestCompatScripts runs ntopng 4.2's flow_logger.lua (a flow script) and
// bytes.lua (a host threshold alert) unmodified against flows from the
// nProbe emulator.
func TestCompatScripts(t *testing.T) {
	testpeer.File(t, compatDir, "ntopng 4.2's compat scripts")
	data := t.TempDir()
	scriptsDir := filepath.Join(data, "scripts")
	for src, dst := range map[string]string{
		"flow_logger.lua": "callbacks/interface/flow/flow_logger.lua",
		"bytes.lua":       "callbacks/interface/host/bytes.lua",
	} {
		raw, err := os.ReadFile(filepath.Join(compatDir, src))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(scriptsDir, dst)), 0o755)
		if err := os.WriteFile(filepath.Join(scriptsDir, dst), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clock := &fakeClock{t: time.Date(2026, 11, 21, 10, 0, 30, 0, time.UTC)}
	zport := freePort(t)
	alertsFile := filepath.Join(data, "alerts.jsonl")
	opts, err := parseArgs([]string{"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport), "-w", "127.0.0.1:0",
		"-d", data, "-m", "10.1.0.0/16", "--disable-login", "--recipient", "file://" + alertsFile})
	if err != nil {
		t.Fatal(err)
	}
	opts.scriptClock = clock.now
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	c := &client{t: t, base: "http://" + a.http.Addr()}

	// Both scripts ship disabled (default_enabled = false): enable them with
	// the configuration a user would give in ntopng's GUI.
	logFile := filepath.Join(data, "flows.log")
	c.post("/lua/rest/v2/edit/user_script/config.lua", map[string]any{
		"script_subdir": "flow", "script_key": "flow_logger", "enabled": true,
		"script_conf": map[string]any{"log_mode": "file", "log_file": logFile},
	})
	c.post("/lua/rest/v2/edit/user_script/config.lua", map[string]any{
		"script_subdir": "host", "script_key": "bytes", "hook": "min", "enabled": true,
		"script_conf": map[string]any{"operator": "gt", "threshold": 2000},
	})

	rep, err := emulator.Run(context.Background(), emulator.Config{
		Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
		Batch: 50, Total: 300, Hosts: 20, Flows: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	// flow_logger: one line per detected flow.
	var lines []string
	testwait.Wait(testwait.Timeout, func() bool {
		raw, _ := os.ReadFile(logFile)
		lines = strings.Split(strings.TrimSpace(string(raw)), "\n")
		return len(raw) > 0 && uint64(len(lines)) >= rep.DistinctFlows
	})
	if uint64(len(lines)) != rep.DistinctFlows {
		t.Fatalf("flow_logger wrote %d lines, want one per flow (%d)", len(lines), rep.DistinctFlows)
	}
	if !strings.Contains(lines[0], "10.1.0.") {
		t.Errorf("flow_logger line %q does not name the flow", lines[0])
	}

	// bytes.lua: on the next minute, every local host above 2000 bytes
	// engages a threshold-cross alert.
	hosts := c.rsp("/lua/rest/v2/get/host/active.lua?ifid=0&perPage=1000")
	want := map[string]bool{}
	for _, h := range hosts["data"].([]any) {
		hm := h.(map[string]any)
		if num(hm["bytes"].(map[string]any)["total"]) > 2000 {
			want[hm["ip"].(string)+"@0"] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("no host above the threshold: the test data is wrong")
	}
	// The scheduler takes its first tick (one a second) as its baseline, so
	// the clock moves a minute at a time until one minute run has happened:
	// a second move is needed only when the first came before that first
	// tick. Each move waits far longer than a tick, so that a slow run is
	// not taken for a missing one (a second move would run it twice).
	minRuns := func() uint64 {
		st := c.rsp("/lua/rest/v2/get/user_script/stats.lua")
		for _, p := range st["periodic"].([]any) {
			if pm := p.(map[string]any); pm["granularity"] == "min" {
				return num(pm["runs"])
			}
		}
		return 0
	}
	for tries := 0; minRuns() == 0 && tries < 3; tries++ {
		clock.add(time.Minute)
		testwait.Wait(10*time.Second, func() bool { return minRuns() > 0 })
	}
	if minRuns() != 1 {
		t.Fatalf("minute runs: %d, want 1", minRuns())
	}
	got := map[string]bool{}
	testwait.Wait(testwait.Timeout, func() bool {
		env, _ := c.get("/lua/rest/v2/get/host/alert/list.lua?ifid=0&status=engaged&perPage=1000")
		got = map[string]bool{}
		if rsp, ok := env["rsp"].(map[string]any); ok {
			recs, _ := rsp["records"].([]any)
			for _, r := range recs {
				got[r.(map[string]any)["entity_val"].(string)] = true
			}
		}
		return len(got) >= len(want)
	})
	if len(got) != len(want) {
		st, _ := c.get("/lua/rest/v2/get/user_script/stats.lua")
		all, _ := c.get("/lua/rest/v2/get/host/alert/list.lua?ifid=0")
		cfg, _ := c.get("/lua/rest/v2/get/user_script/config.lua?script_subdir=host")
		t.Logf("stats %v\nalerts %v\nconfig %v", st, all, cfg)
		t.Fatalf("engaged host alerts for %d hosts, want %d (%v vs %v)", len(got), len(want), got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("no alert for %s", k)
		}
	}
	// The alerts reach the --recipient file, one JSON line each.
	var delivered int
	testwait.Wait(testwait.Timeout, func() bool {
		raw, _ := os.ReadFile(alertsFile)
		delivered = strings.Count(string(raw), `"action":"engage"`)
		return delivered >= len(want)
	})
	if delivered != len(want) {
		t.Errorf("recipient file holds %d engaged alerts, want %d", delivered, len(want))
	}
	stats := c.rsp("/lua/rest/v2/get/user_script/stats.lua")
	if b, _ := json.Marshal(stats); strings.Contains(string(b), `"errors":1`) {
		t.Errorf("script errors: %s", b)
	}
}
