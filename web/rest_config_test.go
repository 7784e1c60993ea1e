package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// postJSON posts ntopng's JSON form field.
func postConfigJSON(t *testing.T, s *Server, path, doc string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(url.Values{"JSON": {doc}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	var env map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return rec.Code, env
}

func exportDoc(t *testing.T, s *Server, kind string) string {
	t.Helper()
	code, env := call(t, s, "GET", v2+"export/"+kind+"/config.lua", nil)
	if code != 200 {
		t.Fatalf("export %s: %d %v", kind, code, env)
	}
	b, _ := json.Marshal(env["rsp"])
	return string(b)
}

func TestConfigBackupRoundTrip(t *testing.T) {
	s := walkServer(t)
	s.cfg.DataDir = t.TempDir()
	if code, env := call(t, s, "POST", v2+"add/host/pool.lua", map[string]string{"pool_name": "lan", "pool_members": "10.1.0.0/24"}); code != 200 {
		t.Fatal(env)
	}
	if code, env := call(t, s, "POST", v2+"edit/category/category.lua", map[string]string{"category": "cat_20", "custom_hosts": "corp.example"}); code != 200 {
		t.Fatal(env)
	}
	all := exportDoc(t, s, "all")
	var env struct {
		Version string                                `json:"version"`
		Modules map[string]map[string]json.RawMessage `json:"modules"`
	}
	if json.Unmarshal([]byte(all), &env) != nil || env.Version != "1.0" {
		t.Fatalf("export all: %s", all)
	}
	for _, m := range []string{"pool", "categories", "notifications"} {
		if _, ok := env.Modules["all"][m]; !ok {
			t.Errorf("export all lacks %s: %s", m, all)
		}
	}
	if code, _ := call(t, s, "POST", v2+"reset/all/config.lua", nil); code != 200 {
		t.Fatal(code)
	}
	if len(s.deps.Pools.Export()) != 0 || len(s.deps.Categories.Hosts(20)) != 0 {
		t.Fatal("reset kept something")
	}
	// An ntopng backup holds modules flowgate has not: they are skipped.
	withExtra := strings.Replace(all, `"all":{`, `"all":{"infrastructure":{"x":1},`, 1)
	code, res := postConfigJSON(t, s, v2+"import/all/config.lua", withExtra)
	if code != 200 {
		t.Fatalf("import all: %d %v", code, res)
	}
	if sk := res["rsp"].(map[string]any)["skipped"].([]any); len(sk) != 1 || sk[0] != "infrastructure" {
		t.Errorf("skipped: %v", sk)
	}
	if p, ok := s.deps.Pools.Get(1); !ok || p.Name != "lan" || len(s.deps.Categories.Hosts(20)) != 1 {
		t.Errorf("import did not restore: %+v", p)
	}
	// One module alone.
	pool := exportDoc(t, s, "pool")
	if code, _ := call(t, s, "POST", v2+"reset/pool/config.lua", nil); code != 404 && code != 200 {
		t.Fatal(code)
	}
	if code, res := postConfigJSON(t, s, v2+"import/pool/config.lua", pool); code != 200 {
		t.Fatalf("import pool: %v", res)
	}
	// The imports and resets left automatic backups.
	_, res = call(t, s, "GET", v2+"get/system/configurations/list_availabled_backups.lua", nil)
	list := res["rsp"].([]any)
	if len(list) < 2 {
		t.Fatalf("backups: %v", list)
	}
	first := list[0].(map[string]any)
	_, res = call(t, s, "GET", v2+"get/system/configurations/download_backup.lua", map[string]string{"epoch": first["id"].(string), "download": "false"})
	if res["rsp"].(map[string]any)["version"] != "1.0" {
		t.Errorf("download_backup: %v", res)
	}
}

func TestConfigImportErrors(t *testing.T) {
	s := walkServer(t)
	if code, env := call(t, s, "POST", v2+"add/host/pool.lua", map[string]string{"pool_name": "lan", "pool_members": "10.1.0.0/24"}); code != 200 {
		t.Fatal(env)
	}
	all := exportDoc(t, s, "all")
	badPool := strings.Replace(all, `"10.1.0.0/24@0"`, `"10.1.0.0/99"`, -1)
	badCat := strings.Replace(all, `"categories":{`, `"categories":{"bogus":1,`, 1)
	for _, tc := range []struct {
		name, path, doc string
		code, rc        int
	}{
		{"no JSON", "import/all/config.lua", "", 400, -5},
		{"not JSON", "import/all/config.lua", "{", 400, -5},
		{"wrong version", "import/all/config.lua", `{"version":"9","modules":{"all":{}}}`, 400, -27},
		{"other kind", "import/pool/config.lua", all, 400, -27},
		{"bad pool member", "import/all/config.lua", badPool, 400, -5},
		{"unknown field", "import/all/config.lua", badCat, 400, -5},
		{"bad notifications", "import/notifications/config.lua", `{"version":"1.0","modules":{"notifications":{"endpoints":[{"name":"e","type":"nosuch"}],"recipients":[]}}}`, 400, -5},
	} {
		code, env := postConfigJSON(t, s, v2+tc.path, tc.doc)
		if code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("%s: %d %v, want %d rc %d", tc.name, code, env, tc.code, tc.rc)
		}
	}
	// Nothing changed: all or nothing.
	if p, ok := s.deps.Pools.Get(1); !ok || p.Members[0] != "10.1.0.0/24@0" {
		t.Errorf("a failed import changed the pools: %+v", p)
	}
	for _, tc := range []struct {
		name, method, path string
		kv                 map[string]string
		code, rc           int
	}{
		{"import by GET", "GET", "import/pool/config.lua", nil, 405, -5},
		{"reset by GET", "GET", "reset/all/config.lua", nil, 405, -5},
		{"backup bad epoch", "GET", "get/system/configurations/download_backup.lua", map[string]string{"epoch": "x"}, 400, -5},
		{"backup unknown", "GET", "get/system/configurations/download_backup.lua", map[string]string{"epoch": "12"}, 404, -1},
	} {
		code, env := call(t, s, tc.method, v2+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("%s: %d %v, want %d rc %d", tc.name, code, env, tc.code, tc.rc)
		}
	}
}

// get/set/checks/config.lua over a checks kind (cmd mounts lua/scripts').
func TestChecksConfig(t *testing.T) {
	s := walkServer(t)
	type conf map[string]map[string]bool
	cur := conf{"flow": {"blacklisted": true}}
	s.HandleConfigModule("checks", JSONModule(
		func() conf { return cur },
		func(c conf) error {
			for sub := range c {
				if sub != "flow" && sub != "host" {
					return errors.New("unknown subdir " + sub)
				}
			}
			return nil
		},
		func(c conf) error { cur = c; return nil },
		func() error { cur = conf{}; return nil }))
	_, env := call(t, s, "GET", v2+"get/checks/config.lua", map[string]string{"download": "false"})
	if env["rsp"].(map[string]any)["flow"] == nil {
		t.Fatalf("get: %v", env)
	}
	for _, tc := range []struct {
		doc      string
		code, rc int
	}{
		{"", 400, -5},
		{"{", 400, -5},
		{`{"syslog":{"x":true}}`, 400, -5},
		{`{"flow":{"x":"yes"}}`, 400, -5},
	} {
		if code, env := postConfigJSON(t, s, v2+"set/checks/config.lua", tc.doc); code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("set %q: %d %v", tc.doc, code, env)
		}
	}
	if !cur["flow"]["blacklisted"] {
		t.Fatal("a refused set changed the configuration")
	}
	if code, env := postConfigJSON(t, s, v2+"set/checks/config.lua", `{"host":{"score":false}}`); code != 200 {
		t.Fatalf("set: %v", env)
	}
	if _, ok := cur["host"]; !ok || len(cur) != 1 {
		t.Errorf("after set: %v", cur)
	}
	// An export's envelope is accepted too.
	if code, env := postConfigJSON(t, s, v2+"set/checks/config.lua", exportDoc(t, s, "checks")); code != 200 {
		t.Errorf("set from an export: %v", env)
	}
}
