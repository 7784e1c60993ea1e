package pools

import (
	"fmt"
	"net/netip"
	"testing"
)

// BenchmarkMatch: a host looked up among 10,000 members (networks of
// four lengths over 100 pools), as host lists and alerts do per host.
func BenchmarkMatch(b *testing.B) {
	s := New(Configuration{MaxMembers: 10000})
	n := 0
	for p := 1; p <= 100; p++ {
		var members []string
		for i := 0; i < 100; i++ {
			bits := []int{16, 24, 28, 32}[i%4]
			members = append(members, fmt.Sprintf("10.%d.%d.0/%d", p, i, bits))
			n++
		}
		if _, err := s.Add(fmt.Sprintf("p%d", p), members, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	ips := []netip.Addr{netip.MustParseAddr("10.50.3.7"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("10.99.98.1")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Match(ips[i%len(ips)], 0)
	}
}
