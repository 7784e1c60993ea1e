package wire

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// parseIPv4 must agree with netip.ParseAddr on every string it accepts and
// accept every plain IPv4 address netip.ParseAddr accepts; the rest falls
// back to netip.ParseAddr in addr.
func TestParseIPv4MatchesNetip(t *testing.T) {
	cases := []string{
		"10.1.2.3", "0.0.0.0", "255.255.255.255", "1.2.3.4", "192.168.001.1", "01.2.3.4",
		"256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4",
		"1.2.3.-4", "1.2.3.4x", "1234.1.1.1", "", "::1", "::ffff:1.2.3.4", "fe80::1%eth0",
		"1.2.3.4%eth0", "0.0.0.00", "9.99.199.255", "1.2.3.0255",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789.:x "
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(16) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for range 2000 { // well-formed quads, with and without leading zeros
		var b strings.Builder
		for f := range 4 {
			if f > 0 {
				b.WriteByte('.')
			}
			n := rng.IntN(300)
			if rng.IntN(8) == 0 {
				b.WriteByte('0')
			}
			b.WriteString(strings.TrimLeft(string(rune('0'+n/100))+string(rune('0'+n/10%10))+string(rune('0'+n%10)), "0"))
			if n == 0 {
				b.WriteByte('0')
			}
		}
		cases = append(cases, b.String())
	}
	accepted := 0
	for _, s := range cases {
		got, ok := parseIPv4(s)
		want, err := netip.ParseAddr(s)
		plain4 := err == nil && want.Is4() && want.Zone() == ""
		if ok != plain4 || ok && got != want {
			t.Errorf("parseIPv4(%q) = %v, %v; netip.ParseAddr: %v, %v", s, got, ok, want, err)
		}
		if ok {
			accepted++
		}
	}
	if accepted < 300 {
		t.Fatalf("only %d cases were valid addresses", accepted)
	}
}

func BenchmarkParseIPv4(b *testing.B) {
	for _, impl := range []struct {
		name string
		fn   func(string) bool
	}{
		{"fast", func(s string) bool { _, ok := parseIPv4(s); return ok }},
		{"netip", func(s string) bool { _, err := netip.ParseAddr(s); return err == nil }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.fn("192.168.100.254")
			}
		})
	}
}
