package httpd

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/engine"
	"flowgate/engine/recipients"
)

func TestRecipientsREST(t *testing.T) {
	dir := t.TempDir()
	m := recipients.New(recipients.Config{DataDir: dir})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: engine.New(engine.DefaultConfig())})
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
