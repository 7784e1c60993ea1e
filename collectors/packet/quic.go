package packet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
)

// QUIC v1 Initial packets are encrypted with keys derived from the
// connection id the client chose (RFC 9001 §5.2), so a passive observer can
// read the ClientHello in them: that gives the SNI and the fingerprints.
// This runs once or twice per QUIC flow, never for other packets.

// quicV1Salt is RFC 9001's initial_salt for QUIC version 1.
var quicV1Salt = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}

// maxQUICCrypto bounds the CRYPTO stream kept per flow.
const maxQUICCrypto = 8192

// hkdfExpandLabel is TLS 1.3's HKDF-Expand-Label with an empty context.
func hkdfExpandLabel(secret []byte, label string, n int) []byte {
	info := make([]byte, 0, 4+6+len(label))
	info = append(info, byte(n>>8), byte(n), byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	out, err := hkdf.Expand(sha256.New, secret, string(info), n)
	if err != nil {
		return make([]byte, n)
	}
	return out
}

type quicKeys struct {
	aead cipher.AEAD
	iv   []byte
	hp   cipher.Block
}

func quicClientKeys(dcid []byte) (*quicKeys, bool) {
	initial, err := hkdf.Extract(sha256.New, dcid, quicV1Salt)
	if err != nil {
		return nil, false
	}
	client := hkdfExpandLabel(initial, "client in", 32)
	block, err := aes.NewCipher(hkdfExpandLabel(client, "quic key", 16))
	if err != nil {
		return nil, false
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, false
	}
	hp, err := aes.NewCipher(hkdfExpandLabel(client, "quic hp", 16))
	if err != nil {
		return nil, false
	}
	return &quicKeys{aead: aead, iv: hkdfExpandLabel(client, "quic iv", 12), hp: hp}, true
}

// varint reads a QUIC variable-length integer.
func varint(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v = uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n, true
}

// quicState is a QUIC flow's reassembly of the client's CRYPTO stream.
type quicState struct {
	crypto []byte
	have   []bool // per byte: received (bounded by maxQUICCrypto)
}

// dissectQUIC decrypts a client Initial (version 1), collects its CRYPTO
// frames and, once the ClientHello is complete, fills the SNI and the
// fingerprints. It returns false when the packet is not a usable Initial.
func dissectQUIC(s *l7state, b []byte) bool {
	if len(b) < 7 || b[0]&0xf0 != 0xc0 || binary.BigEndian.Uint32(b[1:]) != 1 {
		return false
	}
	off := 5
	dl := int(b[off])
	off++
	if dl > 20 || off+dl >= len(b) {
		return false
	}
	dcid := b[off : off+dl]
	off += dl
	sl := int(b[off])
	off += 1 + sl
	tl, n, ok := varint(b[min(off, len(b)):])
	if !ok || off+n+int(tl) > len(b) {
		return false
	}
	off += n + int(tl)
	length, n, ok := varint(b[min(off, len(b)):])
	if !ok {
		return false
	}
	pnOff := off + n
	if length < 20 || pnOff+int(length) > len(b) || pnOff+4+16 > len(b) {
		return false
	}
	keys, ok := quicClientKeys(dcid)
	if !ok {
		return false
	}
	// Header protection: the mask comes from a sample after the packet number.
	var mask [16]byte
	keys.hp.Encrypt(mask[:], b[pnOff+4:pnOff+4+16])
	hdr := make([]byte, pnOff+4)
	copy(hdr, b[:pnOff+4])
	hdr[0] ^= mask[0] & 0x0f
	pnLen := int(hdr[0]&0x03) + 1
	var pn uint64
	for i := 0; i < pnLen; i++ {
		hdr[pnOff+i] ^= mask[1+i]
		pn = pn<<8 | uint64(hdr[pnOff+i])
	}
	hdr = hdr[:pnOff+pnLen]
	nonce := make([]byte, 12)
	copy(nonce, keys.iv)
	for i := 0; i < 8; i++ {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	plain, err := keys.aead.Open(nil, nonce, b[pnOff+pnLen:pnOff+int(length)], hdr)
	if err != nil {
		return false
	}
	q := s.quic
	if q == nil {
		q = &quicState{}
		s.quic = q
	}
	for p := plain; len(p) > 0; {
		switch typ := p[0]; {
		case typ == 0x00 || typ == 0x01: // PADDING, PING
			p = p[1:]
		case typ == 0x06: // CRYPTO
			o, n1, ok1 := varint(p[1:])
			l, n2, ok2 := varint(p[min(1+n1, len(p)):])
			start := 1 + n1 + n2
			if !ok1 || !ok2 || start+int(l) > len(p) {
				return true
			}
			q.add(o, p[start:start+int(l)])
			p = p[start+int(l):]
		default: // ACK and others: the ClientHello is in what came before
			p = nil
		}
	}
	q.tryHello(s)
	return true
}

func (q *quicState) add(off uint64, data []byte) {
	end := off + uint64(len(data))
	if end > maxQUICCrypto {
		return
	}
	if int(end) > len(q.crypto) {
		q.crypto = append(q.crypto, make([]byte, int(end)-len(q.crypto))...)
		q.have = append(q.have, make([]bool, int(end)-len(q.have))...)
	}
	copy(q.crypto[off:], data)
	for i := off; i < end; i++ {
		q.have[i] = true
	}
}

// tryHello parses the ClientHello once its bytes from offset 0 are all there.
func (q *quicState) tryHello(s *l7state) {
	if len(q.crypto) < 4 || !q.have[0] || !q.have[1] || !q.have[2] || !q.have[3] || q.crypto[0] != 1 {
		return
	}
	need := 4 + (int(q.crypto[1])<<16 | int(q.crypto[2])<<8 | int(q.crypto[3]))
	if need > len(q.crypto) {
		return
	}
	for _, h := range q.have[:need] {
		if !h {
			return
		}
	}
	var h clientHello
	if parseClientHello(q.crypto[4:need], &h) {
		h.fingerprints(s, true)
	}
	s.quic, s.done, s.changed = nil, true, true
}
