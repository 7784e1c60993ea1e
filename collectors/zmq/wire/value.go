package wire

import (
	"math"
	"net/netip"
	"strconv"
)

// kind is the representation a field value arrived in. ntopng's handlers
// each read one representation (§3.1, §5): int_num, double_num or string.
type kind uint8

const (
	kindInt    kind = iota + 1 // signed integer (JSON integer, TLV int*)
	kindUint                   // unsigned integer (TLV uint*, JSON integer > MaxInt64)
	kindFloat                  // JSON number with fraction/exponent, TLV float
	kindString                 // JSON or TLV string
	kindRaw                    // JSON true/false/null/object/array: raw text
)

type value struct {
	kind kind
	f32  bool // float came from a 4-byte TLV float (for text formatting)
	i    int64
	u    uint64
	f    float64
	s    string
}

// intNum is ntopng's int_num: integers only; a JSON double or a string is 0.
func (v *value) intNum() uint64 {
	switch v.kind {
	case kindInt:
		return uint64(v.i)
	case kindUint:
		return v.u
	}
	return 0
}

// intOrAtoi is the "int|s" rule: an integer, or atoi of a string.
func (v *value) intOrAtoi() uint64 {
	if v.kind == kindString {
		return uint64(atoi(v.s))
	}
	return v.intNum()
}

// num is ntopng's double_num: any number; a string gives 0.
func (v *value) num() float64 {
	switch v.kind {
	case kindInt:
		return float64(v.i)
	case kindUint:
		return float64(v.u)
	case kindFloat:
		return v.f
	}
	return 0
}

// atoi behaves like C atol: optional spaces and sign, then leading digits;
// anything else stops the scan.
func atoi(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := int64(s[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64 // saturate instead of wrapping
			break
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

// addr reads an address: a dotted (or IPv6) string, or an integer holding
// the IPv4 address's numeric value (1.2.3.4 = 0x01020304).
func (v *value) addr() (netip.Addr, bool) {
	switch v.kind {
	case kindString:
		if a, ok := parseIPv4(v.s); ok {
			return a, true
		}
		a, err := netip.ParseAddr(v.s)
		if err != nil {
			return netip.Addr{}, false
		}
		return a.Unmap(), true
	case kindInt, kindUint:
		n := uint32(v.intNum())
		return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
	}
	return netip.Addr{}, false
}

// parseIPv4 is the fast path of addr for the common case, a dotted quad
// (nProbe sends every IPv4 address of a TLV flow as text): it accepts exactly
// the strings netip.ParseAddr parses as IPv4 (1–3 digits per octet, at most
// 255, no leading zero) and leaves everything else to netip.ParseAddr.
func parseIPv4(s string) (netip.Addr, bool) {
	if len(s) < 7 || len(s) > 15 {
		return netip.Addr{}, false
	}
	var ip [4]byte
	i := 0
	for f := range 4 {
		if f > 0 {
			if s[i] != '.' {
				return netip.Addr{}, false
			}
			i++
			if i == len(s) {
				return netip.Addr{}, false
			}
		}
		n := uint(s[i] - '0')
		if n > 9 {
			return netip.Addr{}, false
		}
		i++
		// A leading 0 is the whole octet: a digit after it fails below.
		if n != 0 && i < len(s) {
			if d := uint(s[i] - '0'); d <= 9 {
				n, i = n*10+d, i+1
				if i < len(s) {
					if d := uint(s[i] - '0'); d <= 9 {
						n, i = n*10+d, i+1
					}
				}
			}
		}
		if n > 255 || (f < 3 && i == len(s)) {
			return netip.Addr{}, false
		}
		ip[f] = byte(n)
	}
	if i != len(s) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// appendText appends the value as text, for additional fields.
func (v *value) appendText(dst []byte) []byte {
	switch v.kind {
	case kindInt:
		return strconv.AppendInt(dst, v.i, 10)
	case kindUint:
		return strconv.AppendUint(dst, v.u, 10)
	case kindFloat:
		if v.f32 {
			return strconv.AppendFloat(dst, v.f, 'g', -1, 32)
		}
		return strconv.AppendFloat(dst, v.f, 'g', -1, 64)
	}
	return append(dst, v.s...)
}

// parseMAC parses "aa:bb:cc:dd:ee:ff" (hex groups of 1-2 digits). Anything
// else gives all zeros, like ntopng's sscanf.
func parseMAC(s string) (m [6]byte) {
	g, n, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c == ':' || c == '-':
			if digits == 0 || g >= 5 {
				return [6]byte{}
			}
			m[g] = byte(n)
			g, n, digits = g+1, 0, 0
			continue
		default:
			return [6]byte{}
		}
		if digits == 2 {
			return [6]byte{}
		}
		n = n<<4 | int(d)
		digits++
	}
	if g != 5 || digits == 0 {
		return [6]byte{}
	}
	m[5] = byte(n)
	return m
}

// fnv1a is the 32-bit FNV-1a hash, used to turn SIP_CALL_ID into a stable
// private flow id.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
