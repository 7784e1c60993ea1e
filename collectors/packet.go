package collectors

import (
	"errors"

	"flowgate/collectors/packet"
)

// Values without a scheme are network interface names (live capture) or,
// ending in .pcap/.pcapng/.cap, capture files.
func init() {
	Register(Kind{
		Name: "packet",
		Parse: func(v string, s Settings) (any, error) {
			if v == "" {
				return nil, errors.New("no interface name or capture file")
			}
			if _, err := packet.CompileFilter(s.PacketFilter); err != nil {
				return nil, err
			}
			cfg := packet.DefaultConfiguration()
			cfg.Source, cfg.Filter, cfg.Pace, cfg.File = v, s.PacketFilter, s.PcapPace, packet.IsCaptureFile(v)
			return cfg, nil
		},
		New: func(v string, config any, d Deps) (Collector, error) {
			cfg := config.(packet.Configuration)
			cfg.Logger, cfg.Metrics = d.Logger, d.Metrics
			kind := "packet"
			if cfg.File {
				kind = "pcap"
			}
			c, err := packet.New(cfg, d.Engine.AddInterface(v, kind))
			if err != nil {
				return nil, err
			}
			return &Packet{Collector: c, d: d}, nil
		},
	})
}

// Packet is a packet interface. A capture that cannot start (no such
// network interface, not a capture file) is logged and the other
// interfaces go on: its engine interface stays, empty, in the REST.
type Packet struct {
	*packet.Collector
	d Deps
}

// Start starts the capture; its failure is logged, not returned.
func (p *Packet) Start() error {
	if err := p.Collector.Start(); err != nil {
		p.d.Logger.Error("packet interface not started", "err", err)
	}
	return nil
}
