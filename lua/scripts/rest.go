package scripts

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// REST paths (ntopng v2 style, {rc, rc_str, rc_str_hr, rsp} envelope).
const (
	PathGetConfig  = "/lua/rest/v2/get/user_script/config.lua"
	PathEditConfig = "/lua/rest/v2/edit/user_script/config.lua"
	PathEnable     = "/lua/rest/v2/enable/user_script.lua"
	PathDisable    = "/lua/rest/v2/disable/user_script.lua"
	PathStats      = "/lua/rest/v2/get/user_script/stats.lua"
	// 5.x names of the same operations.
	PathEnableCheck  = "/lua/rest/v2/enable/check.lua"
	PathDisableCheck = "/lua/rest/v2/disable/check.lua"
)

type envelope struct {
	RC      int    `json:"rc"`
	RCStr   string `json:"rc_str"`
	RCStrHR string `json:"rc_str_hr"`
	Rsp     any    `json:"rsp"`
}

func answer(w http.ResponseWriter, code, rc int, rcStr, hr string, rsp any) {
	if rsp == nil {
		rsp = map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(envelope{RC: rc, RCStr: rcStr, RCStrHR: hr, Rsp: rsp})
}

func ok(w http.ResponseWriter, rsp any) { answer(w, http.StatusOK, 0, "OK", "Success", rsp) }
func invalid(w http.ResponseWriter, why string) {
	answer(w, http.StatusBadRequest, -5, "INVALID_ARGUMENTS", why, nil)
}
func notFound(w http.ResponseWriter, why string) {
	answer(w, http.StatusNotFound, -1, "NOT_FOUND", why, nil)
}

// Handler serves the user-script REST paths. Authentication is the
// caller's (web wraps it).
func (r *Runtime) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(PathGetConfig, r.getConfig)
	mux.HandleFunc(PathEditConfig, r.editConfig)
	mux.HandleFunc(PathEnable, func(w http.ResponseWriter, q *http.Request) { r.toggle(w, q, true) })
	mux.HandleFunc(PathDisable, func(w http.ResponseWriter, q *http.Request) { r.toggle(w, q, false) })
	mux.HandleFunc(PathEnableCheck, func(w http.ResponseWriter, q *http.Request) { r.toggle(w, q, true) })
	mux.HandleFunc(PathDisableCheck, func(w http.ResponseWriter, q *http.Request) { r.toggle(w, q, false) })
	mux.HandleFunc(PathStats, func(w http.ResponseWriter, q *http.Request) {
		ok(w, map[string]any{"scripts": r.Stats(), "periodic": r.Periodic()})
	})
	return mux
}

// editBody is the POST body; fields may also come as form or query values.
type editBody struct {
	Subdir     string         `json:"script_subdir"`
	CheckSub   string         `json:"check_subdir"`
	Key        string         `json:"script_key"`
	Hook       string         `json:"hook"`
	Enabled    *bool          `json:"enabled"`
	ScriptConf map[string]any `json:"script_conf"`
}

func readBody(q *http.Request) (editBody, error) {
	var b editBody
	if q.Method != http.MethodPost {
		return b, errors.New("use POST")
	}
	raw, err := io.ReadAll(io.LimitReader(q.Body, 1<<20))
	if err != nil {
		return b, err
	}
	if s := strings.TrimSpace(string(raw)); strings.HasPrefix(s, "{") {
		if err := json.Unmarshal(raw, &b); err != nil {
			return b, errors.New("invalid JSON body: " + err.Error())
		}
	} else {
		// Form or query (ntopng also accepts a JSON document in "JSON").
		q.Body = io.NopCloser(strings.NewReader(string(raw)))
		_ = q.ParseForm()
		if j := q.Form.Get("JSON"); j != "" {
			if err := json.Unmarshal([]byte(j), &b); err != nil {
				return b, errors.New("invalid JSON parameter: " + err.Error())
			}
		}
		for dst, k := range map[*string]string{&b.Subdir: "script_subdir", &b.CheckSub: "check_subdir", &b.Key: "script_key", &b.Hook: "hook"} {
			if v := q.Form.Get(k); v != "" {
				*dst = v
			}
		}
		if v := q.Form.Get("enabled"); v != "" {
			e := v == "true" || v == "1"
			b.Enabled = &e
		}
	}
	if b.Subdir == "" {
		b.Subdir = b.CheckSub
	}
	return b, nil
}

func (r *Runtime) getConfig(w http.ResponseWriter, q *http.Request) {
	sub, key := q.FormValue("script_subdir"), q.FormValue("script_key")
	if sub == "" {
		sub = q.FormValue("check_subdir")
	}
	if sub != "" && !isKind(sub) {
		invalid(w, "unknown script_subdir "+sub)
		return
	}
	if key == "" {
		ok(w, r.conf.list(sub))
		return
	}
	if sub == "" {
		invalid(w, "script_key needs script_subdir")
		return
	}
	v := r.conf.view(sub, key)
	if v == nil {
		notFound(w, "no "+sub+" script "+key)
		return
	}
	ok(w, v)
}

func (r *Runtime) editConfig(w http.ResponseWriter, q *http.Request) {
	b, err := readBody(q)
	if err != nil {
		invalid(w, err.Error())
		return
	}
	if b.Enabled == nil && b.ScriptConf == nil {
		invalid(w, "nothing to change: give enabled and/or script_conf")
		return
	}
	r.apply(w, b)
}

func (r *Runtime) toggle(w http.ResponseWriter, q *http.Request, on bool) {
	b, err := readBody(q)
	if err != nil {
		invalid(w, err.Error())
		return
	}
	b.Enabled, b.ScriptConf = &on, nil
	r.apply(w, b)
}

func (r *Runtime) apply(w http.ResponseWriter, b editBody) {
	if b.Subdir == "" || b.Key == "" {
		invalid(w, "script_subdir and script_key are required")
		return
	}
	if !isKind(b.Subdir) {
		invalid(w, "unknown script_subdir "+b.Subdir)
		return
	}
	switch err := r.conf.set(b.Subdir, b.Key, b.Hook, b.Enabled, b.ScriptConf); {
	case errors.Is(err, errNotFound):
		notFound(w, "no "+b.Subdir+" script "+b.Key)
		return
	case errors.Is(err, errBadHook):
		invalid(w, "script "+b.Key+" has no hook "+b.Hook)
		return
	case errors.Is(err, errBadConf):
		invalid(w, b.Subdir+"/"+b.Key+": "+err.Error())
		return
	case err != nil:
		answer(w, http.StatusInternalServerError, -6, "INTERNAL_ERROR", err.Error(), nil)
		return
	}
	r.log.Info("user script configuration changed", "script", b.Subdir+"/"+b.Key)
	ok(w, r.conf.view(b.Subdir, b.Key))
}
