package recipients

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// natsEndpoint publishes each alert to a NATS JetStream subject and counts
// it delivered only when the stream acknowledged it. Every message carries
// the Nats-Msg-Id header set to the alert's event id, so JetStream's
// duplicate window drops the repeats of a redelivered batch: on this
// endpoint delivery is exactly once within that window (2 minutes by
// default). stream= creates the stream (file storage, bound to the
// subject) when it does not exist.
//
// The client is a small one over the NATS text protocol (INFO, CONNECT,
// PING/PONG, SUB, HPUB, MSG/HMSG): publishing with acks is all flowgate
// needs, and it spares a dependency.
type natsEndpoint struct {
	sp      *Spec
	addr    string
	subject string
	stream  string
	timeout time.Duration
	tlsConf *tls.Config
	m       *Manager

	mu sync.Mutex
	c  *natsConn
}

func newNATS(sp *Spec, m *Manager) (*natsEndpoint, error) {
	e := &natsEndpoint{sp: sp, addr: sp.URL.Host, subject: strings.Trim(sp.URL.Path, "/"),
		stream: sp.Params.Get("stream"), timeout: sp.duration("timeout", 5*time.Second), m: m}
	if sp.URL.Port() == "" {
		e.addr = net.JoinHostPort(sp.URL.Hostname(), "4222")
	}
	if strings.ContainsAny(e.subject, " \t\r\n*>") {
		return nil, fmt.Errorf("recipient %s: subject %q: no spaces or wildcards", sp.Name, e.subject)
	}
	if strings.ContainsAny(e.stream, " \t\r\n*>.") {
		return nil, fmt.Errorf("recipient %s: stream %q: no spaces, dots or wildcards", sp.Name, e.stream)
	}
	if sp.boolParam("tls", false) {
		c, err := tlsConfig(sp, sp.URL.Hostname())
		if err != nil {
			return nil, err
		}
		e.tlsConf = c
	}
	return e, nil
}

func (e *natsEndpoint) batch() int            { return 256 }
func (e *natsEndpoint) linger() time.Duration { return 0 }

func (e *natsEndpoint) send(ctx context.Context, batch []*Event, f formatter) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		c, err := dialNATS(ctx, e.addr, e.tlsConf, e.sp, e.timeout)
		if err != nil {
			return err
		}
		if e.stream != "" {
			if err := c.ensureStream(e.stream, e.subject); err != nil {
				c.close()
				return err
			}
		}
		e.c = c
	}
	stop := context.AfterFunc(ctx, func() { _ = e.c.conn.SetDeadline(time.Now()) })
	defer stop()
	var payloads [][]byte
	var ids []string
	for _, ev := range batch {
		payloads = append(payloads, f(nil, ev, &e.m.fctx))
		ids = append(ids, ev.ID)
	}
	if err := e.c.publish(e.subject, ids, payloads); err != nil {
		var perm *permanentError
		if !errors.As(err, &perm) {
			e.c.close()
			e.c = nil
		}
		return err
	}
	return nil
}

func (e *natsEndpoint) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		e.c.close()
		e.c = nil
	}
	return nil
}

// natsConn is one client connection with a reply inbox.
type natsConn struct {
	conn    net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	inbox   string
	next    uint64
	timeout time.Duration
	addr    string
}

func dialNATS(ctx context.Context, addr string, tc *tls.Config, sp *Spec, timeout time.Duration) (*natsConn, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", addr, err)
	}
	c := &natsConn{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), timeout: timeout, addr: addr}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	line, err := c.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "INFO ") {
		conn.Close()
		return nil, fmt.Errorf("nats %s: no INFO from the server (%q, %v)", addr, line, err)
	}
	var info struct {
		Headers     bool `json:"headers"`
		TLSRequired bool `json:"tls_required"`
	}
	_ = json.Unmarshal([]byte(line[5:]), &info)
	if !info.Headers {
		conn.Close()
		return nil, fmt.Errorf("nats %s: the server does not support headers (needs nats-server 2.2 or later)", addr)
	}
	if tc != nil || info.TLSRequired {
		if tc == nil {
			tc = &tls.Config{ServerName: sp.URL.Hostname(), MinVersion: tls.VersionTLS12}
		}
		tconn := tls.Client(conn, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("nats %s: TLS: %w", addr, err)
		}
		c.conn = tconn
		c.r = bufio.NewReaderSize(tconn, 64<<10)
	}
	c.w = bufio.NewWriterSize(c.conn, 64<<10)
	opts := map[string]any{"verbose": false, "pedantic": false, "headers": true, "no_responders": true,
		"name": "flowgate", "lang": "go", "version": "1", "protocol": 1}
	if u := sp.URL.User; u != nil {
		opts["user"] = u.Username()
		opts["pass"], _ = u.Password()
	}
	if t := sp.Params.Get("token"); t != "" {
		opts["auth_token"] = t
	}
	cj, _ := json.Marshal(opts)
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	c.inbox = "_INBOX.fg" + strconv.FormatUint(binary.BigEndian.Uint64(rb[:]), 36)
	fmt.Fprintf(c.w, "CONNECT %s\r\nPING\r\nSUB %s.* 1\r\n", cj, c.inbox)
	if err := c.w.Flush(); err != nil {
		c.close()
		return nil, fmt.Errorf("nats %s: %w", addr, err)
	}
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			c.close()
			return nil, fmt.Errorf("nats %s: handshake: %w", addr, err)
		}
		switch {
		case strings.HasPrefix(l, "PONG"):
			return c, nil
		case strings.HasPrefix(l, "-ERR"):
			c.close()
			return nil, &permanentError{fmt.Errorf("nats %s: %s", addr, strings.TrimSpace(l))}
		}
	}
}

func (c *natsConn) close() { c.conn.Close() }

// jsReply is a JetStream API or publish answer.
type jsReply struct {
	Stream    string `json:"stream"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
	Error     *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

// publish sends the messages with their ids and waits for every ack.
func (c *natsConn) publish(subject string, ids []string, payloads [][]byte) error {
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	tokens := make(map[string]int, len(ids))
	for i, p := range payloads {
		c.next++
		tok := strconv.FormatUint(c.next, 10)
		tokens[tok] = i
		hdr := "NATS/1.0\r\nNats-Msg-Id: " + ids[i] + "\r\n\r\n"
		fmt.Fprintf(c.w, "HPUB %s %s.%s %d %d\r\n%s", subject, c.inbox, tok, len(hdr), len(hdr)+len(p), hdr)
		c.w.Write(p)
		c.w.WriteString("\r\n")
	}
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("nats %s: publish: %w", c.addr, err)
	}
	for len(tokens) > 0 {
		tok, hdr, body, err := c.readReply()
		if err != nil {
			return err
		}
		if _, ok := tokens[tok]; !ok {
			continue // a late answer to an earlier, failed batch
		}
		delete(tokens, tok)
		if bytes.Contains(hdr, []byte(" 503")) {
			return fmt.Errorf("nats %s: no JetStream stream listens on %s (set stream= to create one)", c.addr, subject)
		}
		var r jsReply
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("nats %s: bad publish ack %q", c.addr, body)
		}
		if r.Error != nil {
			return fmt.Errorf("nats %s: JetStream: %s (%d)", c.addr, r.Error.Description, r.Error.ErrCode)
		}
	}
	return nil
}

// request sends one request to subject and returns the answer's body.
func (c *natsConn) request(subject string, payload []byte) ([]byte, error) {
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	c.next++
	tok := strconv.FormatUint(c.next, 10)
	fmt.Fprintf(c.w, "PUB %s %s.%s %d\r\n", subject, c.inbox, tok, len(payload))
	c.w.Write(payload)
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return nil, fmt.Errorf("nats %s: %w", c.addr, err)
	}
	for {
		t, hdr, body, err := c.readReply()
		if err != nil {
			return nil, err
		}
		if t != tok {
			continue
		}
		if bytes.Contains(hdr, []byte(" 503")) {
			return nil, fmt.Errorf("nats %s: no responder for %s (is JetStream enabled? nats-server -js)", c.addr, subject)
		}
		return body, nil
	}
}

// ensureStream creates the stream bound to subject if it does not exist.
func (c *natsConn) ensureStream(stream, subject string) error {
	body, err := c.request("$JS.API.STREAM.INFO."+stream, nil)
	if err != nil {
		return err
	}
	var r jsReply
	_ = json.Unmarshal(body, &r)
	if r.Error == nil {
		return nil
	}
	if r.Error.Code != 404 {
		return fmt.Errorf("nats %s: stream %s: %s", c.addr, stream, r.Error.Description)
	}
	cfg, _ := json.Marshal(map[string]any{"name": stream, "subjects": []string{subject}, "storage": "file"})
	body, err = c.request("$JS.API.STREAM.CREATE."+stream, cfg)
	if err != nil {
		return err
	}
	r = jsReply{}
	_ = json.Unmarshal(body, &r)
	if r.Error != nil {
		return fmt.Errorf("nats %s: create stream %s: %s", c.addr, stream, r.Error.Description)
	}
	return nil
}

// readReply reads until a MSG or HMSG on the inbox and returns its reply
// token, headers and body; it answers the server's PINGs on the way.
func (c *natsConn) readReply() (tok string, hdr, body []byte, err error) {
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return "", nil, nil, fmt.Errorf("nats %s: %w", c.addr, err)
		}
		line = strings.TrimRight(line, "\r\n")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "PING":
			c.w.WriteString("PONG\r\n")
			_ = c.w.Flush()
			continue
		case "-ERR":
			return "", nil, nil, fmt.Errorf("nats %s: %s", c.addr, line)
		case "MSG", "HMSG":
		default:
			continue // +OK, PONG, INFO
		}
		var hlen, total int
		switch {
		case f[0] == "MSG" && len(f) >= 4:
			total, _ = strconv.Atoi(f[len(f)-1])
		case f[0] == "HMSG" && len(f) >= 5:
			hlen, _ = strconv.Atoi(f[len(f)-2])
			total, _ = strconv.Atoi(f[len(f)-1])
		default:
			return "", nil, nil, fmt.Errorf("nats %s: bad line %q", c.addr, line)
		}
		if hlen < 0 || total < hlen || total > 64<<20 {
			return "", nil, nil, fmt.Errorf("nats %s: bad sizes in %q", c.addr, line)
		}
		data := make([]byte, total+2)
		if _, err := io.ReadFull(c.r, data); err != nil {
			return "", nil, nil, fmt.Errorf("nats %s: %w", c.addr, err)
		}
		subj := f[1]
		_, t, _ := strings.Cut(strings.TrimPrefix(subj, c.inbox), ".")
		return t, data[:hlen], data[hlen:total], nil
	}
}
