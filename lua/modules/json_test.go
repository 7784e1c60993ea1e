package modules

import (
	"fmt"
	"strconv"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// The decoder fills tables through LTable's unexported fields; if the
// pinned gopher-lua changed their layout, decoding would silently take the
// slow path. Fail loudly instead.
func TestJSONTableLayout(t *testing.T) {
	if !tableLayout.ok {
		t.Fatal("gopher-lua's LTable layout is not the one fillObject knows: decoding falls back to RawSetString")
	}
}

// walk lists a table as Next sees it (what pairs and processFlow see).
func walk(tb *lua.LTable) string {
	s := ""
	for k, v := tb.Next(lua.LNil); k != lua.LNil; k, v = tb.Next(k) {
		if sub, ok := v.(*lua.LTable); ok {
			s += fmt.Sprintf("%s={%s} ", k, walk(sub))
			continue
		}
		s += fmt.Sprintf("%s=%s ", k, v)
	}
	return s
}

// Decoded objects are the tables RawSetString would have built: same
// members, same iteration order, duplicates last-wins in first position,
// and they behave as ordinary tables afterwards.
func TestJSONDecodeFillsTablesLikeRawSet(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1,"a":"x","c":true}`, `b=1 a=x c=true `},
		{`{"a":1,"b":2,"a":3}`, `a=3 b=2 `},
		{`{"a":null,"b":2}`, `b=2 `},
		{`{"o":{"k":[1,2,{"z":0}]},"p":{}}`, `o={k={1=1 2=2 3={z=0 } } } p={} `},
		{`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11}`,
			`k1=1 k2=2 k3=3 k4=4 k5=5 k6=6 k7=7 k8=8 k9=9 k10=10 k11=11 `},
	} {
		L, _ := newState(t)
		if err := L.DoString(`json = require("dkjson")`); err != nil {
			t.Fatal(err)
		}
		// Twice: the second decode takes its keys from the cache.
		for range 2 {
			if err := L.CallByParam(lua.P{Fn: L.GetField(L.GetGlobal("json"), "decode"), NRet: 1, Protect: true}, lua.LString(tc.in)); err != nil {
				t.Fatal(err)
			}
			v := L.Get(-1)
			L.Pop(1)
			tb, ok := v.(*lua.LTable)
			if !ok {
				t.Fatalf("%s: decoded %s", tc.in, v)
			}
			if got := walk(tb); got != tc.want {
				t.Errorf("%s: Next walks %q, want %q", tc.in, got, tc.want)
			}
		}
	}
	L, _ := newState(t)
	got, err := eval(L, `local json = require("dkjson")
		local v = json.decode('{"a":1,"b":2,"c":3}')
		v.b = nil; v.d = 4; v.a = 10; v[1] = "one"
		local n, sum = 0, 0
		for k, x in pairs(v) do n = n + 1; if type(x) == "number" then sum = sum + x end end
		return n .. ":" .. sum .. ":" .. json.encode(v)`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `4:17:{"1":"one","a":10,"c":3,"d":4}`; got != want {
		t.Errorf("decoded table edited: %q, want %q", got, want)
	}
}

// The integer fast path gives what strconv.ParseFloat gives, and errors
// stay the slow path's.
func TestJSONDecodeNumbers(t *testing.T) {
	L, _ := newState(t)
	for _, s := range []string{"0", "7", "4095", "4096", "65535", "007", "123456789012345", "1234567890123456789",
		"-0", "-12", "1.5", "1e3", "2E-2", "10.0", "99999999999999999999"} {
		got, err := eval(L, `local v, pos = require("dkjson").decode("[`+s+`]"); return string.format("%.17g|%d", v[1], pos)`)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := strconv.ParseFloat(s, 64)
		if want := fmt.Sprintf("%.17g|%d", f, len(s)+3); got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
	}
	got, err := eval(L, `local v, pos, err = require("dkjson").decode("[12-3]"); return tostring(v) .. "|" .. err`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "nil|invalid number '12-3' at line 1, column 2"; got != want {
		t.Errorf("bad number: %q, want %q", got, want)
	}
}

func BenchmarkDecodeEVE(b *testing.B) {
	L, _ := newState(b)
	if err := L.DoString(`json = require("dkjson")`); err != nil {
		b.Fatal(err)
	}
	decode := L.GetField(L.GetGlobal("json"), "decode")
	text := lua.LString(`{"timestamp":"2026-11-22T00:30:00.000100+0000","flow_id":1001,"in_iface":"eth0","event_type":"flow","src_ip":"192.168.10.5","src_port":51514,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1800,"bytes_toclient":9200,"start":"2026-11-22T00:29:50.000000+0000","end":"2026-11-22T00:29:59.000000+0000","age":9,"state":"closed","reason":"timeout","alerted":false},"community_id":"1:abc="}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := L.CallByParam(lua.P{Fn: decode, NRet: 1, Protect: true}, text); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}
