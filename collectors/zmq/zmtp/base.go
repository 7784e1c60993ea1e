package zmtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// netConfig is the transport part shared by SubConfig and PubConfig.
type netConfig struct {
	rcvBuf           int
	keepAlive        net.KeepAliveConfig
	readBuf          int
	writeBuf         int
	reconnectMin     time.Duration
	reconnectMax     time.Duration
	handshakeTimeout time.Duration
	lim              limits
}

// Defaults from docs/zmq-wire.md §1.5 and libzmq's reconnect interval.
var defaultKeepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 3 * time.Second, Count: 3}

const (
	defaultRcvBuf           = 8 << 20
	defaultReadBuf          = 256 << 10
	defaultWriteBuf         = 256 << 10
	defaultReconnectMin     = 100 * time.Millisecond
	defaultReconnectMax     = 5 * time.Second
	defaultHandshakeTimeout = 10 * time.Second
	defaultMaxFrameSize     = 16 << 20
	defaultMaxFrames        = 16
)

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// serveFunc runs an established connection until it ends.
type serveFunc func(c *conn, endpoint int, remote string) error

// base owns listeners, dialers and connections of one socket; SubSocket and
// PubSocket only supply what happens on an established connection.
type base struct {
	sockType string
	net      netConfig
	sec      security
	serve    serveFunc
	log      rateLog
	st       counters

	done   chan struct{}
	ctx    context.Context // cancels dials on Close
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	listeners []net.Listener
	conns     map[net.Conn]struct{}
	endpoints []string
	wg        sync.WaitGroup
}

func newBase(sockType string, nc netConfig, sec security, logger *slog.Logger, serve serveFunc) *base {
	ctx, cancel := context.WithCancel(context.Background())
	return &base{
		sockType: sockType, net: nc, sec: sec, serve: serve, log: rateLog{l: logger},
		done: make(chan struct{}), ctx: ctx, cancel: cancel, conns: make(map[net.Conn]struct{}),
	}
}

func (b *base) bind(ep string) error {
	addr, err := parseEndpoint(ep, true)
	if err != nil {
		return fmt.Errorf("zmtp bind: %w", err)
	}
	lc := net.ListenConfig{Control: setRcvBuf(b.net.rcvBuf), KeepAliveConfig: b.net.keepAlive}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	ln, err := lc.Listen(b.ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("zmtp bind %s: %w", ep, err)
	}
	idx := len(b.endpoints)
	b.endpoints = append(b.endpoints, "tcp://"+ln.Addr().String())
	b.listeners = append(b.listeners, ln)
	b.wg.Add(1)
	go b.acceptLoop(ln, idx)
	return nil
}

func (b *base) connect(ep string) error {
	addr, err := parseEndpoint(ep, false)
	if err != nil {
		return fmt.Errorf("zmtp connect: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	idx := len(b.endpoints)
	b.endpoints = append(b.endpoints, ep)
	b.wg.Add(1)
	go b.dialLoop(addr, ep, idx)
	return nil
}

func (b *base) isClosed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

func (b *base) acceptLoop(ln net.Listener, idx int) {
	defer b.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if b.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: back off, keep serving.
			b.log.warn("zmtp accept failed", "endpoint", b.endpoint(idx), "err", err)
			if !b.sleep(50 * time.Millisecond) {
				return
			}
			continue
		}
		b.st.accepted.Add(1)
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.run(nc, idx)
		}()
	}
}

// dialLoop keeps one outbound connection alive until Close, backing off
// exponentially while the peer is unreachable or refuses the handshake.
func (b *base) dialLoop(addr, ep string, idx int) {
	defer b.wg.Done()
	d := net.Dialer{Control: setRcvBuf(b.net.rcvBuf), KeepAliveConfig: b.net.keepAlive, Timeout: b.net.handshakeTimeout}
	backoff := b.net.reconnectMin
	for {
		nc, err := d.DialContext(b.ctx, "tcp", addr)
		established := false
		if err != nil {
			if b.isClosed() {
				return
			}
			b.st.dialFailures.Add(1)
		} else {
			b.st.dialed.Add(1)
			established = b.run(nc, idx)
		}
		if established {
			backoff = b.net.reconnectMin
		}
		if !b.sleep(backoff) {
			return
		}
		if !established {
			backoff = min(backoff*2, b.net.reconnectMax)
		}
	}
}

// sleep waits d or until Close; false means closed.
func (b *base) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.done:
		return false
	}
}

func (b *base) endpoint(idx int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.endpoints[idx]
}

func (b *base) track(nc net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.conns[nc] = struct{}{}
	return true
}

func (b *base) untrack(nc net.Conn) {
	b.mu.Lock()
	delete(b.conns, nc)
	b.mu.Unlock()
}

// run handshakes and serves one connection, counting how it ends. It
// reports whether the handshake succeeded.
func (b *base) run(nc net.Conn, idx int) bool {
	if !b.track(nc) {
		nc.Close()
		return false
	}
	defer b.untrack(nc)
	defer nc.Close()
	remote := nc.RemoteAddr().String()
	c := newConn(nc, b.sockType, b.net.readBuf, b.net.writeBuf)
	if b.net.handshakeTimeout > 0 {
		_ = nc.SetDeadline(time.Now().Add(b.net.handshakeTimeout))
	}
	if err := c.handshake(&b.sec); err != nil {
		if !b.isClosed() {
			b.st.hs[hsReasonOf(err)].Add(1)
			b.log.warn("zmtp handshake failed", "endpoint", b.endpoint(idx), "remote", remote, "err", err)
		}
		return false
	}
	_ = nc.SetDeadline(time.Time{})
	b.st.handshakes.Add(1)
	b.st.peers.Add(1)
	err := b.serve(c, idx, remote)
	b.st.peers.Add(^uint64(0))
	if b.isClosed() {
		return true
	}
	b.st.disconnects.Add(1)
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		b.st.oversized.Add(1)
	case errors.Is(err, ErrProtocol):
		b.st.protocol.Add(1)
	case errors.Is(err, errTruncated):
		b.st.truncated.Add(1)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.log.warn("zmtp connection closed", "endpoint", b.endpoint(idx), "remote", remote, "err", err)
	}
	return true
}

func (b *base) endpointsCopy() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.endpoints...)
}

// close stops listeners, dialers and connections and waits for every
// goroutine of the socket to exit.
func (b *base) close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	b.cancel()
	for _, ln := range b.listeners {
		ln.Close()
	}
	for nc := range b.conns {
		nc.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
	return nil
}

// rateLog logs at most 10 lines a second so a misbehaving peer cannot
// flood the log; the number of suppressed lines is reported.
type rateLog struct {
	l          *slog.Logger
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

func (r *rateLog) warn(msg string, args ...any) {
	if r.l == nil {
		return
	}
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.window) >= time.Second {
		if r.suppressed > 0 {
			r.l.Warn("zmtp log lines suppressed", "count", r.suppressed)
		}
		r.window, r.n, r.suppressed = now, 0, 0
	}
	if r.n >= 10 {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	r.n++
	r.mu.Unlock()
	r.l.Warn(msg, args...)
}
