package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/internal/testwait"
	"flowgate/snmp/snmptest"
)

// launch runs flowgate with exactly these arguments (no default ZMQ
// interface added), HTTP on a free port, login off.
func launch(t *testing.T, args ...string) *app {
	t.Helper()
	opts, err := parseArgs(append([]string{"-w", "127.0.0.1:0", "--disable-login"}, args...))
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
	t.Cleanup(a.stop)
	return a
}

// freeUDPPort is a UDP port nobody listens on right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestSeveralSyslogInterfaces: a ZMQ interface and two syslog interfaces
// start together, and each syslog interface's REST (by its ifid) reports
// its own listener and counts only what was sent to it.
func TestSeveralSyslogInterfaces(t *testing.T) {
	p1, p2 := freePort(t), freePort(t)
	a := launch(t, "-d", t.TempDir(),
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", freePort(t)),
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", p1),
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", p2))
	c := &client{t: t, base: "http://" + a.httpAddr()}
	env, _ := c.get("/lua/rest/v2/get/ntopng/interfaces.lua")
	if ifs, _ := env["rsp"].([]any); len(ifs) != 3 {
		t.Fatalf("interfaces %v", env)
	}
	// Interface ifid gets `sent` messages on port.
	for _, tc := range []struct {
		ifid, port, sent int
	}{{1, p1, 3}, {2, p2, 1}} {
		conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", tc.port))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < tc.sent; i++ {
			fmt.Fprintf(conn, "<134>Nov 22 00:30:0%d fw app[1]: message %d to ifid %d", i, i, tc.ifid)
		}
		conn.Close()
		path := fmt.Sprintf("/lua/rest/v2/get/syslog/stats.lua?ifid=%d", tc.ifid)
		var listener map[string]any
		testwait.For(t, path, func() bool {
			listener = c.rsp(path)["listener"].(map[string]any)
			return num(listener["received"]) >= uint64(tc.sent)
		})
		if num(listener["received"]) != uint64(tc.sent) || !strings.HasSuffix(listener["udp_addr"].(string), fmt.Sprintf(":%d", tc.port)) {
			t.Errorf("ifid %d: listener %v, want %d messages on port %d", tc.ifid, listener, tc.sent, tc.port)
		}
		if _, code := c.get(fmt.Sprintf("/lua/rest/v2/get/syslog/producers.lua?ifid=%d", tc.ifid)); code != 200 {
			t.Errorf("ifid %d: producers: HTTP %d", tc.ifid, code)
		}
	}
	if env, _ := c.get("/lua/rest/v2/get/syslog/stats.lua?ifid=0"); env["rc_str"] != "INVALID_INTERFACE" {
		t.Errorf("ZMQ interface as syslog: %v", env)
	}
}

// trapScript stores an alert naming the trap's first varbind.
const trapScript = `
local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local s = { hooks = {} }
function s.hooks.trap(trap)
  local vb = trap.varbinds[1]
  local t = alert_consts.alert_types.alert_user_01.create(alert_consts.alert_severities.info,
    { marker = "trap-script-ran", first = vb and (vb.oid .. "=" .. vb.value) or "" })
  alerts_api.store(alerts_api.snmpDeviceEntity(trap.source), t)
end
return s
`

// TestTrapOnly: `-i snmptrap://…` alone starts, serves REST, and a trap
// sent with net-snmp's snmptrap reaches the trap script, whose alert (and
// the receiver's own) reach a file recipient.
func TestTrapOnly(t *testing.T) {
	data := t.TempDir()
	scripts := filepath.Join(data, "scripts")
	trapDir := filepath.Join(scripts, "callbacks", "system", "snmp_trap")
	if err := os.MkdirAll(trapDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(trapDir, "record.lua"), []byte(trapScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "alerts.jsonl")
	port := freeUDPPort(t)
	a := launch(t, "-d", data, "-i", fmt.Sprintf("snmptrap://127.0.0.1:%d", port), "--recipient", "file://"+out)
	c := &client{t: t, base: "http://" + a.httpAddr()}
	env, code := c.get("/lua/rest/v2/get/ntopng/interfaces.lua")
	if ifs, ok := env["rsp"].([]any); code != 200 || !ok || len(ifs) != 0 {
		t.Fatalf("interfaces: HTTP %d %v", code, env)
	}
	if _, err := snmptest.Tool(t, "snmptrap", "-v", "2c", "-c", "public", fmt.Sprintf("127.0.0.1:%d", port), "",
		"1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7"); err != nil {
		t.Fatal(err)
	}
	var lines []string
	testwait.For(t, "the trap script's alert in the file recipient", func() bool {
		lines = readLines(out)
		for _, l := range lines {
			if strings.Contains(l, "trap-script-ran") && strings.Contains(l, "1.3.6.1.2.1.2.2.1.1.7=7") {
				return true
			}
		}
		return false
	})
	if len(lines) < 2 {
		t.Errorf("file recipient has %d alerts, want the receiver's and the script's:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestPollOnly: `--snmp-device` alone (no -i: no ZMQ port is bound) starts,
// polls a real snmpd and serves the device over REST.
func TestPollOnly(t *testing.T) {
	agent := snmptest.StartAgent(t)
	a := launch(t, "-d", t.TempDir(), "--snmp-device",
		fmt.Sprintf("snmp://%s@127.0.0.1:%d?version=2c", snmptest.ReadCommunity, agent.Port))
	c := &client{t: t, base: "http://" + a.httpAddr()}
	env, code := c.get("/lua/rest/v2/get/ntopng/interfaces.lua")
	if ifs, ok := env["rsp"].([]any); code != 200 || !ok || len(ifs) != 0 {
		t.Fatalf("interfaces: HTTP %d %v", code, env)
	}
	testwait.For(t, "the device reachable over REST", func() bool {
		env, _ := c.get("/lua/rest/v2/get/snmp/device/list.lua")
		list, _ := env["rsp"].([]any)
		return len(list) == 1 && list[0].(map[string]any)["reachable"] == true &&
			strings.Contains(fmt.Sprint(list[0]), snmptest.SysName)
	})
}

// TestBadInputsRefusedBeforeStart: a bad -i, --snmp-device or --recipient
// is one clear error from the option parser (exit 2 in main), before any
// component is built.
func TestBadInputsRefusedBeforeStart(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-i", "foo://127.0.0.1:1"}, `unknown scheme "foo"`},
		{[]string{"-i", "syslog://127.0.0.1:notaport"}, "syslog://127.0.0.1:notaport"},
		{[]string{"-i", "syslog://127.0.0.1:5140@tls"}, "--syslog-tls-cert"},
		{[]string{"-i", "snmptrap://127.0.0.1:1162", "-i", "snmptrap://127.0.0.1:1163"}, "only one snmptrap interface"},
		{[]string{"-i", "eth0", "-B", "tcp port"}, `packet filter "tcp port"`},
		{[]string{"--snmp-device", "snmp://"}, "snmp"},
		{[]string{"--recipient", "gopher://x"}, "gopher"},
	} {
		_, err := parseArgs(append([]string{"-d", t.TempDir()}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.args, err, tc.want)
		}
	}
}

// TestStartFailureStopsStarted: when a component cannot start (the HTTP
// port is taken), start names it, and the components that had started are
// stopped again: the ZMQ port they bound is free.
func TestStartFailureStopsStarted(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	zport := freePort(t)
	opts, err := parseArgs([]string{"-d", t.TempDir(), "--disable-login", "-w", busy.Addr().String(),
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	err = a.start()
	if err == nil {
		a.stop()
		t.Fatal("start succeeded on a busy HTTP port")
	}
	if !strings.HasPrefix(err.Error(), "http: ") {
		t.Errorf("error %q does not name the http component", err)
	}
	if a.started != 0 {
		t.Errorf("%d components still marked started", a.started)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", zport))
	if err != nil {
		t.Fatalf("the ZMQ port is still bound after the failed start: %v", err)
	}
	l.Close()
}
