package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"flowgate/web/users"
)

// TestAccountTOTP: a user reads its own account and enrols TOTP: a new
// secret with its QR code, off until a current code confirms it; wrong
// codes and bad parameters are refused (and counted) without a change.
func TestAccountTOTP(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.users.Add(users.Spec{Username: "carol", Password: "carol-pw", Group: users.Unprivileged}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	carol := basic("carol", "carol-pw")
	post := func(path string, kv ...string) answer {
		body, h := form(kv...)
		return do(t, c, http.MethodPost, f.base+"/lua/rest/v2/"+path, body, merge(h, carol))
	}

	a := do(t, c, http.MethodGet, f.base+"/lua/rest/v2/get/flowgate/account.lua", nil, carol)
	var acct map[string]any
	if a.Code != 200 || json.Unmarshal(a.Rsp, &acct) != nil || acct["username"] != "carol" || acct["totp_enabled"] != false {
		t.Fatalf("account: %d %s", a.Code, a.Body)
	}
	if strings.Contains(a.Body, "password") && !strings.Contains(a.Body, "allow_") {
		t.Errorf("the account shows a password field: %s", a.Body)
	}
	if a := post("edit/flowgate/totp.lua", "enabled", "true", "code", "123456"); a.Code != 400 || !strings.Contains(a.Body, "create one first") {
		t.Errorf("enable before enrolment: %d %s", a.Code, a.Body)
	}
	if a := do(t, c, http.MethodGet, f.base+"/lua/rest/v2/create/flowgate/totp.lua", nil, carol); a.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET create: %d", a.Code)
	}

	a = post("create/flowgate/totp.lua")
	var enrol struct {
		Secret, URI string
		QR          string `json:"qr_svg"`
	}
	if a.Code != 200 || json.Unmarshal(a.Rsp, &enrol) != nil || enrol.Secret == "" || !strings.HasPrefix(enrol.URI, "otpauth://totp/") ||
		!strings.Contains(enrol.URI, "carol") {
		t.Fatalf("create: %d %s", a.Code, a.Body)
	}
	svg, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(enrol.QR, "data:image/svg+xml;base64,"))
	if err != nil || !strings.HasPrefix(string(svg), "<svg") || strings.Count(string(svg), "h1v1h-1z") < 100 {
		t.Fatalf("QR code %q: %v", svg, err)
	}
	if f.users.TOTPEnabled("carol") {
		t.Fatal("TOTP on before a code confirmed it")
	}

	before := f.s.AuthStats().TOTPFailed
	for _, bad := range []struct{ kv []string }{
		{[]string{"enabled", "true", "code", "000000"}},
		{[]string{"enabled", "true", "code", ""}},
		{[]string{"enabled", "maybe", "code", "000000"}},
		{[]string{"code", "000000"}},
	} {
		if a := post("edit/flowgate/totp.lua", bad.kv...); a.Code != 400 || a.RCStr != "INVALID_ARGUMENTS" {
			t.Errorf("%v: %d %s", bad.kv, a.Code, a.Body)
		}
	}
	if got := f.s.AuthStats().TOTPFailed - before; got != 2 {
		t.Errorf("%d wrong codes counted, want 2", got)
	}
	if f.users.TOTPEnabled("carol") {
		t.Fatal("TOTP on after wrong codes")
	}
	code, _ := totp.GenerateCode(enrol.Secret, f.clock.now())
	if a := post("edit/flowgate/totp.lua", "enabled", "true", "code", code); a.Code != 200 || !f.users.TOTPEnabled("carol") {
		t.Fatalf("confirm: %d %s", a.Code, a.Body)
	}
}

// TestLoginPageScript: the login page's one script (it keeps a bookmark's
// #fragment in the referer) is the one its Content-Security-Policy allows.
func TestLoginPageScript(t *testing.T) {
	f := newFixture(t, nil)
	a := do(t, newClient(t), http.MethodGet, f.base+loginPath+"?referer=/", nil, nil)
	sum := sha256.Sum256([]byte(loginHashScript))
	csp := a.Header.Get("Content-Security-Policy")
	if a.Code != 200 || !strings.Contains(csp, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
		!strings.Contains(a.Body, "<script>"+loginHashScript+"</script>") {
		t.Fatalf("login page: %d CSP %q\n%s", a.Code, csp, a.Body)
	}
}
