package packet

import (
	"net/netip"
	"testing"
)

func TestFilterExpressions(t *testing.T) {
	mk := func(src, dst string, sp, dp uint16, proto uint8, vlan uint16) *pkt {
		s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
		return &pkt{src: s.As16(), dst: d.As16(), sport: sp, dport: dp, proto: proto, vlan: vlan, v6: s.Is6() && !s.Is4In6()}
	}
	web := mk("10.0.0.1", "192.0.2.80", 40000, 443, 6, 0)
	dns6 := mk("2001:db8::1", "2001:db8::53", 5353, 53, 17, 7)
	cases := []struct {
		expr      string
		web, dns6 bool
	}{
		{"tcp", true, false},
		{"udp and ip6", false, true},
		{"port 443", true, false},
		{"dst port 53 || src port 40000", true, true},
		{"src port 443", false, false},
		{"portrange 50-500", true, true},
		{"host 192.0.2.80", true, false},
		{"src host 192.0.2.80", false, false},
		{"net 10.0.0.0/8", true, false},
		{"net 2001:db8::/32", false, true},
		{"not (tcp or vlan 7)", false, false},
		{"vlan", false, true},
		{"ip and not port 22", true, false},
		{"proto 17", false, true},
		{"icmp or icmp6", false, false},
	}
	for _, c := range cases {
		f, err := CompileFilter(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if f.match(web) != c.web || f.match(dns6) != c.dns6 {
			t.Errorf("%q: web %v dns6 %v, want %v %v", c.expr, f.match(web), f.match(dns6), c.web, c.dns6)
		}
	}
	for _, bad := range []string{"port", "host nothing", "tcp and", "(udp", "portrange 9-1", "frobnicate 3", "tcp udp"} {
		if _, err := CompileFilter(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if f, err := CompileFilter("  "); f != nil || err != nil {
		t.Errorf("empty filter: %v %v", f, err)
	}
}
