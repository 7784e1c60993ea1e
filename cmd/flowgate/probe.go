package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"flowgate/collectors/zmq/emulator"
)

// runProbe is `flowgate probe`: the nProbe emulator. It prints a JSON
// report of what it sent on stdout.
func runProbe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flowgate probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg emulator.Config
	format := fs.String("format", "tlv", "payload encoding: tlv or json")
	fs.StringVar(&cfg.Endpoint, "zmq", "tcp://127.0.0.1:5556", "endpoint, as nProbe's --zmq")
	fs.BoolVar(&cfg.ProbeMode, "probe-mode", false, "connect to a collector that binds (nProbe --zmq-probe-mode); default: bind")
	fs.IntVar(&cfg.Header, "header", 3, "header layout: 0 (40 B), 1 (24 B), 2 (28 B), 3 (36 B, flags)")
	fs.BoolVar(&cfg.Symbolic, "symbolic", false, "JSON keys as names (IPV4_SRC_ADDR) rather than numbers")
	fs.BoolVar(&cfg.Compress, "compress", false, "zlib-compress payloads")
	fs.StringVar(&cfg.ServerKey, "zmq-encryption-key", "", "CURVE server public key (hex of Z85, or Z85)")
	fs.IntVar(&cfg.Batch, "batch", 100, "flows per message")
	fs.Float64Var(&cfg.Rate, "rate", 0, "flows per second (0: as fast as possible)")
	fs.Int64Var(&cfg.Total, "total", 0, "flow records to send (0: until -duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "how long to send")
	fs.IntVar(&cfg.Hosts, "hosts", 50, "distinct hosts, the first addresses of -host-net")
	fs.Func("host-net", "IPv4 range the hosts are numbered in (default 10.1.0.0/16; a /15 holds 100,000 hosts)", func(v string) error {
		p, err := netip.ParsePrefix(v)
		cfg.HostNet = p
		return err
	})
	fs.IntVar(&cfg.Flows, "flows", 1000, "working set of flows updated in turn")
	fs.Float64Var(&cfg.Churn, "churn", 0, "percent of the working set replaced by new flows each pass (100: only new flows)")
	var source uint
	fs.UintVar(&source, "source-id", 0, "header source_id")
	fs.DurationVar(&cfg.Events, "events", 0, "send an event (probe stats) message at this interval")
	fs.DurationVar(&cfg.Counters, "counters", 0, "send a counter (sFlow interface) message at this interval")
	fs.DurationVar(&cfg.WaitPeers, "wait", 10*time.Second, "how long to wait for the collector")
	cpuProfile := fs.String("cpuprofile", "", "write the sender's CPU profile to this file (the closed loop shares the machine with the collector)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "flowgate probe: -cpuprofile: %v\n", err)
			return 2
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	cfg.SourceID = uint32(source)
	switch *format {
	case "tlv":
		cfg.TLV = true
	case "json":
	default:
		fmt.Fprintf(stderr, "flowgate probe: -format %q: want tlv or json\n", *format)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := emulator.Run(ctx, cfg)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
	if err != nil {
		fmt.Fprintf(stderr, "flowgate probe: %v\n", err)
		return 1
	}
	return 0
}
