package api

import (
	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
)

func (b *binding) network(L *lua.LState) *engine.NetworkStats {
	n := b.ctx.Network
	if n == nil {
		L.RaiseError("network.* called without a network (only network hooks have one)")
	}
	return n
}

func networkRef(b *binding, L *lua.LState) entityRef {
	return entityRef{alerts.EntityNetwork, b.network(L).Prefix.String()}
}

func init() {
	register("network", append(entityFuncs("network", networkRef), []luaFn{
		fn("getNetworkStats", func(b *binding, L *lua.LState) int {
			L.Push(b.networkStats(L, b.network(L)))
			return 1
		}),
		fn("checkContext", func(b *binding, L *lua.LState) int {
			key := L.CheckString(1)
			if b.ctx.Tables != nil {
				for _, n := range b.ctx.Tables.Networks() {
					if n.Prefix.String() == key {
						b.ctx.Network = n
						L.Push(lua.LTrue)
						return 1
					}
				}
			}
			L.RaiseError("network.checkContext: network %q not found", key)
			return 0
		}),
	}...))
}

// networkStats is 4.2's NetworkStats::lua for what flowgate counts.
func (b *binding) networkStats(L *lua.LState, n *engine.NetworkStats) *lua.LTable {
	t := L.CreateTable(0, 16)
	key := n.Prefix.String()
	t.RawSetString("network_key", lua.LString(key))
	b.setN(t, "network_id", float64(n.ID))
	b.setN(t, "num_hosts", float64(n.Hosts))
	engaged := 0
	if b.ctx.Alerts != nil {
		engaged = len(b.ctx.Alerts.Engaged(b.ifid(), alerts.EntityNetwork, key))
	}
	b.setN(t, "engaged_alerts", float64(engaged))
	b.setN(t, "ingress", float64(n.BytesIngress))
	b.setN(t, "egress", float64(n.BytesEgress))
	b.setN(t, "inner", float64(n.BytesInner))
	bc := L.CreateTable(0, 3)
	for _, k := range []string{"ingress", "egress", "inner"} {
		bc.RawSetString(k, lua.LNumber(0))
	}
	t.RawSetString("broadcast", bc)
	b.setN(t, "throughput_bps", n.ThroughputBps)
	b.setN(t, "throughput_pps", 0)
	b.setN(t, "bytes.sent", float64(n.BytesEgress))
	b.setN(t, "bytes.rcvd", float64(n.BytesIngress))
	return t
}
