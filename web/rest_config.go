package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"flowgate/alerts/recipients"
	"flowgate/pools"
	"flowgate/snmp"
	"flowgate/store"
)

// ntopng's import codes.
var (
	errConfigMismatch = restCode("configuration_file_mismatch")
	errPartialImport  = restCode("partial_import")
)

// configEnvelopeVersion is ntopng's IMPORT_EXPORT_JSON_VERSION.
const configEnvelopeVersion = "1.0"

// ConfigModule is one kind of ntopng's configuration backup
// (export|import|reset/<kind>/config.lua, and a part of "all").
type ConfigModule struct {
	Export   func() any
	Validate func(raw json.RawMessage) error // decodes and checks, changes nothing
	Import   func(raw json.RawMessage) error // called after Validate succeeded
	Reset    func() error
}

// configModules is the registry of backup kinds, filled as components
// mount (HandleConfigModule) before the server starts.
type configModules struct {
	mu   sync.Mutex
	mods map[string]ConfigModule
}

func (c *configModules) snapshot() map[string]ConfigModule {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]ConfigModule, len(c.mods))
	for k, v := range c.mods {
		out[k] = v
	}
	return out
}

// maxConfigBackups bounds the automatic backups kept in the data dir.
const maxConfigBackups = 30

// configBackupDir holds the automatic backups, one <epoch>.json each.
const configBackupDir = "config_backups"

// HandleConfigModule adds a kind to the configuration backup:
// export/<name>/config.lua, import/<name>/config.lua, reset/<name>/config.lua
// and its part of export|import|reset/all/config.lua.
func (s *Server) HandleConfigModule(name string, m ConfigModule) {
	s.configMods.mu.Lock()
	if s.configMods.mods == nil {
		s.configMods.mods = map[string]ConfigModule{}
	}
	_, had := s.configMods.mods[name]
	s.configMods.mods[name] = m
	s.configMods.mu.Unlock()
	if had {
		return
	}
	const v2 = "/lua/rest/v2/"
	s.mux.HandleFunc(v2+"export/"+name+"/config.lua", func(w http.ResponseWriter, r *http.Request) { s.exportConfig(w, r, name) })
	s.mux.HandleFunc(v2+"import/"+name+"/config.lua", func(w http.ResponseWriter, r *http.Request) { s.importConfig(w, r, name) })
	s.mux.HandleFunc(v2+"reset/"+name+"/config.lua", func(w http.ResponseWriter, r *http.Request) { s.resetConfig(w, r, name) })
	if name == "checks" {
		// ntopng's checks also have get/set of the bare configuration.
		s.mux.HandleFunc(v2+"get/checks/config.lua", func(w http.ResponseWriter, r *http.Request) { s.getModuleConfig(w, r, name) })
		s.mux.HandleFunc(v2+"set/checks/config.lua", func(w http.ResponseWriter, r *http.Request) { s.setModuleConfig(w, r, name) })
	}
}

// getModuleConfig answers one kind's configuration without the envelope
// (download=true: as a file). It holds no secrets for checks, but is an
// administrator's like the exports.
func (s *Server) getModuleConfig(w http.ResponseWriter, r *http.Request, name string) {
	if !s.backupReader(w, r) {
		return
	}
	conf := s.configMods.snapshot()[name].Export()
	if v := r.URL.Query().Get("download"); v == "true" || v == "1" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`_configuration.json"`)
		writeJSON(w, http.StatusOK, conf)
		return
	}
	writeOK(w, conf)
}

// setModuleConfig replaces one kind's configuration with the JSON form
// field (the bare configuration, or an export's envelope), validated first.
func (s *Server) setModuleConfig(w http.ResponseWriter, r *http.Request, name string) {
	if !isPost(w, r) {
		return
	}
	var doc string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var top map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&top); err != nil {
			writeError(w, 0, errInvalidArgs, "bad JSON body: "+err.Error())
			return
		}
		if json.Unmarshal(top["JSON"], &doc) != nil {
			doc = string(top["JSON"])
		}
	} else if err := r.ParseForm(); err == nil {
		doc = r.PostForm.Get("JSON")
	}
	raw := json.RawMessage(doc)
	var env struct {
		Version string                     `json:"version"`
		Modules map[string]json.RawMessage `json:"modules"`
	}
	if strings.TrimSpace(doc) == "" || !json.Valid(raw) {
		writeError(w, 0, errInvalidArgs, "JSON: the configuration is required")
		return
	}
	if json.Unmarshal(raw, &env) == nil && env.Version != "" && env.Modules[name] != nil {
		raw = env.Modules[name]
	}
	m := s.configMods.snapshot()[name]
	if err := m.Validate(raw); err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	s.autoBackup()
	if err := m.Import(raw); err != nil {
		writeError(w, 0, errInternal, err.Error())
		return
	}
	writeOK(w, map[string]any{})
}

// configRoutes registers "all", the kinds web holds itself (pool,
// categories) and the automatic backups.
func (s *Server) configRoutes() {
	const v2 = "/lua/rest/v2/"
	for _, verb := range []string{"export", "import", "reset"} {
		verb := verb
		s.mux.HandleFunc(v2+verb+"/all/config.lua", func(w http.ResponseWriter, r *http.Request) {
			switch verb {
			case "export":
				s.exportConfig(w, r, "all")
			case "import":
				s.importConfig(w, r, "all")
			default:
				s.resetConfig(w, r, "all")
			}
		})
	}
	s.mux.HandleFunc(v2+"get/system/configurations/list_availabled_backups.lua", s.listConfigBackups)
	s.mux.HandleFunc(v2+"get/system/configurations/download_backup.lua", s.downloadConfigBackup)
	p := s.deps.Pools
	s.HandleConfigModule("pool", JSONModule(
		func() poolBackup { return poolBackup{Host: p.Export()} },
		func(b poolBackup) error { return p.Validate(b.Host) },
		func(b poolBackup) error { return p.Import(b.Host) },
		p.Reset))
	c := s.deps.Categories
	s.HandleConfigModule("categories", JSONModule(c.Export, c.Validate, c.Import, c.Reset))
}

// poolBackup is ntopng's pool module: the pools by instance key.
type poolBackup struct {
	Host []pools.Pool `json:"host"`
}

// JSONModule is a ConfigModule of a configuration of type T: decoded
// strictly (unknown fields refused), validated, imported.
func JSONModule[T any](export func() T, validate, imp func(T) error, reset func() error) ConfigModule {
	return ConfigModule{
		Export: func() any { return export() },
		Validate: func(raw json.RawMessage) error {
			v, err := decodeStrict[T](raw)
			if err != nil {
				return err
			}
			return validate(v)
		},
		Import: func(raw json.RawMessage) error {
			v, err := decodeStrict[T](raw)
			if err != nil {
				return err
			}
			return imp(v)
		},
		Reset: reset,
	}
}

// decodeStrict decodes raw into a T, refusing unknown fields.
func decodeStrict[T any](raw json.RawMessage) (T, error) {
	var v T
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return v, fmt.Errorf("bad configuration: %w", err)
	}
	return v, nil
}

// exportAll is every module's configuration by name.
func (s *Server) exportAll() map[string]any {
	out := map[string]any{}
	for name, m := range s.configMods.snapshot() {
		out[name] = m.Export()
	}
	return out
}

func envelopeOf(kind string, conf any) map[string]any {
	return map[string]any{"version": configEnvelopeVersion, "ntopng_version": Version, "modules": map[string]any{kind: conf}}
}

func (s *Server) exportConfig(w http.ResponseWriter, r *http.Request, kind string) {
	q, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	var conf any
	if kind == "all" {
		conf = s.exportAll()
	} else {
		conf = s.configMods.snapshot()[kind].Export()
	}
	env := envelopeOf(kind, conf)
	if q["download"] == "true" || q["download"] == "1" {
		w.Header().Set("Content-Disposition", `attachment; filename="configuration.json"`)
		writeJSON(w, http.StatusOK, env)
		return
	}
	writeOK(w, env)
}

// importJSON reads ntopng's JSON parameter (a form field or a JSON body's
// string, or the body's object) and the envelope's modules.
func importJSON(r *http.Request) (map[string]json.RawMessage, error) {
	var doc []byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil {
			return nil, fmt.Errorf("bad JSON body: %w", err)
		}
		raw := top["JSON"]
		var str string
		if json.Unmarshal(raw, &str) == nil {
			doc = []byte(str)
		} else if len(raw) > 0 {
			doc = raw
		} else if _, ok := top["modules"]; ok {
			doc = body // the exported file posted as is
		}
	} else if err := r.ParseForm(); err == nil {
		doc = []byte(r.PostForm.Get("JSON"))
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, errors.New("missing JSON")
	}
	var env struct {
		Version string                     `json:"version"`
		Modules map[string]json.RawMessage `json:"modules"`
	}
	if err := json.Unmarshal(doc, &env); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if env.Version != configEnvelopeVersion || env.Modules == nil {
		return nil, errMismatch
	}
	return env.Modules, nil
}

var errMismatch = errors.New("not a configuration export of version " + configEnvelopeVersion)

func (s *Server) importConfig(w http.ResponseWriter, r *http.Request, kind string) {
	if !isPost(w, r) {
		return
	}
	mods, err := importJSON(r)
	if errors.Is(err, errMismatch) {
		writeError(w, 0, errConfigMismatch, err.Error())
		return
	}
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	raw, ok := mods[kind]
	if !ok {
		writeError(w, 0, errConfigMismatch, "the file holds no "+kind+" configuration")
		return
	}
	all := s.configMods.snapshot()
	parts := map[string]json.RawMessage{kind: raw}
	var skipped []string
	if kind == "all" {
		parts = map[string]json.RawMessage{}
		if err := json.Unmarshal(raw, &parts); err != nil {
			writeError(w, 0, errInvalidArgs, "bad all configuration: "+err.Error())
			return
		}
		for name := range parts {
			if _, known := all[name]; !known {
				skipped = append(skipped, name) // ntopng modules flowgate has not (active monitoring, ...)
				delete(parts, name)
			}
		}
	}
	names := make([]string, 0, len(parts))
	for name := range parts {
		names = append(names, name)
	}
	sort.Strings(names)
	// All or nothing: every part validates before any is applied.
	for _, name := range names {
		if err := all[name].Validate(parts[name]); err != nil {
			writeError(w, 0, errInvalidArgs, name+": "+err.Error())
			return
		}
	}
	s.autoBackup()
	var failed []string
	for _, name := range names {
		if err := all[name].Import(parts[name]); err != nil {
			s.deps.Logger.Error("configuration import", "module", name, "err", err)
			failed = append(failed, name+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		writeError(w, 0, errPartialImport, strings.Join(failed, "; "))
		return
	}
	sort.Strings(skipped)
	writeOK(w, map[string]any{"imported": names, "skipped": nonNilStrings(skipped)})
}

func nonNilStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (s *Server) resetConfig(w http.ResponseWriter, r *http.Request, kind string) {
	if !isPost(w, r) {
		return
	}
	all := s.configMods.snapshot()
	names := []string{kind}
	if kind == "all" {
		names = names[:0]
		for n := range all {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	s.autoBackup()
	var failed []string
	for _, n := range names {
		if err := all[n].Reset(); err != nil {
			failed = append(failed, n+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		writeError(w, 0, errInternal, strings.Join(failed, "; "))
		return
	}
	writeOK(w, map[string]any{})
}

// autoBackup keeps the configuration as it is before an import or reset
// (ntopng's automatic backups), the newest maxConfigBackups.
func (s *Server) autoBackup() {
	if s.cfg.DataDir == "" {
		return
	}
	dir := filepath.Join(s.cfg.DataDir, configBackupDir)
	b, err := json.Marshal(envelopeOf("all", s.exportAll()))
	if err == nil {
		err = os.MkdirAll(dir, 0o750)
	}
	if err == nil {
		err = store.WriteFile(filepath.Join(dir, strconv.FormatInt(s.now().UnixNano(), 10)+".json"), b, 0o600)
	}
	if err != nil {
		s.deps.Logger.Error("configuration backup", "err", err)
		return
	}
	l := s.configBackups()
	for len(l) > maxConfigBackups {
		_ = os.Remove(filepath.Join(dir, strconv.FormatInt(l[0], 10)+".json"))
		l = l[1:]
	}
}

// configBackups are the backups' ids (nanoseconds), oldest first.
func (s *Server) configBackups() []int64 {
	if s.cfg.DataDir == "" {
		return nil
	}
	ents, _ := os.ReadDir(filepath.Join(s.cfg.DataDir, configBackupDir))
	var out []int64
	for _, e := range ents {
		if n, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".json"), 10, 64); err == nil && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

func (s *Server) listConfigBackups(w http.ResponseWriter, r *http.Request) {
	if !s.backupReader(w, r) {
		return
	}
	out := []map[string]any{}
	for _, id := range s.configBackups() {
		t := time.Unix(0, id)
		out = append(out, map[string]any{"epoch": t.Unix(), "id": strconv.FormatInt(id, 10), "date": t.UTC().Format(time.RFC3339)})
	}
	writeOK(w, out)
}

func (s *Server) downloadConfigBackup(w http.ResponseWriter, r *http.Request) {
	if !s.backupReader(w, r) {
		return
	}
	q, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	epoch, err := strconv.ParseInt(q["epoch"], 10, 64)
	if err != nil || epoch < 0 {
		writeError(w, 0, errInvalidArgs, "bad or missing epoch")
		return
	}
	// The newest backup taken in that second (or the one with that id).
	var found int64 = -1
	for _, id := range s.configBackups() {
		if id == epoch || time.Unix(0, id).Unix() == epoch {
			found = id
		}
	}
	if found < 0 {
		writeError(w, 0, errNotFound, "no backup at epoch "+q["epoch"])
		return
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, configBackupDir, strconv.FormatInt(found, 10)+".json"))
	if err != nil {
		writeError(w, 0, errInternal, "backup unreadable")
		return
	}
	if q["download"] == "true" || q["download"] == "1" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="configuration.json"`)
		_, _ = w.Write(b)
		return
	}
	writeOK(w, json.RawMessage(b))
}

// recipientsModule is the notifications kind: REST-added endpoints and
// recipients.
func recipientsModule(m *recipients.Manager) ConfigModule {
	return JSONModule(m.ExportBackup, m.ValidateBackup, m.ImportBackup,
		func() error { return errors.Join(m.ResetRecipients(), m.ResetEndpoints()) })
}

// snmpModule is the snmp kind: the devices added at run time.
func snmpModule(p *snmp.Poller) ConfigModule {
	return JSONModule(p.Configs, snmp.ValidateConfigs, p.ReplaceConfigs, func() error { return p.ReplaceConfigs(nil) })
}

// backupReader admits administrators only: a backup holds credentials
// (endpoint secrets, SNMP communities), although its path is a get/ one
// that unprivileged users may otherwise read.
func (s *Server) backupReader(w http.ResponseWriter, r *http.Request) bool {
	if requester(r).IsAdmin() {
		return true
	}
	s.counters.notGranted.Add(1)
	writeError(w, 0, errNotGranted, "configuration backups are an administrator's")
	return false
}
