package collectors

import "flowgate/collectors/zmq"

// tcp:// (zmq:// is its alias) are nProbe ZMQ endpoints, comma separated;
// ipc:// is recognised to be refused with a clear error.
func init() {
	Register(Kind{
		Name:    "zmq",
		Schemes: []string{"tcp", "zmq", "ipc"},
		Parse: func(v string, _ Settings) (any, error) {
			eps, err := zmq.ParseEndpoints(v)
			if err != nil {
				return nil, err
			}
			cfg := zmq.DefaultConfiguration()
			cfg.Endpoints = eps
			return cfg, nil
		},
		New: func(v string, config any, d Deps) (Collector, error) {
			cfg := config.(zmq.Configuration)
			cfg.Curve, cfg.Logger, cfg.Metrics = d.Curve, d.Logger, d.Metrics
			return zmq.New(cfg, d.Engine.AddInterface(v, "zmq"))
		},
	})
}
