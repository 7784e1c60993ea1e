package recipients

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"flowgate/alerts"
)

// ntopng separates an endpoint (a kind and its connection parameters:
// host, port, url, secret, ...) from the recipients that use it (a name,
// the endpoint's name and filters). This file adds that model on top of
// the recipient URLs: a recipient of a named endpoint is compiled into
// the same Spec a --recipient URL gives, so both run the same code.

// EndpointConfig is one named endpoint (ntopng's endpoint_conf).
type EndpointConfig struct {
	Name string `json:"name"`
	// Type is the endpoint kind: syslog, webhook, file, smtp (or email),
	// nats, shell.
	Type string `json:"type"`
	// Params are the connection parameters: url (a full URL of the kind,
	// e.g. https://hooks/x, tcp://siem:514, /var/log/a.jsonl), or host,
	// port, protocol (syslog udp|tcp|tls, webhook http|https, smtp
	// smtp|smtps) and path (webhook path, nats subject, file or script
	// path); then the kind's own keys (secret, style, to, stream, ...) and
	// format, the default format of its recipients.
	Params map[string]string `json:"params"`
}

// RecipientConfig is one recipient of a named endpoint (ntopng's
// recipient: a name, the endpoint it uses and its filters).
type RecipientConfig struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint_conf_name"`
	// Params are format, min_severity, categories, entities, networks,
	// pools, actions, queue_size, batch and linger, as in recipient URLs.
	Params map[string]string `json:"params,omitempty"`
}

// EndpointInfo is an endpoint as REST shows it: secrets masked.
type EndpointInfo struct {
	Name       string            `json:"endpoint_conf_name"`
	Type       string            `json:"endpoint_conf_type"`
	URL        string            `json:"url"` // the compiled endpoint URL, secrets masked
	Params     map[string]string `json:"params"`
	Recipients []string          `json:"recipients"`
	Persistent bool              `json:"persistent"` // added over REST, kept in endpoints.json
}

// Masked is what a secret reads as in REST answers; sending it back in an
// edit keeps the stored value.
const Masked = "xxxxx"

var secretKeys = []string{"secret", "password", "token"}

// connection keys an endpoint config takes besides its kind's own keys.
var connKeys = []string{"url", "host", "port", "protocol", "path", "format"}

type namedEndpoint struct {
	cfg     EndpointConfig
	u       *url.URL // compiled, without recipient keys
	persist bool
}

// endpointURL compiles an endpoint config into a recipient URL (without
// name and filters) and checks it parses as the config's kind.
func endpointURL(c EndpointConfig) (*url.URL, error) {
	if !validName(c.Name) {
		return nil, fmt.Errorf("endpoint %q: use letters, digits, '-', '_' and '.'", c.Name)
	}
	kind := strings.ToLower(c.Type)
	if kind == "email" {
		kind = "smtp"
	}
	allowed, ok := endpointKeys[kind]
	if !ok {
		return nil, fmt.Errorf("endpoint %s: type %q: want syslog, webhook, file, smtp, nats or shell", c.Name, c.Type)
	}
	p := c.Params
	for k := range p {
		if !slices.Contains(connKeys, k) && !slices.Contains(allowed, k) {
			return nil, fmt.Errorf("endpoint %s: unknown parameter %q (%s takes %s, %s)", c.Name, k, kind,
				strings.Join(connKeys, ", "), strings.Join(allowed, ", "))
		}
	}
	var u *url.URL
	if raw := strings.TrimSpace(p["url"]); raw != "" {
		if p["host"] != "" || p["port"] != "" || p["path"] != "" {
			return nil, fmt.Errorf("endpoint %s: give url or host/port/path, not both", c.Name)
		}
		var err error
		if u, err = url.Parse(raw); err != nil {
			return nil, fmt.Errorf("endpoint %s: url: %w", c.Name, redactErr(err))
		}
		switch s := strings.ToLower(u.Scheme); {
		case s == "" && (kind == "file" || kind == "shell"):
			u.Scheme = kind
		case kind == "syslog" && (s == "udp" || s == "tcp" || s == "tls"):
			u.Scheme = "syslog+" + s
		case kind == "webhook" && (s == "http" || s == "https"):
			u.Scheme = "webhook+" + s
		case kind == "smtp" && s == "smtps":
		case s != kind && !strings.HasPrefix(s, kind+"+"):
			return nil, fmt.Errorf("endpoint %s: url scheme %q does not fit type %s", c.Name, u.Scheme, kind)
		}
	} else {
		u = &url.URL{Scheme: kind, Host: p["host"], Path: p["path"]}
		if p["port"] != "" {
			u.Host += ":" + p["port"]
		}
		switch proto := strings.ToLower(p["protocol"]); kind {
		case "syslog":
			u.Scheme = "syslog+" + cmpOr(proto, "udp")
		case "webhook":
			u.Scheme = "webhook+" + cmpOr(proto, "https")
		case "smtp":
			u.Scheme = cmpOr(proto, "smtp")
		}
		if u.Path != "" && !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
	}
	q := u.Query()
	for k, v := range p {
		if k != "url" && k != "host" && k != "port" && k != "protocol" && k != "path" {
			q.Set(k, v)
		}
	}
	for k := range q {
		if recipientKeys[k] && k != "format" {
			return nil, fmt.Errorf("endpoint %s: %s belongs to a recipient", c.Name, k)
		}
	}
	u.RawQuery = q.Encode()
	// Check it the way its recipients will parse it.
	probe := *u
	pq := u.Query()
	pq.Set("name", c.Name)
	probe.RawQuery = pq.Encode()
	sp, err := ParseURL(probe.String())
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", c.Name, err)
	}
	if sp.Kind != kind {
		return nil, fmt.Errorf("endpoint %s: url is a %s endpoint, not %s", c.Name, sp.Kind, kind)
	}
	return u, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Err.Error())
	}
	return err
}

func (e *namedEndpoint) info(recs []string) EndpointInfo {
	params := maps.Clone(e.cfg.Params)
	if params == nil {
		params = map[string]string{}
	}
	for _, k := range secretKeys {
		if _, ok := params[k]; ok {
			params[k] = Masked
		}
	}
	if raw, ok := params["url"]; ok {
		params["url"] = maskURL(raw)
	}
	return EndpointInfo{Name: e.cfg.Name, Type: e.cfg.Type, URL: maskURL(e.u.String()), Params: params,
		Recipients: recs, Persistent: e.persist}
}

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redactRaw(raw)
	}
	q := u.Query()
	for _, k := range secretKeys {
		if q.Has(k) {
			q.Set(k, Masked)
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// unmask puts back the stored secrets an edit sent as Masked.
func unmask(next, prev map[string]string) map[string]string {
	out := maps.Clone(next)
	for _, k := range secretKeys {
		if out[k] == Masked {
			out[k] = prev[k]
		}
	}
	if nu, ok := out["url"]; ok && prev["url"] != "" {
		u, err1 := url.Parse(nu)
		pu, err2 := url.Parse(prev["url"])
		if err1 == nil && err2 == nil {
			if pw, ok := u.User.Password(); ok && pw == Masked {
				if ppw, ok := pu.User.Password(); ok {
					u.User = url.UserPassword(u.User.Username(), ppw)
				}
			}
			q, pq := u.Query(), pu.Query()
			for _, k := range secretKeys {
				if q.Get(k) == Masked {
					q.Set(k, pq.Get(k))
				}
			}
			u.RawQuery = q.Encode()
			out["url"] = u.String()
		}
	}
	return out
}

// recipientSpec compiles a recipient of a named endpoint into a Spec.
func (m *Manager) recipientSpec(rc RecipientConfig) (*Spec, error) {
	if !validName(rc.Name) {
		return nil, fmt.Errorf("recipient %q: use letters, digits, '-', '_' and '.'", rc.Name)
	}
	ne := m.eps[rc.Endpoint]
	if ne == nil {
		return nil, fmt.Errorf("recipient %s: no endpoint %q", rc.Name, rc.Endpoint)
	}
	u := *ne.u
	q := u.Query()
	for k, v := range rc.Params {
		if !recipientKeys[k] || k == "name" {
			return nil, fmt.Errorf("recipient %s: unknown parameter %q (recipients take format, min_severity, categories, entities, networks, pools, actions, queue_size, batch, linger)", rc.Name, k)
		}
		q.Set(k, v)
	}
	q.Set("name", rc.Name)
	u.RawQuery = q.Encode()
	sp, err := ParseURL(u.String())
	if err != nil {
		return nil, err
	}
	if sp.Kind == "shell" && !m.cfg.AllowShell {
		return nil, fmt.Errorf("recipient %s: shell recipients are disabled (enable them with --recipient-allow-shell)", sp.Name)
	}
	return sp, nil
}

func (m *Manager) endpointsPath() string { return filepath.Join(m.cfg.DataDir, "endpoints.json") }

// startModel loads the configuration file's endpoints and recipients and
// endpoints.json; recipients.json's recipients follow in Start.
func (m *Manager) startModel() error {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	for _, c := range m.cfg.Endpoints {
		u, err := endpointURL(c)
		if err != nil {
			return err
		}
		if m.eps[c.Name] != nil {
			return fmt.Errorf("endpoint %s: defined twice", c.Name)
		}
		m.eps[c.Name] = &namedEndpoint{cfg: c, u: u}
	}
	b, err := os.ReadFile(m.endpointsPath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("recipients: %w", err)
	}
	if err == nil {
		var saved []EndpointConfig
		if err := json.Unmarshal(b, &saved); err != nil {
			return fmt.Errorf("recipients: %s: %w", m.endpointsPath(), err)
		}
		for _, c := range saved {
			u, err := endpointURL(c)
			if err == nil && m.eps[c.Name] != nil {
				err = fmt.Errorf("endpoint %s: also in the configuration file", c.Name)
			}
			if err != nil {
				m.log.Error("endpoint from endpoints.json skipped", "err", err)
				continue
			}
			m.eps[c.Name] = &namedEndpoint{cfg: c, u: u, persist: true}
		}
	}
	for _, rc := range m.cfg.Recipients {
		if _, err := m.addModelLocked(rc, false); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) saveEndpoints() error {
	names := slices.Sorted(maps.Keys(m.eps))
	out := []EndpointConfig{}
	for _, n := range names {
		if e := m.eps[n]; e.persist {
			out = append(out, e.cfg)
		}
	}
	return writeFile0600(m.endpointsPath(), out)
}

// addModelRecipient builds and starts a recipient of a named endpoint.
func (m *Manager) addModelRecipient(rc RecipientConfig, persist bool) error {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	_, err := m.addModelLocked(rc, persist)
	return err
}

func (m *Manager) addModelLocked(rc RecipientConfig, persist bool) (*recipient, error) {
	sp, err := m.recipientSpec(rc)
	if err != nil {
		return nil, err
	}
	r, err := m.build(sp)
	if err != nil {
		return nil, err
	}
	r.persist = persist
	c := rc
	c.Params = maps.Clone(rc.Params)
	r.cfg = &c
	if err := m.insert(r); err != nil {
		_ = r.ep.close()
		return nil, err
	}
	return r, nil
}

// build makes a recipient (not yet started) for a Spec.
func (m *Manager) build(sp *Spec) (*recipient, error) {
	ep, err := newEndpoint(sp, m)
	if err != nil {
		return nil, err
	}
	r := &recipient{spec: sp, ep: ep, format: formatters[sp.Format], batch: sp.Batch,
		linger: sp.duration("linger", ep.linger())}
	if r.batch <= 0 {
		r.batch = ep.batch()
	}
	return r, nil
}

// AddEndpoint adds a named endpoint and saves it in endpoints.json.
func (m *Manager) AddEndpoint(c EndpointConfig) (EndpointInfo, error) {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	if m.eps[c.Name] != nil {
		return EndpointInfo{}, fmt.Errorf("endpoint %s: already exists", c.Name)
	}
	u, err := endpointURL(c)
	if err != nil {
		return EndpointInfo{}, err
	}
	c.Params = maps.Clone(c.Params)
	e := &namedEndpoint{cfg: c, u: u, persist: true}
	m.eps[c.Name] = e
	if err := m.saveEndpoints(); err != nil {
		delete(m.eps, c.Name)
		return EndpointInfo{}, err
	}
	return e.info(nil), nil
}

// EditEndpoint replaces a named endpoint's type and parameters (a secret
// sent back as Masked keeps its stored value) and rebuilds its recipients
// live: each keeps its queue, pending alerts and counters.
func (m *Manager) EditEndpoint(c EndpointConfig) (EndpointInfo, error) {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	old := m.eps[c.Name]
	if old == nil {
		return EndpointInfo{}, fmt.Errorf("endpoint %s: not found", c.Name)
	}
	if !old.persist {
		return EndpointInfo{}, fmt.Errorf("endpoint %s: defined in the configuration file, edit it there", c.Name)
	}
	if c.Type == "" {
		c.Type = old.cfg.Type
	}
	c.Params = unmask(c.Params, old.cfg.Params)
	u, err := endpointURL(c)
	if err != nil {
		return EndpointInfo{}, err
	}
	e := &namedEndpoint{cfg: c, u: u, persist: true}
	m.eps[c.Name] = e
	// Compile every recipient first: an edit applies to all or none.
	users := m.usersOf(c.Name)
	specs := make([]*Spec, len(users))
	for i, r := range users {
		if specs[i], err = m.recipientSpec(*r.cfg); err == nil {
			err = checkEndpoint(specs[i], m)
		}
		if err != nil {
			m.eps[c.Name] = old
			return EndpointInfo{}, err
		}
	}
	for i, r := range users {
		if err := m.replace(r, specs[i], r.cfg); err != nil {
			m.log.Error("recipient not rebuilt after an endpoint edit", "recipient", r.spec.Name, "err", err)
		}
	}
	if err := m.saveEndpoints(); err != nil {
		return EndpointInfo{}, err
	}
	return e.info(names(m.usersOf(c.Name))), nil
}

// checkEndpoint builds an endpoint to validate a Spec and closes it.
func checkEndpoint(sp *Spec, m *Manager) error {
	ep, err := newEndpoint(sp, m)
	if err != nil {
		return err
	}
	return ep.close()
}

// RemoveEndpoint deletes a named endpoint; one that recipients still use
// is refused (delete them first: their queues may hold alerts).
func (m *Manager) RemoveEndpoint(name string) error {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	e := m.eps[name]
	if e == nil {
		return fmt.Errorf("endpoint %s: not found", name)
	}
	if !e.persist {
		return fmt.Errorf("endpoint %s: defined in the configuration file, remove it there", name)
	}
	if users := m.usersOf(name); len(users) > 0 {
		return fmt.Errorf("endpoint %s: in use by recipients %s", name, strings.Join(names(users), ", "))
	}
	delete(m.eps, name)
	return m.saveEndpoints()
}

// ResetEndpoints deletes every endpoint added over REST and the REST
// recipients that use them (ntopng's delete/endpoints.lua).
func (m *Manager) ResetEndpoints() error {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	var errs []error
	for n, e := range m.eps {
		if !e.persist {
			continue
		}
		keep := false
		for _, r := range m.usersOf(n) {
			if !r.persist {
				keep = true // a configuration-file recipient still uses it
				continue
			}
			errs = append(errs, m.Remove(r.spec.Name))
		}
		if !keep {
			delete(m.eps, n)
		}
	}
	errs = append(errs, m.saveEndpoints())
	return errors.Join(errs...)
}

// ResetRecipients deletes every recipient added over REST, with its queue
// (ntopng's delete/recipients.lua). Flag, configuration-file and Lua
// recipients stay.
func (m *Manager) ResetRecipients() error {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	var errs []error
	for _, r := range *m.recs.Load() {
		if r.persist && r.ep != nil {
			errs = append(errs, m.Remove(r.spec.Name))
		}
	}
	return errors.Join(errs...)
}

// Endpoints lists the named endpoints by name.
func (m *Manager) Endpoints() []EndpointInfo {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	out := make([]EndpointInfo, 0, len(m.eps))
	for _, n := range slices.Sorted(maps.Keys(m.eps)) {
		out = append(out, m.eps[n].info(names(m.usersOf(n))))
	}
	return out
}

// Endpoint returns one named endpoint.
func (m *Manager) Endpoint(name string) (EndpointInfo, bool) {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	e := m.eps[name]
	if e == nil {
		return EndpointInfo{}, false
	}
	return e.info(names(m.usersOf(name))), true
}

// AddRecipient adds a recipient of a named endpoint and saves it in
// recipients.json.
func (m *Manager) AddRecipient(rc RecipientConfig) (Stats, error) {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	r, err := m.addModelLocked(rc, true)
	if err != nil {
		return Stats{}, err
	}
	if err := m.save(); err != nil {
		return r.stats(), err
	}
	return r.stats(), nil
}

// EditRecipient changes a recipient's endpoint or filters live. Its queue
// (the recipient's stable id, named after it), pending alerts and
// counters stay; queue_size applies at the next start.
func (m *Manager) EditRecipient(rc RecipientConfig) (Stats, error) {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	r := m.find(rc.Name)
	if r == nil {
		return Stats{}, fmt.Errorf("recipient %s: not found", rc.Name)
	}
	if r.cfg == nil || !r.persist {
		return Stats{}, fmt.Errorf("recipient %s: not a REST recipient of a named endpoint (delete and add it instead)", rc.Name)
	}
	if rc.Endpoint == "" {
		rc.Endpoint = r.cfg.Endpoint
	}
	sp, err := m.recipientSpec(rc)
	if err != nil {
		return Stats{}, err
	}
	c := rc
	c.Params = maps.Clone(rc.Params)
	if err := m.replace(r, sp, &c); err != nil {
		return Stats{}, err
	}
	if err := m.save(); err != nil {
		return Stats{}, err
	}
	st, _ := m.Get(rc.Name)
	return st, nil
}

// drainWait bounds how long an edit waits for an in-flight delivery.
const drainWait = 5 * time.Second

// replace swaps a running recipient for one built from sp, keeping its
// queue, directory and counters. Alerts queued meanwhile stay in the
// shared queue for the new worker.
func (m *Manager) replace(old *recipient, sp *Spec, cfg *RecipientConfig) error {
	nr, err := m.build(sp)
	if err != nil {
		return err
	}
	nr.persist, nr.cfg = old.persist, cfg
	nr.dir, nr.q, nr.recState = old.dir, old.q, old.recState
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := *m.recs.Load()
	i := slices.Index(recs, old)
	if !m.started || i < 0 {
		_ = nr.ep.close()
		return fmt.Errorf("recipient %s: gone", sp.Name)
	}
	if old.stop != nil {
		// Let an in-flight delivery finish and be acknowledged, so the
		// edit sends nothing twice; cancel one that hangs.
		close(old.drain)
		t := time.NewTimer(drainWait)
		select {
		case <-old.done:
		case <-t.C:
			close(old.stop)
			<-old.done
		}
		t.Stop()
	}
	if old.ep != nil {
		_ = old.ep.close()
	}
	nr.stop, nr.drain, nr.done = make(chan struct{}), make(chan struct{}), make(chan struct{})
	go m.worker(nr)
	next := slices.Clone(recs)
	next[i] = nr
	m.recs.Store(&next)
	return nil
}

func (m *Manager) usersOf(endpoint string) []*recipient {
	var out []*recipient
	for _, r := range *m.recs.Load() {
		if r.cfg != nil && r.cfg.Endpoint == endpoint {
			out = append(out, r)
		}
	}
	return out
}

func names(rs []*recipient) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.spec.Name)
	}
	sort.Strings(out)
	return out
}

// TestEndpoint sends a sample notification through a named endpoint (in
// its default format) without any recipient or queue, and reports the
// endpoint's answer.
func (m *Manager) TestEndpoint(ctx context.Context, name string) error {
	m.cfgMu.Lock()
	e := m.eps[name]
	m.cfgMu.Unlock()
	if e == nil {
		return fmt.Errorf("endpoint %s: not found", name)
	}
	u := *e.u
	q := u.Query()
	q.Set("name", "test-"+name)
	u.RawQuery = q.Encode()
	sp, err := ParseURL(u.String())
	if err != nil {
		return err
	}
	if sp.Kind == "shell" && !m.cfg.AllowShell {
		return fmt.Errorf("endpoint %s: shell endpoints are disabled (enable them with --recipient-allow-shell)", name)
	}
	ep, err := newEndpoint(sp, m)
	if err != nil {
		return err
	}
	defer ep.close()
	return ep.send(ctx, []*Event{m.sampleEvent()}, formatters[sp.Format])
}

// sampleEvent is the notification a test sends.
func (m *Manager) sampleEvent() *Event {
	now := time.Now().Unix()
	a := alerts.Alert{IfID: -1, Type: 45 /* alert_test_failed */, Severity: alerts.SeverityInfo,
		Entity: alerts.EntityTest, EntityVal: "test", Tstamp: now, TstampEnd: now,
		Action: alerts.ActionStore, JSON: `{"message":"flowgate recipient test"}`}
	n := alerts.Notification{Alert: a}
	ev := &Event{ID: m.nextID() + "-test", JSON: n.JSON()}
	ev.SetDoc(docFromAlert(&a))
	return ev
}
