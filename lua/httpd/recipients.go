package httpd

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"flowgate/engine/recipients"
)

// HandleRecipients registers the recipient REST endpoints over m:
// list (with per-recipient statistics), add (a recipient URL, saved in the
// data dir), delete, and test (a sample notification sent at once).
func (s *Server) HandleRecipients(m *recipients.Manager) {
	s.mux.HandleFunc("/lua/rest/v2/get/recipient/list.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, m.Stats())
	})
	s.mux.HandleFunc("/lua/rest/v2/get/recipient/stats.lua", func(w http.ResponseWriter, r *http.Request) {
		name := recipientParam(r, "recipient_name")
		st, ok := m.Get(name)
		if !ok {
			writeError(w, 0, errNotFound, "no recipient "+name)
			return
		}
		writeOK(w, st)
	})
	s.mux.HandleFunc("/lua/rest/v2/add/recipient.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		u := recipientParam(r, "url")
		if u == "" {
			writeError(w, 0, errInvalidArgs, "url is required, e.g. syslog+tcp://siem:514?format=cef")
			return
		}
		st, err := m.Add(u)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, st)
	})
	s.mux.HandleFunc("/lua/rest/v2/delete/recipient.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if err := m.Remove(recipientParam(r, "recipient_name")); err != nil {
			writeError(w, 0, errNotFound, err.Error())
			return
		}
		writeOK(w, map[string]any{})
	})
	s.mux.HandleFunc("/lua/rest/v2/test/recipient.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		name := recipientParam(r, "recipient_name")
		if _, ok := m.Get(name); !ok {
			writeError(w, 0, errNotFound, "no recipient "+name)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		if err := m.Test(ctx, name); err != nil {
			writeOK(w, map[string]any{"success": false, "message": err.Error()})
			return
		}
		writeOK(w, map[string]any{"success": true, "message": "sample notification delivered"})
	})
}

func isPost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, errInvalidArgs, "use POST")
		return false
	}
	return true
}

// recipientParam reads a form value or a field of a JSON body.
func recipientParam(r *http.Request, key string) string {
	if r.Header.Get("Content-Type") == "application/json" && r.Body != nil {
		var body map[string]any
		if json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(&body) == nil {
			r.Body = http.NoBody
			if r.Form == nil {
				_ = r.ParseForm()
			}
			for k, v := range body {
				if s, ok := v.(string); ok {
					r.Form.Set(k, s)
				}
			}
		}
	}
	return r.FormValue(key)
}
