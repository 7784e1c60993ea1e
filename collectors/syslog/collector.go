// Package syslog is flowgate's syslog collector: UDP, TCP and TLS listeners
// (RFC 6587 octet-counting and newline framing), RFC 5424 / RFC 3164
// parsing with the variants devices send, and producer detection (spec
// docs/script-contract.md §2.5). It hands engine.LogEvents to an engine.LogSink (the
// Lua syslog runtime) and never blocks on it: the collector has no Lua.
package syslog

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine"
	"flowgate/internal/metrics"
	"flowgate/internal/ratelog"
)

// Transports of a listener: "" is UDP and TCP on the same port (ntopng's
// syslog://ip:port), then "udp", "tcp", "tls".
const (
	Both = ""
	UDP  = "udp"
	TCP  = "tcp"
	TLS  = "tls"
)

// Configuration of one syslog listener (one -i syslog://...). Zero fields take
// defaults.
type Configuration struct {
	Addr      string // ip:port (default ":514")
	Transport string // Both, UDP, TCP or TLS

	CertFile, KeyFile string      // TLS: PEM files (--syslog-tls-cert/--syslog-tls-key)
	TLSConfig         *tls.Config // TLS: used instead of the files when set

	UDPReaders  int           // goroutines reading the UDP socket (default 2)
	UDPBuffer   int           // SO_RCVBUF bytes asked for (default 16 MiB)
	MaxMessage  int           // bytes; longer messages are counted and skipped (default 64 KiB)
	IdleTimeout time.Duration // TCP/TLS connection without data is closed (default 5 min)
	MaxConns    int           // concurrent TCP/TLS connections (default 1024)

	Producers     map[string]string // source IP / device name / "*" → producer
	ProducersFile string            // where REST edits of the map persist ("" keeps them in memory)

	Logger *slog.Logger
	// Metrics, when set, gets the listener's families (New registers
	// them); the caller labels it with the interface (metrics.ForInterface).
	Metrics prometheus.Registerer
}

// DefaultConfiguration returns the defaults: port 514, both transports, two UDP readers, 64 KiB messages.
func DefaultConfiguration() Configuration { return Configuration{}.withDefaults() }

func (c Configuration) withDefaults() Configuration {
	if c.Addr == "" {
		c.Addr = ":514"
	}
	if c.UDPReaders <= 0 {
		c.UDPReaders = 2
	}
	if c.UDPBuffer <= 0 {
		c.UDPBuffer = 16 << 20
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = 64 << 10
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ParseURL reads the -i form syslog://ip:port[@udp|@tcp|@tls] into a
// Configuration's Addr and Transport. ntopng 4.0's syslog://producer@ip:port hint
// becomes a "*" producer map entry.
func ParseURL(s string) (Configuration, error) {
	var c Configuration
	rest, ok := strings.CutPrefix(s, "syslog://")
	if !ok {
		return c, fmt.Errorf("syslog interface %q: want syslog://ip:port[@udp|@tcp|@tls]", s)
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		switch t := strings.ToLower(rest[i+1:]); t {
		case UDP, TCP, TLS:
			c.Transport = t
			rest = rest[:i]
		}
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		c.Producers = map[string]string{"*": rest[:i]}
		rest = rest[i+1:]
	}
	_, port, err := net.SplitHostPort(rest)
	if err != nil {
		return c, fmt.Errorf("syslog interface %q: %w", s, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return c, fmt.Errorf("syslog interface %q: port %q is not a number from 0 to 65535", s, port)
	}
	c.Addr = rest
	return c, nil
}

// Stats are the listener's counters.
type Stats struct {
	Received    uint64 `json:"received"`     // messages read (all transports)
	Bytes       uint64 `json:"bytes"`        // message bytes read
	UDP         uint64 `json:"udp"`          // datagrams
	TCP         uint64 `json:"tcp"`          // TCP/TLS frames
	Malformed   uint64 `json:"malformed"`    // no parser accepted it and no "*" producer took it
	Raw         uint64 `json:"raw"`          // unparsed lines delivered raw to the "*" producer
	NoProducer  uint64 `json:"no_producer"`  // parsed, but no producer could be named
	Unhandled   uint64 `json:"unhandled"`    // a producer without a handler
	Delivered   uint64 `json:"delivered"`    // queued to a handler
	Dropped     uint64 `json:"dropped"`      // a handler's queue was full
	Oversized   uint64 `json:"oversized"`    // longer than MaxMessage (skipped, or the connection closed)
	ConnsOpen   int64  `json:"conns_open"`   // current TCP/TLS connections
	Accepted    uint64 `json:"accepted"`     // TCP/TLS connections accepted
	Rejected    uint64 `json:"rejected"`     // closed at once: MaxConns reached
	IdleClosed  uint64 `json:"idle_closed"`  // closed by IdleTimeout
	ConnErrors  uint64 `json:"conn_errors"`  // read/handshake errors and framing violations
	ReadErrors  uint64 `json:"read_errors"`  // UDP read errors
	UDPReaders  int    `json:"udp_readers"`  // configured
	MaxConns    int    `json:"max_conns"`    // configured
	MaxMessage  int    `json:"max_message"`  // configured
	Transport   string `json:"transport"`    // "udp+tcp", "udp", "tcp", "tls"
	UDPAddr     string `json:"udp_addr"`     // bound addresses
	TCPAddr     string `json:"tcp_addr"`     // "" when not listening
	UDPRcvBuf   int    `json:"udp_rcvbuf"`   // asked for
	StartedUnix int64  `json:"started_unix"` // 0 before Start
}

type counters struct {
	received, bytes, udp, tcp, malformed, raw, noProducer, unhandled, delivered, dropped,
	oversized, accepted, rejected, idleClosed, connErrors, readErrors atomic.Uint64
	connsOpen atomic.Int64
}

// Collector is one syslog listener.
type Collector struct {
	cfg  Configuration
	sink engine.LogSink
	log  *slog.Logger
	rl   *ratelog.Limiter

	producers atomic.Pointer[producerMap]
	prodMu    sync.Mutex

	c       counters
	started time.Time

	udp   *net.UDPConn
	ln    net.Listener
	conns sync.Map // net.Conn → struct{}
	wg    sync.WaitGroup
	stop  chan struct{}
}

// New returns an inert collector that will deliver to sink.
func New(cfg Configuration, sink engine.LogSink) *Collector {
	cfg = cfg.withDefaults()
	c := &Collector{cfg: cfg, sink: sink, log: cfg.Logger.With("component", "syslog", "addr", cfg.Addr)}
	c.rl = ratelog.New(c.log, 10*time.Second)
	m, err := newProducerMap(cfg.Producers)
	if err != nil {
		m, _ = newProducerMap(nil)
	}
	c.producers.Store(m)
	c.registerMetrics(cfg.Metrics)
	return c
}

// Start loads the producer map and opens the listeners.
func (c *Collector) Start() error {
	if err := c.loadProducers(); err != nil {
		return err
	}
	c.stop = make(chan struct{})
	tr := c.cfg.Transport
	if _, port, _ := net.SplitHostPort(c.cfg.Addr); tr == Both && port == "0" {
		// Any free port (tests): one that both UDP and TCP can have.
		u, l, err := bindPair(c.cfg.Addr)
		if err != nil {
			return err
		}
		c.serveUDP(u)
		c.serveTCP(l, nil)
	} else {
		if tr == Both || tr == UDP {
			if err := c.listenUDP(); err != nil {
				return err
			}
		}
		if tr != UDP {
			if err := c.listenTCP(c.cfg.Addr, tr == TLS); err != nil {
				c.closeAll()
				return err
			}
		}
	}
	c.started = time.Now()
	c.log.Info("syslog listening", "transport", c.transportName(), "udp", c.UDPAddr(), "tcp", c.TCPAddr())
	return nil
}

// Stop closes the listeners and connections and waits for their goroutines.
func (c *Collector) Stop() {
	if c.stop == nil {
		return
	}
	close(c.stop)
	c.closeAll()
	c.wg.Wait()
	c.stop = nil
}

func (c *Collector) closeAll() {
	if c.udp != nil {
		_ = c.udp.Close()
	}
	if c.ln != nil {
		_ = c.ln.Close()
	}
	c.conns.Range(func(k, _ any) bool {
		_ = k.(net.Conn).Close()
		return true
	})
}

// UDPAddr and TCPAddr are the bound addresses ("" when not listening).
func (c *Collector) UDPAddr() string {
	if c.udp == nil {
		return ""
	}
	return c.udp.LocalAddr().String()
}

// TCPAddr is the bound TCP/TLS address ("" when not listening).
func (c *Collector) TCPAddr() string {
	if c.ln == nil {
		return ""
	}
	return c.ln.Addr().String()
}

func (c *Collector) transportName() string {
	if c.cfg.Transport == Both {
		return "udp+tcp"
	}
	return c.cfg.Transport
}

// Stats returns the listener counters.
func (c *Collector) Stats() Stats {
	s := Stats{
		Received: c.c.received.Load(), Bytes: c.c.bytes.Load(), UDP: c.c.udp.Load(), TCP: c.c.tcp.Load(),
		Malformed: c.c.malformed.Load(), Raw: c.c.raw.Load(), NoProducer: c.c.noProducer.Load(),
		Unhandled: c.c.unhandled.Load(), Delivered: c.c.delivered.Load(), Dropped: c.c.dropped.Load(),
		Oversized: c.c.oversized.Load(), ConnsOpen: c.c.connsOpen.Load(), Accepted: c.c.accepted.Load(),
		Rejected: c.c.rejected.Load(), IdleClosed: c.c.idleClosed.Load(), ConnErrors: c.c.connErrors.Load(),
		ReadErrors: c.c.readErrors.Load(), UDPReaders: c.cfg.UDPReaders, MaxConns: c.cfg.MaxConns,
		MaxMessage: c.cfg.MaxMessage, Transport: c.transportName(), UDPAddr: c.UDPAddr(), TCPAddr: c.TCPAddr(),
		UDPRcvBuf: c.cfg.UDPBuffer,
	}
	if !c.started.IsZero() {
		s.StartedUnix = c.started.Unix()
	}
	return s
}

// receiver is the per-goroutine receive path: a parser and a cache of the
// last peer's string form (UDP senders are few; formatting every time
// would allocate per message).
type receiver struct {
	c        *Collector
	p        *parser
	lastPeer netip.Addr
	peerStr  string
	ev       engine.LogEvent
}

func (c *Collector) newReceiver() *receiver { return &receiver{c: c, p: newParser()} }

// handle parses, routes and delivers one message.
func (r *receiver) handle(line []byte, peer netip.Addr) {
	c := r.c
	c.c.received.Add(1)
	c.c.bytes.Add(uint64(len(line)))
	p := r.p.parse(line)
	producer := c.route(&p, peer)
	if p.raw {
		if producer == "" {
			c.c.malformed.Add(1)
			c.rl.Warn("malformed", "syslog: malformed message (no parser accepted it, no \"*\" producer)", "peer", peer.String(), "len", len(line))
			return
		}
		c.c.raw.Add(1)
	}
	if producer == "" {
		c.c.noProducer.Add(1)
		return
	}
	if peer != r.lastPeer || r.peerStr == "" {
		r.lastPeer, r.peerStr = peer, peer.String()
	}
	ev := &r.ev
	*ev = engine.LogEvent{Producer: producer, Message: p.content, Peer: peer, Device: p.device, App: p.app,
		Time: p.time, Raw: p.raw, Priority: p.priority, Host: r.peerStr}
	if p.priority < 0 {
		// RFC 3164 §4.3.3: a relay gives a message without PRI the
		// priority 13 (user.notice); 0 would read as an emergency.
		ev.Priority = 13
	}
	if p.device != "" {
		ev.Host = p.device
	}
	switch c.sink.Deliver(ev) {
	case engine.LogQueued:
		c.c.delivered.Add(1)
	case engine.LogNoHandler:
		c.c.unhandled.Add(1)
	case engine.LogDropped:
		c.c.dropped.Add(1)
	}
}

func (c *Collector) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// registerMetrics adds the listener's flowgate_syslog_* families to r
// (labelled by the caller with the interface's ifid).
func (c *Collector) registerMetrics(r prometheus.Registerer) {
	counter := func(name, help string, v func(*Stats) uint64) metrics.Family[Stats] {
		return metrics.Counter("flowgate_syslog_"+name+"_total", help, v)
	}
	metrics.MustRegister(r, metrics.NewCollector(c.Stats,
		counter("received", "Syslog messages read.", func(s *Stats) uint64 { return s.Received }),
		counter("bytes", "Syslog message bytes read.", func(s *Stats) uint64 { return s.Bytes }),
		counter("malformed", "Messages no parser accepted and no \"*\" producer took.", func(s *Stats) uint64 { return s.Malformed }),
		counter("raw", "Unparsed messages delivered raw to the \"*\" producer.", func(s *Stats) uint64 { return s.Raw }),
		counter("no_producer", "Messages for which no producer could be named.", func(s *Stats) uint64 { return s.NoProducer }),
		counter("unhandled", "Messages of a producer without a handler.", func(s *Stats) uint64 { return s.Unhandled }),
		counter("delivered", "Messages queued to a handler.", func(s *Stats) uint64 { return s.Delivered }),
		counter("dropped", "Messages dropped: the handler queue was full.", func(s *Stats) uint64 { return s.Dropped }),
		counter("oversized", "Messages over the maximum size.", func(s *Stats) uint64 { return s.Oversized }),
		counter("conns_accepted", "TCP/TLS connections accepted.", func(s *Stats) uint64 { return s.Accepted }),
		counter("conns_rejected", "TCP/TLS connections refused at the limit.", func(s *Stats) uint64 { return s.Rejected }),
		counter("conns_idle_closed", "TCP/TLS connections closed when idle.", func(s *Stats) uint64 { return s.IdleClosed }),
		counter("conn_errors", "TCP/TLS read, handshake and framing errors.", func(s *Stats) uint64 { return s.ConnErrors }),
		counter("read_errors", "UDP read errors.", func(s *Stats) uint64 { return s.ReadErrors }),
		metrics.Gauge("flowgate_syslog_conns_open", "Open TCP/TLS connections.", func(s *Stats) float64 { return float64(s.ConnsOpen) }),
	))
}
