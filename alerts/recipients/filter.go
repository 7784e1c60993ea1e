package recipients

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// Filter selects the alerts a recipient receives, as ntopng's recipients do
// (minimum severity, script categories, pools) plus entity types, CIDRs and
// actions. Zero values select everything.
type Filter struct {
	MinSeverity alerts.Severity `json:"min_severity,omitempty"`
	Categories  []int           `json:"categories,omitempty"` // user_scripts.script_categories ids
	Entities    []string        `json:"entities,omitempty"`   // entity keys, plus "syslog" and "system"
	Networks    []netip.Prefix  `json:"networks,omitempty"`   // host address, network or flow peer inside
	Pools       []int           `json:"pools,omitempty"`
	Actions     []string        `json:"actions,omitempty"` // engage, release, store
}

// Category names of ntopng 4.2's user_scripts.script_categories.
var categoryNames = []string{"other", "security", "internals", "network", "system"}

// pseudo entities: syslog alerts come from the syslog scripts, system ones
// from the system interface (ifid -1).
const (
	entitySyslog = "syslog"
	entitySystem = "system"
)

// Match reports whether the alert passes the filter. It runs in the
// store's writer goroutine, so it allocates nothing.
func (f *Filter) Match(a *alerts.Alert) bool {
	if f.MinSeverity != 0 && a.Severity < f.MinSeverity {
		return false
	}
	if len(f.Actions) > 0 && !containsStr(f.Actions, string(a.Action)) {
		return false
	}
	// ntopng does not enforce categories for alerts raised by no script.
	if len(f.Categories) > 0 && a.Script != "" && !containsInt(f.Categories, a.Category) {
		return false
	}
	if len(f.Pools) > 0 && !containsInt(f.Pools, a.PoolID) {
		return false
	}
	if len(f.Entities) > 0 && !f.matchEntity(a) {
		return false
	}
	if len(f.Networks) > 0 && !f.matchNetwork(a) {
		return false
	}
	return true
}

func (f *Filter) matchEntity(a *alerts.Alert) bool {
	for _, e := range f.Entities {
		switch e {
		case entitySyslog:
			if a.Subdir == "syslog" {
				return true
			}
		case entitySystem:
			if a.IfID == -1 {
				return true
			}
		default:
			if e == a.Entity.String() {
				return true
			}
		}
	}
	return false
}

func (f *Filter) matchNetwork(a *alerts.Alert) bool {
	if a.Flow != nil {
		return f.inNetworks(a.Flow.Cli.Addr) || f.inNetworks(a.Flow.Srv.Addr)
	}
	switch a.Entity {
	case alerts.EntityHost:
		ip, _, _ := strings.Cut(a.EntityVal, "@")
		return f.inNetworks(ip)
	case alerts.EntityNetwork:
		p, err := netip.ParsePrefix(a.EntityVal)
		if err != nil {
			return false
		}
		for _, n := range f.Networks {
			if n.Bits() <= p.Bits() && n.Contains(p.Addr()) {
				return true
			}
		}
	}
	return false
}

func (f *Filter) inNetworks(s string) bool {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, n := range f.Networks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func containsStr(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

func containsInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// parseFilter reads min_severity, categories, entities, networks, pools and
// actions from URL query parameters.
func parseFilter(get func(string) string) (Filter, error) {
	var f Filter
	if v := get("min_severity"); v != "" {
		s, ok := alerts.ParseSeverity(strings.ToLower(v))
		if !ok {
			n, err := strconv.Atoi(v)
			if err != nil || !alerts.Severity(n).Valid() {
				return f, fmt.Errorf("min_severity %q: want debug..emergency or 1..8", v)
			}
			s = alerts.Severity(n)
		}
		f.MinSeverity = s
	}
	for _, v := range splitList(get("categories")) {
		id := indexOf(categoryNames, strings.ToLower(v))
		if id < 0 {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n >= len(categoryNames) {
				return f, fmt.Errorf("category %q: want one of %s", v, strings.Join(categoryNames, ","))
			}
			id = n
		}
		f.Categories = append(f.Categories, id)
	}
	for _, v := range splitList(get("entities")) {
		v = strings.ToLower(v)
		if _, ok := alerts.ParseEntity(v); !ok && v != entitySyslog && v != entitySystem {
			return f, fmt.Errorf("entity %q: want flow, host, interface, network, snmp_device, syslog, system or another entity key", v)
		}
		f.Entities = append(f.Entities, v)
	}
	for _, v := range splitList(get("networks")) {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, err2 := netip.ParseAddr(v)
			if err2 != nil {
				return f, fmt.Errorf("network %q: %v", v, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		f.Networks = append(f.Networks, p.Masked())
	}
	for _, v := range splitList(get("pools")) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return f, fmt.Errorf("pool %q: not a pool id", v)
		}
		f.Pools = append(f.Pools, n)
	}
	for _, v := range splitList(get("actions")) {
		v = strings.ToLower(v)
		if v != "engage" && v != "release" && v != "store" {
			return f, fmt.Errorf("action %q: want engage, release or store", v)
		}
		f.Actions = append(f.Actions, v)
	}
	return f, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func indexOf(l []string, s string) int {
	for i, v := range l {
		if v == s {
			return i
		}
	}
	return -1
}
