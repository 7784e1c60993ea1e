package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/crypto/bcrypt"

	"flowgate/engine"
	"flowgate/web/users"
)

// clock is the injected time of sessions, lockouts and TOTP.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

const adminPW = "Adm1n-pw"

type fixture struct {
	s     *Server
	base  string // http://addr
	clock *clock
	users *users.Store
	log   *syncBuffer
	dir   string
}

// newFixture starts a real server on 127.0.0.1:0 with login on, over an
// engine with interfaces eth0 (10.1.0.5<->8.8.8.8, 192.168.1.5<->1.1.1.1)
// and eth1.
func newFixture(t *testing.T, mod func(*Configuration)) *fixture {
	t.Helper()
	return newFixtureWith(t, mod, nil)
}

// newFixtureWith is newFixture calling before(server) before Start (to
// add handlers: Lua pages, ...).
func newFixtureWith(t *testing.T, mod func(*Configuration), before func(*Server)) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, log: &syncBuffer{}, dir: t.TempDir()}
	eng := engine.New(engine.DefaultConfiguration())
	eth0 := eng.AddInterface("eth0", "zmq")
	eng.AddInterface("eth1", "zmq")
	now := uint32(time.Now().Unix())
	eth0.Process(&engine.Batch{Flows: []engine.FlowRecord{
		{SrcIP: netip.MustParseAddr("10.1.0.5"), DstIP: netip.MustParseAddr("8.8.8.8"), SrcPort: 40000, DstPort: 53, Proto: 17,
			InBytes: 100, InPkts: 1, OutBytes: 200, OutPkts: 1, FirstSwitched: now, LastSwitched: now},
		{SrcIP: netip.MustParseAddr("192.168.1.5"), DstIP: netip.MustParseAddr("1.1.1.1"), SrcPort: 40001, DstPort: 443, Proto: 6,
			InBytes: 1000, InPkts: 5, OutBytes: 2000, OutPkts: 5, FirstSwitched: now, LastSwitched: now},
	}})
	ucfg := users.DefaultConfiguration()
	ucfg.Path = filepath.Join(f.dir, users.FileName)
	ucfg.BcryptCost = bcrypt.MinCost
	f.users = users.New(ucfg, users.Dependencies{Now: f.clock.now})
	if err := f.users.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.users.Stop)
	cfg := DefaultConfiguration()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = f.dir
	cfg.AdminPassword = adminPW
	if mod != nil {
		mod(&cfg)
	}
	f.s = New(cfg, Dependencies{Engine: eng, Users: f.users, Now: f.clock.now,
		Logger: slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if before != nil {
		before(f.s)
	}
	if err := f.s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.s.Stop)
	if a := f.s.Addr(); a != "" {
		f.base = "http://" + a
	}
	return f
}

// client does not follow redirects, so that tests see them.
func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type answer struct {
	Code   int
	Header http.Header
	RC     int             `json:"rc"`
	RCStr  string          `json:"rc_str"`
	Rsp    json.RawMessage `json:"rsp"`
	Body   string
}

func do(t *testing.T, c *http.Client, method, u string, body io.Reader, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Code: resp.StatusCode, Header: resp.Header, Body: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("%s %s: bad JSON %q", method, u, raw)
		}
	}
	return a
}

func basic(user, pw string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))}
}

func form(kv ...string) (io.Reader, map[string]string) {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// login posts the form and returns the answer (a redirect on success).
func (f *fixture) login(t *testing.T, c *http.Client, user, pw, referer string) answer {
	body, h := form("user", user, "password", pw, "referer", referer)
	return do(t, c, http.MethodPost, f.base+authorizePath, body, h)
}

func (f *fixture) csrfOf(t *testing.T, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(f.base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == SessionCookie {
			if ss, ok := f.s.sess.get(ck.Value); ok {
				return ss.csrf
			}
		}
	}
	t.Fatal("no session")
	return ""
}

const ifacesPath = "/lua/rest/v2/get/ntopng/interfaces.lua"

func TestLoginSessionCSRFLogout(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)

	a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, nil)
	if a.Code != http.StatusUnauthorized || a.RC != -3 || a.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("unauthenticated REST: %d %+v", a.Code, a)
	}
	a = do(t, c, http.MethodGet, f.base+"/lua/flows_stats.lua?x=1", nil, nil)
	if a.Code != http.StatusFound || a.Header.Get("Location") != loginPath+"?referer=%2Flua%2Fflows_stats.lua%3Fx%3D1" {
		t.Fatalf("unauthenticated page: %d %q", a.Code, a.Header.Get("Location"))
	}
	a = do(t, c, http.MethodGet, f.base+loginPath+"?referer=/lua/x.lua", nil, nil)
	if a.Code != http.StatusOK || !strings.Contains(a.Body, `action="/authorize.html"`) || !strings.Contains(a.Body, `value="/lua/x.lua"`) {
		t.Fatalf("login page: %d %s", a.Code, a.Body)
	}

	a = f.login(t, c, users.AdminUser, "wrong", "/lua/x.lua")
	if a.Code != http.StatusFound || !strings.HasPrefix(a.Header.Get("Location"), loginPath+"?reason=wrong-credentials") {
		t.Fatalf("wrong password: %d %q", a.Code, a.Header.Get("Location"))
	}
	a = f.login(t, c, users.AdminUser, adminPW, ifacesPath)
	if a.Code != http.StatusFound || a.Header.Get("Location") != ifacesPath {
		t.Fatalf("login: %d %q", a.Code, a.Header.Get("Location"))
	}
	sc := a.Header.Get("Set-Cookie")
	for _, want := range []string{"session=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"} {
		if !strings.Contains(sc, want) {
			t.Errorf("cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("Secure cookie over plain HTTP: %q", sc)
	}
	if a = do(t, c, http.MethodGet, f.base+ifacesPath, nil, nil); a.Code != 200 || a.RC != 0 {
		t.Fatalf("with the session: %d %+v", a.Code, a)
	}

	// CSRF: required on cookie-session POSTs, in a header, a form field or a JSON body.
	add := f.base + "/lua/rest/v2/add/ntopng/user.lua"
	mk := func(name string) []string {
		return []string{"username", name, "password", "pw", "confirm_password", "pw", "user_role", "unprivileged"}
	}
	body, h := form(mk("u1")...)
	if a = do(t, c, http.MethodPost, add, body, h); a.Code != http.StatusForbidden || a.RC != -3 {
		t.Fatalf("POST without CSRF: %d %+v", a.Code, a)
	}
	body, h = form(mk("u1")...)
	if a = do(t, c, http.MethodPost, add, body, merge(h, map[string]string{CSRFHeader: strings.Repeat("0", 32)})); a.Code != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF: %d", a.Code)
	}
	if got := f.s.AuthStats().CSRFRejects; got != 2 {
		t.Errorf("csrf rejects %d", got)
	}
	if _, ok := f.users.Get("u1"); ok {
		t.Fatal("a POST without CSRF took effect")
	}
	csrf := f.csrfOf(t, c)
	body, h = form(mk("u1")...)
	if a = do(t, c, http.MethodPost, add, body, merge(h, map[string]string{CSRFHeader: csrf})); a.Code != 200 || a.RC != 0 {
		t.Fatalf("POST with CSRF header: %d %+v", a.Code, a)
	}
	body, h = form(append(mk("u2"), "csrf", csrf)...)
	if a = do(t, c, http.MethodPost, add, body, h); a.Code != 200 {
		t.Fatalf("POST with CSRF field: %d %+v", a.Code, a)
	}
	js, _ := json.Marshal(map[string]string{"username": "u3", "password": "pw", "confirm_password": "pw", "user_role": "unprivileged", "csrf": csrf})
	if a = do(t, c, http.MethodPost, add, bytes.NewReader(js), map[string]string{"Content-Type": "application/json"}); a.Code != 200 {
		t.Fatalf("POST with CSRF in JSON: %d %+v", a.Code, a)
	}
	// Basic and Token need no CSRF.
	body, h = form(mk("u4")...)
	if a = do(t, newClient(t), http.MethodPost, add, body, merge(h, basic(users.AdminUser, adminPW))); a.Code != 200 {
		t.Fatalf("Basic POST: %d %+v", a.Code, a)
	}
	// ntopng documents write verbs as GET (delete/…, acknowledge/…): with a
	// cookie session a GET to one needs the token too, as a header or the
	// csrf query parameter; a read (get/…) does not.
	delUser := f.base + "/lua/rest/v2/delete/ntopng/user.lua?username=u4"
	rejects := f.s.AuthStats().CSRFRejects
	if a = do(t, c, http.MethodGet, delUser, nil, nil); a.Code != http.StatusForbidden || f.s.AuthStats().CSRFRejects != rejects+1 {
		t.Fatalf("cookie GET to a write verb without CSRF: %d %+v", a.Code, a)
	}
	if _, ok := f.s.users.Get("u4"); !ok {
		t.Fatal("a cookie GET without CSRF deleted a user")
	}
	if a = do(t, c, http.MethodGet, delUser+"&csrf="+csrf, nil, nil); a.Code == http.StatusForbidden {
		t.Fatalf("cookie GET to a write verb with ?csrf=: %d %+v", a.Code, a)
	}
	if a = do(t, c, http.MethodGet, f.base+ifacesPath, nil, nil); a.Code != 200 {
		t.Fatalf("cookie GET to a read verb: %d %+v", a.Code, a)
	}
	if a = do(t, newClient(t), http.MethodGet, delUser, nil, basic(users.AdminUser, adminPW)); a.Code == http.StatusForbidden {
		t.Fatalf("Basic GET to a write verb: %d %+v", a.Code, a)
	}

	a = do(t, c, http.MethodGet, f.base+logoutPath, nil, nil)
	if a.Code != http.StatusFound || a.Header.Get("Location") != loginPath+"?reason=logout" || !strings.Contains(a.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %q %q", a.Code, a.Header.Get("Location"), a.Header.Get("Set-Cookie"))
	}
	if f.s.sess.active() != 0 {
		t.Error("session still active after logout")
	}
	if st := f.s.AuthStats(); st.LoginsOK != 1 || st.LoginsFailed != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefererStaysOnSite(t *testing.T) {
	for ref, want := range map[string]string{
		"/lua/hosts.lua?x=1":   "/lua/hosts.lua?x=1",
		"":                     "/",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"evil.example":         "/",
		"/a\r\nSet-Cookie: x":  "/",
		"/lua/logout.lua":      "/",
		"/lua/login.lua?a=b":   "/",
	} {
		if got := safeReferer(ref); got != want {
			t.Errorf("%q: %q, want %q", ref, got, want)
		}
	}
	f := newFixture(t, nil)
	a := f.login(t, newClient(t), users.AdminUser, adminPW, "https://evil.example/")
	if a.Code != http.StatusFound || a.Header.Get("Location") != "/" {
		t.Errorf("open redirect: %q", a.Header.Get("Location"))
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t, func(c *Configuration) { c.SessionDuration = time.Hour })
	c := newClient(t)
	if a := f.login(t, c, users.AdminUser, adminPW, "/"); a.Code != http.StatusFound {
		t.Fatal(a.Code)
	}
	f.clock.advance(59 * time.Minute)
	if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, nil); a.Code != 200 {
		t.Fatalf("before expiry: %d", a.Code)
	}
	f.clock.advance(time.Minute)
	if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, nil); a.Code != http.StatusUnauthorized || a.RC != -3 {
		t.Fatalf("after expiry: %d %+v", a.Code, a)
	}
	if f.s.AuthStats().SessionsActive != 0 {
		t.Error("expired session counted as active")
	}
}

func TestTokensAndUnknownUsers(t *testing.T) {
	f := newFixture(t, func(c *Configuration) { c.LockoutAttempts = 10 })
	c := newClient(t)
	for _, h := range []map[string]string{
		basic("nobody", adminPW),
		basic(users.AdminUser, "wrong"),
		{"Authorization": "Token " + strings.Repeat("a", 32)},
		{"Authorization": "Token "},
		{"Authorization": "Bearer x"},
		{"Authorization": "Basic !!!"},
	} {
		if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, h); a.Code != http.StatusUnauthorized || a.RC != -3 {
			t.Errorf("%v: %d %+v", h, a.Code, a)
		}
	}
	a := do(t, c, http.MethodPost, f.base+"/lua/rest/v2/create/ntopng/api_token.lua", nil, basic(users.AdminUser, adminPW))
	var rsp struct {
		Token string `json:"api_token"`
	}
	if a.Code != 200 || json.Unmarshal(a.Rsp, &rsp) != nil || len(rsp.Token) != 32 {
		t.Fatalf("create token: %d %s", a.Code, a.Body)
	}
	if a = do(t, c, http.MethodGet, f.base+ifacesPath, nil, map[string]string{"Authorization": "Token " + rsp.Token}); a.Code != 200 {
		t.Fatalf("token auth: %d", a.Code)
	}
	if st := f.s.AuthStats(); st.TokenAuths != 1 || st.TokenFailed != 1 || st.BasicAuths != 1 {
		t.Errorf("stats %+v", st)
	}
	if strings.Contains(f.log.String(), rsp.Token) || strings.Contains(f.log.String(), adminPW) {
		t.Error("a secret reached the log")
	}
}

func TestLockoutHoldsAndEnds(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)
	for i := 0; i < 5; i++ {
		if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, basic(users.AdminUser, "guess-"+string(rune('a'+i)))); a.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, a.Code)
		}
	}
	// Locked: the right password is refused, by Basic and by the form.
	if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, basic(users.AdminUser, adminPW)); a.Code != http.StatusTooManyRequests || a.RC != -3 {
		t.Fatalf("locked Basic: %d %+v", a.Code, a)
	}
	if a := f.login(t, c, users.AdminUser, adminPW, "/"); a.Code != http.StatusFound || !strings.Contains(a.Header.Get("Location"), "reason=locked") {
		t.Fatalf("locked form: %d %q", a.Code, a.Header.Get("Location"))
	}
	f.clock.advance(4*time.Minute + 59*time.Second)
	if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, basic(users.AdminUser, adminPW)); a.Code != http.StatusTooManyRequests {
		t.Fatalf("still locked: %d", a.Code)
	}
	f.clock.advance(time.Second)
	if a := do(t, c, http.MethodGet, f.base+ifacesPath, nil, basic(users.AdminUser, adminPW)); a.Code != 200 {
		t.Fatalf("after the lockout: %d", a.Code)
	}
	st := f.s.AuthStats()
	if st.Lockouts != 1 || st.LoginsFailed != 5 || st.LockedRefused != 3 {
		t.Errorf("stats %+v", st)
	}
	log := f.log.String()
	if !strings.Contains(log, "client locked out") || strings.Count(log, "login failed") != 5 || strings.Contains(log, "guess-") {
		t.Errorf("log:\n%s", log)
	}
}

func TestTOTPLogin(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.users.Add(users.Spec{Username: "carol", Password: "carol-pw", Group: users.Unprivileged}); err != nil {
		t.Fatal(err)
	}
	secret, uri, err := f.users.EnrolTOTP("carol")
	if err != nil || !strings.Contains(uri, "carol") {
		t.Fatal(uri, err)
	}
	if err := f.users.SetTOTPEnabled("carol", true); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	a := f.login(t, c, "carol", "carol-pw", ifacesPath)
	if a.Code != http.StatusOK || !strings.Contains(a.Body, `name="totp_code"`) || a.Header.Get("Set-Cookie") != "" {
		t.Fatalf("first step: %d %q %s", a.Code, a.Header.Get("Set-Cookie"), a.Body)
	}
	pending := between(a.Body, `name="pending" value="`, `"`)
	step := func(code string) answer {
		body, h := form("pending", pending, "totp_code", code)
		return do(t, c, http.MethodPost, f.base+authorizePath, body, h)
	}
	if a = step("000000"); a.Code != http.StatusUnauthorized || a.Header.Get("Set-Cookie") != "" {
		t.Fatalf("wrong code: %d", a.Code)
	}
	code, _ := totp.GenerateCode(secret, f.clock.now())
	if a = step(code); a.Code != http.StatusFound || a.Header.Get("Location") != ifacesPath || !strings.Contains(a.Header.Get("Set-Cookie"), "session=") {
		t.Fatalf("right code: %d %q", a.Code, a.Header.Get("Location"))
	}
	if a = do(t, c, http.MethodGet, f.base+ifacesPath, nil, nil); a.Code != 200 {
		t.Fatalf("after TOTP: %d", a.Code)
	}
	// The pending login is spent.
	if a = step(code); a.Code != http.StatusFound || !strings.Contains(a.Header.Get("Location"), "reason=expired") {
		t.Errorf("replayed step: %d %q", a.Code, a.Header.Get("Location"))
	}
	if st := f.s.AuthStats(); st.TOTPFailed != 1 || st.LoginsOK != 1 {
		t.Errorf("stats %+v", st)
	}
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

func TestUnprivilegedUser(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.users.Add(users.Spec{Username: "bob", Password: "bob-pw", Group: users.Unprivileged,
		AllowedNets: "10.1.0.0/16", AllowedIfname: "eth0"}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	bob := basic("bob", "bob-pw")
	for _, tc := range []struct{ method, path string }{
		{"GET", "/lua/rest/v2/get/ntopng/users.lua"},
		{"POST", "/lua/rest/v2/add/ntopng/user.lua"},
		{"POST", "/lua/rest/v2/delete/ntopng/user.lua"},
		{"POST", "/lua/rest/v2/edit/ntopng/user.lua"},
		{"GET", "/metrics"},
		{"GET", "/debug/pprof/"},
		{"GET", "/lua/rest/v2/get/interface/data.lua?ifid=1"},
		{"GET", "/lua/rest/v2/get/host/active.lua?ifid=1"},
		{"GET", "/lua/rest/v2/get/host/data.lua?ifid=0&host=192.168.1.5"},
		{"GET", "/lua/rest/v2/get/alert/list/alerts.lua?ifid=0"},
		{"POST", "/lua/rest/v2/create/ntopng/api_token.lua?username=admin"},
	} {
		if a := do(t, c, tc.method, f.base+tc.path, nil, bob); a.Code != http.StatusUnauthorized || a.RC != -3 {
			t.Errorf("%s %s: %d %+v", tc.method, tc.path, a.Code, a)
		}
	}
	var ifaces []struct {
		Name string `json:"ifname"`
	}
	a := do(t, c, "GET", f.base+ifacesPath, nil, bob)
	if json.Unmarshal(a.Rsp, &ifaces) != nil || len(ifaces) != 1 || ifaces[0].Name != "eth0" {
		t.Errorf("interfaces: %s", a.Body)
	}
	ips := func(path, field string, h map[string]string) []string {
		a := do(t, c, "GET", f.base+path, nil, h)
		var rsp struct {
			Data []map[string]any `json:"data"`
		}
		if a.Code != 200 || json.Unmarshal(a.Rsp, &rsp) != nil {
			t.Fatalf("%s: %d %s", path, a.Code, a.Body)
		}
		var out []string
		for _, d := range rsp.Data {
			if field == "ip" {
				out = append(out, d["ip"].(string))
			} else {
				out = append(out, d["client"].(map[string]any)["ip"].(string))
			}
		}
		return out
	}
	if got := ips("/lua/rest/v2/get/host/active.lua?ifid=0&sortColumn=ip", "ip", bob); strings.Join(got, ",") != "10.1.0.5" {
		t.Errorf("bob's hosts: %v", got)
	}
	if got := ips("/lua/rest/v2/get/flow/active.lua?ifid=0", "flow", bob); strings.Join(got, ",") != "10.1.0.5" {
		t.Errorf("bob's flows: %v", got)
	}
	if got := ips("/lua/rest/v2/get/host/active.lua?ifid=0", "ip", basic(users.AdminUser, adminPW)); len(got) != 4 {
		t.Errorf("admin's hosts: %v", got)
	}
	if a := do(t, c, "GET", f.base+"/lua/rest/v2/get/host/data.lua?ifid=0&host=10.1.0.5", nil, bob); a.Code != 200 {
		t.Errorf("bob's own host: %d", a.Code)
	}
	// bob may create his own token.
	if a := do(t, c, "POST", f.base+"/lua/rest/v2/create/ntopng/api_token.lua", nil, bob); a.Code != 200 || a.RC != 0 {
		t.Errorf("own token: %d %s", a.Code, a.Body)
	}
	if n := f.s.AuthStats().NotGranted; n < 11 {
		t.Errorf("not granted %d", n)
	}
}

func TestUsersREST(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)
	admin := basic(users.AdminUser, adminPW)
	post := func(path string, kv ...string) answer {
		body, h := form(kv...)
		return do(t, c, "POST", f.base+"/lua/rest/v2/"+path, body, merge(h, admin))
	}
	if a := post("add/ntopng/user.lua", "username", "dave", "password", "a", "confirm_password", "b", "user_role", "unprivileged"); a.Code != http.StatusConflict || a.RC != -19 {
		t.Errorf("mismatch: %d %+v", a.Code, a)
	}
	if a := post("add/ntopng/user.lua", "username", "dave", "full_name", "Dave", "password", "d-pw", "confirm_password", "d-pw",
		"user_role", "unprivileged", "allowed_networks", "10.0.0.0/8", "allowed_interface", "0", "user_language", "de",
		"allow_alerts", "1", "allow_pcap_download", "0"); a.Code != 200 || a.RC != 0 {
		t.Fatalf("add: %d %+v", a.Code, a)
	}
	if a := post("add/ntopng/user.lua", "username", "bad user", "password", "p", "confirm_password", "p", "user_role", "unprivileged"); a.Code != 400 || a.RC != -5 {
		t.Errorf("bad username: %d %+v", a.Code, a)
	}
	if a := post("add/ntopng/user.lua", "username", "x", "password", "p", "confirm_password", "p", "user_role", "unprivileged", "allowed_interface", "9"); a.RC != -2 {
		t.Errorf("unknown ifid: %d %+v", a.Code, a)
	}
	u, _ := f.users.Get("dave")
	if u.AllowedIfname != "eth0" || u.Language != "de" || !u.Can(users.CapAlerts) || u.Can(users.CapPcapDownload) {
		t.Errorf("dave: %+v", u)
	}
	if a := post("edit/ntopng/user.lua", "username", "dave", "user_role", "administrator", "password", "n-pw", "confirm_password", "n-pw"); a.Code != 200 {
		t.Fatalf("edit: %d %+v", a.Code, a)
	}
	if _, err := f.users.Authenticate("dave", "n-pw"); err != nil {
		t.Error("edited password not applied")
	}
	if a := post("edit/ntopng/user.lua", "username", "ghost"); a.RC != -23 || a.Code != http.StatusConflict {
		t.Errorf("edit unknown: %d %+v", a.Code, a)
	}
	tok, _ := f.users.CreateAPIToken("dave")
	a := do(t, c, "GET", f.base+"/lua/rest/v2/get/ntopng/users.lua", nil, admin)
	if a.Code != 200 || !strings.Contains(a.Body, `"username":"dave"`) || strings.Contains(a.Body, tok) ||
		strings.Contains(a.Body, "$2a$") || strings.Contains(a.Body, "secret") {
		t.Errorf("users list: %s", a.Body)
	}
	if a.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("REST Cache-Control %q", a.Header.Get("Cache-Control"))
	}
	if a := post("delete/ntopng/user.lua", "username", "ghost"); a.RC != -23 {
		t.Errorf("delete unknown: %+v", a)
	}
	if a := post("delete/ntopng/user.lua", "username", "dave"); a.Code != 200 {
		t.Errorf("delete: %d %+v", a.Code, a)
	}
	if _, ok := f.users.ByToken(tok); ok {
		t.Error("a deleted user's token still works")
	}
	// A session for a REST client: its id works as the cookie ntopng documents.
	a = post("create/ntopng/session.lua", "username", "admin", "auth_session_duration", "60")
	var ss struct{ Session, CSRF string }
	if a.Code != 200 || json.Unmarshal(a.Rsp, &ss) != nil || len(ss.Session) != 32 {
		t.Fatalf("session: %s", a.Body)
	}
	if a := do(t, newClient(t), "GET", f.base+ifacesPath, nil, map[string]string{"Cookie": "user=admin; session=" + ss.Session}); a.Code != 200 {
		t.Errorf("cookie from create/ntopng/session.lua: %d", a.Code)
	}
	if a := post("create/ntopng/session.lua", "auth_session_duration", "-1"); a.RC != -5 {
		t.Errorf("bad duration: %+v", a)
	}
}

func TestHeadersAndBodyLimit(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)
	admin := basic(users.AdminUser, adminPW)
	for _, path := range []string{ifacesPath, loginPath, "/lua/rest/v2/get/nothing.lua"} {
		a := do(t, c, "GET", f.base+path, nil, admin)
		if a.Header.Get("X-Content-Type-Options") != "nosniff" || a.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, a.Header)
		}
		if a.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
	if a := do(t, c, "GET", f.base+ifacesPath, nil, admin); a.Header.Get("Cache-Control") != "no-store" {
		t.Error("REST answer cacheable")
	}
	big := bytes.Repeat([]byte("a"), 512<<10+1)
	a := do(t, c, "POST", f.base+"/lua/rest/v2/add/ntopng/user.lua", bytes.NewReader(big), merge(admin, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
	if a.Code != http.StatusRequestEntityTooLarge || a.RC != -8 {
		t.Errorf("oversize body: %d %+v", a.Code, a)
	}
	// Without a Content-Length (chunked) the limit holds too.
	a = do(t, c, "POST", f.base+"/lua/rest/v2/add/ntopng/user.lua", io.MultiReader(bytes.NewReader(big)), admin)
	if a.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversize body: %d", a.Code)
	}
	// At the limit: read, and answered by the handler.
	ok := append([]byte("username=x&"), bytes.Repeat([]byte("a"), 512<<10-11)...)
	a = do(t, c, "POST", f.base+"/lua/rest/v2/add/ntopng/user.lua", bytes.NewReader(ok), merge(admin, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
	if a.Code == http.StatusRequestEntityTooLarge {
		t.Error("a body at the limit was refused")
	}
	if f.s.AuthStats().BodyTooLarge != 2 {
		t.Errorf("body too large %d", f.s.AuthStats().BodyTooLarge)
	}
}

func TestLegacyUsersFileMigrates(t *testing.T) {
	dir := t.TempDir()
	h, _ := bcrypt.GenerateFromPassword([]byte("legacy-pw"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, users.LegacyFile), []byte(`{"admin":{"password_hash":"`+string(h)+`"}}`), 0o600)
	cfg := DefaultConfiguration()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = dir
	s := New(cfg, Dependencies{Engine: engine.New(engine.DefaultConfiguration())})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	a := do(t, newClient(t), "GET", "http://"+s.Addr()+ifacesPath, nil, basic(users.AdminUser, "legacy-pw"))
	if a.Code != 200 {
		t.Fatalf("migrated admin: %d", a.Code)
	}
	if _, err := os.Stat(filepath.Join(dir, users.LegacyFile+".migrated")); err != nil {
		t.Error(err)
	}
	if st, err := os.Stat(filepath.Join(dir, users.FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("users.db: %v %v", st, err)
	}
}

func TestParseAuthorization(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		h    string
		ok   bool
		want credentials
	}{
		{"Basic " + enc("admin:pw"), true, credentials{scheme: AuthBasic, user: "admin", pass: "pw"}},
		{"basic " + enc("admin:p:w"), true, credentials{scheme: AuthBasic, user: "admin", pass: "p:w"}},
		{"Basic " + enc("admin:"), true, credentials{scheme: AuthBasic, user: "admin"}},
		{"Token abc", true, credentials{scheme: AuthToken, token: "abc"}},
		{"TOKEN  abc ", true, credentials{scheme: AuthToken, token: "abc"}},
		{"Basic " + enc(":pw"), false, credentials{}},
		{"Basic " + enc("nocolon"), false, credentials{}},
		{"Basic", false, credentials{}},
		{"Token", false, credentials{}},
		{"Token a b", false, credentials{}},
		{"Bearer abc", false, credentials{}},
		{"Basic " + strings.Repeat("A", maxAuthHeader), false, credentials{}},
	} {
		got, ok := parseAuthorization(tc.h)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%q: %+v %v", tc.h, got, ok)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("Basic YWRtaW46cHc=")
	f.Add("Token 0123456789abcdef0123456789abcdef")
	f.Add("Basic ")
	f.Add("token\t\x00")
	f.Fuzz(func(t *testing.T, h string) {
		c, ok := parseAuthorization(h)
		if !ok {
			if c != (credentials{}) {
				t.Fatalf("refused header with credentials %+v", c)
			}
			return
		}
		switch c.scheme {
		case AuthBasic:
			if c.user == "" || strings.Contains(c.user, ":") || c.token != "" {
				t.Fatalf("basic %+v", c)
			}
			// The header carries exactly these credentials.
			back, ok := parseAuthorization("Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.pass)))
			if !ok || back != c {
				t.Fatalf("round trip %+v -> %+v", c, back)
			}
		case AuthToken:
			if c.token == "" || strings.ContainsAny(c.token, " \t") || c.user != "" {
				t.Fatalf("token %+v", c)
			}
		default:
			t.Fatalf("scheme %q", c.scheme)
		}
	})
}

func TestAuthMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: engine.New(engine.DefaultConfiguration()), Metrics: reg})
	s.counters.loginsFailed.Add(3)
	s.counters.tokenAuths.Add(2)
	n, err := testutil.GatherAndCount(reg, "flowgate_http_login_failures_total", "flowgate_http_auth_total", "flowgate_http_sessions_active")
	if err != nil || n != 5 {
		t.Fatalf("series %d: %v", n, err)
	}
	want := `# HELP flowgate_http_login_failures_total Failed logins (form, Basic, Token, TOTP code, malformed Authorization).
# TYPE flowgate_http_login_failures_total counter
flowgate_http_login_failures_total 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "flowgate_http_login_failures_total"); err != nil {
		t.Error(err)
	}
}

// TestRevokeEndsSessions: a password reset or a deletion, through the
// store (as Lua does) or REST, ends the user's sessions.
func TestRevokeEndsSessions(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.users.Add(users.Spec{Username: "erin", Password: "erin-pw", Group: users.Unprivileged}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	if a := f.login(t, c, "erin", "erin-pw", "/"); a.Code != http.StatusFound {
		t.Fatal(a.Code)
	}
	if a := do(t, c, "GET", f.base+ifacesPath, nil, nil); a.Code != 200 {
		t.Fatalf("session: %d", a.Code)
	}
	if err := f.users.SetPassword("erin", "next-pw"); err != nil {
		t.Fatal(err)
	}
	if a := do(t, c, "GET", f.base+ifacesPath, nil, nil); a.Code != http.StatusUnauthorized {
		t.Errorf("session after a password reset: %d", a.Code)
	}
	if a := f.login(t, c, "erin", "next-pw", "/"); a.Code != http.StatusFound {
		t.Fatal(a.Code)
	}
	body, h := form("username", "erin")
	if a := do(t, newClient(t), "POST", f.base+"/lua/rest/v2/delete/ntopng/user.lua", body, merge(h, basic(users.AdminUser, adminPW))); a.Code != 200 {
		t.Fatalf("delete: %d", a.Code)
	}
	if a := do(t, c, "GET", f.base+ifacesPath, nil, nil); a.Code != http.StatusUnauthorized {
		t.Errorf("session after deletion: %d", a.Code)
	}
}

// TestMD5ImportLogin: a user imported with ntopng's MD5 hash logs in over
// HTTP, after which its hash is bcrypt.
func TestMD5ImportLogin(t *testing.T) {
	f := newFixture(t, nil)
	// md5("admin"), as ntopng stores the default password.
	if err := f.users.Import(users.Spec{Username: "old", Group: users.Unprivileged}, "21232f297a57a5a743894a0e4a801fc3"); err != nil {
		t.Fatal(err)
	}
	if a := do(t, newClient(t), "GET", f.base+ifacesPath, nil, basic("old", "Admin")); a.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", a.Code)
	}
	if a := f.login(t, newClient(t), "old", "admin", "/"); a.Code != http.StatusFound || a.Header.Get("Location") != "/" {
		t.Fatalf("login: %d %q", a.Code, a.Header.Get("Location"))
	}
	if f.s.AuthStats().PasswordRehash != 1 {
		t.Errorf("rehashes %d", f.s.AuthStats().PasswordRehash)
	}
	if a := do(t, newClient(t), "GET", f.base+ifacesPath, nil, basic("old", "admin")); a.Code != 200 {
		t.Errorf("after the rehash: %d", a.Code)
	}
}
