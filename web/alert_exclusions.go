package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	"flowgate/alerts"
	"flowgate/lua/api"
)

// maxExclusions bounds the (entity, alert, host) entries the REST may
// write: the document is read whole at every reload.
const maxExclusions = 4096

// exclusionREST serves Pro's alert exclusion REST over ntopng's document
// in the cache store (alerts.ExclusionsKey, docs/alert-exclusions.md).
// Every write rewrites the document and re-applies it to the alert store,
// so the next alert is already excluded. mu orders read-modify-writes.
type exclusionREST struct {
	s  *Server
	mu sync.Mutex
}

// exclusionDoc is the document: entity id → alert id → {excluded_hosts:
// {host: {}}, anything else ntopng keeps there, preserved}.
type exclusionDoc map[string]map[string]map[string]json.RawMessage

// exclusionSubdirs are ntopng's subdir (and type of delete/all) values and
// the entity of each.
var exclusionSubdirs = map[string]string{"host": strconv.Itoa(int(alerts.EntityHost)), "flow": strconv.Itoa(int(alerts.EntityFlow))}

func (s *Server) exclusionRoutes() {
	x := &exclusionREST{s: s}
	s.mux.HandleFunc(proV2+"add/alert/exclusion.lua", func(w http.ResponseWriter, r *http.Request) { x.write(w, r, x.add) })
	s.mux.HandleFunc(proV2+"delete/alert/exclusion.lua", func(w http.ResponseWriter, r *http.Request) { x.write(w, r, x.deleteOne) })
	s.mux.HandleFunc(proV2+"delete/all/alert/exclusions.lua", func(w http.ResponseWriter, r *http.Request) { x.write(w, r, x.deleteAll) })
	s.mux.HandleFunc(proV2+"delete/host/alert/exclusions.lua", func(w http.ResponseWriter, r *http.Request) {
		x.write(w, r, func(d exclusionDoc, p params) error { return x.deleteOfHost(d, p, "host") })
	})
	s.mux.HandleFunc(proV2+"delete/flow/alert/exclusions.lua", func(w http.ResponseWriter, r *http.Request) {
		x.write(w, r, func(d exclusionDoc, p params) error { return x.deleteOfHost(d, p, "flow") })
	})
	s.mux.HandleFunc(proV2+"get/alert/exclusion.lua", func(w http.ResponseWriter, r *http.Request) { x.get(w, r, "") })
	s.mux.HandleFunc(proV2+"get/host/alert/exclusions.lua", func(w http.ResponseWriter, r *http.Request) { x.get(w, r, "host") })
	s.mux.HandleFunc(proV2+"get/flow/alert/exclusions.lua", func(w http.ResponseWriter, r *http.Request) { x.get(w, r, "flow") })
}

// exclusionAddr is alert_addr (or host) normalised as the document keeps
// it: an address (a valid @vlan suffix dropped, as the match ignores it)
// or a network. A bad one is invalid_host.
func exclusionAddr(name, v string) (string, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return "", &restFail{errInvalidHost, fmt.Sprintf("bad %s %q: an IP address or a network in CIDR form", name, v)}
		}
		p = p.Masked()
		if p.Bits() == p.Addr().BitLen() {
			return p.Addr().Unmap().String(), nil
		}
		return p.String(), nil
	}
	a, _, err := parseHost(params{"host": v})
	if err != nil {
		return "", &restFail{errInvalidHost, fmt.Sprintf("bad %s %q: an IP address or a network in CIDR form", name, v)}
	}
	return a.String(), nil
}

// exclusionTarget reads type, subdir, alert_addr and <subdir>_alert_key.
func exclusionTarget(p params) (entity, addr string, key int, err error) {
	switch t := p["type"]; t {
	case "host":
	case "":
		return "", "", 0, fmt.Errorf("missing type")
	default:
		return "", "", 0, fmt.Errorf("type %q: flowgate excludes by host only", t)
	}
	entity, ok := exclusionSubdirs[p["subdir"]]
	if !ok {
		return "", "", 0, fmt.Errorf("bad subdir %q: host or flow", p["subdir"])
	}
	if addr, err = exclusionAddr("alert_addr", p["alert_addr"]); err != nil {
		return "", "", 0, err
	}
	name := p["subdir"] + "_alert_key"
	key, err = strconv.Atoi(p[name])
	if err != nil || key < 0 {
		return "", "", 0, fmt.Errorf("bad %s %q", name, p[name])
	}
	return entity, addr, key, nil
}

// write runs one change under the lock: admin only, POST, the document
// read, changed by op, checked,
// written back and applied to the alert store.
func (x *exclusionREST) write(w http.ResponseWriter, r *http.Request, op func(exclusionDoc, params) error) {
	s := x.s
	if !s.adminOnly(w, r) || !isPost(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	doc, err := x.load()
	if err != nil {
		s.deps.Logger.Warn("alert exclusions: cannot read the document", "err", err)
		writeError(w, 0, errInternal, "the stored alert exclusions cannot be read")
		return
	}
	if err := op(doc, p); err != nil {
		var f *restFail
		if errors.As(err, &f) {
			writeError(w, 0, f.code, f.human)
		} else {
			writeError(w, 0, errInvalidArgs, err.Error())
		}
		return
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		writeError(w, 0, errInternal, "alert exclusions: "+err.Error())
		return
	}
	ex, err := alerts.ParseExclusions(raw) // the check a reload makes, before anything is written
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if ex.Len() > maxExclusions {
		writeError(w, 0, errInvalidArgs, fmt.Sprintf("more than %d alert exclusions", maxExclusions))
		return
	}
	if err := s.kvStore().Set(alerts.ExclusionsKey, string(raw), 0); err != nil {
		s.deps.Logger.Warn("alert exclusions: cannot write the document", "err", err)
		writeError(w, 0, errInternal, "the alert exclusions cannot be stored")
		return
	}
	if s.deps.Alerts != nil {
		if _, err := api.ReloadAlertExclusions(api.NewCacheOn(s.kvStore()), s.deps.Alerts); err != nil {
			writeError(w, 0, errInternal, err.Error())
			return
		}
	}
	writeOK(w, map[string]any{"num_exclusions": ex.Len()})
}

func (x *exclusionREST) load() (exclusionDoc, error) {
	doc := exclusionDoc{}
	raw, ok, err := x.s.kvStore().Get(alerts.ExclusionsKey)
	if err != nil || !ok || strings.TrimSpace(raw) == "" {
		return doc, err
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", alerts.ExclusionsKey, err)
	}
	return doc, nil
}

// hosts returns the excluded_hosts of one (entity, alert) entry.
func (d exclusionDoc) hosts(entity, alert string) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if raw, ok := d[entity][alert]["excluded_hosts"]; ok {
		_ = json.Unmarshal(raw, &m) // a malformed entry is refused by the parse check
	}
	return m
}

func (d exclusionDoc) setHosts(entity, alert string, m map[string]json.RawMessage) {
	if len(m) == 0 {
		delete(d[entity], alert)
		if len(d[entity]) == 0 {
			delete(d, entity)
		}
		return
	}
	raw, _ := json.Marshal(m)
	if d[entity] == nil {
		d[entity] = map[string]map[string]json.RawMessage{}
	}
	if d[entity][alert] == nil {
		d[entity][alert] = map[string]json.RawMessage{}
	}
	d[entity][alert]["excluded_hosts"] = raw
}

// add serves add/alert/exclusion.lua. delete_alerts is accepted and
// checked, but alerts already in the history are kept.
func (x *exclusionREST) add(d exclusionDoc, p params) error {
	entity, addr, key, err := exclusionTarget(p)
	if err != nil {
		return err
	}
	if v := p["delete_alerts"]; v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("bad delete_alerts %q", v)
		}
	}
	m := d.hosts(entity, strconv.Itoa(key))
	m[addr] = json.RawMessage("{}")
	d.setHosts(entity, strconv.Itoa(key), m)
	return nil
}

// deleteOne serves delete/alert/exclusion.lua: the exclusion must exist.
func (x *exclusionREST) deleteOne(d exclusionDoc, p params) error {
	entity, addr, key, err := exclusionTarget(p)
	if err != nil {
		return err
	}
	m := d.hosts(entity, strconv.Itoa(key))
	if _, ok := m[addr]; !ok {
		return fmt.Errorf("no %s alert %d exclusion for %s", p["subdir"], key, addr)
	}
	delete(m, addr)
	d.setHosts(entity, strconv.Itoa(key), m)
	return nil
}

// deleteAll serves delete/all/alert/exclusions.lua: every exclusion of
// type (host or flow), or only those of host.
func (x *exclusionREST) deleteAll(d exclusionDoc, p params) error {
	addr := ""
	if p["host"] != "" {
		var err error
		if addr, err = exclusionAddr("host", p["host"]); err != nil {
			return err
		}
	}
	entity, ok := exclusionSubdirs[p["type"]]
	if !ok {
		return fmt.Errorf("bad type %q: host or flow", p["type"])
	}
	if addr == "" {
		delete(d, entity)
		return nil
	}
	removeHost(d, entity, addr, -1)
	return nil
}

// deleteOfHost serves delete/<subdir>/alert/exclusions.lua: the
// exclusions of alert_addr, or only that of alert_key.
func (x *exclusionREST) deleteOfHost(d exclusionDoc, p params, subdir string) error {
	addr, err := exclusionAddr("alert_addr", p["alert_addr"])
	if err != nil {
		return err
	}
	key := -1
	if v := p["alert_key"]; v != "" {
		if key, err = strconv.Atoi(v); err != nil || key < 0 {
			return fmt.Errorf("bad alert_key %q", v)
		}
	}
	removeHost(d, exclusionSubdirs[subdir], addr, key)
	return nil
}

// removeHost drops addr from the entity's exclusions (of alert key only
// when key >= 0).
func removeHost(d exclusionDoc, entity, addr string, key int) {
	for alert := range d[entity] {
		if key >= 0 && alert != strconv.Itoa(key) {
			continue
		}
		m := d.hosts(entity, alert)
		delete(m, addr)
		d.setHosts(entity, alert, m)
	}
}

// get serves get/alert/exclusion.lua?type=host (every exclusion) and,
// with only set, get/<subdir>/alert/exclusions.lua?host=H (those of one
// host or network): one row per excluded (host, alert), sorted.
func (x *exclusionREST) get(w http.ResponseWriter, r *http.Request, only string) {
	s := x.s
	if !s.adminOnly(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	addr := ""
	if only != "" {
		if addr, err = exclusionAddr("host", p["host"]); err != nil {
			var f *restFail
			errors.As(err, &f)
			writeError(w, 0, f.code, f.human)
			return
		}
	} else if p["type"] != "host" {
		writeError(w, 0, errInvalidArgs, fmt.Sprintf("type %q: flowgate excludes by host only", p["type"]))
		return
	}
	x.mu.Lock()
	doc, err := x.load()
	x.mu.Unlock()
	if err != nil {
		s.deps.Logger.Warn("alert exclusions: cannot read the document", "err", err)
		writeError(w, 0, errInternal, "the stored alert exclusions cannot be read")
		return
	}
	rows := []map[string]any{}
	for subdir, entity := range exclusionSubdirs {
		if only != "" && subdir != only {
			continue
		}
		for alert := range doc[entity] {
			id, err := strconv.Atoi(alert)
			if err != nil {
				continue
			}
			t, _ := alerts.TypeByID(id)
			for h := range doc.hosts(entity, alert) {
				if addr != "" && h != addr {
					continue
				}
				rows = append(rows, map[string]any{"type": "host", "subdir": subdir, "alert_addr": h,
					"alert_key": id, "alert_name": t.Key, "title": t.Title})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a["subdir"] != b["subdir"] {
			return a["subdir"].(string) < b["subdir"].(string)
		}
		if a["alert_addr"] != b["alert_addr"] {
			return a["alert_addr"].(string) < b["alert_addr"].(string)
		}
		return a["alert_key"].(int) < b["alert_key"].(int)
	})
	writeOK(w, rows)
}
