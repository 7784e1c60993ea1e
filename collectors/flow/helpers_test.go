package flow

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"flowgate/engine"
)

// startCollector starts an engine with one interface and a collector on
// it, configured by setup from DefaultConfiguration; both stop when the
// test ends (the collector first).
func startCollector(t *testing.T, name, typ string, setup func(*Configuration)) (*engine.Interface, *Collector) {
	t.Helper()
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface(name, typ)
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	cfg := DefaultConfiguration()
	setup(&cfg)
	c, err := New(cfg, iface)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return iface, c
}

// Datagram builders for the tests (big endian, as on the wire).

type wbuf []byte

func (b wbuf) u8(v uint8) wbuf   { return append(b, v) }
func (b wbuf) u16(v uint16) wbuf { return binary.BigEndian.AppendUint16(b, v) }
func (b wbuf) u32(v uint32) wbuf { return binary.BigEndian.AppendUint32(b, v) }
func (b wbuf) ip(a string) wbuf  { return append(b, netip.MustParseAddr(a).AsSlice()...) }

type v5rec struct {
	src, dst     string
	pkts, octets uint32
	first, last  uint32
	sport, dport uint16
	flags, proto uint8
	in, out      uint16
	srcAS, dstAS uint16
	nextHop      string
}

func v5packet(seq uint32, uptime, unix uint32, sampling uint16, recs ...v5rec) []byte {
	b := wbuf{}.u16(5).u16(uint16(len(recs))).u32(uptime).u32(unix).u32(0).u32(seq).u8(0).u8(0).u16(sampling)
	for _, r := range recs {
		nh := r.nextHop
		if nh == "" {
			nh = "0.0.0.0"
		}
		b = b.ip(r.src).ip(r.dst).ip(nh).u16(r.in).u16(r.out).u32(r.pkts).u32(r.octets).u32(r.first).u32(r.last).
			u16(r.sport).u16(r.dport).u8(0).u8(r.flags).u8(r.proto).u8(0).u16(r.srcAS).u16(r.dstAS).u8(24).u8(24).u16(0)
	}
	return b
}

type tfield struct {
	typ, length uint16
	pen         uint32
}

// set wraps a set body with its id and length.
func set(id uint16, body []byte) []byte {
	return append(wbuf{}.u16(id).u16(uint16(4+len(body))), body...)
}

func templateBody(version uint16, id uint16, fs ...tfield) []byte {
	b := wbuf{}.u16(id).u16(uint16(len(fs)))
	for _, f := range fs {
		if f.pen != 0 && version == 10 {
			b = b.u16(f.typ | 0x8000).u16(f.length).u32(f.pen)
		} else {
			b = b.u16(f.typ).u16(f.length)
		}
	}
	return b
}

func v9packet(seq, uptime, unix, source uint32, count uint16, sets ...[]byte) []byte {
	b := wbuf{}.u16(9).u16(count).u32(uptime).u32(unix).u32(seq).u32(source)
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

func ipfixPacket(seq, export, domain uint32, sets ...[]byte) []byte {
	n := 16
	for _, s := range sets {
		n += len(s)
	}
	b := wbuf{}.u16(10).u16(uint16(n)).u32(export).u32(seq).u32(domain)
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

// The template the v9/IPFIX tests use, and a record of it.
var basicFields = []tfield{
	{8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0}, {4, 1, 0}, {6, 1, 0},
	{1, 4, 0}, {2, 4, 0}, {10, 2, 0}, {14, 2, 0}, {22, 4, 0}, {21, 4, 0}, {58, 2, 0},
}

func basicRecord(src, dst string, sport, dport uint16, proto, flags uint8, octets, pkts uint32, in, out uint16, first, last uint32, vlan uint16) []byte {
	return wbuf{}.ip(src).ip(dst).u16(sport).u16(dport).u8(proto).u8(flags).u32(octets).u32(pkts).u16(in).u16(out).u32(first).u32(last).u16(vlan)
}

// sflowPacket builds an sFlow v5 datagram from its samples.
func sflowPacket(agent string, seq uint32, samples ...[]byte) []byte {
	b := wbuf{}.u32(5).u32(1).ip(agent).u32(0).u32(seq).u32(1000).u32(uint32(len(samples)))
	for _, s := range samples {
		b = append(b, s...)
	}
	return b
}

func sflowRecord(format uint32, body []byte) []byte {
	return append(wbuf{}.u32(format).u32(uint32(len(body))), body...)
}

func sflowFlowSample(seq, rate, in, out uint32, recs ...[]byte) []byte {
	body := wbuf{}.u32(seq).u32(in).u32(rate).u32(seq * rate).u32(0).u32(in).u32(out).u32(uint32(len(recs)))
	for _, r := range recs {
		body = append(body, r...)
	}
	return sflowRecord(1, body)
}

// ethFrame is an Ethernet/802.1Q/IPv4/TCP header.
func ethFrame(src, dst string, sport, dport uint16, vlan uint16, flags uint8) []byte {
	b := wbuf{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}.u16(0x8100).u16(vlan).u16(0x0800)
	b = append(b, 0x45, 0).u16(40).u16(0).u16(0).u8(64).u8(6).u16(0).ip(src).ip(dst)
	b = b.u16(sport).u16(dport).u32(0).u32(0).u8(0x50).u8(flags).u16(0).u16(0).u16(0)
	return b
}

func sampledHeader(frameLen uint32, frame []byte) []byte {
	body := wbuf{}.u32(1).u32(frameLen).u32(4).u32(uint32(len(frame)))
	body = append(body, frame...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return sflowRecord(1, body)
}

func ifCounterSample(seq, ifIndex uint32, inOct, outOct uint64) []byte {
	c := wbuf{}.u32(ifIndex).u32(6).u32(0).u32(1000000000).u32(1).u32(3)
	c = binary.BigEndian.AppendUint64(c, inOct)
	c = c.u32(10).u32(1).u32(1).u32(0).u32(2).u32(0)
	c = binary.BigEndian.AppendUint64(c, outOct)
	c = c.u32(20).u32(0).u32(0).u32(0).u32(3).u32(0)
	body := wbuf{}.u32(seq).u32(ifIndex).u32(1)
	body = append(body, sflowRecord(1, c)...)
	return sflowRecord(2, body)
}
