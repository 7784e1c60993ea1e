package activemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
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

// slowListener is a TCP listener in the namespace whose accept queue holds
// one connection (listen backlog 0) and is kept full by a connection nobody
// accepts: a new SYN is dropped, and the client's retransmission one
// second later (the initial RTO) is what completes its handshake, once the
// listener starts accepting after delay. A slow TCP peer without netem.
func (p *peerNS) slowListener(t testing.TB, delay time.Duration) string {
	t.Helper()
	var ln net.Listener
	var err error
	p.inNS(t, func() {
		var fd int
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return
		}
		sa := &unix.SockaddrInet4{Addr: p.Peer4.As4()}
		if err = unix.Bind(fd, sa); err == nil {
			err = unix.Listen(fd, 0)
		}
		if err != nil {
			unix.Close(fd)
			return
		}
		f := os.NewFile(uintptr(fd), "slow-listener")
		ln, err = net.FileListener(f)
		f.Close()
	})
	if err != nil {
		t.Fatalf("slow listener in %s: %v", p.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().String()
	// Fill the accept queue (the dials end with the test).
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	for range 2 {
		go func() {
			var d net.Dialer
			if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	filled := func() bool {
		out, _ := exec.Command("ip", "netns", "exec", p.Name, "ss", "-Hltn", "sport = :"+strings.Split(addr, ":")[1]).Output()
		f := strings.Fields(string(out)) // State Recv-Q Send-Q ...: Recv-Q is the accept queue
		return len(f) > 1 && f[1] != "0"
	}
	deadline := time.Now().Add(10 * time.Second)
	for !filled() {
		if time.Now().After(deadline) {
			t.Fatal("the slow listener's accept queue did not fill")
		}
		runtime.Gosched()
	}
	time.AfterFunc(delay, func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	return addr
}
