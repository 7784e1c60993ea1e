package web

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"flowgate/snmp"
	"flowgate/snmp/snmptest"
)

// TestProSNMPTopology reads lldp.lua and bridge.lua from a real snmpd
// serving snmp/snmptest/testdata/topology.tsv through its pass directive.
func TestProSNMPTopology(t *testing.T) {
	a := snmptest.StartAgent(t, snmptest.PassLines(t, snmptest.TopologyRows(t), snmptest.LLDPSubtree, snmptest.BridgeSubtree)...)
	paused := snmptest.StartAgent(t)
	// Two pollers: the pass script forks per varbind and is slow on a
	// loaded machine, so its agent gets a long timeout; the silent one a
	// short one. Each serves on its own server.
	server := func(timeout time.Duration, port int) (*Server, *snmp.Poller, string) {
		s := New(Configuration{DisableLogin: true}, Dependencies{})
		p := snmp.New(snmp.Configuration{Interval: time.Hour, Timeout: timeout, Retries: -1}, snmp.Deps{})
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
		s.HandleSNMP(p, nil)
		d, err := p.AddDevice(snmp.DeviceConfig{Address: "127.0.0.1", Port: port, Version: "2c", Community: "public"})
		if err != nil {
			t.Fatal(err)
		}
		return s, p, d.Key()
	}
	s, p, key := server(10*time.Second, a.Port)
	sSilent, pSilent, silent := server(300*time.Millisecond, paused.Port)
	if err := p.PollNow(key); err != nil { // interface names
		t.Fatal(err)
	}
	paused.Pause()
	defer paused.Resume()
	ifs, _ := p.Interfaces(key)
	name := map[float64]any{}
	for _, i := range ifs {
		name[float64(i.Index)] = i.Name
	}
	get := func(path string) (int, map[string]any) {
		t.Helper()
		rec := httptest.NewRecorder()
		srv := s
		if strings.Contains(path, silent) {
			srv = sSilent
		}
		srv.ServeHTTP(rec, httptest.NewRequest("GET", proV2+path, nil))
		var env map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("%s: %v: %s", path, err, rec.Body)
		}
		return rec.Code, env
	}
	_, sys := get("get/snmp/device/system.lua?host=10.9.9.9")
	for _, tc := range []struct {
		name, path string
		rc         any
		rsp        any
	}{
		{"lldp", "get/snmp/device/lldp.lua?host=" + key, 0.0, []any{
			map[string]any{"host": key, "local_port": 1.0, "local_port_id": "Gi0/1", "local_port_descr": "uplink", "if_index": 1.0,
				"if_name": name[1], "remote_chassis_id": "00:aa:bb:cc:dd:ee", "remote_port_id": "Ethernet1",
				"remote_port_descr": "to core", "remote_sysname": "core-sw1"},
			map[string]any{"host": key, "local_port": 2.0, "local_port_id": "Gi0/2", "local_port_descr": "access port", "if_index": 2.0,
				"if_name": name[2], "remote_chassis_id": "access-7", "remote_port_id": "02:00:00:00:00:01",
				"remote_port_descr": "", "remote_sysname": "ap-7"},
		}},
		{"bridge", "get/snmp/device/bridge.lua?host=" + key, 0.0, []any{
			map[string]any{"host": key, "mac": "00:11:22:33:44:55", "port": 2.0, "bridge_port": 2.0, "if_name": name[2], "status": "learned", "vlan": 0.0},
			map[string]any{"host": key, "mac": "0A:0B:0C:0D:0E:0F", "port": 1.0, "bridge_port": 1.0, "if_name": name[1], "status": "self", "vlan": 0.0},
		}},
		{"lldp unknown device", "get/snmp/device/lldp.lua?host=10.9.9.9", sys["rc"], nil},
		{"bridge unknown device", "get/snmp/device/bridge.lua?host=10.9.9.9", sys["rc"], nil},
		{"missing host", "get/snmp/device/lldp.lua", float64(errInvalidArgs.rc), nil},
		{"bad host", "get/snmp/device/bridge.lua?host=1.2.3.4.5", float64(errInvalidHost.rc), nil},
		{"lldp agent times out", "get/snmp/device/lldp.lua?host=" + silent, float64(errSNMPUnreachable.rc), nil},
		{"bridge agent times out", "get/snmp/device/bridge.lua?host=" + silent, float64(errSNMPUnreachable.rc), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, env := get(tc.path)
			if env["rc"] != tc.rc {
				t.Fatalf("rc %v, want %v: %v", env["rc"], tc.rc, env)
			}
			if tc.rsp != nil && !reflect.DeepEqual(env["rsp"], tc.rsp) {
				t.Fatalf("rsp\n got %v\nwant %v", env["rsp"], tc.rsp)
			}
			if tc.rc != 0.0 && fmt.Sprint(env["rc_str_hr"]) == "" {
				t.Fatalf("no error text: %v", env)
			}
		})
	}
	if sys["rc"] != float64(errSNMPUnknownDevice.rc) {
		t.Fatalf("system.lua unknown device: %v", sys)
	}
	if c := p.Counters(); c.TopologyWalks != 2 || c.TopologyErrors != 0 {
		t.Fatalf("counters %+v", c)
	}
	if c := pSilent.Counters(); c.TopologyWalks != 2 || c.TopologyErrors != 2 {
		t.Fatalf("silent agent's counters %+v", c)
	}
}
