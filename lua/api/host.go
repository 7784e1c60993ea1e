package api

import (
	"net/netip"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/engine/ndpi"
)

func (b *binding) host(L *lua.LState) *engine.Host {
	h := b.ctx.Host
	if h == nil {
		L.RaiseError("host.* called without a host (only host hooks have one)")
	}
	return h
}

func hostRef(b *binding, L *lua.LState) entityRef {
	h := b.host(L)
	return entityRef{alerts.EntityHost, hostKey(h.IP(), h.VLAN())}
}

func hostVal(name string, get func(b *binding, L *lua.LState, h *engine.Host) lua.LValue) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int {
		L.Push(get(b, L, b.host(L)))
		return 1
	})
}

// pairTable builds {[k1]=v1, [k2]=v2}.
func (b *binding) pairTable(L *lua.LState, k1 string, v1 float64, k2 string, v2 float64) *lua.LTable {
	t := L.CreateTable(0, 2)
	b.setN(t, k1, v1)
	b.setN(t, k2, v2)
	return t
}

func init() {
	register("host", append(entityFuncs("host", hostRef), []luaFn{
		hostVal("getIp", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			t := L.CreateTable(0, 2)
			t.RawSetString("ip", lua.LString(h.IP().String()))
			b.setN(t, "vlan", float64(h.VLAN()))
			return t
		}),
		hostVal("isLocal", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return lua.LBool(h.Local) }),
		hostVal("getApplicationBytes", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			id := uint16(L.CheckInt(1))
			for _, s := range h.L7 {
				if s.Proto == id {
					return b.n(float64(s.BytesSent + s.BytesRcvd))
				}
			}
			return lua.LNumber(0)
		}),
		hostVal("getCategoryBytes", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			cat := ndpi.Category(L.CheckInt(1))
			var sum uint64
			for _, s := range h.L7 {
				if ndpi.CategoryOf(s.Proto) == cat {
					sum += s.BytesSent + s.BytesRcvd
				}
			}
			return b.n(float64(sum))
		}),
		hostVal("getBytes", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			return b.pairTable(L, "bytes.sent", float64(h.BytesSent), "bytes.rcvd", float64(h.BytesRcvd))
		}),
		hostVal("getPackets", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			return b.pairTable(L, "packets.sent", float64(h.PktsSent), "packets.rcvd", float64(h.PktsRcvd))
		}),
		hostVal("getNumFlows", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			return b.pairTable(L, "total_flows.as_client", float64(h.TotalAsClient), "total_flows.as_server", float64(h.TotalAsServer))
		}),
		hostVal("getTime", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			t := L.CreateTable(0, 4)
			b.setN(t, "seen.first", float64(h.FirstSeen))
			b.setN(t, "seen.last", float64(h.LastSeen))
			b.setN(t, "duration", float64(h.LastSeen-h.FirstSeen))
			b.setN(t, "total_activity_time", float64(h.LastSeen-h.FirstSeen))
			return t
		}),
		hostVal("getPoolId", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			t := L.CreateTable(0, 1)
			t.RawSetString("host_pool_id", lua.LNumber(b.hostPoolID(h)))
			return t
		}),
		hostVal("getDNSInfo", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			// Per-host DNS counters need packets; collected flows give none.
			dns := L.NewTable()
			for _, dir := range []string{"sent", "rcvd"} {
				d := L.NewTable()
				for _, k := range []string{"num_queries", "num_replies_ok", "num_replies_error"} {
					d.RawSetString(k, lua.LNumber(0))
				}
				d.RawSetString("queries", L.NewTable())
				dns.RawSetString(dir, d)
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("dns", dns)
			return t
		}),
		hostVal("getHTTPInfo", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return L.NewTable() }),
		hostVal("getTsKey", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return lua.LString(tsKey(h)) }),
		hostVal("getInfo", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return b.hostInfo(L, h, false) }),
		hostVal("getFullInfo", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return b.hostInfo(L, h, true) }),
		hostVal("getSynFlood", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return L.NewTable() }),
		hostVal("getFlowFlood", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return L.NewTable() }),
		hostVal("getSynScan", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return L.NewTable() }),
		hostVal("getScore", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue {
			t := L.CreateTable(0, 4)
			for _, k := range []string{"score", "score.as_client", "score.as_server", "score.total"} {
				t.RawSetString(k, lua.LNumber(0))
			}
			return t
		}),
		hostVal("getBehaviourInfo", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { return lua.LNil }),
		hostVal("getLocalhostInfo", func(b *binding, L *lua.LState, h *engine.Host) lua.LValue { // 4.0
			t := L.CreateTable(0, 2)
			t.RawSetString("localhost", lua.LBool(h.Local))
			t.RawSetString("systemhost", lua.LFalse)
			return t
		}),
		fn("refreshScore", func(b *binding, L *lua.LState) int { b.host(L); return 0 }), // 4.0; scores are not kept
		fn("checkContext", func(b *binding, L *lua.LState) int {
			// Switch to host "ip@vlan" of the current interface.
			ip, vlan := parseHostKey(L.CheckString(1))
			var h *engine.Host
			if ip.IsValid() && b.ctx.Tables != nil {
				h = b.ctx.Tables.Host(ip, vlan)
			}
			if h == nil {
				L.RaiseError("host.checkContext: host %q not found", L.CheckString(1))
			}
			b.ctx.Host = h
			L.Push(lua.LTrue)
			return 1
		}),
	}...))
}

// parseHostKey splits "ip@vlan" (vlan optional).
func parseHostKey(k string) (netip.Addr, uint16) {
	ipS, vS, _ := strings.Cut(k, "@")
	ip, err := netip.ParseAddr(ipS)
	if err != nil {
		return netip.Addr{}, 0
	}
	v, _ := strconv.Atoi(vS)
	return ip, uint16(v)
}

// tsKey is ntopng's host timeseries key: the IP, with "@vlan" when non-zero.
func tsKey(h *engine.Host) string {
	if h.VLAN() != 0 {
		return hostKey(h.IP(), h.VLAN())
	}
	return h.IP().String()
}

// hostInfo is Host::lua for the keys flowgate's hosts have; full adds
// geolocation and per-protocol traffic.
func (b *binding) hostInfo(L *lua.LState, h *engine.Host, full bool) *lua.LTable {
	ip := h.IP()
	t := L.CreateTable(0, 40)
	t.RawSetString("ip", lua.LString(ip.String()))
	b.setN(t, "vlan", float64(h.VLAN()))
	t.RawSetString("name", lua.LString(ip.String()))
	t.RawSetString("tskey", lua.LString(tsKey(h)))
	t.RawSetString("ipkey", lua.LString(ip.String()))
	b.setN(t, "bytes.sent", float64(h.BytesSent))
	b.setN(t, "bytes.rcvd", float64(h.BytesRcvd))
	b.setN(t, "packets.sent", float64(h.PktsSent))
	b.setN(t, "packets.rcvd", float64(h.PktsRcvd))
	b.setN(t, "host_pool_id", float64(b.hostPoolID(h)))
	t.RawSetString("localhost", lua.LBool(h.Local))
	t.RawSetString("privatehost", lua.LBool(ip.IsPrivate()))
	t.RawSetString("systemhost", lua.LFalse)
	t.RawSetString("is_blacklisted", lua.LBool(b.hostBlacklisted(ip)))
	t.RawSetString("is_broadcast", lua.LBool(h.IsBroadcast))
	t.RawSetString("is_multicast", lua.LBool(h.IsMulticast))
	b.setN(t, "num_alerts", float64(h.NumAlerts))
	b.setN(t, "total_flows.as_client", float64(h.TotalAsClient))
	b.setN(t, "total_flows.as_server", float64(h.TotalAsServer))
	b.setN(t, "active_flows.as_client", float64(h.ActiveAsClient))
	b.setN(t, "active_flows.as_server", float64(h.ActiveAsServer))
	b.setN(t, "contacts.as_client", float64(h.NumPeers()))
	b.setN(t, "seen.first", float64(h.FirstSeen))
	b.setN(t, "seen.last", float64(h.LastSeen))
	b.setN(t, "duration", float64(h.LastSeen-h.FirstSeen))
	b.setN(t, "throughput_bps", h.ThptBps)
	b.setN(t, "throughput_pps", h.ThptPps)
	b.setN(t, "network_id", float64(h.Network))
	for _, k := range []string{"score", "score.as_client", "score.as_server"} {
		t.RawSetString(k, lua.LNumber(0))
	}
	g := b.deps.GeoIP.Lookup(ip)
	b.setN(t, "asn", float64(g.ASN))
	t.RawSetString("asname", lua.LString(g.ASName))
	t.RawSetString("country", lua.LString(g.Country))
	t.RawSetString("os", lua.LString(""))
	if !full {
		return t
	}
	t.RawSetString("city", lua.LString(g.City))
	b.setN(t, "latitude", g.Latitude)
	b.setN(t, "longitude", g.Longitude)
	nd := L.CreateTable(0, len(h.L7))
	for _, s := range h.L7 {
		p := L.CreateTable(0, 4)
		b.setN(p, "bytes.sent", float64(s.BytesSent))
		b.setN(p, "bytes.rcvd", float64(s.BytesRcvd))
		b.setN(p, "packets.sent", float64(s.PktsSent))
		b.setN(p, "packets.rcvd", float64(s.PktsRcvd))
		nd.RawSetString(ndpi.Name(s.Proto), p)
	}
	t.RawSetString("ndpi", nd)
	return t
}
