package api

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
)

// BenchmarkFlowGetters calls each common flow getter from Lua (a compiled
// `return flow.X()` chunk called through CallByParam, as a hook runner
// calls hooks), and a hook reading two fields.
func BenchmarkFlowGetters(b *testing.B) {
	e := newEnv(b, Deps{})
	e.process(tlsFlow)
	cases := []struct{ name, src string }{
		{"getBytes", "return flow.getBytes()"},
		{"getPackets", "return flow.getPackets()"},
		{"getDuration", "return flow.getDuration()"},
		{"getnDPIAppProtoId", "return flow.getnDPIAppProtoId()"},
		{"getnDPIProtocolName", "return flow.getnDPIProtocolName()"},
		{"getnDPICategoryName", "return flow.getnDPICategoryName()"},
		{"getClientKey", "return flow.getClientKey()"},
		{"isLocalToRemote", "return flow.isLocalToRemote()"},
		{"isTwhOK", "return flow.isTwhOK()"},
		{"getStatus", "return flow.getStatus()"},
		{"getDnsQuery", "return flow.getDnsQuery()"},
		{"getInfo", "return flow.getInfo()"},
		{"hook_two_fields", "local b = flow.getBytes() local p = flow.getnDPIProtocolName() return b"},
	}
	e.iface.Do(func(tb *engine.Tables) {
		var f *engine.Flow
		tb.Flows(func(x *engine.Flow) bool { f = x; return false })
		e.ctx.Tables, e.ctx.Flow = tb, f
		for _, c := range cases {
			// The chunk is the body of a function called n times from a
			// Lua loop, so the figure is the getter plus a Lua call, not
			// the Go→Lua entry (the runner's cost, measured by lua/scripts).
			fnv, err := e.L.LoadString("local n = ... local function h() " + c.src + " end for i = 1, n do h() end")
			if err != nil {
				b.Fatal(err)
			}
			b.Run(c.name, func(b *testing.B) {
				b.ReportAllocs()
				if err := e.L.CallByParam(lua.P{Fn: fnv, NRet: 0, Protect: true}, lua.LNumber(b.N)); err != nil {
					b.Fatal(err)
				}
			})
		}
	})
}

// BenchmarkGeoLookup is a cached GeoIP lookup (the per-flow cost of
// getServerCountry after the first call for an address).
func BenchmarkGeoLookup(b *testing.B) {
	g := testGeoIP(b)
	ip := parseAddr("8.8.8.8")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if g.Lookup(ip).Country != "US" {
			b.Fatal("lookup")
		}
	}
}
