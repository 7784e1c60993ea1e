package collectors

import "flowgate/snmp"

// snmptrap://ip[:port] (162 when omitted): the SNMP trap receiver. It adds
// no engine interface; traps become alerts and feed the trap scripts.
func init() {
	Register(Kind{
		Name:    "snmptrap",
		Schemes: []string{"snmptrap"},
		Unique:  true, // one receiver: the REST and ntop.snmp* functions serve one
		Parse: func(v string, s Settings) (any, error) {
			addr, err := snmp.ParseTrapEndpoint(v)
			if err != nil {
				return nil, err
			}
			cfg := snmp.DefaultTrapConfiguration()
			cfg.Addr, cfg.Communities = addr, s.TrapCommunities
			for _, u := range s.TrapUsers {
				tu, err := snmp.ParseTrapUser(u)
				if err != nil {
					return nil, err
				}
				cfg.Users = append(cfg.Users, tu)
			}
			return cfg, nil
		},
		New: func(_ string, config any, d Deps) (Collector, error) {
			cfg := config.(snmp.TrapConfiguration)
			cfg.Logger = d.Logger
			deps := d.Traps
			deps.Metrics = d.Metrics
			return snmp.NewTrapReceiver(cfg, deps)
		},
	})
}
