package zmtp

import "sync/atomic"

// Stats is a snapshot of a socket's counters.
type Stats struct {
	Accepted     uint64 // connections accepted on bound endpoints
	Dialed       uint64 // outbound connections opened
	DialFailures uint64 // failed outbound connection attempts
	Handshakes   uint64 // handshakes completed
	Handshake    HandshakeFailures
	Peers        uint64 // connections currently past the handshake (gauge)
	Messages     uint64 // multipart messages received (SUB) or written to peers (PUB)
	Bytes        uint64 // frame bytes of those messages
	Dropped      uint64 // PUB: messages dropped for a peer at its high-water mark
	Oversized    uint64 // connections closed for a frame above MaxFrameSize
	Protocol     uint64 // connections closed for a framing or CURVE violation
	Truncated    uint64 // connections lost in the middle of a frame or message
	Disconnects  uint64 // established connections that ended
	// BufferAllocs counts the arrays a SUB allocated for received frames
	// because no released storage (Release) was free or large enough.
	BufferAllocs uint64
}

// HandshakeFailures counts failed handshakes by reason.
type HandshakeFailures struct {
	BadGreeting uint64 // not ZMTP
	BadVersion  uint64 // ZMTP older than 3.0
	Mechanism   uint64 // NULL/CURVE mismatch
	CurveAuth   uint64 // CURVE boxes did not open: wrong server key, forged cookie or vouch
	SocketType  uint64 // e.g. a SUB talking to our SUB
	Protocol    uint64 // malformed commands, peer ERROR
	IO          uint64 // peer left or timed out during the handshake
}

// Total is the sum over all reasons.
func (h HandshakeFailures) Total() uint64 {
	return h.BadGreeting + h.BadVersion + h.Mechanism + h.CurveAuth + h.SocketType + h.Protocol + h.IO
}

type counters struct {
	accepted, dialed, dialFailures, handshakes, peers        atomic.Uint64
	hs                                                       [reasonProtocol + 1]atomic.Uint64
	messages, bytes, dropped, oversized, protocol, truncated atomic.Uint64
	disconnects, bufferAllocs                                atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Accepted:     c.accepted.Load(),
		Dialed:       c.dialed.Load(),
		DialFailures: c.dialFailures.Load(),
		Handshakes:   c.handshakes.Load(),
		Handshake: HandshakeFailures{
			BadGreeting: c.hs[reasonBadGreeting].Load(),
			BadVersion:  c.hs[reasonBadVersion].Load(),
			Mechanism:   c.hs[reasonMechanism].Load(),
			CurveAuth:   c.hs[reasonCurveAuth].Load(),
			SocketType:  c.hs[reasonSocketType].Load(),
			Protocol:    c.hs[reasonProtocol].Load(),
			IO:          c.hs[reasonIO].Load(),
		},
		Peers:        c.peers.Load(),
		Messages:     c.messages.Load(),
		Bytes:        c.bytes.Load(),
		Dropped:      c.dropped.Load(),
		Oversized:    c.oversized.Load(),
		Protocol:     c.protocol.Load(),
		Truncated:    c.truncated.Load(),
		Disconnects:  c.disconnects.Load(),
		BufferAllocs: c.bufferAllocs.Load(),
	}
}
