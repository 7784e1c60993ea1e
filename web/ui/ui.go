// Package ui is flowgate's web UI: a page shell at "/" and static ES
// modules, CSS and the vendored uPlot under "/ui/", all embedded in the
// binary (no Node step, no CDN). Every screen reads ntopng's REST API v2
// that package web serves; see README.md for the build choice.
package ui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync/atomic"

	"flowgate/web"
)

//go:embed assets
var assetFS embed.FS

// Prefix is where the static assets are served.
const Prefix = "/ui/"

// asset is one embedded file with its gzip form, compressed once at New.
type asset struct {
	body, gz []byte
	ctype    string
}

// Counters of the UI handler.
type Counters struct {
	Shells   uint64 // page shells served
	Assets   uint64 // static assets served
	NotFound uint64 // asset paths that do not exist
}

// UI serves the shell and the assets.
type UI struct {
	assets               map[string]asset
	shells, hits, misses atomic.Uint64
}

// New reads the embedded assets (gzip-compressing each once).
func New() *UI {
	u := &UI{assets: map[string]asset{}}
	_ = fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "assets/index.html" {
			return err
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		u.assets[strings.TrimPrefix(p, "assets/")] = asset{body: body, gz: b.Bytes(), ctype: ct}
		return nil
	})
	return u
}

// Counters returns what the handler served.
func (u *UI) Counters() Counters {
	return Counters{Shells: u.shells.Load(), Assets: u.hits.Load(), NotFound: u.misses.Load()}
}

// Sizes lists each asset's size and gzip size in bytes (for the README's
// figures and a test that keeps them small).
func (u *UI) Sizes() map[string][2]int {
	out := map[string][2]int{}
	for name, a := range u.assets {
		out[name] = [2]int{len(a.body), len(a.gz)}
	}
	return out
}

// Mount registers the shell at "/" (exactly) and the assets under /ui/ on
// the server, behind its login: an unauthenticated visitor of "/" goes to
// the login form and comes back.
func (u *UI) Mount(s *web.Server) {
	s.Handle("GET /{$}", http.HandlerFunc(u.shell))
	s.Handle("GET "+Prefix, http.HandlerFunc(u.asset))
}

var shellTmpl = template.Must(template.ParseFS(assetFS, "assets/index.html"))

// shellView is what the shell tells the scripts about the session: the
// CSRF token cookie-session POSTs must carry (web/README.md), the user and
// whether it is an administrator (pages the server would refuse anyway
// are hidden).
type shellView struct {
	CSRF, User, Group string
}

func (u *UI) shell(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery == "alive" {
		// The scripts' session check: "/" is a page, so a visitor without
		// a session is redirected to the login instead of being answered
		// 401 with a Basic challenge (which makes browsers prompt, or wait
		// for credentials, on a fetch).
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	u.shells.Add(1)
	id, _ := web.IdentityFrom(r.Context())
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Only our own scripts and styles; data is never markup (textContent).
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	_ = shellTmpl.Execute(w, shellView{CSRF: id.CSRF, User: id.User.Username, Group: id.User.Group})
}

func (u *UI) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := u.assets[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		u.misses.Add(1)
		http.NotFound(w, r)
		return
	}
	u.hits.Add(1)
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	// Assets change with the binary only; an hour keeps reloads cheap
	// without pinning an old UI after an upgrade for long.
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Vary", "Accept-Encoding")
	body := a.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	_, _ = w.Write(body)
}
