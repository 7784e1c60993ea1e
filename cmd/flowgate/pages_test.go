package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLuaPagesWired: the binary serves <scripts-dir>/lua pages with the
// whole API and the user store: seed 004's pattern 2 adds a user from a
// page (Basic admin), and that user authenticates.
func TestLuaPagesWired(t *testing.T) {
	scripts := t.TempDir()
	page := filepath.Join(scripts, "lua", "rest", "v2", "add", "test", "user.lua")
	if err := os.MkdirAll(filepath.Dir(page), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../web/testdata/pages/lua/rest/v2/add/example/pattern2.lua")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, src, 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := startApp(t, "--scripts-dir", scripts, "--admin-password", "Adm1n-pass")
	base := "http://" + a.httpAddr()
	call := func(method, path, user, pw, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.SetBasicAuth(user, pw)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env map[string]any
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("%s: %q", path, raw)
		}
		return resp.StatusCode, env
	}
	code, env := call("POST", "/lua/rest/v2/add/test/user.lua", "admin", "Adm1n-pass",
		`{"username": "dave", "full_name": "Dave", "password": "dave-Passw0rd"}`)
	if code != 200 || env["rc_str"] != "OK" {
		t.Fatalf("add user page: %d %v", code, env)
	}
	code, env = call("GET", "/lua/rest/v2/get/ntopng/interfaces.lua", "dave", "dave-Passw0rd", "")
	if code != 200 || env["rc_str"] != "OK" {
		t.Fatalf("dave: %d %v", code, env)
	}
	code, env = call("POST", "/lua/rest/v2/add/test/user.lua", "dave", "dave-Passw0rd", `{"username": "eve", "password": "x"}`)
	if code != 401 || env["rc_str"] != "NOT_GRANTED" {
		t.Fatalf("dave adding a user: %d %v", code, env)
	}
}
