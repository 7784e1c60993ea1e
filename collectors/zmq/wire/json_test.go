package wire

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"flowgate/engine"
)

func TestKeyResolution(t *testing.T) {
	tests := []struct {
		name string
		body string
		want func(r engine.FlowRecord) bool
	}{
		{"decimal id", `{"8":"1.2.3.4"}`, func(r engine.FlowRecord) bool { return r.SrcIP == netip.MustParseAddr("1.2.3.4") }},
		{"symbolic", `{"IPV4_SRC_ADDR":"1.2.3.4"}`, func(r engine.FlowRecord) bool { return r.SrcIP == netip.MustParseAddr("1.2.3.4") }},
		{"dotted ntop short", `{"35632.118":7}`, func(r engine.FlowRecord) bool { return r.L7App == 7 && r.L7Set }},
		{"dotted ntop full", `{"35632.57590":7}`, func(r engine.FlowRecord) bool { return r.L7App == 7 && r.L7Set }},
		{"dotted PEN 0", `{"0.8":"1.2.3.4"}`, func(r engine.FlowRecord) bool { return r.SrcIP.IsValid() }},
		{"fallthrough quirk IE 118 → L7_PROTO", `{"118":9}`, func(r engine.FlowRecord) bool { return r.L7App == 9 && r.L7Set }},
		{"fallthrough quirk IE 205 → DNS_QUERY", `{"205":"q.example"}`, func(r engine.FlowRecord) bool { return r.DNSQuery == "q.example" }},
		{"SSL_SERVER_NAME alias", `{"SSL_SERVER_NAME":"sni"}`, func(r engine.FlowRecord) bool { return r.TLSServerName == "sni" }},
		{"POST_NAPT alias", `{"POST_NAPT_SRC_TRANSPORT_PORT":1234}`, func(r engine.FlowRecord) bool { return r.PostNATSrcPort == 1234 }},
		{"other PEN → additional", `{"9999.8":"1.2.3.4"}`, func(r engine.FlowRecord) bool {
			return !r.SrcIP.IsValid() && reflect.DeepEqual(r.Additional, []engine.Field{{Key: "9999.8", Value: "1.2.3.4"}})
		}},
		{"unknown name → additional", `{"FOO":1}`, func(r engine.FlowRecord) bool {
			return reflect.DeepEqual(r.Additional, []engine.Field{{Key: "FOO", Value: "1"}})
		}},
		{"known but uninterpreted id → additional", `{"57827":"pc1"}`, func(r engine.FlowRecord) bool {
			return reflect.DeepEqual(r.Additional, []engine.Field{{Key: "57827", Value: "pc1"}})
		}},
		{"DHCP_CLIENT_NAME has no label", `{"DHCP_CLIENT_NAME":"pc1"}`, func(r engine.FlowRecord) bool {
			return reflect.DeepEqual(r.Additional, []engine.Field{{Key: "DHCP_CLIENT_NAME", Value: "pc1"}})
		}},
		{"id overflowing uint32 → additional", `{"99999999999":1}`, func(r engine.FlowRecord) bool { return len(r.Additional) == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := decodeJSON1(t, tt.body); !tt.want(r) {
				t.Errorf("%s → %+v", tt.body, r)
			}
		})
	}
}

func TestTemplateOverride(t *testing.T) {
	l := NewLabels()
	n, missing, err := l.ApplyTemplate([]byte(`[
		{"PEN":0,"field":1,"len":4,"format":"formatted_uint","name":"IN_BYTES","descr":"x"},
		{"PEN":0,"field":2,"name":"IN_PKTS"},
		{"PEN":35632,"field":205,"name":"MY_QUERY"},
		{"PEN":0,"field":23,"name":"L4_SRC_PORT"},
		{"field":22,"name":"FIRST_SWITCHED"},
		{"PEN":0,"name":"NO_FIELD"},
		{"PEN":0,"field":5}
	]`))
	if err != nil || n != 5 {
		t.Fatalf("n %d err %v", n, err)
	}
	wantMissing := []string{"LAST_SWITCHED", "L4_DST_PORT", "IP_PROTOCOL_VERSION", "PROTOCOL", "OUT_BYTES", "OUT_PKTS"}
	if !reflect.DeepEqual(missing, wantMissing) {
		t.Errorf("missing %v", missing)
	}
	d := NewDecoder(Config{Labels: l})
	recs, err := decodeAll(t, d, FormatJSON, []byte(`{"MY_QUERY":"a.b","L4_SRC_PORT":500,"IN_BYTES":3}`))
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	r := recs[0]
	if r.DNSQuery != "a.b" || r.OutBytes != 500 || r.SrcPort != 0 || r.InBytes != 3 {
		t.Errorf("template not applied: %+v", r)
	}
	// Clone is independent; the defaults are untouched.
	c := l.Clone()
	c.Set("MY_QUERY", FieldID{0, 57660})
	if id, _ := l.Lookup("MY_QUERY"); id.ID != 205 {
		t.Error("Clone shares the overlay")
	}
	if id, _ := NewLabels().Lookup("L4_SRC_PORT"); id.ID != 7 {
		t.Error("defaults modified by a template")
	}
	for _, bad := range []struct{ body, reason string }{{`{}`, ReasonJSONType}, {`[1]`, ReasonJSONType}, {`[{"name":`, ReasonJSONSyntax}} {
		if _, _, err := NewLabels().ApplyTemplate([]byte(bad.body)); Reason(err) != bad.reason {
			t.Errorf("%s: %v, want %s", bad.body, err, bad.reason)
		}
	}
}

func TestValueTyping(t *testing.T) {
	tests := []struct {
		name string
		body string
		want func(r engine.FlowRecord) bool
	}{
		{"int|s atoi", `{"1":"100","2":"7x","21":"1729766401"}`, func(r engine.FlowRecord) bool {
			return r.InBytes == 100 && r.InPkts == 7 && r.LastSwitched == 1729766401
		}},
		{"int ignores strings", `{"5":"5","6":"2"}`, func(r engine.FlowRecord) bool { return r.SrcTOS == 0 && r.TCPFlags == 0 }},
		{"double gives int_num 0", `{"1":1.5,"2":2e0}`, func(r engine.FlowRecord) bool { return r.InBytes == 0 && r.InPkts == 0 }},
		{"latency num from int and float", `{"57595":2,"57597":0.25}`, func(r engine.FlowRecord) bool {
			return r.ClientLatencyMs == 2 && r.ApplLatencyMs == 0.25 && r.HasLatency == 5
		}},
		{"L7 master.app", `{"57590":"7.178"}`, func(r engine.FlowRecord) bool { return r.L7Master == 7 && r.L7App == 178 && r.L7Set }},
		{"L7 single string", `{"57590":"5"}`, func(r engine.FlowRecord) bool { return r.L7Master == 0 && r.L7App == 5 }},
		{"L7 0/0 still set", `{"57590":0}`, func(r engine.FlowRecord) bool { return r.L7Set && r.L7App == 0 }},
		{"VLAN > 4095 → 0", `{"58":5000}`, func(r engine.FlowRecord) bool { return r.VLAN == 0 }},
		{"outer VLAN when 0", `{"243":100}`, func(r engine.FlowRecord) bool { return r.VLAN == 100 }},
		{"outer VLAN not over inner", `{"58":10,"254":100}`, func(r engine.FlowRecord) bool { return r.VLAN == 10 }},
		{"inner VLAN overrides outer", `{"243":100,"59":10}`, func(r engine.FlowRecord) bool { return r.VLAN == 10 }},
		{"address as BE integer", `{"8":16909060,"12":"::1"}`, func(r engine.FlowRecord) bool {
			return r.SrcIP == netip.MustParseAddr("1.2.3.4") && r.DstIP == netip.MustParseAddr("::1")
		}},
		{"address not overwritten; :: never replaces v4", `{"8":"1.1.1.1","27":"2001:db8::1","12":"2.2.2.2","28":"::"}`, func(r engine.FlowRecord) bool {
			return r.SrcIP == netip.MustParseAddr("1.1.1.1") && r.DstIP == netip.MustParseAddr("2.2.2.2")
		}},
		{"ports first wins, string ports atoi", `{"7":"8080","7":9,"11":443}`, func(r engine.FlowRecord) bool { return r.SrcPort == 8080 && r.DstPort == 443 }},
		{"MAC", `{"56":"aa:BB:0c:d:ee:ff","57":12345}`, func(r engine.FlowRecord) bool {
			return r.SrcMAC == [6]byte{0xaa, 0xbb, 0x0c, 0x0d, 0xee, 0xff} && r.DstMAC == [6]byte{}
		}},
		{"bad MAC → zeros", `{"81":"aa:bb:cc"}`, func(r engine.FlowRecord) bool { return r.SrcMAC == [6]byte{} }},
		{"exporter from 130", `{"130":"192.0.2.1","57943":"198.51.100.7"}`, func(r engine.FlowRecord) bool {
			return r.ExporterIP == netip.MustParseAddr("192.0.2.1") && r.NProbeIP == netip.MustParseAddr("198.51.100.7") && len(r.Additional) == 0
		}},
		{"57943 fills missing exporter, also additional", `{"57943":"198.51.100.7"}`, func(r engine.FlowRecord) bool {
			return r.ExporterIP == netip.MustParseAddr("198.51.100.7") && r.NProbeIP == r.ExporterIP &&
				reflect.DeepEqual(r.Additional, []engine.Field{{Key: "57943", Value: "198.51.100.7"}})
		}},
		{"130 after 57943 wins", `{"57943":"198.51.100.7","130":"192.0.2.1"}`, func(r engine.FlowRecord) bool {
			return r.ExporterIP == netip.MustParseAddr("192.0.2.1")
		}},
		{"absolute counters", `{"231":100,"232":"200","298":3,"299":4}`, func(r engine.FlowRecord) bool {
			return r.Absolute && r.InBytes == 100 && r.OutBytes == 200 && r.InPkts == 3 && r.OutPkts == 4
		}},
		{"delta by default", `{"1":100}`, func(r engine.FlowRecord) bool { return !r.Absolute && r.Direction == 2 }},
		{"mask 0 consumed, non-zero additional", `{"9":0,"13":24}`, func(r engine.FlowRecord) bool {
			return reflect.DeepEqual(r.Additional, []engine.Field{{Key: "13", Value: "24"}})
		}},
		{"next hop", `{"15":"0.0.0.0","15":"10.0.0.1"}`, func(r engine.FlowRecord) bool {
			return reflect.DeepEqual(r.Additional, []engine.Field{{Key: "15", Value: "10.0.0.1"}})
		}},
		{"SIP call id hash", `{"57602":"abc@host"}`, func(r engine.FlowRecord) bool { return r.PrivateID == fnv1a("abc@host") && r.PrivateID != 0 }},
		{"client flags OR into tcp flags", `{"6":16,"57550":2,"57551":18}`, func(r engine.FlowRecord) bool {
			return r.TCPFlags == 18 && r.ClientTCPFlags == 2 && r.ServerTCPFlags == 18
		}},
		{"flow source out of range → 0", `{"58051":7}`, func(r engine.FlowRecord) bool { return r.FlowSource == 0 }},
		{"sampling interval ignored", `{"34":100,"42":5}`, func(r engine.FlowRecord) bool { return len(r.Additional) == 0 }},
		{"bool, null, object, array → raw additional", `{"1":true,"FOO":null,"BAR":{"a":[1,"x"]},"BAZ":[ ]}`, func(r engine.FlowRecord) bool {
			return r.InBytes == 0 && reflect.DeepEqual(r.Additional, []engine.Field{
				{Key: "1", Value: "true"}, {Key: "FOO", Value: "null"}, {Key: "BAR", Value: `{"a":[1,"x"]}`}, {Key: "BAZ", Value: "[ ]"}})
		}},
		{"uint64 beyond int64", `{"57981":18446744073709551615}`, func(r engine.FlowRecord) bool { return r.Risk == 1<<64-1 }},
		{"negative int to unsigned", `{"10":-1}`, func(r engine.FlowRecord) bool { return r.InIfIndex == 0xFFFFFFFF }},
		{"strings", `{"57652":"/u","57653":"404","57655":"ua","57657":"f","57658":"t","57661":"bt","57679":"28","57680":3,"57832":"POST","57833":"s","58011":"i","57982":"risk","136":"idle","147":"ssid","58048":"ja4","57961":"ja3c","57962":"ja3s","57591":"TLS.Google"}`,
			func(r engine.FlowRecord) bool {
				return r.HTTPURL == "/u" && r.HTTPRetCode == 404 && r.HTTPUserAgent == "ua" && r.SMTPMailFrom == "f" && r.SMTPRcptTo == "t" &&
					r.BitTorrent == "bt" && r.DNSQueryType == 28 && r.DNSRetCode == 3 && r.HTTPMethod == "POST" && r.HTTPSite == "s" &&
					r.L7Info == "i" && r.RiskName == "risk" && r.EndReason == "idle" && r.WLANSSID == "ssid" && r.JA4C == "ja4" &&
					r.JA3C == "ja3c" && r.JA3S == "ja3s" && r.L7Name == "TLS.Google" && len(r.Additional) == 0
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := decodeJSON1(t, tt.body); !tt.want(r) {
				t.Errorf("%s → %+v", tt.body, r)
			}
		})
	}
}

func TestJSONEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`"a\"b\\c\/d"`, `a"b\c/d`},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},
		{`"caf\u00e9"`, "café"},
		{`"\ud83d\ude00!"`, "😀!"},
		{`"\ud83dx"`, "\uFFFDx"},
		{`"\ude00"`, "\uFFFD"},
		{`"\ud83d\u0041"`, "\uFFFDA"},
		{`"raw ünïcode"`, "raw ünïcode"},
	}
	for _, tt := range tests {
		r := decodeJSON1(t, `{"57677":`+tt.in+`,"k\u00e9y":`+tt.in+`}`)
		if r.DNSQuery != tt.want {
			t.Errorf("%s → %q, want %q", tt.in, r.DNSQuery, tt.want)
		}
		if len(r.Additional) != 1 || r.Additional[0].Key != "kéy" || r.Additional[0].Value != tt.want {
			t.Errorf("%s: additional %+v", tt.in, r.Additional)
		}
	}
}

func TestJSONShapesAndErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		records int
		reason  string
	}{
		{"array", `[{"1":1},{"1":2}]`, 2, ""},
		{"object", ` {"1":1} `, 1, ""},
		{"empty array", `[ ]`, 0, ""},
		{"empty object", `{}`, 1, ""},
		{"whitespace everywhere", "[ {\n\"1\" :\t1 , \"2\":2 } ,\r{ } ]", 2, ""},
		{"trailing NUL from C producers", "{\"1\":1}\x00", 1, ""},
		{"empty", ``, 0, ReasonJSONSyntax},
		{"garbage", `hello`, 0, ReasonJSONSyntax},
		{"scalar", `42`, 0, ReasonJSONType},
		{"array of scalars", `[{"1":1},3]`, 1, ReasonJSONType},
		{"truncated second object keeps first", `[{"1":1},{"1":`, 1, ReasonJSONSyntax},
		{"missing comma", `[{"1":1} {"1":2}]`, 1, ReasonJSONSyntax},
		{"trailing comma in object", `{"1":1,}`, 0, ReasonJSONSyntax},
		{"trailing comma in array", `[{"1":1},]`, 1, ReasonJSONSyntax},
		{"single quotes", `{'1':1}`, 0, ReasonJSONSyntax},
		{"leading zero", `{"1":01}`, 0, ReasonJSONSyntax},
		{"plus sign", `{"1":+1}`, 0, ReasonJSONSyntax},
		{"bare dot", `{"1":1.}`, 0, ReasonJSONSyntax},
		{"bad exponent", `{"1":1e}`, 0, ReasonJSONSyntax},
		{"NaN", `{"1":NaN}`, 0, ReasonJSONSyntax},
		{"control char in string", "{\"1\":\"a\nb\"}", 0, ReasonJSONSyntax},
		{"bad escape", `{"1":"\x"}`, 0, ReasonJSONSyntax},
		{"short unicode escape", `{"1":"\u12"}`, 0, ReasonJSONSyntax},
		{"unterminated string", `{"1":"abc`, 0, ReasonJSONSyntax},
		{"bad literal", `{"1":tru}`, 0, ReasonJSONSyntax},
		{"bad nested", `{"1":{"a":}}`, 0, ReasonJSONSyntax},
		{"trailing data", `{"1":1} x`, 1, ReasonJSONSyntax},
		{"integer beyond uint64", `{"1":18446744073709551616}`, 0, ReasonJSONNumber},
		{"negative beyond int64", `{"1":-9223372036854775809}`, 0, ReasonJSONNumber},
		{"float overflow", `{"1":1e999}`, 0, ReasonJSONNumber},
		{"min int64 ok", `{"1":-9223372036854775808}`, 1, ""},
		{"too deep", `{"1":` + strings.Repeat("[", MaxJSONDepth+2) + strings.Repeat("]", MaxJSONDepth+2) + `}`, 0, ReasonJSONDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := decodeAll(t, NewDecoder(Config{}), FormatJSON, []byte(tt.body))
			if len(recs) != tt.records || Reason(err) != tt.reason {
				t.Errorf("records %d err %v, want %d %q", len(recs), err, tt.records, tt.reason)
			}
		})
	}
}

func TestMaxAdditional(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 100; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"X` + strings.Repeat("a", i) + `":1`)
	}
	b.WriteString("}")
	d := NewDecoder(Config{MaxAdditional: 10})
	recs, err := decodeAll(t, d, FormatJSON, []byte(b.String()))
	if err != nil || len(recs[0].Additional) != 10 {
		t.Errorf("err %v, %d additional fields", err, len(recs[0].Additional))
	}
}

func TestRoundTrips(t *testing.T) {
	flows := realisticFlows(20)
	flows[1].SrcIP, flows[1].DstIP = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	flows[2].Absolute = true
	flows[3].VLAN, flows[3].Direction = 42, 1
	flows[3].SrcMAC, flows[3].DstMAC = [6]byte{1, 2, 3, 4, 5, 6}, [6]byte{0xa, 0xb, 0xc, 0xd, 0xe, 0xf}
	flows[4].DNSQuery = "we\"ird\\name\n\x01é"
	flows[5].NProbeIP = netip.MustParseAddr("198.51.100.9")
	flows[6].SrcAS, flows[6].DstAS, flows[6].SrcTOS, flows[6].DstTOS = 64500, 64501, 8, 16
	flows[7].ApplLatencyMs, flows[7].HasLatency = 3.5, 4
	flows[8].L7Info, flows[8].L7Name = "info", "DNS"
	flows[9].RetrOut, flows[9].DNSRetCode = 2, 3

	t.Run("tlv", func(t *testing.T) {
		var w TLVWriter
		w.Begin()
		for i := range flows {
			EncodeTLVFlow(&w, &flows[i])
		}
		recs, err := decodeAll(t, NewDecoder(Config{}), FormatTLV, w.Bytes())
		if err != nil || !reflect.DeepEqual(recs, flows) {
			t.Errorf("err %v", err)
			diff(t, recs, flows)
		}
	})
	for _, symbolic := range []bool{false, true} {
		t.Run("json symbolic="+map[bool]string{false: "false", true: "true"}[symbolic], func(t *testing.T) {
			b := []byte{'['}
			for i := range flows {
				if i > 0 {
					b = append(b, ',')
				}
				b = AppendJSONFlow(b, &flows[i], symbolic)
			}
			b = append(b, ']')
			if symbolic && !strings.Contains(string(b), `"IPV4_SRC_ADDR":`) {
				t.Fatalf("not symbolic: %.200s", b)
			}
			recs, err := decodeAll(t, NewDecoder(Config{}), FormatJSON, b)
			if err != nil || !reflect.DeepEqual(recs, flows) {
				t.Errorf("err %v", err)
				diff(t, recs, flows)
			}
		})
	}
}

func diff(t *testing.T, got, want []engine.FlowRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d records, want %d", len(got), len(want))
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestJSONAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	flows := realisticFlows(100)
	for _, symbolic := range []bool{false, true} {
		b := []byte{'['}
		for i := range flows {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONFlow(b, &flows[i], symbolic)
		}
		b = append(b, ']')
		d := NewDecoder(Config{})
		emit := func(*engine.FlowRecord) {}
		d.DecodeJSONFlows(b, emit)
		if a := testing.AllocsPerRun(50, func() { d.DecodeJSONFlows(b, emit) }); a != 0 {
			t.Errorf("symbolic=%v: %v allocations per 100-flow message", symbolic, a)
		}
	}
}
