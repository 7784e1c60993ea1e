package pools

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
)

func TestParseMember(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.168.2.0/24@0", "192.168.2.0/24@0"},
		{"192.168.2.7/24", "192.168.2.0/24@0"},
		{"8.8.8.8@2", "8.8.8.8/32@2"},
		{"2001:db8::1", "2001:db8::1/128@0"},
		{"aa:bb:cc:dd:ee:ff", "AA:BB:CC:DD:EE:FF"},
		{"::ffff:10.0.0.1", "10.0.0.1/32@0"},
	} {
		m, err := ParseMember(c.in)
		if err != nil || m.String() != c.want {
			t.Errorf("ParseMember(%q) = %q, %v; want %q", c.in, m.String(), err, c.want)
		}
	}
	for _, bad := range []string{"", "x", "10.0.0.0/33", "10.0.0.1@5000", "10.0.0.1@x", "fe80::1%eth0"} {
		if _, err := ParseMember(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMember(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestStoreLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := New(Configuration{Path: path, MaxPools: 3, MaxMembers: 4})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	id, err := s.Add("lan", []string{"10.0.0.0/8@0", "10.1.0.0/16@0"}, 0, []string{"siem"})
	if err != nil || id != 1 {
		t.Fatalf("Add = %d, %v", id, err)
	}
	id2, err := s.Add("dns", []string{"10.1.0.53/32@0", "AA:BB:CC:DD:EE:FF"}, 0, nil)
	if err != nil || id2 != 2 {
		t.Fatalf("Add = %d, %v", id2, err)
	}
	for _, c := range []struct {
		ip   string
		vlan uint16
		want int
	}{{"10.1.0.53", 0, 2}, {"10.1.0.54", 0, 1}, {"10.200.0.1", 0, 1}, {"10.1.0.53", 3, 0}, {"192.0.2.1", 0, 0}} {
		if got := s.Match(netip.MustParseAddr(c.ip), c.vlan); got != c.want {
			t.Errorf("Match(%s@%d) = %d, want %d", c.ip, c.vlan, got, c.want)
		}
	}
	if got := s.MatchMAC("aa:bb:cc:dd:ee:ff"); got != 2 {
		t.Errorf("MatchMAC = %d", got)
	}
	// Errors leave the pools unchanged.
	if _, err := s.Add("LAN", nil, 0, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := s.Add("x", []string{"10.0.0.0/8"}, 0, nil); !errors.Is(err, ErrAlreadyBound) {
		t.Errorf("member twice: %v", err)
	}
	if _, err := s.Add("y", []string{"1.1.1.1", "2.2.2.2"}, 0, nil); !errors.Is(err, ErrTooMany) {
		t.Errorf("members bound: %v", err)
	}
	if err := s.Bind("10.1.0.53/32@0", 1); !errors.Is(err, ErrAlreadyBound) {
		t.Errorf("bind bound member: %v", err)
	}
	if err := s.Bind("10.1.0.53", DefaultPoolID); err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("10.1.0.53", 1); err != nil {
		t.Fatal(err)
	}
	if p, ok, _ := s.ByMember("10.1.0.53@0"); !ok || p.ID != 1 {
		t.Errorf("ByMember = %+v %v", p, ok)
	}
	if err := s.Edit(9, "z", nil, 0, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("edit unknown: %v", err)
	}
	if err := s.Delete(DefaultPoolID); !errors.Is(err, ErrDefaultLocked) {
		t.Errorf("delete default: %v", err)
	}
	// A restart reads the same pools back.
	r := New(Configuration{Path: path, MaxPools: 3, MaxMembers: 4})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if got := r.Match(netip.MustParseAddr("10.1.0.53"), 0); got != 1 {
		t.Errorf("after restart Match = %d", got)
	}
	if p, _ := r.Get(1); p.Name != "lan" || len(p.Recipients) != 1 {
		t.Errorf("after restart pool 1 = %+v", p)
	}
	// Import is all-or-nothing.
	bad := []Pool{{ID: 1, Name: "a", Members: []string{"1.2.3.4"}}, {ID: 2, Name: "b", Members: []string{"nonsense"}}}
	if err := r.Import(bad); err == nil {
		t.Fatal("import of a bad pool succeeded")
	}
	if p, _ := r.Get(1); p.Name != "lan" {
		t.Errorf("a failed import changed pool 1: %+v", p)
	}
	if err := r.Delete(2); err != nil {
		t.Fatal(err)
	}
	if got := r.MatchMAC("AA:BB:CC:DD:EE:FF"); got != 0 {
		t.Errorf("deleted pool still matches: %d", got)
	}
}
