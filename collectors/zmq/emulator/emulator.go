// Package emulator is an nProbe emulator: it publishes synthetic flows over
// ZMQ exactly as nProbe would (any header version, TLV or JSON, compressed
// or not, CURVE client), at a target rate, and reports what it sent so that
// a run can be checked against what flowgate counted. It drives the README
// demo, the integration tests and the end-to-end benchmarks.
package emulator

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"flowgate/collectors/zmq/wire"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/engine"
)

// Config describes one emulated probe.
type Config struct {
	Endpoint  string // tcp://host:port
	ProbeMode bool   // connect to a collector that binds (nprobe --zmq-probe-mode); else bind
	Header    int    // 0, 1, 2 or 3 (header layouts v0..v3)
	TLV       bool   // TLV payloads, else JSON
	Symbolic  bool   // JSON keys as names (IPV4_SRC_ADDR) instead of numbers
	Compress  bool   // zlib: v3 flag, or the legacy 0x00 marker for JSON
	ServerKey string // CURVE server public key (Z85 or hex of Z85); empty: NULL

	Batch    int     // flows per message (default 100)
	Rate     float64 // flows per second; 0: as fast as the socket takes them
	Total    int64   // flows to send; 0: until Duration
	Duration time.Duration

	Hosts int // distinct host addresses (default 50), the first of HostNet
	// HostNet is the IPv4 range the hosts are numbered in, from its first
	// address (default 10.1.0.0/16); Hosts is at most its size, so a
	// 100,000-host run needs a /15 or wider.
	HostNet netip.Prefix
	Flows   int     // working set of flows updated in turn (default 1000)
	Churn   float64 // percent of the working set replaced by new flows on every pass; 100: every record is a new flow
	// Risk is the nDPI risk bitmap (L7_PROTO_RISK) the TLS flows carry, as
	// nProbe reports them; 0: none.
	Risk uint64

	SourceID   uint32
	FirstMsgID uint32        // default 1
	Events     time.Duration // send an `event` message at this interval (0: never)
	Counters   time.Duration // send a `counter` message at this interval (0: never)
	WaitPeers  time.Duration // how long to wait for the collector to subscribe (default 10 s)

	Now func() time.Time
}

// Report is what the emulator sent.
type Report struct {
	Messages      uint64  `json:"messages"`
	FlowMessages  uint64  `json:"flow_messages"`
	Flows         uint64  `json:"flows"`          // flow records sent
	DistinctFlows uint64  `json:"distinct_flows"` // distinct 5-tuples among them
	Bytes         uint64  `json:"bytes"`          // IN_BYTES+OUT_BYTES summed over records
	Packets       uint64  `json:"packets"`
	InBytes       uint64  `json:"in_bytes"`
	OutBytes      uint64  `json:"out_bytes"`
	Hosts         int     `json:"hosts"` // distinct (address, VLAN) pairs used
	Events        uint64  `json:"events"`
	Counters      uint64  `json:"counters"`
	PayloadBytes  uint64  `json:"payload_bytes"`
	Seconds       float64 `json:"seconds"`
	FlowsPerSec   float64 `json:"flows_per_sec"`
}

func (c *Config) setDefaults() error {
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Hosts <= 1 {
		c.Hosts = 50
	}
	if !c.HostNet.IsValid() {
		c.HostNet = defaultHostNet
	}
	if !c.HostNet.Addr().Is4() {
		return fmt.Errorf("emulator: host range %v: want an IPv4 prefix", c.HostNet)
	}
	c.HostNet = c.HostNet.Masked()
	if size := uint64(1) << (32 - c.HostNet.Bits()); uint64(c.Hosts) > size {
		return fmt.Errorf("emulator: %d hosts do not fit in %v (at most %d)", c.Hosts, c.HostNet, size)
	}
	if c.Flows <= 0 {
		c.Flows = 1000
	}
	if c.FirstMsgID == 0 {
		c.FirstMsgID = 1
	}
	if c.WaitPeers == 0 {
		c.WaitPeers = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Header < 0 || c.Header > 3 {
		return fmt.Errorf("emulator: header version %d, want 0..3", c.Header)
	}
	if c.Compress && c.TLV && c.Header != 3 {
		return errors.New("emulator: compressed TLV needs the v3 header (older headers carry TLV uncompressed)")
	}
	if c.Churn < 0 || c.Churn > 100 {
		return fmt.Errorf("emulator: churn %v%%, want 0..100", c.Churn)
	}
	if c.Total == 0 && c.Duration == 0 {
		return errors.New("emulator: give a total number of flows or a duration")
	}
	return nil
}

// Run publishes flows until Total or Duration is reached or ctx ends.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.setDefaults(); err != nil {
		return Report{}, err
	}
	pc := zmtp.PubConfig{}
	if cfg.ServerKey != "" {
		key, err := zmtp.ParseServerKey(cfg.ServerKey)
		if err != nil {
			return Report{}, fmt.Errorf("emulator: server key: %w", err)
		}
		pc.CurveServerKey = &key
	}
	pub := zmtp.NewPub(pc)
	defer pub.Close()
	var err error
	if cfg.ProbeMode {
		err = pub.Connect(cfg.Endpoint)
	} else {
		err = pub.Bind(cfg.Endpoint)
	}
	if err != nil {
		return Report{}, fmt.Errorf("emulator: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.WaitPeers)
	err = pub.WaitSubscribers(wctx, 1)
	cancel()
	if err != nil {
		return Report{}, fmt.Errorf("emulator: no collector subscribed to %s within %v: %w", cfg.Endpoint, cfg.WaitPeers, err)
	}
	g := newGenerator(&cfg)
	rep, err := g.run(ctx, pub)
	if ferr := pub.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	return rep, err
}

// generator builds the messages; it is separate from the socket so that
// tests and benchmarks can use it alone.
type generator struct {
	cfg    *Config
	msgID  uint32
	tlv    wire.TLVWriter
	json   wire.JSONWriter
	body   []byte
	zbuf   bytes.Buffer
	zw     *zlib.Writer
	hdr    []byte
	rec    engine.FlowRecord
	rep    Report
	hosts  hostSet
	start  uint32 // first_switched of the run
	record int64  // records generated so far
}

func newGenerator(cfg *Config) *generator {
	g := &generator{cfg: cfg, msgID: cfg.FirstMsgID, hosts: hostSet{size: cfg.Hosts, byVLAN: map[uint16][]uint64{}}}
	g.zw = zlib.NewWriter(&g.zbuf)
	g.start = uint32(cfg.Now().Unix())
	return g
}

func (g *generator) run(ctx context.Context, pub *zmtp.PubSocket) (Report, error) {
	cfg := g.cfg
	t0 := time.Now()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = t0.Add(cfg.Duration)
	}
	nextEvent, nextCounter := t0, t0
	for {
		if err := ctx.Err(); err != nil {
			break
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			break
		}
		if cfg.Total > 0 && g.record >= cfg.Total {
			break
		}
		if cfg.Events > 0 && !now.Before(nextEvent) {
			if err := g.send(pub, "event", g.event(), false); err != nil {
				return g.finish(t0), err
			}
			g.rep.Events++
			nextEvent = now.Add(cfg.Events)
		}
		if cfg.Counters > 0 && !now.Before(nextCounter) {
			if err := g.send(pub, "counter", g.counter(), false); err != nil {
				return g.finish(t0), err
			}
			g.rep.Counters++
			nextCounter = now.Add(cfg.Counters)
		}
		n := cfg.Batch
		if cfg.Total > 0 && int64(n) > cfg.Total-g.record {
			n = int(cfg.Total - g.record)
		}
		body := g.flows(n)
		if err := g.send(pub, "flow", body, cfg.TLV); err != nil {
			return g.finish(t0), err
		}
		g.rep.FlowMessages++
		if cfg.Rate > 0 {
			// Pace on the schedule, not on the previous send, so that a
			// slow moment is caught up and the average rate holds.
			due := t0.Add(time.Duration(float64(g.record) / cfg.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
		}
	}
	return g.finish(t0), nil
}

func (g *generator) finish(t0 time.Time) Report {
	g.rep.Seconds = time.Since(t0).Seconds()
	if g.rep.Seconds > 0 {
		g.rep.FlowsPerSec = float64(g.rep.Flows) / g.rep.Seconds
	}
	g.rep.Hosts = g.hosts.n
	g.rep.DistinctFlows = distinctFlows(g.record, int64(g.cfg.Flows), g.cfg.Churn)
	return g.rep
}

// send frames body with the configured header and compression.
func (g *generator) send(pub *zmtp.PubSocket, topic string, body []byte, tlv bool) error {
	hdr, payload := g.frame(topic, body, tlv)
	g.rep.Messages++
	g.rep.PayloadBytes += uint64(len(payload))
	return pub.Send(hdr, payload)
}

// frame returns the header and payload frames of one message; both are
// reused by the next call.
func (g *generator) frame(topic string, body []byte, tlv bool) (hdr, payload []byte) {
	cfg := g.cfg
	payload = body
	compress := cfg.Compress && (cfg.Header == 3 || !tlv) // legacy headers cannot say "compressed TLV"
	if compress {
		g.zbuf.Reset()
		if cfg.Header != 3 {
			g.zbuf.WriteByte(0) // the legacy marker of compressed JSON
		}
		g.zw.Reset(&g.zbuf)
		g.zw.Write(body)
		g.zw.Close()
		payload = g.zbuf.Bytes()
	}
	version := uint8(2) // JSON
	if tlv {
		version = 3
	}
	id := g.msgID
	g.msgID++
	g.hdr = g.hdr[:0]
	switch cfg.Header {
	case 0:
		g.hdr = wire.AppendHeaderV0(g.hdr, topic, uint32(version), uint32(len(payload)))
	case 1:
		g.hdr = wire.AppendHeaderV1(g.hdr, topic, version, uint8(cfg.SourceID), uint16(len(payload)), id)
	case 2:
		g.hdr = wire.AppendHeaderV2(g.hdr, topic, version, uint16(len(payload)), id, cfg.SourceID)
	case 3:
		var flags uint8
		if tlv {
			flags |= 0x02
		}
		if compress {
			flags |= 0x04
		}
		// The compressed-size slot carries the uncompressed size: ntopng
		// sizes its output buffer from it (docs/zmq-wire.md §2.4).
		g.hdr = wire.AppendHeaderV3(g.hdr, topic, flags, uint32(len(body)), uint32(len(body)), id, cfg.SourceID)
	}
	return g.hdr, payload
}

// flows encodes the next n flow records.
func (g *generator) flows(n int) []byte {
	cfg := g.cfg
	now := uint32(cfg.Now().Unix())
	if cfg.TLV {
		g.tlv.Begin()
	} else {
		g.body = append(g.body[:0], '[')
	}
	for i := 0; i < n; i++ {
		idx := g.identity(g.record)
		g.record++
		g.fill(idx, now)
		if cfg.TLV {
			wire.EncodeTLVFlow(&g.tlv, &g.rec)
		} else {
			if i > 0 {
				g.body = append(g.body, ',')
			}
			g.body = g.json.AppendFlow(g.body, &g.rec, cfg.Symbolic)
		}
		r := &g.rec
		g.rep.Flows++
		g.rep.InBytes += r.InBytes
		g.rep.OutBytes += r.OutBytes
		g.rep.Bytes += r.InBytes + r.OutBytes
		g.rep.Packets += r.InPkts + r.OutPkts
	}
	if cfg.TLV {
		return g.tlv.Bytes()
	}
	return append(g.body, ']')
}

// identity maps the k-th record to a flow identity: slot k mod Flows of the
// working set, renewed on every pass for the churned share of the slots.
func (g *generator) identity(k int64) uint64 {
	cfg := g.cfg
	slot := uint64(k % int64(cfg.Flows))
	if cfg.Churn <= 0 {
		return slot
	}
	pass := uint64(k / int64(cfg.Flows))
	if float64(slot%100) < cfg.Churn {
		return slot + uint64(cfg.Flows)*pass
	}
	return slot
}

// Ports and applications of the synthetic flows: DNS, HTTP, TLS.
var services = [...]struct {
	port  uint16
	proto uint8
	l7    uint16
}{{53, 17, 5}, {80, 6, 7}, {443, 6, 91}}

const portsPerHost = 64000

// fill sets g.rec to the record of flow identity idx at time now.
func (g *generator) fill(idx uint64, now uint32) {
	cfg := g.cfg
	h := uint64(cfg.Hosts)
	r := &g.rec
	r.Reset()
	cli := idx % h
	srv := (cli + 1 + (idx/h)%(h-1)) % h
	round := idx / h / portsPerHost
	r.VLAN = uint16(round % 4096)
	r.SrcIP = g.hostAddr(cli)
	r.DstIP = g.hostAddr(srv)
	r.IPVersion = 4
	r.SrcPort = uint16(1024 + (idx/h)%portsPerHost)
	svc := services[idx%uint64(len(services))]
	r.DstPort = svc.port
	r.Proto = svc.proto
	r.L7App, r.L7Set = svc.l7, true
	r.InBytes = 60 + idx%200
	r.InPkts = 1 + idx%3
	r.OutBytes = 90 + idx%300
	r.OutPkts = 1 + idx%4
	r.FirstSwitched = g.start
	r.LastSwitched = now
	if svc.proto == 6 {
		r.ClientTCPFlags = 0x1a // SYN|PSH|ACK: the client opened it
		r.ServerTCPFlags = 0x12
		r.TCPFlags = 0x1a
	}
	r.ClientLatencyMs, r.ServerLatencyMs, r.HasLatency = 1.5, 2.5, 3
	r.InIfIndex, r.OutIfIndex = 1, 2
	r.ExporterIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	if svc.l7 == 5 {
		r.DNSQuery = "example.com"
	}
	if svc.l7 == 91 {
		r.Risk = cfg.Risk
	}
	g.hosts.add(cli, r.VLAN)
	g.hosts.add(srv, r.VLAN)
}

// hostSet counts the distinct (host, VLAN) pairs used: one bit per host
// of a VLAN, the current VLAN's bits at hand (it changes once every
// 64,000 × Hosts records). A map entry per record cost the sender more
// than encoding the record.
type hostSet struct {
	size   int // hosts per VLAN
	vlan   uint16
	bits   []uint64 // of vlan
	byVLAN map[uint16][]uint64
	n      int
}

func (s *hostSet) add(i uint64, vlan uint16) {
	if s.bits == nil || vlan != s.vlan {
		s.vlan, s.bits = vlan, s.byVLAN[vlan]
		if s.bits == nil {
			s.bits = make([]uint64, (s.size+63)/64)
			s.byVLAN[vlan] = s.bits
		}
	}
	if w, m := i/64, uint64(1)<<(i%64); s.bits[w]&m == 0 {
		s.bits[w] |= m
		s.n++
	}
}

// distinctFlows is the number of distinct flow identities among the
// first n records (identity's arithmetic, rather than a set that grew by
// a map entry per new flow): a churned slot has a new identity on every
// pass, the others keep theirs.
func distinctFlows(n, flows int64, churn float64) uint64 {
	churned := func(m int64) int64 { // churned slots among slots [0, m)
		perHundred, rest := int64(0), int64(0)
		for s := int64(0); s < 100; s++ {
			if float64(s) < churn {
				perHundred++
				if s < m%100 {
					rest++
				}
			}
		}
		return m/100*perHundred + rest
	}
	seen := min(n, flows)
	records := n/flows*churned(flows) + churned(n%flows)
	return uint64(records + seen - churned(seen))
}

// defaultHostNet is where hosts were always numbered: demos and tests
// configure it as the local network.
var defaultHostNet = netip.MustParsePrefix("10.1.0.0/16")

// hostAddr is the i-th address of the host range (i < its size: checked
// by setDefaults).
func (g *generator) hostAddr(i uint64) netip.Addr {
	b := g.cfg.HostNet.Addr().As4()
	v := binary.BigEndian.Uint32(b[:]) + uint32(i)
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// event is a probe statistics message as nProbe sends it periodically.
func (g *generator) event() []byte {
	ev := map[string]any{
		"time":    g.cfg.Now().Unix(),
		"bytes":   g.rep.Bytes,
		"packets": g.rep.Packets,
		"iface":   map[string]any{"name": "eth0", "speed": 1000, "ip": "127.0.0.1"},
		"probe":   map[string]any{"ip": "127.0.0.1", "version": "flowgate-emulator", "osname": "Linux"},
		"timeout": map[string]any{"lifetime": 120, "idle": 30, "collected_lifetime": 120},
		"drops":   map[string]any{"export_queue_full": 0, "too_many_flows": 0},
		"zmq":     map[string]any{"num_flow_exports": g.rep.FlowMessages, "num_zmq_exporters": 1},
	}
	b, _ := json.Marshal(ev)
	return b
}

// counter is an sFlow-style interface counter sample, as JSON.
func (g *generator) counter() []byte {
	var ip [4]byte
	binary.BigEndian.PutUint32(ip[:], 0x7f000001)
	c := map[string]any{
		"deviceIP":          binary.BigEndian.Uint32(ip[:]),
		"samplesGenerated":  g.rep.Counters + 1,
		"ifIndex":           1,
		"ifName":            "eth0",
		"ifType":            6,
		"ifSpeed":           1000000000,
		"ifDirection":       "Full",
		"ifAdminStatus":     "Up",
		"ifOperStatus":      "Up",
		"ifInOctets":        g.rep.InBytes,
		"ifInPackets":       g.rep.Packets,
		"ifInErrors":        0,
		"ifOutOctets":       g.rep.OutBytes,
		"ifOutPackets":      g.rep.Packets,
		"ifOutErrors":       0,
		"ifPromiscuousMode": 0,
	}
	b, _ := json.Marshal(c)
	return b
}
