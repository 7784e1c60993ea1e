package ui

import (
	"compress/gzip"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// TestHandler checks what the UI answers through the whole server chain:
// the shell only after login, the assets compressed, unknown ones 404.
func TestHandler(t *testing.T) {
	f := newFixture(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, basic bool, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, f.base+path, nil)
		if basic {
			req.SetBasicAuth("admin", adminPass)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	cases := []struct {
		name, path string
		basic      bool
		hdr        map[string]string
		status     int
		check      func(t *testing.T, r *http.Response)
	}{
		{"shell without login goes to the login form", "/", false, nil, http.StatusFound, func(t *testing.T, r *http.Response) {
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/lua/login.lua?referer=") {
				t.Errorf("Location %q", loc)
			}
		}},
		{"session check without login redirects (no Basic challenge)", "/?alive", false, nil, http.StatusFound, nil},
		{"session check", "/?alive", true, nil, http.StatusNoContent, nil},
		{"shell", "/", true, nil, http.StatusOK, func(t *testing.T, r *http.Response) {
			b, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(b), `<meta name="fg-user" content="admin">`) || !strings.Contains(string(b), "/ui/app.js") {
				t.Errorf("shell %s", b)
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP %q", csp)
			}
		}},
		{"asset gzip", "/ui/app.js", true, map[string]string{"Accept-Encoding": "gzip"}, http.StatusOK, func(t *testing.T, r *http.Response) {
			if r.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
				t.Fatalf("headers %v", r.Header)
			}
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(zr)
			if !strings.Contains(string(b), "function route") {
				t.Errorf("app.js not served: %.100s", b)
			}
		}},
		{"asset plain", "/ui/style.css", true, map[string]string{"Accept-Encoding": "identity"}, http.StatusOK, func(t *testing.T, r *http.Response) {
			if r.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
				t.Errorf("headers %v", r.Header)
			}
		}},
		{"asset without login", "/ui/app.js", false, nil, http.StatusUnauthorized, nil},
		{"unknown asset", "/ui/nope.js", true, nil, http.StatusNotFound, nil},
		{"the shell is only at /", "/index.html", true, nil, http.StatusNotFound, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(c.path, c.basic, c.hdr)
			if r.StatusCode != c.status {
				t.Fatalf("GET %s: %d, want %d", c.path, r.StatusCode, c.status)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
	if c := f.ui.Counters(); c.NotFound != 1 || c.Assets < 2 {
		t.Errorf("counters %+v", c)
	}
}

// TestAssetSizes keeps the UI small: what a first visit downloads, gzip.
func TestAssetSizes(t *testing.T) {
	sizes := New().Sizes()
	names := make([]string, 0, len(sizes))
	var raw, gz int
	for n, s := range sizes {
		names = append(names, n)
		raw += s[0]
		gz += s[1]
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("%-28s %7d B  gzip %6d B", n, sizes[n][0], sizes[n][1])
	}
	t.Logf("%-28s %7d B  gzip %6d B", "total", raw, gz)
	if gz > 64<<10 {
		t.Errorf("the UI's assets are %d bytes gzip, over 64 KiB", gz)
	}
}
