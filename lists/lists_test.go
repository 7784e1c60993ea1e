package lists

import (
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine/ndpi"
	"flowgate/internal/testwait"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// copyDir copies testdata/lists into a temporary directory the test may change.
func copyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir("testdata/lists")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata/lists", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t *testing.T, cfg Configuration) *Store {
	t.Helper()
	cfg.Poll = -1
	s := New(cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestLoadCountsPerList(t *testing.T) {
	s := load(t, Configuration{Dir: "testdata/lists"})
	want := map[string]struct {
		cat                       ndpi.Category
		enabled                   bool
		ips, doms, errs, whitelst int
	}{
		"Emerging Threats":           {ndpi.CategoryMalware, true, 6, 0, 5, 0},
		"NoCoin Filter List":         {ndpi.CategoryMining, true, 0, 3, 2, 0},
		"ntop Host Malware Meltdown": {ndpi.CategoryMalware, true, 0, 3, 2, 1},
		"drop":                       {ndpi.CategoryMalware, true, 4, 0, 0, 0},
		"ads":                        {ndpi.CategoryAdvertisement, true, 1, 1, 0, 0},
		"disabled":                   {ndpi.CategoryMalware, false, 0, 0, 0, 0},
	}
	st := s.Stats()
	if len(st) != len(want) {
		t.Fatalf("%d lists loaded, want %d: %+v", len(st), len(want), st)
	}
	for _, l := range st {
		w, ok := want[l.Name]
		if !ok {
			t.Errorf("unexpected list %q", l.Name)
			continue
		}
		if l.Category != w.cat || l.Enabled != w.enabled || l.IPs != w.ips || l.Domains != w.doms || l.Errors != w.errs || l.Whitelst != w.whitelst {
			t.Errorf("%s: cat %d enabled %v ips %d domains %d errors %d whitelisted %d; want %+v",
				l.Name, l.Category, l.Enabled, l.IPs, l.Domains, l.Errors, l.Whitelst, w)
		}
	}
	if c := s.Counters(); c.BadLines != 9 || c.Reloads != 1 {
		t.Errorf("counters: bad lines %d reloads %d, want 9 and 1", c.BadLines, c.Reloads)
	}
}

func TestMatch(t *testing.T) {
	s := load(t, Configuration{Dir: "testdata/lists"})
	tests := []struct {
		in   string
		list string // "" no match
		bl   bool
	}{
		{"1.10.16.0", "Emerging Threats", true},    // listed by two lists: the first (file order) keeps it
		{"1.10.31.255", "Emerging Threats", true},  // last address of the /20
		{"1.10.32.0", "", false},                   // just past it
		{"5.79.79.211", "Emerging Threats", true},  // a single address
		{"5.79.79.212", "", false},                 //
		{"198.51.100.1", "Emerging Threats", true}, // the /24
		{"198.51.100.130", "drop", true},           // a /25 of another list inside it
		{"198.51.100.200", "ads", false},           // a /32 inside both: the innermost, not blacklisted
		{"198.51.100.201", "drop", true},           // back to the /25
		{"::ffff:5.79.79.211", "Emerging Threats", true},
		{"2001:db8:bad::1", "drop", true},
		{"2001:db8:bae::1", "", false},
		{"192.0.2.1", "", false}, // the disabled list
		{"0.0.0.0", "", false},
		{"255.255.255.255", "", false},
	}
	for _, tc := range tests {
		got, ok := s.MatchAddr(netip.MustParseAddr(tc.in))
		if ok != (tc.list != "") || got.List != tc.list || got.Blacklisted != tc.bl {
			t.Errorf("MatchAddr(%s) = %+v, %v; want %q blacklisted %v", tc.in, got, ok, tc.list, tc.bl)
		}
	}
	names := []struct{ in, list string }{
		{"coinhive.com", "NoCoin Filter List"},
		{"WWW.Coinhive.COM.", "NoCoin Filter List"},
		{"a.b.malware-cdn.test", "ntop Host Malware Meltdown"},
		{"phish.test", "ntop Host Malware Meltdown"},
		{"notphish.test", ""},
		{"whitelisted.test", ""},
		{"localhost", ""},
		{"", ""},
	}
	for _, tc := range names {
		got, ok := s.MatchName(tc.in)
		if ok != (tc.list != "") || got.List != tc.list {
			t.Errorf("MatchName(%q) = %+v, %v; want %q", tc.in, got, ok, tc.list)
		}
	}
}

func TestMatchFlowSidesAndHits(t *testing.T) {
	s := load(t, Configuration{Dir: "testdata/lists"})
	a := netip.MustParseAddr
	tests := []struct {
		cli, srv string
		name     string
		cat      ndpi.Category
		sides    uint8
		ok       bool
	}{
		{"10.0.0.1", "5.79.79.211", "", ndpi.CategoryMalware, SideServer, true},
		{"23.94.7.175", "10.0.0.1", "", ndpi.CategoryMalware, SideClient, true},
		{"10.0.0.1", "8.8.8.8", "minero.cc", ndpi.CategoryMining, 0, true},
		{"10.0.0.1", "198.51.100.200", "evil-domain.example", ndpi.CategoryMalware, SideName, true},
		{"10.0.0.1", "8.8.8.8", "example.org", 0, 0, false},
	}
	for _, tc := range tests {
		cat, sides, ok := s.MatchFlow(a(tc.cli), a(tc.srv), tc.name)
		if cat != tc.cat || sides != tc.sides || ok != tc.ok {
			t.Errorf("MatchFlow(%s, %s, %q) = %d, %b, %v; want %d, %b, %v", tc.cli, tc.srv, tc.name, cat, sides, ok, tc.cat, tc.sides, tc.ok)
		}
	}
	hits := map[string]uint64{}
	for _, l := range s.Stats() {
		hits[l.Name] = l.Hits
	}
	if hits["Emerging Threats"] != 2 || hits["NoCoin Filter List"] != 1 || hits["ads"] != 1 || hits["ntop Host Malware Meltdown"] != 1 {
		t.Errorf("hits = %v", hits)
	}
	if c := s.Counters(); c.FlowHits != 4 {
		t.Errorf("flow hits %d, want 4", c.FlowHits)
	}
	s.ResetStats()
	for _, l := range s.Stats() {
		if l.Hits != 0 {
			t.Errorf("%s: %d hits after reset", l.Name, l.Hits)
		}
	}
}

func TestReloadOnFileChange(t *testing.T) {
	dir := copyDir(t)
	s := New(Configuration{Dir: dir, Poll: 10 * time.Millisecond})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if _, ok := s.MatchAddr(netip.MustParseAddr("192.0.2.77")); ok {
		t.Fatal("192.0.2.77 listed before the change")
	}
	if err := os.WriteFile(filepath.Join(dir, "new list.txt"), []byte("192.0.2.77\nbad line here extra\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the new list loaded", func() bool {
		l, ok := s.MatchAddr(netip.MustParseAddr("192.0.2.77"))
		return ok && l.List == "new list" && l.Blacklisted
	})
	// A bad lists.json keeps the loaded lists and counts the failure.
	if err := os.WriteFile(filepath.Join(dir, MetaFile), []byte(`{"ads": {"format": "nope"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reload(); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("Reload with a bad %s: %v", MetaFile, err)
	}
	if _, ok := s.MatchAddr(netip.MustParseAddr("192.0.2.77")); !ok {
		t.Error("a failed reload dropped the loaded lists")
	}
	if c := s.Counters(); c.ReloadErrors == 0 {
		t.Error("reload error not counted")
	}
}

// TestBackgroundLoad: list files over SyncLoadBytes load after Start returns.
func TestBackgroundLoad(t *testing.T) {
	s := New(Configuration{Dir: "testdata/lists", Poll: -1, SyncLoadBytes: 1, Logger: quiet()})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	testwait.For(t, "the lists loaded in the background", func() bool {
		_, ok := s.MatchAddr(netip.MustParseAddr("5.79.79.211"))
		return ok
	})
}

func TestLimitsAndLongLines(t *testing.T) {
	dir := t.TempDir()
	long := make([]byte, maxLine+10)
	for i := range long {
		long[i] = 'a'
	}
	data := "10.0.0.1\n10.0.0.2\n10.0.0.3\nevil.example\nworse.example\n" + string(long) + "\n10.0.0.4\n"
	if err := os.WriteFile(filepath.Join(dir, "l.txt"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	s := load(t, Configuration{Dir: dir, MaxIPs: 2, MaxDomains: 1})
	l := s.Stats()[0]
	if l.IPs != 2 || l.Domains != 1 || l.Dropped != 3 || l.Errors != 1 || l.Err != "" {
		t.Errorf("list = %+v; want 2 IPs, 1 domain, 3 dropped (10.0.0.3, worse.example, 10.0.0.4), 1 error (the long line)", l)
	}
}

func TestCustomCategories(t *testing.T) {
	custom := map[int][]string{
		int(ndpi.CategoryMalware): {"10.9.0.0/16", "custom-bad.test", "!evil-domain.example"},
		int(ndpi.CategoryMusic):   {"music.test"},
	}
	s := load(t, Configuration{Dir: "testdata/lists", Custom: func() map[int][]string { return custom }})
	if l, ok := s.MatchAddr(netip.MustParseAddr("10.9.1.1")); !ok || !l.Blacklisted || l.List != "custom category 100" {
		t.Errorf("custom network: %+v %v", l, ok)
	}
	if l, ok := s.MatchName("x.music.test"); !ok || l.Category != ndpi.CategoryMusic || l.Blacklisted {
		t.Errorf("custom host: %+v %v", l, ok)
	}
	if l, ok := s.MatchName("evil-domain.example"); ok {
		t.Errorf("whitelisted by a custom category, still matched: %+v", l)
	}
}

func TestRegisterMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	load(t, Configuration{Dir: "testdata/lists", Metrics: reg})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		found[mf.GetName()] = true
	}
	for _, n := range []string{"flowgate_blacklist_lists", "flowgate_blacklist_bad_lines_total", "flowgate_blacklist_flow_hits_total"} {
		if !found[n] {
			t.Errorf("%s not registered", n)
		}
	}
}

// TestFlattenMatchesNaive compares the range table with a scan of every
// listed block (innermost wins, then the lowest list index) on random CIDRs.
func TestFlattenMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type blk struct {
		p   netip.Prefix
		val uint16
	}
	for round := 0; round < 20; round++ {
		var blocks []blk
		var spans []span[u32]
		for i := 0; i < 200; i++ {
			bits := 8 + r.IntN(25)
			a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
			p := netip.PrefixFrom(a, bits).Masked()
			if round%2 == 0 {
				p = netip.PrefixFrom(a, 24+r.IntN(9)).Masked()
			}
			v := uint16(r.IntN(5))
			blocks = append(blocks, blk{p, v})
			lo := u32(beUint32(p.Addr().As4()))
			spans = append(spans, span[u32]{lo, lo | u32(uint32(1<<(32-p.Bits())-1)), v})
		}
		tab := newV4Table(flatten(spans))
		for i := 0; i < 2000; i++ {
			a := netip.AddrFrom4([4]byte{10, byte(r.IntN(5)), byte(r.IntN(256)), byte(r.IntN(256))})
			if i%3 == 0 { // probe near a listed block
				a = blocks[r.IntN(len(blocks))].p.Addr()
			}
			best := -1
			for j, b := range blocks {
				if b.p.Contains(a) && (best < 0 || b.p.Bits() > blocks[best].p.Bits() || b.p.Bits() == blocks[best].p.Bits() && b.val < blocks[best].val) {
					best = j
				}
			}
			got, ok := tab.lookup(beUint32(a.As4()))
			b := netip.AddrFrom4([4]byte{10, byte(r.IntN(5)), byte(r.IntN(256)), byte(r.IntN(256))})
			gb, okb := tab.lookup(beUint32(b.As4()))
			if g1, o1, g2, o2 := tab.lookup2(beUint32(a.As4()), beUint32(b.As4())); g1 != got || o1 != ok || g2 != gb || o2 != okb {
				t.Fatalf("lookup2(%s, %s) = %d %v %d %v; lookup: %d %v %d %v", a, b, g1, o1, g2, o2, got, ok, gb, okb)
			}
			if (best >= 0) != ok || ok && got != blocks[best].val {
				want := "none"
				if best >= 0 {
					want = blocks[best].p.String()
				}
				t.Fatalf("round %d: lookup(%s) = %d, %v; naive: %s", round, a, got, ok, want)
			}
		}
	}
}
