package zmtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

// nullPubHandshake makes a raw connection look like a NULL PUB and returns
// once the subscription from our SUB has arrived.
func nullPubHandshake(t *testing.T, nc net.Conn, socketType string) {
	t.Helper()
	out := makeGreeting("NULL", false)
	out = appendCommand(out, "READY", appendMetadata(nil, "Socket-Type", socketType))
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	if _, err := io.ReadFull(r, make([]byte, greetingSize)); err != nil {
		t.Fatal(err)
	}
	c := &conn{r: r, rbuf: make([]byte, 0, 64)}
	if _, err := c.readCommand("READY"); err != nil {
		t.Fatal(err)
	}
	if frames, _, err := c.readMessage(limits{maxFrame: 64, maxFrames: 1}, nil, nil); err != nil || frames[0][0] != 1 {
		t.Fatalf("want a subscription, got %q, %v", frames, err)
	}
}

// curveClient completes a real CURVE handshake with our conn code so tests
// can then misbehave inside the encrypted channel.
func curveClient(t *testing.T, nc net.Conn, server *[32]byte) *conn {
	t.Helper()
	kp, _ := GenerateKeyPair()
	c := newConn(nc, "PUB", 4096, 4096)
	if err := c.handshake(&security{serverKey: server, clientKey: &kp}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSubRefusesBadPeersAndKeepsServing(t *testing.T) {
	greetingV2 := makeGreeting("NULL", false)
	greetingV2[10] = 2
	cases := []struct {
		name    string
		curve   bool
		misdo   func(t *testing.T, nc net.Conn, server *[32]byte)
		counter func(Stats) uint64
	}{
		{"garbage greeting", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			io.ReadFull(nc, make([]byte, greetingSize)) // close with nothing unread: FIN, not RST
		}, func(s Stats) uint64 { return s.Handshake.BadGreeting }},
		{"ZMTP 2 greeting", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nc.Write(greetingV2)
			io.ReadFull(nc, make([]byte, greetingSize)) // close with nothing unread: FIN, not RST
		}, func(s Stats) uint64 { return s.Handshake.BadVersion }},
		{"NULL peer on CURVE server", true, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nc.Write(makeGreeting("NULL", false))
			io.ReadFull(nc, make([]byte, greetingSize)) // close with nothing unread: FIN, not RST
		}, func(s Stats) uint64 { return s.Handshake.Mechanism }},
		{"SUB peer", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nc.Write(append(makeGreeting("NULL", false), appendCommand(nil, "READY", appendMetadata(nil, "Socket-Type", "SUB"))...))
			readGreetingAndReady(t, nc)
		}, func(s Stats) uint64 { return s.Handshake.SocketType }},
		{"malformed READY metadata", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nc.Write(append(makeGreeting("NULL", false), appendCommand(nil, "READY", []byte{11, 'S', 'o'})...))
			readGreetingAndReady(t, nc)
		}, func(s Stats) uint64 { return s.Handshake.Protocol }},
		{"oversize frame", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nullPubHandshake(t, nc, "PUB")
			nc.Write(appendFrameHeader(nil, 0, 1025))
		}, func(s Stats) uint64 { return s.Oversized }},
		{"disconnect mid-frame", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nullPubHandshake(t, nc, "PUB")
			nc.Write(append(appendFrameHeader(nil, 0, 500), make([]byte, 10)...))
		}, func(s Stats) uint64 { return s.Truncated }},
		{"disconnect mid-message", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nullPubHandshake(t, nc, "PUB")
			nc.Write(append(appendFrameHeader(nil, flagMore, 4), "flow"...))
		}, func(s Stats) uint64 { return s.Truncated }},
		{"reserved flag bits", false, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			nullPubHandshake(t, nc, "PUB")
			nc.Write([]byte{0xF0, 1, 0})
		}, func(s Stats) uint64 { return s.Protocol }},
		{"CURVE wrong server key", true, func(t *testing.T, nc net.Conn, _ *[32]byte) {
			other, _ := GenerateKeyPair()
			kp, _ := GenerateKeyPair()
			c := newConn(nc, "PUB", 4096, 4096)
			if err := c.handshake(&security{serverKey: &other.Public, clientKey: &kp}); err == nil {
				t.Error("handshake with the wrong server key succeeded")
			}
		}, func(s Stats) uint64 { return s.Handshake.CurveAuth }},
		{"CURVE tampered message", true, func(t *testing.T, nc net.Conn, server *[32]byte) {
			c := curveClient(t, nc, server)
			var buf bytes.Buffer
			c.w = bufio.NewWriter(&buf)
			c.writeSealed([]byte("flow"), false, false)
			c.w.Flush()
			b := buf.Bytes()
			b[len(b)-1] ^= 0xFF
			nc.Write(b)
		}, func(s Stats) uint64 { return s.Protocol }},
		{"CURVE replayed nonce", true, func(t *testing.T, nc net.Conn, server *[32]byte) {
			c := curveClient(t, nc, server)
			c.writeMessage([][]byte{[]byte("flow")})
			c.curve.sendNonce--
			c.writeMessage([][]byte{[]byte("flow")})
			c.w.Flush()
		}, func(s Stats) uint64 { return s.Protocol }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			kp, _ := GenerateKeyPair()
			cfg := SubConfig{MaxFrameSize: 1024}
			pcfg := PubConfig{}
			if tc.curve {
				cfg.CurveServer, pcfg.CurveServerKey = &kp, &kp.Public
			}
			s := NewSub(cfg)
			defer s.Close()
			if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			addr := s.Endpoints()[0][len("tcp://"):]
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			tc.misdo(t, nc, &kp.Public)
			if tc.name != "CURVE replayed nonce" {
				nc.Close()
			}
			for tc.counter(s.Stats()) == 0 {
				if _, err := s.RecvContext(ctxPoll(ctx)); ctx.Err() != nil {
					t.Fatalf("failure not counted: %+v (%v)", s.Stats(), err)
				}
			}
			nc.Close()

			// A well-behaved peer is still served.
			p := NewPub(pcfg)
			defer p.Close()
			if err := p.Connect(s.Endpoints()[0]); err != nil {
				t.Fatal(err)
			}
			if err := p.WaitSubscribers(ctx, 1); err != nil {
				t.Fatal(err)
			}
			p.Send([]byte("flow-after"), []byte("ok"))
			for {
				m, err := s.RecvContext(ctx)
				if err != nil {
					t.Fatalf("good peer not served after %s: %v", tc.name, err)
				}
				if string(m.Frames[0]) == "flow-after" {
					break
				}
			}
			if got := tc.counter(s.Stats()); got != 1 {
				t.Errorf("counter = %d, want 1 (stats %+v)", got, s.Stats())
			}
		})
	}
}

func TestRecvAfterClose(t *testing.T) {
	checkLeaks(t)
	s := NewSub(SubConfig{})
	if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect("tcp://127.0.0.1:1"); err != nil { // never answers: dialer keeps retrying
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Recv(); !errors.Is(err, ErrClosed) {
		t.Errorf("Recv after Close: %v, want ErrClosed", err)
	}
	if err := s.Bind("tcp://127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("Bind after Close: %v, want ErrClosed", err)
	}
	p := NewPub(PubConfig{})
	p.Close()
	if err := p.Send([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
}

// TestReconnect shows a connecting SUB coming back after its PUB restarts,
// and a subscription filter applied by our PUB.
func TestReconnectAndFilter(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	s := NewSub(SubConfig{Subscribe: []string{"flow", "event"}})
	defer s.Close()
	p1 := NewPub(PubConfig{})
	if err := p1.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ep := p1.Endpoints()[0]
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := p1.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	p1.Send([]byte("counter"), []byte("filtered"))
	p1.Send([]byte("event1"), []byte("a"))
	p1.Close()

	p2 := NewPub(PubConfig{})
	defer p2.Close()
	if err := p2.Bind(ep); err != nil {
		t.Fatal(err)
	}
	if err := p2.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	p2.Send([]byte("flow2"), []byte("b"))
	for _, want := range []string{"event1", "flow2"} {
		m, err := s.RecvContext(ctx)
		if err != nil || string(m.Frames[0]) != want {
			t.Fatalf("got %q, %v; want %q", m.Frames, err, want)
		}
		if m.Endpoint != 0 {
			t.Errorf("endpoint index %d, want 0", m.Endpoint)
		}
	}
	if st := s.Stats(); st.Dialed < 2 || st.Disconnects < 1 {
		t.Errorf("stats %+v: want two connections and a disconnect", st)
	}
}

// TestPubDropOnHWM shows the counted-drop option against a peer that does
// not read.
func TestPubDropOnHWM(t *testing.T) {
	checkLeaks(t)
	ctx := testCtx(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := NewPub(PubConfig{SendHWM: 4, DropOnHWM: true, WriteBufferSize: 4096, Linger: 1})
	defer p.Close()
	p.Connect("tcp://" + ln.Addr().String())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nullPubHandshakeAsSub(t, nc)
	if err := p.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	for i := 0; i < 64; i++ { // far more than socket buffers + HWM hold
		if err := p.Send([]byte("flow"), big); err != nil {
			t.Fatal(err)
		}
	}
	if st := p.Stats(); st.Dropped == 0 {
		t.Errorf("no drops counted with a stalled peer: %+v", st)
	}
}

// nullPubHandshakeAsSub acts as a raw NULL SUB subscribing to everything.
func nullPubHandshakeAsSub(t *testing.T, nc net.Conn) {
	t.Helper()
	out := makeGreeting("NULL", false)
	out = appendCommand(out, "READY", appendMetadata(nil, "Socket-Type", "SUB"))
	out = append(out, 0, 1, 1) // subscribe ""
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	if _, err := io.ReadFull(r, make([]byte, greetingSize)); err != nil {
		t.Fatal(err)
	}
	c := &conn{r: r, rbuf: make([]byte, 0, 64)}
	if _, err := c.readCommand("READY"); err != nil {
		t.Fatal(err)
	}
}

// readGreetingAndReady consumes our side of a NULL handshake so that closing
// the raw connection cannot race our writes (which would count as IO).
func readGreetingAndReady(t *testing.T, nc net.Conn) {
	t.Helper()
	r := bufio.NewReader(nc)
	if _, err := io.ReadFull(r, make([]byte, greetingSize)); err != nil {
		t.Fatal(err)
	}
	c := &conn{r: r, rbuf: make([]byte, 0, 64)}
	if _, err := c.readCommand("READY"); err != nil {
		t.Fatal(err)
	}
}
