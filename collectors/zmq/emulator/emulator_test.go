package emulator

import (
	"net/netip"
	"testing"
	"time"

	"flowgate/collectors/zmq/wire"
	"flowgate/engine"
)

// TestGeneratedMessagesDecode: every header version and encoding the
// emulator produces decodes with flowgate's own decoder, and the report
// counts exactly what the messages hold.
func TestGeneratedMessagesDecode(t *testing.T) {
	for _, c := range []struct {
		header             int
		tlv, compress, sym bool
		churn              float64
	}{
		{3, true, false, false, 0}, {3, true, true, false, 0}, {3, false, true, true, 50},
		{2, true, false, false, 0}, {1, false, false, false, 100}, {1, false, true, true, 0}, {0, false, false, true, 0},
	} {
		cfg := Config{Header: c.header, TLV: c.tlv, Compress: c.compress, Symbolic: c.sym, Churn: c.churn,
			Total: 1000, Hosts: 10, Flows: 100, Batch: 100, Now: func() time.Time { return time.Unix(1729766400, 0) }}
		if err := cfg.setDefaults(); err != nil {
			t.Fatal(err)
		}
		g := newGenerator(&cfg)
		dec := wire.NewDecoder(wire.Config{})
		var bytes, pkts, records uint64
		seen := map[[2]uint16]bool{}
		for i := 0; i < 10; i++ {
			body := g.flows(100)
			// Frame it as send() would, then open it as the collector does.
			hdr, payload := g.frame("flow", body, c.tlv)
			h, err := wire.ParseHeader(hdr)
			if err != nil {
				t.Fatalf("%+v: header: %v", c, err)
			}
			open, f, err := wire.OpenPayload(h, payload, nil, 1<<24)
			if err != nil {
				t.Fatalf("%+v: payload: %v", c, err)
			}
			emit := func(r *engine.FlowRecord) {
				records++
				bytes += r.InBytes + r.OutBytes
				pkts += r.InPkts + r.OutPkts
				seen[[2]uint16{uint16(r.SrcIP.As4()[3]), r.SrcPort}] = true
			}
			if f == wire.FormatTLV {
				_, err = dec.DecodeTLVFlows(open, emit)
			} else {
				_, err = dec.DecodeJSONFlows(open, emit)
			}
			if err != nil {
				t.Fatalf("%+v: decode: %v", c, err)
			}
		}
		rep := g.finish(time.Now())
		if records != rep.Flows || bytes != rep.Bytes || pkts != rep.Packets || rep.Flows != 1000 {
			t.Errorf("%+v: decoded %d records %d bytes %d packets; report %+v", c, records, bytes, pkts, rep)
		}
		if c.churn == 0 && rep.DistinctFlows != 100 {
			t.Errorf("%+v: distinct flows %d, want the working set of 100", c, rep.DistinctFlows)
		}
		if c.churn == 100 && rep.DistinctFlows != 1000 {
			t.Errorf("%+v: distinct flows %d, want 1000 new flows", c, rep.DistinctFlows)
		}
		if rep.Hosts != 10 {
			t.Errorf("%+v: hosts %d", c, rep.Hosts)
		}
	}
}

// TestRiskFields: the TLS flows carry the configured nDPI risk bitmap
// (L7_PROTO_RISK) in TLV, numeric JSON and symbolic JSON, and the decoder
// reads it back; other flows carry none.
func TestRiskFields(t *testing.T) {
	const risk = 1<<24 | 1<<6 | 1<<62 // missing SNI, self-signed, and a bit beyond nDPI's table
	for _, c := range []struct{ tlv, sym bool }{{true, false}, {false, false}, {false, true}} {
		cfg := Config{Header: 3, TLV: c.tlv, Symbolic: c.sym, Total: 30, Hosts: 10, Flows: 30, Batch: 30, Risk: risk,
			Now: func() time.Time { return time.Unix(1729766400, 0) }}
		if err := cfg.setDefaults(); err != nil {
			t.Fatal(err)
		}
		g := newGenerator(&cfg)
		body := g.flows(30)
		hdr, payload := g.frame("flow", body, c.tlv)
		h, err := wire.ParseHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		open, f, err := wire.OpenPayload(h, payload, nil, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		var tls, risky int
		emit := func(r *engine.FlowRecord) {
			if r.L7App == 91 {
				tls++
			}
			if r.Risk != 0 {
				risky++
				if r.Risk != risk || r.L7App != 91 {
					t.Errorf("%+v: flow to :%d risk %x, want %x on TLS flows only", c, r.DstPort, r.Risk, uint64(risk))
				}
			}
		}
		if f == wire.FormatTLV {
			_, err = wire.NewDecoder(wire.Config{}).DecodeTLVFlows(open, emit)
		} else {
			_, err = wire.NewDecoder(wire.Config{}).DecodeJSONFlows(open, emit)
		}
		if err != nil {
			t.Fatal(err)
		}
		if tls == 0 || risky != tls {
			t.Errorf("%+v: %d TLS flows, %d with risks", c, tls, risky)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Header: 4, Total: 1},
		{Header: 1, TLV: true, Compress: true, Total: 1},
		{Churn: 101, Total: 1},
		{},
		{Hosts: 70000, Total: 1}, // beyond the default 10.1.0.0/16
		{Hosts: 300, HostNet: netip.MustParsePrefix("192.168.7.0/24"), Total: 1},
		{Hosts: 10, HostNet: netip.MustParsePrefix("fd00::/64"), Total: 1},
	} {
		if err := cfg.setDefaults(); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// TestHostRange: with HostNet the hosts are the first Hosts addresses of
// that range, over 65,536 of them when it is wide enough, and the records
// decode with exactly those addresses.
func TestHostRange(t *testing.T) {
	for _, c := range []struct {
		net        string
		hosts      int
		first, end netip.Addr // every address in [first, end)
	}{
		{"", 50, netip.MustParseAddr("10.1.0.0"), netip.MustParseAddr("10.1.0.50")},
		{"10.0.0.0/15", 100000, netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("10.1.134.160")},
		{"192.168.7.9/24", 256, netip.MustParseAddr("192.168.7.0"), netip.MustParseAddr("192.168.8.0")},
	} {
		cfg := Config{Header: 3, TLV: true, Hosts: c.hosts, Flows: 2 * c.hosts, Total: int64(2 * c.hosts), Batch: 100,
			Now: func() time.Time { return time.Unix(1729766400, 0) }}
		if c.net != "" {
			cfg.HostNet = netip.MustParsePrefix(c.net)
		}
		if err := cfg.setDefaults(); err != nil {
			t.Fatalf("%s: %v", c.net, err)
		}
		g := newGenerator(&cfg)
		dec := wire.NewDecoder(wire.Config{})
		seen := map[netip.Addr]bool{}
		for sent := 0; sent < 2*c.hosts; sent += 100 {
			hdr, payload := g.frame("flow", g.flows(100), true)
			h, err := wire.ParseHeader(hdr)
			if err != nil {
				t.Fatal(err)
			}
			open, _, err := wire.OpenPayload(h, payload, nil, 1<<24)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dec.DecodeTLVFlows(open, func(r *engine.FlowRecord) {
				for _, a := range []netip.Addr{r.SrcIP, r.DstIP} {
					if a.Less(c.first) || !a.Less(c.end) {
						t.Fatalf("%s: address %v outside [%v, %v)", c.net, a, c.first, c.end)
					}
					seen[a] = true
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
		if rep := g.finish(time.Now()); len(seen) != c.hosts || rep.Hosts != c.hosts {
			t.Errorf("%s: %d addresses decoded, report %d hosts; want %d", c.net, len(seen), rep.Hosts, c.hosts)
		}
	}
}

// BenchmarkGenerator is the sender's share of the closed-loop figures
// (bench/e2e.sh closed): the CPU the emulator spends per flow record on
// the 2-core machine is CPU the collector does not get. ns/op is per
// record, as bench/e2e.sh's scenarios build them.
func BenchmarkGenerator(b *testing.B) {
	for _, c := range []struct {
		name  string
		tlv   bool
		flows int
		churn float64
	}{
		{"tlv-update", true, 20_000, 0}, {"tlv-new", true, 100_000, 100},
		{"json-update", false, 20_000, 0}, {"json-new", false, 100_000, 100},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := Config{Endpoint: "tcp://127.0.0.1:1", Duration: time.Minute, TLV: c.tlv, Hosts: 1000, Flows: c.flows, Churn: c.churn, Batch: 100}
			if err := cfg.setDefaults(); err != nil {
				b.Fatal(err)
			}
			g := newGenerator(&cfg)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += 100 {
				g.frame("flow", g.flows(100), c.tlv)
			}
		})
	}
}

// TestDistinctFlows: the report's distinct flow count, computed from the
// identity arithmetic, equals a count of the identities generated.
func TestDistinctFlows(t *testing.T) {
	for _, c := range []struct {
		flows int
		churn float64
	}{{100, 100}, {100, 50}, {1000, 0.5}, {250, 37.5}, {77, 10}, {1, 100}, {1000, 0}} {
		cfg := Config{Flows: c.flows, Churn: c.churn}
		g := &generator{cfg: &cfg}
		seen := map[uint64]bool{}
		for n := int64(0); n <= 3*int64(c.flows)+57; n++ {
			if got := distinctFlows(n, int64(c.flows), c.churn); got != uint64(len(seen)) {
				t.Fatalf("%+v after %d records: %d distinct, want %d", c, n, got, len(seen))
			}
			seen[g.identity(n)] = true
		}
	}
}
