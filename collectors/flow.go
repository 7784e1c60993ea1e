package collectors

import (
	"fmt"
	"net"
	"strings"

	"flowgate/collectors/flow"
)

// netflow://[addr]:port (NetFlow v5, v9 and IPFIX on one socket) and
// sflow://[addr]:port (sFlow v5); an empty address listens on all.
func init() {
	for _, k := range []struct {
		name  string
		sflow bool
	}{{"netflow", false}, {"sflow", true}} {
		Register(Kind{
			Name:    k.name,
			Schemes: []string{k.name},
			Parse: func(v string, _ Settings) (any, error) {
				addr := v[strings.Index(v, "://")+3:]
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, fmt.Errorf("want %s://[addr]:port: %w", k.name, err)
				}
				if p, err := net.LookupPort("udp", port); err != nil || p == 0 {
					return nil, fmt.Errorf("bad port %q", port)
				}
				if host != "" && net.ParseIP(strings.Trim(host, "[]")) == nil {
					return nil, fmt.Errorf("bad address %q (an IP address)", host)
				}
				cfg := flow.DefaultConfiguration()
				cfg.Addr, cfg.SFlow = addr, k.sflow
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
