package web

import (
	"net/netip"
	"strconv"
	"strings"

	"flowgate/engine"
)

// hostFilter is the selection of host/active.lua (the filters of ntopng's
// rest/v2/get/host/active.lua): mode, vlan,
// network (the local network's id, as network/networks.lua numbers them),
// network_cidr, version (4 or 6), and flowgate's search (a piece of the
// address, case-insensitive), applied while the hosts are walked so that
// only the requested page is copied.
type hostFilter struct {
	mode    string
	vlan    int // -1: any
	network int // -1: any
	cidr    netip.Prefix
	version int // 0: any
	search  string
}

// maxHostSearch bounds the search text (an IPv6 address with a VLAN fits).
const maxHostSearch = 64

// hostModes are ntopng's modes. flowgate sees flows, not packets: no host
// is in the broadcast domain, filtered, blacklisted or a DHCP client, so
// those modes are accepted (ntopng's UI asks for them) and select nothing.
var hostModes = map[string]bool{"": true, "all": true, "local": true, "remote": true,
	"broadcast_domain": true, "filtered": true, "blacklisted": true, "dhcp": true}

// readHostFilter reads the filters; an error names the bad parameter.
func readHostFilter(p params) (hostFilter, error) {
	hf := hostFilter{vlan: -1, network: -1, mode: p["mode"]}
	if !hostModes[hf.mode] {
		return hf, &argError{"mode", hf.mode}
	}
	if v := p["vlan"]; v != "" {
		n, err := strconv.ParseUint(v, 10, 12)
		if err != nil {
			return hf, &argError{"vlan", v}
		}
		hf.vlan = int(n)
	}
	if v := p["network"]; v != "" {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return hf, &argError{"network", v}
		}
		hf.network = int(n)
	}
	if v := p["network_cidr"]; v != "" {
		pfx, err := netip.ParsePrefix(v)
		if err != nil {
			return hf, &argError{"network_cidr", v}
		}
		hf.cidr = pfx.Masked()
	}
	switch v := p["version"]; v {
	case "":
	case "4", "6":
		hf.version = int(v[0] - '0')
	default:
		return hf, &argError{"version", v}
	}
	if v := strings.TrimSpace(p["search"]); v != "" {
		if len(v) > maxHostSearch {
			return hf, &argError{"search", v[:maxHostSearch] + "..."}
		}
		hf.search = strings.ToLower(v)
	}
	return hf, nil
}

// match reports whether h passes the filter (inside Do).
func (hf *hostFilter) match(h *engine.Host) bool {
	switch hf.mode {
	case "local":
		if !h.Local {
			return false
		}
	case "remote":
		if h.Local {
			return false
		}
	case "broadcast_domain", "filtered", "blacklisted", "dhcp":
		return false
	}
	if hf.vlan >= 0 && int(h.VLAN()) != hf.vlan {
		return false
	}
	if hf.network >= 0 && (!h.Local || h.Network != hf.network) {
		return false
	}
	ip := h.IP()
	if hf.cidr.IsValid() && !hf.cidr.Contains(ip) {
		return false
	}
	if hf.version == 4 && !ip.Is4() || hf.version == 6 && !ip.Is6() {
		return false
	}
	if hf.search != "" {
		// "ip@vlan" so that a search for "@10" finds VLAN 10's hosts
		// (netip writes IPv6 in lower case: the search was lowered).
		key := ip.String()
		if h.VLAN() != 0 {
			key += "@" + strconv.Itoa(int(h.VLAN()))
		}
		if !strings.Contains(key, hf.search) {
			return false
		}
	}
	return true
}
