package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts/recipients"
)

// HandleRecipients registers the recipient REST endpoints over m:
// list (with per-recipient statistics), add (a recipient URL, or a name,
// an endpoint_conf_name and filters, saved in the data dir), edit, delete,
// and test (a sample notification sent at once); and ntopng's separate
// endpoint configurations: list, get, add, edit, delete, test.
func (s *Server) HandleRecipients(m *recipients.Manager) {
	s.HandleConfigModule("notifications", recipientsModule(m)) // rest_config.go
	s.handleEndpoints(m)
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
		var st recipients.Stats
		var err error
		switch {
		case u != "":
			st, err = m.Add(u)
		case r.FormValue("endpoint_conf_name") != "":
			st, err = m.AddRecipient(recipientConfig(r))
		default:
			writeError(w, 0, errInvalidArgs, "url, or recipient_name and endpoint_conf_name, is required, e.g. url=syslog+tcp://siem:514?format=cef")
			return
		}
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
	s.mux.HandleFunc("/lua/rest/v2/edit/recipient.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		rc := recipientConfig(r)
		if _, ok := m.Get(rc.Name); !ok {
			writeError(w, 0, errNotFound, "no recipient "+rc.Name)
			return
		}
		st, err := m.EditRecipient(rc)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, st)
	})
	s.mux.HandleFunc("/lua/rest/v2/delete/recipients.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if err := m.ResetRecipients(); err != nil {
			writeError(w, http.StatusInternalServerError, errInvalidArgs, err.Error())
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
		writeTest(w, r, func(ctx context.Context) error { return m.Test(ctx, name) })
	})
}

// writeTest runs a test send with a bounded wait and reports its result.
func writeTest(w http.ResponseWriter, r *http.Request, send func(context.Context) error) {
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if err := send(ctx); err != nil {
		writeOK(w, map[string]any{"success": false, "message": err.Error()})
		return
	}
	writeOK(w, map[string]any{"success": true, "message": "sample notification delivered"})
}

// ntopng's recipient form names for the filters, and ours.
var recipientAliases = map[string]string{
	"recipient_minimum_severity": "min_severity",
	"recipient_check_categories": "categories",
	"recipient_check_entities":   "entities",
}

// recipientConfig reads a recipient of a named endpoint from the form:
// recipient_name, endpoint_conf_name and the filter and queue keys.
func recipientConfig(r *http.Request) recipients.RecipientConfig {
	rc := recipients.RecipientConfig{Name: recipientParam(r, "recipient_name"),
		Endpoint: r.FormValue("endpoint_conf_name"), Params: map[string]string{}}
	for k, v := range r.Form {
		switch k {
		case "recipient_name", "endpoint_conf_name", "csrf":
			continue
		}
		if a, ok := recipientAliases[k]; ok {
			k = a
		}
		rc.Params[k] = strings.Join(v, ",")
	}
	return rc
}

// endpointConfig reads an endpoint from the form: endpoint_conf_name,
// endpoint_conf_type and the connection keys.
func endpointConfig(r *http.Request) recipients.EndpointConfig {
	c := recipients.EndpointConfig{Name: recipientParam(r, "endpoint_conf_name"),
		Type: r.FormValue("endpoint_conf_type"), Params: map[string]string{}}
	for k, v := range r.Form {
		switch k {
		case "endpoint_conf_name", "endpoint_conf_type", "csrf":
			continue
		}
		c.Params[k] = strings.Join(v, ",")
	}
	return c
}

// handleEndpoints registers the named endpoint configurations.
func (s *Server) handleEndpoints(m *recipients.Manager) {
	s.mux.HandleFunc("/lua/rest/v2/get/endpoint/list.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, m.Endpoints())
	})
	s.mux.HandleFunc("/lua/rest/v2/get/endpoint/config.lua", func(w http.ResponseWriter, r *http.Request) {
		name := recipientParam(r, "endpoint_conf_name")
		e, ok := m.Endpoint(name)
		if !ok {
			writeError(w, 0, errNotFound, "no endpoint "+name)
			return
		}
		writeOK(w, e)
	})
	s.mux.HandleFunc("/lua/rest/v2/add/endpoint.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		e, err := m.AddEndpoint(endpointConfig(r))
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, e)
	})
	s.mux.HandleFunc("/lua/rest/v2/edit/endpoint.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		c := endpointConfig(r)
		if _, ok := m.Endpoint(c.Name); !ok {
			writeError(w, 0, errNotFound, "no endpoint "+c.Name)
			return
		}
		e, err := m.EditEndpoint(c)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, e)
	})
	s.mux.HandleFunc("/lua/rest/v2/delete/endpoint.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		name := recipientParam(r, "endpoint_conf_name")
		if _, ok := m.Endpoint(name); !ok {
			writeError(w, 0, errNotFound, "no endpoint "+name)
			return
		}
		if err := m.RemoveEndpoint(name); err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, map[string]any{})
	})
	s.mux.HandleFunc("/lua/rest/v2/delete/endpoints.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if err := m.ResetEndpoints(); err != nil {
			writeError(w, http.StatusInternalServerError, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, map[string]any{})
	})
	s.mux.HandleFunc("/lua/rest/v2/test/endpoint.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		name := recipientParam(r, "endpoint_conf_name")
		if _, ok := m.Endpoint(name); !ok {
			writeError(w, 0, errNotFound, "no endpoint "+name)
			return
		}
		writeTest(w, r, func(ctx context.Context) error { return m.TestEndpoint(ctx, name) })
	})
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
				if s, ok := formString(v); ok {
					r.Form.Set(k, s)
				}
			}
		}
	}
	return r.FormValue(key)
}

// formString flattens a JSON value to a form value: strings, numbers,
// booleans and lists of them (joined with ',').
func formString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := formString(e)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}
