package zmtp

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"time"
)

// SubConfig configures a SubSocket. Zero values take the defaults noted.
type SubConfig struct {
	// Subscribe lists topic prefixes sent to every peer; nil subscribes to all.
	Subscribe []string
	// CurveServer makes the socket a CURVE server with this key pair; peers
	// must then use CURVE with its public key, and NULL peers are refused.
	CurveServer *CurveKeyPair
	// MaxFrameSize caps one frame (default 16 MiB); a larger frame closes
	// the connection.
	MaxFrameSize int
	// MaxFrames caps the frames of one message (default 16).
	MaxFrames int
	// QueueSize is the number of received messages buffered for Recv
	// (default 256). When full, readers stop reading and TCP pushes back:
	// the 8 MiB receive buffer and the sender hold the rest, so a longer
	// queue only kept more storage resident (docs/ingest-scaling.md §5.2).
	QueueSize int
	// RcvBuf is SO_RCVBUF (default 8 MiB, like ntopng); negative keeps the OS default.
	RcvBuf int
	// KeepAlive defaults to on, idle 30 s, interval 3 s, count 3 (ntopng).
	KeepAlive net.KeepAliveConfig
	// ReadBufferSize is the per-connection read buffer (default 256 KiB).
	ReadBufferSize int
	// Reconnect backoff for Connect endpoints (defaults 100 ms to 5 s).
	ReconnectMin, ReconnectMax time.Duration
	// HandshakeTimeout bounds greeting and mechanism handshake (default 10 s).
	HandshakeTimeout time.Duration
	// Logger receives rate-limited warnings; nil logs nothing.
	Logger *slog.Logger
}

// Message is one multipart message from a peer.
type Message struct {
	Frames   [][]byte
	Endpoint int    // index of the Bind/Connect call it arrived through
	Remote   string // peer address
	buf      *msgBuf
}

// SubSocket receives messages from any number of PUB peers on any number
// of endpoints.
type SubSocket struct {
	b      *base
	msgs   chan Message
	free   chan *msgBuf // storage of released messages, reused by the readers
	kept   atomic.Int64 // bytes of storage in free
	subs   [][]byte     // encoded subscribe messages
	filter [][]byte     // nil: accept all
}

// keptBytes bounds the storage of released messages a socket keeps for
// reuse. The free list is as long as the receive queue: when the receiver
// falls behind and catches up, the queue fills and drains by hundreds of
// messages, and a shorter list would let most of them become garbage.
// keptBuf is the largest message storage kept.
const (
	keptBytes = 8 << 20
	keptBuf   = 1 << 20
)

// NewSub returns an unconnected SUB socket; it does no I/O.
func NewSub(cfg SubConfig) *SubSocket {
	nc := netConfigFrom(cfg.RcvBuf, cfg.KeepAlive, cfg.ReadBufferSize, 4<<10,
		cfg.ReconnectMin, cfg.ReconnectMax, cfg.HandshakeTimeout, cfg.MaxFrameSize, cfg.MaxFrames)
	if cfg.RcvBuf == 0 {
		nc.rcvBuf = defaultRcvBuf
	}
	q := orDefault(cfg.QueueSize, 256)
	s := &SubSocket{msgs: make(chan Message, q), free: make(chan *msgBuf, q+8)}
	topics := cfg.Subscribe
	if topics == nil {
		topics = []string{""}
	}
	all := false
	for _, t := range topics {
		s.subs = append(s.subs, append([]byte{1}, t...))
		s.filter = append(s.filter, []byte(t))
		all = all || t == ""
	}
	if all {
		s.filter = nil
	}
	s.b = newBase("SUB", nc, security{curveServer: cfg.CurveServer}, cfg.Logger, s.serve)
	return s
}

func netConfigFrom(rcvBuf int, ka net.KeepAliveConfig, readBuf, writeBuf int, rmin, rmax, hs time.Duration, maxFrame, maxFrames int) netConfig {
	if ka == (net.KeepAliveConfig{}) {
		ka = defaultKeepAlive
	}
	return netConfig{
		rcvBuf:           rcvBuf,
		keepAlive:        ka,
		readBuf:          orDefault(readBuf, defaultReadBuf),
		writeBuf:         orDefault(writeBuf, defaultWriteBuf),
		reconnectMin:     orDefault(rmin, defaultReconnectMin),
		reconnectMax:     orDefault(rmax, defaultReconnectMax),
		handshakeTimeout: orDefault(hs, defaultHandshakeTimeout),
		lim: limits{
			maxFrame:  uint64(orDefault(maxFrame, defaultMaxFrameSize)),
			maxFrames: orDefault(maxFrames, defaultMaxFrames),
		},
	}
}

// Bind listens on tcp://*:port, tcp://ip:port or tcp://[ipv6]:port.
func (s *SubSocket) Bind(endpoint string) error { return s.b.bind(endpoint) }

// Connect dials tcp://host:port in the background and redials until Close.
func (s *SubSocket) Connect(endpoint string) error { return s.b.connect(endpoint) }

// Endpoints lists endpoints in Bind/Connect order; bound ones show the
// actual address (useful with port 0).
func (s *SubSocket) Endpoints() []string { return s.b.endpointsCopy() }

// Stats returns a snapshot of the counters.
func (s *SubSocket) Stats() Stats { return s.b.st.snapshot() }

// Recv blocks for the next whole message; it returns ErrClosed after Close.
func (s *SubSocket) Recv() (Message, error) { return s.RecvContext(context.Background()) }

// RecvContext is Recv that also gives up when ctx ends.
func (s *SubSocket) RecvContext(ctx context.Context) (Message, error) {
	select {
	case <-s.b.done:
		return Message{}, ErrClosed
	default:
	}
	select {
	case m := <-s.msgs:
		return m, nil
	case <-s.b.done:
		return Message{}, ErrClosed
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Close stops all endpoints and waits for their goroutines.
func (s *SubSocket) Close() error { return s.b.close() }

// Release gives m's storage back for the next messages read: without it
// every message costs an allocation the size of its frames (and the garbage
// collection that follows). m.Frames must not be used after the call.
// Releasing is optional; a message not released is left to the GC.
func (s *SubSocket) Release(m Message) {
	mb := m.buf
	if mb == nil || mb.size > keptBuf || s.kept.Load()+int64(mb.size) > keptBytes {
		return
	}
	select {
	case s.free <- mb:
		s.kept.Add(int64(mb.size))
	default: // enough kept
	}
}

// buffer returns released storage, or a new one.
func (s *SubSocket) buffer() *msgBuf {
	select {
	case mb := <-s.free:
		s.kept.Add(-int64(mb.size))
		return mb
	default:
		return &msgBuf{}
	}
}

func (s *SubSocket) serve(c *conn, idx int, remote string) error {
	for _, m := range s.subs {
		if err := c.writeMessage([][]byte{m}); err != nil {
			return err
		}
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	lim := s.b.net.lim
	var mb *msgBuf
	for {
		if mb == nil {
			mb = s.buffer()
		}
		frames, n, err := c.readMessage(lim, nil, mb)
		if mb.allocs > 0 {
			s.b.st.bufferAllocs.Add(uint64(mb.allocs))
		}
		if err != nil {
			return err
		}
		// A PUB filters for us, but XPUB peers and other stacks may not.
		if s.filter != nil && !matchAny(s.filter, frames[0]) {
			continue // mb is reused for the next message
		}
		s.b.st.messages.Add(1)
		s.b.st.bytes.Add(uint64(n))
		m := Message{Frames: frames, Endpoint: idx, Remote: remote, buf: mb}
		mb = nil // the receiver owns it now
		select {
		case s.msgs <- m:
		case <-s.b.done:
			return ErrClosed
		}
	}
}

func matchAny(prefixes [][]byte, topic []byte) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}
