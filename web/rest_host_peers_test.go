package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"flowgate/engine"
	"flowgate/web/users"
)

// TestHostPeers: get/host/peers.lua over the populated engine (10.1.0.5
// sent 1000, 2000 and 3000 bytes to three peers and received 500 from
// each), its order, paging, alias names and refusals.
func TestHostPeers(t *testing.T) {
	s := walkServer(t)
	const path = "/lua/rest/v2/get/host/peers.lua"
	const alias = `<img src=x onerror="alert(1)">`
	if code, env := call(t, s, http.MethodPost, "/lua/rest/v2/set/host/alias.lua", map[string]string{"host": "198.51.100.7", "custom_name": alias}); code != 200 {
		t.Fatalf("set alias: %d %v", code, env)
	}
	type peer struct {
		IP    string `json:"ip"`
		Name  string `json:"name"`
		Local bool   `json:"is_localhost"`
		Bytes struct {
			Sent  uint64 `json:"sent"`
			Rcvd  uint64 `json:"rcvd"`
			Total uint64 `json:"total"`
		} `json:"bytes"`
		Flows int `json:"num_flows"`
	}
	type answer struct {
		Data  []peer `json:"data"`
		Total int    `json:"totalRows"`
	}
	for _, tc := range []struct {
		name string
		kv   map[string]string
		ips  []string // the page, in order
		tot  int
		rc   string // the refusal, or ""
	}{
		{"by bytes", map[string]string{"ifid": "0", "host": "10.1.0.5"}, []string{"10.1.255.255", "198.51.100.7", "192.0.2.9"}, 3, ""},
		{"by ip, second page", map[string]string{"ifid": "0", "host": "10.1.0.5", "sortColumn": "ip", "sortOrder": "asc", "perPage": "1", "currentPage": "2"}, []string{"192.0.2.9"}, 3, ""},
		{"by sent, ascending", map[string]string{"ifid": "0", "host": "10.1.0.5", "sortColumn": "sent", "sortOrder": "asc"}, []string{"192.0.2.9", "198.51.100.7", "10.1.255.255"}, 3, ""},
		{"the server side", map[string]string{"ifid": "0", "host": "192.0.2.9"}, []string{"10.1.0.5"}, 1, ""},
		{"another VLAN", map[string]string{"ifid": "0", "host": "10.1.0.5@10"}, nil, 0, "INVALID_HOST"},
		{"inactive host", map[string]string{"ifid": "0", "host": "10.9.9.9"}, nil, 0, "INVALID_HOST"},
		{"no host", map[string]string{"ifid": "0"}, nil, 0, "INVALID_HOST"},
		{"bad host", map[string]string{"ifid": "0", "host": "10.1.0.500"}, nil, 0, "INVALID_HOST"},
		{"bad ifid", map[string]string{"ifid": "9", "host": "10.1.0.5"}, nil, 0, "INVALID_INTERFACE"},
		{"bad column", map[string]string{"ifid": "0", "host": "10.1.0.5", "sortColumn": "x"}, nil, 0, "INVALID_ARGUMENTS"},
		{"page too long", map[string]string{"ifid": "0", "host": "10.1.0.5", "perPage": "1001"}, nil, 0, "INVALID_ARGUMENTS"},
		{"bad page", map[string]string{"ifid": "0", "host": "10.1.0.5", "currentPage": "0"}, nil, 0, "INVALID_ARGUMENTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a answer
			if !getRsp(t, s, path, tc.kv, tc.rc, &a) {
				return
			}
			var ips []string
			for _, p := range a.Data {
				ips = append(ips, p.IP)
			}
			if a.Total != tc.tot || len(ips) != len(tc.ips) {
				t.Fatalf("page %v of %d, want %v of %d", ips, a.Total, tc.ips, tc.tot)
			}
			for k := range ips {
				if ips[k] != tc.ips[k] {
					t.Fatalf("page %v, want %v", ips, tc.ips)
				}
			}
		})
	}
	// A user restricted to other networks is refused the host.
	rec := serveAs(s, users.User{Username: "u", Group: users.Unprivileged,
		AllowedNets: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}}, path+"?ifid=0&host=10.1.0.5")
	if !strings.Contains(rec.Body.String(), `"rc_str":"NOT_GRANTED"`) {
		t.Errorf("restricted user: %d %s", rec.Code, rec.Body)
	}
	// Figures and names of 10.1.0.5's peers.
	_, env := call(t, s, http.MethodGet, path, map[string]string{"ifid": "0", "host": "10.1.0.5", "sortColumn": "ip", "sortOrder": "asc"})
	raw, _ := json.Marshal(env["rsp"])
	var a answer
	_ = json.Unmarshal(raw, &a)
	want := map[string][3]uint64{"10.1.255.255": {3000, 500, 1}, "192.0.2.9": {1000, 500, 1}, "198.51.100.7": {2000, 500, 1}}
	for _, p := range a.Data {
		w := want[p.IP]
		if p.Bytes.Sent != w[0] || p.Bytes.Rcvd != w[1] || p.Bytes.Total != w[0]+w[1] || uint64(p.Flows) != w[2] {
			t.Errorf("%s: %+v, want sent/rcvd/flows %v", p.IP, p, w)
		}
		wantName := p.IP
		if p.IP == "198.51.100.7" {
			wantName = alias // as stored: the UI shows it as text
		}
		if p.Name != wantName || p.Local != (p.IP == "10.1.255.255") {
			t.Errorf("%s: name %q local %v", p.IP, p.Name, p.Local)
		}
	}
}

// BenchmarkHostPeers: get/host/peers.lua over 200,000 flows between
// 100,000 clients and one server: the server (100,000 peers, the worst
// case: every peer summed, the first page kept by the pager) and one
// client (a scan finding one peer).
func BenchmarkHostPeers(b *testing.B) {
	benchHostScan(b, nil, "/lua/rest/v2/get/host/peers.lua?ifid=0&perPage=10&host=", "")
}

// benchHostScan serves path+host for the server of 200,000 flows from
// 100,000 clients (two each, set further by mod) and for one client;
// every answer is 200 and contains want.
func benchHostScan(b *testing.B, mod func(r *engine.FlowRecord, client int), path, want string) {
	ecfg := engine.DefaultConfiguration()
	ecfg.MaxHosts, ecfg.MaxFlows = 300000, 300000
	eng := engine.New(ecfg)
	i := eng.AddInterface("eth0", "zmq")
	var recs []engine.FlowRecord
	for n := 0; n < 200000; n++ {
		c := n / 2
		recs = append(recs, engine.FlowRecord{SrcIP: netip.AddrFrom4([4]byte{10, 2 + byte(c>>16), byte(c >> 8), byte(c)}), DstIP: netip.MustParseAddr("192.0.2.1"),
			SrcPort: uint16(40000 + n%2), DstPort: 53, Proto: 17, InBytes: uint64(n), InPkts: 1, FirstSwitched: 1, LastSwitched: 2})
		if mod != nil {
			mod(&recs[n], c)
		}
	}
	i.Process(&engine.Batch{Flows: recs})
	s := New(DefaultConfiguration(), Dependencies{Engine: eng})
	for _, host := range []string{"192.0.2.1", "10.2.0.7"} {
		b.Run(host, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, httptest.NewRequest("GET", path+host, nil))
				if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}
