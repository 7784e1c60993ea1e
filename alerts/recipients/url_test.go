package recipients

import (
	"strings"
	"testing"

	"flowgate/alerts"
)

func TestParseURL(t *testing.T) {
	good := []struct{ url, kind, transport, format string }{
		{"syslog+udp://127.0.0.1:514", "syslog", "udp", "text"},
		{"syslog+tcp://siem:6514?format=cef&min_severity=warning", "syslog", "tcp", "cef"},
		{"syslog+tls://siem:6514?format=ecs&ca=/x.pem", "syslog", "tls", "ecs"},
		{"webhook+https://h/path?secret=S&style=slack", "webhook", "https", "json"},
		{"file:///var/log/alerts.jsonl?max_size=10MB", "file", "", "json"},
		{"smtp://u:p@mail:587?to=a@b.c&starttls=1", "smtp", "smtp", "text"},
		{"nats://127.0.0.1:4222/alerts.fg?stream=ALERTS", "nats", "", "json"},
		{"shell:///usr/local/bin/x", "shell", "", "json"},
	}
	for _, g := range good {
		sp, err := ParseURL(g.url)
		if err != nil {
			t.Errorf("%s: %v", g.url, err)
			continue
		}
		if sp.Kind != g.kind || sp.Transport != g.transport || sp.Format != g.format || sp.Name == "" {
			t.Errorf("%s: %+v", g.url, sp)
		}
		if strings.Contains(sp.Redacted(), "S&") || strings.Contains(sp.Redacted(), ":p@") {
			t.Errorf("secret shown: %s", sp.Redacted())
		}
	}
	bad := map[string]string{
		"syslog+tcp://h":                        "missing port",
		"syslog+sctp://h:1":                     "transport",
		"ftp://h/x":                             "unknown scheme",
		"syslog+tcp://h:1?format=xml":           "format",
		"syslog+tcp://h:1?min_severity=loud":    "min_severity",
		"syslog+tcp://h:1?networks=10.0.0.0/33": "network",
		"syslog+tcp://h:1?entities=planet":      "entity",
		"syslog+tcp://h:1?colour=red":           "unknown parameter",
		"smtp://mail:25":                        "to=",
		"nats://h:4222":                         "subject",
		"webhook+http://h/?timeout=soon":        "timeout",
		"syslog+tcp://h:1?name=a/b":             "name",
		"%zz":                                   "invalid URL escape",
	}
	for u, want := range bad {
		if _, err := ParseURL(u); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", u, err, want)
		}
	}
}

func TestFilter(t *testing.T) {
	sp, err := ParseURL("file:///x?min_severity=warning&categories=network,security&entities=host,flow&networks=192.168.0.0/16,8.8.8.8&actions=engage,store")
	if err != nil {
		t.Fatal(err)
	}
	f := sp.Filter
	h := hostAlert(1) // error, network category, 192.168.1.10, engage
	fl := flowAlert() // warning, security, srv 8.8.8.8, store
	if !f.Match(&h) || !f.Match(&fl) {
		t.Fatal("matching alerts filtered out")
	}
	for name, mod := range map[string]func(a *alerts.Alert){
		"severity": func(a *alerts.Alert) { a.Severity = alerts.SeverityNotice },
		"category": func(a *alerts.Alert) { a.Category = 4 },
		"entity":   func(a *alerts.Alert) { a.Entity = alerts.EntityInterface },
		"network":  func(a *alerts.Alert) { a.EntityVal = "10.1.1.1@0" },
		"action":   func(a *alerts.Alert) { a.Action = alerts.ActionRelease },
	} {
		a := hostAlert(1)
		mod(&a)
		if f.Match(&a) {
			t.Errorf("%s: should be filtered out", name)
		}
	}
	sys, _ := ParseURL("file:///x?entities=system,syslog")
	a := hostAlert(1)
	if sys.Filter.Match(&a) {
		t.Error("host alert passed a system/syslog filter")
	}
	a.IfID = -1
	if !sys.Filter.Match(&a) {
		t.Error("system alert filtered out")
	}
}
