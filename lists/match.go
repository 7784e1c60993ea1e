package lists

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine/ndpi"
	"flowgate/internal/metrics"
)

// matchAddr returns the list index of a, if any list has it.
func (set *Set) matchAddr(a netip.Addr) (uint16, bool) {
	if a.Is4() {
		return set.v4.lookup(beUint32(a.As4()))
	}
	if a.Is4In6() {
		return set.v4.lookup(beUint32(a.Unmap().As4()))
	}
	if len(set.v6.spans) == 0 || !a.IsValid() {
		return 0, false
	}
	b := a.As16()
	return set.v6.lookup(u128{beUint64(b[:8]), beUint64(b[8:])})
}

// matchName returns the list index of a name or of its nearest listed parent
// domain ("a.b.example.com" matches a list entry "example.com").
func (set *Set) matchName(name string) (uint16, bool) {
	if len(set.domains) == 0 || name == "" {
		return 0, false
	}
	var buf [256]byte
	if len(name) > len(buf) {
		return 0, false
	}
	h := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h[i] = c
	}
	for len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	for len(h) > 0 {
		if v, ok := set.domains[string(h)]; ok { // no allocation: map index by converted bytes
			return v, true
		}
		i := bytes.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return 0, false
}

// Lookup is one match.
type Lookup struct {
	List     string
	Category ndpi.Category
	// Blacklisted: the list is a Malware list.
	Blacklisted bool
}

func (set *Set) result(v uint16) Lookup {
	l := &set.lists[v]
	return Lookup{List: l.Name, Category: l.Category, Blacklisted: l.Blacklisted()}
}

// MatchAddr answers whether an address is on a list (host blacklist info).
func (s *Store) MatchAddr(a netip.Addr) (Lookup, bool) {
	set := s.cur.Load()
	if v, ok := set.matchAddr(a); ok {
		return set.result(v), true
	}
	return Lookup{}, false
}

// MatchName answers whether a host name or a parent domain is on a list.
func (s *Store) MatchName(name string) (Lookup, bool) {
	set := s.cur.Load()
	if v, ok := set.matchName(name); ok {
		return set.result(v), true
	}
	return Lookup{}, false
}

// MatchFlow is engine.Blacklister: it matches a new flow's server name,
// server and client against the lists. cat is the category of the first
// match in that order; sides has SideClient/SideServer/SideName for each
// side a Malware list matched (ntopng's blacklisted client, server and
// flow). It runs in the engine's interface goroutine and does not allocate;
// it counts only hits (the engine counts the flows it checks: every new flow).
func (s *Store) MatchFlow(cli, srv netip.Addr, name string) (cat ndpi.Category, sides uint8, ok bool) {
	set := s.cur.Load()
	if len(set.lists) == 0 {
		return 0, 0, false
	}
	check := func(v uint16, side uint8) {
		l := &set.lists[v]
		if !ok {
			cat, ok = l.Category, true
		}
		if l.Category == ndpi.CategoryMalware {
			sides |= side
		}
		set.hits[v].Add(1)
	}
	if v, hit := set.matchName(name); hit {
		check(v, SideName)
	}
	if srv.Is4() && cli.Is4() {
		vs, hs, vc, hc := set.v4.lookup2(beUint32(srv.As4()), beUint32(cli.As4()))
		if hs {
			check(vs, SideServer)
		}
		if hc {
			check(vc, SideClient)
		}
	} else {
		if v, hit := set.matchAddr(srv); hit {
			check(v, SideServer)
		}
		if v, hit := set.matchAddr(cli); hit {
			check(v, SideClient)
		}
	}
	if ok {
		s.flowHits.Add(1)
	}
	return cat, sides, ok
}

// ListStats is one list's state and hits (ntop.getBlacklistStats).
type ListStats struct {
	ListInfo
	Hits uint64 `json:"num_hits"`
}

// Stats lists the lists in name order with their hits.
func (s *Store) Stats() []ListStats {
	set := s.cur.Load()
	out := make([]ListStats, len(set.lists))
	for i := range set.lists {
		out[i] = ListStats{ListInfo: set.lists[i], Hits: set.hits[i].Load()}
	}
	return out
}

// ResetStats zeroes the lists' hits (ntop.resetBlacklistStats).
func (s *Store) ResetStats() {
	set := s.cur.Load()
	for i := range set.hits {
		set.hits[i].Store(0)
	}
}

// Loaded reports when the current set was built and how long it took.
func (s *Store) Loaded() (at time.Time, took time.Duration) {
	set := s.cur.Load()
	return set.loaded, set.took
}

// Counters is the store's snapshot for /metrics.
type Counters struct {
	Lists, IPRanges, Domains                  int
	MemBytes                                  int
	FlowHits, Reloads, ReloadErrors, BadLines uint64
	LoadSeconds                               float64
}

// Counters snapshots the counters.
func (s *Store) Counters() Counters {
	set := s.cur.Load()
	return Counters{Lists: len(set.lists), IPRanges: set.v4.size() + len(set.v6.spans), Domains: len(set.domains),
		MemBytes: set.MemBytes(), FlowHits: s.flowHits.Load(), Reloads: s.reloads.Load(),
		ReloadErrors: s.reloadErrs.Load(), BadLines: s.badLines.Load(), LoadSeconds: set.took.Seconds()}
}

// MemBytes estimates the set's memory: the range arrays and the domain map
// (key bytes plus Go's per-entry overhead, about 40 bytes).
func (set *Set) MemBytes() int {
	n := set.v4.bytes() + len(set.v6.spans)*40
	for d := range set.domains {
		n += len(d) + 40
	}
	return n
}

func (s *Store) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(s.Counters,
		metrics.Gauge("flowgate_blacklist_lists", "Category lists loaded.", func(c *Counters) float64 { return float64(c.Lists) }),
		metrics.Gauge("flowgate_blacklist_ip_ranges", "Disjoint address ranges of the category lists.", func(c *Counters) float64 { return float64(c.IPRanges) }),
		metrics.Gauge("flowgate_blacklist_domains", "Domains of the category lists.", func(c *Counters) float64 { return float64(c.Domains) }),
		metrics.Gauge("flowgate_blacklist_memory_bytes", "Estimated memory of the loaded category lists.", func(c *Counters) float64 { return float64(c.MemBytes) }),
		metrics.Gauge("flowgate_blacklist_load_seconds", "Time the last category lists load took.", func(c *Counters) float64 { return c.LoadSeconds }),
		metrics.Counter("flowgate_blacklist_flow_hits_total", "Flows a category list matched.", func(c *Counters) uint64 { return c.FlowHits }),
		metrics.Counter("flowgate_blacklist_reloads_total", "Category list loads.", func(c *Counters) uint64 { return c.Reloads }),
		metrics.Counter("flowgate_blacklist_reload_errors_total", "Category list loads that failed (the previous lists stay).", func(c *Counters) uint64 { return c.ReloadErrors }),
		metrics.Counter("flowgate_blacklist_bad_lines_total", "Malformed category list lines skipped, over all loads.", func(c *Counters) uint64 { return c.BadLines }),
	))
}
