package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"flowgate/web/users"
)

// MinOwnPasswordLen is the shortest new password a user may choose for
// itself on edit/flowgate/account.lua (ntopng's own-password form asks for
// at least 5 characters; flowgate asks for 8, NIST SP 800-63B's minimum).
const MinOwnPasswordLen = 8

// editAccount is POST edit/flowgate/account.lua: a user changes its own
// password (old_password, new_password, confirm_password) and/or its
// language (language, ntopng's user field). A password change needs the
// old password; a wrong one counts as a failed login (the same lockout as
// the login form: after too many the address is refused with 429). A new
// password ends every session of the user (the store's OnRevoke); the
// browser that asked gets a fresh session (cookie) and its new CSRF token
// in the answer, so only the other sessions end.
func (s *Server) editAccount(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	name, ok := s.accountUser(w, r)
	if !ok {
		return
	}
	// Passwords travel in the body only: a URL ends up in logs.
	q := r.URL.Query()
	for _, k := range []string{"old_password", "new_password", "confirm_password"} {
		if q.Has(k) {
			writeError(w, 0, errInvalidArgs, k+" must be sent in the body, not the URL")
			return
		}
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	lang, hasLang := p["language"]
	pw, hasPW := p["new_password"]
	if !hasLang && !hasPW {
		writeError(w, 0, errInvalidArgs, "nothing to change: give new_password (with old_password and confirm_password) and/or language")
		return
	}
	if hasPW {
		if rc, why := s.checkNewPassword(name, p); why != "" {
			writeError(w, 0, rc, why)
			return
		}
		addr := clientAddr(r)
		if s.lock.locked(addr) {
			s.counters.lockedRefused.Add(1)
			writeError(w, http.StatusTooManyRequests, errNotGranted, "too many failed logins from this address: try again later")
			return
		}
		if _, err := s.users.Authenticate(name, p["old_password"]); err != nil {
			s.loginFailed(r, addr, name, "account password change")
			writeError(w, 0, errInvalidArgs, "the old password is wrong")
			return
		}
		s.lock.succeed(addr)
	}
	// The language before the password: a bad code changes nothing.
	if hasLang {
		if err := s.users.ChangeLanguage(name, lang); err != nil {
			writeEditUserError(w, err)
			return
		}
	}
	out := map[string]any{}
	if hasPW {
		id, _ := IdentityFrom(r.Context())
		var expires time.Time
		if id.Method == AuthSession {
			if ss, ok := s.sess.get(id.Session); ok {
				expires = ss.expires
			}
		}
		if err := s.users.SetPassword(name, pw); err != nil { // ends every session of name
			writeEditUserError(w, err)
			return
		}
		s.deps.Logger.Info("own password changed; the user's sessions ended", "user", name, "client", clientAddr(r).String())
		if d := expires.Sub(s.now()); d > 0 {
			ss, err := s.sess.create(name, d, "")
			if err != nil {
				writeError(w, 0, errInternal, "password changed, but cannot reopen this session: log in again")
				return
			}
			s.setSessionCookie(w, r, ss)
			out["csrf"] = ss.csrf
		}
		out["password_changed"] = true
	}
	if hasLang {
		s.deps.Logger.Info("language changed", "user", name, "language", lang)
		out["language"] = lang
	}
	writeOK(w, out)
}

// checkNewPassword validates a requested own password before the old one
// is checked (so a weak choice costs no bcrypt and no lockout strike).
func (s *Server) checkNewPassword(name string, p params) (restError, string) {
	pw := p["new_password"]
	switch {
	case p["old_password"] == "":
		return errInvalidArgs, "old_password is required to change the password"
	case pw == "":
		return errInvalidArgs, "new_password is empty"
	case len(pw) < MinOwnPasswordLen:
		return errInvalidArgs, fmt.Sprintf("new_password is too weak: use at least %d characters", MinOwnPasswordLen)
	case len(pw) > users.MaxPasswordLen:
		return errInvalidArgs, fmt.Sprintf("new_password is longer than %d bytes", users.MaxPasswordLen)
	case pw == p["old_password"]:
		return errInvalidArgs, "new_password is the old password"
	case len(name) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(name)):
		return errInvalidArgs, "new_password is too weak: it contains the user name"
	case pw != p["confirm_password"]:
		return errPasswordMismatch, "new_password and confirm_password differ"
	}
	return restError{}, ""
}
