package zmtp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/go-zeromq/zmq4"
)

// Sizes cover short frames, the 255/256 short/long boundary and frames
// larger than the 64 KiB read buffer of older designs.
var interopSizes = []int{0, 1, 36, 255, 256, 300, 1000, 10000, 65535, 65536, 70000, 200000}

func sizesArg() string {
	s := make([]string, len(interopSizes))
	for i, n := range interopSizes {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// collectPyPub waits for the peer's SYNC stream, releases it and checks
// every message it then publishes, byte for byte.
func collectPyPub(t *testing.T, ctx context.Context, s *SubSocket, py *pyPeer) {
	t.Helper()
	for {
		m, err := s.RecvContext(ctx)
		if err != nil {
			t.Fatalf("waiting for SYNC: %v (stats %+v)", err, s.Stats())
		}
		if bytes.HasPrefix(m.Frames[0], []byte("flowSYNC")) {
			break
		}
	}
	if _, err := py.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	i := 0
	for {
		m, err := s.RecvContext(ctx)
		if err != nil {
			t.Fatalf("after %d messages: %v", i, err)
		}
		h := m.Frames[0]
		switch {
		case bytes.HasPrefix(h, []byte("flowSYNC")):
			continue
		case bytes.HasPrefix(h, []byte("flowEND")):
			if i != len(interopSizes) {
				t.Fatalf("got %d messages, want %d", i, len(interopSizes))
			}
			return
		case bytes.HasPrefix(h, []byte("xxxx")):
			t.Fatalf("message for an unsubscribed topic delivered: %q", h[:8])
		}
		if len(m.Frames) != 2 {
			t.Fatalf("message %d: %d frames, want 2", i, len(m.Frames))
		}
		if !bytes.Equal(h, testHeader("flow", i)) {
			t.Fatalf("message %d: header % x", i, h)
		}
		if want := testPayload(i, interopSizes[i]); !bytes.Equal(m.Frames[1], want) {
			t.Fatalf("message %d: payload of %d bytes differs from the %d sent", i, len(m.Frames[1]), len(want))
		}
		i++
	}
}

func TestLibzmqPubToOurSub(t *testing.T) {
	cases := []struct {
		name   string
		pyMode string // what python does
		curve  bool
	}{
		{"null/python-binds", "bind", false},
		{"null/python-connects", "connect", false},
		{"curve/python-binds", "bind", true},
		{"curve/python-connects", "connect", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			needPython(t, tc.curve)
			checkLeaks(t)
			ctx := testCtx(t)
			cfg := SubConfig{Subscribe: []string{"flow"}}
			args := []string{"--role", "pub", "--mode", tc.pyMode, "--sizes", sizesArg()}
			if tc.curve {
				kp, err := GenerateKeyPair()
				if err != nil {
					t.Fatal(err)
				}
				cfg.CurveServer = &kp
				args = append(args, "--serverkey="+kp.PublicZ85()) // "=": a Z85 key may start with "-"
			}
			s := NewSub(cfg)
			defer s.Close()
			if tc.pyMode == "bind" {
				py := startPy(t, append(args, "--endpoint", "tcp://127.0.0.1:*")...)
				if err := s.Connect(py.endpoint(t, ctx)); err != nil {
					t.Fatal(err)
				}
				collectPyPub(t, ctx, s, py)
			} else {
				if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
					t.Fatal(err)
				}
				py := startPy(t, append(args, "--endpoint", s.Endpoints()[0])...)
				collectPyPub(t, ctx, s, py)
			}
			if st := s.Stats(); st.Handshakes != 1 || st.Handshake.Total() != 0 {
				t.Errorf("stats %+v: want one clean handshake", st)
			}
		})
	}
}

func TestLibzmqWrongServerKeyRefused(t *testing.T) {
	needPython(t, true)
	checkLeaks(t)
	ctx := testCtx(t)
	kp, _ := GenerateKeyPair()
	other, _ := GenerateKeyPair()
	s := NewSub(SubConfig{CurveServer: &kp, Subscribe: []string{"flow"}})
	defer s.Close()
	if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ep := s.Endpoints()[0]
	bad := startPy(t, "--role", "pub", "--mode", "connect", "--endpoint", ep, "--serverkey="+other.PublicZ85())
	for s.Stats().Handshake.CurveAuth == 0 {
		if _, err := s.RecvContext(ctxPoll(ctx)); err != nil && ctx.Err() != nil {
			t.Fatalf("wrong-key client never counted: %+v", s.Stats())
		}
	}
	good := startPy(t, "--role", "pub", "--mode", "connect", "--endpoint", ep,
		"--serverkey="+kp.PublicZ85(), "--sizes", sizesArg())
	collectPyPub(t, ctx, s, good)
	bad.stdin.Close()
	st := s.Stats()
	if st.Handshakes != 1 {
		t.Errorf("handshakes = %d, want 1 (only the good client)", st.Handshakes)
	}
	if st.Handshake.CurveAuth == 0 || st.Handshake.Total() != st.Handshake.CurveAuth {
		t.Errorf("handshake failures %+v: want only CURVE auth failures", st.Handshake)
	}
}

// ctxPoll bounds one Recv so a loop can re-check counters.
func ctxPoll(ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(ctx, 20e6)
	_ = cancel // released by its own timer
	return c
}

func TestOurPubToLibzmqSub(t *testing.T) {
	cases := []struct {
		name   string
		pyMode string
		curve  bool
	}{
		{"null/python-binds", "bind", false},
		{"null/python-connects", "connect", false},
		{"curve/python-binds", "bind", true},
		{"curve/python-connects", "connect", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			needPython(t, tc.curve)
			checkLeaks(t)
			ctx := testCtx(t)
			var cfg PubConfig
			args := []string{"--role", "sub", "--mode", tc.pyMode, "--count", strconv.Itoa(len(interopSizes))}
			if tc.curve {
				kp, _ := GenerateKeyPair()
				cfg.CurveServerKey = &kp.Public
				args = append(args, "--serversecret="+kp.SecretZ85())
			}
			p := NewPub(cfg)
			defer p.Close()
			var py *pyPeer
			if tc.pyMode == "bind" {
				py = startPy(t, append(args, "--endpoint", "tcp://127.0.0.1:*")...)
				if err := p.Connect(py.endpoint(t, ctx)); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := p.Bind("tcp://127.0.0.1:0"); err != nil {
					t.Fatal(err)
				}
				py = startPy(t, append(args, "--endpoint", p.Endpoints()[0])...)
			}
			if err := p.WaitSubscribers(ctx, 1); err != nil {
				t.Fatal(err)
			}
			for i, n := range interopSizes {
				if err := p.Send(testHeader("flow", i), testPayload(i, n)); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			for i, n := range interopSizes {
				h1, h2 := sha256.Sum256(testHeader("flow", i)), sha256.Sum256(testPayload(i, n))
				want := fmt.Sprintf("MSG 2 %s %s", hex.EncodeToString(h1[:]), hex.EncodeToString(h2[:]))
				if got := py.line(t, ctx); got != want {
					t.Fatalf("message %d (%d bytes): python got %q", i, n, got)
				}
			}
			if st := p.Stats(); st.Messages != uint64(len(interopSizes)) || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestZmq4PubToOurSub(t *testing.T) {
	for _, zmq4Binds := range []bool{true, false} {
		t.Run(fmt.Sprintf("zmq4-binds=%v", zmq4Binds), func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			s := NewSub(SubConfig{})
			zctx, cancel := context.WithCancel(ctx)
			pub := zmq4.NewPub(zctx)
			defer func() { pub.Close(); cancel(); s.Close() }()
			if zmq4Binds {
				if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
					t.Fatal(err)
				}
				if err := s.Connect("tcp://" + pub.Addr().String()); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
					t.Fatal(err)
				}
				if err := pub.Dial(s.Endpoints()[0]); err != nil {
					t.Fatal(err)
				}
			}
			topics := pub.(interface{ Topics() []string })
			for len(topics.Topics()) == 0 {
				if _, err := s.RecvContext(ctxPoll(ctx)); ctx.Err() != nil {
					t.Fatalf("zmq4 never saw our subscription: %v", err)
				}
			}
			for i, n := range interopSizes {
				if err := pub.Send(zmq4.NewMsgFrom(testHeader("flow", i), testPayload(i, n))); err != nil {
					t.Fatal(err)
				}
			}
			for i, n := range interopSizes {
				m, err := s.RecvContext(ctx)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if len(m.Frames) != 2 || !bytes.Equal(m.Frames[0], testHeader("flow", i)) || !bytes.Equal(m.Frames[1], testPayload(i, n)) {
					t.Fatalf("message %d differs", i)
				}
			}
		})
	}
}
