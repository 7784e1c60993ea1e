package packet

import (
	"bytes"
	"encoding/binary"

	"flowgate/engine"
)

// nDPI protocol ids the dissectors give (engine/ndpi's table).
const (
	ndpiDNS  = 5
	ndpiHTTP = 7
	ndpiTLS  = 91
	ndpiQUIC = 188
)

// maxInspect is how many payload packets a flow shows the dissectors before
// they give up and leave the classification to the port guess.
const maxInspect = 6

// l7state is what the dissectors learned about a flow. Strings are
// allocated once per flow, when first learned.
type l7state struct {
	decided bool // classification final: the flow may be exported
	done    bool // nothing more to dissect
	changed bool // metadata not yet exported
	tries   uint8

	master, app uint16

	dnsQuery          string
	dnsType, dnsRcode uint16

	httpMethod, httpURL, httpHost, httpUA string
	httpStatus                            uint16

	tlsSNI, ja3, ja4 string
	tlsVersion       uint16
	risk             uint64 // nDPI risk bitmap (engine/ndpi risk ids) the dissectors can tell

	buf     []byte // a TLS ClientHello spanning segments
	bufNext uint32 // sequence number expected to extend buf

	quic *quicState // CRYPTO stream of the client's Initials
}

func (s *l7state) fill(r *engine.FlowRecord, first bool) {
	if s.master|s.app != 0 {
		r.L7Set, r.L7Master, r.L7App = true, s.master, s.app
	}
	if !s.changed && !first {
		return
	}
	s.changed = false
	r.DNSQuery, r.DNSQueryType, r.DNSRetCode = s.dnsQuery, s.dnsType, s.dnsRcode
	r.HTTPMethod, r.HTTPURL, r.HTTPSite, r.HTTPUserAgent = s.httpMethod, s.httpURL, s.httpHost, s.httpUA
	r.HTTPRetCode = s.httpStatus
	r.TLSServerName, r.JA3C, r.JA4C = s.tlsSNI, s.ja3, s.ja4
	r.Risk = s.risk
}

func (s *l7state) classify(app uint16) {
	s.app, s.decided, s.changed = app, true, true
}

// inspect runs the dissectors on one payload packet of f (dir 0: from the
// client).
func (t *tracker) inspect(f *flow, dir int, p *pkt) {
	s := &f.l7
	if s.done {
		return
	}
	s.tries++
	cport, sport := f.key.pa, f.key.pb
	if !f.cliIsA {
		cport, sport = sport, cport
	}
	pl := p.payload
	before := s.app
	switch f.key.proto {
	case 17:
		switch {
		case (sport == 53 || cport == 53) && dissectDNS(s, pl):
		case s.app == ndpiQUIC || s.app == 0 && isQUICInitial(pl):
			if s.app == 0 {
				s.classify(ndpiQUIC)
			}
			if dir == 0 {
				dissectQUIC(s, pl)
			}
		}
	case 6:
		switch {
		case s.app == ndpiHTTP || s.app == 0 && httpMethodLen(pl) > 0 && dir == 0:
			dissectHTTP(s, pl, dir)
		case s.app == ndpiTLS || s.app == 0 && dir == 0 && len(pl) >= 6 && pl[0] == 0x16 && pl[1] == 3 && pl[5] == 1:
			dissectTLS(s, pl, p.seq, dir, false)
		}
	}
	if before == 0 && s.app != 0 {
		t.stats.countL7(s.app)
	}
	if s.tries >= maxInspect && !s.done {
		s.done, s.decided = true, true
	}
}

// dissectDNS reads the header and first question of a DNS message.
func dissectDNS(s *l7state, b []byte) bool {
	if len(b) < 12 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[2:])
	qd := binary.BigEndian.Uint16(b[4:])
	if flags&0x7800 != 0 || qd == 0 { // opcode QUERY only
		return false
	}
	var name [253]byte
	n, off := 0, 12
	for {
		if off >= len(b) {
			return false
		}
		l := int(b[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(b) || n+l+1 > len(name) {
			return false
		}
		if n > 0 {
			name[n] = '.'
			n++
		}
		n += copy(name[n:], b[off:off+l])
		off += l
	}
	if off+4 > len(b) {
		return false
	}
	qtype := binary.BigEndian.Uint16(b[off:])
	resp := flags&0x8000 != 0
	if s.app == 0 {
		s.classify(ndpiDNS)
	}
	if s.dnsQuery == "" || s.dnsType != qtype {
		s.dnsQuery, s.dnsType, s.changed = string(name[:n]), qtype, true
	}
	if resp {
		s.dnsRcode, s.changed, s.done = flags&0xf, true, true
	}
	return true
}

var httpMethods = [...]string{"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "}

// httpMethodLen returns the length of the request method (without the
// space) b starts with, or 0.
func httpMethodLen(b []byte) int {
	for _, m := range httpMethods {
		if len(b) >= len(m) && string(b[:len(m)]) == m {
			return len(m) - 1
		}
	}
	return 0
}

// dissectHTTP reads a request line and its Host and User-Agent headers, or
// a response's status.
func dissectHTTP(s *l7state, b []byte, dir int) {
	if dir == 0 && s.httpMethod == "" {
		ml := httpMethodLen(b)
		if ml == 0 {
			return
		}
		line, rest := cutLine(b)
		sp := bytes.IndexByte(line[ml+1:], ' ')
		if sp < 0 {
			return
		}
		s.classify(ndpiHTTP)
		s.httpMethod = string(line[:ml])
		s.httpURL = string(line[ml+1 : ml+1+sp])
		for len(rest) > 0 {
			line, rest = cutLine(rest)
			if len(line) == 0 {
				break
			}
			if v, ok := header(line, "host"); ok {
				s.httpHost = string(v)
			} else if v, ok := header(line, "user-agent"); ok {
				s.httpUA = string(v)
			}
		}
		return
	}
	if dir == 1 && len(b) >= 12 && string(b[:7]) == "HTTP/1." && b[8] == ' ' {
		c := b[9:12]
		if c[0] >= '1' && c[0] <= '5' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9' {
			s.httpStatus = uint16(c[0]-'0')*100 + uint16(c[1]-'0')*10 + uint16(c[2]-'0')
			s.changed = true
		}
		if s.app == 0 {
			s.classify(ndpiHTTP)
		}
		s.done = true
	}
}

func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	line, rest = b[:i], b[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// header returns the value of line when it is the header name (lower case).
func header(line []byte, name string) ([]byte, bool) {
	if len(line) <= len(name) || line[len(name)] != ':' {
		return nil, false
	}
	for i := 0; i < len(name); i++ {
		c := line[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return nil, false
		}
	}
	return bytes.TrimSpace(line[len(name)+1:]), true
}

// maxHello bounds the reassembly of a ClientHello spanning TCP segments
// (post-quantum key shares make them ~1.8 KB).
const maxHello = 8192

// dissectTLS classifies a flow whose client starts a TLS handshake and
// reads its ClientHello; it reassembles a hello split over segments.
func dissectTLS(s *l7state, b []byte, seq uint32, dir int, quic bool) bool {
	if dir != 0 {
		return false
	}
	if len(s.buf) > 0 {
		if seq != s.bufNext {
			return false // lost or reordered: wait for the port guess
		}
		if len(s.buf)+len(b) > maxHello {
			s.buf, s.done = s.buf[:0], true
			return false
		}
		s.buf = append(s.buf, b...)
		s.bufNext += uint32(len(b))
		b = s.buf
	}
	if len(b) < 9 || b[0] != 0x16 || b[1] != 3 || b[5] != 1 {
		return false
	}
	if s.app == 0 {
		s.classify(ndpiTLS)
	}
	recLen := int(binary.BigEndian.Uint16(b[3:]))
	hsLen := int(b[6])<<16 | int(b[7])<<8 | int(b[8])
	need := 9 + hsLen
	if recLen < hsLen+4 {
		need = 5 + recLen // hello over several records: read what the first holds
	}
	if need < 9 {
		s.buf, s.done = s.buf[:0], true // a record too short for a handshake header
		return true
	}
	if len(b) < need {
		if len(s.buf) == 0 {
			if need > maxHello {
				s.done = true
				return true
			}
			s.buf = append(s.buf[:0], b...)
			s.bufNext = seq + uint32(len(b))
		}
		return true
	}
	var h clientHello
	if parseClientHello(b[9:need], &h) {
		h.fingerprints(s, quic)
	}
	s.buf, s.done, s.changed = s.buf[:0], true, true
	return true
}

// isQUICInitial reports a QUIC long-header Initial packet of version 1 or 2
// (or draft-29), the start of every QUIC connection.
func isQUICInitial(b []byte) bool {
	if len(b) < 1200 || b[0]&0xc0 != 0xc0 {
		return false // clients pad Initials to 1200 bytes
	}
	switch binary.BigEndian.Uint32(b[1:]) {
	case 1, 0x6b3343cf, 0xff00001d:
		return b[0]&0x30 == 0 || binary.BigEndian.Uint32(b[1:]) == 0x6b3343cf && b[0]&0x30 == 0x10
	}
	return false
}
