// Package zmq is the nProbe ZMQ collector: it subscribes to the endpoints
// of one engine interface, tells header versions and payload encodings
// apart, accounts for lost messages per probe, and turns every topic into
// engine records (docs/zmq-wire.md §1–§4). Receiving and decoding run in the
// collector's goroutine; batches reach the engine through the interface's
// bounded queue. When that queue is full the collector waits (unless
// DropOnFullQueue): TCP and the probe's high-water mark hold the data back,
// and what a probe drops at its high-water mark shows as msg_id gaps.
package zmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/collectors/zmq/wire"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/engine"
	"flowgate/internal/ratelog"
)

// Configuration of one collector (one engine interface).
type Configuration struct {
	Endpoints []Endpoint
	// Curve makes the sockets CURVE servers with this key pair.
	Curve *zmtp.CurveKeyPair
	// MaxPayload is the largest payload frame accepted (default 4 MiB);
	// ntopng's own limit is 128 KiB, flowgate is more liberal.
	MaxPayload int
	// MaxDecompressed caps a decompressed payload (default 16 MiB).
	MaxDecompressed int
	// ProbeExpiry forgets the msg_id sequence of a silent source (default 10 s).
	ProbeExpiry time.Duration
	Logger      *slog.Logger
	Now         func() time.Time
	// Metrics, when set, gets the collector's families (metrics.go),
	// labelled with its interface; New registers them.
	Metrics prometheus.Registerer
	// DropOnFullQueue drops a batch the engine's queue cannot take, counted
	// as queue_full, as collectors on transports that cannot wait (UDP)
	// must. The default, false, waits for the engine: the reader stops
	// reading, so ZMTP/TCP and the sender's high-water mark absorb the
	// stall; a PUB that drops at its high-water mark shows as msg_id gaps
	// (flowgate_zmq_lost_messages_total), a blocking one slows down.
	DropOnFullQueue bool
}

// DefaultConfiguration returns the defaults of docs/zmq-wire.md §1.5 and §2.6.
func DefaultConfiguration() Configuration {
	return Configuration{
		MaxPayload:      4 << 20,
		MaxDecompressed: 16 << 20,
		ProbeExpiry:     10 * time.Second,
	}
}

// Collector receives one interface's ZMQ messages.
type Collector struct {
	cfg   Configuration
	iface *engine.Interface
	stats *engine.CollectorStats
	log   *slog.Logger
	warn  *ratelog.Limiter

	sub     *zmtp.SubSocket
	dec     *wire.Decoder
	zbuf    []byte // decompressed payloads, reused (decoded records keep no byte of it)
	probes  map[uint32]*probeSeq
	lastGC  time.Time
	batch   *engine.Batch
	missing bool // template warning given

	mu        sync.Mutex
	snmpIf    map[string]map[uint32]string // exporter → ifIndex → name (snmp-ifaces)
	fieldMaps map[string]wire.Option       // "pen.field.value" → option (option topic)

	cancel   context.CancelFunc
	done     chan struct{}
	stop     chan struct{} // closed by Stop: ends a wait on the engine's queue
	stopOnce sync.Once
}

type probeSeq struct {
	last uint32
	seen time.Time
}

// New returns an inert collector feeding iface.
func New(cfg Configuration, iface *engine.Interface) (*Collector, error) {
	def := DefaultConfiguration()
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = def.MaxPayload
	}
	if cfg.MaxDecompressed <= 0 {
		cfg.MaxDecompressed = def.MaxDecompressed
	}
	if cfg.ProbeExpiry <= 0 {
		cfg.ProbeExpiry = def.ProbeExpiry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("zmq collector: no endpoint")
	}
	log := cfg.Logger.With("ifid", iface.ID(), "interface", iface.Name())
	c := &Collector{
		cfg:       cfg,
		iface:     iface,
		stats:     iface.Collector(),
		log:       log,
		warn:      ratelog.New(log, 10*time.Second),
		dec:       wire.NewDecoder(wire.Config{}),
		probes:    map[uint32]*probeSeq{},
		snmpIf:    map[string]map[uint32]string{},
		fieldMaps: map[string]wire.Option{},
		done:      make(chan struct{}),
		stop:      make(chan struct{}),
	}
	// Records are decoded straight into the batch being filled.
	c.dec.SetTarget(func() *engine.FlowRecord { return c.batch.AddFlow() })
	if err := c.registerMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("zmq collector: %w", err)
	}
	return c, nil
}

// Start binds or connects every endpoint and starts receiving.
func (c *Collector) Start() error {
	sc := zmtp.SubConfig{Logger: c.log}
	if c.cfg.Curve != nil {
		sc.CurveServer = c.cfg.Curve
		c.iface.SetPublicKeyHex(zmtp.PublicKeyHex(*c.cfg.Curve))
	}
	c.sub = zmtp.NewSub(sc)
	for _, ep := range c.cfg.Endpoints {
		var err error
		if ep.Bind {
			err = c.sub.Bind(ep.Addr)
		} else {
			err = c.sub.Connect(ep.Addr)
		}
		if err != nil {
			c.sub.Close()
			return fmt.Errorf("zmq %s: %w", ep, err)
		}
		c.log.Info("zmq endpoint ready", "endpoint", ep.String(), "bind", ep.Bind, "curve", c.cfg.Curve != nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(ctx)
	return nil
}

// Stop closes the sockets and waits for the receive loop to end.
func (c *Collector) Stop() {
	c.stopOnce.Do(func() { close(c.stop) })
	if c.cancel == nil {
		return
	}
	c.cancel()
	c.sub.Close()
	<-c.done
}

// Socket exposes the socket's transport counters (connections, handshake
// failures, bytes).
func (c *Collector) Socket() zmtp.Stats {
	if c.sub == nil {
		return zmtp.Stats{}
	}
	return c.sub.Stats()
}

// SNMPInterfaceNames returns the interface names probes announced with
// snmp-ifaces for one exporter (ifIndex → name).
func (c *Collector) SNMPInterfaceNames(exporter string) map[uint32]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[uint32]string, len(c.snmpIf[exporter]))
	for k, v := range c.snmpIf[exporter] {
		out[k] = v
	}
	return out
}

func (c *Collector) run(ctx context.Context) {
	defer close(c.done)
	for {
		msg, err := c.sub.RecvContext(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, zmtp.ErrClosed) {
				return
			}
			c.warn.Warn("recv", "zmq receive failed", "err", err)
			continue
		}
		c.Handle(msg.Frames, msg.Endpoint)
		// Nothing decoded keeps a byte of the frames (the flow decoder
		// copies what records keep, the other topics copy too), so their
		// storage serves the next message instead of becoming garbage.
		c.sub.Release(msg)
	}
}

func (c *Collector) fail(reason string, err error, args ...any) {
	c.stats.AddDecodeError(reason)
	c.warn.Warn(reason, "zmq: bad message", append(args, "reason", reason, "err", err)...)
}

// Handle processes one multipart message received from endpoint source.
// It is exported for tests and benchmarks that bypass the socket.
func (c *Collector) Handle(frames [][]byte, source int) {
	c.stats.MsgsRcvd.Add(1)
	if len(frames) < 2 {
		c.fail("frames", fmt.Errorf("%d frame(s), want header and payload", len(frames)))
		return
	}
	h, err := wire.ParseHeader(frames[0])
	if err != nil {
		c.fail(wire.Reason(err), err)
		return
	}
	if len(frames[1]) > c.cfg.MaxPayload {
		c.fail("payload_frame_too_large", fmt.Errorf("payload of %d bytes, limit %d", len(frames[1]), c.cfg.MaxPayload), "topic", h.Topic)
		return
	}
	body, format, err := wire.OpenPayload(h, frames[1], c.zbuf, c.cfg.MaxDecompressed)
	if err != nil {
		c.fail(wire.Reason(err), err, "topic", h.Topic)
		return
	}
	if len(body) > 0 && &body[0] != &frames[1][0] && cap(body) <= keepInflated {
		c.zbuf = body[:0] // decompressed: keep the buffer for the next payload
	}
	c.sequence(h)

	switch h.TopicKind {
	case wire.TopicFlow:
		c.stats.Flows.Add(1)
		c.flows(body, format, source)
	case wire.TopicEvent:
		c.stats.Events.Add(1)
		ev, err := wire.DecodeEvent(body, h.SourceID)
		if err != nil {
			c.fail(wire.Reason(err), err, "topic", "event")
			return
		}
		b := c.batchFor(source)
		b.Events = append(b.Events, ev)
		c.enqueue(b)
	case wire.TopicCounter:
		c.stats.Counters.Add(1)
		var rec engine.CounterRecord
		if format == wire.FormatTLV {
			rec, err = wire.DecodeTLVCounter(body)
		} else {
			rec, err = wire.DecodeJSONCounter(body)
		}
		if err != nil {
			c.fail(wire.Reason(err), err, "topic", "counter")
			return
		}
		b := c.batchFor(source)
		b.Counters = append(b.Counters, rec)
		c.enqueue(b)
	case wire.TopicTemplate:
		c.stats.Templates.Add(1)
		n, missing, err := c.dec.Labels().ApplyTemplate(body)
		if err != nil {
			c.fail(wire.Reason(err), err, "topic", "template")
			return
		}
		if len(missing) > 0 && !c.missing {
			c.missing = true
			c.log.Warn("zmq template lacks fields flowgate needs", "missing", strings.Join(missing, ","), "fields", n)
		}
	case wire.TopicOption:
		c.stats.Options.Add(1)
		opt, err := wire.DecodeOption(body)
		if err != nil {
			c.fail(wire.Reason(err), err, "topic", "option")
			return
		}
		c.mu.Lock()
		c.fieldMaps[fmt.Sprintf("%d.%d.%s", opt.PEN, opt.Field, opt.Value)] = opt
		c.mu.Unlock()
	case wire.TopicHello:
		c.stats.Hello.Add(1)
	case wire.TopicListeningPorts:
		c.stats.ListeningPorts.Add(1)
		lp, err := wire.DecodeListeningPorts(body)
		if err != nil {
			c.fail(wire.Reason(err), err, "topic", "listening-ports")
			return
		}
		b := c.batchFor(source)
		b.Listening = append(b.Listening, lp)
		c.enqueue(b)
	case wire.TopicSNMPIfaces:
		c.stats.SNMPIfaces.Add(1)
		m, err := wire.DecodeSNMPIfaces(body)
		if err != nil {
			c.fail(wire.Reason(err), err, "topic", "snmp-ifaces")
			return
		}
		c.mu.Lock()
		for exp, names := range m {
			c.snmpIf[exp] = names
		}
		c.mu.Unlock()
	default:
		// ntopng subscribes to "message" but ignores it, like any other topic.
		c.stats.Messages.Add(1)
		c.stats.AddDecodeError("unknown_topic")
		c.warn.Warn("unknown_topic", "zmq: message with an unknown topic ignored", "topic", h.Topic)
	}
}

// flows decodes a flow payload into one batch. Records decoded before an
// error are kept, like ntopng does.
func (c *Collector) flows(body []byte, format wire.Format, source int) {
	b := c.batchFor(source)
	c.batch = b
	var err error
	var n int
	if format == wire.FormatTLV {
		n, err = c.dec.DecodeTLVFlows(body, keep)
	} else {
		n, err = c.dec.DecodeJSONFlows(body, keep)
	}
	c.batch = nil
	b.Flows = b.Flows[:n] // drop a record started but not finished
	c.stats.FlowRecords.Add(uint64(n))
	if err != nil {
		c.fail(wire.Reason(err), err, "topic", "flow", "records_kept", n)
	}
	if len(b.Flows) == 0 {
		c.iface.Recycle(b)
		return
	}
	c.enqueue(b)
}

// enqueue hands b to the engine: waiting on a full queue until Stop, or
// dropping it there with DropOnFullQueue (both counted by the engine).
func (c *Collector) enqueue(b *engine.Batch) {
	if c.cfg.DropOnFullQueue {
		c.iface.Enqueue(b)
		return
	}
	c.iface.EnqueueWait(b, c.stop)
}

func (c *Collector) batchFor(source int) *engine.Batch {
	b := c.iface.NewBatch()
	b.Source = source
	return b
}

// keepInflated is the largest decompression buffer kept between messages:
// an occasional huge payload does not pin its size.
const keepInflated = 1 << 20

// keep accepts a record the decoder built in the batch: nothing to copy.
func keep(*engine.FlowRecord) {}

// sequence does the msg_id gap accounting of docs/zmq-wire.md §2.6 per header source_id.
func (c *Collector) sequence(h wire.Header) {
	now := c.cfg.Now()
	if now.Sub(c.lastGC) >= time.Second {
		c.lastGC = now
		for id, p := range c.probes {
			if now.Sub(p.seen) > c.cfg.ProbeExpiry {
				delete(c.probes, id)
			}
		}
	}
	p, ok := c.probes[h.SourceID]
	if !ok {
		c.probes[h.SourceID] = &probeSeq{last: h.MsgID, seen: now}
		return
	}
	switch {
	case h.MsgID == p.last+1, h.MsgID <= p.last:
		// in order, repeated, or a restart of the probe: nothing lost
	default:
		c.stats.MsgDrops.Add(uint64(h.MsgID - p.last - 1))
	}
	p.last, p.seen = h.MsgID, now
}

// Interface is the engine interface the collector feeds.
func (c *Collector) Interface() *engine.Interface { return c.iface }
