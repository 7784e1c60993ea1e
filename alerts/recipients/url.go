package recipients

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Spec is a parsed recipient URL: the endpoint (scheme, address, its own
// parameters) and the recipient's filter and queue settings.
type Spec struct {
	Name      string // recipient id: name= or derived from the URL
	Kind      string // syslog, webhook, file, smtp, nats, shell
	Transport string // syslog: udp, tcp, tls; webhook: http, https; smtp: smtp, smtps
	URL       *url.URL
	Raw       string // as given (kept for persistence; may hold secrets)
	Format    string // text, json, cef, ecs, rfc5424
	Filter    Filter
	QueueSize int // 0: the manager's default
	Batch     int // 0: the endpoint kind's default
	Params    url.Values
}

// Formats a recipient may use.
var Formats = []string{"text", "json", "cef", "ecs", "rfc5424"}

// filter and recipient keys; everything else belongs to the endpoint.
var recipientKeys = map[string]bool{"name": true, "format": true, "min_severity": true,
	"categories": true, "entities": true, "networks": true, "pools": true, "actions": true,
	"queue_size": true, "batch": true, "linger": true}

// endpointKeys are the parameters each endpoint kind understands; anything
// else is a typo the operator should hear about.
var endpointKeys = map[string][]string{
	"syslog":  {"framing", "octet_counting", "facility", "app", "hostname", "ca", "cert", "key", "insecure", "server_name", "timeout"},
	"webhook": {"secret", "style", "timeout", "username", "password", "channel", "ca", "insecure", "server_name"},
	"file":    {"max_size", "keep"},
	"smtp":    {"from", "to", "starttls", "insecure", "ca", "server_name", "timeout"},
	"nats":    {"stream", "token", "timeout", "tls", "insecure", "ca", "server_name"},
	"shell":   {"timeout"},
}

// ParseURL parses a --recipient URL such as
// syslog+tcp://siem:6514?format=cef&min_severity=warning.
func ParseURL(raw string) (*Spec, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("recipient %q: %w", redactRaw(raw), err)
	}
	sp := &Spec{URL: u, Raw: raw, Params: u.Query()}
	bad := func(format string, args ...any) (*Spec, error) {
		return nil, fmt.Errorf("recipient %s: "+format, append([]any{sp.Redacted()}, args...)...)
	}
	kind, transport, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	switch kind {
	case "syslog":
		if transport == "" {
			transport = "udp"
		}
		if transport != "udp" && transport != "tcp" && transport != "tls" {
			return bad("syslog transport %q: want syslog+udp, syslog+tcp or syslog+tls", transport)
		}
		sp.Format = "text"
	case "webhook":
		if transport == "" {
			transport = "https"
		}
		if transport != "http" && transport != "https" {
			return bad("webhook transport %q: want webhook+http or webhook+https", transport)
		}
		sp.Format = "json"
	case "http", "https":
		kind, transport = "webhook", kind
		sp.Format = "json"
	case "file":
		if u.Path == "" {
			return bad("file recipients need an absolute path: file:///var/log/alerts.jsonl")
		}
		sp.Format = "json"
	case "smtp", "smtps":
		transport = kind
		kind = "smtp"
		sp.Format = "text"
		if sp.Params.Get("to") == "" {
			return bad("smtp needs to=address[,address]")
		}
	case "nats":
		sp.Format = "json"
		if strings.Trim(u.Path, "/") == "" {
			return bad("nats needs a subject: nats://host:4222/alerts.flowgate")
		}
	case "shell":
		if u.Path == "" {
			return bad("shell needs a script path: shell:///usr/local/bin/on-alert")
		}
		sp.Format = "json"
	default:
		return bad("unknown scheme %q: want syslog+udp, syslog+tcp, syslog+tls, webhook+http(s), file, smtp(s), nats or shell", u.Scheme)
	}
	sp.Kind, sp.Transport = kind, transport
	if kind != "file" && kind != "shell" && u.Host == "" {
		return bad("missing host")
	}
	if kind == "syslog" && u.Port() == "" {
		return bad("missing port")
	}
	allowed := endpointKeys[kind]
	for k := range sp.Params {
		if !recipientKeys[k] && indexOf(allowed, k) < 0 {
			return bad("unknown parameter %q (endpoint %s takes %s)", k, kind, strings.Join(allowed, ", "))
		}
	}
	if f := sp.Params.Get("format"); f != "" {
		if indexOf(Formats, f) < 0 {
			return bad("format %q: want %s", f, strings.Join(Formats, ", "))
		}
		sp.Format = f
	}
	if sp.Filter, err = parseFilter(sp.Params.Get); err != nil {
		return bad("%v", err)
	}
	for _, k := range []string{"queue_size", "batch"} {
		if v := sp.Params.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return bad("%s %q: want a positive number", k, v)
			}
			if k == "queue_size" {
				sp.QueueSize = n
			} else {
				sp.Batch = n
			}
		}
	}
	if v := sp.Params.Get("timeout"); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return bad("timeout %q: want a duration such as 5s", v)
		}
	}
	sp.Name = sp.Params.Get("name")
	if sp.Name == "" {
		// Stable across restarts, so a flag-given recipient finds its queue.
		h := sha256.Sum256([]byte(raw))
		sp.Name = kind + "-" + hex.EncodeToString(h[:5])
	}
	if !validName(sp.Name) {
		return bad("name %q: use letters, digits, '-', '_' and '.'", sp.Name)
	}
	return sp, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Redacted is the URL with passwords and secrets masked, for logs and REST.
func (s *Spec) Redacted() string {
	u := *s.URL
	q := u.Query()
	for _, k := range []string{"secret", "password", "token"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

func redactRaw(raw string) string {
	if i := strings.IndexAny(raw, "?@"); i >= 0 {
		return raw[:i] + "..."
	}
	return raw
}

func (s *Spec) duration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s.Params.Get(key)); err == nil && d > 0 {
		return d
	}
	return def
}

func (s *Spec) boolParam(key string, def bool) bool {
	switch strings.ToLower(s.Params.Get(key)) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	return def
}
