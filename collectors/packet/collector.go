package packet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"flowgate/engine"
	"flowgate/internal/ratelog"
)

// Collector is one packet interface: a live interface or a capture file
// turned into flow records for one engine interface.
type Collector struct {
	cfg    Configuration
	iface  *engine.Interface
	filter *Filter
	stats  Stats
	log    *ratelog.Limiter

	src     source
	stop    chan struct{}
	done    chan struct{}
	stopped sync.Once
	started atomic.Bool
	err     atomic.Pointer[error]
}

// source is an open capture: ZeroCopyRead data is valid until the next call.
type source interface {
	read() ([]byte, gopacket.CaptureInfo, error)
	linkType() layers.LinkType
	close()
}

// New checks cfg and returns an inert collector for iface (created by the
// caller with kind "packet" or "pcap"). It does no I/O.
func New(cfg Configuration, iface *engine.Interface) (*Collector, error) {
	cfg = cfg.withDefaults()
	if cfg.Source == "" {
		return nil, errors.New("packet interface: no interface name or capture file")
	}
	if iface == nil {
		return nil, errors.New("packet interface: no engine interface")
	}
	f, err := CompileFilter(cfg.Filter)
	if err != nil {
		return nil, err
	}
	c := &Collector{
		cfg: cfg, iface: iface, filter: f,
		log:  ratelog.New(cfg.Logger, 10*time.Second),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	if err := c.registerMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("packet interface: %w", err)
	}
	return c, nil
}

// Stats returns the collector's counters.
func (c *Collector) Stats() *Stats { return &c.stats }

// Done is closed when the collector's goroutine has ended: at the end of a
// capture file, after a fatal read error, or after Stop.
func (c *Collector) Done() <-chan struct{} { return c.done }

// Err returns the error that ended the capture (nil at a clean end of file
// or after Stop).
func (c *Collector) Err() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Start opens the capture (the interface must exist; the file must be a
// pcap or pcapng capture) and runs it in its own goroutine.
func (c *Collector) Start() error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("packet interface: already started")
	}
	var err error
	if c.cfg.File {
		c.src, err = openFile(c.cfg.Source)
	} else {
		c.src, err = openLive(c.cfg)
	}
	if err != nil {
		c.iface.Collector().AddDecodeError("open")
		c.stats.ReadErrors.Add(1)
		close(c.done)
		return err
	}
	first, ok := linkLayer(c.src.linkType())
	if !ok {
		c.src.close()
		close(c.done)
		return fmt.Errorf("packet interface %s: unsupported link type %v", c.cfg.Source, c.src.linkType())
	}
	go c.run(first)
	return nil
}

// drainFor bounds the drain of a live capture at Stop.
const drainFor = 500 * time.Millisecond

// Stop ends the capture, exports pending flow deltas and waits. It may be
// called whether or not Start was, or succeeded.
func (c *Collector) Stop() {
	c.stopped.Do(func() { close(c.stop) })
	if c.started.Load() {
		<-c.done
	}
}

func (c *Collector) run(first gopacket.LayerType) {
	defer close(c.done)
	defer c.src.close()
	out := &batchSink{iface: c.iface, size: c.cfg.BatchSize, lossless: c.cfg.File, stats: &c.stats}
	t := newTracker(c.cfg, &c.stats, out)
	d := newDecoder(first)
	var p pkt
	var wallStart time.Time
	var fileStart int64
	// A live capture that is told to stop first drains what the kernel
	// already holds (until a poll finds nothing, at most drainFor), so the
	// last packets before Stop are counted.
	var drainUntil time.Time
	for n := 0; ; n++ {
		if n&255 == 0 && drainUntil.IsZero() {
			select {
			case <-c.stop:
				if c.cfg.File {
					t.flushAll()
					return
				}
				drainUntil = time.Now().Add(drainFor)
			default:
			}
		}
		if !drainUntil.IsZero() && time.Now().After(drainUntil) {
			t.flushAll()
			return
		}
		data, ci, err := c.src.read()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) {
				if !drainUntil.IsZero() {
					t.flushAll()
					return
				}
				t.idle(c.cfg.Now().UnixNano() - t.offset)
				c.kernelStats()
				n = -1 // look at the stop channel now
				continue
			}
			t.flushAll()
			if !errors.Is(err, io.EOF) {
				// A truncated or corrupt capture ends here; what was read is kept.
				c.stats.ReadErrors.Add(1)
				c.iface.Collector().AddDecodeError("capture_read")
				err = fmt.Errorf("packet interface %s: after %d packets: %w", c.cfg.Source, c.stats.Packets.Load(), err)
				c.err.Store(&err)
				c.log.Warn("read", "packet capture ended early", "err", err)
			}
			return
		}
		ts := ci.Timestamp.UnixNano()
		if c.cfg.File && n == 0 {
			wallStart, fileStart = c.cfg.Now(), ts
			if !c.cfg.KeepFileTime {
				t.offset = wallStart.UnixNano() - fileStart
			}
		}
		if c.cfg.File && c.cfg.Pace && !c.pace(wallStart, time.Duration(ts-fileStart)) {
			t.flushAll()
			return
		}
		c.packet(d, t, &p, data, ci.Length, ts)
	}
}

// pace waits until the recorded offset of a packet has elapsed since the
// replay started; it returns false when stopped meanwhile.
func (c *Collector) pace(start time.Time, at time.Duration) bool {
	wait := at - c.cfg.Now().Sub(start)
	if wait <= 0 {
		return true
	}
	tm := time.NewTimer(wait)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-c.stop:
		return false
	}
}

// packet decodes, filters and tracks one packet.
func (c *Collector) packet(d *decoder, t *tracker, p *pkt, data []byte, wireLen int, ts int64) {
	c.stats.Packets.Add(1)
	c.stats.Bytes.Add(uint64(wireLen))
	if len(data) > c.cfg.SnapLen && !c.cfg.File {
		data = data[:c.cfg.SnapLen]
	}
	ok, reason := d.decode(data, p)
	if !ok {
		if reason == "" {
			c.stats.NonIP.Add(1)
		} else {
			c.stats.addMalformed(reason)
			c.iface.Collector().AddDecodeError("packet_" + reason)
		}
		return
	}
	if !c.filter.match(p) {
		c.stats.Filtered.Add(1)
		return
	}
	p.wireLen, p.ts = uint64(wireLen), ts
	t.packet(p)
}

func (c *Collector) kernelStats() {
	if l, ok := c.src.(*liveSource); ok {
		if _, v3, err := l.tp.SocketStats(); err == nil {
			c.stats.KernelDrops.Store(uint64(v3.Drops()))
		}
	}
}

// idle advances the tracker's clock while no packet arrives (live capture).
func (t *tracker) idle(now int64) {
	if now > t.now {
		t.now = now
	}
	if t.nextTick != 0 && t.now >= t.nextTick {
		t.sweep()
	}
}

// batchSink fills engine batches. A file replay hands them over with
// Process, which waits for the engine (no loss, the reader slows down); a
// live capture enqueues without blocking and counts refused batches.
type batchSink struct {
	iface    *engine.Interface
	b        *engine.Batch
	size     int
	lossless bool
	stats    *Stats
}

func (s *batchSink) record() *engine.FlowRecord {
	if s.b != nil && len(s.b.Flows) >= s.size {
		s.flush()
	}
	if s.b == nil {
		s.b = s.iface.NewBatch()
	}
	return s.b.AddFlow()
}

func (s *batchSink) flush() {
	b := s.b
	if b == nil || len(b.Flows) == 0 {
		return
	}
	s.b = nil
	n := uint64(len(b.Flows))
	s.iface.Collector().FlowRecords.Add(n)
	s.stats.Batches.Add(1)
	if s.lossless {
		s.iface.Process(b)
	} else if !s.iface.Enqueue(b) {
		s.stats.BatchDrops.Add(1)
	}
}

type fileSource struct {
	f   *os.File
	pr  *pcapgo.Reader
	ng  *pcapgo.NgReader
	lnk layers.LinkType
}

// openFile opens a pcap or pcapng capture; anything else is a clear error.
func openFile(path string) (source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("packet interface: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<16)
	magic, _ := br.Peek(4)
	s := &fileSource{f: f}
	if len(magic) == 4 && magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a {
		s.ng, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err == nil {
			s.lnk = s.ng.LinkType()
		}
	} else {
		s.pr, err = pcapgo.NewReader(br)
		if err == nil {
			s.lnk = s.pr.LinkType()
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("packet interface: %s is not a pcap or pcapng capture: %w", path, err)
	}
	return s, nil
}

func (s *fileSource) read() ([]byte, gopacket.CaptureInfo, error) {
	if s.ng != nil {
		return s.ng.ZeroCopyReadPacketData()
	}
	return s.pr.ZeroCopyReadPacketData()
}

func (s *fileSource) linkType() layers.LinkType { return s.lnk }
func (s *fileSource) close()                    { s.f.Close() }

type liveSource struct{ tp *afpacket.TPacket }

// openLive opens an AF_PACKET TPACKET_V3 ring on an existing interface.
func openLive(cfg Configuration) (source, error) {
	if _, err := net.InterfaceByName(cfg.Source); err != nil {
		return nil, fmt.Errorf("packet interface: no network interface %q: %w", cfg.Source, err)
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(cfg.Source),
		afpacket.OptBlockSize(cfg.RingBlockSize),
		afpacket.OptNumBlocks(cfg.RingBlocks),
		afpacket.OptPollTimeout(100*time.Millisecond),
		afpacket.OptBlockTimeout(20*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("packet interface %s: AF_PACKET capture (needs root or CAP_NET_RAW): %w", cfg.Source, err)
	}
	if cfg.FanoutGroup > 0 {
		if err := tp.SetFanout(afpacket.FanoutHash, cfg.FanoutGroup); err != nil {
			tp.Close()
			return nil, fmt.Errorf("packet interface %s: fanout group %d: %w", cfg.Source, cfg.FanoutGroup, err)
		}
	}
	return &liveSource{tp: tp}, nil
}

func (s *liveSource) read() ([]byte, gopacket.CaptureInfo, error) {
	return s.tp.ZeroCopyReadPacketData()
}

func (s *liveSource) linkType() layers.LinkType { return layers.LinkTypeEthernet }
func (s *liveSource) close()                    { s.tp.Close() }
