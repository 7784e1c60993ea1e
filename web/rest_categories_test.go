package web

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"flowgate/engine/ndpi"
)

func TestCategoriesErrors(t *testing.T) {
	s := walkServer(t)
	for _, tc := range []struct {
		name, method, path string
		kv                 map[string]string
		code, rc           int
	}{
		{"list bad ifid", "GET", "get/category/list.lua", map[string]string{"ifid": "9"}, 400, -2},
		{"edit by GET", "GET", "edit/category/category.lua", map[string]string{"category": "cat_20"}, 405, -5},
		{"edit no category", "POST", "edit/category/category.lua", map[string]string{"custom_hosts": "a.com"}, 400, -5},
		{"edit unknown category", "POST", "edit/category/category.lua", map[string]string{"category": "cat_77"}, 400, -5},
		{"edit bad host", "POST", "edit/category/category.lua", map[string]string{"category": "cat_20", "custom_hosts": "a.com,<b>"}, 400, -5},
		{"edit bad alias", "POST", "edit/category/category.lua", map[string]string{"category": "cat_20", "category_alias": "<x>"}, 400, -5},
		{"edit oversize", "POST", "edit/category/category.lua", map[string]string{"category": "cat_20", "custom_hosts": strings.Repeat("a.com,", 50000)}, 400, -8},
		{"app nothing", "POST", "edit/application/application.lua", map[string]string{"category": "cat_5"}, 400, -5},
		{"app bad id", "POST", "edit/application/application.lua", map[string]string{"l7_proto_id": "99999"}, 400, -5},
		{"app bad category", "POST", "edit/application/application.lua", map[string]string{"l7_proto_id": "7", "category": "x"}, 400, -5},
		{"app bad rule", "POST", "edit/application/application.lua", map[string]string{"protocol_alias": "MyApp", "custom_rules": "rm -rf"}, 400, -5},
		{"app bad name", "POST", "edit/application/application.lua", map[string]string{"protocol_alias": "a b"}, 400, -5},
		{"delete unknown", "POST", "delete/application/application.lua", map[string]string{"protocol_alias": "Nope"}, 404, -1},
		{"delete missing", "POST", "delete/application/application.lua", nil, 400, -5},
	} {
		code, env := call(t, s, tc.method, v2+tc.path, tc.kv)
		if code != tc.code || env["rc"] != float64(tc.rc) {
			t.Errorf("%s: %d %v, want %d rc %d", tc.name, code, env, tc.code, tc.rc)
		}
	}
	if c := s.deps.Categories.Counters(); c.Changes != 0 {
		t.Errorf("failed writes changed the lists: %+v", c)
	}
}

func TestCategoriesREST(t *testing.T) {
	s := walkServer(t)
	for _, kv := range []map[string]string{
		{"category": "cat_20", "custom_hosts": "corp.example,192.0.2.0/24", "category_alias": "Corp"},
		{"l7_proto_id": "91", "category": "cat_" + itoa(int(ndpi.CategoryBannedSite))},
		{"protocol_alias": "MyApp", "category": "cat_20", "custom_rules": `host:"myapp.example"_tcp:8080,8081`},
	} {
		path := "edit/category/category.lua"
		if _, ok := kv["category_alias"]; !ok {
			path = "edit/application/application.lua"
		}
		if code, env := call(t, s, "POST", v2+path, kv); code != 200 || env["rc"] != float64(0) {
			t.Fatalf("%s %v: %d %v", path, kv, code, env)
		}
	}
	_, env := call(t, s, "GET", v2+"get/category/list.lua", map[string]string{"ifid": "0"})
	var corp, banned map[string]any
	for _, r := range env["rsp"].([]any) {
		r := r.(map[string]any)
		for k, kind := range map[string]string{"column_category_id": "number", "column_category_name": "string",
			"column_num_hosts": "string", "column_num_protos": "string", "column_category_hosts": "string"} {
			if jsonKind(r[k]) != kind {
				t.Fatalf("%s = %v, want %s", k, r[k], kind)
			}
		}
		switch r["column_category_id"] {
		case float64(20):
			corp = r
		case float64(ndpi.CategoryBannedSite):
			banned = r
		}
	}
	if corp["column_category_name"] != "Corp" || corp["column_num_hosts"] != "2" || corp["column_category_hosts"] != "192.0.2.0/24,corp.example" {
		t.Errorf("custom category row: %v", corp)
	}
	if banned["column_num_protos"] == "0" {
		t.Errorf("TLS moved to Banned_Site is not counted: %v", banned)
	}
	// The engine's classifier is the same store.
	if c, ok := s.deps.Categories.FlowCategory(0, 7, netip.MustParseAddr("192.0.2.4"), ""); !ok || c != 20 {
		t.Errorf("FlowCategory = %v %v", c, ok)
	}
	if apps := s.deps.Categories.Apps(); len(apps["MyApp"]) != 2 {
		t.Errorf("custom application rules: %v", apps)
	}
	if code, env := call(t, s, "POST", v2+"delete/application/application.lua", map[string]string{"protocol_alias": "MyApp"}); code != 200 {
		t.Errorf("delete: %v", env)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
