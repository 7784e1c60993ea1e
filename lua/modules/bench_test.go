package modules

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// BenchmarkEncodeHostList is the active-hosts export of the seeds: one
// json.encode of 1,000 hosts per run.
func BenchmarkEncodeHostList(b *testing.B) {
	L, _ := newState(b)
	if err := L.DoString(`
json = require("dkjson")
hosts = {}
for i = 1, 1000 do
  hosts[i] = {ip = "10.0." .. math.floor(i / 256) .. "." .. (i % 256), vlan = 0, ["bytes.sent"] = i * 1000,
    ["bytes.rcvd"] = i * 2000, name = "host-" .. i, localhost = (i % 2 == 0), score = i % 100}
end
payload = {when = 1604300000, hosts = hosts}`); err != nil {
		b.Fatal(err)
	}
	encode := L.GetField(L.GetGlobal("json"), "encode")
	payload := L.GetGlobal("payload")
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		if err := L.CallByParam(lua.P{Fn: encode, NRet: 1, Protect: true}, payload); err != nil {
			b.Fatal(err)
		}
		n = len(L.Get(-1).(lua.LString))
		L.Pop(1)
	}
	b.SetBytes(int64(n))
}

func BenchmarkDecodeHostList(b *testing.B) {
	L, _ := newState(b)
	if err := L.DoString(`
json = require("dkjson")
local hosts = {}
for i = 1, 1000 do hosts[i] = {ip = "10.0.0." .. (i % 256), bytes = i * 1000, name = "host-" .. i} end
text = json.encode({hosts = hosts})`); err != nil {
		b.Fatal(err)
	}
	decode := L.GetField(L.GetGlobal("json"), "decode")
	text := L.GetGlobal("text")
	b.SetBytes(int64(len(text.(lua.LString))))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := L.CallByParam(lua.P{Fn: decode, NRet: 1, Protect: true}, text); err != nil {
			b.Fatal(err)
		}
		L.Pop(1)
	}
}
