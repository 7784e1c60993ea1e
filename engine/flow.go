package engine

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"unique"
	"unsafe"

	"flowgate/engine/ndpi"
)

// flowKey identifies a flow in either orientation: the two endpoints are
// stored in canonical order (lower address/port first) so that one map lookup
// finds both. It holds no pointers and no padding, so the map hashes it as
// plain memory.
type flowKey struct {
	a, b   [16]byte
	pa, pb uint16
	vlan   uint16
	proto  uint8
	_      uint8 // always 0: keeps the struct free of implicit padding
	priv   uint32
}

// makeKey builds the canonical key; swapped reports whether (src,sport) went
// to the b side.
func makeKey(src, dst *[16]byte, sport, dport, vlan uint16, proto uint8, priv uint32) (k flowKey, swapped bool) {
	c := cmpAddr(src, dst)
	if c > 0 || (c == 0 && sport > dport) {
		return flowKey{a: *dst, b: *src, pa: dport, pb: sport, vlan: vlan, proto: proto, priv: priv}, true
	}
	return flowKey{a: *src, b: *dst, pa: sport, pb: dport, vlan: vlan, proto: proto, priv: priv}, false
}

func cmpAddr(x, y *[16]byte) int {
	x0, y0 := binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(y[:8])
	if x0 != y0 {
		if x0 < y0 {
			return -1
		}
		return 1
	}
	x1, y1 := binary.BigEndian.Uint64(x[8:]), binary.BigEndian.Uint64(y[8:])
	if x1 < y1 {
		return -1
	} else if x1 > y1 {
		return 1
	}
	return 0
}

const (
	flowV6       uint8 = 1 << iota // addresses are IPv6
	flowDetected                   // L7 fixed
	flowLive                       // slot holds a flow (not on the free list)
	flowPriv                       // a SIP call-id hash is part of the key (FlowExtra.privateID)
)

// Flow is one bidirectional flow. Client is the side that sent the first
// record's source. Counters named Cli* are client→server, Srv* server→client.
// Fields are read-only outside the engine and valid only inside Do or an
// observer call.
type Flow struct {
	// Fields are ordered so that the struct has no padding beyond its last 3
	// bytes (docs/ingest-scaling.md §5); the key comes first, in one cache line.
	// An IPv4 flow's addresses are cli4/srv4; an IPv6 flow's are in its
	// chunk (flowChunkT.v6), so IPv4 flows do not carry 24 unused bytes.
	cli4, srv4       [4]byte
	cliPort, srvPort uint16
	vlan             uint16
	proto            uint8
	flags            uint8
	gen              uint32 // slot generation, part of ID
	slot             uint32
	cliHost, srvHost uint32 // host slots

	CliBytes, SrvBytes uint64 // cli2srv, srv2cli
	CliPkts, SrvPkts   uint64

	FirstSeen, LastSeen uint32 // epoch seconds from the probe
	// created is the wall clock epoch seconds when the engine created the
	// flow; periodic updates are due every PeriodicUpdate after it.
	created uint32

	InIfIndex, OutIfIndex uint32 // in flow orientation (swapped when a record matched in reverse)

	ThptBps, ThptPps float32 // of the last update

	// Latencies in ms (docs/zmq-wire.md §6.6), in flow orientation.
	CliLatencyMs, SrvLatencyMs, ApplLatencyMs float32

	PeriodicCount uint32 // FlowPeriodicUpdate calls so far

	L7Master, L7App uint16
	exporter        uint16 // index+1 into Tables.exporters, 0 none

	CliMAC, SrvMAC [6]byte

	Category                 ndpi.Category
	L7Confidence             uint8
	CliTCPFlags, SrvTCPFlags uint8
	Direction                uint8 // DIRECTION of the last record (0 RX, 1 TX, 2 unknown)
	HasLatency               uint8 // 1 client, 2 server, 4 application
	// Blacklist: the sides a Malware category list matched (Configuration.Blacklists):
	// 1 client, 2 server, 4 server name.
	Blacklist uint8

	Status uint64 // bitmap of flow status ids (0..63) set via SetFlowStatus

	// self is the flow's own address while it sits in its chunk. Flow holds
	// no pointer, so chunks of flows are never scanned by the GC; the rare
	// side data (FlowExtra, L7 metadata) hangs off the chunk instead, found
	// from the flow's address. A copy of a Flow has another address and
	// sees no side data, rather than someone else's.
	self uintptr
}

// flowSide is the side data of one flow: 32 bytes for a flow with one
// metadata string, the common case (a DNS query, an HTTP site or a TLS
// server name), which sits inline; further strings go to more.
type flowSide struct {
	ext  *FlowExtra // rare numeric fields
	meta metaStr    // the first L7 metadata string (key 0 when none)
	more *[]metaStr // the others, rarely any
}

// flowChunkT is a block of flow slots, all IPv4 or all IPv6 (Tables.allocFlowSlot).
// Its pointers come first, so the GC scans seven words of it however many
// flows it holds. A flow's side data is reached through a 2-byte index into
// sides rather than an 8-byte pointer per slot: most flows have none, and
// those that have pay 8 bytes in sides (up to 16 while it grows).
type flowChunkT struct {
	sides    []*flowSide             // side data of the chunk's flows; nil entries are free
	sideFree []uint16                // free indexes of sides
	v6       *[flowChunk][2][16]byte // client and server of each flow of an IPv6 chunk; nil in an IPv4 chunk
	sideIx   [flowChunk]uint16       // per slot: index+1 into sides, 0 none
	flows    [flowChunk]Flow
}

func newFlowChunk(v6 bool) *flowChunkT {
	c := &flowChunkT{}
	if v6 {
		c.v6 = new([flowChunk][2][16]byte)
	}
	return c
}

// chunk returns the chunk holding f, nil for a copy of a Flow.
func (f *Flow) chunk() *flowChunkT {
	if f.self == 0 || f.self != uintptr(unsafe.Pointer(f)) {
		return nil
	}
	idx := uintptr(f.slot & (flowChunk - 1))
	return (*flowChunkT)(unsafe.Add(unsafe.Pointer(f), -int(idx*unsafe.Sizeof(Flow{})+unsafe.Offsetof(flowChunkT{}.flows))))
}

// sideIx returns the flow's chunk and its index+1 there, 0 for none; the
// chunk is nil for a copy of a Flow.
func (f *Flow) sideIx() (*flowChunkT, uint16) {
	c := f.chunk()
	if c == nil {
		return nil, 0
	}
	return c, c.sideIx[f.slot&(flowChunk-1)]
}

// v6Addrs returns an IPv6 flow's client and server, nil for an IPv4 flow
// or a copy.
func (f *Flow) v6Addrs() *[2][16]byte {
	if f.flags&flowV6 == 0 {
		return nil
	}
	if c := f.chunk(); c != nil && c.v6 != nil {
		return &c.v6[f.slot&(flowChunk-1)]
	}
	return nil
}

// setKey stores a new flow's client and server (16-byte forms, IPv4
// mapped), its family and its SIP call-id hash; f sits in a chunk of that
// family. The hash, rarely set, lives in FlowExtra.
func (f *Flow) setKey(cli, srv *[16]byte, v6 bool, priv uint32) {
	if priv != 0 {
		f.flags |= flowPriv
		f.extra().privateID = priv
	}
	if !v6 {
		f.cli4, f.srv4 = [4]byte(cli[12:]), [4]byte(srv[12:])
		return
	}
	f.flags |= flowV6
	if a := f.v6Addrs(); a != nil {
		a[0], a[1] = *cli, *srv
	}
}

// addrs returns the client and server in 16-byte form (IPv4 mapped), as
// the key has them; zero for a copy of an IPv6 flow.
func (f *Flow) addrs() (cli, srv [16]byte) {
	if f.flags&flowV6 == 0 {
		return v4Mapped(f.cli4), v4Mapped(f.srv4)
	}
	if a := f.v6Addrs(); a != nil {
		return a[0], a[1]
	}
	return
}

// isClient tells whether a (16-byte form, same family as f) is f's client address.
func (f *Flow) isClient(a *[16]byte) bool {
	if f.flags&flowV6 == 0 {
		return f.cli4 == [4]byte(a[12:])
	}
	p := f.v6Addrs()
	return p != nil && p[0] == *a
}

func v4Mapped(a [4]byte) [16]byte {
	return [16]byte{10: 0xff, 11: 0xff, 12: a[0], 13: a[1], 14: a[2], 15: a[3]}
}

// isV4Mapped tells whether a is an IPv4 address in 16-byte form.
func isV4Mapped(a *[16]byte) bool {
	return binary.LittleEndian.Uint64(a[:8]) == 0 && binary.LittleEndian.Uint32(a[8:12]) == 0xffff0000
}

// allocFlowSlot takes a free slot in a chunk of the flow's family: the
// most recently freed one, else the next unused one of the family's newest
// chunk, else the first of a new chunk. Families never share a chunk, so
// IPv4 chunks need no IPv6 address array.
func (t *Tables) allocFlowSlot(v6 bool) uint32 {
	fam := 0
	if v6 {
		fam = 1
	}
	if n := len(t.flowFree[fam]); n > 0 {
		slot := t.flowFree[fam][n-1]
		t.flowFree[fam] = t.flowFree[fam][:n-1]
		return slot
	}
	if s := t.flowNext[fam]; s&(flowChunk-1) != 0 {
		t.flowNext[fam]++
		return s
	}
	slot := uint32(len(t.flowChunks)) << flowChunkBits
	t.flowChunks = append(t.flowChunks, newFlowChunk(v6))
	t.flowSlots = slot + flowChunk
	t.flowNext[fam] = slot + 1
	return slot
}

// freeFlowSlot returns an ended flow's slot to its family's free list.
func (t *Tables) freeFlowSlot(slot uint32) {
	fam := 0
	if t.flowChunks[slot>>flowChunkBits].v6 != nil {
		fam = 1
	}
	t.flowFree[fam] = append(t.flowFree[fam], slot)
}

func (f *Flow) side() *flowSide {
	if c, ix := f.sideIx(); ix != 0 {
		return c.sides[ix-1]
	}
	return nil
}

// sideAlloc returns the side data, creating it.
func (f *Flow) sideAlloc() *flowSide {
	c, ix := f.sideIx()
	if c == nil {
		return &flowSide{} // a copy: changes are dropped with it
	}
	if ix != 0 {
		return c.sides[ix-1]
	}
	s := &flowSide{}
	if n := len(c.sideFree); n > 0 {
		ix = c.sideFree[n-1] + 1
		c.sideFree = c.sideFree[:n-1]
		c.sides[ix-1] = s
	} else {
		c.sides = append(c.sides, s)
		ix = uint16(len(c.sides)) // <= flowChunk: fits
	}
	c.sideIx[f.slot&(flowChunk-1)] = ix
	return s
}

// freeSide drops the flow's side data (the flow ends).
func (f *Flow) freeSide() {
	c, ix := f.sideIx()
	if ix == 0 {
		return
	}
	c.sides[ix-1] = nil
	c.sideFree = append(c.sideFree, ix-1)
	c.sideIx[f.slot&(flowChunk-1)] = 0
}

// MetaKey names one of a flow's L7 metadata strings. They are kept as a
// short tagged list rather than struct fields: a typical flow carries one
// (a DNS query, an HTTP site or a TLS server name), and a struct of every
// possible string would cost each such flow hundreds of bytes.
type MetaKey uint8

const (
	MetaL7Name MetaKey = iota + 1 // L7_PROTO_NAME as the probe sent it, when it differs from nDPI's
	MetaDNSQuery
	MetaHTTPURL
	MetaHTTPSite
	MetaHTTPUserAgent
	MetaHTTPMethod
	MetaTLSServerName
	MetaJA3C
	MetaJA3S
	MetaJA4C
	MetaL7Info
	MetaRiskName
	MetaEndReason
	MetaSMTPMailFrom
	MetaSMTPRcptTo
	MetaBitTorrent
	MetaWLANSSID
)

// metaStr is one metadata string, interned (unique.Make): flows share the
// bytes of equal strings (the same server name, JA3, DNS query...) and a
// string costs its flow 8 bytes; the canonical copy lives while a flow
// holds it.
type metaStr struct {
	key MetaKey
	val unique.Handle[string]
}

// Meta returns one L7 metadata string, "" when the flow has none.
func (f *Flow) Meta(k MetaKey) string {
	s := f.side()
	if s == nil {
		return ""
	}
	if s.meta.key == k {
		return s.meta.val.Value()
	}
	if s.more != nil {
		for _, m := range *s.more {
			if m.key == k {
				return m.val.Value()
			}
		}
	}
	return ""
}

// setMeta stores v unless empty or unchanged. unique.Make copies it: records
// alias receive buffers.
func (f *Flow) setMeta(k MetaKey, v string) {
	if v == "" {
		return
	}
	s := f.sideAlloc()
	m := &s.meta
	if m.key != k && m.key != 0 {
		m = nil
		if s.more == nil {
			s.more = new([]metaStr)
		}
		for i := range *s.more {
			if (*s.more)[i].key == k {
				m = &(*s.more)[i]
				break
			}
		}
		if m == nil {
			*s.more = append(*s.more, metaStr{key: k})
			m = &(*s.more)[len(*s.more)-1]
		}
	}
	if m.key == k && m.val != (unique.Handle[string]{}) && m.val.Value() == v {
		return
	}
	m.key, m.val = k, unique.Make(v)
}

func (f *Flow) DNSQuery() string      { return f.Meta(MetaDNSQuery) }
func (f *Flow) HTTPURL() string       { return f.Meta(MetaHTTPURL) }
func (f *Flow) HTTPSite() string      { return f.Meta(MetaHTTPSite) }
func (f *Flow) HTTPUserAgent() string { return f.Meta(MetaHTTPUserAgent) }
func (f *Flow) HTTPMethod() string    { return f.Meta(MetaHTTPMethod) }
func (f *Flow) TLSServerName() string { return f.Meta(MetaTLSServerName) }
func (f *Flow) JA3C() string          { return f.Meta(MetaJA3C) }
func (f *Flow) JA3S() string          { return f.Meta(MetaJA3S) }
func (f *Flow) JA4C() string          { return f.Meta(MetaJA4C) }
func (f *Flow) L7Info() string        { return f.Meta(MetaL7Info) }
func (f *Flow) RiskName() string      { return f.Meta(MetaRiskName) }
func (f *Flow) EndReason() string     { return f.Meta(MetaEndReason) }
func (f *Flow) SMTPMailFrom() string  { return f.Meta(MetaSMTPMailFrom) }
func (f *Flow) SMTPRcptTo() string    { return f.Meta(MetaSMTPRcptTo) }
func (f *Flow) WLANSSID() string      { return f.Meta(MetaWLANSSID) }

// FlowExtra holds fields most flows never carry. Cli*/Srv* are in flow
// orientation.
type FlowExtra struct {
	CliAS, SrvAS, PrevAS, NextAS uint32
	VRF                          uint32
	ObservationPoint             uint16
	CliTOS, SrvTOS               uint8
	Verdict                      uint8
	FlowSource                   uint8
	CliFragments, SrvFragments   uint64
	CliRetr, SrvRetr             uint64
	CliOOO, SrvOOO               uint64
	CliTCPWinMax, SrvTCPWinMax   uint32

	NProbeIP                       netip.Addr
	PostNATSrcIP, PostNATDstIP     netip.Addr
	PostNATSrcPort, PostNATDstPort uint16

	L7ErrorCode  uint32
	DNSQueryType uint16
	DNSRetCode   uint16
	HTTPRetCode  uint16
	Risk         uint64

	Additional []Field

	privateID uint32 // the flow's SIP call-id hash (Flow.PrivateID), part of its key
}

func addrOf(b *[16]byte, v6 bool) netip.Addr {
	a := netip.AddrFrom16(*b)
	if !v6 {
		return a.Unmap()
	}
	return a
}

// ID is unique among the flows an interface ever had while the engine runs
// (slot and generation); Tables.Flow finds a live flow by it.
func (f *Flow) ID() uint64 { return uint64(f.gen)<<32 | uint64(f.slot) }

// Key is ntopng's symmetric flow hash (the REST "key").
func (f *Flow) Key() uint32 {
	v6 := f.flags&flowV6 != 0
	cli, srv := f.addrs()
	h := hashAddr(&cli, v6) + hashAddr(&srv, v6)
	return h + f.PrivateID() + uint32(f.cliPort) + uint32(f.srvPort) + uint32(f.vlan) + uint32(f.proto)
}

// hashAddr is the address's value for IPv4, a sum of its words for IPv6.
func hashAddr(b *[16]byte, v6 bool) uint32 {
	if !v6 {
		return binary.BigEndian.Uint32(b[12:])
	}
	var h uint32
	for i := 0; i < 16; i += 4 {
		h += uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
	}
	return h
}

// Client and Server are the flow's addresses (invalid for a copy of an IPv6 flow).
func (f *Flow) Client() netip.Addr { return f.addr(0) }
func (f *Flow) Server() netip.Addr { return f.addr(1) }

func (f *Flow) addr(side int) netip.Addr {
	if f.flags&flowV6 == 0 {
		return netip.AddrFrom4([2][4]byte{f.cli4, f.srv4}[side])
	}
	if a := f.v6Addrs(); a != nil {
		return netip.AddrFrom16(a[side])
	}
	return netip.Addr{}
}
func (f *Flow) ClientPort() uint16 { return f.cliPort }
func (f *Flow) ServerPort() uint16 { return f.srvPort }
func (f *Flow) VLAN() uint16       { return f.vlan }
func (f *Flow) Proto() uint8       { return f.proto }

// PrivateID is the SIP call-id hash of the key, 0 for most flows (and for
// a copy of a Flow).
func (f *Flow) PrivateID() uint32 {
	if f.flags&flowPriv != 0 {
		if x := f.Extra(); x != nil {
			return x.privateID
		}
	}
	return 0
}

func (f *Flow) IsIPv6() bool     { return f.flags&flowV6 != 0 }
func (f *Flow) Bytes() uint64    { return f.CliBytes + f.SrvBytes }
func (f *Flow) Packets() uint64  { return f.CliPkts + f.SrvPkts }
func (f *Flow) Duration() uint32 { return f.LastSeen - f.FirstSeen }
func (f *Flow) Extra() *FlowExtra { // nil when the flow carried no rare field
	if s := f.side(); s != nil {
		return s.ext
	}
	return nil
}

// L7 returns the nDPI application id, or the master when the app is 0.
func (f *Flow) L7() uint16 {
	if f.L7App != 0 {
		return f.L7App
	}
	return f.L7Master
}

// L7Name is the nDPI name, "Master.App" when both are known.
func (f *Flow) L7Name() string { return ndpi.FullName(f.L7Master, f.L7App) }

// L4Name is the protocol name as ntopng shows it.
func (f *Flow) L4Name() string { return L4Name(f.proto) }

// Breakdown returns the client→server and server→client share of bytes in
// percent, summing to 100 (0/0 for an empty flow).
func (f *Flow) Breakdown() (cli2srv, srv2cli int) {
	t := f.CliBytes + f.SrvBytes
	if t == 0 {
		return 0, 0
	}
	c := int((f.CliBytes*100 + t/2) / t)
	return c, 100 - c
}

// L4Name is ntopng's label of an IP protocol number.
func L4Name(p uint8) string {
	switch p {
	case 1:
		return "ICMP"
	case 2:
		return "IGMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 47:
		return "GRE"
	case 50:
		return "ESP"
	case 58:
		return "IPv6-ICMP"
	case 132:
		return "SCTP"
	}
	return "Other IP"
}

func (f *Flow) extra() *FlowExtra {
	s := f.sideAlloc()
	if s.ext == nil {
		s.ext = &FlowExtra{}
	}
	return s.ext
}

func setStr(dst *string, src string) {
	if src != "" && src != *dst {
		*dst = strings.Clone(src)
	}
}
