package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"flowgate/snmp"
	"flowgate/web/users"
)

const v2 = "/lua/rest/v2/"

func TestPoolsErrors(t *testing.T) {
	s := walkServer(t)
	if code, env := call(t, s, "POST", v2+"add/host/pool.lua", map[string]string{"pool_name": "lan", "pool_members": "10.1.0.0/24@0"}); code != 200 || env["rc_str"] != "POOL_ADDED" {
		t.Fatalf("add: %d %v", code, env)
	}
	long := strings.Repeat("a", 300)
	for _, tc := range []struct {
		name, method, path string
		kv                 map[string]string
		code, rc           int
	}{
		{"add by GET", "GET", "add/host/pool.lua", map[string]string{"pool_name": "x", "pool_members": ""}, 405, -5},
		{"add no name", "POST", "add/host/pool.lua", map[string]string{"pool_members": ""}, 400, -5},
		{"add no members", "POST", "add/host/pool.lua", map[string]string{"pool_name": "x"}, 400, -5},
		{"add bad member", "POST", "add/host/pool.lua", map[string]string{"pool_name": "x", "pool_members": "10.0.0.0/40"}, 400, -5},
		{"add bad vlan", "POST", "add/host/pool.lua", map[string]string{"pool_name": "x", "pool_members": "10.0.0.1@4096"}, 400, -5},
		{"add bad confset", "POST", "add/host/pool.lua", map[string]string{"pool_name": "x", "pool_members": "", "confset_id": "a"}, 400, -5},
		{"add same name", "POST", "add/host/pool.lua", map[string]string{"pool_name": "LAN", "pool_members": ""}, 409, -13},
		{"add long name", "POST", "add/host/pool.lua", map[string]string{"pool_name": long, "pool_members": ""}, 409, -13},
		{"add bound member", "POST", "add/host/pool.lua", map[string]string{"pool_name": "y", "pool_members": "10.1.0.0/24"}, 409, -18},
		{"edit unknown pool", "POST", "edit/host/pool.lua", map[string]string{"pool": "9", "pool_name": "x", "pool_members": ""}, 409, -16},
		{"edit bad pool", "POST", "edit/host/pool.lua", map[string]string{"pool": "one", "pool_name": "x", "pool_members": ""}, 400, -5},
		{"edit default", "POST", "edit/host/pool.lua", map[string]string{"pool": "0", "pool_name": "x", "pool_members": ""}, 409, -14},
		{"delete unknown", "POST", "delete/host/pool.lua", map[string]string{"pool": "9"}, 409, -16},
		{"delete missing", "POST", "delete/host/pool.lua", nil, 400, -5},
		{"get unknown", "GET", "get/host/pool/pools.lua", map[string]string{"pool": "9"}, 409, -16},
		{"members unknown", "GET", "get/host/pool/members.lua", map[string]string{"pool": "9"}, 409, -16},
		{"by member bad", "GET", "get/host/pool_by_member.lua", map[string]string{"member": "zz"}, 400, -5},
		{"bind unknown pool", "POST", "bind/host/pool/member.lua", map[string]string{"pool": "9", "member": "1.2.3.4"}, 409, -16},
		{"bind bad member", "POST", "bind/host/pool/member.lua", map[string]string{"pool": "1", "member": "x"}, 400, -5},
		{"recipient missing", "GET", "get/recipient/pools.lua", nil, 400, -5},
		{"import empty", "POST", "import/pool/host_pool/members.lua", map[string]string{"pool": "1"}, 400, -5},
	} {
		code, env := call(t, s, tc.method, v2+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("%s: %d %v, want %d rc %d", tc.name, code, env, tc.code, tc.rc)
		}
	}
	if got := len(s.deps.Pools.Export()); got != 1 {
		t.Errorf("failed writes changed the pools: %d pools", got)
	}
}

func TestPoolsLifecycle(t *testing.T) {
	s := walkServer(t)
	code, env := call(t, s, "POST", v2+"add/host/pool.lua", map[string]string{"pool_name": "servers",
		"pool_members": "10.1.0.0/24@0,AA:BB:CC:DD:EE:FF", "recipients": "siem"})
	if code != 200 || env["rsp"].(map[string]any)["pool_id"] != float64(1) {
		t.Fatalf("add: %d %v", code, env)
	}
	// The host 10.1.0.5 of the populated engine is in pool 1 now.
	_, env = call(t, s, "GET", v2+"get/host/data.lua", map[string]string{"ifid": "0", "host": "10.1.0.5"})
	if got := env["rsp"].(map[string]any)["host_pool_id"]; got != float64(1) {
		t.Errorf("host/data host_pool_id = %v", got)
	}
	_, env = call(t, s, "GET", v2+"get/host/active.lua", map[string]string{"ifid": "0"})
	for _, h := range env["rsp"].(map[string]any)["data"].([]any) {
		h := h.(map[string]any)
		want := float64(0)
		if h["ip"] == "10.1.0.5" {
			want = 1
		}
		if h["host_pool_id"] != want {
			t.Errorf("host/active %v: host_pool_id %v, want %v", h["ip"], h["host_pool_id"], want)
		}
	}
	// Shapes: get/pools.lua lists the default pool and ours, with the key.
	_, env = call(t, s, "GET", v2+"get/pools.lua", nil)
	all := env["rsp"].([]any)
	if len(all) != 2 {
		t.Fatalf("get/pools: %v", all)
	}
	p := all[1].(map[string]any)
	for k, kind := range map[string]string{"pool_id": "number", "name": "string", "members": "array",
		"member_details": "object", "configset_id": "number", "recipients": "array", "key": "string"} {
		if jsonKind(p[k]) != kind {
			t.Errorf("pool field %s = %v (%s), want %s", k, p[k], jsonKind(p[k]), kind)
		}
	}
	d := p["member_details"].(map[string]any)["10.1.0.0/24@0"].(map[string]any)
	if d["type"] != "net" || d["name"] != "10.1.0.0/24" || d["vlan"] != float64(0) {
		t.Errorf("member details: %v", d)
	}
	_, env = call(t, s, "GET", v2+"get/recipient/pools.lua", map[string]string{"recipient_id": "siem"})
	if l := env["rsp"].([]any); len(l) != 1 {
		t.Errorf("recipient pools: %v", l)
	}
	// Bind moves a member only through the default pool.
	if code, env = call(t, s, "POST", v2+"add/host/pool.lua", map[string]string{"pool_name": "two", "pool_members": ""}); code != 200 {
		t.Fatal(env)
	}
	code, env = call(t, s, "POST", v2+"bind/host/pool/member.lua", map[string]string{"pool": "2", "member": "10.1.0.0/24@0"})
	if code != 409 || env["rc_str"] != "BIND_POOL_MEMBER_ALREADY_BOUND" || env["rsp"].(map[string]any)["pool_id"] != float64(1) {
		t.Errorf("bind bound: %d %v", code, env)
	}
	for _, pool := range []string{"0", "2"} {
		if code, env = call(t, s, "POST", v2+"bind/host/pool/member.lua", map[string]string{"pool": pool, "member": "10.1.0.0/24@0"}); code != 200 {
			t.Fatalf("bind to %s: %v", pool, env)
		}
	}
	_, env = call(t, s, "GET", v2+"get/host/pool_by_member.lua", map[string]string{"member": "10.1.0.0/24"})
	if env["rsp"].(map[string]any)["pool_id"] != float64(2) {
		t.Errorf("pool_by_member: %v", env)
	}
	if code, env = call(t, s, "POST", v2+"import/pool/host_pool/members.lua", map[string]string{"pool": "1", "host_pool_members": "192.0.2.0/24,198.51.100.7"}); code != 200 {
		t.Fatalf("import members: %v", env)
	}
	_, env = call(t, s, "GET", v2+"get/host/pool/members.lua", map[string]string{"pool": "1"})
	if l := env["rsp"].([]any); len(l) != 3 {
		t.Errorf("members of pool 1: %v", l)
	}
	if code, _ = call(t, s, "POST", v2+"delete/host/pool.lua", map[string]string{"pool": "2"}); code != 200 {
		t.Fatal(code)
	}
	_, env = call(t, s, "GET", v2+"get/host/data.lua", map[string]string{"ifid": "0", "host": "10.1.0.5"})
	if got := env["rsp"].(map[string]any)["host_pool_id"]; got != float64(0) {
		t.Errorf("after delete host_pool_id = %v", got)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "?"
}

// A user with ntopng's pools capability writes pools; one without cannot.
func TestPoolsCapability(t *testing.T) {
	f := newFixture(t, nil)
	f.s.HandleSNMP(snmp.New(snmp.Configuration{DataDir: t.TempDir()}, snmp.Deps{}), nil)
	for name, capa := range map[string]uint64{"carol": users.CapPools.Bit(), "dave": users.CapSNMP.Bit()} {
		if err := f.users.Add(users.Spec{Username: name, Password: name + "-pw", Group: users.Unprivileged, Capabilities: capa}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t)
	body := func() (*strings.Reader, map[string]string) {
		return strings.NewReader(`{"pool_name":"p-` + t.Name() + `","pool_members":""}`), map[string]string{"Content-Type": "application/json"}
	}
	b, h := body()
	if a := do(t, c, "POST", f.base+v2+"add/host/pool.lua", b, merge(h, basic("dave", "dave-pw"))); a.Code != http.StatusUnauthorized {
		t.Errorf("without the capability: %d %s", a.Code, a.Body)
	}
	b, h = body()
	a := do(t, c, "POST", f.base+v2+"add/host/pool.lua", b, merge(h, basic("carol", "carol-pw")))
	var rsp struct {
		PoolID int `json:"pool_id"`
	}
	if a.Code != 200 || json.Unmarshal(a.Rsp, &rsp) != nil || rsp.PoolID != 1 {
		t.Errorf("with the capability: %d %s", a.Code, a.Body)
	}
	if a := do(t, c, "POST", f.base+v2+"delete/pools.lua", nil, basic("carol", "carol-pw")); a.Code != http.StatusUnauthorized {
		t.Errorf("delete/pools.lua is an administrator's: %d", a.Code)
	}
	// Backups hold credentials: administrators only, although under get/.
	for _, p := range []string{"get/system/configurations/list_availabled_backups.lua", "get/system/configurations/download_backup.lua?epoch=1",
		"export/all/config.lua", "export/notifications/config.lua"} {
		if a := do(t, c, "GET", f.base+v2+p, nil, basic("carol", "carol-pw")); a.Code != http.StatusUnauthorized || a.RC != -3 {
			t.Errorf("%s by a non-administrator: %d %s", p, a.Code, a.Body)
		}
	}
	if a := do(t, c, "GET", f.base+v2+"get/system/configurations/list_availabled_backups.lua", nil, basic("admin", adminPW)); a.Code != 200 {
		t.Errorf("backups by the administrator: %d %s", a.Code, a.Body)
	}
	// The SNMP capability admits Pro SNMP device writes, not pool writes.
	form := func(kv ...string) (*strings.Reader, map[string]string) {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	}
	b, h = form("snmp_host", "192.0.2.1", "snmp_read_community", "public")
	if a := do(t, c, "POST", f.base+"/lua/pro/rest/v2/add/snmp/device.lua", b, merge(h, basic("dave", "dave-pw"))); a.Code != 200 {
		t.Errorf("SNMP write with the snmp capability: %d %s", a.Code, a.Body)
	}
	b, h = form("snmp_host", "192.0.2.2", "snmp_read_community", "public")
	if a := do(t, c, "POST", f.base+"/lua/pro/rest/v2/add/snmp/device.lua", b, merge(h, basic("carol", "carol-pw"))); a.Code != http.StatusUnauthorized {
		t.Errorf("SNMP write without the snmp capability: %d %s", a.Code, a.Body)
	}
}
