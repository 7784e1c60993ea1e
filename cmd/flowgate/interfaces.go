package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"flowgate/collectors/packet"
	syslogc "flowgate/collectors/syslog"
	"flowgate/collectors/zmq"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/snmp"
)

// addInterface turns one -i value into its engine interface and collector:
// syslog://…, snmptrap://…, ZMQ endpoints (tcp://…), or else a network
// interface name or a capture file.
func (a *app) addInterface(opts Options, iface string, curve *zmtp.CurveKeyPair, log *slog.Logger) error {
	if strings.HasPrefix(iface, "syslog://") {
		scfg, err := syslogc.ParseURL(iface)
		if err != nil {
			return err
		}
		extra, err := syslogc.ParseProducers(opts.SyslogProducers...)
		if err != nil {
			return err
		}
		if scfg.Producers == nil {
			scfg.Producers = map[string]string{}
		}
		for k, v := range extra {
			scfg.Producers[k] = v
		}
		i := a.eng.AddInterface(iface, "syslog")
		scfg.CertFile, scfg.KeyFile, scfg.Logger = opts.SyslogTLSCert, opts.SyslogTLSKey, log
		scfg.ProducersFile = filepath.Join(opts.DataDir, fmt.Sprintf("syslog_producers_%d.json", i.ID()))
		a.syslogPending = append(a.syslogPending, syslogPending{i, scfg})
		return nil
	}
	if strings.HasPrefix(iface, "snmptrap://") {
		addr, err := snmp.ParseTrapEndpoint(iface) // port 162 when omitted
		if err != nil {
			return err
		}
		a.trapAddr = addr
		return nil
	}
	if !zmq.IsZMQ(iface) {
		// A network interface name or a capture file: packets.
		pcfg := packet.DefaultConfiguration()
		pcfg.Source, pcfg.Filter, pcfg.Pace, pcfg.Logger = iface, opts.PacketFilter, opts.PcapPace, log
		kind := "packet"
		if packet.IsCaptureFile(iface) {
			pcfg.File, kind = true, "pcap"
		}
		pc, err := packet.New(pcfg, a.eng.AddInterface(iface, kind))
		if err != nil {
			return fmt.Errorf("interface %q: %w", iface, err)
		}
		a.packets = append(a.packets, pc)
		return nil
	}
	eps, err := zmq.ParseEndpoints(iface)
	if err != nil {
		return err
	}
	i := a.eng.AddInterface(iface, "zmq")
	ccfg := zmq.DefaultConfiguration()
	ccfg.Endpoints = eps
	ccfg.Curve = curve
	ccfg.Logger = log
	c, err := zmq.New(ccfg, i)
	if err != nil {
		return err
	}
	a.collectors = append(a.collectors, c)
	return nil
}
