package web

import (
	"context"
	"encoding/json"
	"errors"
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
	s.notifyRoutes(notifyKind{
		kind: "endpoint", nameKey: "endpoint_conf_name", getPath: "config.lua",
		list:   func() any { return m.Endpoints() },
		get:    func(name string) (any, bool) { return m.Endpoint(name) },
		add:    func(r *http.Request) (any, error) { return m.AddEndpoint(endpointConfig(r)) },
		edit:   func(r *http.Request) (any, error) { return m.EditEndpoint(endpointConfig(r)) },
		remove: m.RemoveEndpoint, reset: m.ResetEndpoints, test: m.TestEndpoint,
	})
	s.notifyRoutes(notifyKind{
		kind: "recipient", nameKey: "recipient_name", getPath: "stats.lua",
		list: func() any { return m.Stats() },
		get:  func(name string) (any, bool) { return m.Get(name) },
		add: func(r *http.Request) (any, error) {
			// A recipient URL (flowgate's one-step form), or ntopng's
			// recipient of a named endpoint.
			if u := recipientParam(r, "url"); u != "" {
				return m.Add(u)
			}
			if r.FormValue("endpoint_conf_name") == "" {
				return nil, errMissingRecipient
			}
			return m.AddRecipient(recipientConfig(r))
		},
		edit:   func(r *http.Request) (any, error) { return m.EditRecipient(recipientConfig(r)) },
		remove: m.Remove, reset: m.ResetRecipients, test: m.Test,
	})
}

var errMissingRecipient = errors.New("url, or recipient_name and endpoint_conf_name, is required, e.g. url=syslog+tcp://siem:514?format=cef")

// notifyKind is one kind of named notification object, endpoint or
// recipient: ntopng serves both with the same seven endpoints.
type notifyKind struct {
	kind, nameKey, getPath string
	list                   func() any
	get                    func(name string) (any, bool)
	add, edit              func(r *http.Request) (any, error)
	remove                 func(name string) error
	reset                  func() error
	test                   func(ctx context.Context, name string) error
}

// notifyRoutes registers get/<kind>/list.lua, get/<kind>/<getPath>,
// add|edit|delete|test/<kind>.lua and delete/<kind>s.lua.
func (s *Server) notifyRoutes(k notifyKind) {
	const v2 = "/lua/rest/v2/"
	// named answers NOT_FOUND unless the request names an existing object.
	named := func(w http.ResponseWriter, r *http.Request) (string, bool) {
		name := recipientParam(r, k.nameKey)
		if _, ok := k.get(name); !ok {
			writeError(w, 0, errNotFound, "no "+k.kind+" "+strconv.Quote(name))
			return "", false
		}
		return name, true
	}
	write := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		writeOK(w, v)
	}
	s.mux.HandleFunc(v2+"get/"+k.kind+"/list.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, k.list())
	})
	s.mux.HandleFunc(v2+"get/"+k.kind+"/"+k.getPath, func(w http.ResponseWriter, r *http.Request) {
		if name, ok := named(w, r); ok {
			v, _ := k.get(name)
			writeOK(w, v)
		}
	})
	s.mux.HandleFunc(v2+"add/"+k.kind+".lua", func(w http.ResponseWriter, r *http.Request) {
		if isPost(w, r) {
			v, err := k.add(r)
			write(w, v, err)
		}
	})
	s.mux.HandleFunc(v2+"edit/"+k.kind+".lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if _, ok := named(w, r); ok {
			v, err := k.edit(r)
			write(w, v, err)
		}
	})
	s.mux.HandleFunc(v2+"delete/"+k.kind+".lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if name, ok := named(w, r); ok {
			write(w, map[string]any{}, k.remove(name))
		}
	})
	s.mux.HandleFunc(v2+"delete/"+k.kind+"s.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if err := k.reset(); err != nil {
			s.deps.Logger.Error("reset "+k.kind+"s", "err", err)
			writeError(w, 0, errInternal, "cannot reset the "+k.kind+"s")
			return
		}
		writeOK(w, map[string]any{})
	})
	s.mux.HandleFunc(v2+"test/"+k.kind+".lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		if name, ok := named(w, r); ok {
			writeTest(w, r, func(ctx context.Context) error { return k.test(ctx, name) })
		}
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
