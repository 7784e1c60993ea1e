package recipients

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	for _, tc := range []struct {
		c    EndpointConfig
		want string // "" means an error
	}{
		{EndpointConfig{Name: "s", Type: "syslog", Params: map[string]string{"host": "siem", "port": "514", "protocol": "tcp", "format": "cef"}},
			"syslog+tcp://siem:514?format=cef"},
		{EndpointConfig{Name: "s", Type: "syslog", Params: map[string]string{"url": "tls://siem:6514", "insecure": "1"}},
			"syslog+tls://siem:6514?insecure=1"},
		{EndpointConfig{Name: "w", Type: "webhook", Params: map[string]string{"url": "https://h/x?style=slack", "secret": "k"}},
			"webhook+https://h/x?secret=k&style=slack"},
		{EndpointConfig{Name: "w", Type: "webhook", Params: map[string]string{"host": "h", "path": "in"}},
			"webhook+https://h/in"},
		{EndpointConfig{Name: "f", Type: "file", Params: map[string]string{"url": "/var/log/a.jsonl"}},
			"file:///var/log/a.jsonl"},
		{EndpointConfig{Name: "e", Type: "email", Params: map[string]string{"host": "mx", "port": "25", "to": "a@b"}},
			"smtp://mx:25?to=a%40b"},
		{EndpointConfig{Name: "n", Type: "nats", Params: map[string]string{"host": "n", "port": "4222", "path": "alerts"}},
			"nats://n:4222/alerts"},
		{EndpointConfig{Name: "s", Type: "syslog", Params: map[string]string{"host": "siem"}}, ""},                          // no port
		{EndpointConfig{Name: "s", Type: "syslog", Params: map[string]string{"url": "https://x:1"}}, ""},                    // wrong kind
		{EndpointConfig{Name: "s", Type: "webhook", Params: map[string]string{"url": "https://x", "host": "y"}}, ""},        // both
		{EndpointConfig{Name: "s", Type: "webhook", Params: map[string]string{"url": "https://x", "entities": "host"}}, ""}, // recipient key
		{EndpointConfig{Name: "s", Type: "webhook", Params: map[string]string{"url": "https://x", "framing": "octet"}}, ""}, // other kind's key
		{EndpointConfig{Name: "../x", Type: "webhook", Params: map[string]string{"url": "https://x"}}, ""},                  // name
		{EndpointConfig{Name: "s", Type: "pagerduty", Params: map[string]string{"url": "https://x"}}, ""},                   // type
	} {
		u, err := endpointURL(tc.c)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%+v: accepted as %s", tc.c, u)
		case tc.want != "" && err != nil:
			t.Errorf("%+v: %v", tc.c, err)
		case tc.want != "" && u.String() != tc.want:
			t.Errorf("%+v: %s, want %s", tc.c, u, tc.want)
		}
	}
}

func TestUnmask(t *testing.T) {
	prev := map[string]string{"secret": "s1", "url": "https://u:pw@h/x?password=t1"}
	got := unmask(map[string]string{"secret": Masked, "url": "https://u:" + Masked + "@h/y?password=" + Masked}, prev)
	if got["secret"] != "s1" || got["url"] != "https://u:pw@h/y?password=t1" {
		t.Fatalf("unmask: %v", got)
	}
	e := &namedEndpoint{cfg: EndpointConfig{Name: "w", Type: "webhook", Params: prev}}
	var err error
	if e.u, err = endpointURL(e.cfg); err != nil {
		t.Fatal(err)
	}
	info := e.info(nil)
	for _, s := range []string{info.URL, info.Params["url"], info.Params["secret"]} {
		if strings.Contains(s, "pw") || strings.Contains(s, "t1") || strings.Contains(s, "s1") {
			t.Fatalf("secret in %q", s)
		}
	}
}

// Endpoints and recipients of the configuration file run like REST ones
// but are neither saved nor editable over REST.
func TestConfigFileModel(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a.jsonl")
	cfg := Configuration{DataDir: dir,
		Endpoints:  []EndpointConfig{{Name: "f", Type: "file", Params: map[string]string{"url": out}}},
		Recipients: []RecipientConfig{{Name: "r", Endpoint: "f", Params: map[string]string{"min_severity": "error"}}}}
	m := New(cfg)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if st, ok := m.Get("r"); !ok || st.EndpointName != "f" || st.Persistent {
		t.Fatalf("config recipient: %+v %v", st, ok)
	}
	if _, err := m.EditEndpoint(EndpointConfig{Name: "f", Params: map[string]string{"url": out + "2"}}); err == nil {
		t.Fatal("config endpoint edited over REST")
	}
	if _, err := m.EditRecipient(RecipientConfig{Name: "r"}); err == nil {
		t.Fatal("config recipient edited over REST")
	}
	if err := m.ResetEndpoints(); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Endpoint("f"); !ok {
		t.Fatal("config endpoint reset")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "endpoints.json")); strings.Contains(string(b), out) {
		t.Fatalf("config endpoint saved: %s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "recipients.json")); strings.Contains(string(b), `"r"`) {
		t.Fatalf("config recipient saved: %s", b)
	}
	bad := cfg
	bad.Recipients = []RecipientConfig{{Name: "r", Endpoint: "nope"}}
	m2 := New(bad)
	if err := m2.Start(); err == nil {
		m2.Stop()
		t.Fatal("recipient of an unknown endpoint started")
	}
}
