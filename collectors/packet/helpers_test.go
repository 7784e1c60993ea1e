package packet

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"flowgate/engine"
)

// capture builds a capture from serialized layers (gopacket's serializer).
type capture struct {
	t    testing.TB
	now  time.Time
	pkts [][]byte
	ts   []time.Time
}

func newCapture(t testing.TB) *capture {
	return &capture{t: t, now: time.Unix(1700000000, 0)}
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

// raw appends an already built frame at the current time.
func (c *capture) raw(b []byte) {
	c.pkts = append(c.pkts, b)
	c.ts = append(c.ts, c.now)
}

// add serializes ls (fixing lengths and checksums) as one frame.
func (c *capture) add(ls ...gopacket.SerializableLayer) {
	c.t.Helper()
	c.raw(serialize(c.t, ls...))
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	var nl gopacket.NetworkLayer
	for _, l := range ls {
		if n, ok := l.(gopacket.NetworkLayer); ok {
			nl = n // the innermost network layer before L4 (GRE)
		}
		switch x := l.(type) {
		case *layers.TCP:
			if nl != nil {
				_ = x.SetNetworkLayerForChecksum(nl)
			}
		case *layers.ICMPv6:
			if nl != nil {
				_ = x.SetNetworkLayerForChecksum(nl)
			}
		case *layers.UDP:
			if nl != nil {
				_ = x.SetNetworkLayerForChecksum(nl)
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize %T...: %v", ls[len(ls)-1], err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func (c *capture) wait(d time.Duration) { c.now = c.now.Add(d) }

func eth(v6 bool) *layers.Ethernet {
	e := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	if v6 {
		e.EthernetType = layers.EthernetTypeIPv6
	}
	return e
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

// tcpSeg describes one segment of a conversation.
type tcpSeg struct {
	fromCli  bool
	flags    uint8
	seq, ack uint32
	win      uint16
	payload  []byte
}

// conv is a TCP conversation between two IPv4 endpoints.
type conv struct {
	c              *capture
	cli, srv       string
	cport, sport   uint16
	cliSeq, srvSeq uint32
	vlan           uint16
	v6             bool
	rtt            time.Duration // between SYN and SYN/ACK, SYN/ACK and ACK
}

func (cv *conv) seg(s tcpSeg) {
	src, dst, sp, dp := cv.cli, cv.srv, cv.cport, cv.sport
	if !s.fromCli {
		src, dst, sp, dp = dst, src, dp, sp
	}
	if s.win == 0 && s.flags&tcpRST == 0 {
		s.win = 64240
	}
	if s.win == 0xffff {
		s.win = 0 // marker for an explicit zero window
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: s.seq, Ack: s.ack, Window: s.win,
		FIN: s.flags&tcpFIN != 0, SYN: s.flags&tcpSYN != 0, RST: s.flags&tcpRST != 0, PSH: s.flags&tcpPSH != 0, ACK: s.flags&tcpACK != 0}
	var ls []gopacket.SerializableLayer
	e := eth(cv.v6)
	if cv.vlan != 0 {
		e.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, e, &layers.Dot1Q{VLANIdentifier: cv.vlan, Type: layers.EthernetTypeIPv4})
	} else {
		ls = append(ls, e)
	}
	if cv.v6 {
		ls = append(ls, ip6(src, dst, layers.IPProtocolTCP))
	} else {
		ls = append(ls, ip4(src, dst, layers.IPProtocolTCP))
	}
	ls = append(ls, tcp, gopacket.Payload(s.payload))
	cv.c.add(ls...)
}

// open writes SYN, SYN/ACK, ACK.
func (cv *conv) open() {
	cv.seg(tcpSeg{fromCli: true, flags: tcpSYN, seq: cv.cliSeq})
	cv.cliSeq++
	cv.c.wait(cv.rtt)
	cv.seg(tcpSeg{flags: tcpSYN | tcpACK, seq: cv.srvSeq, ack: cv.cliSeq})
	cv.srvSeq++
	cv.c.wait(cv.rtt)
	cv.seg(tcpSeg{fromCli: true, flags: tcpACK, seq: cv.cliSeq, ack: cv.srvSeq})
}

// send writes data from one side and advances its sequence number.
func (cv *conv) send(fromCli bool, data []byte) {
	if fromCli {
		cv.seg(tcpSeg{fromCli: true, flags: tcpACK | tcpPSH, seq: cv.cliSeq, ack: cv.srvSeq, payload: data})
		cv.cliSeq += uint32(len(data))
	} else {
		cv.seg(tcpSeg{flags: tcpACK | tcpPSH, seq: cv.srvSeq, ack: cv.cliSeq, payload: data})
		cv.srvSeq += uint32(len(data))
	}
	cv.c.wait(time.Millisecond)
}

// close writes FIN from each side and the last ACK.
func (cv *conv) close() {
	cv.seg(tcpSeg{fromCli: true, flags: tcpFIN | tcpACK, seq: cv.cliSeq, ack: cv.srvSeq})
	cv.cliSeq++
	cv.seg(tcpSeg{flags: tcpFIN | tcpACK, seq: cv.srvSeq, ack: cv.cliSeq})
	cv.srvSeq++
	cv.seg(tcpSeg{fromCli: true, flags: tcpACK, seq: cv.cliSeq, ack: cv.srvSeq})
}

func (c *capture) udp(src, dst string, sp, dp uint16, payload []byte) {
	v6 := net.ParseIP(src).To4() == nil
	u := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	if v6 {
		c.add(eth(true), ip6(src, dst, layers.IPProtocolUDP), u, gopacket.Payload(payload))
	} else {
		c.add(eth(false), ip4(src, dst, layers.IPProtocolUDP), u, gopacket.Payload(payload))
	}
}

// pcap returns the capture as a pcap file.
func (c *capture) pcap() []byte {
	var b bytes.Buffer
	w := pcapgo.NewWriterNanos(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		c.t.Fatal(err)
	}
	for i, p := range c.pkts {
		ci := gopacket.CaptureInfo{Timestamp: c.ts[i], CaptureLength: len(p), Length: len(p)}
		if err := w.WritePacket(ci, p); err != nil {
			c.t.Fatal(err)
		}
	}
	return b.Bytes()
}

// pcapng returns the capture as a pcapng file.
func (c *capture) pcapng() []byte {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
	if err != nil {
		c.t.Fatal(err)
	}
	for i, p := range c.pkts {
		ci := gopacket.CaptureInfo{Timestamp: c.ts[i], CaptureLength: len(p), Length: len(p), InterfaceIndex: 0}
		if err := w.WritePacket(ci, p); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		c.t.Fatal(err)
	}
	return b.Bytes()
}

func (c *capture) file(name string, ng bool) string {
	p := filepath.Join(c.t.TempDir(), name)
	data := c.pcap()
	if ng {
		data = c.pcapng()
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// memSink collects records for tests and benchmarks.
type memSink struct {
	recs    []engine.FlowRecord
	flushes int
	keep    bool
}

func (m *memSink) record() *engine.FlowRecord {
	m.recs = append(m.recs, engine.FlowRecord{})
	r := &m.recs[len(m.recs)-1]
	r.Reset()
	return r
}

func (m *memSink) flush() {
	m.flushes++
	if !m.keep {
		m.recs = m.recs[:0]
	}
}

// runTracker decodes and tracks every packet of c, then flushes.
func runTracker(t testing.TB, c *capture, cfg Configuration) (*memSink, *Stats) {
	t.Helper()
	st := &Stats{}
	ms := &memSink{keep: true}
	tr := newTracker(cfg.withDefaults(), st, ms)
	d := newDecoder(layers.LayerTypeEthernet)
	var p pkt
	for i, b := range c.pkts {
		ok, reason := d.decode(b, &p)
		if !ok {
			if reason != "" {
				st.addMalformed(reason)
			} else {
				st.NonIP.Add(1)
			}
			continue
		}
		p.wireLen, p.ts = uint64(len(b)), c.ts[i].UnixNano()
		tr.packet(&p)
	}
	tr.flushAll()
	return ms, st
}

// sum adds up the records of one flow (by client and server endpoint).
type flowSum struct {
	inP, inB, outP, outB uint64
	cliFlags, srvFlags   uint8
	retrIn, retrOut      uint32
	oooIn, oooOut        uint32
	latency              [2]float32
	hasLatency           uint8
	l7                   uint16
	last                 engine.FlowRecord
	records              int
	endReason            string
}

func sumFlows(recs []engine.FlowRecord) map[string]*flowSum {
	m := map[string]*flowSum{}
	for i := range recs {
		r := &recs[i]
		k := net.JoinHostPort(r.SrcIP.String(), itoa(r.SrcPort)) + ">" + net.JoinHostPort(r.DstIP.String(), itoa(r.DstPort))
		s := m[k]
		if s == nil {
			s = &flowSum{}
			m[k] = s
		}
		s.records++
		s.inP += r.InPkts
		s.inB += r.InBytes
		s.outP += r.OutPkts
		s.outB += r.OutBytes
		s.cliFlags |= r.ClientTCPFlags
		s.srvFlags |= r.ServerTCPFlags
		s.retrIn += r.RetrIn
		s.retrOut += r.RetrOut
		s.oooIn += r.OOOIn
		s.oooOut += r.OOOOut
		if r.HasLatency != 0 {
			s.latency = [2]float32{r.ClientLatencyMs, r.ServerLatencyMs}
			s.hasLatency = r.HasLatency
		}
		if r.L7Set {
			s.l7 = r.L7App
		}
		if r.EndReason != "" {
			s.endReason = r.EndReason
		}
		if r.DNSQuery != "" || r.HTTPURL != "" || r.TLSServerName != "" || r.HTTPRetCode != 0 || r.DNSRetCode != 0 || r.Risk != 0 {
			s.last = *r
		}
	}
	return m
}

func itoa(p uint16) string {
	return string(appendUint(nil, uint64(p)))
}

func appendUint(b []byte, v uint64) []byte {
	if v >= 10 {
		b = appendUint(b, v/10)
	}
	return append(b, byte('0'+v%10))
}
