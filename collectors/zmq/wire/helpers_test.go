package wire

import (
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/engine"
)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out, err := hex.DecodeString(strings.Join(strings.Fields(string(b)), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cloneRecord deep-copies a record out of the decoder's reused one.
func cloneRecord(r *engine.FlowRecord) engine.FlowRecord {
	c := *r
	c.Additional = nil
	for _, f := range r.Additional {
		c.Additional = append(c.Additional, engine.Field{Key: strings.Clone(f.Key), Value: strings.Clone(f.Value)})
	}
	for _, p := range []*string{&c.L7Name, &c.DNSQuery, &c.HTTPURL, &c.HTTPSite, &c.HTTPUserAgent, &c.HTTPMethod,
		&c.TLSServerName, &c.JA3C, &c.JA3S, &c.JA4C, &c.L7Info, &c.RiskName, &c.EndReason, &c.SMTPMailFrom,
		&c.SMTPRcptTo, &c.BitTorrent, &c.WLANSSID} {
		*p = strings.Clone(*p)
	}
	return c
}

func decodeAll(t testing.TB, d *Decoder, f Format, body []byte) ([]engine.FlowRecord, error) {
	t.Helper()
	var out []engine.FlowRecord
	emit := func(r *engine.FlowRecord) { out = append(out, cloneRecord(r)) }
	var n int
	var err error
	if f == FormatTLV {
		n, err = d.DecodeTLVFlows(body, emit)
	} else {
		n, err = d.DecodeJSONFlows(body, emit)
	}
	if n != len(out) {
		t.Fatalf("returned %d records, emitted %d", n, len(out))
	}
	return out, err
}

func decodeJSON1(t *testing.T, body string) engine.FlowRecord {
	t.Helper()
	recs, err := decodeAll(t, NewDecoder(Config{}), FormatJSON, []byte(body))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	if len(recs) != 1 {
		t.Fatalf("%s: %d records", body, len(recs))
	}
	return recs[0]
}

// dnsFlow is the flow of the synthetic DNS vectors, as it must decode.
func dnsFlow() engine.FlowRecord {
	return engine.FlowRecord{
		SrcIP: netip.MustParseAddr("192.168.1.10"), DstIP: netip.MustParseAddr("8.8.8.8"),
		SrcPort: 53211, DstPort: 53, Proto: 17, Direction: 2,
		InBytes: 74, InPkts: 1, OutBytes: 90, OutPkts: 1,
		FirstSwitched: 1729766400, LastSwitched: 1729766401,
		L7App: 5, L7Set: true, DNSQuery: "example.com",
		ClientLatencyMs: 1.5, HasLatency: 1,
	}
}

// realisticFlows builds n varied flows of 15-20 fields.
func realisticFlows(n int) []engine.FlowRecord {
	out := make([]engine.FlowRecord, n)
	for i := range out {
		r := &out[i]
		r.Direction = 2
		r.SrcIP = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		r.DstIP = netip.AddrFrom4([4]byte{172, 16, byte(i % 7), byte(i*13 + 1)})
		r.SrcPort = uint16(32768 + i*17)
		r.DstPort = []uint16{443, 53, 80, 22}[i%4]
		r.Proto = []uint8{6, 17, 6, 6}[i%4]
		r.IPVersion = 4
		r.InBytes, r.InPkts = uint64(1000+i*37), uint64(5+i%20)
		r.OutBytes, r.OutPkts = uint64(64000+i*1000), uint64(40+i%30)
		r.FirstSwitched, r.LastSwitched = 1729766400+uint32(i), 1729766460+uint32(i)
		r.InIfIndex, r.OutIfIndex = 2, 3
		r.ExporterIP = netip.MustParseAddr("192.0.2.1")
		r.L7Set = true
		switch i % 4 {
		case 0:
			r.L7Master, r.L7App = 91, 126
			r.TLSServerName = "www.example.com"
			r.ClientTCPFlags, r.ServerTCPFlags, r.TCPFlags = 0x1b, 0x1a, 0x1b
			r.ClientLatencyMs, r.ServerLatencyMs, r.HasLatency = 1.25, 12.5, 3
		case 1:
			r.L7App = 5
			r.DNSQuery = "host" + string(rune('a'+i%26)) + ".example.org"
			r.DNSQueryType = 1
		case 2:
			r.L7App = 7
			r.HTTPSite = "example.net"
			r.HTTPURL = "/index.html?q=1"
			r.HTTPMethod = "GET"
			r.HTTPRetCode = 200
			r.ClientTCPFlags, r.TCPFlags = 0x1b, 0x1b
		case 3:
			r.L7App = 92
			r.ClientTCPFlags, r.TCPFlags = 0x1a, 0x1a
			r.RetrIn = 3
		}
	}
	return out
}
