package alerts

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ExclusionsKey is the cache key of ntopng's alert exclusions, a JSON
// document {"<entity id>": {"<alert id>": {"excluded_hosts": {"<ip or
// cidr>": …}}}} (docs/alert-exclusions.md). Entity 1 excludes host alerts
// of the host, entity 4 flow alerts whose client or server is the host.
const ExclusionsKey = "ntopng.prefs.alert_exclusions"

// Exclusions are alert types never raised for some hosts or networks. The
// zero value (and nil) excludes nothing.
type Exclusions struct {
	host, flow exclusionSet
	n          int // (entity, alert, host) entries
}

// exclusionSet maps hosts and networks to the excluded alert ids.
type exclusionSet struct {
	addrs map[netip.Addr]map[int]bool
	nets  []netExclusion
}

type netExclusion struct {
	p   netip.Prefix
	ids map[int]bool
}

// ParseExclusions reads ntopng's document. An empty one excludes nothing;
// a malformed one is an error (the caller keeps its previous exclusions).
// Entities other than host and flow are ignored, as ntopng ignores them.
func ParseExclusions(b []byte) (*Exclusions, error) {
	e := &Exclusions{}
	if len(strings.TrimSpace(string(b))) == 0 {
		return e, nil
	}
	var doc map[string]map[string]struct {
		ExcludedHosts map[string]json.RawMessage `json:"excluded_hosts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("alert exclusions: %w", err)
	}
	for ent, alertsOf := range doc {
		var set *exclusionSet
		switch ent {
		case strconv.Itoa(int(EntityHost)):
			set = &e.host
		case strconv.Itoa(int(EntityFlow)):
			set = &e.flow
		default:
			continue
		}
		for idStr, conf := range alertsOf {
			id, err := strconv.Atoi(idStr)
			if err != nil || id < 0 {
				return nil, fmt.Errorf("alert exclusions: entity %s: bad alert id %q", ent, idStr)
			}
			for h := range conf.ExcludedHosts {
				if err := set.add(h, id); err != nil {
					return nil, fmt.Errorf("alert exclusions: entity %s alert %d: %w", ent, id, err)
				}
				e.n++
			}
		}
	}
	return e, nil
}

// add excludes alert id for host h: an address, "address@vlan" (the VLAN
// is not part of ntopng's match either) or a CIDR.
func (s *exclusionSet) add(h string, id int) error {
	h, _, _ = strings.Cut(h, "@")
	if strings.Contains(h, "/") {
		p, err := netip.ParsePrefix(h)
		if err != nil {
			return fmt.Errorf("bad network %q", h)
		}
		p = p.Masked()
		if p.Bits() == p.Addr().BitLen() {
			return s.add(p.Addr().String(), id)
		}
		for i := range s.nets {
			if s.nets[i].p == p {
				s.nets[i].ids[id] = true
				return nil
			}
		}
		s.nets = append(s.nets, netExclusion{p: p, ids: map[int]bool{id: true}})
		return nil
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return fmt.Errorf("bad host %q", h)
	}
	a = a.Unmap()
	if s.addrs == nil {
		s.addrs = map[netip.Addr]map[int]bool{}
	}
	if s.addrs[a] == nil {
		s.addrs[a] = map[int]bool{}
	}
	s.addrs[a][id] = true
	return nil
}

func (s *exclusionSet) excludes(host string, id int) bool {
	if len(s.addrs) == 0 && len(s.nets) == 0 {
		return false
	}
	host, _, _ = strings.Cut(host, "@")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if s.addrs[a][id] {
		return true
	}
	for _, n := range s.nets {
		if n.ids[id] && n.p.Contains(a) {
			return true
		}
	}
	return false
}

// Len is the number of (entity, alert, host) exclusions.
func (e *Exclusions) Len() int {
	if e == nil {
		return 0
	}
	return e.n
}

// Excludes reports whether a must not be raised: a host alert of an
// excluded host, or a flow alert whose client or server is excluded.
func (e *Exclusions) Excludes(a *Alert) bool {
	if e == nil || e.n == 0 {
		return false
	}
	switch a.Entity {
	case EntityHost:
		return e.host.excludes(a.EntityVal, a.Type)
	case EntityFlow:
		if a.Flow == nil {
			return false
		}
		return e.flow.excludes(a.Flow.Cli.Addr, a.Type) || e.flow.excludes(a.Flow.Srv.Addr, a.Type)
	}
	return false
}

// SetExclusions replaces the exclusions the store applies: from now on an
// excluded alert is neither engaged nor stored nor notified (so neither the
// history nor any recipient sees it), and is counted in Excluded. Alerts
// engaged before stay engaged until released.
func (s *Store) SetExclusions(e *Exclusions) { s.excl.Store(e) }

// excludes counts and reports an excluded alert.
func (s *Store) excludes(a *Alert) bool {
	if s.excl.Load().Excludes(a) {
		s.excluded.Add(1)
		return true
	}
	return false
}
