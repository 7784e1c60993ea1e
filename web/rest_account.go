package web

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// accountRoutes are flowgate's own-account endpoints behind the UI's
// preferences page (ntopng has no REST for them: its pages do it in Lua).
// Every user reaches its own account only; an API token is
// create/ntopng/api_token.lua (users_rest.go).
//
//	GET  /lua/rest/v2/get/flowgate/account.lua   the requester as users.lua shows users
//	POST /lua/rest/v2/create/flowgate/totp.lua   a new TOTP secret (off until confirmed): {secret, uri, qr_svg}
//	POST /lua/rest/v2/edit/flowgate/totp.lua     enabled=true|false&code=NNNNNN: a current code turns it on or off
//	POST /lua/rest/v2/edit/flowgate/account.lua  old_password, new_password, confirm_password and/or language
func (s *Server) accountRoutes() {
	for path, h := range map[string]http.HandlerFunc{
		"/lua/rest/v2/get/flowgate/account.lua":  s.getAccount,
		"/lua/rest/v2/create/flowgate/totp.lua":  s.createTOTP,
		"/lua/rest/v2/edit/flowgate/totp.lua":    s.editTOTP,
		"/lua/rest/v2/edit/flowgate/account.lua": s.editAccount, // rest_account_edit.go
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

// accountUser is the requester as a stored user; the no-login
// administrator (--disable-login) has no account to change.
func (s *Server) accountUser(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := requester(r).Username
	if _, ok := s.users.Get(name); !ok {
		writeError(w, 0, errUserNotExist, "no stored account for "+name)
		return "", false
	}
	return name, true
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	name, ok := s.accountUser(w, r)
	if !ok {
		return
	}
	u, _ := s.users.Get(name)
	writeOK(w, userJSON(u))
}

// createTOTP gives the requester a new secret. TOTP stays (or turns) off
// until a code from the authenticator app confirms it (editTOTP): a
// half-done enrolment never locks the user out.
func (s *Server) createTOTP(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	name, ok := s.accountUser(w, r)
	if !ok {
		return
	}
	secret, uri, err := s.users.EnrolTOTP(name)
	if err != nil {
		writeError(w, 0, errInternal, "cannot create the TOTP secret")
		return
	}
	svg, err := qrSVG(uri)
	if err != nil {
		writeError(w, 0, errInternal, err.Error())
		return
	}
	s.deps.Logger.Info("TOTP secret created", "user", name)
	writeOK(w, map[string]any{"secret": secret, "uri": uri,
		"qr_svg": "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))})
}

// editTOTP turns TOTP on or off with a current code (a wrong code counts
// as a TOTP failure and changes nothing).
func (s *Server) editTOTP(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) {
		return
	}
	name, ok := s.accountUser(w, r)
	if !ok {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	on, err := boolParam(p, "enabled", false)
	if _, given := p["enabled"]; err != nil || !given {
		writeError(w, 0, errInvalidArgs, "enabled must be true or false")
		return
	}
	if _, has := s.users.TOTPSecret(name); !has {
		writeError(w, 0, errInvalidArgs, "no TOTP secret: create one first")
		return
	}
	if !s.users.ValidateTOTP(name, p["code"]) {
		s.counters.totpFailed.Add(1)
		writeError(w, 0, errInvalidArgs, "wrong or reused authenticator code")
		return
	}
	if err := s.users.SetTOTPEnabled(name, on); err != nil {
		writeError(w, 0, errEditUserFailed, err.Error())
		return
	}
	s.deps.Logger.Info("TOTP changed", "user", name, "enabled", on)
	writeOK(w, map[string]any{"totp_enabled": on})
}

// qrSVG draws text as a QR code (medium error correction) in SVG: one
// path of unit squares, a 4-module quiet zone.
func qrSVG(text string) (string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("QR code: %w", err)
	}
	n := code.Bounds().Dx()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`, n+8, n+8)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
