package syslog

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
	collector "flowgate/collectors/syslog"
	"flowgate/engine"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// copyScripts installs files (absolute paths) as dir/callbacks/syslog/<base>.
func copyScripts(t testing.TB, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	d := filepath.Join(dir, "callbacks", "syslog")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var isoStamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+0000`)

// eveLines reads the EVE samples with their timestamps moved to now, so
// that the engine does not expire the flows as idle while the test runs.
func eveLines(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/eve.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000") + "+0000"
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out = append(out, isoStamp.ReplaceAllString(l, now))
	}
	return out
}

// sendEVE writes the samples as Suricata's syslog output does
// ("<PRI>stamp host suricata[pid]: {json}"), newline framed over TCP.
func sendEVE(t testing.TB, addr string, lines []string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := bufio.NewWriter(c)
	for _, l := range lines {
		fmt.Fprintf(w, "<14>Nov 22 00:30:00 ids01 suricata[3121]: %s\n", l)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

type flowRow struct {
	cli, srv            string
	cport, sport        uint16
	dns, site, url, sni string
	ja3                 string
}

func (f *fixture) flows() map[string]flowRow {
	out := map[string]flowRow{}
	f.iface.Do(func(t *engine.Tables) {
		t.Flows(func(fl *engine.Flow) bool {
			r := flowRow{cli: fl.Client().String(), srv: fl.Server().String(), cport: fl.ClientPort(), sport: fl.ServerPort(),
				dns: fl.DNSQuery(), site: fl.HTTPSite(), url: fl.HTTPURL(), sni: fl.TLSServerName(), ja3: fl.JA3C()}
			out[fmt.Sprintf("%s:%d-%s:%d", r.cli, r.cport, r.srv, r.sport)] = r
			return true
		})
	})
	return out
}

func startPipeline(t testing.TB, dir string, cfg Configuration, ccfg collector.Configuration) (*fixture, *collector.Collector) {
	t.Helper()
	f := newFixture(t, dir, cfg)
	if ccfg.Addr == "" {
		ccfg.Addr = "127.0.0.1:0"
	}
	c := collector.New(ccfg, f.rt)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return f, c
}

// flowgate's suricata.lua: EVE flow/alert/dns/tls/http/fileinfo become
// flows and alerts.
func TestSuricataEVE(t *testing.T) {
	dir := copyScripts(t, "../../deploy/scripts/callbacks/syslog/suricata.lua")
	f, c := startPipeline(t, dir, Configuration{}, collector.Configuration{Transport: collector.TCP})
	lines := eveLines(t)
	sendEVE(t, c.TCPAddr(), lines)
	testwait.For(t, "all EVE lines handled", func() bool {
		return f.rt.Totals().Handled == uint64(len(lines))
	})
	testwait.For(t, "7 flows", func() bool { return len(f.flows()) == 7 })
	fl := f.flows()
	checks := []struct {
		key  string
		test func(flowRow) bool
	}{
		{"192.168.10.5:51514-93.184.216.34:443", func(r flowRow) bool { return r.cli == "192.168.10.5" }},
		{"192.168.10.5:53000-192.168.10.1:53", func(r flowRow) bool { return r.dns == "www.example.org" }},
		{"192.168.10.6:51000-198.51.100.7:443", func(r flowRow) bool {
			return r.sni == "shop.example" && r.ja3 == "e7d705a3286e19ea42f587b344ee6865"
		}},
		{"192.168.10.7:52000-198.51.100.8:8080", func(r flowRow) bool {
			return r.site == "intranet.example" && r.url == "intranet.example/index.html"
		}},
		{"10.7.0.9:40000-203.0.113.80:80", func(r flowRow) bool { return r.site == "evil.example" }},
	}
	for _, k := range checks {
		r, ok := fl[k.key]
		if !ok || !k.test(r) {
			t.Errorf("flow %s: %+v (present %v); flows %v", k.key, r, ok, fl)
		}
	}
	// Two alerts, with Suricata's signature, category and severity.
	rows, total := f.store.List(alerts.Query{})
	if total != 2 {
		t.Fatalf("%d alerts: %+v", total, rows)
	}
	bySig := map[string]alerts.Alert{}
	for _, a := range rows {
		bySig[a.Subtype] = a
	}
	a := bySig["2024897"]
	if a.Severity != alerts.Severity(5) || !strings.Contains(a.JSON, `"signature":"ET USER_AGENTS Suspicious User-Agent (python-requests)"`) ||
		!strings.Contains(a.JSON, `"category":"A Network Trojan was detected"`) || a.EntityVal != "10.7.0.9:40000 -> 203.0.113.80:80" {
		t.Fatalf("alert %+v", a)
	}
	if bySig["2001219"].Severity != alerts.Severity(4) {
		t.Fatalf("severity 2 alert %+v", bySig["2001219"])
	}
	st := f.rt.Stats()[0]
	// 9 lines: 7 flows (2 of them alerts), 1 stats record (not a flow), 1 malformed.
	if st.Producer != "suricata" || st.TotEvents != 9 || st.Flows != 7 || st.Alerts != 2 || st.Malformed != 1 || st.Unhandled != 1 || st.Errors != 0 {
		t.Fatalf("producer stats %+v", st)
	}
}

// ntopng 4.2's own suricata.lua (beside the repository on CI, never copied
// into it) runs unmodified.
func TestCompatSuricata(t *testing.T) {
	src := testpeer.File(t, "../../../shared/compat/suricata.lua", "ntopng 4.2's suricata.lua")
	dir := copyScripts(t, src)
	f, c := startPipeline(t, dir, Configuration{}, collector.Configuration{Transport: collector.TCP})
	lines := eveLines(t)
	sendEVE(t, c.TCPAddr(), lines)
	testwait.For(t, "all EVE lines handled", func() bool { return f.rt.Totals().Handled+f.rt.Totals().Errors == uint64(len(lines)) })
	st := f.rt.Stats()[0]
	if st.Errors != 0 {
		t.Fatalf("compat suricata.lua failed: %+v", st)
	}
	// 4.2's script makes flows of alert/http/fileinfo/dns/tls (and netflow) records.
	testwait.For(t, "flows", func() bool { return len(f.flows()) == 6 })
	if st.TotEvents != 9 || st.Alerts != 2 || st.Flows != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// host_log.lua alerts on messages at or above its threshold, routed by the
// producer map.
func TestHostLog(t *testing.T) {
	dir := copyScripts(t, "../../deploy/scripts/callbacks/syslog/host_log.lua")
	f, c := startPipeline(t, dir, Configuration{ScriptConf: map[string]map[string]any{"host_log": {"threshold": 4}}},
		collector.Configuration{Transport: collector.UDP, Producers: map[string]string{"*": "host_log"}})
	u, err := net.Dial("udp", c.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, m := range []string{
		"<11>Nov 22 00:30:00 web01 kernel: disk failure",   // user.err: alert
		"<12>Nov 22 00:30:00 web01 sshd[1]: warning",       // user.warning: alert (threshold 4)
		"<14>Nov 22 00:30:00 web01 cron[2]: job done",      // info: no alert
		"<13>Nov 22 00:30:00 10.1.2.3 app: notice message", // notice: no alert
	} {
		if _, err := io.WriteString(u, m); err != nil {
			t.Fatal(err)
		}
	}
	testwait.For(t, "4 events", func() bool { return f.rt.Totals().Handled == 4 })
	rows, total := f.store.List(alerts.Query{})
	if total != 2 {
		t.Fatalf("%d alerts %+v", total, rows)
	}
	for _, a := range rows {
		if a.EntityVal != "web01@0" || !strings.Contains(a.JSON, `"host":"web01"`) {
			t.Fatalf("alert %+v", a)
		}
	}
}
