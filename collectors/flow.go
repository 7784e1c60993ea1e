package collectors

import (
	"fmt"
	"net"
	"strings"

	"flowgate/collectors/flow"
)

// netflow://[addr]:port (NetFlow v5, v9 and IPFIX on one socket) and
// sflow://[addr]:port (sFlow v5); an empty address listens on all. A
// comma list (netflow://:2055,netflow://:9995, or netflow://:2055,:9995)
// is one interface fed by several ports, as ZMQ's lists are.
func init() {
	for _, k := range []struct {
		name  string
		sflow bool
	}{{"netflow", false}, {"sflow", true}} {
		Register(Kind{
			Name:    k.name,
			Schemes: []string{k.name},
			Parse: func(v string, _ Settings) (any, error) {
				cfg := flow.DefaultConfiguration()
				cfg.SFlow = k.sflow
				seen := map[string]bool{}
				for _, part := range strings.Split(v, ",") {
					addr := part
					if i := strings.Index(part, "://"); i >= 0 {
						if !strings.EqualFold(part[:i], k.name) {
							return nil, fmt.Errorf("%q: one %s interface takes %s:// values only", part, k.name, k.name)
						}
						addr = part[i+3:]
					}
					if err := checkUDPAddr(addr); err != nil {
						return nil, fmt.Errorf("want %s://[addr]:port: %w", k.name, err)
					}
					if seen[addr] {
						return nil, fmt.Errorf("%s listed twice", addr)
					}
					seen[addr] = true
					cfg.Addrs = append(cfg.Addrs, addr)
				}
				return cfg, nil
			},
			New: func(v string, config any, d Deps) (Collector, error) {
				cfg := config.(flow.Configuration)
				cfg.Logger, cfg.Metrics, cfg.DataDir = d.Logger, d.Metrics, d.DataDir
				return flow.New(cfg, d.Engine.AddInterface(v, k.name))
			},
		})
	}
}

// checkUDPAddr accepts [ip]:port with a numeric address (or none) and a
// port in 1-65535.
func checkUDPAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if p, err := net.LookupPort("udp", port); err != nil || p == 0 {
		return fmt.Errorf("bad port %q", port)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Errorf("bad address %q (an IP address)", host)
	}
	return nil
}
