package packet

import (
	"net/netip"
	"time"

	"flowgate/engine"
)

const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
)

// fkey is a flow's key in canonical order (a ≤ b), so both directions of a
// conversation find the same entry.
type fkey struct {
	a, b   [16]byte
	pa, pb uint16
	vlan   uint16
	proto  uint8
}

// dir 0 is client→server, 1 server→client.
type flow struct {
	key    fkey
	inUse  bool
	cliIsA bool
	v6     bool

	first, last int64 // packet clock, ns

	pkts, bytes         [2]uint64
	sentPkts, sentBytes [2]uint64
	flags               [2]uint8
	sentFlags           [2]uint8
	tos                 [2]uint8
	frags               [2]uint32 // fragments not yet exported
	mac                 [2][6]byte
	hasMAC              bool

	// TCP.
	synT, synAckT, ackT int64
	latencySent         bool
	seqInit             [2]bool
	next                [2]uint32    // next expected sequence number
	hole                [2][2]uint32 // last gap seen: [start, end)
	retr, ooo           [2]uint32    // not yet exported
	zeroWin             [2]uint32
	winMax              [2]uint32
	closing             int64 // packet time of the RST or second FIN, 0 while open
	finSeen             [2]bool

	exported bool // a record went out: the engine has fixed the L7
	l7       l7state
}

// fragEntry remembers the ports of a first IP fragment for the later ones.
type fragEntry struct {
	src, dst     [16]byte
	id           uint32
	proto        uint8
	sport, dport uint16
	ts           int64
}

// sink receives flow records: the collector's engine batches, or a
// benchmark's reusable slice.
type sink interface {
	record() *engine.FlowRecord
	flush()
}

// tracker turns decoded packets into flows and exports their deltas. It is
// owned by one goroutine.
type tracker struct {
	cfg   Configuration
	stats *Stats
	out   sink

	flows []flow
	idx   *flowIndex
	free  []int32
	frag  [1024]fragEntry

	now      int64 // packet clock (ns) of the latest packet
	nextTick int64
	offset   int64 // added to packet time in records (rebase of replayed files)
}

func newTracker(cfg Configuration, stats *Stats, out sink) *tracker {
	return &tracker{
		cfg:   cfg,
		stats: stats,
		out:   out,
		idx:   newFlowIndex(),
	}
}

func less(a *[16]byte, pa uint16, b *[16]byte, pb uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return pa < pb
}

// packet accounts one decoded packet.
func (t *tracker) packet(p *pkt) {
	if p.ts < t.now {
		p.ts = t.now // a clock going back (merged captures, replay loops) stays put
	}
	t.now = p.ts
	if t.nextTick == 0 {
		t.nextTick = p.ts + int64(t.cfg.ExportInterval)
	}
	if p.fragment {
		t.fragment(p)
	}
	var k fkey
	k.vlan, k.proto = p.vlan, p.proto
	fromA := !less(&p.dst, p.dport, &p.src, p.sport)
	if fromA {
		k.a, k.b, k.pa, k.pb = p.src, p.dst, p.sport, p.dport
	} else {
		k.a, k.b, k.pa, k.pb = p.dst, p.src, p.dport, p.sport
	}
	if p.proto == 1 || p.proto == 58 {
		k.pa, k.pb = 0, 0 // ICMP type/code are not part of the key
	}
	var f *flow
	if i, ok := t.idx.get(&k, t.flows); ok {
		f = &t.flows[i]
	} else if f = t.newFlow(&k, p, fromA); f == nil {
		return
	}
	dir := 1
	if fromA == f.cliIsA {
		dir = 0
	}
	f.last = p.ts
	f.pkts[dir]++
	f.bytes[dir] += p.wireLen
	f.tos[dir] = p.tos
	if p.fragment {
		f.frags[dir]++
	}
	if p.hasMAC && !f.hasMAC {
		f.hasMAC = true
		f.mac[dir], f.mac[1-dir] = p.srcMAC, p.dstMAC
	}
	if p.proto == 6 && !p.laterFrag {
		t.tcp(f, dir, p)
	}
	if len(p.payload) > 0 && !f.l7.done {
		t.inspect(f, dir, p)
	}
	if p.ts >= t.nextTick {
		t.sweep()
	}
}

func (t *tracker) newFlow(k *fkey, p *pkt, fromA bool) *flow {
	if t.idx.n >= t.cfg.MaxFlows {
		t.stats.TableFull.Add(1)
		return nil
	}
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.flows = append(t.flows, flow{})
		i = int32(len(t.flows) - 1)
	}
	f := &t.flows[i]
	l7buf := f.l7.buf[:0]
	*f = flow{key: *k, inUse: true, v6: p.v6, first: p.ts, last: p.ts}
	f.l7.buf = l7buf
	// The first packet's sender is the client, unless it is a TCP SYN+ACK
	// (the SYN was missed) or it comes from a well-known port to an
	// ephemeral one, the swap nProbe and ntopng apply.
	cliIsSrc := true
	switch {
	case p.proto == 6 && p.tcpFlags&(tcpSYN|tcpACK) == tcpSYN|tcpACK:
		cliIsSrc = false
	case p.proto == 6 && p.tcpFlags&tcpSYN != 0:
	case p.sport < 1024 && p.dport >= 1024:
		cliIsSrc = false
	}
	f.cliIsA = cliIsSrc == fromA
	if p.proto != 6 && p.proto != 17 {
		f.l7.decided, f.l7.done = true, true // no dissector applies: ports/protocol guess in the engine
	}
	t.idx.put(k, i, t.flows)
	t.stats.FlowsCreated.Add(1)
	return f
}

// tcp follows the handshake, teardown, sequence numbers and windows.
func (t *tracker) tcp(f *flow, dir int, p *pkt) {
	fl := p.tcpFlags
	f.flags[dir] |= fl
	switch {
	case fl&(tcpSYN|tcpACK) == tcpSYN:
		if dir == 0 && f.synT == 0 {
			f.synT = p.ts
		}
	case fl&(tcpSYN|tcpACK) == tcpSYN|tcpACK:
		if dir == 1 && f.synT != 0 && f.synAckT == 0 {
			f.synAckT = p.ts
		}
	case fl&tcpACK != 0:
		if dir == 0 && f.synAckT != 0 && f.ackT == 0 {
			f.ackT = p.ts
		}
	}
	if fl&tcpRST == 0 {
		w := uint32(p.win)
		if w == 0 && fl&tcpSYN == 0 {
			f.zeroWin[dir]++
			t.stats.TCPZeroWindow.Add(1)
		}
		if w > f.winMax[dir] {
			f.winMax[dir] = w
		}
	}
	// Sequence tracking: a segment below the next expected byte fills a
	// known gap (out of order) or repeats data (retransmission).
	n := uint32(len(p.payload))
	if fl&(tcpSYN|tcpFIN) != 0 {
		n++
	}
	if !f.seqInit[dir] || fl&tcpSYN != 0 {
		f.seqInit[dir] = true
		f.next[dir] = p.seq + n
	} else if n > 0 {
		next := f.next[dir]
		switch d := int32(p.seq - next); {
		case d == 0:
			f.next[dir] = p.seq + n
		case d > 0: // bytes skipped: remember the gap
			f.hole[dir] = [2]uint32{next, p.seq}
			f.next[dir] = p.seq + n
		default:
			h := f.hole[dir]
			if h[0] != h[1] && int32(p.seq-h[0]) >= 0 && int32(p.seq-h[1]) < 0 {
				f.ooo[dir]++
				t.stats.TCPOutOfOrder.Add(1)
			} else {
				f.retr[dir]++
				t.stats.TCPRetransmissions.Add(1)
			}
			if end := p.seq + n; int32(end-next) > 0 {
				f.next[dir] = end
			}
		}
	}
	if fl&tcpFIN != 0 {
		f.finSeen[dir] = true
	}
	if f.closing == 0 && (fl&tcpRST != 0 || f.finSeen[0] && f.finSeen[1]) {
		f.closing = p.ts
	}
}

// fragment maps later fragments to the ports of their first fragment.
func (t *tracker) fragment(p *pkt) {
	t.stats.Fragments.Add(1)
	h := p.fragID*2654435761 ^ uint32(p.src[15]) ^ uint32(p.dst[15])<<8 ^ uint32(p.proto)<<16
	e := &t.frag[h%uint32(len(t.frag))]
	if !p.laterFrag {
		*e = fragEntry{src: p.src, dst: p.dst, id: p.fragID, proto: p.proto, sport: p.sport, dport: p.dport, ts: p.ts}
		return
	}
	if e.id == p.fragID && e.proto == p.proto && e.src == p.src && e.dst == p.dst && p.ts-e.ts < int64(30*time.Second) {
		p.sport, p.dport = e.sport, e.dport
		return
	}
	t.stats.FragmentsOrphan.Add(1) // accounted to a port-less flow
}

// sweep exports pending deltas and ends idle, closed and too old flows.
func (t *tracker) sweep() {
	t.nextTick = t.now + int64(t.cfg.ExportInterval)
	idle, active := int64(t.cfg.IdleTimeout), int64(t.cfg.ActiveTimeout)
	grace := int64(t.cfg.CloseGrace)
	detect := int64(t.cfg.DetectTimeout)
	for i := range t.flows {
		f := &t.flows[i]
		if !f.inUse {
			continue
		}
		var reason string
		switch {
		case f.closing != 0 && t.now-f.closing >= grace:
			reason = "tcp_fin"
			if f.flags[0]&tcpRST|f.flags[1]&tcpRST != 0 {
				reason = "tcp_rst"
			}
		case t.now-f.last >= idle:
			reason = "idle"
		case t.now-f.first >= active:
			reason = "active"
		}
		if reason != "" {
			t.export(f, reason)
			t.end(int32(i))
			continue
		}
		if !f.l7.decided && t.now-f.first >= detect {
			f.l7.decided = true
		}
		if f.l7.decided && f.pending() {
			t.export(f, "")
		}
	}
	t.out.flush()
}

// flushAll exports every flow's pending deltas (end of a capture file, Stop),
// leaving the flows to the engine's idle rule.
func (t *tracker) flushAll() {
	for i := range t.flows {
		f := &t.flows[i]
		if f.inUse && f.pending() {
			f.l7.decided = true
			t.export(f, "")
		}
	}
	t.out.flush()
}

func (f *flow) pending() bool {
	return f.pkts != f.sentPkts || f.flags != f.sentFlags || f.l7.changed || !f.exported
}

func (t *tracker) end(i int32) {
	t.idx.remove(i, t.flows)
	f := &t.flows[i]
	f.inUse = false
	t.free = append(t.free, i)
	t.stats.FlowsEnded.Add(1)
}

func addrOf(b *[16]byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16(*b)
	}
	return netip.AddrFrom4([4]byte(b[12:16]))
}

// export writes one delta record for f, client as source.
func (t *tracker) export(f *flow, endReason string) {
	r := t.out.record()
	k := &f.key
	if f.cliIsA {
		r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = addrOf(&k.a, f.v6), addrOf(&k.b, f.v6), k.pa, k.pb
	} else {
		r.SrcIP, r.DstIP, r.SrcPort, r.DstPort = addrOf(&k.b, f.v6), addrOf(&k.a, f.v6), k.pb, k.pa
	}
	r.Proto, r.VLAN = k.proto, k.vlan
	r.IPVersion = 4
	if f.v6 {
		r.IPVersion = 6
	}
	r.InPkts, r.InBytes = f.pkts[0]-f.sentPkts[0], f.bytes[0]-f.sentBytes[0]
	r.OutPkts, r.OutBytes = f.pkts[1]-f.sentPkts[1], f.bytes[1]-f.sentBytes[1]
	f.sentPkts, f.sentBytes, f.sentFlags = f.pkts, f.bytes, f.flags
	r.FirstSwitched = uint32((f.first + t.offset) / int64(time.Second))
	r.LastSwitched = uint32((f.last + t.offset) / int64(time.Second))
	r.ClientTCPFlags, r.ServerTCPFlags = f.flags[0], f.flags[1]
	r.TCPFlags = f.flags[0] | f.flags[1]
	r.SrcTOS, r.DstTOS = f.tos[0], f.tos[1]
	if f.hasMAC {
		r.SrcMAC, r.DstMAC = f.mac[0], f.mac[1]
	}
	r.SrcFragments, r.DstFragments = f.frags[0], f.frags[1]
	f.frags = [2]uint32{}
	if k.proto == 6 {
		r.RetrIn, r.RetrOut, r.OOOIn, r.OOOOut = f.retr[0], f.retr[1], f.ooo[0], f.ooo[1]
		f.retr, f.ooo = [2]uint32{}, [2]uint32{}
		r.TCPWinMaxIn, r.TCPWinMaxOut = f.winMax[0], f.winMax[1]
		if !f.latencySent && f.ackT != 0 {
			// Round trips seen from the capture point: SYN→SYN/ACK is the
			// server side, SYN/ACK→ACK the client side.
			f.latencySent = true
			r.ServerLatencyMs = float32(f.synAckT-f.synT) / 1e6
			r.ClientLatencyMs = float32(f.ackT-f.synAckT) / 1e6
			r.HasLatency = 1 | 2
		}
	}
	r.FlowSource = 0 // packets
	r.EndReason = endReason
	f.l7.fill(r, !f.exported)
	f.exported = true
	t.stats.Records.Add(1)
}
