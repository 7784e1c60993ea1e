package packet

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
)

// clientHello holds the parts of a TLS ClientHello the fingerprints use.
// Lists are bounded arrays: parsing allocates nothing.
type clientHello struct {
	version   uint16 // legacy_version
	maxVer    uint16 // highest supported_versions entry (not GREASE), 0 if absent
	sni       []byte
	alpn      []byte // first ALPN protocol
	ciphers   u16list
	exts      u16list
	groups    u16list
	sigAlgs   u16list
	pointFmts u16list
}

type u16list struct {
	n int
	v [96]uint16
}

func (l *u16list) add(x uint16) {
	if l.n < len(l.v) {
		l.v[l.n] = x
		l.n++
	}
}

func (l *u16list) list() []uint16 { return l.v[:l.n] }

// isGREASE reports RFC 8701 reserved values (0x0a0a, 0x1a1a, ... 0xfafa),
// which fingerprints leave out.
func isGREASE(x uint16) bool { return x&0x0f0f == 0x0a0a && x>>8 == x&0xff }

// parseClientHello reads a ClientHello body (after the 4-byte handshake header).
func parseClientHello(b []byte, h *clientHello) bool {
	if len(b) < 38 {
		return false
	}
	h.version = binary.BigEndian.Uint16(b)
	off := 34
	sid := int(b[off])
	off += 1 + sid
	if off+2 > len(b) {
		return false
	}
	cl := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	if cl%2 != 0 || off+cl > len(b) {
		return false
	}
	for i := 0; i < cl; i += 2 {
		if c := binary.BigEndian.Uint16(b[off+i:]); !isGREASE(c) {
			h.ciphers.add(c)
		}
	}
	off += cl
	if off >= len(b) {
		return false
	}
	off += 1 + int(b[off]) // compression methods
	if off+2 > len(b) {
		return off == len(b) // no extensions
	}
	el := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	if off+el > len(b) {
		return false
	}
	e := b[off : off+el]
	for len(e) >= 4 {
		typ, l := binary.BigEndian.Uint16(e), int(binary.BigEndian.Uint16(e[2:]))
		if 4+l > len(e) {
			return false
		}
		d := e[4 : 4+l]
		e = e[4+l:]
		if isGREASE(typ) {
			continue
		}
		h.exts.add(typ)
		switch typ {
		case 0: // server_name: list of (type, name)
			if len(d) >= 5 && d[2] == 0 {
				if n := int(binary.BigEndian.Uint16(d[3:])); 5+n <= len(d) {
					h.sni = d[5 : 5+n]
				}
			}
		case 10: // supported_groups
			readU16s(d, 2, &h.groups)
		case 11: // ec_point_formats
			if len(d) >= 1 && 1+int(d[0]) <= len(d) {
				for _, x := range d[1 : 1+int(d[0])] {
					h.pointFmts.add(uint16(x))
				}
			}
		case 13: // signature_algorithms
			readU16s(d, 2, &h.sigAlgs)
		case 16: // ALPN
			if len(d) >= 3 {
				if n := int(d[2]); n > 0 && 3+n <= len(d) {
					h.alpn = d[3 : 3+n]
				}
			}
		case 43: // supported_versions
			if len(d) >= 1 {
				v := d[1:]
				if int(d[0]) <= len(v) {
					v = v[:d[0]]
				}
				for ; len(v) >= 2; v = v[2:] {
					if x := binary.BigEndian.Uint16(v); !isGREASE(x) && x > h.maxVer {
						h.maxVer = x
					}
				}
			}
		}
	}
	return true
}

// readU16s reads a list of 16-bit values behind a length of lenBytes bytes.
func readU16s(d []byte, lenBytes int, l *u16list) {
	if len(d) < lenBytes {
		return
	}
	n := int(binary.BigEndian.Uint16(d))
	d = d[lenBytes:]
	if n > len(d) {
		n = len(d)
	}
	for i := 0; i+1 < n; i += 2 {
		if x := binary.BigEndian.Uint16(d[i:]); !isGREASE(x) {
			l.add(x)
		}
	}
}

// riskTLSMissingSNI is nDPI's NDPI_TLS_MISSING_SNI (engine/ndpi/risks.tsv).
const riskTLSMissingSNI = 24

// fingerprints stores the SNI, the version and the JA3 and JA4 client
// fingerprints (once per flow: this allocates the strings).
func (h *clientHello) fingerprints(s *l7state, quic bool) {
	s.tlsSNI = string(h.sni)
	if len(h.sni) == 0 {
		s.risk |= 1 << riskTLSMissingSNI // as nDPI's TLS and QUIC dissectors flag it
	}
	s.tlsVersion = h.version
	if h.maxVer != 0 {
		s.tlsVersion = h.maxVer
	}
	s.ja3 = h.ja3()
	s.ja4 = h.ja4(quic)
}

// ja3 is the MD5 of "version,ciphers,extensions,groups,point formats",
// decimal values joined by '-', GREASE left out.
func (h *clientHello) ja3() string {
	var buf [1024]byte
	b := strconv.AppendUint(buf[:0], uint64(h.version), 10)
	for _, l := range [...]*u16list{&h.ciphers, &h.exts, &h.groups, &h.pointFmts} {
		b = append(b, ',')
		for j, x := range l.list() {
			if j > 0 {
				b = append(b, '-')
			}
			b = strconv.AppendUint(b, uint64(x), 10)
		}
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// ja4 follows FoxIO's JA4 (TLS client): "t13d1516h2_<ciphers>_<extensions>".
func (h *clientHello) ja4(quic bool) string {
	var a [10]byte
	a[0] = 't'
	if quic {
		a[0] = 'q'
	}
	v := h.version
	if h.maxVer != 0 {
		v = h.maxVer
	}
	switch v {
	case 0x0304:
		a[1], a[2] = '1', '3'
	case 0x0303:
		a[1], a[2] = '1', '2'
	case 0x0302:
		a[1], a[2] = '1', '1'
	case 0x0301:
		a[1], a[2] = '1', '0'
	case 0x0300:
		a[1], a[2] = 's', '3'
	default:
		a[1], a[2] = '0', '0'
	}
	a[3] = 'i'
	if len(h.sni) > 0 {
		a[3] = 'd'
	}
	two := func(i, n int) {
		n = min(n, 99)
		a[i], a[i+1] = byte('0'+n/10), byte('0'+n%10)
	}
	two(4, h.ciphers.n)
	two(6, h.exts.n)
	a[8], a[9] = '0', '0'
	if n := len(h.alpn); n > 0 {
		f, l := h.alpn[0], h.alpn[n-1]
		if alnum(f) && alnum(l) {
			a[8], a[9] = f, l
		} else {
			const hx = "0123456789abcdef"
			a[8], a[9] = hx[f>>4], hx[l&0xf]
		}
	}
	out := make([]byte, 0, 36)
	out = append(out, a[:]...)
	out = append(out, '_')

	var sorted [96]uint16
	var buf [1024]byte
	c := sorted[:copy(sorted[:], h.ciphers.list())]
	slices.Sort(c)
	out = appendHash12(out, hexList(buf[:0], c))
	out = append(out, '_')

	e := sorted[:0]
	for _, x := range h.exts.list() {
		if x != 0 && x != 16 {
			e = append(e, x)
		}
	}
	slices.Sort(e)
	b := hexList(buf[:0], e)
	if h.sigAlgs.n > 0 {
		b = append(b, '_')
		b = hexList(b, h.sigAlgs.list())
	}
	if len(e) == 0 {
		b = b[:0]
	}
	out = appendHash12(out, b)
	return string(out)
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hexList(b []byte, l []uint16) []byte {
	const hx = "0123456789abcdef"
	for i, x := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, hx[x>>12], hx[x>>8&0xf], hx[x>>4&0xf], hx[x&0xf])
	}
	return b
}

// appendHash12 appends the first 12 hex digits of SHA-256(b), or twelve
// zeros for an empty list.
func appendHash12(out, b []byte) []byte {
	if len(b) == 0 {
		return append(out, "000000000000"...)
	}
	sum := sha256.Sum256(b)
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	return append(out, hx[:12]...)
}
