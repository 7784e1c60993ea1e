package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/alerts/recipients"
	"flowgate/engine"
	"flowgate/internal/testwait"
)

func TestRecipientsREST(t *testing.T) {
	dir := t.TempDir()
	m := recipients.New(recipients.Configuration{DataDir: dir})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: engine.New(engine.DefaultConfiguration())})
	s.HandleRecipients(m)
	do := func(method, path string, form url.Values) (int, map[string]any) {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var env map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &env)
		return rec.Code, env
	}
	out := filepath.Join(dir, "a.jsonl")
	code, env := do("POST", "/lua/rest/v2/add/recipient.lua", url.Values{"url": {"file://" + out + "?name=f1&min_severity=error"}})
	if code != http.StatusOK || env["rc"] != 0.0 {
		t.Fatalf("add: %d %v", code, env)
	}
	if code, _ := do("POST", "/lua/rest/v2/add/recipient.lua", url.Values{"url": {"syslog+tcp://h?format=xml"}}); code != http.StatusBadRequest {
		t.Fatalf("bad url accepted: %d", code)
	}
	_, env = do("POST", "/lua/rest/v2/test/recipient.lua", url.Values{"recipient_name": {"f1"}})
	if rsp, _ := env["rsp"].(map[string]any); rsp["success"] != true {
		t.Fatalf("test: %v", env)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), `"event_id"`) {
		t.Fatalf("test notification not written: %s", b)
	}
	_, env = do("GET", "/lua/rest/v2/get/recipient/list.lua", nil)
	if l, _ := env["rsp"].([]any); len(l) != 1 {
		t.Fatalf("list: %v", env)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "recipients.json")); !strings.Contains(string(b), "name=f1") {
		t.Fatalf("not persisted: %s", b)
	}
	if code, _ := do("POST", "/lua/rest/v2/delete/recipient.lua", url.Values{"recipient_name": {"f1"}}); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := do("POST", "/lua/rest/v2/delete/recipient.lua", url.Values{"recipient_name": {"f1"}}); code != 404 {
		t.Fatalf("delete twice: %d", code)
	}
}

// hookReq is one request the test webhook receiver got.
type hookReq struct {
	path, sig string
	body      []byte
}

func TestEndpointRecipientREST(t *testing.T) {
	got := make(chan hookReq, 64)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- hookReq{path: r.URL.Path, sig: r.Header.Get(recipients.SignatureHeader), body: b}
	}))
	defer hook.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	next := func(what string) hookReq {
		t.Helper()
		select {
		case h := <-got:
			return h
		case <-time.After(testwait.Timeout):
			t.Fatalf("%s: nothing reached the webhook", what)
			return hookReq{}
		}
	}
	signed := func(h hookReq, secret string) bool {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(h.body)
		return h.sig == "sha256="+hex.EncodeToString(mac.Sum(nil))
	}

	dir := t.TempDir()
	cfg := recipients.Configuration{DataDir: dir, BackoffMin: time.Millisecond, BackoffMax: 10 * time.Millisecond}
	m := recipients.New(cfg)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			m.Stop()
		}
	}()
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: engine.New(engine.DefaultConfiguration())})
	s.HandleRecipients(m)
	do := func(method, path string, form url.Values) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var env map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &env)
		return rec.Code, env
	}
	rsp := func(env map[string]any) map[string]any { r, _ := env["rsp"].(map[string]any); return r }

	// Endpoints: add (secret masked in the answer, kept in the 0600 file).
	code, env := do("POST", "/lua/rest/v2/add/endpoint.lua", url.Values{"endpoint_conf_name": {"hook"},
		"endpoint_conf_type": {"webhook"}, "url": {hook.URL + "/a"}, "secret": {"s3cret"}})
	if code != 200 {
		t.Fatalf("add endpoint: %d %v", code, env)
	}
	if p, _ := rsp(env)["params"].(map[string]any); p["secret"] != recipients.Masked || strings.Contains(fmt.Sprint(env), "s3cret") {
		t.Fatalf("secret not masked: %v", env)
	}
	fi, err := os.Stat(filepath.Join(dir, "endpoints.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("endpoints.json: %v %v", fi, err)
	}
	for _, bad := range []url.Values{
		{"endpoint_conf_name": {"x"}, "endpoint_conf_type": {"webhook"}, "url": {hook.URL}, "bogus": {"1"}},
		{"endpoint_conf_name": {"x"}, "endpoint_conf_type": {"syslog"}, "host": {"siem"}},
		{"endpoint_conf_name": {"x"}, "endpoint_conf_type": {"pager"}, "host": {"siem"}},
		{"endpoint_conf_name": {"x"}, "endpoint_conf_type": {"webhook"}, "url": {hook.URL}, "min_severity": {"error"}},
		{"endpoint_conf_name": {"hook"}, "endpoint_conf_type": {"webhook"}, "url": {hook.URL}},
	} {
		if code, env := do("POST", "/lua/rest/v2/add/endpoint.lua", bad); code != http.StatusBadRequest {
			t.Errorf("bad endpoint %v accepted: %d %v", bad, code, env)
		}
	}
	if code, env := do("POST", "/lua/rest/v2/add/endpoint.lua", url.Values{"endpoint_conf_name": {"down"},
		"endpoint_conf_type": {"webhook"}, "url": {failing.URL}}); code != 200 {
		t.Fatalf("add endpoint down: %d %v", code, env)
	}
	_, env = do("GET", "/lua/rest/v2/get/endpoint/list.lua", nil)
	if l, _ := env["rsp"].([]any); len(l) != 2 {
		t.Fatalf("endpoint list: %v", env)
	}
	if code, _ := do("GET", "/lua/rest/v2/get/endpoint/config.lua?endpoint_conf_name=nope", nil); code != 404 {
		t.Fatalf("get missing endpoint: %d", code)
	}

	// Test on an endpoint: a signed sample notification, or the failure.
	_, env = do("POST", "/lua/rest/v2/test/endpoint.lua", url.Values{"endpoint_conf_name": {"hook"}})
	if rsp(env)["success"] != true {
		t.Fatalf("test endpoint: %v", env)
	}
	if h := next("endpoint test"); h.path != "/a" || !signed(h, "s3cret") || !strings.Contains(string(h.body), "flowgate recipient test") {
		t.Fatalf("endpoint test request: %s %s %s", h.path, h.sig, h.body)
	}
	_, env = do("POST", "/lua/rest/v2/test/endpoint.lua", url.Values{"endpoint_conf_name": {"down"}})
	if r := rsp(env); r["success"] != false || !strings.Contains(fmt.Sprint(r["message"]), "503") {
		t.Fatalf("failing endpoint test: %v", env)
	}

	// Recipients reference an endpoint by name, with ntopng's filter names.
	code, env = do("POST", "/lua/rest/v2/add/recipient.lua", url.Values{"recipient_name": {"r1"},
		"endpoint_conf_name": {"hook"}, "recipient_minimum_severity": {"error"}})
	if code != 200 || rsp(env)["endpoint_conf_name"] != "hook" {
		t.Fatalf("add recipient: %d %v", code, env)
	}
	for _, bad := range []url.Values{
		{"recipient_name": {"r2"}, "endpoint_conf_name": {"nope"}},
		{"recipient_name": {"r2"}, "endpoint_conf_name": {"hook"}, "secret": {"x"}},
		{"recipient_name": {"r1"}, "endpoint_conf_name": {"hook"}},
	} {
		if code, env := do("POST", "/lua/rest/v2/add/recipient.lua", bad); code != http.StatusBadRequest {
			t.Errorf("bad recipient %v accepted: %d %v", bad, code, env)
		}
	}
	_, env = do("POST", "/lua/rest/v2/test/recipient.lua", url.Values{"recipient_name": {"r1"}})
	if rsp(env)["success"] != true {
		t.Fatalf("test recipient: %v", env)
	}
	next("recipient test")

	warning := alerts.Alert{IfID: 0, Type: 49, Severity: alerts.SeverityWarning, Entity: alerts.EntityHost,
		EntityVal: "10.0.0.1@0", Tstamp: 1604311200, TstampEnd: 1604311200, Action: alerts.ActionEngage,
		JSON: `{"metric":"bytes"}`}
	errAlert := warning
	errAlert.Severity, errAlert.EntityVal = alerts.SeverityError, "10.0.0.2@0"
	m.Notify(alerts.Notification{Alert: warning}) // below min severity
	m.Notify(alerts.Notification{Alert: errAlert})
	if h := next("error alert"); h.path != "/a" || !strings.Contains(string(h.body), "10.0.0.2") {
		t.Fatalf("delivered: %s %s", h.path, h.body)
	}
	// The receiver sees a batch before the worker acknowledges it.
	eventually := func(what string, m *recipients.Manager, ok func(recipients.Stats) bool) {
		t.Helper()
		testwait.ForState(t, what, func() (any, bool) { st, _ := m.Get("r1"); return st, ok(st) })
	}
	eventually("stats after first alerts", m, func(st recipients.Stats) bool { return st.Filtered == 1 && st.Sent == 1 })

	// Editing the endpoint applies live; the masked secret keeps its value.
	code, env = do("POST", "/lua/rest/v2/edit/endpoint.lua", url.Values{"endpoint_conf_name": {"hook"},
		"url": {hook.URL + "/b"}, "secret": {recipients.Masked}})
	if code != 200 {
		t.Fatalf("edit endpoint: %d %v", code, env)
	}
	m.Notify(alerts.Notification{Alert: errAlert})
	if h := next("after endpoint edit"); h.path != "/b" || !signed(h, "s3cret") {
		t.Fatalf("after edit: %s %s", h.path, h.sig)
	}
	// Editing the recipient's filter applies live; the queue and counters stay.
	code, env = do("POST", "/lua/rest/v2/edit/recipient.lua", url.Values{"recipient_name": {"r1"},
		"min_severity": {"warning"}})
	if code != 200 {
		t.Fatalf("edit recipient: %d %v", code, env)
	}
	m.Notify(alerts.Notification{Alert: warning})
	if h := next("after recipient edit"); !strings.Contains(string(h.body), "10.0.0.1") {
		t.Fatalf("warning not delivered after edit: %s", h.body)
	}
	eventually("stats after edits", m, func(st recipients.Stats) bool {
		return st.Sent == 3 && st.Filtered == 1 && st.EndpointName == "hook" && st.QueueLen == 0
	})
	if _, err := os.Stat(filepath.Join(dir, "recipients", "r1")); err != nil {
		t.Fatalf("queue dir: %v", err)
	}
	if code, _ := do("POST", "/lua/rest/v2/edit/recipient.lua", url.Values{"recipient_name": {"r1"},
		"endpoint_conf_name": {"nope"}}); code != http.StatusBadRequest {
		t.Fatalf("edit to a missing endpoint: %d", code)
	}
	if code, _ := do("POST", "/lua/rest/v2/delete/endpoint.lua", url.Values{"endpoint_conf_name": {"hook"}}); code != http.StatusBadRequest {
		t.Fatalf("endpoint in use deleted: %d", code)
	}

	// Persisted: a restart brings back the endpoint and the recipient.
	b, _ := os.ReadFile(filepath.Join(dir, "recipients.json"))
	if !strings.Contains(string(b), `"endpoint_conf_name": "hook"`) {
		t.Fatalf("recipients.json: %s", b)
	}
	m.Stop()
	stopped = true
	m2 := recipients.New(cfg)
	if err := m2.Start(); err != nil {
		t.Fatal(err)
	}
	defer m2.Stop()
	s = New(Configuration{DisableLogin: true}, Dependencies{Engine: engine.New(engine.DefaultConfiguration())})
	s.HandleRecipients(m2)
	_, env = do("GET", "/lua/rest/v2/get/endpoint/config.lua?endpoint_conf_name=hook", nil)
	if r := rsp(env); r["url"] == nil || !strings.Contains(fmt.Sprint(r["url"]), "/b") || fmt.Sprint(r["recipients"]) != "[r1]" {
		t.Fatalf("endpoint after restart: %v", env)
	}
	m2.Notify(alerts.Notification{Alert: warning})
	if h := next("after restart"); h.path != "/b" || !signed(h, "s3cret") {
		t.Fatalf("after restart: %s %s", h.path, h.sig)
	}

	// JSON bodies: numbers and lists become form values.
	doJSON := func(path, body string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var env map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &env)
		return rec.Code, env
	}
	if code, env := doJSON("/lua/rest/v2/add/endpoint.lua", `{"endpoint_conf_name":"j","endpoint_conf_type":"syslog","host":"127.0.0.1","port":514,"protocol":"udp","format":"cef"}`); code != 200 || rsp(env)["url"] != "syslog+udp://127.0.0.1:514?format=cef" {
		t.Fatalf("add endpoint (JSON): %d %v", code, env)
	}
	code, env = doJSON("/lua/rest/v2/add/recipient.lua", `{"recipient_name":"rj","endpoint_conf_name":"j","recipient_minimum_severity":5,"recipient_check_categories":["security",3]}`)
	if f, _ := rsp(env)["filter"].(map[string]any); code != 200 || fmt.Sprint(f["categories"]) != "[1 3]" || rsp(env)["format"] != "cef" {
		t.Fatalf("add recipient (JSON): %d %v", code, env)
	}

	// Delete one by one, then the ntopng "delete all" paths.
	if code, _ := do("POST", "/lua/rest/v2/delete/recipient.lua", url.Values{"recipient_name": {"r1"}}); code != 200 {
		t.Fatalf("delete recipient: %d", code)
	}
	if code, _ := do("POST", "/lua/rest/v2/delete/endpoint.lua", url.Values{"endpoint_conf_name": {"hook"}}); code != 200 {
		t.Fatalf("delete endpoint: %d", code)
	}
	if code, _ := do("POST", "/lua/rest/v2/add/recipient.lua", url.Values{"recipient_name": {"r3"},
		"endpoint_conf_name": {"down"}}); code != 200 {
		t.Fatalf("add r3: %d", code)
	}
	if code, _ := do("POST", "/lua/rest/v2/delete/endpoints.lua", nil); code != 200 {
		t.Fatalf("delete all endpoints: %d", code)
	}
	_, env = do("GET", "/lua/rest/v2/get/endpoint/list.lua", nil)
	if l, _ := env["rsp"].([]any); len(l) != 0 {
		t.Fatalf("endpoints left: %v", env)
	}
	for _, n := range []string{"r3", "rj"} {
		if _, ok := m2.Get(n); ok {
			t.Fatalf("recipient %s of a deleted endpoint left", n)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "endpoints.json")); strings.Contains(string(b), "hook") {
		t.Fatalf("endpoints.json: %s", b)
	}
	if code, _ := do("POST", "/lua/rest/v2/add/recipient.lua", url.Values{"url": {"file://" + filepath.Join(dir, "x.jsonl") + "?name=fx"}}); code != 200 {
		t.Fatalf("add url recipient: %d", code)
	}
	if code, _ := do("POST", "/lua/rest/v2/delete/recipients.lua", nil); code != 200 {
		t.Fatalf("delete all recipients: %d", code)
	}
	if _, env := do("GET", "/lua/rest/v2/get/recipient/list.lua", nil); len(env["rsp"].([]any)) != 0 {
		t.Fatalf("recipients left: %v", env)
	}
}
