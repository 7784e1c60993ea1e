package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"flowgate/lua/modules"
)

// restError is one of ntopng's REST return codes (rest_utils.consts.err).
type restError struct {
	rc   int
	str  string
	http int
}

// restCode is the code of rest_utils.consts.err.<name> from the one table
// (modules.RESTCodes) the Lua rest_utils module is built from too.
func restCode(name string) restError {
	c := modules.RESTCodeByName(name)
	return restError{c.RC, c.Str, c.HTTP}
}

var (
	errNotFound         = restCode("not_found")
	errInvalidInterface = restCode("invalid_interface")
	errNotGranted       = restCode("not_granted")
	errInvalidHost      = restCode("invalid_host")
	errInvalidArgs      = restCode("invalid_args")
	errInternal         = restCode("internal_error")
	errBadFormat        = restCode("bad_format")
	errBadContent       = restCode("bad_content")
	errPasswordMismatch = restCode("password_mismatch")
	errAddUserFailed    = restCode("add_user_failed")
	errDeleteUserFailed = restCode("delete_user_failed")
	errUserNotExist     = restCode("user_does_not_exist")
	errEditUserFailed   = restCode("edit_user_failed")
)

// envelope is ntopng's v2 answer: {rc, rc_str, rc_str_hr, rsp}.
type envelope struct {
	RC      int    `json:"rc"`
	RCStr   string `json:"rc_str"`
	RCStrHR string `json:"rc_str_hr"`
	Rsp     any    `json:"rsp"`
}

var restOK = modules.RESTCodeByName("ok")

func writeOK(w http.ResponseWriter, rsp any) {
	writeJSON(w, restOK.HTTP, envelope{RC: restOK.RC, RCStr: restOK.Str, RCStrHR: restOK.Human, Rsp: rsp})
}

func writeError(w http.ResponseWriter, code int, e restError, human string) {
	if code == 0 {
		code = e.http
	}
	writeJSON(w, code, envelope{RC: e.rc, RCStr: e.str, RCStrHR: human, Rsp: map[string]any{}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("Server-Timing") != "" {
		// A timed read (rest_timing.go): encode first so that the header
		// can carry the encoding time too.
		t0 := time.Now()
		var buf bytes.Buffer
		_ = json.NewEncoder(&buf).Encode(v)
		addServerTiming(w, "json", time.Since(t0))
		w.WriteHeader(code)
		_, _ = w.Write(buf.Bytes())
		return
	}
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// isPost answers 405 unless the request is a POST, as ntopng's write
// endpoints require.
func isPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, errInvalidArgs, "use POST")
		return false
	}
	return true
}
