package activemon

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMP protocol numbers (IANA).
const (
	protoICMP   = 1
	protoICMPv6 = 58
)

// SocketMode is how echo requests leave: an unprivileged ICMP datagram
// socket (Linux's "ping socket", allowed by net.ipv4.ping_group_range) or a
// raw socket (CAP_NET_RAW).
type SocketMode string

// The socket modes; ModeAuto tries the datagram socket first.
const (
	ModeAuto     SocketMode = ""
	ModeDatagram SocketMode = "datagram"
	ModeRaw      SocketMode = "raw"
)

// Pinger sends ICMP echo requests and matches the replies. Sockets are
// opened on first use, one per address family and interface, and shared by
// every Session (a Lua state's ntop.pingHost, a monitoring round).
type Pinger struct {
	mode    SocketMode
	id      uint16 // echo identifier of raw sockets (datagram ones get the socket's port)
	maxWait time.Duration

	mu      sync.Mutex
	socks   map[sockKey]*pingSock
	seq     uint16
	pending map[pendKey]*probe

	st *Counters
}

type sockKey struct {
	v6    bool
	iface string
}

type pendKey struct {
	v6  bool
	seq uint16
}

type probe struct {
	addr netip.Addr
	sent time.Time
	s    *Session
}

type pingSock struct {
	conn net.PacketConn
	raw  bool
	id   uint16
}

// maxPending bounds the echo requests waiting for a reply: the sequence
// space of one identifier.
const maxPending = 60000

func newPinger(mode SocketMode, maxWait time.Duration, st *Counters) *Pinger {
	// A random echo identifier: raw sockets see every process's replies,
	// and two pingers of one process must not take each other's.
	return &Pinger{mode: mode, id: uint16(rand.Uint32()), maxWait: maxWait, socks: map[sockKey]*pingSock{},
		pending: map[pendKey]*probe{}, st: st}
}

// openSocket makes an ICMP socket of the family, bound to iface when not
// empty, as a net.PacketConn: datagram first (no privilege needed where
// ping_group_range allows), raw otherwise, unless mode forces one.
func openSocket(v6 bool, iface string, mode SocketMode) (net.PacketConn, bool, error) {
	var errs []error
	for _, raw := range []bool{false, true} {
		if (mode == ModeRaw && !raw) || (mode == ModeDatagram && raw) {
			continue
		}
		c, err := socket(v6, raw, iface)
		if err == nil {
			return c, raw, nil
		}
		errs = append(errs, err)
	}
	return nil, false, errors.Join(errs...)
}

func socket(v6, raw bool, iface string) (net.PacketConn, error) {
	family, proto, kind := syscall.AF_INET, protoICMP, "datagram"
	if v6 {
		family, proto = syscall.AF_INET6, protoICMPv6
	}
	typ := syscall.SOCK_DGRAM
	if raw {
		typ, kind = syscall.SOCK_RAW, "raw"
	}
	fd, err := syscall.Socket(family, typ|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, proto)
	if err != nil {
		return nil, fmt.Errorf("%s ICMP socket: %w", kind, err)
	}
	fail := func(what string, err error) (net.PacketConn, error) {
		syscall.Close(fd)
		return nil, fmt.Errorf("%s ICMP socket: %s: %w", kind, what, err)
	}
	if iface != "" {
		if err := syscall.SetsockoptString(fd, syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, iface); err != nil {
			return fail("bind to "+iface, err)
		}
	}
	// A round's replies arrive in a burst (1,000 hosts: 1,000 replies within
	// milliseconds): a 4 MiB receive buffer keeps them (forced where the
	// process may, else up to net.core.rmem_max).
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, rcvBuf) != nil {
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
	}
	if raw {
		// A raw socket sees every ICMP packet of the host: let only echo
		// replies through (ICMP_FILTER, ICMP6_FILTER block the others).
		if err := filterEchoReplies(fd, v6); err != nil {
			return fail("filter", err)
		}
	}
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{}
	if v6 {
		sa = &syscall.SockaddrInet6{}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	f := os.NewFile(uintptr(fd), "icmp")
	c, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn holds its own descriptor
	if err != nil {
		return nil, fmt.Errorf("%s ICMP socket: %w", kind, err)
	}
	return c, nil
}

// rcvBuf is the receive buffer of the ICMP sockets.
const rcvBuf = 4 << 20

// filterEchoReplies sets the kernel's ICMP filter of a raw socket so that
// only echo replies are queued (linux/icmp.h ICMP_FILTER: a set bit drops
// the type; linux/icmpv6.h ICMP6_FILTER: a set bit blocks it).
func filterEchoReplies(fd int, v6 bool) error {
	if !v6 {
		const solRaw, icmpFilter = 255, 1
		return syscall.SetsockoptInt(fd, solRaw, icmpFilter, int(^uint32(1<<0)))
	}
	const icmp6Filter = 1
	var f [8]uint32
	for i := range f {
		f[i] = ^uint32(0)
	}
	f[129>>5] &^= 1 << (129 & 31) // echo reply
	b := make([]byte, 32)
	for i, w := range f {
		binary.NativeEndian.PutUint32(b[4*i:], w)
	}
	return syscall.SetsockoptString(fd, protoICMPv6, icmp6Filter, string(b))
}

// sock returns the socket of the family and interface, opening it (and its
// reader) on first use.
func (p *Pinger) sock(v6 bool, iface string) (*pingSock, error) {
	k := sockKey{v6, iface}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.socks[k]; s != nil {
		return s, nil
	}
	c, raw, err := openSocket(v6, iface, p.mode)
	if err != nil {
		p.st.socketErrors.Add(1)
		return nil, err
	}
	s := &pingSock{conn: c, raw: raw, id: p.id}
	if !raw {
		// The kernel puts the socket's port in the identifier of a
		// datagram socket's requests and delivers it only its replies.
		switch a := c.LocalAddr().(type) {
		case *net.UDPAddr:
			s.id = uint16(a.Port)
		}
	}
	p.socks[k] = s
	go p.read(s, v6)
	return s, nil
}

// Available tells whether an ICMP socket of the family can be opened
// (bound to iface when not empty).
func (p *Pinger) Available(v6 bool, iface string) bool {
	_, err := p.sock(v6, iface)
	return err == nil
}

// Mode is the kind of socket the IPv4 pings use ("datagram" or "raw"),
// opening it if needed; "" when none can be opened.
func (p *Pinger) Mode() SocketMode {
	s, err := p.sock(false, "")
	if err != nil {
		return ""
	}
	if s.raw {
		return ModeRaw
	}
	return ModeDatagram
}

// Close closes every socket; their readers end.
func (p *Pinger) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, s := range p.socks {
		s.conn.Close()
		delete(p.socks, k)
	}
}

// send sends one echo request to addr for session s.
func (p *Pinger) send(s *Session, addr netip.Addr, iface string) error {
	addr = addr.Unmap()
	v6 := addr.Is6()
	sk, err := p.sock(v6, iface)
	if err != nil {
		return err
	}
	now := time.Now()
	p.mu.Lock()
	p.expireLocked(now)
	if len(p.pending) >= maxPending {
		p.mu.Unlock()
		p.st.pingOverflow.Add(1)
		return fmt.Errorf("ping %s: %d echo requests already waiting", addr, maxPending)
	}
	var seq uint16
	for {
		p.seq++
		seq = p.seq
		if _, busy := p.pending[pendKey{v6, seq}]; !busy {
			break
		}
	}
	p.pending[pendKey{v6, seq}] = &probe{addr: addr, sent: now, s: s}
	p.mu.Unlock()

	var typ icmp.Type = ipv4.ICMPTypeEcho
	if v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: int(sk.id), Seq: int(seq), Data: []byte("flowgate-am")}}
	b, err := msg.Marshal(nil) // the kernel sums ICMPv6 (pseudo-header) itself
	if err == nil {
		var dst net.Addr = &net.IPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
		if !sk.raw {
			dst = &net.UDPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
		}
		_, err = sk.conn.WriteTo(b, dst)
	}
	if err != nil {
		p.mu.Lock()
		delete(p.pending, pendKey{v6, seq})
		p.mu.Unlock()
		p.st.pingSendErrors.Add(1)
		return fmt.Errorf("ping %s: %w", addr, err)
	}
	p.st.pingsSent.Add(1)
	return nil
}

// expireLocked forgets requests older than maxWait (their hosts are
// unreachable for the rounds that sent them).
func (p *Pinger) expireLocked(now time.Time) {
	if len(p.pending) < 1024 && p.seq%256 != 0 {
		return
	}
	for k, pr := range p.pending {
		if now.Sub(pr.sent) > p.maxWait {
			delete(p.pending, k)
			p.st.pingsExpired.Add(1)
		}
	}
}

// read matches the replies of one socket until it is closed.
func (p *Pinger) read(s *pingSock, v6 bool) {
	buf := make([]byte, 1500)
	proto := protoICMP
	if v6 {
		proto = protoICMPv6
	}
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if strings.Contains(err.Error(), "use of closed") {
				return
			}
			p.st.pingRecvErrors.Add(1)
			continue
		}
		now := time.Now()
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil {
			p.st.pingBadReplies.Add(1)
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || (m.Type != ipv4.ICMPTypeEchoReply && m.Type != ipv6.ICMPTypeEchoReply) {
			continue // other ICMP a raw socket sees (requests, errors)
		}
		if s.raw && uint16(echo.ID) != s.id {
			continue // another process's ping
		}
		var src netip.Addr
		switch a := from.(type) {
		case *net.IPAddr:
			src, _ = netip.AddrFromSlice(a.IP)
		case *net.UDPAddr:
			src, _ = netip.AddrFromSlice(a.IP)
		}
		src = src.Unmap()
		k := pendKey{v6, uint16(echo.Seq)}
		p.mu.Lock()
		pr := p.pending[k]
		if pr != nil && pr.addr.WithZone("") == src.WithZone("") {
			delete(p.pending, k)
		} else {
			pr = nil
		}
		p.mu.Unlock()
		if pr == nil {
			p.st.pingStrayReplies.Add(1)
			continue
		}
		p.st.pingReplies.Add(1)
		pr.s.deliver(pr.addr, now.Sub(pr.sent))
	}
}

// Session is one user of the pinger: what it sent and the replies it has
// not collected yet (ntopng's pingHost / collectPingResults pair).
type Session struct {
	p *Pinger

	mu      sync.Mutex
	results map[netip.Addr]time.Duration
	waiting int
	notify  chan struct{}
}

// NewSession returns a session on the pinger.
func (p *Pinger) NewSession() *Session {
	return &Session{p: p, results: map[netip.Addr]time.Duration{}, notify: make(chan struct{}, 1)}
}

// Ping sends an echo request to addr through iface ("" any).
func (s *Session) Ping(addr netip.Addr, iface string) error {
	s.mu.Lock()
	s.waiting++
	s.mu.Unlock()
	if err := s.p.send(s, addr, iface); err != nil {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *Session) deliver(a netip.Addr, rtt time.Duration) {
	s.mu.Lock()
	if _, dup := s.results[a]; !dup {
		s.results[a] = rtt
	}
	if s.waiting > 0 {
		s.waiting--
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Collect returns the replies received since the last Collect and forgets
// them (and the requests still waiting).
func (s *Session) Collect() map[netip.Addr]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.results
	s.results = map[netip.Addr]time.Duration{}
	s.waiting = 0
	return out
}

// Wait returns when every request sent has its reply or at deadline.
func (s *Session) Wait(deadline time.Time) {
	for {
		s.mu.Lock()
		done := s.waiting == 0
		s.mu.Unlock()
		if done {
			return
		}
		d := time.Until(deadline)
		if d <= 0 {
			return
		}
		t := time.NewTimer(d)
		select {
		case <-s.notify:
		case <-t.C:
		}
		t.Stop()
	}
}

// IfNames lists the interfaces pings can be bound to (ntopng's ping
// interfaces): up, with an address, and a socket of the family of one of
// their addresses binds to them.
func (p *Pinger) IfNames() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil || len(addrs) == 0 {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if p.Available(n.IP.To4() == nil, i.Name) {
				out = append(out, i.Name)
				break
			}
		}
	}
	return out
}
