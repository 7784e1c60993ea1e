package pools

import (
	"net/netip"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// AlertPool is alerts.Config.PoolOf over s: a host alert is in its host's
// pool, a flow alert in its client's pool, else its server's (ntopng
// delivers flow alerts to the recipients of either peer's pool); other
// entities stay in the default pool.
func AlertPool(s *Store) func(a *alerts.Alert) int {
	return func(a *alerts.Alert) int {
		if a.Flow != nil {
			vlan := uint16(a.Flow.VLAN)
			for _, peer := range []string{a.Flow.Cli.Addr, a.Flow.Srv.Addr} {
				if ip, err := netip.ParseAddr(peer); err == nil {
					if id := s.Match(ip, vlan); id != DefaultPoolID {
						return id
					}
				}
			}
			return DefaultPoolID
		}
		if a.Entity != alerts.EntityHost {
			return DefaultPoolID
		}
		ipStr, vlanStr, _ := strings.Cut(a.EntityVal, "@")
		ip, err := netip.ParseAddr(ipStr)
		if err != nil {
			return DefaultPoolID
		}
		vlan, _ := strconv.ParseUint(vlanStr, 10, 12)
		return s.Match(ip, uint16(vlan))
	}
}
