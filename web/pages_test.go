package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/lua/api"
	"flowgate/web/users"
)

// pageFixture is a real server with Lua pages from a copy of
// testdata/pages, login on, over eth0 (hosts 10.1.0.5, 8.8.8.8,
// 192.168.1.5, 1.1.1.1) and eth1.
type pageFixture struct {
	*fixture
	scripts string
	cache   *api.Cache
}

func newPageFixture(t *testing.T, budget time.Duration, setup func(scripts string)) *pageFixture {
	t.Helper()
	scripts := filepath.Join(t.TempDir(), "scripts")
	copyTree(t, "testdata/pages", scripts)
	if setup != nil {
		setup(scripts)
	}
	cache := api.NewCache()
	f := newFixtureWith(t, nil, func(s *Server) {
		pcfg := DefaultPagesConfiguration()
		pcfg.ScriptsDir = scripts
		pcfg.CallBudget = budget
		s.HandleLuaPages(pcfg, PagesDependencies{Lua: api.Deps{Cache: cache, Logger: s.deps.Logger,
			DataDir: s.cfg.DataDir, Services: &api.Services{Users: LuaUsers(s.users), Web: s}}})
	})
	return &pageFixture{fixture: f, scripts: scripts, cache: cache}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writePage(t *testing.T, scripts, rel, src string) {
	t.Helper()
	p := filepath.Join(scripts, "lua", filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

const ex = "/lua/rest/v2/get/example/"

type envelopeT struct {
	RC      int             `json:"rc"`
	RCStr   string          `json:"rc_str"`
	RCStrHR string          `json:"rc_str_hr"`
	Rsp     json.RawMessage `json:"rsp"`
}

// env checks an answer is the JSON envelope with the status and rc.
func env(t *testing.T, a answer, code int, rcStr string) envelopeT {
	t.Helper()
	var e envelopeT
	if err := json.Unmarshal([]byte(a.Body), &e); err != nil {
		t.Fatalf("not an envelope (%d): %q", a.Code, a.Body)
	}
	if a.Code != code || e.RCStr != rcStr {
		t.Fatalf("got %d %s, want %d %s: %s", a.Code, e.RCStr, code, rcStr, a.Body)
	}
	if !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", a.Header.Get("Content-Type"))
	}
	return e
}

func rspMap(t *testing.T, e envelopeT) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Rsp, &m); err != nil {
		t.Fatalf("rsp %s: %v", e.Rsp, err)
	}
	return m
}

// TestSeedPatterns runs seed 004's four REST patterns as files, over HTTP,
// with Go's client.
func TestSeedPatterns(t *testing.T) {
	f := newPageFixture(t, time.Second, nil)
	c := newClient(t)
	admin := basic("admin", adminPW)

	// Pattern 1: interface stats, or invalid_interface without ifid.
	e := env(t, do(t, c, "GET", f.base+ex+"pattern1.lua?ifid=0", nil, admin), 200, "OK")
	st := rspMap(t, e)
	if st["name"] != "eth0" || st["stats"].(map[string]any)["hosts"] != float64(4) {
		t.Fatalf("pattern 1: %s", e.Rsp)
	}
	if rsp := rspMap(t, env(t, do(t, c, "GET", f.base+ex+"pattern1.lua?ifid=1", nil, admin), 200, "OK")); rsp["name"] != "eth1" {
		t.Fatalf("pattern 1 on ifid 1: %v", rsp)
	}
	if e := env(t, do(t, c, "GET", f.base+ex+"pattern1.lua", nil, admin), 400, "INVALID_INTERFACE"); e.RC != -2 {
		t.Fatalf("rc %d", e.RC)
	}

	// Pattern 2: an administrator adds a user with a JSON POST; the user
	// logs in with the form.
	p2 := "/lua/rest/v2/add/example/pattern2.lua"
	body := `{"username": "bob", "full_name": "Bob", "password": "bob-Passw0rd"}`
	env(t, do(t, c, "POST", f.base+p2, strings.NewReader(body), merge(admin, map[string]string{"Content-Type": "application/json"})), 200, "OK")
	env(t, do(t, c, "POST", f.base+p2, strings.NewReader(`{"full_name": "x"}`), merge(admin, map[string]string{"Content-Type": "application/json"})), 400, "INVALID_ARGUMENTS")
	bob := newClient(t)
	if a := f.login(t, bob, "bob", "bob-Passw0rd", "/lua/index.lua"); a.Code != http.StatusFound || a.Header.Get("Location") != "/lua/index.lua" {
		t.Fatalf("bob's login: %d %s", a.Code, a.Header.Get("Location"))
	}
	if a := do(t, bob, "GET", f.base+"/lua/index.lua", nil, nil); a.Code != 200 || !strings.Contains(a.Body, "flowgate index for bob") {
		t.Fatalf("bob's index: %d %q", a.Code, a.Body)
	}
	// The unprivileged bob may not add users: the page is a write.
	csrf := f.csrfOf(t, bob)
	env(t, do(t, bob, "POST", f.base+p2, strings.NewReader(`{"username": "eve", "csrf": "`+csrf+`"}`),
		map[string]string{"Content-Type": "application/json"}), 401, "NOT_GRANTED")
	if _, ok := f.users.Get("eve"); ok {
		t.Fatal("eve was added by an unprivileged user")
	}

	// Pattern 3: configuration in the cache store.
	if e := env(t, do(t, c, "GET", f.base+ex+"pattern3.lua", nil, admin), 200, "OK"); string(e.Rsp) != "[]" {
		t.Fatalf("empty configuration: %s", e.Rsp)
	}
	env(t, do(t, c, "POST", f.base+"/lua/rest/v2/set/example/pattern3.lua", strings.NewReader(`{"threshold": 5, "on": true}`),
		merge(admin, map[string]string{"Content-Type": "application/json"})), 200, "OK")
	if e := env(t, do(t, c, "GET", f.base+ex+"pattern3.lua", nil, admin), 200, "OK"); string(e.Rsp) != `{"on":true,"threshold":5}` {
		t.Fatalf("configuration: %s", e.Rsp)
	}

	// Pattern 4: per-user settings follow _SESSION["user"].
	env(t, do(t, c, "GET", f.base+ex+"pattern4.lua?value=admin-value", nil, admin), 200, "OK")
	env(t, do(t, bob, "GET", f.base+ex+"pattern4.lua?value=bob%20value", nil, nil), 200, "OK")
	for _, tc := range []struct {
		c    *http.Client
		hdr  map[string]string
		user string
		want string
	}{{c, admin, "admin", "admin-value"}, {bob, nil, "bob", "bob value"}} {
		m := rspMap(t, env(t, do(t, tc.c, "GET", f.base+ex+"pattern4.lua", nil, tc.hdr), 200, "OK"))
		if m["user"] != tc.user || m["my_setting"] != tc.want {
			t.Fatalf("%s's setting: %v", tc.user, m)
		}
	}
	if v, _, _ := f.cache.Store().HGet("ntopng.user.bob", "my_setting"); v != "bob value" {
		t.Fatalf("cache ntopng.user.bob: %q", v)
	}
}

// TestPagePrivileges: an unprivileged user gets not_granted from an
// admin-only page, sees only its allowed networks and interface through
// interface.*, and authenticates a page with a token it created.
func TestPagePrivileges(t *testing.T) {
	f := newPageFixture(t, time.Second, nil)
	c := newClient(t)
	admin := basic("admin", adminPW)
	if err := f.users.Add(users.Spec{Username: "carol", Password: "carol-Passw0rd", Group: users.Unprivileged,
		AllowedNets: "10.1.0.0/16", AllowedIfname: "eth0"}); err != nil {
		t.Fatal(err)
	}
	carol := basic("carol", "carol-Passw0rd")

	if m := rspMap(t, env(t, do(t, c, "GET", f.base+ex+"admin_only.lua", nil, admin), 200, "OK")); m["secret"] != "admins only" {
		t.Fatalf("admin: %v", m)
	}
	if e := env(t, do(t, c, "GET", f.base+ex+"admin_only.lua", nil, carol), 401, "NOT_GRANTED"); e.RC != -3 {
		t.Fatalf("rc %d", e.RC)
	}

	hosts := func(hdr map[string]string, q string) map[string]any {
		return rspMap(t, env(t, do(t, c, "GET", f.base+ex+"hosts.lua?"+q, nil, hdr), 200, "OK"))
	}
	all := hosts(admin, "ifid=0&host=192.168.1.5&net=192.168.0.0/16")
	if len(all["hosts"].([]any)) != 4 || all["host_found"] != true || all["allowed_net"] != true {
		t.Fatalf("admin's hosts: %v", all)
	}
	mine := hosts(carol, "ifid=0&host=192.168.1.5&net=192.168.0.0/16")
	if got := mine["hosts"].([]any); len(got) != 1 || !strings.HasPrefix(got[0].(string), "10.1.0.5") || mine["host_found"] != false || mine["allowed_net"] != false {
		t.Fatalf("carol's hosts: %v", mine)
	}
	if m := hosts(carol, "ifid=0&host=10.1.0.5&net=10.1.2.0/24"); m["host_found"] != true || m["allowed_net"] != true {
		t.Fatalf("carol's own host: %v", m)
	}
	// eth1 is not carol's: interface.select answers nil.
	env(t, do(t, c, "GET", f.base+ex+"hosts.lua?ifid=1", nil, carol), 400, "INVALID_INTERFACE")
	env(t, do(t, c, "GET", f.base+ex+"hosts.lua?ifid=1", nil, admin), 200, "OK")
	// Pattern 1 as carol on eth1: select leaves no interface; the page fails.
	env(t, do(t, c, "GET", f.base+ex+"pattern1.lua?ifid=1", nil, carol), 500, "INTERNAL_ERROR")

	// A token from create/ntopng/api_token.lua authenticates a page.
	tokA := do(t, c, "POST", f.base+"/lua/rest/v2/create/ntopng/api_token.lua", nil, carol)
	var tok struct {
		Token string `json:"api_token"`
	}
	if err := json.Unmarshal(tokA.Rsp, &tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %d %s", tokA.Code, tokA.Body)
	}
	m := rspMap(t, env(t, do(t, c, "GET", f.base+ex+"echo.lua", nil, map[string]string{"Authorization": "Token " + tok.Token}), 200, "OK"))
	if m["session"].(map[string]any)["user"] != "carol" || m["admin"] != false {
		t.Fatalf("token page: %v", m)
	}
	env(t, do(t, c, "GET", f.base+ex+"echo.lua", nil, map[string]string{"Authorization": "Token 0123456789abcdef0123456789abcdef"}), 401, "NOT_GRANTED")

	// ntop.* user functions follow the page's user.
	writePage(t, f.scripts, "rest/v2/get/example/users.lua", `
		local rest_utils = require("rest_utils")
		rest_utils.answer(rest_utils.consts.success.ok, {
			added = ntop.addUser("mallory", "", "mallory-Passw0rd", "administrator", "", "") or false,
			role = ntop.changeUserRole("carol", "administrator") or false,
			own_token = ntop.getUserAPIToken(_SESSION["user"]) ~= nil,
			admin_token = ntop.getUserAPIToken("admin") ~= nil,
			reset_admin = ntop.resetUserPassword("admin", "admin", "", "x-Passw0rd-1"),
		})`)
	um := rspMap(t, env(t, do(t, c, "GET", f.base+ex+"users.lua", nil, carol), 200, "OK"))
	if um["added"] != false || um["role"] != false || um["own_token"] != true || um["admin_token"] != false || um["reset_admin"] != false {
		t.Fatalf("carol's user functions: %v", um)
	}
	if u, _ := f.users.Get("carol"); u.IsAdmin() {
		t.Fatal("carol promoted herself")
	}
	if _, ok := f.users.Get("mallory"); ok {
		t.Fatal("carol added a user")
	}
	if _, err := f.users.Authenticate("admin", adminPW); err != nil {
		t.Fatalf("admin's password changed: %v", err)
	}
}

// TestPageGlobals: _GET, _POST (form and JSON), _SERVER, _SESSION and the
// CSRF token of a cookie session; pooled states keep nothing between
// requests.
func TestPageGlobals(t *testing.T) {
	f := newPageFixture(t, time.Second, nil)
	c := newClient(t)
	admin := basic("admin", adminPW)

	m := rspMap(t, env(t, do(t, c, "POST", f.base+ex+"echo.lua?a=1&b=x%20y&a=2", strings.NewReader(`{"n": 5, "s": "t", "o": {"k": [1, 2]}, "z": null, "b": false}`),
		merge(admin, map[string]string{"Content-Type": "application/json", "X-Custom": "v"})), 200, "OK"))
	get, post, server := m["get"].(map[string]any), m["post"].(map[string]any), m["server"].(map[string]any)
	if get["a"] != "1" || get["b"] != "x y" {
		t.Fatalf("_GET %v", get)
	}
	if post["n"] != "5" || post["s"] != "t" || post["o"] != `{"k":[1,2]}` || post["b"] != "false" || post["z"] != nil ||
		!strings.Contains(post["JSON"].(string), `"n": 5`) {
		t.Fatalf("_POST %v", post)
	}
	if server["REQUEST_METHOD"] != "POST" || server["URI"] != ex+"echo.lua" || server["QUERY_STRING"] != "a=1&b=x%20y&a=2" ||
		server["REMOTE_ADDR"] != "127.0.0.1" || server["HTTP_HOST"] != strings.TrimPrefix(f.base, "http://") || server["HTTP_X_CUSTOM"] != "v" {
		t.Fatalf("_SERVER %v", server)
	}
	if _, ok := server["HTTP_AUTHORIZATION"]; ok {
		t.Fatal("_SERVER shows the Authorization header")
	}
	if s := m["session"].(map[string]any); s["user"] != "admin" || s["group"] != "administrator" || s["session"] != "" {
		t.Fatalf("_SESSION %v", s)
	}
	dirs := m["dirs"].(map[string]any)
	if dirs["installdir"] != filepath.Dir(f.scripts) || dirs["scriptdir"] != f.scripts {
		t.Fatalf("ntop.getDirs() %v", dirs)
	}
	// A module under <scripts>/lua/modules is require-able, with or without
	// the seed's package.path boilerplate.
	writePage(t, f.scripts, "modules/my_mod.lua", `return { answer = 42 }`)
	writePage(t, f.scripts, "rest/v2/get/example/mod.lua", `
		local dirs = ntop.getDirs()
		package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
		local rest_utils = require("rest_utils")
		rest_utils.answer(rest_utils.consts.success.ok, { answer = require("my_mod").answer })`)
	if m := rspMap(t, env(t, do(t, c, "GET", f.base+ex+"mod.lua", nil, admin), 200, "OK")); m["answer"] != float64(42) {
		t.Fatalf("module: %v", m)
	}

	// A form POST with a cookie session: the CSRF token is the session's.
	if a := f.login(t, c, "admin", adminPW, "/"); a.Code != http.StatusFound {
		t.Fatalf("login %d", a.Code)
	}
	csrf := f.csrfOf(t, c)
	body, h := form("x", "1", "csrf", csrf)
	m = rspMap(t, env(t, do(t, c, "POST", f.base+ex+"echo.lua", body, h), 200, "OK"))
	if m["csrf"] != csrf || m["session"].(map[string]any)["csrf"] != csrf || m["post"].(map[string]any)["x"] != "1" {
		t.Fatalf("cookie session: %v", m)
	}
	body, h = form("x", "1")
	env(t, do(t, c, "POST", f.base+ex+"echo.lua", body, h), 403, "NOT_GRANTED")

	// Every request above ran echo.lua, which sets a global after
	// answering: none of them saw an earlier one's.
	if m["leaked"] != false {
		t.Fatalf("a global survived between requests: %v", m["leaked"])
	}
	if st := f.s.PageStats(); st.Pooled == 0 {
		t.Fatalf("no request was served by a pooled state: %+v", st)
	}
}

// TestPageFailures: errors, budget overruns, bad input and bad paths
// answer a clear status with the envelope and are counted; the client
// never sees the script's location.
func TestPageFailures(t *testing.T) {
	// 2 s: the overrun page loops; the others must never come near it under load.
	f := newPageFixture(t, 2*time.Second, func(scripts string) {
		writePage(t, scripts, "rest/v2/get/example/syntax.lua", "local x = = 1")
	})
	c := newClient(t)
	admin := basic("admin", adminPW)

	a := do(t, c, "GET", f.base+ex+"error.lua", nil, admin)
	env(t, a, 500, "INTERNAL_ERROR")
	if strings.Contains(a.Body, "error.lua") || strings.Contains(a.Body, "partial output") || strings.Contains(a.Body, "nil value") {
		t.Fatalf("the answer leaks the error: %s", a.Body)
	}
	if lg := f.log.String(); !strings.Contains(lg, "error.lua") || !strings.Contains(lg, "line=4") {
		t.Fatalf("the log lacks file and line: %s", lg)
	}
	env(t, do(t, c, "GET", f.base+ex+"syntax.lua", nil, admin), 500, "INTERNAL_ERROR")

	a = do(t, c, "GET", f.base+ex+"loop.lua", nil, admin)
	env(t, a, 500, "INTERNAL_ERROR")
	if !strings.Contains(a.Body, "time budget") {
		t.Fatalf("overrun: %s", a.Body)
	}
	// The server still answers after the overrun.
	env(t, do(t, c, "GET", f.base+ex+"pattern1.lua?ifid=0", nil, admin), 200, "OK")

	for _, tc := range []struct {
		name, method, path, ctype, body string
		code                            int
		rc                              string
	}{
		{"malformed query", "GET", ex + "echo.lua?a=%zz", "", "", 400, "INVALID_ARGUMENTS"},
		{"invalid JSON", "POST", ex + "echo.lua", "application/json", `{"a": `, 400, "BAD_FORMAT"},
		{"malformed form", "POST", ex + "echo.lua", "application/x-www-form-urlencoded", "a=%zz", 400, "INVALID_ARGUMENTS"},
		{"oversize body", "POST", ex + "echo.lua", "application/json", `{"a": "` + strings.Repeat("x", 600<<10) + `"}`, 413, "BAD_CONTENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := admin
			if tc.ctype != "" {
				hdr = merge(admin, map[string]string{"Content-Type": tc.ctype})
			}
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			if body == nil {
				env(t, do(t, c, tc.method, f.base+tc.path, nil, hdr), tc.code, tc.rc)
			} else {
				env(t, do(t, c, tc.method, f.base+tc.path, body, hdr), tc.code, tc.rc)
			}
		})
	}

	st := f.s.PageStats()
	if st.Errors != 1 || st.SyntaxErr != 1 || st.Timeouts != 1 || st.BadInput != 3 {
		t.Fatalf("counters %+v", st)
	}
}

// TestPagePaths: traversal and odd paths are refused before login (with
// Go's client and with curl, which sends them as they are), trailing "/"
// is index.lua, and a page file at a built-in endpoint wins (and is
// logged).
func TestPagePaths(t *testing.T) {
	f := newPageFixture(t, time.Second, func(scripts string) {
		writePage(t, scripts, "rest/v2/get/ntopng/interfaces.lua", `
			local rest_utils = require("rest_utils")
			rest_utils.answer(rest_utils.consts.success.ok, {overridden = true})`)
	})
	c := newClient(t)
	admin := basic("admin", adminPW)

	for _, p := range []string{"/lua/%2e%2e/%2e%2e/etc/passwd", "/lua//rest/v2/get/example/echo.lua", "/lua/a%5cb.lua",
		"/lua/a%0d%0aX-Injected:%201.lua", "/lua/a%00.lua", "/lua/rest/v2/get/example/..%2f..%2fadmin/index.lua"} {
		a := do(t, c, "GET", f.base+p, nil, nil) // no credentials: refused before login
		env(t, a, 400, "INVALID_ARGUMENTS")
		if a.Header.Get("X-Injected") != "" {
			t.Fatal("header injected")
		}
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed by this test (Debian package curl)")
	}
	for _, p := range []string{"/lua/../../etc/passwd", "/lua/rest/v2/get/example/../../../../x.lua"} {
		out, err := exec.Command("curl", "-s", "--path-as-is", "-u", "admin:"+adminPW, "-o", "/dev/null", "-w", "%{http_code}", f.base+p).Output()
		if err != nil || string(out) != "400" {
			t.Fatalf("curl %s: %s %v", p, out, err)
		}
	}
	if st := f.s.PageStats(); st.BadPaths != 8 {
		t.Fatalf("bad paths counted %d, want 8", st.BadPaths)
	}

	// "/lua/" and "/lua/admin/" are index.lua; "/" goes to /lua/index.lua.
	if a := do(t, c, "GET", f.base+"/lua/", nil, admin); a.Code != 200 || !strings.Contains(a.Body, "flowgate index for admin") ||
		!strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/lua/: %d %q", a.Code, a.Body)
	}
	if a := do(t, c, "GET", f.base+"/lua/admin/", nil, admin); a.Body != "admin area" || a.Header.Get("X-Page") != "admin" {
		t.Fatalf("/lua/admin/: %q %v", a.Body, a.Header)
	}
	if a := do(t, c, "GET", f.base+"/", nil, admin); a.Code != http.StatusFound || a.Header.Get("Location") != "/lua/index.lua" {
		t.Fatalf("/: %d %s", a.Code, a.Header.Get("Location"))
	}
	// Unauthenticated pages go to the login page, as the built-ins do.
	if a := do(t, c, "GET", f.base+"/lua/", nil, nil); a.Code != http.StatusFound || !strings.HasPrefix(a.Header.Get("Location"), loginPath) {
		t.Fatalf("/lua/ without login: %d %s", a.Code, a.Header.Get("Location"))
	}
	if a := do(t, c, "GET", f.base+ex+"print.lua", nil, admin); a.Body != "aniltruex|1|" {
		t.Fatalf("print: %q", a.Body)
	}
	a := do(t, c, "GET", f.base+ex+"status.lua", nil, admin)
	if a.Code != 202 || a.Body != "accepted\n" || a.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		a.Header.Get("X-Extra") != "1" || a.Header.Get("Content-Disposition") != "attachment; filename=x.txt" {
		t.Fatalf("status page: %d %q %v", a.Code, a.Body, a.Header)
	}

	// The override answers instead of the built-in, and the log says so.
	if m := rspMap(t, env(t, do(t, c, "GET", f.base+"/lua/rest/v2/get/ntopng/interfaces.lua", nil, admin), 200, "OK")); m["overridden"] != true {
		t.Fatalf("override: %v", m)
	}
	if lg := f.log.String(); !strings.Contains(lg, "Lua page overrides a built-in endpoint") || !strings.Contains(lg, "path=/lua/rest/v2/get/ntopng/interfaces.lua") {
		t.Fatalf("override not logged: %s", lg)
	}
	if f.s.PageStats().Overrides != 1 {
		t.Fatalf("overrides %d", f.s.PageStats().Overrides)
	}
	// A path with no file is the built-in's (or 404).
	env(t, do(t, c, "GET", f.base+"/lua/rest/v2/get/ntopng/nothing.lua", nil, admin), 404, "NOT_FOUND")
	// A symbolic link out of the pages directory is not followed.
	outside := filepath.Join(t.TempDir(), "x.lua")
	if err := os.WriteFile(outside, []byte(`print("outside")`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(f.scripts, "lua", "link.lua")); err != nil {
		t.Fatal(err)
	}
	if a := do(t, c, "GET", f.base+"/lua/link.lua", nil, admin); strings.Contains(a.Body, "outside") {
		t.Fatalf("followed a link out of the pages: %d %q", a.Code, a.Body)
	}
}

// TestPageCurl: pattern 1 with a token, through curl.
func TestPageCurl(t *testing.T) {
	f := newPageFixture(t, time.Second, nil)
	tok, err := f.users.CreateAPIToken("admin")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("curl", "-s", "-w", "\n%{http_code}", "-H", "Authorization: Token "+tok, f.base+ex+"pattern1.lua?ifid=0").Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	body, code, _ := strings.Cut(string(out), "\n")
	var e envelopeT
	if err := json.Unmarshal([]byte(body), &e); err != nil || code != "200" || e.RCStr != "OK" || e.RC != 0 {
		t.Fatalf("curl: %s %s", code, body)
	}
}

// TestPagePoolBounds: idle states are bounded per user and in all, and a
// pooled state goes back only to its own user.
func TestPagePoolBounds(t *testing.T) {
	s := New(DefaultConfiguration(), Dependencies{})
	s.HandleLuaPages(PagesConfiguration{ScriptsDir: "testdata/pages", IdleStates: 2, IdleTotal: 3}, PagesDependencies{})
	p := s.pages
	t.Cleanup(p.stop)
	var used []*pageState
	for _, u := range []string{"a", "a", "a", "b", "b", "c"} {
		used = append(used, p.get(u))
	}
	for _, ps := range used {
		p.put(ps)
	}
	if p.idleCount != 3 || len(p.idle["a"]) != 2 || len(p.idle["b"]) != 1 || len(p.idle["c"]) != 0 {
		t.Fatalf("idle: %d in all, a %d, b %d, c %d", p.idleCount, len(p.idle["a"]), len(p.idle["b"]), len(p.idle["c"]))
	}
	c := p.get("c")
	for _, ps := range used {
		if ps == c {
			t.Fatal("user c got a state another user used")
		}
	}
	if a := p.get("a"); a.user != "a" || p.idleCount != 2 {
		t.Fatalf("a's pooled state: user %q, idle %d", a.user, p.idleCount)
	}
}
