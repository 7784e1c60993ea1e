package lists_test

import (
	"net/netip"
	"testing"

	"flowgate/engine"
	"flowgate/engine/ndpi"
	"flowgate/lists"
)

// TestEngineMarksFlows runs records through an engine interface whose
// Blacklists is a store over the real list files in testdata.
func TestEngineMarksFlows(t *testing.T) {
	s := lists.New(lists.Configuration{Dir: "testdata/lists", Poll: -1})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := engine.DefaultConfiguration()
	cfg.Blacklists = s
	i := engine.New(cfg).AddInterface("tcp://127.0.0.1:5556c", "zmq")
	mk := func(src, dst string, sport uint16, sni string) engine.FlowRecord {
		return engine.FlowRecord{SrcIP: netip.MustParseAddr(src), DstIP: netip.MustParseAddr(dst), SrcPort: sport, DstPort: 443,
			Proto: 6, InBytes: 100, InPkts: 1, FirstSwitched: 1000, LastSwitched: 1000, Direction: 2, TLSServerName: sni}
	}
	b := i.NewBatch()
	b.Flows = append(b.Flows,
		mk("10.0.0.1", "5.79.79.211", 40001, ""),          // server on Emerging Threats
		mk("23.94.7.175", "10.0.0.1", 40002, ""),          // client on it
		mk("10.0.0.1", "8.8.8.8", 40003, "www.minero.cc"), // SNI on a Mining list
		mk("10.0.0.1", "8.8.4.4", 40004, "example.org"),   // nothing
	)
	i.Process(b)
	want := map[uint16]struct {
		bl  uint8
		cat ndpi.Category
	}{
		40001: {lists.SideServer, ndpi.CategoryMalware},
		40002: {lists.SideClient, ndpi.CategoryMalware},
		40003: {0, ndpi.CategoryMining},
		40004: {0, ndpi.CategoryOf(ndpi.Guess(6, 40004, 443))},
	}
	n := 0
	i.Do(func(tb *engine.Tables) {
		tb.Flows(func(f *engine.Flow) bool {
			n++
			w := want[f.ClientPort()]
			if f.Blacklist != w.bl || f.Category != w.cat {
				t.Errorf("flow :%d blacklist %b category %v, want %b %v", f.ClientPort(), f.Blacklist, f.Category, w.bl, w.cat)
			}
			return true
		})
	})
	if n != len(want) {
		t.Fatalf("%d flows, want %d", n, len(want))
	}
}
