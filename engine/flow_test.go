package engine

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net/netip"
	"testing"
	"time"

	"flowgate/engine/ndpi"
)

// TestRESTFields checks the accessors the REST flow list is built from,
// on a flow like those in the ntopng 5.2.1 samples.
func TestRESTFields(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	now := c.Unix()
	r := rec("10.1.0.41", "10.1.0.34", 40990, 53, 17, 1992, 6, 2988, 9, now-10, now)
	r.L7Set, r.L7App = true, pid(t, "DNS")
	process(i, r)
	f := onlyFlow(t, i)
	cli, srv := f.Breakdown()
	if cli != 40 || srv != 60 {
		t.Errorf("breakdown %d/%d, want 40/60", cli, srv)
	}
	if f.Duration() != 10 || f.Bytes() != 4980 || f.Packets() != 15 {
		t.Errorf("duration %d bytes %d packets %d", f.Duration(), f.Bytes(), f.Packets())
	}
	if f.L4Name() != "UDP" || f.L7Name() != ndpi.FullName(0, r.L7App) {
		t.Errorf("protocols %q %q", f.L4Name(), f.L7Name())
	}
	a4, b4 := netip.MustParseAddr("10.1.0.41").As4(), netip.MustParseAddr("10.1.0.34").As4()
	want := binary.BigEndian.Uint32(a4[:]) + binary.BigEndian.Uint32(b4[:]) + 40990 + 53 + 17
	if f.Key() != want {
		t.Errorf("key %d, want the symmetric sum %d", f.Key(), want)
	}
	// 1992+2988 bytes over 10 s.
	if f.ThptBps != float32(4980*8)/10 || f.ThptPps != 1.5 {
		t.Errorf("thpt %v bps %v pps", f.ThptBps, f.ThptPps)
	}
	if f.Client() != netip.MustParseAddr("10.1.0.41") || f.IsIPv6() {
		t.Errorf("client %v v6 %v", f.Client(), f.IsIPv6())
	}
}

func TestBreakdownEmpty(t *testing.T) {
	var f Flow
	if c, s := f.Breakdown(); c != 0 || s != 0 {
		t.Errorf("empty flow breakdown %d/%d", c, s)
	}
}

// TestFlowSideData: L7 metadata and rare fields live beside the flow, not in
// it (flow chunks hold no pointer for the GC to scan); a copy of a Flow sees
// none of them, and an expired flow's side data does not leak into the
// flow that reuses its slot.
func TestFlowSideData(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	now := c.Unix()
	r := rec("10.1.0.1", "10.1.0.2", 40000, 53, 17, 100, 1, 0, 0, now, now)
	r.DNSQuery, r.SrcAS = "example.org", 64500
	process(i, r)
	f := onlyFlow(t, i)
	if f.DNSQuery() != "example.org" || f.Extra() == nil || f.Extra().CliAS != 64500 {
		t.Fatalf("side data not kept: %q %+v", f.DNSQuery(), f.Extra())
	}
	cp := *f
	if cp.DNSQuery() != "" || cp.Extra() != nil {
		t.Errorf("a copy sees side data: %q %+v", cp.DNSQuery(), cp.Extra())
	}
	c.Add(200 * time.Second)
	i.Do(func(tb *Tables) { tb.Tick() })
	now = c.Unix()
	process(i, rec("10.1.0.3", "10.1.0.4", 40000, 80, 6, 100, 1, 0, 0, now, now))
	g := onlyFlow(t, i)
	if g.DNSQuery() != "" || g.Extra() != nil {
		t.Errorf("reused slot kept the old flow's side data: %q %+v", g.DNSQuery(), g.Extra())
	}
}

// TestFlowFamilies: IPv4 flows keep their addresses inline and IPv6 flows
// in their chunk, so the two never share a chunk; both are found in either
// orientation, keep their addresses and key, and a slot freed by one
// family is not reused by the other.
func TestFlowFamilies(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	now := c.Unix()
	type ep struct {
		cli, srv string
		sp, dp   uint16
	}
	eps := []ep{
		{"10.1.0.1", "10.1.0.2", 40000, 53},
		{"2001:db8::1", "2001:db8::2", 40000, 53},
		{"10.1.0.1", "10.1.0.2", 40001, 53},
		{"2001:db8::1", "2001:db8::2:1", 40000, 53},
		{"::ffff:10.1.0.3", "::ffff:10.1.0.4", 40000, 53}, // IPv4-mapped: an IPv4 flow
		{"2001:db8::a", "10.1.0.5", 40000, 53},            // mismatch: dropped, counted
	}
	for _, e := range eps {
		process(i, rec(e.cli, e.srv, e.sp, e.dp, 17, 100, 1, 0, 0, now, now))
	}
	// The same flows again, reversed: they must match, not start new flows.
	for _, e := range eps {
		process(i, rec(e.srv, e.cli, e.dp, e.sp, 17, 7, 1, 0, 0, now, now))
	}
	if s := i.Snapshot(); s.ActiveFlows != 5 || s.TotalFlows != 5 || s.DropsIPMismatch != 2 {
		t.Fatalf("active %d total %d mismatch drops %d, want 5 5 2", s.ActiveFlows, s.TotalFlows, s.DropsIPMismatch)
	}
	i.Do(func(tb *Tables) {
		n := 0
		tb.Flows(func(f *Flow) bool {
			n++
			e := eps[0]
			for _, x := range eps {
				if netip.MustParseAddr(x.cli).Unmap() == f.Client() && netip.MustParseAddr(x.srv).Unmap() == f.Server() && x.sp == f.ClientPort() {
					e = x
				}
			}
			cli, srv := netip.MustParseAddr(e.cli).Unmap(), netip.MustParseAddr(e.srv).Unmap()
			if f.Client() != cli || f.Server() != srv || f.IsIPv6() != cli.Is6() {
				t.Errorf("flow %v -> %v (v6 %v), want %v -> %v", f.Client(), f.Server(), f.IsIPv6(), cli, srv)
			}
			if f.CliBytes != 100 || f.SrvBytes != 7 {
				t.Errorf("flow %v: bytes %d/%d, want 100/7 (the reverse record matched)", f.Client(), f.CliBytes, f.SrvBytes)
			}
			if hasV6 := f.chunk().v6 != nil; hasV6 != f.IsIPv6() {
				t.Errorf("flow %v (v6 %v) in a chunk with IPv6 addresses %v", f.Client(), f.IsIPv6(), hasV6)
			}
			want := hashAddr(ptr16(cli), cli.Is6()) + hashAddr(ptr16(srv), cli.Is6()) + uint32(e.sp) + uint32(e.dp) + 17
			if f.Key() != want {
				t.Errorf("flow %v: key %d, want %d", f.Client(), f.Key(), want)
			}
			cp := *f
			if got := cp.Client(); f.IsIPv6() && got.IsValid() || !f.IsIPv6() && got != cli {
				t.Errorf("copy of flow %v: client %v", f.Client(), got)
			}
			return true
		})
		if n != 5 {
			t.Errorf("%d flows listed, want 5", n)
		}
	})
	// End every flow, then start IPv4 flows only: none lands in an IPv6 chunk.
	c.Add(200 * time.Second)
	i.Do(func(tb *Tables) { tb.Tick() })
	now = c.Unix()
	for p := uint16(0); p < 8; p++ {
		process(i, rec("10.1.0.9", "10.1.0.8", 30000+p, 80, 6, 1, 1, 0, 0, now, now))
	}
	i.Do(func(tb *Tables) {
		tb.Flows(func(f *Flow) bool {
			if f.chunk().v6 != nil {
				t.Errorf("IPv4 flow %v:%d in an IPv6 chunk", f.Client(), f.ClientPort())
			}
			return true
		})
	})
}

// TestPrivateIDKey: the SIP call-id hash is part of the key although it
// lives beside the flow: same endpoints with another (or no) call id are
// other flows, the reverse direction with the same one matches, and a slot
// reused by a plain flow does not inherit it.
func TestPrivateIDKey(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	now := c.Unix()
	sip := func(src, dst string, sp, dp uint16, priv uint32, bytes uint64) FlowRecord {
		r := rec(src, dst, sp, dp, 17, bytes, 1, 0, 0, now, now)
		r.PrivateID = priv
		return r
	}
	process(i,
		sip("10.1.0.1", "10.1.0.2", 5060, 5060, 0xabcdef, 100),
		sip("10.1.0.1", "10.1.0.2", 5060, 5060, 0x123456, 10),
		sip("10.1.0.1", "10.1.0.2", 5060, 5060, 0, 1),
		sip("10.1.0.2", "10.1.0.1", 5060, 5060, 0xabcdef, 1000), // reverse: same flow as the first
	)
	if s := i.Snapshot(); s.ActiveFlows != 3 {
		t.Fatalf("%d flows, want 3", s.ActiveFlows)
	}
	want := map[uint32]uint64{0xabcdef: 1100, 0x123456: 10, 0: 1}
	base := binary.BigEndian.Uint32([]byte{10, 1, 0, 1}) + binary.BigEndian.Uint32([]byte{10, 1, 0, 2}) + 5060 + 5060 + 17
	i.Do(func(tb *Tables) {
		tb.Flows(func(f *Flow) bool {
			if got := f.CliBytes + f.SrvBytes; got != want[f.PrivateID()] {
				t.Errorf("call id %#x: %d bytes, want %d", f.PrivateID(), got, want[f.PrivateID()])
			}
			if f.Key() != base+f.PrivateID() {
				t.Errorf("call id %#x: key %d, want %d", f.PrivateID(), f.Key(), base+f.PrivateID())
			}
			return true
		})
	})
	c.Add(200 * time.Second)
	i.Do(func(tb *Tables) { tb.Tick() })
	now = c.Unix()
	process(i, sip("10.1.0.1", "10.1.0.2", 5060, 5060, 0, 5))
	if f := onlyFlow(t, i); f.PrivateID() != 0 || f.Extra() != nil {
		t.Errorf("a reused slot kept call id %#x / extra %+v", f.PrivateID(), f.Extra())
	}
}

// TestFlowSideIndexReuse: side data indexes freed by ended flows are reused
// by new flows of the chunk, and every flow keeps its own strings (none
// sees an ended flow's, none loses its own).
func TestFlowSideIndexReuse(t *testing.T) {
	c := newClock()
	i := newIface(t, testConfig(c))
	start := c.Unix()
	want := map[uint16]string{} // client port → DNS query
	for p := uint16(1); p <= 6; p++ {
		r := rec("10.1.0.1", "10.1.0.2", 40000+p, 53, 17, 100, 1, 0, 0, start, start)
		r.DNSQuery = fmt.Sprintf("q%d.example.org", p)
		process(i, r)
		want[40000+p] = r.DNSQuery
	}
	// Keep the even ports alive, let the odd ones expire (idle 60 s).
	c.Add(40 * time.Second)
	now := c.Unix()
	for p := uint16(2); p <= 6; p += 2 {
		process(i, rec("10.1.0.1", "10.1.0.2", 40000+p, 53, 17, 100, 1, 0, 0, start, now))
	}
	c.Add(40 * time.Second)
	now = c.Unix()
	i.Do(func(tb *Tables) { tb.Tick() })
	for p := uint16(1); p <= 6; p += 2 {
		delete(want, 40000+p)
	}
	for p := uint16(7); p <= 10; p++ { // 3 take the freed indexes, 1 a new one
		r := rec("10.1.0.1", "10.1.0.2", 40000+p, 53, 17, 100, 1, 0, 0, now, now)
		if p != 8 { // one flow without strings
			r.DNSQuery = fmt.Sprintf("q%d.example.org", p)
		}
		process(i, r)
		want[40000+p] = r.DNSQuery
	}
	got := map[uint16]string{}
	i.Do(func(tb *Tables) {
		tb.Flows(func(f *Flow) bool { got[f.ClientPort()] = f.DNSQuery(); return true })
	})
	if !maps.Equal(got, want) {
		t.Fatalf("DNS queries by client port:\n got %v\nwant %v", got, want)
	}
}
