package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

// TestHostLogHandlerToRecipients: a syslog handler written as ntopng 4.2's
// host_log.lua (lua_utils, alert_severities, alert_consts, alerts_api,
// user_scripts and companion_interface_utils; the threshold from
// syslog_conf.host_log.all.script_conf, i.e. its default_value; alerts
// stored on hostAlertEntity(host, 0), then again on each companion
// interface after interface.select) raises alert_host_log alerts that reach
// a syslog-TCP recipient and a file recipient.
func TestHostLogHandlerToRecipients(t *testing.T) {
	data := t.TempDir()
	scripts := filepath.Join(data, "scripts")
	writeScripts(t, scripts, map[string][]byte{hostLogPath: hostLogHandler(t)})

	// The SIEM: a TCP listener taking LF-terminated syslog lines.
	siem, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer siem.Close()
	var mu sync.Mutex
	var siemLines []string
	go func() {
		for {
			c, err := siem.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					mu.Lock()
					siemLines = append(siemLines, sc.Text())
					mu.Unlock()
				}
			}()
		}
	}()

	sport := freePort(t)
	alertsFile := filepath.Join(data, "alerts.jsonl")
	opts, err := parseArgs([]string{
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", freePort(t)), // ifid 0
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@tcp", sport), // ifid 1
		"--syslog-producers", "*=host_log",
		"-w", "127.0.0.1:0", "-d", data, "--scripts-dir", scripts, "--disable-login",
		"--recipient", fmt.Sprintf("syslog+tcp://%s?format=json&octet_counting=0", siem.Addr()),
		"--recipient", "file://" + alertsFile,
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// Interface 0 has the syslog interface as its companion, as ntopng's
	// companion_interface_utils.setCompanion(0, "1") records it.
	if err := a.kv.SAdd("ntopng.prefs.companion_interface.ifid_1.companion_of", "0"); err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	defer a.stop()

	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sport))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// auth.info (level 6) is above the threshold (5): no alert. It goes
	// first: one producer's events are handled in order, so once the
	// others' alerts are out, its absence is final.
	lines := []string{
		"<38>Nov 22 00:30:00 10.1.2.3 sshd[10]: Accepted publickey for admin",
		"<35>Nov 22 00:30:01 10.1.2.3 sshd[11]: error: maximum authentication attempts exceeded for root",
		"<28>Nov 22 00:30:02 fw-1 kernel: nf_conntrack: table full, dropping packet",
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(conn, "%s\n", l); err != nil {
			t.Fatal(err)
		}
	}

	hostLog, ok := alerts.TypeByKey("alert_host_log")
	if !ok {
		t.Fatal("alert_host_log is not an alert type")
	}
	type got struct {
		IfID      int    `json:"ifid"`
		Action    string `json:"action"`
		Type      int    `json:"alert_type"`
		Subtype   string `json:"alert_subtype"`
		Severity  int    `json:"alert_severity"`
		Entity    int    `json:"alert_entity"`
		EntityVal string `json:"alert_entity_val"`
		AlertJSON string `json:"alert_json"`
	}
	// Two alerting lines, each stored on ifid 1 and on its companion ifid 0.
	const want = 4
	parse := func(lines []string) []got {
		var out []got
		for _, l := range lines {
			i := strings.IndexByte(l, '{')
			if i < 0 {
				continue
			}
			var g got
			if err := json.Unmarshal([]byte(l[i:]), &g); err != nil {
				t.Fatalf("recipient line %q: %v", l, err)
			}
			out = append(out, g)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].EntityVal != out[j].EntityVal {
				return out[i].EntityVal < out[j].EntityVal
			}
			return out[i].IfID < out[j].IfID
		})
		return out
	}
	readFile := func() []string {
		raw, _ := os.ReadFile(alertsFile)
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	}
	readSIEM := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), siemLines...)
	}
	testwait.ForState(t, "alert_host_log alerts at both recipients", func() (any, bool) {
		f, s := parse(readFile()), parse(readSIEM())
		st, _ := (&client{t: t, base: "http://" + a.http.Addr()}).get("/lua/rest/v2/get/syslog/stats.lua?ifid=1")
		return map[string]any{"file": f, "siem": s, "syslog": st}, len(f) >= want && len(s) >= want
	})

	sum := func(s string) string {
		n := 0
		for i := 0; i < len(s); i++ {
			n += int(s[i])
		}
		return fmt.Sprint(n)
	}
	type exp struct {
		ifid             int
		entityVal        string
		sev              alerts.Severity
		facility, needle string
	}
	expected := []exp{
		{0, "10.1.2.3@0", alerts.SeverityError, "auth", "maximum authentication attempts exceeded for root"},
		{1, "10.1.2.3@0", alerts.SeverityError, "auth", "maximum authentication attempts exceeded for root"},
		{0, "fw-1@0", alerts.SeverityWarning, "daemon", "nf_conntrack: table full"},
		{1, "fw-1@0", alerts.SeverityWarning, "daemon", "nf_conntrack: table full"},
	}
	for name, recs := range map[string][]got{"file": parse(readFile()), "syslog-tcp": parse(readSIEM())} {
		if len(recs) != want {
			t.Errorf("%s recipient: %d alerts, want %d: %+v", name, len(recs), want, recs)
			continue
		}
		for i, e := range expected {
			g := recs[i]
			var params struct{ Host, Facility, Message string }
			if err := json.Unmarshal([]byte(g.AlertJSON), &params); err != nil {
				t.Errorf("%s: alert_json %q: %v", name, g.AlertJSON, err)
			}
			if g.IfID != e.ifid || g.Action != "store" || g.Type != hostLog.ID || g.Entity != int(alerts.EntityHost) ||
				g.EntityVal != e.entityVal || g.Severity != int(e.sev) || g.Subtype != sum(params.Message) ||
				params.Facility != e.facility || !strings.Contains(params.Message, e.needle) ||
				params.Host+"@0" != e.entityVal {
				t.Errorf("%s recipient alert %d: %+v (params %+v), want %+v", name, i, g, params, e)
			}
		}
	}
}
