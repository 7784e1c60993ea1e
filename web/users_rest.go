package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"flowgate/web/users"
)

// maxSessionDuration bounds create/ntopng/session.lua's
// auth_session_duration.
const maxSessionDuration = 365 * 24 * time.Hour

func (s *Server) userRoutes() {
	for path, h := range map[string]http.HandlerFunc{
		"/lua/rest/v2/get/ntopng/users.lua":        s.getUsers,
		"/lua/rest/v2/add/ntopng/user.lua":         s.addUser,
		"/lua/rest/v2/edit/ntopng/user.lua":        s.editUser,
		"/lua/rest/v2/delete/ntopng/user.lua":      s.deleteUser,
		"/lua/rest/v2/create/ntopng/api_token.lua": s.createAPIToken,
		"/lua/rest/v2/create/ntopng/session.lua":   s.createSession,
	} {
		s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if s.users == nil { // before Start
				writeError(w, 0, errInternal, "the user store is not open")
				return
			}
			h(w, r)
		})
	}
}

// requester is the identity of a request; without the middleware (tests
// driving ServeHTTP) it is the no-login administrator.
func requester(r *http.Request) users.User {
	if id, ok := IdentityFrom(r.Context()); ok {
		return id.User
	}
	return users.User{Username: users.NologinUser, Group: users.Administrator}
}

// adminOnly answers not_granted unless an administrator asks.
func (s *Server) adminOnly(w http.ResponseWriter, r *http.Request) bool {
	if requester(r).IsAdmin() {
		return true
	}
	s.counters.notGranted.Add(1)
	writeError(w, 0, errNotGranted, "administrators only")
	return false
}

// userJSON is a user as REST shows it: never a hash, token or TOTP secret.
func userJSON(u users.User) map[string]any {
	caps := []string{}
	for c := users.CapPools; c <= users.CapPcapDownload; c++ {
		if u.Capabilities&c.Bit() != 0 {
			caps = append(caps, c.String())
		}
	}
	return map[string]any{
		"username": u.Username, "full_name": u.FullName, "group": u.Group,
		"allowed_nets": u.AllowedNetsString(), "allowed_ifname": u.AllowedIfname, "language": u.Language,
		"capabilities": caps, "has_api_token": u.HasAPIToken, "totp_enabled": u.TOTPEnabled,
		"allow_pcap_download":    u.Capabilities&users.CapPcapDownload.Bit() != 0,
		"allow_historical_flows": u.Capabilities&users.CapHistoricalFlows.Bit() != 0,
		"allow_alerts":           u.Capabilities&users.CapAlerts.Bit() != 0,
	}
}

func (s *Server) getUsers(w http.ResponseWriter, r *http.Request) {
	if !s.adminOnly(w, r) {
		return
	}
	list := s.users.List()
	out := make([]map[string]any, 0, len(list))
	for _, u := range list {
		out = append(out, userJSON(u))
	}
	writeOK(w, out)
}

// allowedInterface reads allowed_interface: ntopng's forms send an ifid,
// scripts a name; empty is every interface.
func (s *Server) allowedInterface(v string) (string, bool) {
	if v == "" {
		return "", true
	}
	if id, err := strconv.Atoi(v); err == nil {
		if s.deps.Engine == nil {
			return "", false
		}
		i := s.deps.Engine.Interface(id)
		if i == nil {
			return "", false
		}
		return i.Name(), true
	}
	return v, true
}

// capabilityParams are the add/edit user flags and their bits.
var capabilityParams = []struct {
	param string
	cap   users.Capability
}{
	{"allow_pcap_download", users.CapPcapDownload},
	{"allow_historical_flows", users.CapHistoricalFlows},
	{"allow_alerts", users.CapAlerts},
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) || !s.adminOnly(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if p["username"] == "" || p["password"] == "" || p["user_role"] == "" {
		writeError(w, 0, errInvalidArgs, "username, password and user_role are required")
		return
	}
	if p["password"] != p["confirm_password"] {
		writeError(w, 0, errPasswordMismatch, "password and confirm_password differ")
		return
	}
	ifname, ok := s.allowedInterface(p["allowed_interface"])
	if !ok {
		writeError(w, 0, errInvalidInterface, "unknown allowed_interface")
		return
	}
	var caps uint64
	for _, c := range capabilityParams {
		if p[c.param] == "1" || p[c.param] == "true" {
			caps |= c.cap.Bit()
		}
	}
	err = s.users.Add(users.Spec{Username: p["username"], FullName: p["full_name"], Password: p["password"],
		Group: p["user_role"], AllowedNets: p["allowed_networks"], AllowedIfname: ifname,
		Language: p["user_language"], Capabilities: caps})
	switch {
	case errors.Is(err, users.ErrInvalid):
		writeError(w, 0, errInvalidArgs, err.Error())
	case err != nil:
		writeError(w, 0, errAddUserFailed, err.Error())
	default:
		s.deps.Logger.Info("user added", "user", p["username"], "group", p["user_role"], "by", requester(r).Username)
		writeOK(w, map[string]any{})
	}
}

// editUser changes the fields given; a new password ends the user's
// sessions (the store's OnRevoke).
func (s *Server) editUser(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) || !s.adminOnly(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	name := p["username"]
	cur, ok := s.users.Get(name)
	if !ok {
		writeError(w, 0, errUserNotExist, "no such user")
		return
	}
	if pw, ok := p["password"]; ok && pw != "" && pw != p["confirm_password"] {
		writeError(w, 0, errPasswordMismatch, "password and confirm_password differ")
		return
	}
	var steps []func() error
	if v, ok := p["full_name"]; ok {
		steps = append(steps, func() error { return s.users.ChangeFullName(name, v) })
	}
	if v, ok := p["user_role"]; ok && v != "" {
		steps = append(steps, func() error { return s.users.ChangeRole(name, v) })
	}
	if v, ok := p["allowed_networks"]; ok {
		steps = append(steps, func() error { return s.users.ChangeAllowedNets(name, v) })
	}
	if v, ok := p["allowed_interface"]; ok {
		ifname, ok := s.allowedInterface(v)
		if !ok {
			writeError(w, 0, errInvalidInterface, "unknown allowed_interface")
			return
		}
		steps = append(steps, func() error { return s.users.ChangeAllowedIfname(name, ifname) })
	}
	if v, ok := p["user_language"]; ok && v != "" {
		steps = append(steps, func() error { return s.users.ChangeLanguage(name, v) })
	}
	caps := cur.Capabilities
	for _, c := range capabilityParams {
		if v, ok := p[c.param]; ok {
			if v == "1" || v == "true" {
				caps |= c.cap.Bit()
			} else {
				caps &^= c.cap.Bit()
			}
		}
	}
	if caps != cur.Capabilities {
		steps = append(steps, func() error { return s.users.SetCapabilities(name, caps) })
	}
	if pw := p["password"]; pw != "" {
		steps = append(steps, func() error { return s.users.SetPassword(name, pw) }) // ends the user's sessions (OnRevoke)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			writeEditUserError(w, err)
			return
		}
	}
	s.deps.Logger.Info("user edited", "user", name, "by", requester(r).Username)
	writeOK(w, map[string]any{})
}

// writeEditUserError answers a failed change of a stored user:
// INVALID_ARGUMENTS for a value the store refuses, else EDIT_USER_FAILED.
func writeEditUserError(w http.ResponseWriter, err error) {
	if errors.Is(err, users.ErrInvalid) {
		writeError(w, 0, errInvalidArgs, err.Error())
	} else {
		writeError(w, 0, errEditUserFailed, err.Error())
	}
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) || !s.adminOnly(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	name := p["username"]
	if name == "" {
		writeError(w, 0, errInvalidArgs, "missing username")
		return
	}
	if name == requester(r).Username {
		// An administrator removing itself would end its own session mid-task;
		// another administrator does it.
		writeError(w, 0, errDeleteUserFailed, "you cannot delete your own account")
		return
	}
	if err := s.users.Delete(name); err != nil {
		if errors.Is(err, users.ErrNotFound) {
			writeError(w, 0, errUserNotExist, "no such user")
		} else {
			writeError(w, 0, errDeleteUserFailed, err.Error())
		}
		return
	}
	s.deps.Logger.Info("user deleted", "user", name, "by", requester(r).Username)
	writeOK(w, map[string]any{})
}

// targetUser reads the username a token or session is asked for: the
// requester's own by default; another user's only for administrators.
func (s *Server) targetUser(w http.ResponseWriter, r *http.Request) (string, params, bool) {
	if !isPost(w, r) {
		return "", nil, false
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return "", nil, false
	}
	me := requester(r)
	name := p["username"]
	if name == "" {
		name = me.Username
	}
	if name != me.Username && !me.IsAdmin() {
		s.counters.notGranted.Add(1)
		writeError(w, 0, errNotGranted, "only your own")
		return "", nil, false
	}
	if _, ok := s.users.Get(name); !ok {
		writeError(w, 0, errInvalidArgs, "no such user")
		return "", nil, false
	}
	return name, p, true
}

// createAPIToken gives a user a new API token (the previous one stops
// working) and answers it: to the user itself, or to the administrator
// who asked for it on the user's behalf, as ntopng does.
func (s *Server) createAPIToken(w http.ResponseWriter, r *http.Request) {
	name, _, ok := s.targetUser(w, r)
	if !ok {
		return
	}
	tok, err := s.users.CreateAPIToken(name)
	if err != nil {
		writeError(w, 0, errInternal, "cannot create the token")
		return
	}
	s.deps.Logger.Info("API token created", "user", name, "by", requester(r).Username)
	writeOK(w, map[string]any{"api_token": tok})
}

// createSession opens a session for a user (for `--cookie session=...`
// clients). auth_session_duration is in seconds; 0 or missing is the
// configured session duration (ntopng documents 0 as "no expiration":
// flowgate keeps every session bounded).
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	name, p, ok := s.targetUser(w, r)
	if !ok {
		return
	}
	d := s.cfg.SessionDuration
	if v := p["auth_session_duration"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || time.Duration(n)*time.Second > maxSessionDuration {
			writeError(w, 0, errInvalidArgs, "bad auth_session_duration")
			return
		}
		if n > 0 {
			d = time.Duration(n) * time.Second
		}
	}
	ss, err := s.sess.create(name, d, "")
	if err != nil {
		writeError(w, 0, errInternal, "cannot create the session")
		return
	}
	writeOK(w, map[string]any{"session": ss.id, "csrf": ss.csrf})
}
