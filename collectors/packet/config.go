package packet

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Configuration sets up one packet interface. Zero fields take DefaultConfiguration's values.
type Configuration struct {
	// Source is a network interface name (live capture) or, when File is
	// true, the path of a pcap or pcapng file.
	Source string
	File   bool

	Filter  string // -B: see Filter for the accepted syntax
	SnapLen int    // bytes kept per packet on live capture

	// Pace replays a file at its recorded speed instead of as fast as it
	// can be read.
	Pace bool
	// KeepFileTime exports a file's flows with their recorded timestamps.
	// By default a replay is moved to the present (the first packet is
	// "now"), so the engine's idle rule, which runs on the wall clock, does
	// not expire a replayed flow between two of its updates.
	KeepFileTime bool

	ExportInterval time.Duration // how often pending flow deltas are exported
	IdleTimeout    time.Duration // a flow with no packet for this long ends
	ActiveTimeout  time.Duration // a flow older than this ends (and restarts), as nProbe's lifetime timeout
	CloseGrace     time.Duration // a TCP flow ends this long after its RST or second FIN
	DetectTimeout  time.Duration // a flow still unclassified after this is exported with the port guess
	MaxFlows       int           // flows tracked; beyond, packets of new flows are counted and dropped
	BatchSize      int           // flow records per engine batch

	// Live capture ring (AF_PACKET TPACKET_V3): block size and count.
	RingBlockSize int
	RingBlocks    int
	// FanoutGroup > 0 joins an AF_PACKET fanout group (hash) of that id, so
	// several flowgate processes or sockets can share an interface.
	FanoutGroup uint16

	Logger *slog.Logger // nil: slog.Default()
	Now    func() time.Time
	// Metrics, when set, gets the interface's flowgate_packet_* families
	// (metrics.go); New registers them.
	Metrics prometheus.Registerer
}

// DefaultConfiguration returns the defaults: 1 s exports, nProbe's 30 s idle and
// 120 s lifetime timeouts, a 4 MiB ring.
func DefaultConfiguration() Configuration {
	return Configuration{
		SnapLen:        1600,
		ExportInterval: time.Second,
		IdleTimeout:    30 * time.Second,
		ActiveTimeout:  120 * time.Second,
		CloseGrace:     2 * time.Second,
		DetectTimeout:  5 * time.Second,
		MaxFlows:       131072,
		BatchSize:      256,
		RingBlockSize:  1 << 20,
		RingBlocks:     4,
		Now:            time.Now,
	}
}

func (c Configuration) withDefaults() Configuration {
	d := DefaultConfiguration()
	pos := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	dur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pos(&c.SnapLen, d.SnapLen)
	pos(&c.MaxFlows, d.MaxFlows)
	pos(&c.BatchSize, d.BatchSize)
	pos(&c.RingBlockSize, d.RingBlockSize)
	pos(&c.RingBlocks, d.RingBlocks)
	dur(&c.ExportInterval, d.ExportInterval)
	dur(&c.IdleTimeout, d.IdleTimeout)
	dur(&c.ActiveTimeout, d.ActiveTimeout)
	dur(&c.CloseGrace, d.CloseGrace)
	dur(&c.DetectTimeout, d.DetectTimeout)
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// IsCaptureFile tells whether an -i value names a capture file rather than
// an interface: it ends in .pcap, .pcapng or .cap (any case).
func IsCaptureFile(s string) bool {
	l := strings.ToLower(s)
	return strings.HasSuffix(l, ".pcap") || strings.HasSuffix(l, ".pcapng") || strings.HasSuffix(l, ".cap")
}

// Stats counts what the packet interface did. Safe for concurrent reads.
type Stats struct {
	Packets, Bytes     atomic.Uint64 // packets read (wire bytes)
	Filtered           atomic.Uint64 // packets the filter left out
	NonIP              atomic.Uint64 // well-formed packets without IP (ARP, LLDP, ...)
	Malformed          atomic.Uint64 // packets that failed to decode (by reason: MalformedByReason)
	Fragments          atomic.Uint64 // IP fragments
	FragmentsOrphan    atomic.Uint64 // later fragments whose first fragment was not seen
	FlowsCreated       atomic.Uint64
	FlowsEnded         atomic.Uint64
	TableFull          atomic.Uint64 // packets dropped: flow table full
	Records            atomic.Uint64 // flow records exported
	Batches            atomic.Uint64 // batches handed to the engine
	BatchDrops         atomic.Uint64 // batches the engine queue refused (live capture)
	TCPRetransmissions atomic.Uint64
	TCPOutOfOrder      atomic.Uint64
	TCPZeroWindow      atomic.Uint64
	L7DNS, L7HTTP      atomic.Uint64 // flows classified by each dissector
	L7TLS, L7QUIC      atomic.Uint64
	ReadErrors         atomic.Uint64 // capture read errors (truncated file, socket error)
	KernelDrops        atomic.Uint64 // AF_PACKET drops reported by the kernel

	mu        sync.Mutex
	malformed map[string]uint64
}

func (s *Stats) addMalformed(reason string) {
	s.Malformed.Add(1)
	s.mu.Lock()
	if s.malformed == nil {
		s.malformed = make(map[string]uint64)
	}
	s.malformed[reason]++
	s.mu.Unlock()
}

// MalformedByReason returns a copy of the malformed-packet counts by reason.
func (s *Stats) MalformedByReason() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]uint64, len(s.malformed))
	for k, v := range s.malformed {
		m[k] = v
	}
	return m
}

func (s *Stats) countL7(app uint16) {
	switch app {
	case ndpiDNS:
		s.L7DNS.Add(1)
	case ndpiHTTP:
		s.L7HTTP.Add(1)
	case ndpiTLS:
		s.L7TLS.Add(1)
	case ndpiQUIC:
		s.L7QUIC.Add(1)
	}
}
