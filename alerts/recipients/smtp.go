package recipients

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"flowgate/alerts"
)

// smtpEndpoint mails alerts: one alert per mail, or a digest of up to
// batch= alerts gathered for linger= (default 30s) when many arrive.
// smtp:// upgrades with STARTTLS when the server offers it (starttls=1
// requires it), smtps:// is TLS from the start; user:password in the URL
// authenticates with AUTH PLAIN, which Go only allows over TLS or to
// localhost.
type smtpEndpoint struct {
	sp       *Spec
	addr     string
	host     string
	from     string
	to       []string
	starttls string // "", "1" (required) or "0" (never)
	tlsConf  *tls.Config
	timeout  time.Duration
	m        *Manager
}

func newSMTP(sp *Spec, m *Manager) (*smtpEndpoint, error) {
	host := sp.URL.Hostname()
	addr := sp.URL.Host
	if sp.URL.Port() == "" {
		if sp.Transport == "smtps" {
			addr = net.JoinHostPort(host, "465")
		} else {
			addr = net.JoinHostPort(host, "25")
		}
	}
	e := &smtpEndpoint{sp: sp, addr: addr, host: host, from: sp.Params.Get("from"),
		to: splitList(sp.Params.Get("to")), timeout: sp.duration("timeout", 30*time.Second), m: m}
	switch v := sp.Params.Get("starttls"); v {
	case "", "auto":
	case "1", "true", "yes":
		e.starttls = "1"
	case "0", "false", "no":
		e.starttls = "0"
	default:
		return nil, fmt.Errorf("recipient %s: starttls %q: want 1, 0 or auto", sp.Name, v)
	}
	c, err := tlsConfig(sp, host)
	if err != nil {
		return nil, err
	}
	e.tlsConf = c
	for _, a := range append([]string{e.from}, e.to...) {
		if a != "" && (strings.ContainsAny(a, "\r\n<>") || !strings.Contains(a, "@")) {
			return nil, fmt.Errorf("recipient %s: address %q is not an e-mail address", sp.Name, a)
		}
	}
	return e, nil
}

func (e *smtpEndpoint) batch() int            { return 100 }
func (e *smtpEndpoint) linger() time.Duration { return 30 * time.Second }

func (e *smtpEndpoint) send(ctx context.Context, batch []*Event, f formatter) error {
	deadline := time.Now().Add(e.timeout)
	d := net.Dialer{Timeout: e.timeout}
	var conn net.Conn
	var err error
	if e.sp.Transport == "smtps" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: e.tlsConf}).DialContext(ctx, "tcp", e.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", e.addr)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", e.addr, err)
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", e.addr, err)
	}
	defer c.Close()
	hostname := e.m.fctx.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	if err := c.Hello(hostname); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", e.addr, err)
	}
	if e.sp.Transport == "smtp" && e.starttls != "0" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tlsConf); err != nil {
				return fmt.Errorf("smtp %s: STARTTLS: %w", e.addr, err)
			}
		} else if e.starttls == "1" {
			return fmt.Errorf("smtp %s: the server offers no STARTTLS and starttls=1 requires it", e.addr)
		}
	}
	if u := e.sp.URL.User; u != nil {
		pw, _ := u.Password()
		if err := c.Auth(smtp.PlainAuth("", u.Username(), pw, e.host)); err != nil {
			return &permanentError{fmt.Errorf("smtp %s: AUTH: %w", e.addr, err)}
		}
	}
	from := e.from
	if from == "" {
		from = e.m.cfg.App + "@" + hostname
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", e.addr, err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", e.addr, to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", e.addr, err)
	}
	if _, err := w.Write(e.mail(batch, f, from)); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", e.addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: message refused: %w", e.addr, err)
	}
	_ = c.Quit()
	return nil
}

func (e *smtpEndpoint) mail(batch []*Event, f formatter, from string) []byte {
	subject := fmt.Sprintf("[%s] %d alerts", e.m.cfg.App, len(batch))
	if len(batch) == 1 {
		if d := batch[0].Doc(); d != nil {
			subject = fmt.Sprintf("[%s] %s: %s", e.m.cfg.App, alerts.Severity(d.Severity).Title(), d.TypeTitle())
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from, strings.Join(e.to, ", "), subject, time.Now().Format(time.RFC1123Z), batch[0].ID, e.m.fctx.Hostname)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, ev := range batch {
		line := f(nil, ev, &e.m.fctx)
		b.WriteString(strings.ReplaceAll(string(line), "\n", "\r\n"))
		b.WriteString("\r\n  id: ")
		b.WriteString(ev.ID)
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func (e *smtpEndpoint) close() error { return nil }
