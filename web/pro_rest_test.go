package web

import "testing"

const pro = "/lua/pro/rest/v2/"

func TestProErrors(t *testing.T) {
	s := walkServer(t)
	for _, tc := range []struct {
		name, method, path string
		kv                 map[string]string
		code, rc           int
	}{
		{"talkers no ifid", "GET", "get/interface/top/local/talkers.lua", nil, 400, -2},
		{"talkers bad ifid", "GET", "get/interface/top/remote/talkers.lua", map[string]string{"ifid": "x"}, 400, -2},
		{"talkers bad max", "GET", "get/interface/top/local/talkers.lua", map[string]string{"ifid": "0", "max_num_results": "0"}, 400, -5},
		{"l7 unknown ifid", "GET", "get/interface/top/l7_stats.lua", map[string]string{"ifid": "7"}, 400, -2},
		{"alert top bad epoch", "GET", "get/host/alert/top.lua", map[string]string{"ifid": "0", "epoch_begin": "x"}, 400, -5},
		{"am alert top bad epoch", "GET", "get/am_host/alert/top.lua", map[string]string{"ifid": "-1", "epoch_end": "x"}, 400, -5},
		{"snmp add by GET", "GET", "add/snmp/device.lua", map[string]string{"snmp_host": "192.0.2.1"}, 405, -5},
		{"snmp add no host", "POST", "add/snmp/device.lua", map[string]string{"snmp_read_community": "public"}, 400, -5},
		{"snmp add bad version", "POST", "add/snmp/device.lua", map[string]string{"snmp_host": "192.0.2.1", "snmp_version": "9", "snmp_read_community": "c"}, 400, -5},
		{"snmp add no community", "POST", "add/snmp/device.lua", map[string]string{"snmp_host": "192.0.2.1", "snmp_version": "1"}, 400, -5},
		{"snmp add bad level", "POST", "add/snmp/device.lua", map[string]string{"snmp_host": "192.0.2.1", "snmp_version": "2", "snmp_read_community": "u", "snmp_level": "x"}, 400, -5},
		{"snmp add bad port", "POST", "add/snmp/device.lua", map[string]string{"snmp_host": "192.0.2.1:99999", "snmp_read_community": "c"}, 400, -5},
		{"snmp edit unknown", "POST", "edit/snmp/device/device.lua", map[string]string{"snmp_host": "192.0.2.77", "snmp_read_community": "c"}, 400, -22},
		{"snmp delete unknown", "POST", "delete/snmp/device.lua", map[string]string{"host": "192.0.2.77"}, 400, -22},
		{"snmp system unknown", "GET", "get/snmp/device/system.lua", map[string]string{"host": "192.0.2.77"}, 400, -22},
		{"snmp interfaces unknown", "GET", "get/snmp/device/interfaces.lua", map[string]string{"host": "192.0.2.77"}, 404, -1},
	} {
		code, env := call(t, s, tc.method, pro+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("%s: %d %v, want %d rc %d", tc.name, code, env, tc.code, tc.rc)
		}
	}
}

func TestProAnswers(t *testing.T) {
	s := walkServer(t)
	_, env := call(t, s, "GET", pro+"get/interface/top/local/talkers.lua", map[string]string{"ifid": "0"})
	local := env["rsp"].([]any)
	if len(local) != 1 || local[0].(map[string]any)["ip"] != "10.1.0.5" {
		t.Errorf("local talkers: %v", local)
	}
	for k, kind := range map[string]string{"ip": "string", "name": "string", "vlan": "number", "label": "string",
		"value": "number", "throughput_bps": "number", "bytes": "object", "host_pool_id": "number"} {
		if got := jsonKind(local[0].(map[string]any)[k]); got != kind {
			t.Errorf("talker %s: %s, want %s", k, got, kind)
		}
	}
	_, env = call(t, s, "GET", pro+"get/interface/top/remote/talkers.lua", map[string]string{"ifid": "0", "max_num_results": "1"})
	if remote := env["rsp"].([]any); len(remote) != 1 || remote[0].(map[string]any)["ip"] == "10.1.0.5" {
		t.Errorf("remote talkers: %v", remote)
	}
	_, env = call(t, s, "GET", pro+"get/interface/top/l7_stats.lua", map[string]string{"ifid": "0"})
	l7 := env["rsp"].([]any)
	if len(l7) == 0 || jsonKind(l7[0].(map[string]any)["label"]) != "string" || jsonKind(l7[0].(map[string]any)["value"]) != "number" {
		t.Errorf("l7: %v", l7)
	}
	_, env = call(t, s, "GET", pro+"get/system/data.lua", nil)
	if d := env["rsp"].(map[string]any); jsonKind(d["num_interfaces"]) != "number" || d["num_interfaces"] != float64(1) {
		t.Errorf("system data: %v", d)
	}
	code, env := call(t, s, "GET", pro+"get/all/alert/top.lua", map[string]string{"ifid": "0"})
	if top, ok := env["rsp"].(map[string]any); code != 200 || !ok || jsonKind(top["alert_id"]) != "array" || jsonKind(top["severity"]) != "array" {
		t.Errorf("alert top: %d %v", code, env)
	}
	// SNMP device lifecycle (no poll: the poller is not started).
	dev := map[string]string{"snmp_host": "192.0.2.1", "snmp_version": "1", "snmp_read_community": "public"}
	if code, env = call(t, s, "POST", pro+"add/snmp/device.lua", dev); code != 200 {
		t.Fatalf("add: %d %v", code, env)
	}
	if code, env = call(t, s, "POST", pro+"add/snmp/device.lua", dev); env["rc"] != float64(-10) {
		t.Errorf("add twice: %d %v", code, env)
	}
	_, env = call(t, s, "GET", pro+"get/snmp/device/list.lua", nil)
	list := env["rsp"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["version"] != float64(1) || list[0].(map[string]any)["host"] != "192.0.2.1" {
		t.Errorf("list: %v", list)
	}
	if _, leak := list[0].(map[string]any)["community"]; leak {
		t.Error("the list shows the community")
	}
	dev["snmp_read_community"] = "private"
	if code, env = call(t, s, "POST", pro+"edit/snmp/device/device.lua", dev); code != 200 {
		t.Errorf("edit: %d %v", code, env)
	}
	if _, env = call(t, s, "GET", pro+"get/snmp/device/system.lua", map[string]string{"host": "192.0.2.1"}); env["rc"] != float64(0) {
		t.Errorf("system: %v", env)
	}
	if code, env = call(t, s, "POST", pro+"delete/snmp/device.lua", map[string]string{"host": "192.0.2.1"}); code != 200 || env["rc_str"] != "SNMP_DEVICE_DELETED_SUCCESSFULLY" {
		t.Errorf("delete: %d %v", code, env)
	}
}
