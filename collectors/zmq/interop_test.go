package zmq

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"flowgate/collectors/zmq/wire"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/engine"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// message builds one flow message of n records in the given header
// version, encoding and compression, as nProbe would send it.
func message(t testing.TB, hdr int, tlv, compress bool, msgID uint32, first, n int) [][]byte {
	t.Helper()
	var body []byte
	var w wire.TLVWriter
	if tlv {
		w.Begin()
	} else {
		body = append(body, '[')
	}
	for i := first; i < first+n; i++ {
		rec := engine.FlowRecord{
			SrcIP: netip.AddrFrom4([4]byte{10, 1, 0, byte(i%50 + 1)}), DstIP: netip.AddrFrom4([4]byte{10, 2, 0, 1}),
			SrcPort: uint16(20000 + i), DstPort: 443, Proto: 6, ClientTCPFlags: 0x02,
			InBytes: uint64(100 + i), InPkts: 1, OutBytes: 1000, OutPkts: 2,
			FirstSwitched: 1729766400, LastSwitched: 1729766401, L7App: 91, L7Set: true,
			TLSServerName: fmt.Sprintf("site%d.example", i),
		}
		if tlv {
			wire.EncodeTLVFlow(&w, &rec)
		} else {
			if i > first {
				body = append(body, ',')
			}
			body = wire.AppendJSONFlow(body, &rec, i%2 == 0)
		}
	}
	if tlv {
		body = w.Bytes()
	} else {
		body = append(body, ']')
	}
	payload := body
	var h []byte
	switch hdr {
	case 3:
		flags := uint8(0)
		if tlv {
			flags |= wire.FlagTLV
		}
		if compress {
			flags |= wire.FlagCompressed
			payload = zlibOf(body)
		}
		h = wire.AppendHeaderV3(nil, "flow", flags, uint32(len(body)), uint32(len(body)), msgID, 5)
	default:
		if tlv && compress {
			t.Fatal("legacy headers cannot carry compressed TLV")
		}
		version := uint8(2)
		if tlv {
			version = 3
		}
		if compress {
			payload = append([]byte{0}, zlibOf(body)...)
		}
		switch hdr {
		case 0:
			h = wire.AppendHeaderV0(nil, "flow", uint32(version), uint32(len(payload)))
		case 1:
			h = wire.AppendHeaderV1(nil, "flow", version, 5, uint16(len(payload)), msgID)
		case 2:
			h = wire.AppendHeaderV2(nil, "flow", version, uint16(len(payload)), msgID, 5)
		}
	}
	return [][]byte{h, append([]byte(nil), payload...)}
}

// publish runs libzmq's PUB (python3-zmq) with the messages, once the
// collector's subscription reached it.
func publish(t *testing.T, endpoint, mode, serverKey string, msgs [][][]byte) {
	t.Helper()
	publishWait(t, endpoint, mode, serverKey, "30", msgs)
}

// publishRefused is publish for a client the collector refuses: no
// subscription ever comes, so it sends after a second.
func publishRefused(t *testing.T, endpoint, mode, serverKey string, msgs [][][]byte) {
	t.Helper()
	publishWait(t, endpoint, mode, serverKey, "1", msgs)
}

func publishWait(t *testing.T, endpoint, mode, serverKey, waitSeconds string, msgs [][][]byte) {
	t.Helper()
	py := testpeer.PythonZMQ(t)
	var in strings.Builder
	for _, m := range msgs {
		for i, f := range m {
			if i > 0 {
				in.WriteByte(' ')
			}
			in.WriteString(hex.EncodeToString(f))
		}
		in.WriteByte('\n')
	}
	args := []string{"testdata/pypub.py", endpoint, mode, serverKey, waitSeconds}
	cmd := exec.Command(py, args...)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python publisher: %v\n%s", err, out)
	}
}

// waitRecords polls the engine until n flow records arrived or
// testwait.Timeout passed; the caller checks the numbers it returns.
func waitRecords(f *fixture, n uint64) engine.InterfaceStats {
	var st engine.InterfaceStats
	testwait.Wait(testwait.Timeout, func() bool {
		st = f.stats()
		return st.FlowRecords >= n
	})
	return st
}

// TestInteropLibzmq: libzmq publishers in both socket roles, every header
// version, JSON and TLV, compressed or not.
func TestInteropLibzmq(t *testing.T) {
	testpeer.PythonZMQ(t)
	type variant struct {
		hdr           int
		tlv, compress bool
	}
	var variants []variant
	for hdr := 0; hdr <= 3; hdr++ {
		for _, tlv := range []bool{false, true} {
			for _, compress := range []bool{false, true} {
				if tlv && compress && hdr != 3 {
					continue
				}
				variants = append(variants, variant{hdr, tlv, compress})
			}
		}
	}
	for _, bind := range []bool{true, false} {
		for _, v := range variants {
			name := fmt.Sprintf("collector_bind=%v/v%d/tlv=%v/zlib=%v", bind, v.hdr, v.tlv, v.compress)
			t.Run(name, func(t *testing.T) {
				f := newFixture(t)
				port := freePort(t)
				ep := Endpoint{Addr: fmt.Sprintf("tcp://127.0.0.1:%d", port), Bind: bind}
				f.c.cfg.Endpoints = []Endpoint{ep}
				if err := f.c.Start(); err != nil {
					t.Fatal(err)
				}
				defer f.c.Stop()
				var msgs [][][]byte
				for m := 0; m < 5; m++ {
					msgs = append(msgs, message(t, v.hdr, v.tlv, v.compress, uint32(m+1), m*20, 20))
				}
				mode := "connect"
				if !bind {
					mode = "bind"
				}
				publish(t, ep.Addr, mode, "", msgs)
				st := waitRecords(f, 100)
				if st.FlowRecords != 100 || st.ActiveFlows != 100 {
					t.Fatalf("records %d flows %d, want 100/100; errors %v", st.FlowRecords, st.ActiveFlows, f.errors())
				}
				var want uint64
				for i := 0; i < 100; i++ {
					want += uint64(100+i) + 1000
				}
				if st.Bytes != want {
					t.Errorf("bytes %d, want %d", st.Bytes, want)
				}
				if d := f.iface.Collector().MsgDrops.Load(); d != 0 {
					t.Errorf("msg drops %d", d)
				}
			})
		}
	}
}

// TestInteropCurve: a libzmq CURVE client publishes to flowgate, the CURVE
// server; a client with the wrong server key is refused while the good one
// in the same run is served.
func TestInteropCurve(t *testing.T) {
	testpeer.PythonZMQ(t)
	kp, _, err := zmtp.LoadOrCreateKeyPair(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := zmtp.GenerateKeyPair()
	for _, bind := range []bool{true, false} {
		t.Run(fmt.Sprintf("collector_bind=%v", bind), func(t *testing.T) {
			f := newFixture(t)
			port := freePort(t)
			ep := Endpoint{Addr: fmt.Sprintf("tcp://127.0.0.1:%d", port), Bind: bind}
			f.c.cfg.Endpoints = []Endpoint{ep}
			f.c.cfg.Curve = &kp
			if err := f.c.Start(); err != nil {
				t.Fatal(err)
			}
			defer f.c.Stop()
			mode := "connect"
			if !bind {
				mode = "bind"
			}
			if bind {
				// A client that trusts another server key: its handshake
				// fails and its flows never arrive.
				publishRefused(t, ep.Addr, mode, wrong.PublicZ85(), [][][]byte{message(t, 3, true, true, 1, 1000, 10)})
			}
			publish(t, ep.Addr, mode, kp.PublicZ85(), [][][]byte{message(t, 3, true, true, 1, 0, 10), message(t, 1, false, true, 2, 10, 10)})
			st := waitRecords(f, 20)
			if st.FlowRecords != 20 {
				t.Fatalf("records %d, want 20 (only the good client's)", st.FlowRecords)
			}
			if bind {
				testwait.ForState(t, "the wrong-key client counted as a CURVE failure", func() (any, bool) {
					hs := f.c.Socket().Handshake
					return hs, hs.CurveAuth != 0
				})
			}
			if got := f.iface.PublicKeyHex(); got != zmtp.PublicKeyHex(kp) || len(got) != 80 {
				t.Errorf("public key shown %q", got)
			}
		})
	}
}
