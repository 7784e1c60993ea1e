package web

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"flowgate/engine"
)

// hostFilterServer: local networks 10.1.0.0/16 (id 0) and 10.2.0.0/16
// (id 1); flows from 10.1.0.1..3 to the remote 192.0.2.1 (10.1.0.k sends
// k kB), from 10.2.0.1 to 192.0.2.10 on VLAN 10, from 2001:db8::1 to
// 2001:db8::2.
func hostFilterServer(t *testing.T) *Server {
	t.Helper()
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.0/16")}
	eng := engine.New(ecfg)
	i := eng.AddInterface("eth0", "zmq")
	rec := func(src string, vlan uint16, bytes uint64) engine.FlowRecord {
		return engine.FlowRecord{SrcIP: netip.MustParseAddr(src), DstIP: netip.MustParseAddr("192.0.2.1"), VLAN: vlan,
			SrcPort: 40000, DstPort: 443, Proto: 6, InBytes: bytes, InPkts: 1, FirstSwitched: 1, LastSwitched: 2}
	}
	vl := rec("10.2.0.1", 10, 500)
	vl.DstIP = netip.MustParseAddr("192.0.2.10")
	v6 := rec("2001:db8::1", 0, 50)
	v6.DstIP = netip.MustParseAddr("2001:db8::2")
	i.Process(&engine.Batch{Flows: []engine.FlowRecord{
		rec("10.1.0.1", 0, 1000), rec("10.1.0.2", 0, 2000), rec("10.1.0.3", 0, 3000), vl, v6,
	}})
	return New(DefaultConfiguration(), Dependencies{Engine: eng})
}

// TestActiveHostsFilters: each filter of host/active.lua selects on the
// server, before paging (totalRows counts the selection), and a bad value
// is INVALID_ARGUMENTS naming the parameter.
func TestActiveHostsFilters(t *testing.T) {
	s := hostFilterServer(t)
	const base = "/lua/rest/v2/get/host/active.lua?ifid=0&sortColumn=ip&sortOrder=asc"
	for _, tc := range []struct {
		query string
		want  string // the IPs ("ip@vlan" with a VLAN), in order
		total int
	}{
		{"", "10.1.0.1 10.1.0.2 10.1.0.3 10.2.0.1@10 192.0.2.1 192.0.2.10@10 2001:db8::1 2001:db8::2", 8},
		{"&mode=all", "10.1.0.1 10.1.0.2 10.1.0.3 10.2.0.1@10 192.0.2.1 192.0.2.10@10 2001:db8::1 2001:db8::2", 8},
		{"&mode=local", "10.1.0.1 10.1.0.2 10.1.0.3 10.2.0.1@10", 4},
		{"&mode=remote", "192.0.2.1 192.0.2.10@10 2001:db8::1 2001:db8::2", 4},
		{"&mode=blacklisted", "", 0},
		{"&vlan=10", "10.2.0.1@10 192.0.2.10@10", 2},
		{"&vlan=0&mode=local", "10.1.0.1 10.1.0.2 10.1.0.3", 3},
		{"&network=1", "10.2.0.1@10", 1},
		{"&network=0&perPage=2", "10.1.0.1 10.1.0.2", 3},
		{"&network=0&perPage=2&currentPage=2", "10.1.0.3", 3},
		{"&network_cidr=10.1.0.2/31", "10.1.0.2 10.1.0.3", 2},
		{"&version=6", "2001:db8::1 2001:db8::2", 2},
		{"&version=4&mode=remote", "192.0.2.1 192.0.2.10@10", 2},
		{"&search=0.2", "10.1.0.2 10.2.0.1@10 192.0.2.1 192.0.2.10@10", 4},
		{"&search=DB8::1", "2001:db8::1", 1},
		{"&search=@10", "10.2.0.1@10 192.0.2.10@10", 2},
		{"&search=nothing-like-it", "", 0},
	} {
		code, body := get(t, s, base+tc.query)
		var env struct {
			Rsp struct {
				Data []struct {
					IP   string `json:"ip"`
					VLAN int    `json:"vlan"`
				} `json:"data"`
				TotalRows int `json:"totalRows"`
			} `json:"rsp"`
		}
		if code != 200 || json.Unmarshal(body, &env) != nil {
			t.Fatalf("%s: %d %s", tc.query, code, body)
		}
		var got []string
		for _, d := range env.Rsp.Data {
			k := d.IP
			if d.VLAN != 0 {
				k += "@" + strconv.Itoa(d.VLAN)
			}
			got = append(got, k)
		}
		if strings.Join(got, " ") != tc.want || env.Rsp.TotalRows != tc.total {
			t.Errorf("%s: got %q (totalRows %d), want %q (%d)", tc.query, strings.Join(got, " "), env.Rsp.TotalRows, tc.want, tc.total)
		}
	}

	// Filtered and sorted by traffic, descending (the dashboard's top
	// hosts): 10.1.0.3 sent most.
	_, body := get(t, s, "/lua/rest/v2/get/host/active.lua?ifid=0&mode=local&vlan=0&sortColumn=traffic&sortOrder=desc")
	var env struct {
		Rsp struct {
			Data []struct {
				IP string `json:"ip"`
			} `json:"data"`
		} `json:"rsp"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, d := range env.Rsp.Data {
		order = append(order, d.IP)
	}
	if !slices.Equal(order, []string{"10.1.0.3", "10.1.0.2", "10.1.0.1"}) {
		t.Errorf("local hosts by traffic: %v", order)
	}

	for _, bad := range []struct{ query, param string }{
		{"&mode=odd", "mode"},
		{"&vlan=4096", "vlan"},
		{"&vlan=x", "vlan"},
		{"&network=-1", "network"},
		{"&network_cidr=10.1.0.0", "network_cidr"},
		{"&version=5", "version"},
		{"&search=" + strings.Repeat("1", maxHostSearch+1), "search"},
	} {
		code, body := get(t, s, base+bad.query)
		if code != 400 || !strings.Contains(string(body), `"INVALID_ARGUMENTS"`) || !strings.Contains(string(body), "bad "+bad.param) {
			t.Errorf("%s: %d %s, want 400 INVALID_ARGUMENTS naming %s", bad.query, code, body, bad.param)
		}
	}
}
