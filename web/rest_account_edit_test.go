package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"flowgate/web/users"
)

const accountPath = "/lua/rest/v2/edit/flowgate/account.lua"

// addAndLogin adds the user and logs each client in as it: the first
// client's CSRF token.
func (f *fixture) addAndLogin(t *testing.T, spec users.Spec, cs ...*http.Client) string {
	t.Helper()
	if err := f.users.Add(spec); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if a := f.login(t, c, spec.Username, spec.Password, "/"); a.Code != http.StatusFound {
			t.Fatalf("login: %d", a.Code)
		}
	}
	return f.csrfOf(t, cs[0])
}

// postAccount posts the form kv to edit/flowgate/account.lua with csrf.
func postAccount(t *testing.T, f *fixture, c *http.Client, csrf string, kv ...string) answer {
	body, h := form(kv...)
	return do(t, c, http.MethodPost, f.base+accountPath, body, merge(h, map[string]string{CSRFHeader: csrf}))
}

// TestAccountEditErrors: edit/flowgate/account.lua refuses a GET, a
// cookie session without its CSRF token, a wrong old password (counted as
// a failed login), a weak, empty or mismatched new password, passwords in
// the URL and a bad language code; none of them changes the account.
func TestAccountEditErrors(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)
	csrf := f.addAndLogin(t, users.Spec{Username: "dave", Password: "dave-pass-1", Group: users.Unprivileged}, c)
	post := func(kv ...string) answer { return postAccount(t, f, c, csrf, kv...) }

	if a := do(t, c, http.MethodGet, f.base+accountPath, nil, map[string]string{CSRFHeader: csrf}); a.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d %s", a.Code, a.Body)
	}
	body, h := form("old_password", "dave-pass-1", "new_password", "blue-horse-2", "confirm_password", "blue-horse-2")
	if a := do(t, c, http.MethodPost, f.base+accountPath, body, h); a.Code != http.StatusForbidden || !strings.Contains(a.Body, "CSRF") {
		t.Errorf("no CSRF token: %d %s", a.Code, a.Body)
	}
	failedBefore := f.s.AuthStats().LoginsFailed
	for _, tc := range []struct {
		name  string
		kv    []string
		rcStr string
		why   string
	}{
		{"nothing", nil, "INVALID_ARGUMENTS", "nothing to change"},
		{"wrong old", []string{"old_password", "guess", "new_password", "blue-horse-2", "confirm_password", "blue-horse-2"}, "INVALID_ARGUMENTS", "old password is wrong"},
		{"no old", []string{"new_password", "blue-horse-2", "confirm_password", "blue-horse-2"}, "INVALID_ARGUMENTS", "old_password is required"},
		{"empty new", []string{"old_password", "dave-pass-1", "new_password", "", "confirm_password", ""}, "INVALID_ARGUMENTS", "empty"},
		{"weak new", []string{"old_password", "dave-pass-1", "new_password", "short", "confirm_password", "short"}, "INVALID_ARGUMENTS", "too weak"},
		{"name as password", []string{"old_password", "dave-pass-1", "new_password", "my-Dave-pw", "confirm_password", "my-Dave-pw"}, "INVALID_ARGUMENTS", "user name"},
		{"same as old", []string{"old_password", "dave-pass-1", "new_password", "dave-pass-1", "confirm_password", "dave-pass-1"}, "INVALID_ARGUMENTS", "old password"},
		{"too long", []string{"old_password", "dave-pass-1", "new_password", strings.Repeat("x", 73), "confirm_password", strings.Repeat("x", 73)}, "INVALID_ARGUMENTS", "72"},
		{"mismatch", []string{"old_password", "dave-pass-1", "new_password", "blue-horse-2", "confirm_password", "blue-horse-3"}, "PASSWORD_MISMATCH", "differ"},
		{"bad language", []string{"language", "<img src=x>"}, "INVALID_ARGUMENTS", "language"},
		{"bad language with a password", []string{"language", "e n", "old_password", "dave-pass-1", "new_password", "blue-horse-2", "confirm_password", "blue-horse-2"}, "INVALID_ARGUMENTS", "language"},
	} {
		a := post(tc.kv...)
		if a.RCStr != tc.rcStr || a.Code < 400 || !strings.Contains(a.Body, tc.why) {
			t.Errorf("%s: %d %s", tc.name, a.Code, a.Body)
		}
	}
	// A password in the URL is refused before anything is read.
	u := f.base + accountPath + "?" + url.Values{"old_password": {"dave-pass-1"}, "new_password": {"blue-horse-2"}, "confirm_password": {"blue-horse-2"}}.Encode()
	if a := do(t, c, http.MethodPost, u, strings.NewReader(""), map[string]string{CSRFHeader: csrf, "Content-Type": "application/x-www-form-urlencoded"}); a.Code != 400 || !strings.Contains(a.Body, "body") {
		t.Errorf("password in the URL: %d %s", a.Code, a.Body)
	}
	if got := f.s.AuthStats().LoginsFailed - failedBefore; got != 1 {
		t.Errorf("%d failed logins counted, want 1 (the wrong old password)", got)
	}
	if _, err := f.users.Authenticate("dave", "dave-pass-1"); err != nil {
		t.Errorf("the password changed after refused requests: %v", err)
	}
	if u, _ := f.users.Get("dave"); u.Language != users.DefaultLanguage {
		t.Errorf("language %q after refused requests", u.Language)
	}
	if log := f.log.String(); strings.Contains(log, "guess") || strings.Contains(log, "blue-horse-2") {
		t.Errorf("a password reached the log:\n%s", log)
	}
}

// TestAccountEditLockout: wrong old passwords feed the login lockout;
// once locked, even the right old password is refused with 429.
func TestAccountEditLockout(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)
	csrf := f.addAndLogin(t, users.Spec{Username: "erin", Password: "erin-pass-1", Group: users.Unprivileged}, c)
	post := func(old string) answer {
		return postAccount(t, f, c, csrf, "old_password", old, "new_password", "red-kite-22", "confirm_password", "red-kite-22")
	}
	for i := 0; i < 5; i++ {
		if a := post("guess-" + string(rune('a'+i))); a.Code != 400 {
			t.Fatalf("attempt %d: %d %s", i, a.Code, a.Body)
		}
	}
	if a := post("erin-pass-1"); a.Code != http.StatusTooManyRequests {
		t.Fatalf("locked: %d %s", a.Code, a.Body)
	}
	if st := f.s.AuthStats(); st.Lockouts != 1 || st.LockedRefused < 1 {
		t.Errorf("stats %+v", st)
	}
	if _, err := f.users.Authenticate("erin", "erin-pass-1"); err != nil {
		t.Errorf("password changed while locked: %v", err)
	}
}

// TestAccountEditChanges: a user changes its language, then its password:
// its other sessions end, the asking browser keeps working with the new
// session and CSRF token it was given, and the new password logs in.
func TestAccountEditChanges(t *testing.T) {
	f := newFixture(t, nil)
	c, other := newClient(t), newClient(t)
	csrf := f.addAndLogin(t, users.Spec{Username: "fay", FullName: "Fay", Password: "fay-pass-1", Group: users.Unprivileged}, c, other)
	post := func(kv ...string) answer { return postAccount(t, f, c, csrf, kv...) } // csrf: the latest token
	if a := post("language", "it"); a.Code != 200 {
		t.Fatalf("language: %d %s", a.Code, a.Body)
	}
	acct := do(t, c, http.MethodGet, f.base+"/lua/rest/v2/get/flowgate/account.lua", nil, nil)
	if !strings.Contains(string(acct.Rsp), `"language":"it"`) {
		t.Fatalf("account after the language change: %s", acct.Body)
	}
	a := post("old_password", "fay-pass-1", "new_password", "green-fern-2", "confirm_password", "green-fern-2")
	var rsp struct {
		CSRF    string `json:"csrf"`
		Changed bool   `json:"password_changed"`
	}
	if a.Code != 200 || json.Unmarshal(a.Rsp, &rsp) != nil || !rsp.Changed || len(rsp.CSRF) != 32 || rsp.CSRF == csrf {
		t.Fatalf("password change: %d %s", a.Code, a.Body)
	}
	// The other browser's session ended; this one goes on with its new token.
	if a := do(t, other, http.MethodGet, f.base+ifacesPath, nil, nil); a.Code != http.StatusUnauthorized {
		t.Errorf("the other session still works: %d", a.Code)
	}
	csrf = rsp.CSRF
	if a := post("language", "en"); a.Code != 200 {
		t.Errorf("this browser after the change: %d %s", a.Code, a.Body)
	}
	if _, err := f.users.Authenticate("fay", "fay-pass-1"); err == nil {
		t.Error("the old password still works")
	}
	if a := f.login(t, newClient(t), "fay", "green-fern-2", "/"); a.Code != http.StatusFound || strings.Contains(a.Header.Get("Location"), "reason=") {
		t.Errorf("login with the new password: %d %q", a.Code, a.Header.Get("Location"))
	}
	// Basic clients change it too (no session to reopen).
	body, h := form("old_password", "green-fern-2", "new_password", "green-fern-3", "confirm_password", "green-fern-3")
	if a := do(t, newClient(t), http.MethodPost, f.base+accountPath, body, merge(h, basic("fay", "green-fern-2"))); a.Code != 200 || strings.Contains(string(a.Rsp), "csrf") {
		t.Errorf("Basic change: %d %s", a.Code, a.Body)
	}
}

// TestDeleteOwnUser: an administrator cannot delete its own account.
func TestDeleteOwnUser(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.users.Add(users.Spec{Username: "root2", Password: "root2-pass", Group: users.Administrator}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	body, h := form("username", "root2")
	a := do(t, c, http.MethodPost, f.base+"/lua/rest/v2/delete/ntopng/user.lua", body, merge(h, basic("root2", "root2-pass")))
	if a.RCStr != "DELETE_USER_FAILED" || !strings.Contains(a.Body, "your own account") {
		t.Fatalf("self delete: %d %s", a.Code, a.Body)
	}
	if _, ok := f.users.Get("root2"); !ok {
		t.Fatal("deleted itself")
	}
	body, h = form("username", "root2")
	if a := do(t, c, http.MethodPost, f.base+"/lua/rest/v2/delete/ntopng/user.lua", body, merge(h, basic(users.AdminUser, adminPW))); a.Code != 200 {
		t.Fatalf("delete by another admin: %d %s", a.Code, a.Body)
	}
}
