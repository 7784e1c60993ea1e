package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestLoginStyle: the login page links its stylesheet, served without a
// session from this server, and its Content-Security-Policy allows that
// stylesheet and its one script by hash, nothing inline or from elsewhere.
func TestLoginStyle(t *testing.T) {
	f := newFixture(t, nil)
	c := newClient(t)
	for _, tc := range []struct {
		name, reason string
		msg          string
		err          bool
	}{
		{"fresh", "", "", false},
		{"wrong password", "wrong-credentials", "Invalid username or password.", true},
		{"logged out", "logout", "You are logged out.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, c, http.MethodGet, f.base+loginPath+"?reason="+tc.reason, nil, nil)
			if a.Code != http.StatusOK || !strings.Contains(a.Body, `<link rel="stylesheet" href="/login.css">`) ||
				!strings.Contains(a.Body, `name="viewport"`) || strings.Contains(a.Body, "style=") || strings.Contains(a.Body, "<style") {
				t.Fatalf("login page: %d %s", a.Code, a.Body)
			}
			csp := a.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "style-src 'self'") || !strings.Contains(csp, "script-src 'sha256-") ||
				strings.Contains(csp, "unsafe-inline") || !strings.HasPrefix(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
			if tc.msg != "" && !strings.Contains(a.Body, tc.msg) {
				t.Errorf("message %q missing: %s", tc.msg, a.Body)
			}
			if got := strings.Contains(a.Body, `class="login-msg err"`); got != tc.err {
				t.Errorf("message shown as an error: %v, want %v", got, tc.err)
			}
		})
	}
	// The stylesheet: the UI's variables and themes, then the login layout.
	a := do(t, c, http.MethodGet, f.base+loginCSSPath, nil, nil)
	if a.Code != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(a.Body, "--accent") || !strings.Contains(a.Body, "[data-theme=dark]") || !strings.Contains(a.Body, ".login-box") {
		t.Fatalf("login.css: %d %q %.200s", a.Code, a.Header.Get("Content-Type"), a.Body)
	}
	if a.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("login.css without nosniff")
	}
	if a := do(t, c, http.MethodPost, f.base+loginCSSPath, nil, nil); a.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST login.css: %d", a.Code)
	}
}
