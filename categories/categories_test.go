package categories

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"

	"flowgate/engine"
	"flowgate/engine/ndpi"
)

func TestParseHost(t *testing.T) {
	for in, want := range map[string]string{"Example.COM": "example.com", "*.ads.net": "ads.net", "10.1.2.3": "10.1.2.3",
		"10.1.2.3/8": "10.0.0.0/8", "2001:db8::/32": "2001:db8::/32"} {
		if got, err := ParseHost(in); err != nil || got != want {
			t.Errorf("ParseHost(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a b", "<script>", "x..y", "a*b.com"} {
		if _, err := ParseHost(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseHost(%q): %v", bad, err)
		}
	}
}

// Custom categories change the category the engine gives new flows.
func TestEngineUsesCustomCategories(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := New(Configuration{Path: path})
	if _, err := s.SetCategory(int(ndpi.CategoryCustom1), []string{"corp.example", "192.0.2.0/24"}, "Corp"); err != nil {
		t.Fatal(err)
	}
	// TLS (91) becomes Banned_Site: an application override.
	if err := s.SetApplication("", 91, true, int(ndpi.CategoryBannedSite), nil); err != nil {
		t.Fatal(err)
	}
	skipped, err := s.SetCategory(int(ndpi.CategoryMalware), []string{"corp.example", "evil.example"}, "")
	if err != nil || len(skipped) != 1 {
		t.Fatalf("a host of another category: skipped %v, %v", skipped, err)
	}
	cfg := engine.DefaultConfiguration()
	cfg.Categories = s
	eng := engine.New(cfg)
	i := eng.AddInterface("test", "zmq")
	b := i.NewBatch()
	add := func(dst string, app uint16, sni string) {
		f := b.AddFlow()
		f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr(dst), 40000, 443, 6
		f.L7Set, f.L7App, f.TLSServerName = true, app, sni
		f.InBytes, f.InPkts, f.FirstSwitched, f.LastSwitched = 1, 1, 1, 1
	}
	add("198.51.100.1", 91, "www.corp.example") // name
	add("192.0.2.9", 7, "")                     // address (HTTP)
	add("198.51.100.2", 91, "other.example")    // application override
	add("198.51.100.3", 7, "evil.example")      // name
	add("198.51.100.4", 5, "")                  // DNS: nDPI's
	i.Process(b)
	want := map[string]ndpi.Category{"198.51.100.1": ndpi.CategoryCustom1, "192.0.2.9": ndpi.CategoryCustom1,
		"198.51.100.2": ndpi.CategoryBannedSite, "198.51.100.3": ndpi.CategoryMalware, "198.51.100.4": ndpi.CategoryOf(5)}
	seen := 0
	i.Do(func(tb *engine.Tables) {
		tb.Flows(func(f *engine.Flow) bool {
			seen++
			if w := want[f.Server().String()]; f.Category != w {
				t.Errorf("flow to %s: category %v, want %v", f.Server(), f.Category, w)
			}
			return true
		})
	})
	if seen != len(want) {
		t.Fatalf("%d flows", seen)
	}
	// The lists survive a restart.
	r := New(Configuration{Path: path})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if c, ok := r.Match("a.corp.example"); !ok || c != ndpi.CategoryCustom1 || r.Alias(int(ndpi.CategoryCustom1)) != "Corp" {
		t.Errorf("after restart: %v %v %q", c, ok, r.Alias(int(ndpi.CategoryCustom1)))
	}
	// Import is all-or-nothing.
	bad := Config{Hosts: map[int][]string{3: {"ok.example"}, 4: {"not a host"}}}
	if err := r.Import(bad); err == nil {
		t.Fatal("bad import accepted")
	}
	if _, ok := r.Match("ok.example"); ok {
		t.Error("a failed import changed the lists")
	}
}
