package activemon

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// netnsSeq numbers the namespaces of one test process (subnets differ).
var netnsSeq atomic.Uint32

// peerNS is a network namespace joined to the test's by a veth pair:
// the host side is Local, the namespace side Peer (IPv4 and IPv6), and
// Silent are addresses of the peer's subnet nobody answers.
type peerNS struct {
	Name               string
	Local4, Peer4      netip.Addr
	Local6, Peer6      netip.Addr
	Silent4, Silent6   netip.Addr
	hostVeth, peerVeth string
	netnsPath          string
}

func run(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newPeerNS creates the namespace; the test's cleanup removes it (and the
// veth pair with it).
func newPeerNS(t testing.TB) *peerNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("active monitoring tests need root (ip netns, raw sockets): run as root, as CI does")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("ip (iproute2) is required: %v", err)
	}
	n := netnsSeq.Add(1)
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, n)
	p := &peerNS{Name: "fgam" + id, hostVeth: "fgh" + id, peerVeth: "fgp" + id}
	p.netnsPath = "/var/run/netns/" + p.Name
	// A subnet per namespace: 10.(200+pid%50).n.0/24 and fd00:fa:<pid>:<n>::/64.
	b2, b3 := byte(200+os.Getpid()%50), byte(n)
	p.Local4 = netip.AddrFrom4([4]byte{10, b2, b3, 1})
	p.Peer4 = netip.AddrFrom4([4]byte{10, b2, b3, 2})
	p.Silent4 = netip.AddrFrom4([4]byte{10, b2, b3, 9})
	p6 := func(last byte) netip.Addr {
		return netip.AddrFrom16([16]byte{0xfd, 0, 0, 0xfa, 0, b2, 0, b3, 14: 0, 15: last})
	}
	p.Local6, p.Peer6, p.Silent6 = p6(1), p6(2), p6(9)

	run(t, "ip", "netns", "add", p.Name)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", p.hostVeth).Run()
		_ = exec.Command("ip", "netns", "del", p.Name).Run()
	})
	run(t, "ip", "link", "add", p.hostVeth, "type", "veth", "peer", "name", p.peerVeth)
	run(t, "ip", "link", "set", p.peerVeth, "netns", p.Name)
	run(t, "ip", "addr", "add", p.Local4.String()+"/24", "dev", p.hostVeth)
	run(t, "ip", "-6", "addr", "add", p.Local6.String()+"/64", "dev", p.hostVeth, "nodad")
	run(t, "ip", "link", "set", p.hostVeth, "up")
	in := func(args ...string) { run(t, append([]string{"ip", "netns", "exec", p.Name}, args...)...) }
	in("ip", "link", "set", "lo", "up")
	in("ip", "addr", "add", p.Peer4.String()+"/24", "dev", p.peerVeth)
	in("ip", "-6", "addr", "add", p.Peer6.String()+"/64", "dev", p.peerVeth, "nodad")
	in("ip", "link", "set", p.peerVeth, "up")
	return p
}

// sysctl sets a sysctl inside the namespace.
func (p *peerNS) sysctl(t testing.TB, key, val string) {
	run(t, "ip", "netns", "exec", p.Name, "sysctl", "-q", "-w", key+"="+val)
}

// inNS runs fn on a thread switched into the namespace: sockets fn opens
// stay in it.
func (p *peerNS) inNS(t testing.TB, fn func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the thread is left to exit with its goroutine if restoring fails
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- err
			return
		}
		defer self.Close()
		target, err := os.Open(p.netnsPath)
		if err != nil {
			done <- err
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			done <- err
			return
		}
		fn()
		if err := setns(self); err != nil {
			done <- fmt.Errorf("back to the test's namespace: %w", err)
			return // keeps the thread locked: it dies with the goroutine
		}
		runtime.UnlockOSThread()
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatalf("enter namespace %s: %v", p.Name, err)
	}
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

// slowEcho answers the namespace's echo requests after delay (the kernel's
// own answers are turned off there: no netem on this kernel).
func (p *peerNS) slowEcho(t testing.TB, delay time.Duration) {
	t.Helper()
	p.sysctl(t, "net.ipv4.icmp_echo_ignore_all", "1")
	p.sysctl(t, "net.ipv6.icmp.echo_ignore_all", "1")
	var c4, c6 net.PacketConn
	p.inNS(t, func() {
		var err error
		if c4, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0"); err != nil {
			t.Errorf("responder socket: %v", err)
			return
		}
		if c6, err = icmp.ListenPacket("ip6:ipv6-icmp", "::"); err != nil {
			t.Errorf("responder socket: %v", err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Cleanup(func() { c4.Close(); c6.Close() })
	go respond(c4, protoICMP, delay)
	go respond(c6, protoICMPv6, delay)
}

func respond(c net.PacketConn, proto int, delay time.Duration) {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || (m.Type != ipv4.ICMPTypeEcho && m.Type != ipv6.ICMPTypeEchoRequest) {
			continue
		}
		echo := m.Body.(*icmp.Echo)
		reply := icmp.Message{Type: ipv4.ICMPTypeEchoReply, Body: &icmp.Echo{ID: echo.ID, Seq: echo.Seq, Data: echo.Data}}
		if proto == protoICMPv6 {
			reply.Type = ipv6.ICMPTypeEchoReply
		}
		b, err := reply.Marshal(nil)
		if err != nil {
			continue
		}
		time.AfterFunc(delay, func() { _, _ = c.WriteTo(b, from) })
	}
}

// listenIn opens a TCP listener inside the namespace.
func (p *peerNS) listenIn(t testing.TB, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	p.inNS(t, func() { ln, err = net.Listen("tcp", addr) })
	if err != nil {
		t.Fatalf("listen in %s: %v", p.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
