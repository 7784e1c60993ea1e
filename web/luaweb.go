package web

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"flowgate/lua/api"
)

// The server as the ntop.* login functions see it (api.WebServer); the
// wiring puts it in api.Services.Web.
var _ api.WebServer = (*Server)(nil)

// LoginDisabled is --disable-login.
func (s *Server) LoginDisabled() bool { return s.cfg.DisableLogin }

// GUIAccessRestricted follows ntopng's rule: access is restricted when the
// web server listens on chosen addresses instead of every address.
func (s *Server) GUIAccessRestricted() bool {
	restricted := func(addr string) bool {
		if addr == "" {
			return false
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = "" // a bare port (-W 3001): every address
		}
		if host == "" {
			return false
		}
		a, err := netip.ParseAddr(host)
		return err != nil || !a.IsUnspecified() // a name or a chosen address
	}
	return (!s.cfg.DisableHTTP && restricted(s.cfg.Addr)) || restricted(s.cfg.HTTPSAddr)
}

// CreateSession opens a session for an existing user (ntop.createUserSession);
// d <= 0 is the configured duration, and no session outlives the bound of
// create/ntopng/session.lua.
func (s *Server) CreateSession(user string, d time.Duration) (string, error) {
	if s.users == nil {
		return "", fmt.Errorf("create session: the user store is not open")
	}
	if _, ok := s.users.Get(user); !ok {
		return "", fmt.Errorf("create session: no user %q", user)
	}
	if d <= 0 {
		d = s.cfg.SessionDuration
	}
	if d > maxSessionDuration {
		return "", fmt.Errorf("create session: duration over %v", maxSessionDuration)
	}
	ss, err := s.sess.create(user, d, "")
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return ss.id, nil
}

// redirectTarget accepts what ntop.httpRedirect may send a browser to: a
// path on this server, or an absolute http(s) URL; no header injection.
func redirectTarget(u string) bool {
	if strings.HasPrefix(u, "/") {
		_, ok := onSitePath(u)
		return ok
	}
	if len(u) > 2048 || strings.ContainsAny(u, "\r\n\x00") {
		return false
	}
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}
