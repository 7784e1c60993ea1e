package web

import (
	"encoding/json"
	"net/http"
)

// restError is one of ntopng's REST return codes (rest_utils.consts.err).
type restError struct {
	rc   int
	str  string
	http int
}

var (
	errNotFound         = restError{-1, "NOT_FOUND", http.StatusNotFound}
	errInvalidInterface = restError{-2, "INVALID_INTERFACE", http.StatusBadRequest}
	errNotGranted       = restError{-3, "NOT_GRANTED", http.StatusUnauthorized}
	errInvalidHost      = restError{-4, "INVALID_HOST", http.StatusBadRequest}
	errInvalidArgs      = restError{-5, "INVALID_ARGUMENTS", http.StatusBadRequest}
	errInternal         = restError{-6, "INTERNAL_ERROR", http.StatusInternalServerError}
	errBadContent       = restError{-8, "BAD_CONTENT", http.StatusBadRequest}
	// The user errors of ntopng's rest_utils answer 409 Conflict.
	errPasswordMismatch = restError{-19, "PASSWORD_MISMATCH", http.StatusConflict}
	errAddUserFailed    = restError{-20, "ADD_USER_FAILED", http.StatusConflict}
	errDeleteUserFailed = restError{-21, "DELETE_USER_FAILED", http.StatusConflict}
	errUserNotExist     = restError{-23, "USER_DOES_NOT_EXIST", http.StatusConflict}
	errEditUserFailed   = restError{-24, "EDIT_USER_FAILED", http.StatusConflict}
)

// envelope is ntopng's v2 answer: {rc, rc_str, rc_str_hr, rsp}.
type envelope struct {
	RC      int    `json:"rc"`
	RCStr   string `json:"rc_str"`
	RCStrHR string `json:"rc_str_hr"`
	Rsp     any    `json:"rsp"`
}

func writeOK(w http.ResponseWriter, rsp any) {
	writeJSON(w, http.StatusOK, envelope{RC: 0, RCStr: "OK", RCStrHR: "Success", Rsp: rsp})
}

func writeError(w http.ResponseWriter, code int, e restError, human string) {
	if code == 0 {
		code = e.http
	}
	writeJSON(w, code, envelope{RC: e.rc, RCStr: e.str, RCStrHR: human, Rsp: map[string]any{}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
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
