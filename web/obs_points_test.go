package web

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"flowgate/engine"
)

// TestObservationPoints: stats add up the active flows of each nProbe
// observation point; an alias set over REST is shown by stats and alias.lua.
func TestObservationPoints(t *testing.T) {
	eng := engine.New(engine.DefaultConfiguration())
	i := eng.AddInterface("tcp://*:5556c", "zmq")
	now := uint32(time.Now().Unix())
	b := i.NewBatch()
	for n, op := range []uint16{7, 7, 9, 0} {
		f := b.AddFlow()
		f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr("10.1.0.5"), netip.MustParseAddr("192.0.2.9"), uint16(40000+n), 443, 6
		f.InBytes, f.InPkts, f.OutBytes, f.OutPkts = 1000, 3, 500, 2
		f.FirstSwitched, f.LastSwitched = now-5, now
		f.ObservationPoint = op
	}
	i.Process(b)
	s := New(Configuration{DisableLogin: true}, Dependencies{Engine: eng})

	if code, env := call(t, s, "POST", pro+"set/observation_points/alias.lua", map[string]string{"observation_point_id": "7", "alias": "Milan DC"}); code != 200 {
		t.Fatalf("set alias: %d %v", code, env)
	}
	code, env := call(t, s, "GET", pro+"get/observation_points/stats.lua", map[string]string{"ifid": "0"})
	if want := `[{"alias":"Milan DC","bytes":3000,"num_flows":2,"obs_point":7,"packets":10},{"alias":"9","bytes":1500,"num_flows":1,"obs_point":9,"packets":5}]`; code != 200 || jsonOf(env["rsp"]) != want {
		t.Errorf("stats: %d %s\nwant %s", code, jsonOf(env["rsp"]), want)
	}
	if _, env = call(t, s, "GET", pro+"get/observation_points/alias.lua", map[string]string{"observation_point_id": "7"}); jsonOf(env["rsp"]) != `{"alias":"Milan DC","observation_point_id":7}` {
		t.Errorf("alias: %v", env)
	}
	// An empty alias removes it: the id is shown again.
	if code, env = call(t, s, "POST", pro+"set/observation_points/alias.lua", map[string]string{"observation_point_id": "7", "alias": ""}); code != 200 || env["rsp"].(map[string]any)["alias"] != "7" {
		t.Errorf("remove alias: %d %v", code, env)
	}

	for _, tc := range []struct {
		name, method, path string
		kv                 map[string]string
		code, rc           int
		human              string
	}{
		{"stats no ifid", "GET", "get/observation_points/stats.lua", nil, 400, -2, "missing ifid"},
		{"stats unknown ifid", "GET", "get/observation_points/stats.lua", map[string]string{"ifid": "4"}, 400, -2, "unknown ifid"},
		{"alias no id", "GET", "get/observation_points/alias.lua", nil, 400, -5, "observation_point_id"},
		{"alias id too big", "GET", "get/observation_points/alias.lua", map[string]string{"observation_point_id": "65536"}, 400, -5, "observation_point_id"},
		{"set by GET", "GET", "set/observation_points/alias.lua", map[string]string{"observation_point_id": "7", "alias": "x"}, 405, -5, "POST"},
		{"set bad id", "POST", "set/observation_points/alias.lua", map[string]string{"observation_point_id": "x", "alias": "x"}, 400, -5, "observation_point_id"},
		{"set no alias", "POST", "set/observation_points/alias.lua", map[string]string{"observation_point_id": "7"}, 400, -5, "alias"},
		{"set long alias", "POST", "set/observation_points/alias.lua", map[string]string{"observation_point_id": "7", "alias": strings.Repeat("a", 200)}, 400, -5, "alias"},
		{"set control chars", "POST", "set/observation_points/alias.lua", map[string]string{"observation_point_id": "7", "alias": "a\x00b"}, 400, -5, "alias"},
	} {
		code, env := call(t, s, tc.method, pro+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) || !strings.Contains(env["rc_str_hr"].(string), tc.human) {
			t.Errorf("%s: %d %v, want %d rc %d %q", tc.name, code, env, tc.code, tc.rc, tc.human)
		}
	}
	if _, ok, _ := s.kvStore().Get(obsPointAliasKey(7)); ok {
		t.Error("a refused request stored an alias")
	}
}
