package web

import (
	"testing"

	"flowgate/engine"
)

func TestFlowDevices(t *testing.T) {
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: engine.New(engine.DefaultConfiguration())})
	dev := func() []map[string]any {
		return []map[string]any{{"exporter_ip": "192.0.2.1", "flow_records": 7, "interface_names": map[string]string{"3": "eth0"}}}
	}
	s.HandleFlowDevices(FlowDeviceSource{Ifid: 2, Devices: dev}, FlowDeviceSource{Ifid: 4, SFlow: true, Devices: dev})
	for _, tc := range []struct {
		path string
		kv   map[string]string
		rc   float64
		want string // a key of rsp (object) or "list"
	}{
		{"/lua/pro/rest/v2/get/flowdevices/stats.lua", map[string]string{"ifid": "2"}, 0, "list"},
		{"/lua/pro/rest/v2/get/sflowdevices/stats.lua", map[string]string{"ifid": "4"}, 0, "list"},
		{"/lua/pro/rest/v2/get/sflowdevices/stats.lua", map[string]string{"ifid": "2"}, float64(errInvalidInterface.rc), ""},
		{"/lua/pro/rest/v2/get/flowdevices/stats.lua", map[string]string{"ifid": "x"}, float64(errInvalidInterface.rc), ""},
		{"/lua/pro/rest/v2/get/flowdevice/stats.lua", map[string]string{"ifid": "2", "ip": "192.0.2.1", "ifIdx": "3"}, 0, "ifname"},
		{"/lua/pro/rest/v2/get/flowdevice/stats.lua", map[string]string{"ifid": "2", "ip": "192.0.2.9"}, float64(errNotFound.rc), ""},
		{"/lua/pro/rest/v2/get/flowdevice/stats.lua", map[string]string{"ifid": "2", "ip": "nope"}, float64(errInvalidArgs.rc), ""},
		{"/lua/pro/rest/v2/get/flowdevice/stats.lua", map[string]string{"ifid": "2", "ip": "192.0.2.1", "ifIdx": "-1"}, float64(errInvalidArgs.rc), ""},
	} {
		_, env := call(t, s, "GET", tc.path, tc.kv)
		if env["rc"] != tc.rc {
			t.Errorf("%s %v: %v", tc.path, tc.kv, env)
			continue
		}
		switch tc.want {
		case "list":
			if l, ok := env["rsp"].([]any); !ok || len(l) != 1 {
				t.Errorf("%s: rsp %v", tc.path, env["rsp"])
			}
		case "ifname":
			if m, _ := env["rsp"].(map[string]any); m["ifname"] != "eth0" {
				t.Errorf("%s: rsp %v", tc.path, env["rsp"])
			}
		}
	}
}
