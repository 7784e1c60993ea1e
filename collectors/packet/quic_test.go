package packet

import (
	"encoding/binary"
	"os/exec"
	"strings"
	"testing"

	"flowgate/internal/testpeer"
)

// quicInitial builds a client Initial (QUIC v1) carrying CRYPTO frames,
// padded to 1200 bytes, with the keys and header protection of RFC 9001.
func quicInitialPacket(t testing.TB, dcid []byte, pn uint32, frames []byte) []byte {
	t.Helper()
	keys, ok := quicClientKeys(dcid)
	if !ok {
		t.Fatal("keys")
	}
	hdr := []byte{0xc3, 0, 0, 0, 1, byte(len(dcid))}
	hdr = append(hdr, dcid...)
	hdr = append(hdr, 0, 0) // no source connection id, no token
	payloadLen := 1200 - len(hdr) - 2 - 4 - 16
	plain := append([]byte(nil), frames...)
	if len(plain) > payloadLen {
		t.Fatalf("frames too large: %d", len(plain))
	}
	plain = append(plain, make([]byte, payloadLen-len(plain))...) // PADDING
	length := 4 + len(plain) + 16
	hdr = append(hdr, 0x40|byte(length>>8), byte(length))
	pnOff := len(hdr)
	hdr = binary.BigEndian.AppendUint32(hdr, pn)
	nonce := append([]byte(nil), keys.iv...)
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(uint64(pn) >> (8 * i))
	}
	pkt := keys.aead.Seal(append([]byte(nil), hdr...), nonce, plain, hdr)
	var mask [16]byte
	keys.hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	for i := 0; i < 4; i++ {
		pkt[pnOff+i] ^= mask[1+i]
	}
	return pkt
}

func cryptoFrame(off int, data []byte) []byte {
	f := []byte{0x06, 0x40 | byte(off>>8), byte(off), 0x40 | byte(len(data)>>8), byte(len(data))}
	return append(f, data...)
}

// quicCapture: a ClientHello split over two Initials, second half first.
func quicCapture(t testing.TB) *capture {
	hs := clientHelloBytes(t, "quic.example.org", []string{"h3"})[5:] // no TLS record header in QUIC
	cut := min(700, len(hs)/2)
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	c := newCapture(t)
	c.udp("10.0.0.1", "10.0.0.44", 50123, 443, quicInitialPacket(t, dcid, 0, append([]byte{0x01}, cryptoFrame(cut, hs[cut:])...)))
	c.udp("10.0.0.1", "10.0.0.44", 50123, 443, quicInitialPacket(t, dcid, 1, cryptoFrame(0, hs[:cut])))
	return c
}

func TestQUICInitialSNI(t *testing.T) {
	ms, st := runTracker(t, quicCapture(t), Configuration{})
	q := sumFlows(ms.recs)["10.0.0.1:50123>10.0.0.44:443"]
	if q == nil || q.l7 != ndpiQUIC || q.last.TLSServerName != "quic.example.org" || !strings.HasPrefix(q.last.JA4C, "q13d") {
		t.Fatalf("quic flow: %+v", q)
	}
	if st.L7QUIC.Load() != 1 {
		t.Errorf("quic classified %d", st.L7QUIC.Load())
	}
}

// TestQUICAgainstTshark: Wireshark decrypts the same Initials and finds the SNI.
func TestQUICAgainstTshark(t *testing.T) {
	tshark := testpeer.Command(t, "tshark", "tshark")
	path := quicCapture(t).file("quic.pcap", false)
	out, err := exec.Command(tshark, "-r", path, "-Y", "tls.handshake.type==1", "-T", "fields", "-e", "tls.handshake.extensions_server_name").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "quic.example.org" {
		t.Errorf("tshark reads SNI %q from our Initials", got)
	}
}
