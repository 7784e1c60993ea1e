package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"flowgate/web/users"
)

// ntopng's login URLs (LOGIN_URL, AUTHORIZE_URL, LOGOUT_URL).
const (
	loginPath     = "/lua/login.lua"
	authorizePath = "/authorize.html"
	logoutPath    = "/lua/logout.lua"
)

// pendingTOTP is how long the second login step waits for its code, and
// how many wrong codes end it.
const (
	pendingTOTP       = 5 * time.Minute
	maxPendingTries   = 3
	maxPendingLogins  = 1024
	loginFormMaxField = 256
)

var loginTmpl = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>flowgate login</title>
<link rel="stylesheet" href="` + loginCSSPath + `">
</head>
<body class="login">
<main class="login-box">
<h1>flowgate</h1>
{{if .Pending}}<p class="sub muted">Two-factor authentication</p>{{else}}<p class="sub muted">Log in to continue</p>{{end}}
{{if .Message}}<p class="login-msg{{if .Error}} err{{end}}" role="alert">{{.Message}}</p>{{end}}
{{if .Pending}}<form method="POST" action="/authorize.html" id="totp-login">
<input type="hidden" name="pending" value="{{.Pending}}">
<label>Authenticator code <input name="totp_code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required autofocus></label>
<button type="submit">Verify</button>
</form>{{else}}<form method="POST" action="/authorize.html" id="login-form">
<input type="hidden" name="referer" value="{{.Referer}}">
<label>Username <input name="user" autocomplete="username" autocapitalize="none" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Login</button>
</form>{{end}}
</main>
<script>` + loginHashScript + `</script>
</body></html>
`))

// loginHashScript keeps a bookmarked page's fragment (#/hosts?...) across
// the login: the browser keeps it through the redirect to this page, but a
// form POST drops it, so it joins the referer. It also applies the UI's
// theme: the one the user picked in the UI (same origin, localStorage
// "fg-theme"), else the system's light or dark preference. It is the
// page's only script, allowed by its hash in the Content-Security-Policy.
const loginHashScript = `(function(){var h=location.hash,f=document.querySelector("input[name=referer]");` +
	`if(h&&f&&f.value.indexOf("#")<0){f.value=(f.value||"/")+h;}` +
	`var t=null;try{t=localStorage.getItem("fg-theme");}catch(e){}` +
	`document.documentElement.dataset.theme=t||(matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light");})();`

// loginCSP allows the one script by its hash and the stylesheet from this
// server (loginCSSPath): no inline style, nothing from elsewhere.
var loginCSP = func() string {
	sum := sha256.Sum256([]byte(loginHashScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}()

// loginCSSPath serves the login page's stylesheet without a session: the
// UI's (ui/assets/style.css: its variables, controls and themes) followed
// by the login layout (login.css).
const loginCSSPath = "/login.css"

//go:embed ui/assets/style.css
var uiCSS []byte

//go:embed login.css
var loginLayoutCSS []byte

var loginCSS = append(append(append([]byte{}, uiCSS...), '\n'), loginLayoutCSS...)

func loginStyle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, errInvalidArgs, "use GET")
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(loginCSS)
}

type loginView struct {
	Message, Referer, Pending string
	Error                     bool // the message reports a failure (shown as one)
}

var loginReasons = map[string]string{
	"wrong-credentials": "Invalid username or password.",
	"locked":            "Too many failed logins from this address: try again later.",
	"expired":           "The login expired: please log in again.",
	"logout":            "You are logged out.",
}

func renderLogin(w http.ResponseWriter, code int, v loginView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", loginCSP)
	w.WriteHeader(code)
	_ = loginTmpl.Execute(w, v)
}

// loginPage is /lua/login.lua: the form, posting to /authorize.html.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, errInvalidArgs, "use GET")
		return
	}
	q := r.URL.Query()
	reason := q.Get("reason")
	renderLogin(w, http.StatusOK, loginView{Message: loginReasons[reason], Error: reason != "logout", Referer: safeReferer(q.Get("referer"))})
}

// safeReferer keeps a redirect target on this server: a path, never a URL
// with a scheme or host (onSitePath), and never the login pages themselves.
func safeReferer(ref string) string {
	u, ok := onSitePath(ref)
	if !ok {
		return "/"
	}
	switch u.Path {
	case loginPath, authorizePath, logoutPath:
		return "/"
	}
	return ref
}

// onSitePath parses ref when it is a path on this server that no browser
// reads as another host ("//evil", "/\\evil", "https://evil" are not):
// no scheme, host or user, no control characters or backslashes, <= 2 KiB.
func onSitePath(ref string) (*url.URL, bool) {
	if ref == "" || len(ref) > 2048 || !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") ||
		strings.HasPrefix(ref, "/\\") || strings.ContainsAny(ref, "\r\n\x00\\") {
		return nil, false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return nil, false
	}
	return u, true
}

func loginRedirect(w http.ResponseWriter, r *http.Request, reason, referer string) {
	target := loginPath + "?reason=" + url.QueryEscape(reason)
	if referer != "" && referer != "/" {
		target += "&referer=" + url.QueryEscape(referer)
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// authorize is /authorize.html: the login form's POST (user, password,
// referer), or the TOTP step's (pending, totp_code).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, errInvalidArgs, "use POST")
		return
	}
	if s.cfg.DisableLogin {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, errInvalidArgs, "bad form")
		return
	}
	addr := clientAddr(r)
	referer := safeReferer(r.PostForm.Get("referer"))
	if s.lock.locked(addr) {
		s.counters.lockedRefused.Add(1)
		loginRedirect(w, r, "locked", referer)
		return
	}
	if pending := r.PostForm.Get("pending"); pending != "" {
		s.totpStep(w, r, addr, pending, r.PostForm.Get("totp_code"))
		return
	}
	user, pass := r.PostForm.Get("user"), r.PostForm.Get("password")
	if len(user) > loginFormMaxField || len(pass) > loginFormMaxField {
		s.loginFailed(r, addr, user, "form")
		loginRedirect(w, r, "wrong-credentials", referer)
		return
	}
	u, err := s.users.Authenticate(user, pass)
	if err != nil {
		s.loginFailed(r, addr, user, "form")
		loginRedirect(w, r, "wrong-credentials", referer)
		return
	}
	if u.TOTPEnabled {
		p, err := s.pending.create(u.Username, pendingTOTP, referer)
		if err != nil {
			writeError(w, http.StatusInternalServerError, errInternal, "cannot start the login")
			return
		}
		renderLogin(w, http.StatusOK, loginView{Message: "Enter the code of your authenticator app.", Pending: p.id})
		return
	}
	s.startSession(w, r, addr, u, referer)
}

// totpStep completes a login whose password was right with the user's
// TOTP code.
func (s *Server) totpStep(w http.ResponseWriter, r *http.Request, addr netip.Addr, pending, code string) {
	p, ok := s.pending.get(pending)
	if !ok {
		loginRedirect(w, r, "expired", "")
		return
	}
	if s.users.ValidateTOTP(p.user, code) {
		s.pending.remove(p.id)
		u, ok := s.users.Get(p.user)
		if !ok {
			loginRedirect(w, r, "wrong-credentials", "")
			return
		}
		s.startSession(w, r, addr, u, p.referer)
		return
	}
	s.counters.totpFailed.Add(1)
	s.loginFailed(r, addr, p.user, "totp")
	if s.pending.bump(p.id) >= maxPendingTries || s.lock.locked(addr) {
		s.pending.remove(p.id)
		loginRedirect(w, r, "wrong-credentials", p.referer)
		return
	}
	renderLogin(w, http.StatusUnauthorized, loginView{Message: "Wrong code: try again.", Error: true, Pending: p.id})
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, addr netip.Addr, u users.User, referer string) {
	ss, err := s.sess.create(u.Username, s.cfg.SessionDuration, "")
	if err != nil {
		writeError(w, http.StatusInternalServerError, errInternal, "cannot open a session")
		return
	}
	s.lock.succeed(addr)
	s.counters.loginsOK.Add(1)
	s.deps.Logger.Info("login", "user", u.Username, "client", addr.String())
	s.setSessionCookie(w, r, ss)
	http.Redirect(w, r, referer, http.StatusFound)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, ss *session) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: ss.id, Path: "/",
		MaxAge:   int(ss.expires.Sub(s.now()).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

// logout is /lua/logout.lua: the session ends and the browser goes back
// to the login page.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && s.sess != nil {
		if ss, ok := s.sess.get(c.Value); ok {
			s.sess.remove(ss.id)
			s.deps.Logger.Info("logout", "user", ss.user, "client", clientAddr(r).String())
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, loginPath+"?reason=logout", http.StatusFound)
}
