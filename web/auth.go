package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"flowgate/web/users"
)

// AuthMethod is how a request proved who sent it.
type AuthMethod string

// The methods, in the order ntopng tries them.
const (
	AuthNologin AuthMethod = "nologin" // --disable-login
	AuthBasic   AuthMethod = "basic"   // Authorization: Basic
	AuthToken   AuthMethod = "token"   // Authorization: Token <api token>
	AuthSession AuthMethod = "session" // the session cookie
)

// Identity is the authenticated sender of a request: what a Lua page
// runner turns into _SESSION (user, group, session, csrf).
type Identity struct {
	User    users.User
	Method  AuthMethod
	Session string // the session id, for AuthSession
	CSRF    string // the session's CSRF token, for AuthSession
}

type identityKey struct{}

// IdentityFrom returns the identity the auth middleware attached to a
// request's context. Handlers registered with Handle always have one when
// login is on or off; a handler driven without the middleware (ServeHTTP
// in tests) has none.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// WithIdentity attaches id to ctx (for handlers driven in tests).
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// SessionCookie is ntopng's cookie name (create/ntopng/session.lua's
// answer is used as `--cookie "session=<id>"`).
const SessionCookie = "session"

// CSRFHeader and CSRFField carry the CSRF token of a cookie-session POST;
// ntopng's forms and REST calls send it as the "csrf" field.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
)

// maxAuthHeader bounds the Authorization header we parse.
const maxAuthHeader = 4096

// AuthStats are the authentication counters.
type AuthStats struct {
	LoginsOK       uint64 `json:"logins_ok"`
	LoginsFailed   uint64 `json:"logins_failed"`
	Lockouts       uint64 `json:"lockouts"`
	LockedRefused  uint64 `json:"locked_refused"`
	SessionsActive int    `json:"sessions_active"`
	CSRFRejects    uint64 `json:"csrf_rejects"`
	TokenAuths     uint64 `json:"token_auths"`
	TokenFailed    uint64 `json:"token_failed"`
	BasicAuths     uint64 `json:"basic_auths"`
	NotGranted     uint64 `json:"not_granted"`
	BodyTooLarge   uint64 `json:"body_too_large"`
	TOTPFailed     uint64 `json:"totp_failed"`
	PasswordRehash uint64 `json:"password_rehashed"`
	BadBodies      uint64 `json:"bad_bodies"`
	// RESTAnswers counts the built-in REST endpoints' answers by HTTP
	// status ("200", "400", ...): bad input shows as 4xx.
	RESTAnswers map[string]uint64 `json:"rest_answers"`
}

type authCounters struct {
	loginsOK, loginsFailed, lockouts, lockedRefused, csrfRejects  atomic.Uint64
	tokenAuths, tokenFailed, basicAuths, notGranted, bodyTooLarge atomic.Uint64
	totpFailed, badBodies                                         atomic.Uint64
	restAnswers                                                   [600]atomic.Uint64 // by HTTP status
}

// AuthStats returns the authentication counters (exported to /metrics by
// the metrics registry).
func (s *Server) AuthStats() AuthStats {
	c := &s.counters
	st := AuthStats{
		LoginsOK: c.loginsOK.Load(), LoginsFailed: c.loginsFailed.Load(), Lockouts: c.lockouts.Load(),
		LockedRefused: c.lockedRefused.Load(), CSRFRejects: c.csrfRejects.Load(), TokenAuths: c.tokenAuths.Load(),
		TokenFailed: c.tokenFailed.Load(), BasicAuths: c.basicAuths.Load(), NotGranted: c.notGranted.Load(),
		BodyTooLarge: c.bodyTooLarge.Load(), TOTPFailed: c.totpFailed.Load(), BadBodies: c.badBodies.Load(),
		RESTAnswers: map[string]uint64{},
	}
	for code := range c.restAnswers {
		if n := c.restAnswers[code].Load(); n > 0 {
			st.RESTAnswers[strconv.Itoa(code)] = n
		}
	}
	if s.sess != nil {
		st.SessionsActive = s.sess.active()
	}
	if s.users != nil {
		st.PasswordRehash = s.users.Rehashed()
	}
	return st
}

// credentials are what an Authorization header carries.
type credentials struct {
	scheme     AuthMethod // AuthBasic or AuthToken; "" when unusable
	user, pass string
	token      string
}

// parseAuthorization reads "Basic base64(user:pass)" or "Token <t>"
// (scheme names are case-insensitive, RFC 7235). Anything else, or an
// oversize header, is unusable.
func parseAuthorization(h string) (credentials, bool) {
	if len(h) > maxAuthHeader {
		return credentials{}, false
	}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return credentials{}, false
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return credentials{}, false
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" {
			return credentials{}, false
		}
		return credentials{scheme: AuthBasic, user: user, pass: pass}, true
	case "token":
		if rest == "" || strings.ContainsAny(rest, " \t") {
			return credentials{}, false
		}
		return credentials{scheme: AuthToken, token: rest}, true
	}
	return credentials{}, false
}

// clientAddr is the address lockouts are counted by: the peer's, as no
// proxy header is trusted.
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// authFailure is why a request could not be authenticated.
type authFailure int

const (
	authMissing authFailure = iota // no credentials: the login page or 401
	authWrong                      // wrong credentials: 401
	authLocked                     // the client address is locked out: 429
)

// authenticate tries ntopng's order: --disable-login, Basic, Token, the
// session cookie.
func (s *Server) authenticate(r *http.Request) (Identity, authFailure, bool) {
	if s.cfg.DisableLogin {
		return Identity{Method: AuthNologin, User: users.User{Username: users.NologinUser, Group: users.Administrator,
			Language: users.DefaultLanguage, Capabilities: users.AllCapabilities}}, 0, true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		addr := clientAddr(r)
		if s.lock.locked(addr) {
			s.counters.lockedRefused.Add(1)
			return Identity{}, authLocked, false
		}
		cred, ok := parseAuthorization(h)
		if ok && cred.scheme == AuthBasic {
			u, err := s.users.Authenticate(cred.user, cred.pass)
			if err == nil {
				s.counters.basicAuths.Add(1)
				return Identity{User: u, Method: AuthBasic}, 0, true
			}
			s.loginFailed(r, addr, cred.user, "basic")
			return Identity{}, authWrong, false
		}
		if ok && cred.scheme == AuthToken {
			if u, found := s.users.ByToken(cred.token); found {
				s.counters.tokenAuths.Add(1)
				return Identity{User: u, Method: AuthToken}, 0, true
			}
			s.counters.tokenFailed.Add(1)
			s.loginFailed(r, addr, "", "token")
			return Identity{}, authWrong, false
		}
		s.loginFailed(r, addr, "", "malformed Authorization header")
		return Identity{}, authWrong, false
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		if ss, ok := s.sess.get(c.Value); ok {
			if u, ok := s.users.Get(ss.user); ok {
				return Identity{User: u, Method: AuthSession, Session: ss.id, CSRF: ss.csrf}, 0, true
			}
			s.sess.remove(ss.id) // the user was deleted
		}
	}
	return Identity{}, authMissing, false
}

// loginFailed counts and logs a failed login (never the password) and
// locks the client address out after too many.
func (s *Server) loginFailed(r *http.Request, addr netip.Addr, user, how string) {
	s.counters.loginsFailed.Add(1)
	if len(user) > users.MaxUsernameLen {
		user = user[:users.MaxUsernameLen]
	}
	s.deps.Logger.Warn("login failed", "client", addr.String(), "user", user, "method", how, "path", r.URL.Path)
	if s.lock.fail(addr) {
		s.counters.lockouts.Add(1)
		s.deps.Logger.Warn("client locked out after failed logins", "client", addr.String(),
			"attempts", s.cfg.LockoutAttempts, "for", s.cfg.LockoutDuration.String())
	}
}

// isPage tells whether a path is a browser page (answered with the login
// page when unauthenticated) rather than REST or metrics (answered 401).
func isPage(p string) bool {
	return p == "/" || (strings.HasPrefix(p, "/lua/") && !strings.HasPrefix(p, "/lua/rest/") && !strings.HasPrefix(p, "/lua/pro/rest/"))
}

// guard is the middleware every request passes: security headers, the
// body limit, login, CSRF and least privilege, then the routes.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if isREST(r.URL.Path) {
			h.Set("Cache-Control", "no-store")
		}
		if !s.limitBody(w, r) {
			return
		}
		switch r.URL.Path {
		case loginPath:
			s.loginPage(w, r)
			return
		case authorizePath:
			s.authorize(w, r)
			return
		case logoutPath:
			s.logout(w, r)
			return
		case loginCSSPath:
			loginStyle(w, r)
			return
		}
		id, why, ok := s.authenticate(r)
		if !ok {
			switch {
			case why == authLocked:
				writeError(w, http.StatusTooManyRequests, errNotGranted, "too many failed logins from this address: try again later")
			case why == authMissing && isPage(r.URL.Path) && r.Method == http.MethodGet:
				http.Redirect(w, r, loginPath+"?referer="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
			default:
				h.Set("WWW-Authenticate", `Basic realm="flowgate"`)
				writeError(w, http.StatusUnauthorized, errNotGranted, "authentication required")
			}
			return
		}
		if id.Method == AuthSession && needsCSRF(r) && !s.csrfOK(r, id.CSRF) {
			s.counters.csrfRejects.Add(1)
			s.deps.Logger.Warn("CSRF token mismatch", "client", clientAddr(r).String(), "user", id.User.Username, "path", r.URL.Path)
			writeError(w, http.StatusForbidden, errNotGranted, "missing or wrong CSRF token")
			return
		}
		if !allowed(id.User, r.URL.Path) {
			s.counters.notGranted.Add(1)
			writeError(w, http.StatusUnauthorized, errNotGranted, "not granted to user "+id.User.Username)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
	})
}

func isREST(p string) bool {
	return strings.HasPrefix(p, "/lua/rest/") || strings.HasPrefix(p, "/lua/pro/rest/")
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// needsCSRF: a cookie session's request that may change state must carry
// the session's CSRF token. That is every unsafe method, and also a GET to
// a REST path whose verb writes: ntopng documents acknowledge, delete,
// edit, reset, … as GET, and a link on another site must not run them
// with the user's cookie. Basic and token clients are not concerned.
func needsCSRF(r *http.Request) bool {
	if unsafeMethod(r.Method) {
		return true
	}
	return isREST(r.URL.Path) && restVerbWrites(r.URL.Path)
}

// restVerbWrites reports whether the verb of a /lua/[pro/]rest/v2/<verb>/…
// path may change state: everything but get, connect and export.
func restVerbWrites(p string) bool {
	_, rest, ok := strings.Cut(p, "/rest/v2/")
	if !ok {
		return false
	}
	verb, _, _ := strings.Cut(rest, "/")
	switch verb {
	case "get", "connect", "export":
		return false
	}
	return true
}

// limitBody reads a request body of at most MaxBodyBytes into memory
// (ntopng: 512 KiB) and answers 413 with the envelope beyond that. The
// body is then re-readable, for the CSRF check and the handler.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	max := s.cfg.MaxBodyBytes
	if r.ContentLength > max {
		s.tooLarge(w, r)
		return false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	r.Body.Close()
	if err != nil {
		writeError(w, http.StatusBadRequest, errBadContent, "cannot read the request body")
		return false
	}
	if int64(len(raw)) > max {
		s.tooLarge(w, r)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	return true
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	s.counters.bodyTooLarge.Add(1)
	w.Header().Set("Connection", "close") // the rest of the body is not read
	writeError(w, http.StatusRequestEntityTooLarge, errBadContent, "request body larger than the limit")
}

// checkBodies refuses a REST request whose JSON body is malformed, for
// every built-in endpoint alike, whether or not it reads the body (Lua
// pages check their own input), and counts the built-ins' answers by
// HTTP status.
func (s *Server) checkBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isREST(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			if code > 0 && code < len(s.counters.restAnswers) {
				s.counters.restAnswers[code].Add(1)
			}
		}()
		if !jsonBodyOK(r) {
			s.counters.badBodies.Add(1)
			writeError(sw, http.StatusBadRequest, errBadFormat, "malformed JSON body")
			return
		}
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status an answer was written with.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// jsonBodyOK: the body is not declared JSON, or is well-formed JSON
// (limitBody made it re-readable).
func jsonBodyOK(r *http.Request) bool {
	if r.GetBody == nil {
		return true
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return true
	}
	body, err := r.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	raw, err := io.ReadAll(body)
	return err == nil && (len(bytes.TrimSpace(raw)) == 0 || json.Valid(raw))
}

// csrfOK checks a cookie-session request's CSRF token: the X-CSRF-Token
// header, the csrf form field, or a JSON body's top-level "csrf".
func (s *Server) csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" && !unsafeMethod(r.Method) {
		got = r.URL.Query().Get(CSRFField) // a GET has no body to carry it
	}
	if got == "" {
		got = bodyField(r, CSRFField)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// bodyField reads a field from a form or JSON body without consuming the
// body (limitBody made it re-readable).
func bodyField(r *http.Request, name string) string {
	if r.GetBody == nil {
		return ""
	}
	body, err := r.GetBody()
	if err != nil {
		return ""
	}
	defer body.Close()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		if json.NewDecoder(body).Decode(&m) != nil {
			return ""
		}
		v, _ := m[name].(string)
		return v
	case "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(body)
		if err != nil {
			return ""
		}
		q, err := url.ParseQuery(string(raw))
		if err != nil {
			return ""
		}
		return q.Get(name)
	}
	return ""
}

// allowed is least privilege for unprivileged users: reading REST
// endpoints (those of alerts, SNMP and recipients need ntopng's matching
// capability), the user's own token and session, and pages outside
// /lua/admin/. Everything that writes, /metrics and /debug/ are for
// administrators.
func allowed(u users.User, p string) bool {
	if u.IsAdmin() {
		return true
	}
	switch p {
	case "/lua/rest/v2/create/ntopng/api_token.lua", "/lua/rest/v2/create/ntopng/session.lua",
		"/lua/rest/v2/create/flowgate/totp.lua", "/lua/rest/v2/edit/flowgate/totp.lua",
		"/lua/rest/v2/edit/flowgate/account.lua":
		return true // the handlers allow only the user's own
	case "/lua/rest/v2/connect/test.lua", "/lua/rest/version.lua":
		return true // a client's connection check, whoever logs in
	case "/lua/rest/v2/get/ntopng/users.lua":
		return false
	}
	switch {
	case strings.HasPrefix(p, "/lua/rest/v2/get/"), strings.HasPrefix(p, "/lua/pro/rest/v2/get/"):
		switch {
		case strings.Contains(p, "/alert"):
			return u.Can(users.CapAlerts) || impliedAlerts(u)
		case strings.Contains(p, "/snmp/"):
			return u.Can(users.CapSNMP)
		case strings.Contains(p, "/recipient/"), strings.Contains(p, "/endpoint/"):
			return u.Can(users.CapNotifications)
		case strings.Contains(p, "/user_script/"):
			return u.Can(users.CapChecks)
		}
		return true
	case isREST(p) && writeCapabilityGranted(u, p):
		return true // ntopng lets a capability's holders write its objects
	case isREST(p), p == "/metrics", strings.HasPrefix(p, "/debug/"), strings.HasPrefix(p, "/lua/admin/"):
		return false
	}
	return true
}

// impliedAlerts is ntopng's rule: a local user whose allowed networks are
// all networks holds the alerts capability.
func impliedAlerts(u users.User) bool { return len(u.AllowedNets) == 0 }
