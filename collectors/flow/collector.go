// Package flow is the NetFlow v5/v9, IPFIX and sFlow v5 collector: UDP
// listeners (SO_REUSEPORT, one reader goroutine per socket), a bounded
// queue per decode worker (drops counted), goflow2's decoders wrapped with
// per-exporter templates, sequence and sampling state, and the mapping of
// records onto engine flow records with nProbe's field semantics. See
// README.md.
package flow

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine"
	"flowgate/internal/ratelog"
	"flowgate/store"
)

// Configuration of one collector (one -i value, one engine interface).
type Configuration struct {
	// Addrs are the UDP addresses to listen on ("[::]:2055",
	// "0.0.0.0:6343"): several exporters' ports feeding one interface.
	Addrs []string
	// SFlow makes it an sFlow v5 socket; otherwise NetFlow v5/v9/IPFIX.
	SFlow bool
	// Readers is the number of SO_REUSEPORT sockets per address, each
	// with its reader goroutine, and of decode workers (default 2).
	// Datagrams go to the worker of their exporter's address, so each
	// exporter's templates and sequence numbers stay in one goroutine.
	Readers int
	// ReceiveBuffer is SO_RCVBUF per socket (default 32 MiB; forced past
	// net.core.rmem_max when running as root).
	ReceiveBuffer int
	// QueueLen is the datagrams a worker's queue holds (default 8192).
	QueueLen int
	// DropWhenFull drops a datagram when its worker's queue is full
	// (counted as queue_drops) instead of letting the reader wait while
	// the socket buffer absorbs the backlog (the default).
	DropWhenFull bool
	// BatchFlows: records per engine batch (default 1024).
	BatchFlows int
	// DataDir keeps templates.json across restarts ("" keeps nothing).
	DataDir string
	Logger  *slog.Logger
	Metrics prometheus.Registerer
	Now     func() time.Time
}

// DefaultConfiguration returns the defaults above.
func DefaultConfiguration() Configuration {
	return Configuration{Readers: 2, ReceiveBuffer: 32 << 20, QueueLen: 8192, BatchFlows: 1024}
}

// Collector receives one interface's flow datagrams.
type Collector struct {
	cfg   Configuration
	iface *engine.Interface
	log   *slog.Logger
	warn  *ratelog.Limiter
	reg   *registry
	dirty atomic.Bool

	conns   []*net.UDPConn
	workers []*worker
	seed    maphash.Seed

	received, queueDrops, queueWaits, readErrors atomic.Uint64
	ports                                        []int // bound, one per address

	// bufs recycles datagram copies between readers and workers (one
	// allocation per datagram otherwise).
	bufs sync.Pool

	wg     sync.WaitGroup
	cancel context.CancelFunc
	saveMu sync.Mutex
}

type datagram struct {
	b    *[]byte // from bufs when it fits datagramBuf, back there once decoded
	from netip.Addr
}

// batchHeadroom is the records a batch has room for past BatchFlows.
const batchHeadroom = 128

// datagramBuf is the pooled buffer size: exporters keep datagrams under
// the path MTU; a larger one gets a buffer of its own.
const datagramBuf = 2048

type worker struct {
	q   chan datagram
	dec *Decoder
}

// New returns an inert collector feeding iface.
func New(cfg Configuration, iface *engine.Interface) (*Collector, error) {
	def := DefaultConfiguration()
	if cfg.Readers <= 0 {
		cfg.Readers = def.Readers
	}
	if cfg.ReceiveBuffer <= 0 {
		cfg.ReceiveBuffer = def.ReceiveBuffer
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = def.QueueLen
	}
	if cfg.BatchFlows <= 0 {
		cfg.BatchFlows = def.BatchFlows
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("flow collector: no address")
	}
	for _, a := range cfg.Addrs {
		if _, err := net.ResolveUDPAddr("udp", a); err != nil {
			return nil, fmt.Errorf("flow collector: address %q: %w", a, err)
		}
	}
	log := cfg.Logger.With("ifid", iface.ID(), "interface", iface.Name())
	c := &Collector{cfg: cfg, iface: iface, log: log, warn: ratelog.New(log, 10*time.Second), reg: newRegistry(), seed: maphash.MakeSeed()}
	if err := c.registerMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("flow collector: %w", err)
	}
	return c, nil
}

// Interface is the engine interface the collector feeds.
func (c *Collector) Interface() *engine.Interface { return c.iface }

// Exporters returns the per-exporter statistics (REST flowdevices).
func (c *Collector) Exporters() []ExporterStats { return c.reg.list() }

// Totals are the collector's own counters.
type Totals struct {
	Datagrams   uint64 `json:"datagrams"`
	QueueDrops  uint64 `json:"queue_drops"`
	QueueWaits  uint64 `json:"queue_waits"` // times a reader waited for a full queue
	ReadErrors  uint64 `json:"read_errors"`
	KernelDrops uint64 `json:"kernel_drops"`
	Exporters   int    `json:"exporters"`
	Overflow    uint64 `json:"exporters_overflow"`
}

// Totals returns the collector's counters; KernelDrops is read from
// /proc/net/udp{,6} for the listening port.
func (c *Collector) Totals() Totals {
	c.reg.mu.RLock()
	n := len(c.reg.m)
	c.reg.mu.RUnlock()
	return Totals{Datagrams: c.received.Load(), QueueDrops: c.queueDrops.Load(), QueueWaits: c.queueWaits.Load(), ReadErrors: c.readErrors.Load(),
		KernelDrops: c.kernelDrops(), Exporters: n, Overflow: c.reg.over.Load()}
}

// Addr is the bound address (after Start; useful with port 0).
func (c *Collector) kernelDrops() uint64 {
	var n uint64
	for _, p := range c.ports {
		n += kernelDrops(p)
	}
	return n
}

// Addr is the first bound address (after Start; useful with port 0).
func (c *Collector) Addr() net.Addr {
	if len(c.conns) == 0 {
		return nil
	}
	return c.conns[0].LocalAddr()
}

func (c *Collector) templatesPath() string {
	if c.cfg.DataDir == "" {
		return ""
	}
	kind := "netflow"
	if c.cfg.SFlow {
		kind = "sflow"
	}
	return filepath.Join(c.cfg.DataDir, "flow", fmt.Sprintf("%s-%d", kind, c.ports[0]), "templates.json")
}

// Start binds the sockets, loads saved templates and starts the readers
// and workers.
func (c *Collector) Start() error {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
			if e := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 33 /* SO_RCVBUFFORCE */, c.cfg.ReceiveBuffer); e != nil {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, c.cfg.ReceiveBuffer)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	for _, addr := range c.cfg.Addrs {
		for i := 0; i < c.cfg.Readers; i++ {
			pc, err := lc.ListenPacket(context.Background(), "udp", addr)
			if err != nil {
				c.closeConns()
				return fmt.Errorf("flow listen %s: %w", addr, err)
			}
			conn := pc.(*net.UDPConn)
			c.conns = append(c.conns, conn)
			if i == 0 { // port 0: the others share the one the kernel picked
				la := conn.LocalAddr().(*net.UDPAddr)
				c.ports = append(c.ports, la.Port)
				addr = net.JoinHostPort(la.IP.String(), fmt.Sprint(la.Port))
			}
		}
	}
	c.loadTemplates()
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for i := 0; i < c.cfg.Readers; i++ {
		w := &worker{q: make(chan datagram, c.cfg.QueueLen), dec: newDecoder(c.reg, &c.dirty, c.cfg.Now)}
		c.workers = append(c.workers, w)
	}
	for _, w := range c.workers {
		c.wg.Add(1)
		go c.work(w, ctx.Done())
	}
	var readers sync.WaitGroup
	for _, conn := range c.conns {
		readers.Add(1)
		go c.read(conn, &readers)
	}
	go func() { readers.Wait(); c.closeQueues() }()
	c.wg.Add(1)
	go c.saver(ctx)
	c.log.Info("flow collector listening", "addr", c.conns[0].LocalAddr().String(), "sflow", c.cfg.SFlow, "sockets", len(c.conns))
	return nil
}

func (c *Collector) closeConns() {
	for _, conn := range c.conns {
		conn.Close()
	}
}

func (c *Collector) closeQueues() {
	for _, w := range c.workers {
		close(w.q)
	}
}

// Stop closes the sockets, drains the queues and saves the templates.
func (c *Collector) Stop() {
	if c.cancel == nil {
		return
	}
	c.closeConns()
	c.cancel()
	c.wg.Wait()
	c.saveTemplates()
}

// read receives datagrams on conn and hands each to the worker of its
// exporter; a full queue drops the datagram (UDP cannot wait), counted.
func (c *Collector) read(conn *net.UDPConn, done *sync.WaitGroup) {
	defer done.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.readErrors.Add(1)
			c.warn.Warn("read", "flow: receive failed", "err", err)
			continue
		}
		c.received.Add(1)
		a := from.Addr().Unmap()
		w := c.workers[maphash.Comparable(c.seed, a)%uint64(len(c.workers))]
		var p *[]byte
		if n <= datagramBuf {
			p, _ = c.bufs.Get().(*[]byte)
			if p == nil {
				b := make([]byte, 0, datagramBuf)
				p = &b
			}
			*p = append((*p)[:0], buf[:n]...)
		} else {
			b := append([]byte(nil), buf[:n]...)
			p = &b
		}
		d := datagram{b: p, from: a}
		select {
		case w.q <- d:
			continue
		default:
		}
		if c.cfg.DropWhenFull {
			c.queueDrops.Add(1)
			continue
		}
		// The reader waits: the backlog stays in the socket's receive
		// buffer (ReceiveBuffer), where an overflow is counted by the
		// kernel (kernel_drops), instead of being dropped here while
		// the buffer still has room.
		c.queueWaits.Add(1)
		w.q <- d
	}
}

// work decodes its queue into batches: a batch is enqueued when full or
// when the queue is momentarily empty. A full engine queue makes the
// worker wait (EnqueueWait), so the backlog goes back to the worker queue
// and the socket buffer, where an overflow is counted, rather than being
// dropped at the engine; after Stop (stop closed) it is dropped, counted.
func (c *Collector) work(w *worker, stop <-chan struct{}) {
	defer c.wg.Done()
	var b *engine.Batch
	flush := func() {
		if b == nil {
			return
		}
		if len(b.Flows) == 0 && len(b.Counters) == 0 {
			c.iface.Recycle(b)
		} else {
			c.iface.EnqueueWait(b, stop)
		}
		b = nil
	}
	for d := range w.q {
		if b == nil {
			b = c.iface.NewBatch()
			// Room for a full batch and a datagram more (an MTU-sized
			// datagram holds at most ~110 v9 records): growing the
			// slice of large records by appends was a third of the
			// ingest time (memmove). Not more: the garbage collector
			// scans every queued batch.
			if n := c.cfg.BatchFlows + batchHeadroom; cap(b.Flows) < n {
				b.Flows = make([]engine.FlowRecord, 0, n)
			}
		}
		if err := w.dec.Decode(*d.b, d.from, c.cfg.SFlow, b); err != nil {
			c.warn.Warn(Reason(err), "flow: bad datagram", "exporter", d.from.String(), "reason", Reason(err), "err", err)
		}
		if cap(*d.b) == datagramBuf {
			c.bufs.Put(d.b)
		}
		if len(b.Flows) >= c.cfg.BatchFlows || len(w.q) == 0 {
			flush()
		}
	}
	flush()
}

func (c *Collector) saver(ctx context.Context) {
	defer c.wg.Done()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if c.dirty.Load() {
				c.saveTemplates()
			}
		}
	}
}

// saveTemplates writes every exporter's templates atomically.
func (c *Collector) saveTemplates() {
	p := c.templatesPath()
	if p == "" {
		return
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	c.dirty.Store(false)
	f := templateFile{Exporters: map[string][]savedTemplate{}}
	c.reg.mu.RLock()
	for a, e := range c.reg.m {
		e.mu.Lock()
		t := e.tmpl
		e.mu.Unlock()
		if t != nil {
			f.Exporters[a.String()] = t.save()
		}
	}
	c.reg.mu.RUnlock()
	b, err := jsonMarshal(f)
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(p), 0o750); err == nil {
			err = store.WriteFile(p, b, 0o640)
		}
	}
	if err != nil {
		c.warn.Warn("save", "flow: templates not saved", "path", p, "err", err)
	}
}

func (c *Collector) loadTemplates() {
	p := c.templatesPath()
	if p == "" {
		return
	}
	b, err := os.ReadFile(p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("flow: templates not loaded", "path", p, "err", err)
		}
		return
	}
	f, err := decodeTemplateFile(b)
	if err != nil {
		c.log.Warn("flow: templates not loaded", "path", p, "err", err)
		return
	}
	n := 0
	for s, ts := range f.Exporters {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		e := c.reg.get(a)
		if e == nil {
			break
		}
		e.initTemplates(&c.dirty)
		e.tmpl.load(ts)
		n += len(ts)
	}
	c.log.Info("flow: templates restored", "path", p, "templates", n)
}

// DeviceRows returns Exporters as JSON objects (the REST flowdevices rows).
func (c *Collector) DeviceRows() []map[string]any {
	var rows []map[string]any
	for _, e := range c.Exporters() {
		rows = append(rows, map[string]any{
			"exporter_ip": e.Exporter, "protocol": e.Protocol, "packets": e.Packets, "flow_records": e.Records,
			"counter_samples": e.Counters, "template_misses": e.TemplateMisses, "templates": e.Templates,
			"templates_redefined": e.Redefined, "sequence_gaps": e.SequenceGaps, "lost": e.LostRecords,
			"decode_errors": e.Errors, "sampling_rate": e.SamplingRate, "interface_names": e.Interfaces, "last_seen": e.LastSeen,
		})
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	return rows
}

// SFlow tells whether the collector serves sFlow.
func (c *Collector) SFlow() bool { return c.cfg.SFlow }
