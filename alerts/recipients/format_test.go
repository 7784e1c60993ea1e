package recipients

import (
	"encoding/json"
	"strings"
	"testing"

	"flowgate/alerts"
)

func TestTextFormat(t *testing.T) {
	got := string(appendText(nil, eventOf(hostAlert(1), "x"), testCtx))
	// docs/script-contract.md §5.6: date, double space, ifname, severity, type, entity, value, action, message.
	want := "[02/11/2020 10:00:00]  [eth0] [Error] [Threshold Cross][Host][192.168.1.10] [Engaged] Minute bytes crossed by host 192.168.1.10 [1234567 > 1000000]"
	if got != want {
		t.Fatalf("text:\n got %s\nwant %s", got, want)
	}
	fl := string(appendText(nil, eventOf(flowAlert(), "x"), testCtx))
	if !strings.Contains(fl, "[Flow: 10.0.0.1:40000 8.8.8.8:443] [TCP] [Application: TLS.Google]") {
		t.Fatalf("flow text: %s", fl)
	}
}

func TestJSONFormat(t *testing.T) {
	out := appendJSON(nil, eventOf(hostAlert(1), "fg-1"), testCtx)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if m["event_id"] != "fg-1" || m["alert_type"] != 49.0 || m["action"] != "engage" {
		t.Fatalf("json: %s", out)
	}
	if msg, _ := m["message"].(string); !strings.Contains(msg, "[Threshold Cross] [Engaged] Minute bytes") || strings.Contains(msg, "[Error]") {
		t.Fatalf("message without severity and entity: %q", msg)
	}
	if _, ok := m["instance"]; ok {
		t.Fatalf("instance without --instance-name: %s", out)
	}
	// Lua may queue anything: a non-object still becomes valid JSON.
	out = appendJSON(nil, &Event{ID: "i", JSON: []byte(`"text"`)}, testCtx)
	if !json.Valid(out) {
		t.Fatalf("invalid: %s", out)
	}
}

// TestJSONInstance: a named instance is in every JSON notification,
// whatever the document, and is ECS's observer.name.
func TestJSONInstance(t *testing.T) {
	c := *testCtx
	c.Instance = `site "b"`
	var ecs struct {
		Observer map[string]any `json:"observer"`
	}
	if out := appendECS(nil, eventOf(flowAlert(), "e"), &c); json.Unmarshal(out, &ecs) != nil || ecs.Observer["name"] != `site "b"` {
		t.Fatalf("ECS observer.name: %s", out)
	}
	if out := appendECS(nil, eventOf(flowAlert(), "e"), testCtx); strings.Contains(string(out), `"name":"site`) {
		t.Fatalf("ECS observer.name without an instance: %s", out)
	}
	for _, e := range []*Event{eventOf(hostAlert(1), "a"), {ID: "b", JSON: []byte(`{}`)}, {ID: "c", JSON: []byte(`{"x":1}`)}, {ID: "d", JSON: []byte(`[1]`)}} {
		out := appendJSON(nil, e, &c)
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if m["instance"] != `site "b"` || m["event_id"] != e.ID {
			t.Fatalf("instance or id missing: %s", out)
		}
	}
}

// splitCEF splits a CEF line into its 7 header fields and the extension,
// honouring the header escapes.
func splitCEF(t *testing.T, s string) ([]string, map[string]string) {
	t.Helper()
	var fields []string
	var cur strings.Builder
	i := 0
	for ; i < len(s) && len(fields) < 7; i++ {
		switch s[i] {
		case '\\':
			i++
			cur.WriteByte(s[i])
		case '|':
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	ext := map[string]string{}
	rest := s[i:]
	// Keys are the words before an unescaped '='; values run to the next key.
	var key string
	cur.Reset()
	for j := 0; j < len(rest); j++ {
		c := rest[j]
		switch {
		case c == '\\':
			j++
			switch rest[j] {
			case 'n':
				cur.WriteByte('\n')
			case 'r':
				cur.WriteByte('\r')
			default:
				cur.WriteByte(rest[j])
			}
		case c == '=':
			v := cur.String()
			if key != "" {
				sp := strings.LastIndexByte(v, ' ')
				ext[key] = v[:sp]
				v = v[sp+1:]
			}
			key = v
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if key != "" {
		ext[key] = cur.String()
	}
	return fields, ext
}

func TestCEF(t *testing.T) {
	a := flowAlert()
	line := string(appendCEF(nil, eventOf(a, "fg-9"), &formatCtx{Hostname: "fg1", App: "flow|gate", Version: `1\0`, Loc: testCtx.Loc}))
	if !strings.HasPrefix(line, `CEF:0|ntop|flow\|gate|1\\0|8|Flow Blacklisted|5|`) {
		t.Fatalf("header (pipes and backslashes escaped, severity 5 for warning): %s", line)
	}
	if strings.ContainsAny(line, "\n\r") {
		t.Fatalf("CEF must be one line: %q", line)
	}
	hdr, ext := splitCEF(t, line)
	if len(hdr) != 7 || hdr[0] != "CEF:0" || hdr[2] != "flow|gate" || hdr[3] != `1\0` {
		t.Fatalf("header fields: %q", hdr)
	}
	want := map[string]string{"rt": "1604311200000", "src": "10.0.0.1", "spt": "40000", "dst": "8.8.8.8",
		"dpt": "443", "proto": "TCP", "app": "TLS.Google", "act": "store", "cat": "alert_flow_blacklisted",
		"externalId": "fg-9", "dvchost": "fg1", "cs1Label": "entity", "cs1": "flow", "cn1": "1",
		"cs4": `{"info":"evil|host=x\\y","status_info":"{}"}`, "msg": `evil|host=x\y [Flow: 10.0.0.1:40000 8.8.8.8:443] [TCP] [Application: TLS.Google]`, "cn2": "100", "out": "1000", "in": "2000"}
	for k, v := range want {
		if ext[k] != v {
			t.Errorf("extension %s = %q, want %q (line %s)", k, ext[k], v, line)
		}
	}
	if !strings.Contains(line, `cs4={"info":"evil|host\=x\\\\y"`) {
		t.Errorf("extension escaping of = and \\: %s", line)
	}
	// Severity scale and line breaks in values.
	for s, want := range map[alerts.Severity]int{1: 0, 2: 1, 3: 3, 4: 5, 5: 7, 6: 8, 7: 9, 8: 10} {
		if got := CEFSeverity(s); got != want {
			t.Errorf("CEFSeverity(%v)=%d want %d", s, got, want)
		}
	}
	h := hostAlert(1)
	h.JSON = "{\"a\":\"x\ny\"}"
	line = string(appendCEF(nil, eventOf(h, "id"), testCtx))
	if !strings.Contains(line, `src=192.168.1.10`) || strings.Contains(line, "\n") {
		t.Fatalf("host CEF: %q", line)
	}
}

func TestECS(t *testing.T) {
	out := appendECS(nil, eventOf(flowAlert(), "fg-9"), testCtx)
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	get := func(path string) any {
		var cur any = doc
		for _, p := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
	want := map[string]any{
		"@timestamp": "2020-11-02T10:00:00Z", "ecs.version": ECSVersion,
		"event.kind": "alert", "event.id": "fg-9", "event.code": "alert_flow_blacklisted",
		"event.action": "store", "event.severity": 4.0, "event.risk_score": 100.0,
		"event.module": "flowgate", "event.dataset": "flowgate.alerts",
		"event.start": "2020-11-02T10:00:00Z",
		"rule.id":     "8", "rule.name": "Flow Blacklisted", "rule.ruleset": "ntopng",
		"source.ip": "10.0.0.1", "source.port": 40000.0, "source.bytes": 1000.0, "source.packets": 10.0,
		"source.geo.country_iso_code": "IT",
		"destination.ip":              "8.8.8.8", "destination.port": 443.0, "destination.bytes": 2000.0,
		"network.transport": "tcp", "network.iana_number": "6", "network.protocol": "tls.google",
		"observer.vendor": "ntop", "observer.product": "flowgate", "observer.hostname": "fg1",
		"log.level": "warning", "labels.alert_entity": "flow",
	}
	for k, v := range want {
		if got := get(k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	// ECS: event.category and event.type are arrays of allowed values.
	if c, _ := get("event.category").([]any); len(c) == 0 || c[0] != "network" {
		t.Errorf("event.category: %v", get("event.category"))
	}
	if ty, _ := get("event.type").([]any); len(ty) != 2 || ty[0] != "info" || ty[1] != "indicator" {
		t.Errorf("event.type: %v", get("event.type"))
	}
	if _, err := json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	// A released host alert: start and end, host.ip.
	h := hostAlert(1)
	h.Action, h.TstampEnd = alerts.ActionRelease, 1604311260
	out = appendECS(nil, eventOf(h, "x"), testCtx)
	doc = nil
	_ = json.Unmarshal(out, &doc)
	if get("event.end") != "2020-11-02T10:01:00Z" || get("event.start") != "2020-11-02T10:00:00Z" {
		t.Errorf("release times: %s", out)
	}
	if ips, _ := get("host.ip").([]any); len(ips) != 1 || ips[0] != "192.168.1.10" {
		t.Errorf("host.ip: %s", out)
	}
}

func TestRFC5424Message(t *testing.T) {
	sp, err := ParseURL("syslog+tcp://127.0.0.1:514?format=rfc5424")
	if err != nil {
		t.Fatal(err)
	}
	m := New(Configuration{Hostname: "fg1", Location: testCtx.Loc})
	m.fctx = *testCtx
	e, err := newSyslog(sp, m)
	if err != nil {
		t.Fatal(err)
	}
	a := hostAlert(1)
	a.Subtype = `a"b]c\d`
	got := string(e.message(nil, eventOf(a, "fg-1"), formatters["rfc5424"], "fg1"))
	want := `<131>1 2020-11-02T10:00:00Z fg1 flowgate - alert [flowgate@32473 id="fg-1" type="alert_threshold_cross" severity="error" entity="host" entity_val="192.168.1.10@0" action="engage" ifid="0" subtype="a\"b\]c\\d"] [02/11/2020 10:00:00]  [eth0] [Error]`
	if !strings.HasPrefix(got, want) {
		t.Fatalf("rfc5424:\n got %s\nwant %s...", got, want)
	}
	// RFC 3164 framing for the text format, as ntopng sends it.
	sp, _ = ParseURL("syslog+udp://127.0.0.1:514")
	e, _ = newSyslog(sp, m)
	got = string(e.message(nil, eventOf(hostAlert(1), "x"), formatters["text"], "fg1"))
	if !strings.HasPrefix(got, "<131>Nov  2 10:00:00 fg1 flowgate: [02/11/2020") {
		t.Fatalf("rfc3164: %s", got)
	}
}
