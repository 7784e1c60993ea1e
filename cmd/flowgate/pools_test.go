package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Pools, custom categories and the configuration backup are wired: what
// REST writes survives a restart, and the backup holds every kind.
func TestPoolsCategoriesBackupWired(t *testing.T) {
	dir := t.TempDir()
	start := func() *app {
		opts, err := parseArgs([]string{"-i", "tcp://127.0.0.1:" + strconv.Itoa(freePort(t)) + "c", "-w", "127.0.0.1:0", "-d", dir, "--disable-login"})
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
		return a
	}
	post := func(a *app, path string, form url.Values) map[string]any {
		resp, err := http.Post("http://"+a.httpAddr()+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v %v", path, resp.StatusCode, env, err)
		}
		return env
	}
	a := start()
	post(a, "/lua/rest/v2/add/host/pool.lua", url.Values{"pool_name": {"lan"}, "pool_members": {"10.1.0.0/24@0"}})
	post(a, "/lua/rest/v2/edit/category/category.lua", url.Values{"category": {"cat_20"}, "custom_hosts": {"corp.example"}})
	a.stop()
	a = start()
	defer a.stop()
	c := &client{t: t, base: "http://" + a.httpAddr()}
	env, code := c.get("/lua/rest/v2/get/host/pool/members.lua?pool=1")
	if code != 200 || len(env["rsp"].([]any)) != 1 {
		t.Errorf("pool after restart: %d %v", code, env)
	}
	env, _ = c.get("/lua/rest/v2/export/all/config.lua")
	all := env["rsp"].(map[string]any)["modules"].(map[string]any)["all"].(map[string]any)
	for _, kind := range []string{"pool", "categories", "notifications", "snmp", "checks", "scripts"} {
		if _, ok := all[kind]; !ok {
			t.Errorf("export/all lacks %s", kind)
		}
	}
	if hosts := all["categories"].(map[string]any)["hosts"].(map[string]any)["20"]; hosts == nil {
		t.Errorf("custom category after restart: %v", all["categories"])
	}
}
