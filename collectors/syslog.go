package collectors

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"

	syslogc "flowgate/collectors/syslog"
	"flowgate/engine"
	"flowgate/internal/metrics"
)

// syslog://ip:port[@udp|@tcp|@tls]: a syslog listener whose events go to
// the interface's handler (the Lua syslog runtime).
func init() {
	Register(Kind{
		Name:    "syslog",
		Schemes: []string{"syslog"},
		Parse: func(v string, s Settings) (any, error) {
			cfg, err := syslogc.ParseURL(v)
			if err != nil {
				return nil, err
			}
			extra, err := syslogc.ParseProducers(s.SyslogProducers...)
			if err != nil {
				return nil, fmt.Errorf("--syslog-producers: %w", err)
			}
			if cfg.Producers == nil {
				cfg.Producers = map[string]string{}
			}
			maps.Copy(cfg.Producers, extra)
			if cfg.Transport == syslogc.TLS && (s.SyslogTLSCert == "" || s.SyslogTLSKey == "") {
				return nil, errors.New("@tls needs --syslog-tls-cert and --syslog-tls-key")
			}
			cfg.CertFile, cfg.KeyFile = s.SyslogTLSCert, s.SyslogTLSKey
			return cfg, nil
		},
		New: func(v string, config any, d Deps) (Collector, error) {
			if d.SyslogHandler == nil {
				return nil, errors.New("syslog: no handler runtime")
			}
			cfg := config.(syslogc.Configuration)
			iface := d.Engine.AddInterface(v, "syslog")
			cfg.Logger = d.Logger
			cfg.Metrics = metrics.ForInterface(d.Metrics, iface.ID())
			if d.DataDir != "" {
				cfg.ProducersFile = filepath.Join(d.DataDir, fmt.Sprintf("syslog_producers_%d.json", iface.ID()))
			}
			h := d.SyslogHandler(iface)
			return &Syslog{Iface: iface, Handler: h, Listener: syslogc.New(cfg, h)}, nil
		},
	})
}

// Syslog is a syslog interface: its engine interface, its handler runtime
// and its listener (the wiring gives both to the REST).
type Syslog struct {
	Iface    *engine.Interface
	Handler  SyslogHandler
	Listener *syslogc.Collector
}

// Start starts the handler, then the listener.
func (s *Syslog) Start() error {
	if err := s.Handler.Start(); err != nil {
		return err
	}
	if err := s.Listener.Start(); err != nil {
		s.Handler.Stop()
		return err
	}
	return nil
}

// Stop closes the listener, then drains the handler queues.
func (s *Syslog) Stop() {
	s.Listener.Stop()
	s.Handler.Stop()
}
