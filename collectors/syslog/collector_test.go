package syslog

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/internal/testwait"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in, addr, tr, prod string
		err                bool
	}{
		{"syslog://127.0.0.1:514", "127.0.0.1:514", Both, "", false},
		{"syslog://0.0.0.0:6514@tls", "0.0.0.0:6514", TLS, "", false},
		{"syslog://[::1]:514@udp", "[::1]:514", UDP, "", false},
		{"syslog://:514@TCP", ":514", TCP, "", false},
		{"syslog://suricata@127.0.0.1:514", "127.0.0.1:514", Both, "suricata", false},
		{"syslog://127.0.0.1", "", "", "", true},
		{"tcp://127.0.0.1:514", "", "", "", true},
	}
	for _, c := range cases {
		cfg, err := ParseURL(c.in)
		if (err != nil) != c.err {
			t.Fatalf("%s: err %v", c.in, err)
		}
		if err != nil {
			continue
		}
		if cfg.Addr != c.addr || cfg.Transport != c.tr || cfg.Producers["*"] != c.prod {
			t.Fatalf("%s: got %+v", c.in, cfg)
		}
	}
}

func TestFramer(t *testing.T) {
	long := strings.Repeat("x", 100)
	in := "<13>plain line\n" +
		"17 <13>octet counted" + // no LF after an octet-counted frame
		"\n\n2024-01-01 starts with a digit\n" +
		"<13>" + long + "\n" + // oversized (max 64): skipped
		"5 hello" +
		"<13>last line without LF"
	f := newFramer(strings.NewReader(in), 64)
	var got []string
	for {
		m, err := f.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			got = append(got, "<skipped>")
			continue
		}
		got = append(got, string(m))
	}
	want := []string{"<13>plain line", "<13>octet counted", "2024-01-01 starts with a digit", "<skipped>", "hello", "<13>last line without LF"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	// A huge announced count is refused without reading it.
	// More than 10 digits is no count: the frame is a line.
	f = newFramer(strings.NewReader("99999999999 x\n"), 64)
	if m, err := f.next(); err != nil || string(m) != "99999999999 x" {
		t.Fatalf("11 digits: %q %v", m, err)
	}
	f = newFramer(strings.NewReader("4000000000 x"), 64)
	if _, err := f.next(); err == nil || !strings.Contains(err.Error(), "octet count") {
		t.Fatalf("huge count: %v", err)
	}
	// A frame cut by EOF is an error.
	f = newFramer(strings.NewReader("10 abc"), 64)
	if _, err := f.next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated frame: %v", err)
	}
}

// A reader returning one byte at a time exercises every partial state.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) { return s.r.Read(p[:1]) }

func TestFramerByteByByte(t *testing.T) {
	var in bytes.Buffer
	for i := range 200 {
		if i%2 == 0 {
			msg := fmt.Sprintf("<13>m%d", i)
			fmt.Fprintf(&in, "%d %s", len(msg), msg)
		} else {
			fmt.Fprintf(&in, "<13>m%d\n", i)
		}
	}
	f := newFramer(slowReader{&in}, 1024)
	for i := range 200 {
		m, err := f.next()
		if err != nil || string(m) != fmt.Sprintf("<13>m%d", i) {
			t.Fatalf("message %d: %q %v", i, m, err)
		}
	}
	if _, err := f.next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestRouting(t *testing.T) {
	sink := newSink("suricata", "fortinet", "fw", "host_log")
	c := New(Configuration{Producers: map[string]string{"10.9.9.9": "fw", "CoreSwitch": "host_log"}}, sink)
	p := newParser()
	peer := netip.MustParseAddr("10.1.1.1")
	cases := []struct{ line, peer, want string }{
		{"<13>Nov 22 00:30:00 h suricata[1]: {}", "10.1.1.1", "suricata"},
		{"<13>Nov 22 00:30:00 h Suricata: {}", "10.1.1.1", "suricata"},
		{"<13>Nov 22 00:30:00 h sshd[1]: x", "10.1.1.1", "sshd"}, // no handler: unhandled later
		{"<13>Nov 22 00:30:00 h sshd[1]: x", "10.9.9.9", "fw"},
		{"<13>Nov 22 00:30:00 coreswitch sshd[1]: x", "10.1.1.1", "host_log"},
		{"<189>date=2026-11-22 time=00:00:00 devname=FG logid=1", "10.1.1.1", "fortinet"},
		{"garbage", "10.1.1.1", ""},
	}
	for _, k := range cases {
		pp := p.parse([]byte(k.line))
		if got := c.route(&pp, netip.MustParseAddr(k.peer)); got != k.want {
			t.Errorf("%q from %s: producer %q, want %q", k.line, k.peer, got, k.want)
		}
	}
	// "*" catches what nothing else names, and raw lines.
	if err := c.SetProducer("*", "host_log"); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"<13>Nov 22 00:30:00 h sshd[1]: x", "garbage"} {
		pp := p.parse([]byte(line))
		if got := c.route(&pp, peer); got != "host_log" {
			t.Errorf("%q: %q, want host_log via *", line, got)
		}
	}
	if err := c.SetProducer("*", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.SetProducer("x", "../etc"); err == nil {
		t.Fatal("bad producer name accepted")
	}
	if err := c.SetProducer("nosuch", ""); err == nil {
		t.Fatal("deleting a missing entry succeeded")
	}
}

func TestProducersFilePersists(t *testing.T) {
	file := filepath.Join(t.TempDir(), "producers.json")
	c := startCollector(t, Configuration{ProducersFile: file, Producers: map[string]string{"a": "x"}}, newSink())
	if err := c.SetProducer("10.0.0.1", "Suricata"); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	c2 := startCollector(t, Configuration{ProducersFile: file}, newSink())
	got := c2.Producers()
	if got["10.0.0.1"] != "suricata" || got["a"] != "x" {
		t.Fatalf("reloaded map %v", got)
	}
	if err := os.WriteFile(file, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := New(Configuration{ProducersFile: file, Addr: "127.0.0.1:0"}, newSink()).Start(); err == nil {
		t.Fatal("a broken producers file was accepted")
	}
}

func TestUDPAndTCPSamePort(t *testing.T) {
	sink := newSink("app")
	c := startCollector(t, Configuration{}, sink)
	u, err := net.Dial("udp", c.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Write([]byte("<14>Nov 22 00:30:00 h app[1]: over udp\n")); err != nil {
		t.Fatal(err)
	}
	tc, err := net.Dial("tcp", c.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	msg := "<165>1 2026-11-22T00:30:00Z h app - - - over tcp"
	fmt.Fprintf(tc, "<14>Nov 22 00:30:00 h app: newline framed\n%d %s", len(msg), msg)
	tc.Close()
	testwait.For(t, "3 events", func() bool { return len(sink.get()) == 3 })
	got := map[string]int{}
	for _, e := range sink.get() {
		got[e.Message] = e.Priority
		if e.Host != "h" || e.Peer.String() != "127.0.0.1" || e.Producer != "app" {
			t.Fatalf("event %+v", e)
		}
	}
	if got["over udp"] != 14 || got["newline framed"] != 14 || got["over tcp"] != 165 {
		t.Fatalf("messages %v", got)
	}
	// The collector counts a delivery after the sink returns: wait for it.
	testwait.ForState(t, "stats of 3 deliveries", func() (any, bool) {
		s := c.Stats()
		return s, s.Received == 3 && s.UDP == 1 && s.TCP == 2 && s.Delivered == 3
	})
}

// Hostile input is bounded and counted, and other senders keep flowing.
func TestHostileInput(t *testing.T) {
	sink := newSink("app")
	// The idle timeout must outlast opening the 40 connections below, or the
	// first ones close before MaxConns is reached and nothing is refused.
	c := startCollector(t, Configuration{MaxMessage: 1024, MaxConns: 20, IdleTimeout: 2 * time.Second}, sink)
	// Binary garbage and invalid UTF-8 over UDP: malformed or delivered, never a crash.
	u, _ := net.Dial("udp", c.UDPAddr())
	defer u.Close()
	_, _ = u.Write([]byte{0, 1, 2, 0xff, 0xfe, '\n'})
	_, _ = u.Write([]byte("<13>Nov 22 00:30:00 h app: \xff\xfe invalid utf8"))
	_, _ = u.Write(bytes.Repeat([]byte("A"), 4000)) // oversized datagram
	// A huge octet count closes that connection only.
	bad, _ := net.Dial("tcp", c.TCPAddr())
	_, _ = bad.Write([]byte("999999999 <13>x"))
	// An oversized newline line is skipped, the next one is read.
	tc, _ := net.Dial("tcp", c.TCPAddr())
	_, _ = tc.Write(append(bytes.Repeat([]byte("B"), 5000), []byte("\n<13>Nov 22 00:30:00 h app: after oversize\n")...))
	testwait.For(t, "closed bad connection", func() bool {
		_ = bad.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := bad.Read(make([]byte, 1))
		return err != nil
	})
	testwait.For(t, "2 events", func() bool { return len(sink.get()) == 2 })
	tc.Close()
	// Idle connections beyond MaxConns are refused; idle ones time out.
	var idle []net.Conn
	for range 40 {
		if cn, err := net.Dial("tcp", c.TCPAddr()); err == nil {
			idle = append(idle, cn)
		}
	}
	testwait.For(t, "rejections", func() bool { return c.Stats().Rejected > 0 })
	testwait.For(t, "idle timeouts", func() bool { return c.Stats().IdleClosed >= 20 && c.Stats().ConnsOpen == 0 })
	for _, cn := range idle {
		cn.Close()
	}
	// Still serving.
	_, _ = u.Write([]byte("<13>Nov 22 00:30:00 h app: still here"))
	testwait.For(t, "event after the storm", func() bool { return len(sink.get()) == 3 })
	testwait.ForState(t, "malformed, oversized and rejected counts", func() (any, bool) {
		s := c.Stats()
		return s, s.Malformed == 1 && s.Oversized == 3 && s.Rejected != 0 && s.ConnsOpen == 0
	})
}

func TestParseProducers(t *testing.T) {
	m, err := ParseProducers("10.0.0.5=suricata, FW01=Fortinet", "*=host_log")
	if err != nil || len(m) != 3 || m["fw01"] != "fortinet" || m["*"] != "host_log" || m["10.0.0.5"] != "suricata" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"nokey", "=x", "a=", "a=../x"} {
		if _, err := ParseProducers(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Thousands of idle connections: MaxConns are held (each costs a goroutine
// and a 4 KiB buffer), the rest are refused at once, and UDP keeps flowing.
func TestThousandsOfIdleConnections(t *testing.T) {
	sink := newSink("app")
	c := startCollector(t, Configuration{MaxConns: 500, IdleTimeout: time.Minute}, sink)
	var conns []net.Conn
	defer func() {
		for _, cn := range conns {
			cn.Close()
		}
	}()
	for range 2000 {
		cn, err := net.Dial("tcp", c.TCPAddr())
		if err != nil {
			continue // a local fd limit: fewer connections, same check
		}
		conns = append(conns, cn)
	}
	// accepted is counted just before connsOpen: wait for both.
	testwait.ForState(t, "every connection accepted or refused, at most 500 open", func() (any, bool) {
		s := c.Stats()
		return s, s.Accepted+s.Rejected == uint64(len(conns)) &&
			(len(conns) <= 500 || s.Accepted == 500 && s.ConnsOpen == 500)
	})
	u, _ := net.Dial("udp", c.UDPAddr())
	defer u.Close()
	_, _ = u.Write([]byte("<13>Nov 22 00:30:00 h app: still flowing"))
	testwait.For(t, "UDP event", func() bool { return len(sink.get()) == 1 })
	for _, cn := range conns {
		cn.Close()
	}
	conns = nil
	testwait.For(t, "connections released", func() bool { return c.Stats().ConnsOpen == 0 })
}
