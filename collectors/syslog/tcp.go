package syslog

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"
)

func (c *Collector) listenTCP(addr string, useTLS bool) error {
	var tcfg *tls.Config
	if useTLS {
		tcfg = c.cfg.TLSConfig
		if tcfg == nil {
			if c.cfg.CertFile == "" || c.cfg.KeyFile == "" {
				return fmt.Errorf("syslog tls %s: certificate and key files are required", addr)
			}
			cert, err := tls.LoadX509KeyPair(c.cfg.CertFile, c.cfg.KeyFile)
			if err != nil {
				return fmt.Errorf("syslog tls %s: %w", addr, err)
			}
			tcfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("syslog tcp %s: %w", addr, err)
	}
	c.serveTCP(ln, tcfg)
	return nil
}

// serveTCP accepts connections on a bound listener.
func (c *Collector) serveTCP(ln net.Listener, tcfg *tls.Config) {
	c.ln = ln
	c.wg.Add(1)
	go c.accept(ln, tcfg)
}

func (c *Collector) accept(ln net.Listener, tcfg *tls.Config) {
	defer c.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || c.stopped() {
				return
			}
			// EMFILE and the like: count, wait a little, go on.
			c.c.connErrors.Add(1)
			c.rl.Warn("accept", "syslog tcp accept", "err", err)
			select {
			case <-c.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if c.c.connsOpen.Load() >= int64(c.cfg.MaxConns) {
			c.c.rejected.Add(1)
			c.rl.Warn("maxconns", "syslog tcp: connection limit reached, closing new connection", "limit", c.cfg.MaxConns, "peer", conn.RemoteAddr().String())
			_ = conn.Close()
			continue
		}
		c.c.accepted.Add(1)
		c.c.connsOpen.Add(1)
		if tcfg != nil {
			conn = tls.Server(conn, tcfg)
		}
		c.conns.Store(conn, struct{}{})
		c.wg.Add(1)
		go c.serveConn(conn)
	}
}

// deadlineReader renews the idle deadline before every read, so a silent
// client is closed after IdleTimeout and a slow one only holds its own
// goroutine.
type deadlineReader struct {
	conn net.Conn
	idle time.Duration
}

func (d deadlineReader) Read(p []byte) (int, error) {
	_ = d.conn.SetReadDeadline(time.Now().Add(d.idle))
	return d.conn.Read(p)
}

func (c *Collector) serveConn(conn net.Conn) {
	defer c.wg.Done()
	defer func() {
		_ = conn.Close()
		c.conns.Delete(conn)
		c.c.connsOpen.Add(-1)
	}()
	var peer netip.Addr
	if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
		peer = ap.Addr().Unmap()
	}
	r := c.newReceiver()
	f := newFramer(deadlineReader{conn, c.cfg.IdleTimeout}, c.cfg.MaxMessage)
	for {
		msg, err := f.next()
		if err != nil {
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), c.stopped():
			case errors.Is(err, os.ErrDeadlineExceeded):
				c.c.idleClosed.Add(1)
			case errors.Is(err, errOversized):
				// An announced octet count over the maximum: the stream
				// cannot be resynchronized, so the connection is closed.
				c.c.received.Add(1)
				c.c.oversized.Add(1)
				c.rl.Warn("octets", "syslog tcp: closing connection", "peer", peer.String(), "err", err)
			default:
				c.c.connErrors.Add(1)
				c.rl.Warn("tcpread", "syslog tcp: closing connection", "peer", peer.String(), "err", err)
			}
			return
		}
		if msg == nil { // an oversized newline-framed line, skipped
			c.c.received.Add(1)
			c.c.oversized.Add(1)
			continue
		}
		c.c.tcp.Add(1)
		r.handle(msg, peer)
	}
}
