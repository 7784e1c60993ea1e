package recipients

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"flowgate/alerts"
)

// syslogEndpoint sends one syslog message per alert over UDP (one datagram
// each), TCP or TLS (RFC 6587 octet counting by default, or LF-terminated
// with octet_counting=0). Framing is RFC 5424 (default) or RFC 3164
// (framing=rfc3164, the default of the text format, as ntopng sends it).
type syslogEndpoint struct {
	sp       *Spec
	addr     string
	network  string
	tlsConf  *tls.Config
	rfc3164  bool
	octet    bool
	facility int
	app      string
	hostname string
	timeout  time.Duration
	m        *Manager

	mu   sync.Mutex
	conn net.Conn
	buf  []byte
	msg  []byte
}

var facilities = map[string]int{"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "local0": 16, "local1": 17,
	"local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23}

func newSyslog(sp *Spec, m *Manager) (*syslogEndpoint, error) {
	e := &syslogEndpoint{sp: sp, addr: sp.URL.Host, network: sp.Transport, m: m,
		octet: sp.boolParam("octet_counting", true), facility: 16, app: m.cfg.App,
		timeout: sp.duration("timeout", 5*time.Second)}
	switch f := sp.Params.Get("framing"); f {
	case "":
		e.rfc3164 = sp.Format == "text"
	case "rfc3164":
		e.rfc3164 = true
	case "rfc5424":
	default:
		return nil, fmt.Errorf("recipient %s: framing %q: want rfc3164 or rfc5424", sp.Name, f)
	}
	if sp.Format == "rfc5424" && e.rfc3164 {
		return nil, fmt.Errorf("recipient %s: format rfc5424 needs RFC 5424 framing", sp.Name)
	}
	if f := sp.Params.Get("facility"); f != "" {
		n, ok := facilities[strings.ToLower(f)]
		if !ok {
			v, err := strconv.Atoi(f)
			if err != nil || v < 0 || v > 23 {
				return nil, fmt.Errorf("recipient %s: facility %q: want local0..local7, daemon, ... or 0..23", sp.Name, f)
			}
			n = v
		}
		e.facility = n
	}
	if a := sp.Params.Get("app"); a != "" {
		e.app = a
	}
	e.hostname = sp.Params.Get("hostname")
	if sp.Transport == "tls" {
		host, _, _ := net.SplitHostPort(e.addr)
		c, err := tlsConfig(sp, host)
		if err != nil {
			return nil, err
		}
		e.tlsConf = c
	}
	return e, nil
}

func (e *syslogEndpoint) batch() int {
	if e.network == "udp" {
		return 64
	}
	return 512
}
func (e *syslogEndpoint) linger() time.Duration { return 0 }

func (e *syslogEndpoint) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: e.timeout}
	switch e.network {
	case "udp":
		return d.DialContext(ctx, "udp", e.addr)
	case "tcp":
		return d.DialContext(ctx, "tcp", e.addr)
	}
	td := tls.Dialer{NetDialer: &d, Config: e.tlsConf}
	return td.DialContext(ctx, "tcp", e.addr)
}

func (e *syslogEndpoint) send(ctx context.Context, batch []*Event, f formatter) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		c, err := e.dial(ctx)
		if err != nil {
			return fmt.Errorf("syslog %s %s: %w", e.network, e.addr, err)
		}
		e.conn = c
	}
	hostname := e.hostname
	if hostname == "" {
		hostname = e.m.fctx.Hostname
	}
	_ = e.conn.SetWriteDeadline(time.Now().Add(e.timeout))
	b := e.buf[:0]
	for _, ev := range batch {
		e.msg = e.message(e.msg[:0], ev, f, hostname)
		if e.network == "udp" {
			if _, err := e.conn.Write(e.msg); err != nil {
				return e.fail(err)
			}
			continue
		}
		if e.octet {
			b = strconv.AppendInt(b, int64(len(e.msg)), 10)
			b = append(b, ' ')
			b = append(b, e.msg...)
		} else {
			b = append(b, e.msg...)
			b = append(b, '\n')
		}
	}
	e.buf = b
	if len(b) > 0 {
		if _, err := e.conn.Write(b); err != nil {
			return e.fail(err)
		}
	}
	return nil
}

// fail drops the connection; the batch is sent again on a new one, so a
// receiver may see a message twice (at least once; event ids tell).
func (e *syslogEndpoint) fail(err error) error {
	e.conn.Close()
	e.conn = nil
	return fmt.Errorf("syslog %s %s: %w", e.network, e.addr, err)
}

func (e *syslogEndpoint) message(b []byte, ev *Event, f formatter, hostname string) []byte {
	d := ev.Doc()
	sev, ts := 6, time.Now()
	if d != nil {
		sev = alerts.Severity(d.Severity).Syslog()
		if t := d.Time(); t != 0 {
			ts = time.Unix(t, 0)
		}
	}
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(e.facility*8+sev), 10)
	b = append(b, '>')
	if e.rfc3164 {
		b = ts.In(e.m.cfg.Location).AppendFormat(b, time.Stamp)
		b = append(b, ' ')
		b = append(b, hostname...)
		b = append(b, ' ')
		b = append(b, e.app...)
		b = append(b, ": "...)
		return f(b, ev, &e.m.fctx)
	}
	b = append(b, "1 "...)
	b = ts.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	b = append(b, ' ')
	b = appendHeaderField(b, hostname)
	b = appendHeaderField(b, e.app)
	b = append(b, "- alert "...)
	if e.sp.Format == "rfc5424" {
		b = appendSD(b, ev, d)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	return f(b, ev, &e.m.fctx)
}

// appendHeaderField writes an RFC 5424 header field: printable US-ASCII,
// "-" when empty.
func appendHeaderField(b []byte, s string) []byte {
	if s == "" {
		return append(b, "- "...)
	}
	for i := 0; i < len(s) && i < 48; i++ {
		if c := s[i]; c > 32 && c < 127 {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	return append(b, ' ')
}

// SDID is the structured-data element of the rfc5424 format. 32473 is the
// private enterprise number reserved for documentation (RFC 5612): ntop's
// own number is not flowgate's to use.
const SDID = "flowgate@32473"

func appendSD(b []byte, ev *Event, d *Doc) []byte {
	b = append(b, '[')
	b = append(b, SDID...)
	b = appendSDParam(b, "id", ev.ID)
	if d != nil {
		b = appendSDParam(b, "type", d.TypeKey())
		b = appendSDParam(b, "severity", alerts.Severity(d.Severity).String())
		b = appendSDParam(b, "entity", alerts.EntityType(d.Entity).String())
		b = appendSDParam(b, "entity_val", d.EntityVal)
		b = appendSDParam(b, "action", d.Action)
		b = appendSDParam(b, "ifid", strconv.Itoa(d.IfID))
		if d.Subtype != "" {
			b = appendSDParam(b, "subtype", d.Subtype)
		}
		if d.IsFlow {
			b = appendSDParam(b, "src", d.CliAddr)
			b = appendSDParam(b, "spt", strconv.Itoa(d.CliPort))
			b = appendSDParam(b, "dst", d.SrvAddr)
			b = appendSDParam(b, "dpt", strconv.Itoa(d.SrvPort))
			b = appendSDParam(b, "proto", l4Name(d.Proto))
			b = appendSDParam(b, "score", strconv.Itoa(d.Score))
		}
	}
	return append(b, ']')
}

// appendSDParam escapes '"', '\' and ']' as RFC 5424 §6.3.3 requires.
func appendSDParam(b []byte, k, v string) []byte {
	b = append(b, ' ')
	b = append(b, k...)
	b = append(b, '=', '"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"', '\\', ']':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func (e *syslogEndpoint) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil {
		e.conn.Close()
		e.conn = nil
	}
	return nil
}
