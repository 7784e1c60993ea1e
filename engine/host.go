package engine

import (
	"math"
	"math/bits"
	"net/netip"
)

type hostKey struct {
	ip   [16]byte
	vlan uint16
}

// Host is one (IP, VLAN) seen in flows. Read-only outside the engine; valid
// only inside Do or an observer call.
type Host struct {
	ip   [16]byte
	vlan uint16
	v6   bool
	live bool
	slot uint32

	Traffic                         // bytes and packets sent and received
	ActiveAsClient           uint32 // flows currently active with this host as client
	ActiveAsServer           uint32
	TotalAsClient            uint64 // flows ever
	TotalAsServer            uint64
	FirstSeen, LastSeen      uint32 // epoch seconds (probe clock)
	lastWall                 uint32 // wall clock of the last activity, for purge
	Local                    bool
	Network                  int // index in Tables.Networks, -1 when remote
	IsBroadcast, IsMulticast bool
	NumAlerts                uint32 // placeholder for the alert engine

	ThptBps, ThptPps float64 // over the last tick
	thptBytes        uint64
	thptPkts         uint64
	thptAt           int64 // unix nanos of the last sample

	L7    []HostL7 // per-application traffic, allocated on first traffic
	L4    [NumL4Classes]HostL4
	peers hll
}

// L4 classes of ntopng's host data: tcp, udp, icmp and other_ip.
const (
	L4TCP = iota
	L4UDP
	L4ICMP
	L4Other
	NumL4Classes
)

// L4ClassNames are the names ntopng's host data uses (tcp.bytes.sent, ...).
var L4ClassNames = [NumL4Classes]string{"tcp", "udp", "icmp", "other_ip"}

// L4Class maps an IP protocol number to its class.
func L4Class(proto uint8) int {
	switch proto {
	case 6:
		return L4TCP
	case 17:
		return L4UDP
	case 1, 58:
		return L4ICMP
	}
	return L4Other
}

// Traffic is what a host (or one of its protocols) sent and received.
type Traffic struct {
	BytesSent, BytesRcvd uint64
	PktsSent, PktsRcvd   uint64
}

// add counts a flow update seen from this side: sent by it, received by it.
func (t *Traffic) add(sentBytes, sentPkts, rcvdBytes, rcvdPkts uint64) {
	t.BytesSent += sentBytes
	t.PktsSent += sentPkts
	t.BytesRcvd += rcvdBytes
	t.PktsRcvd += rcvdPkts
}

// HostL4 is a host's traffic for one L4 class.
type HostL4 = Traffic

// HostL7 is a host's traffic for one nDPI protocol (app, or master when app is 0).
type HostL7 struct {
	Proto uint16
	Traffic
}

func (h *Host) IP() netip.Addr { return addrOf(&h.ip, h.v6) }
func (h *Host) VLAN() uint16   { return h.vlan }
func (h *Host) Bytes() uint64  { return h.BytesSent + h.BytesRcvd }

// ActiveFlows is the number of flows currently active with this host.
func (h *Host) ActiveFlows() uint32 { return h.ActiveAsClient + h.ActiveAsServer }

// NumPeers estimates distinct peers (HyperLogLog, 64 registers: about ±13 %,
// exact-ish under ~100 by linear counting).
func (h *Host) NumPeers() int { return h.peers.estimate() }

func (h *Host) l7(proto uint16) *HostL7 {
	for i := range h.L7 {
		if h.L7[i].Proto == proto {
			return &h.L7[i]
		}
	}
	if h.L7 == nil {
		h.L7 = make([]HostL7, 0, 2)
	}
	h.L7 = append(h.L7, HostL7{Proto: proto})
	return &h.L7[len(h.L7)-1]
}

// hll is a 64-register HyperLogLog: 64 bytes per host for a distinct-peer count.
type hll [64]uint8

func (s *hll) add(h uint64) {
	idx := h & 63
	rank := uint8(bits.LeadingZeros64((h>>6)|1) - 5) // leading zeros of the remaining 58 bits, +1
	if rank > s[idx] {
		s[idx] = rank
	}
}

func (s *hll) estimate() int {
	const m = 64.0
	var sum float64
	zeros := 0
	for _, r := range s {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.709 * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int(e + 0.5)
}

// mix64 is a cheap 64-bit hash of an address (splitmix finalizer).
func mix64(b *[16]byte, vlan uint16) uint64 {
	x := leU64(b[:8])*0x9E3779B97F4A7C15 ^ leU64(b[8:]) ^ uint64(vlan)<<48
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

func leU64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
