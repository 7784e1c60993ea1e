package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// killFlowScript stores one flow alert per flow when its application is
// detected (the 4.2 flow script contract): alert_user_02 with score 100
// for every third flow, alert_user_01 with 50 for the others, so that
// filters split them.
const killFlowScript = `
local user_scripts = require("user_scripts")
local flow_consts = require("flow_consts")
local script = {
  category = user_scripts.script_categories.security,
  default_enabled = true,
  hooks = {},
  gui = { i18n_title = "kill test", i18n_description = "one alert per flow" },
}
local n = 0
function script.hooks.protocolDetected(now, conf)
  n = n + 1
  local st, score = flow_consts.status_types.status_user_01, 50
  if n % 3 == 0 then st, score = flow_consts.status_types.status_user_02, 100 end
  flow.triggerStatus(st.create(), score, 10, 10)
end
return script
`

// TestScriptAndSyslogAlertsSurviveKill9: a flowgate child stores flow
// alerts raised by a user script (flows from the nProbe emulator over
// ZMQ) and host alerts raised by a syslog handler (real logger lines over
// UDP). Once the REST lists them (a list answers from what is
// committed), the child is SIGKILLed; a flowgate started on the same
// data dir answers every filtered list exactly as the child did.
func TestScriptAndSyslogAlertsSurviveKill9(t *testing.T) {
	logger := testpeer.Command(t, "logger", "bsdutils")
	data := t.TempDir()
	scripts := filepath.Join(data, "scripts")
	writeScripts(t, scripts, map[string][]byte{
		hostLogPath: hostLogHandler(t),
		"callbacks/interface/flow/kill_alerts.lua": []byte(killFlowScript),
	})
	zport, sport := freePort(t), freeUDPPort(t)
	args := []string{
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport), // ifid 0
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", sport), // ifid 1
		"--syslog-producers", "*=host_log",
		"-m", "10.1.0.0/16",
		"-w", "127.0.0.1:0", "-d", data, "--scripts-dir", scripts, "--disable-login",
	}
	began := time.Now().Unix()
	cmd, c := startChild(t, args)

	// Flows: one alert each.
	rep, err := emulator.Run(context.Background(), emulator.Config{
		Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
		Batch: 50, Total: 300, Hosts: 20, Flows: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.DistinctFlows == 0 {
		t.Fatal("the emulator sent no flow")
	}
	// Syslog: auth.err lines raise error alerts, auth.warning lines
	// warnings (host_log's threshold is level 5), on the sending host.
	const nErr, nWarn = 20, 10
	for _, l := range []struct {
		prio string
		n    int
	}{{"auth.err", nErr}, {"auth.warning", nWarn}} {
		lines := strings.Repeat("error: maximum authentication attempts exceeded for root\n", l.n)
		lg := exec.Command(logger, "-n", "127.0.0.1", "-P", fmt.Sprint(sport), "-d", "--rfc3164", "-p", l.prio, "-t", "sshd")
		lg.Stdin = strings.NewReader(lines)
		if b, err := lg.CombinedOutput(); err != nil {
			t.Fatalf("logger: %v %s", err, b)
		}
	}

	flows := "/lua/rest/v2/get/flow/alert/list.lua?ifid=0&length=1000"
	hosts := "/lua/rest/v2/get/host/alert/list.lua?ifid=1&length=1000"
	total := func(c *client, path string) int {
		env, code := c.get(path)
		if code != 200 {
			return -1
		}
		return int(num(env["recordsTotal"]))
	}
	testwait.ForState(t, "stored flow and host_log alerts", func() (any, bool) {
		f, h := total(c, flows), total(c, hosts)
		return [2]int{f, h}, uint64(f) == rep.DistinctFlows && h == nErr+nWarn
	})
	// What the child answers to each filtered list: the total and the
	// row ids of the page (sorted by time, newest first).
	queries := []string{
		flows, flows + "&alert_id=alert_user_02;eq", flows + "&alert_id=alert_user_02;neq",
		flows + "&cli_ip=10.1.0.1;eq", flows + "&ip=10.1.0.2;eq", flows + "&severity=error;eq&score=100;lt",
		flows + "&start=10&length=5&sort=rowid&order=asc",
		hosts, hosts + "&severity=error;eq", hosts + "&severity=warning;eq", hosts + "&alert_id=alert_host_log;eq",
		flows + "&status=engaged", hosts + "&status=acknowledged",
		// 13-16: the other operators; 17, 18: epoch ranges holding every
		// alert and none; 19: CSV (format=txt).
		flows + "&cli_ip=10.1.0.1;in", flows + "&cli_ip=10.1.0.1;nin", flows + "&score=50;gt", flows + "&score=50;lte&severity=warning;gte",
		flows + fmt.Sprintf("&epoch_begin=%d&epoch_end=%d", began-60, time.Now().Unix()+3600),
		flows + fmt.Sprintf("&epoch_begin=%d&epoch_end=%d", began-7200, began-3600),
		flows + "&format=txt&alert_id=alert_user_02;eq",
	}
	type answer struct {
		Total int
		IDs   []string
	}
	ask := func(c *client, q string) answer {
		env, code := c.get(q)
		if code != 200 {
			t.Fatalf("%s: HTTP %d %v", q, code, env)
		}
		if text, ok := env["text"].(string); ok { // format=txt: a header, then one line per alert
			recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
			if err != nil || len(recs) == 0 || recs[0][0] != "row_id" {
				t.Fatalf("%s: CSV %q: %v", q, text, err)
			}
			a := answer{Total: len(recs) - 1}
			for _, r := range recs[1:] {
				a.IDs = append(a.IDs, r[0])
			}
			return a
		}
		a := answer{Total: int(num(env["recordsTotal"]))}
		rsp, _ := env["rsp"].(map[string]any)
		rows, _ := rsp["records"].([]any)
		for _, r := range rows {
			row, _ := r.(map[string]any)
			id, _ := row["row_id"].(string)
			a.IDs = append(a.IDs, id)
		}
		if len(a.IDs) != min(a.Total, 1000) && !strings.Contains(q, "length=5") {
			t.Errorf("%s: %d rows for a total of %d", q, len(a.IDs), a.Total)
		}
		return a
	}
	before := map[string]answer{}
	for _, q := range queries {
		before[q] = ask(c, q)
	}
	// The filters select: each splits the alerts (neither none nor all).
	for _, q := range append(append([]string{}, queries[1:6]...), queries[13:17]...) {
		if n := before[q].Total; n == 0 || uint64(n) == rep.DistinctFlows {
			t.Errorf("%s: %d of %d flow alerts: the filter does not split them", q, n, rep.DistinctFlows)
		}
	}
	if n := before[queries[17]].Total; uint64(n) != rep.DistinctFlows || before[queries[18]].Total != 0 {
		t.Errorf("epoch ranges: %d alerts in the test's range (want %d), %d an hour before it (want 0)", n, rep.DistinctFlows, before[queries[18]].Total)
	}
	if got, want := before[queries[19]], before[queries[1]]; got.Total != want.Total || got.Total == 0 {
		t.Errorf("format=txt: %d lines, the JSON list %d alerts", got.Total, want.Total)
	}
	if before[queries[8]].Total != nErr || before[queries[9]].Total != nWarn {
		t.Errorf("host_log alerts by severity: %d error, %d warning; want %d, %d",
			before[queries[8]].Total, before[queries[9]].Total, nErr, nWarn)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no Stop, no checkpoint
		t.Fatal(err)
	}
	cmd.Wait()

	// A copy of the files as they were left, with the WAL's last frame
	// torn (a crash while the OS wrote it), for the second restart below.
	torn := t.TempDir()
	wal, err := os.ReadFile(filepath.Join(data, "alerts.db-wal"))
	if err != nil || len(wal) < 32+4096+1000 {
		t.Fatalf("WAL after kill -9: %d bytes, %v", len(wal), err)
	}
	db, err := os.ReadFile(filepath.Join(data, "alerts.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(torn, "alerts.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(torn, "alerts.db-wal"), wal[:len(wal)-1000], 0o600); err != nil {
		t.Fatal(err)
	}

	start := func(args []string) (*app, *client) {
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
		return a, &client{t: t, base: "http://" + a.http.Addr()}
	}
	a, c2 := start(args)
	for _, q := range queries {
		if got := ask(c2, q); !reflect.DeepEqual(got, before[q]) {
			t.Errorf("after kill -9 and restart, %s:\n got %+v\nwant %+v", q, got, before[q])
		}
	}
	a.stop()

	// The torn copy opens: SQLite ignores the torn frame and what follows
	// it in the WAL, so the lists hold whole transactions, a prefix of
	// what was stored: every alert listed is one the child listed.
	a, c3 := start([]string{"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", freePort(t)),
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", freeUDPPort(t)), "-w", "127.0.0.1:0", "-d", torn, "--scripts-dir", scripts, "--disable-login"})
	defer a.stop()
	for _, q := range []string{flows, hosts} {
		got, want := ask(c3, q), before[q]
		seen := map[string]bool{}
		for _, id := range want.IDs {
			seen[id] = true
		}
		for _, id := range got.IDs {
			if !seen[id] {
				t.Errorf("torn WAL, %s: row %s was never stored", q, id)
			}
		}
		if got.Total > want.Total {
			t.Errorf("torn WAL, %s: %d alerts, more than the %d stored", q, got.Total, want.Total)
		}
		t.Logf("torn WAL, %s: %d of %d alerts", q, got.Total, want.Total)
	}
}
