package zmtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// PubConfig configures a PubSocket. Zero values take the defaults noted.
type PubConfig struct {
	// CurveServerKey makes the socket a CURVE client of that server.
	CurveServerKey *[32]byte
	// CurveClient is the long-term client key; nil generates one per socket.
	CurveClient *CurveKeyPair
	// SendHWM is the per-peer queue length in messages (default 1000).
	SendHWM int
	// DropOnHWM drops (and counts) messages for a peer whose queue is full
	// instead of blocking Send, which is the default.
	DropOnHWM bool
	// WriteBufferSize is the per-connection write buffer (default 256 KiB).
	WriteBufferSize int
	// Linger bounds how long Close waits to flush queued messages (default 1 s).
	Linger time.Duration
	// KeepAlive, reconnect and handshake settings as in SubConfig.
	KeepAlive                  net.KeepAliveConfig
	ReconnectMin, ReconnectMax time.Duration
	HandshakeTimeout           time.Duration
	// Logger receives rate-limited warnings; nil logs nothing.
	Logger *slog.Logger
}

// PubSocket sends multipart messages to every subscribed peer.
type PubSocket struct {
	b       *base
	cfg     PubConfig
	keyOnce sync.Once
	keyErr  error

	mu    sync.Mutex // serialises changes to peers
	peers atomic.Pointer[[]*pubPeer]
}

type pubItem struct {
	frames [][]byte
	ack    chan struct{} // a Flush marker when set
}

type pubPeer struct {
	q    chan pubItem
	subs atomic.Pointer[[][]byte] // written only by the peer's reader
	gone chan struct{}
}

// NewPub returns an unconnected PUB socket; it does no I/O.
func NewPub(cfg PubConfig) *PubSocket {
	cfg.SendHWM = orDefault(cfg.SendHWM, 1000)
	cfg.Linger = orDefault(cfg.Linger, time.Second)
	// Upstream traffic is only subscriptions, so small limits suffice.
	nc := netConfigFrom(-1, cfg.KeepAlive, 16<<10, cfg.WriteBufferSize,
		cfg.ReconnectMin, cfg.ReconnectMax, cfg.HandshakeTimeout, 64<<10, 4)
	p := &PubSocket{cfg: cfg}
	p.peers.Store(&[]*pubPeer{})
	sec := security{}
	if cfg.CurveServerKey != nil {
		sk := *cfg.CurveServerKey
		sec.serverKey = &sk
		sec.clientKey = cfg.CurveClient
	}
	p.b = newBase("PUB", nc, sec, cfg.Logger, p.serve)
	return p
}

// ensureKey generates the ephemeral long-term client key on first use.
func (p *PubSocket) ensureKey() error {
	if p.b.sec.serverKey == nil || p.b.sec.clientKey != nil {
		return nil
	}
	p.keyOnce.Do(func() {
		kp, err := GenerateKeyPair()
		if err != nil {
			p.keyErr = err
			return
		}
		p.b.sec.clientKey = &kp
	})
	return p.keyErr
}

// Bind listens like SubSocket.Bind.
func (p *PubSocket) Bind(endpoint string) error {
	if err := p.ensureKey(); err != nil {
		return fmt.Errorf("zmtp bind %s: %w", endpoint, err)
	}
	return p.b.bind(endpoint)
}

// Connect dials like SubSocket.Connect.
func (p *PubSocket) Connect(endpoint string) error {
	if err := p.ensureKey(); err != nil {
		return fmt.Errorf("zmtp connect %s: %w", endpoint, err)
	}
	return p.b.connect(endpoint)
}

// Endpoints lists endpoints in Bind/Connect order.
func (p *PubSocket) Endpoints() []string { return p.b.endpointsCopy() }

// Stats returns a snapshot of the counters.
func (p *PubSocket) Stats() Stats { return p.b.st.snapshot() }

// Subscribers is the number of peers with at least one subscription.
func (p *PubSocket) Subscribers() int {
	n := 0
	for _, pp := range *p.peers.Load() {
		if len(*pp.subs.Load()) > 0 {
			n++
		}
	}
	return n
}

// WaitSubscribers waits until n peers have subscribed, so that the first
// messages are not lost to ZMQ's "slow joiner" effect.
func (p *PubSocket) WaitSubscribers(ctx context.Context, n int) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for p.Subscribers() < n {
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("zmtp: waiting for %d subscribers (have %d): %w", n, p.Subscribers(), ctx.Err())
		case <-p.b.done:
			return ErrClosed
		}
	}
	return nil
}

// Send queues a multipart message for every peer whose subscription is a
// prefix of frame 0. The frames are copied, so the caller may reuse them.
// With a full peer queue Send blocks, unless DropOnHWM is set.
func (p *PubSocket) Send(frames ...[]byte) error {
	if len(frames) == 0 {
		return errors.New("zmtp send: no frames")
	}
	if p.b.isClosed() {
		return ErrClosed
	}
	var msg [][]byte
	for _, pp := range *p.peers.Load() {
		if !matchAny(*pp.subs.Load(), frames[0]) {
			continue
		}
		if msg == nil {
			msg = copyFrames(frames)
		}
		it := pubItem{frames: msg}
		if p.cfg.DropOnHWM {
			select {
			case pp.q <- it:
			default:
				p.b.st.dropped.Add(1)
			}
			continue
		}
		select {
		case pp.q <- it:
		case <-pp.gone:
		case <-p.b.done:
			return ErrClosed
		}
	}
	return nil
}

// copyFrames copies all frames into one allocation.
func copyFrames(frames [][]byte) [][]byte {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(frames))
	for i, f := range frames {
		buf = append(buf, f...)
		out[i] = buf[len(buf)-len(f) : len(buf) : len(buf)]
	}
	return out
}

// Flush waits until every message queued so far is written to the sockets
// of the peers still connected.
func (p *PubSocket) Flush() error { return p.flush(context.Background()) }

func (p *PubSocket) flush(ctx context.Context) error {
	type pending struct {
		pp  *pubPeer
		ack chan struct{}
	}
	var waits []pending
	for _, pp := range *p.peers.Load() {
		ack := make(chan struct{})
		select {
		case pp.q <- pubItem{ack: ack}:
			waits = append(waits, pending{pp, ack})
		case <-pp.gone:
		case <-p.b.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, w := range waits {
		select {
		case <-w.ack:
		case <-w.pp.gone:
		case <-p.b.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close flushes for at most Linger, then closes everything.
func (p *PubSocket) Close() error {
	if !p.b.isClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Linger)
		_ = p.flush(ctx)
		cancel()
	}
	return p.b.close()
}

func (p *PubSocket) setPeers(update func([]*pubPeer) []*pubPeer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.peers.Load()
	next := update(append([]*pubPeer(nil), old...))
	p.peers.Store(&next)
}

func (p *PubSocket) serve(c *conn, _ int, _ string) error {
	pp := &pubPeer{q: make(chan pubItem, p.cfg.SendHWM), gone: make(chan struct{})}
	pp.subs.Store(&[][]byte{})
	p.setPeers(func(ps []*pubPeer) []*pubPeer { return append(ps, pp) })
	werr := make(chan error, 1)
	go func() { werr <- p.writer(c, pp) }()

	err := p.reader(c, pp)
	close(pp.gone)
	p.setPeers(func(ps []*pubPeer) []*pubPeer {
		for i, x := range ps {
			if x == pp {
				return append(ps[:i], ps[i+1:]...)
			}
		}
		return ps
	})
	c.nc.Close() // unblocks a writer stuck on a slow peer
	<-werr       // the reader's error (never nil) says why the peer ended
	return err
}

// writer drains the peer queue, flushing only when the queue is empty so
// that bursts go out in large writes.
func (p *PubSocket) writer(c *conn, pp *pubPeer) error {
	for {
		var it pubItem
		select {
		case it = <-pp.q:
		case <-pp.gone:
			return nil
		}
		if it.ack != nil {
			err := c.w.Flush()
			close(it.ack)
			if err != nil {
				c.nc.Close()
				return err
			}
			continue
		}
		if err := c.writeMessage(it.frames); err != nil {
			c.nc.Close()
			return err
		}
		n := 0
		for _, f := range it.frames {
			n += len(f)
		}
		p.b.st.messages.Add(1)
		p.b.st.bytes.Add(uint64(n))
		if len(pp.q) == 0 {
			if err := c.w.Flush(); err != nil {
				c.nc.Close()
				return err
			}
		}
	}
}

// reader applies subscriptions: 0x01/0x00-prefixed messages (ZMTP 3.0) or
// SUBSCRIBE/CANCEL commands (ZMTP 3.1). Anything else is ignored, as libzmq does.
func (p *PubSocket) reader(c *conn, pp *pubPeer) error {
	onCmd := func(name, data []byte) error {
		switch string(name) {
		case "SUBSCRIBE":
			pp.subscribe(data)
		case "CANCEL":
			pp.cancel(data)
		}
		return nil
	}
	for {
		frames, _, err := c.readMessage(p.b.net.lim, onCmd, nil)
		if err != nil {
			return err
		}
		if len(frames) != 1 || len(frames[0]) == 0 {
			continue
		}
		switch f := frames[0]; f[0] {
		case 1:
			pp.subscribe(f[1:])
		case 0:
			pp.cancel(f[1:])
		}
	}
}

func (pp *pubPeer) subscribe(topic []byte) {
	old := *pp.subs.Load()
	next := append(old[:len(old):len(old)], bytes.Clone(topic))
	if next[len(next)-1] == nil {
		next[len(next)-1] = []byte{}
	}
	pp.subs.Store(&next)
}

func (pp *pubPeer) cancel(topic []byte) {
	old := *pp.subs.Load()
	for i, t := range old {
		if bytes.Equal(t, topic) {
			next := append(append([][]byte(nil), old[:i]...), old[i+1:]...)
			pp.subs.Store(&next)
			return
		}
	}
}
