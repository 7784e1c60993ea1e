package web

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/snmp"
	"flowgate/snmp/snmptest"
	"flowgate/web/users"
)

// TestHostSNMPPorts: get/host/snmp_ports.lua over flows exported by a
// polled device (a real snmpd on 127.0.0.1: ifIndex 1 is lo) and by an
// exporter that is not polled, with and without the SNMP poller, and its
// refusals.
func TestHostSNMPPorts(t *testing.T) {
	a := snmptest.StartAgent(t)
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	eng := engine.New(ecfg)
	i := eng.AddInterface("eth0", "zmq")
	polled, other := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.254")
	now := uint32(time.Now().Unix())
	b := i.NewBatch()
	add := func(src, dst string, vlan uint16, exp netip.Addr, in, out uint32, sent, got uint64) {
		f := b.AddFlow()
		f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr(src), netip.MustParseAddr(dst), 40000, 443, 6
		f.VLAN, f.ExporterIP, f.InIfIndex, f.OutIfIndex = vlan, exp, in, out
		f.InBytes, f.OutBytes, f.InPkts, f.OutPkts = sent, got, 2, 1
		f.FirstSwitched, f.LastSwitched = now-5, now
	}
	for _, fl := range []struct {
		src, dst  string
		vlan      uint16
		exp       netip.Addr
		in, out   uint32
		sent, got uint64 // src→dst and dst→src bytes
	}{
		// 10.1.0.5 as client: its port is InIfIndex.
		{"10.1.0.5", "192.0.2.9", 0, polled, 1, 2, 1000, 500},
		{"10.1.0.5", "198.51.100.7", 0, polled, 1, 3, 2000, 500},
		{"10.1.0.5", "192.0.2.10", 0, other, 7, 8, 100, 50},
		{"10.1.0.5", "192.0.2.11", 0, polled, 0, 0, 9000, 9000},       // no ifIndex: left out
		{"10.1.0.5", "192.0.2.12", 0, netip.Addr{}, 4, 5, 9000, 9000}, // no exporter: left out
		// 10.1.0.5 as server: its port is OutIfIndex, one the agent lacks.
		{"203.0.113.1", "10.1.0.5", 0, polled, 9, 999999, 300, 30},
		// another VLAN: not 10.1.0.5@0's.
		{"10.1.0.5", "192.0.2.9", 10, polled, 6, 6, 7, 7},
		// 10.1.0.7: flows without ifIndex only.
		{"10.1.0.7", "192.0.2.9", 0, polled, 0, 0, 10, 10},
	} {
		add(fl.src, fl.dst, fl.vlan, fl.exp, fl.in, fl.out, fl.sent, fl.got)
	}
	// 10.1.0.9: 70 ports, one flow each, over the bound of 64 rows.
	for n := range 70 {
		add("10.1.0.9", netip.AddrFrom4([4]byte{192, 0, 2, byte(100 + n)}).String(), 0, other, uint32(n+1), 0, uint64(n+1), 0)
	}
	i.Process(b)

	bare := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})
	withSNMP := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})
	p := snmp.New(snmp.Configuration{DataDir: t.TempDir(), Interval: time.Hour, Timeout: 5 * time.Second}, snmp.Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	withSNMP.HandleSNMP(p, nil)
	d, err := p.AddDevice(snmp.DeviceConfig{Address: "127.0.0.1", Port: a.Port, Version: "2c", Community: snmptest.ReadCommunity})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PollNow(d.Key()); err != nil {
		t.Fatal(err)
	}
	lo, ok := p.Interface(d.Key(), 1)
	if !ok || lo.Name == "" {
		t.Fatalf("snmpd serves no ifIndex 1: %+v", lo)
	}

	type port struct {
		Exporter   string `json:"exporter_ip"`
		Index      uint32 `json:"if_index"`
		Flows      int    `json:"num_flows"`
		Correlated bool   `json:"correlated"`
		DeviceKey  string `json:"device_key"`
		DeviceName string `json:"device_name"`
		IfName     string `json:"if_name"`
		IfStatus   string `json:"if_status"`
		Bytes      struct {
			Sent, Rcvd, Total uint64
		} `json:"bytes"`
	}
	polledPort := func(idx uint32, flows int, sent, rcvd uint64, name, status string) port {
		p := port{Exporter: "127.0.0.1", Index: idx, Flows: flows, Correlated: true, DeviceKey: d.Key(), DeviceName: snmptest.SysName, IfName: name, IfStatus: status}
		p.Bytes.Sent, p.Bytes.Rcvd, p.Bytes.Total = sent, rcvd, sent+rcvd
		return p
	}
	plain := func(exp string, idx uint32, flows int, sent, rcvd uint64) port {
		p := port{Exporter: exp, Index: idx, Flows: flows}
		p.Bytes.Sent, p.Bytes.Rcvd, p.Bytes.Total = sent, rcvd, sent+rcvd
		return p
	}
	for _, tc := range []struct {
		name string
		s    *Server
		host string
		want []port // in order
		rc   string // the refusal, or ""
	}{
		{"polled device", withSNMP, "10.1.0.5", []port{
			polledPort(1, 2, 3000, 1000, lo.Name, snmp.OperStatusName(lo.OperStatus)),
			polledPort(999999, 1, 30, 300, "", ""),
			plain("192.0.2.254", 7, 1, 100, 50),
		}, ""},
		{"no SNMP poller", bare, "10.1.0.5", []port{
			plain("127.0.0.1", 1, 2, 3000, 1000),
			plain("127.0.0.1", 999999, 1, 30, 300),
			plain("192.0.2.254", 7, 1, 100, 50),
		}, ""},
		{"a remote client", withSNMP, "203.0.113.1", []port{polledPort(9, 1, 300, 30, "", "")}, ""},
		{"another VLAN", withSNMP, "10.1.0.5@10", []port{polledPort(6, 1, 7, 7, "", "")}, ""},
		{"flows without ifIndex", withSNMP, "10.1.0.7", []port{}, ""},
		{"no flows", withSNMP, "10.9.9.9", nil, "INVALID_HOST"},
		{"bad host", withSNMP, "10.1.0.500", nil, "INVALID_HOST"},
		{"no host", withSNMP, "", nil, "INVALID_HOST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kv := map[string]string{"ifid": "0"}
			if tc.host != "" {
				kv["host"] = tc.host
			}
			var ans struct {
				Data  []port `json:"data"`
				Total int    `json:"totalRows"`
			}
			if !getRsp(t, tc.s, "/lua/rest/v2/get/host/snmp_ports.lua", kv, tc.rc, &ans) {
				return
			}
			if ans.Total != len(tc.want) || len(ans.Data) != len(tc.want) {
				t.Fatalf("%d of %d rows %+v, want %+v", len(ans.Data), ans.Total, ans.Data, tc.want)
			}
			for k := range tc.want {
				if ans.Data[k] != tc.want[k] {
					t.Errorf("row %d: %+v, want %+v", k, ans.Data[k], tc.want[k])
				}
			}
		})
	}
	// The bound: the 64 ports with the most bytes, all 70 counted.
	_, env := call(t, withSNMP, http.MethodGet, "/lua/rest/v2/get/host/snmp_ports.lua", map[string]string{"ifid": "0", "host": "10.1.0.9"})
	rsp, _ := env["rsp"].(map[string]any)
	rows, _ := rsp["data"].([]any)
	if len(rows) != maxSNMPPortRows || rsp["totalRows"] != float64(70) {
		t.Fatalf("bound: %d rows of %v", len(rows), rsp["totalRows"])
	}
	if first, last := rows[0].(map[string]any)["if_index"], rows[63].(map[string]any)["if_index"]; first != float64(70) || last != float64(7) {
		t.Errorf("bound: ports %v..%v, want 70..7", first, last)
	}
	// A user restricted to other networks is refused the host.
	rec := serveAs(withSNMP, users.User{Username: "u", Group: users.Unprivileged,
		AllowedNets: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}}, "/lua/rest/v2/get/host/snmp_ports.lua?ifid=0&host=10.1.0.5")
	if !strings.Contains(rec.Body.String(), `"rc_str":"NOT_GRANTED"`) || strings.Contains(rec.Body.String(), "127.0.0.1") {
		t.Errorf("restricted user: %d %s", rec.Code, rec.Body)
	}
}

// BenchmarkHostSNMPPorts: get/host/snmp_ports.lua over 200,000 flows from
// 100,000 clients to one server, each entering on one of 48 ifIndexes of
// one exporter (no SNMP poller): the server (200,000 flows summed into 48
// ports) and one client (a scan finding one port).
func BenchmarkHostSNMPPorts(b *testing.B) {
	exp := netip.MustParseAddr("192.0.2.254")
	benchHostScan(b, func(r *engine.FlowRecord, c int) {
		r.ExporterIP, r.InIfIndex, r.OutIfIndex = exp, uint32(1+c%48), 100
	}, "/lua/rest/v2/get/host/snmp_ports.lua?ifid=0&host=", `"if_index"`)
}
