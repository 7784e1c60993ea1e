package scripts

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestGUIConfigValidation: get/user_script/config.lua shows each script's
// gui (input builder and options); edit/user_script/config.lua accepts a
// script_conf that fits the builder (normalized) and refuses one that
// does not with INVALID_ARGUMENTS naming the field, leaving the stored
// configuration as it was.
func TestGUIConfigValidation(t *testing.T) {
	fx := newFixture(t, copyTree(t, "gui"), nil)
	h := fx.rt.Handler()

	var list []struct {
		Key   string `json:"script_key"`
		GUI   GUI    `json:"gui"`
		Hooks map[string]HookConfig
	}
	if e := call(t, h, "GET", PathGetConfig, ""); e.RC != 0 || json.Unmarshal(e.Rsp, &list) != nil {
		t.Fatalf("list: %+v", e)
	}
	guis := map[string]GUI{}
	for _, s := range list {
		guis[s.Key] = s.GUI
	}
	if g := guis["bytes_cross"]; g.InputBuilder != BuilderThreshold || g.FieldMax == nil || *g.FieldMax != 1e6 || g.FieldOperator != "gt" || g.FieldUnit != "field_units.bytes" {
		t.Errorf("bytes_cross gui %+v", g)
	}
	if g := guis["country_list"]; g.InputBuilder != BuilderItems || g.ItemListType != "country" {
		t.Errorf("country_list gui %+v", g)
	}
	if g := guis["devices"]; g.InputBuilder != BuilderMulti || len(g.Options) != len(DeviceTypes) {
		t.Errorf("devices gui %+v", g)
	}
	if g := guis["plain"]; g.InputBuilder != "" {
		t.Errorf("plain gui %+v", g)
	}

	edit := func(sub, key, conf string) env {
		return call(t, h, "POST", PathEditConfig, `{"script_subdir":"`+sub+`","script_key":"`+key+`","script_conf":`+conf+`}`)
	}
	for _, tc := range []struct {
		sub, key, conf string
		why            string // "" = accepted
	}{
		{"host", "bytes_cross", `{"operator":"gt","threshold":500}`, ""},
		{"host", "bytes_cross", `{"operator":"gt","threshold":"750"}`, ""},
		{"host", "bytes_cross", `{"operator":"lt","threshold":500}`, "operator is fixed"},
		{"host", "bytes_cross", `{"operator":"ge","threshold":500}`, "operator"},
		{"host", "bytes_cross", `{"operator":"gt","threshold":"lots"}`, "threshold"},
		{"host", "bytes_cross", `{"operator":"gt"}`, "threshold: missing"},
		{"host", "bytes_cross", `{"operator":"gt","threshold":0}`, "below 1"},
		{"host", "bytes_cross", `{"operator":"gt","threshold":2000000}`, "above"},
		{"flow", "country_list", `{"items":["it","FR","it"]}`, ""},
		{"flow", "country_list", `{"items":"de, us"}`, ""},
		{"flow", "country_list", `{"items":["Italy"]}`, "two-letter"},
		{"flow", "country_list", `{"items":[3]}`, "strings"},
		{"flow", "country_list", `{"items":{"a":"IT"}}`, "list"},
		{"flow", "elephant", `{"l2r_bytes_value":1000,"r2l_bytes_value":2000,"items":["git","Web"]}`, ""},
		{"flow", "elephant", `{"l2r_bytes_value":-1,"r2l_bytes_value":2000}`, "below 0"},
		{"flow", "elephant", `{"l2r_bytes_value":1,"r2l_bytes_value":2,"items":["NoSuchProto"]}`, "nDPI"},
		{"flow", "longlived", `{"min_duration":3600,"items":[]}`, ""},
		{"flow", "longlived", `{"items":[]}`, "min_duration"},
		{"flow", "devices", `{"items":["printer","iot"],"notify":false}`, ""},
		{"flow", "devices", `{"items":["toaster"]}`, "not one of"},
		{"flow", "plain", `{"anything":["goes"],"n":1}`, ""},
		{"flow", "plain", `{"big":"` + strings.Repeat("x", maxConfTextLen+1) + `"}`, "longer than"},
	} {
		e := edit(tc.sub, tc.key, tc.conf)
		if tc.why == "" && e.RC != 0 {
			t.Errorf("%s %s: refused: %s %s", tc.key, tc.conf, e.RCStr, e.Rsp)
		}
		if tc.why != "" && (e.RC != -5 || !strings.Contains(e.HR, tc.why)) {
			t.Errorf("%s %.60s: rc %d %q, want -5 with %q", tc.key, tc.conf, e.RC, e.HR, tc.why)
		}
	}
	// The refused edits left the last accepted ones, normalized.
	conf := func(sub, key string) map[string]any {
		var v struct{ Hooks map[string]HookConfig }
		e := call(t, h, "GET", PathGetConfig+"?script_subdir="+sub+"&script_key="+key, "")
		if e.RC != 0 || json.Unmarshal(e.Rsp, &v) != nil {
			t.Fatalf("get %s: %+v", key, e)
		}
		for _, hc := range v.Hooks {
			return hc.ScriptConf
		}
		return nil
	}
	for key, want := range map[string]string{
		"bytes_cross":  `{"operator":"gt","threshold":750}`,
		"country_list": `{"items":["DE","US"]}`,
		"elephant":     `{"items":["Git","Web"],"l2r_bytes_value":1000,"r2l_bytes_value":2000}`,
		"longlived":    `{"items":[],"min_duration":3600}`,
		"devices":      `{"items":["printer","iot"],"notify":false}`,
	} {
		sub := "flow"
		if key == "bytes_cross" {
			sub = "host"
		}
		got, _ := json.Marshal(conf(sub, key))
		if string(got) != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
}

// TestGUIErrorMessages: the refusal names the field and the reason.
func TestGUIErrorMessages(t *testing.T) {
	g := GUI{InputBuilder: BuilderItems, ItemListType: "country"}
	if _, err := validateConf(g, map[string]any{"items": []any{"Italy"}}); err == nil || !strings.Contains(err.Error(), `items: "Italy"`) {
		t.Errorf("country: %v", err)
	}
	g = GUI{InputBuilder: BuilderThreshold}
	if _, err := validateConf(g, map[string]any{"operator": "gt", "threshold": "x"}); err == nil || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("threshold: %v", err)
	}
}
