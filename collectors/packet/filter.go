package packet

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Filter is a compiled packet filter (-B): a subset of the BPF/tcpdump
// language, evaluated on decoded packets in user space, since compiling
// tcpdump syntax to kernel BPF needs libpcap (cgo).
//
// Grammar: expr := term { ("or"|"||") term }; term := factor { ("and"|"&&") factor };
// factor := ("not"|"!") factor | "(" expr ")" | primitive. Primitives: ip, ip6,
// tcp, udp, icmp, icmp6, "proto N", "vlan [N]", "[src|dst] host ADDR",
// "[src|dst] net PREFIX", "[src|dst] port N", "[src|dst] portrange A-B".
type Filter struct {
	root node
	expr string
}

type node interface{ match(p *pkt) bool }

type (
	andNode  struct{ a, b node }
	orNode   struct{ a, b node }
	notNode  struct{ a node }
	protoSel struct {
		proto uint8
		v4    bool // ip: v4 only
		v6    bool // ip6: v6 only
	}
	vlanSel struct {
		id  uint16
		any bool
	}
	hostSel struct {
		dir  int // 0 either, 1 src, 2 dst
		pfx  netip.Prefix
		addr [16]byte
		bits int
	}
	portSel struct {
		dir    int
		lo, hi uint16
	}
)

func (n andNode) match(p *pkt) bool { return n.a.match(p) && n.b.match(p) }
func (n orNode) match(p *pkt) bool  { return n.a.match(p) || n.b.match(p) }
func (n notNode) match(p *pkt) bool { return !n.a.match(p) }

func (n protoSel) match(p *pkt) bool {
	switch {
	case n.v4:
		return !p.v6
	case n.v6:
		return p.v6
	}
	return p.proto == n.proto
}

func (n vlanSel) match(p *pkt) bool { return p.vlan != 0 && (n.any || p.vlan == n.id) }

func (n hostSel) match(p *pkt) bool {
	return n.dir != 2 && inPrefix(&p.src, &n.addr, n.bits) || n.dir != 1 && inPrefix(&p.dst, &n.addr, n.bits)
}

func inPrefix(a, p *[16]byte, bits int) bool {
	i := 0
	for ; bits >= 8; bits -= 8 {
		if a[i] != p[i] {
			return false
		}
		i++
	}
	if bits == 0 {
		return true
	}
	m := byte(0xff) << (8 - bits)
	return a[i]&m == p[i]&m
}

func (n portSel) match(p *pkt) bool {
	if p.proto != 6 && p.proto != 17 && p.proto != 132 {
		return false
	}
	return n.dir != 2 && p.sport >= n.lo && p.sport <= n.hi || n.dir != 1 && p.dport >= n.lo && p.dport <= n.hi
}

// Match reports whether p passes the filter (a nil filter passes all).
func (f *Filter) match(p *pkt) bool { return f == nil || f.root.match(p) }

// String returns the expression the filter was compiled from.
func (f *Filter) String() string { return f.expr }

// CompileFilter parses a filter expression; an empty one gives nil (no filter).
func CompileFilter(expr string) (*Filter, error) {
	toks := tokenize(expr)
	if len(toks) == 0 {
		return nil, nil
	}
	ps := &fparser{toks: toks}
	n, err := ps.expr()
	if err == nil && ps.i < len(toks) {
		err = fmt.Errorf("unexpected %q", toks[ps.i])
	}
	if err != nil {
		return nil, fmt.Errorf("packet filter %q: %w", expr, err)
	}
	return &Filter{root: n, expr: expr}, nil
}

func tokenize(s string) []string {
	s = strings.NewReplacer("(", " ( ", ")", " ) ", "!", " ! ", "&&", " && ", "||", " || ").Replace(s)
	return strings.Fields(s)
}

type fparser struct {
	toks []string
	i    int
}

func (ps *fparser) peek() string {
	if ps.i < len(ps.toks) {
		return strings.ToLower(ps.toks[ps.i])
	}
	return ""
}

func (ps *fparser) next() string { t := ps.peek(); ps.i++; return t }

func (ps *fparser) expr() (node, error) {
	a, err := ps.term()
	for err == nil && (ps.peek() == "or" || ps.peek() == "||") {
		ps.i++
		var b node
		if b, err = ps.term(); err == nil {
			a = orNode{a, b}
		}
	}
	return a, err
}

func (ps *fparser) term() (node, error) {
	a, err := ps.factor()
	for err == nil && (ps.peek() == "and" || ps.peek() == "&&") {
		ps.i++
		var b node
		if b, err = ps.factor(); err == nil {
			a = andNode{a, b}
		}
	}
	return a, err
}

func (ps *fparser) factor() (node, error) {
	switch t := ps.next(); t {
	case "":
		return nil, fmt.Errorf("unexpected end")
	case "not", "!":
		a, err := ps.factor()
		return notNode{a}, err
	case "(":
		a, err := ps.expr()
		if err == nil && ps.next() != ")" {
			err = fmt.Errorf("missing )")
		}
		return a, err
	case "ip":
		return protoSel{v4: true}, nil
	case "ip6":
		return protoSel{v6: true}, nil
	case "tcp":
		return protoSel{proto: 6}, nil
	case "udp":
		return protoSel{proto: 17}, nil
	case "icmp":
		return protoSel{proto: 1}, nil
	case "icmp6":
		return protoSel{proto: 58}, nil
	case "proto":
		n, err := strconv.ParseUint(ps.next(), 10, 8)
		return protoSel{proto: uint8(n)}, err
	case "vlan":
		if n, err := strconv.ParseUint(ps.peek(), 10, 12); err == nil {
			ps.i++
			return vlanSel{id: uint16(n)}, nil
		}
		return vlanSel{any: true}, nil
	case "src", "dst":
		dir := 1
		if t == "dst" {
			dir = 2
		}
		return ps.qualified(dir, ps.next())
	default:
		return ps.qualified(0, t)
	}
}

func (ps *fparser) qualified(dir int, kind string) (node, error) {
	arg := ps.next()
	switch kind {
	case "host", "net":
		pfx, err := netip.ParsePrefix(arg)
		if err != nil {
			a, aerr := netip.ParseAddr(arg)
			if aerr != nil {
				return nil, fmt.Errorf("%s %q: not an address or prefix", kind, arg)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		pfx = pfx.Masked()
		bits := pfx.Bits()
		if pfx.Addr().Is4() {
			bits += 96
		}
		return hostSel{dir: dir, pfx: pfx, addr: pfx.Addr().As16(), bits: bits}, nil
	case "port":
		n, err := strconv.ParseUint(arg, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", arg, err)
		}
		return portSel{dir: dir, lo: uint16(n), hi: uint16(n)}, nil
	case "portrange":
		lo, hi, ok := strings.Cut(arg, "-")
		l, err1 := strconv.ParseUint(lo, 10, 16)
		h, err2 := strconv.ParseUint(hi, 10, 16)
		if !ok || err1 != nil || err2 != nil || l > h {
			return nil, fmt.Errorf("portrange %q: want LOW-HIGH", arg)
		}
		return portSel{dir: dir, lo: uint16(l), hi: uint16(h)}, nil
	}
	return nil, fmt.Errorf("unknown primitive %q", kind)
}
