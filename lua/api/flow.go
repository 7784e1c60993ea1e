package api

import (
	"net/netip"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/engine/ndpi"
	"flowgate/lists"
)

// TCP flag bits as nProbe reports them.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// flow returns the hook's flow or raises the error ntopng raises when a
// flow.* function runs outside a flow hook.
func (b *binding) flow(L *lua.LState) *engine.Flow {
	f := b.ctx.Flow
	if f == nil {
		L.RaiseError("flow.* called without a flow (only flow hooks have one)")
	}
	return f
}

// flowNum makes a getter returning one number of the flow.
func flowNum(name string, get func(f *engine.Flow) float64) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int {
		L.Push(b.num.value(get(b.flow(L))))
		return 1
	})
}

// flowBool makes a predicate of the flow.
func flowBool(name string, get func(b *binding, f *engine.Flow) bool) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int {
		L.Push(lua.LBool(get(b, b.flow(L))))
		return 1
	})
}

// flowVal makes a getter returning one Lua value (string, table, nil).
func flowVal(name string, get func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int {
		L.Push(get(b, L, b.flow(L)))
		return 1
	})
}

func ext(f *engine.Flow) *engine.FlowExtra {
	if e := f.Extra(); e != nil {
		return e
	}
	return &noExtra
}

var noExtra engine.FlowExtra // read-only stand-in for flows without rare fields

func (b *binding) cliHost(f *engine.Flow) *engine.Host {
	if b.ctx.Tables == nil {
		return nil
	}
	return b.ctx.Tables.FlowClient(f)
}

func (b *binding) srvHost(f *engine.Flow) *engine.Host {
	if b.ctx.Tables == nil {
		return nil
	}
	return b.ctx.Tables.FlowServer(f)
}

func (b *binding) cliLocal(f *engine.Flow) bool {
	h := b.cliHost(f)
	return h != nil && h.Local
}

func (b *binding) srvLocal(f *engine.Flow) bool {
	h := b.srvHost(f)
	return h != nil && h.Local
}

func unicast(a netip.Addr, h *engine.Host) bool {
	if h != nil && (h.IsBroadcast || h.IsMulticast) {
		return false
	}
	return !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func twhOK(f *engine.Flow) bool {
	return f.Proto() == 6 && f.CliTCPFlags&(tcpSYN|tcpACK) == tcpSYN|tcpACK &&
		f.SrvTCPFlags&(tcpSYN|tcpACK) == tcpSYN|tcpACK
}

func retrPct(retr, pkts uint64) float64 {
	if pkts <= 10 {
		return 0
	}
	return float64(retr) / float64(pkts)
}

// country is the ISO code of ip, or nil when unknown (ntopng's contract).
func (b *binding) country(ip netip.Addr) lua.LValue {
	c := b.deps.GeoIP.Lookup(ip).Country
	if c == "" {
		return lua.LNil
	}
	return lua.LString(c)
}

func init() {
	register("flow", []luaFn{
		// counters and times
		flowNum("getKey", func(f *engine.Flow) float64 { return float64(f.Key()) }),
		flowNum("getHashEntryId", func(f *engine.Flow) float64 { return float64(f.ID()) }),
		flowNum("getFirstSeen", func(f *engine.Flow) float64 { return float64(f.FirstSeen) }),
		flowNum("getLastSeen", func(f *engine.Flow) float64 { return float64(f.LastSeen) }),
		flowNum("getDuration", func(f *engine.Flow) float64 { return float64(f.Duration()) }),
		flowNum("getPacketsSent", func(f *engine.Flow) float64 { return float64(f.CliPkts) }),
		flowNum("getPacketsRcvd", func(f *engine.Flow) float64 { return float64(f.SrvPkts) }),
		flowNum("getPackets", func(f *engine.Flow) float64 { return float64(f.Packets()) }),
		flowNum("getBytesSent", func(f *engine.Flow) float64 { return float64(f.CliBytes) }),
		flowNum("getBytesRcvd", func(f *engine.Flow) float64 { return float64(f.SrvBytes) }),
		flowNum("getBytes", func(f *engine.Flow) float64 { return float64(f.Bytes()) }),
		// Collected flows carry no payload sizes: goodput is the byte count.
		flowNum("getGoodputBytes", func(f *engine.Flow) float64 { return float64(f.Bytes()) }),
		flowNum("getnDPIMasterProtoId", func(f *engine.Flow) float64 { return float64(f.L7Master) }),
		flowNum("getnDPIAppProtoId", func(f *engine.Flow) float64 { return float64(f.L7App) }),
		flowNum("getnDPICategoryId", func(f *engine.Flow) float64 { return float64(f.Category) }),
		flowNum("getTLSVersion", func(f *engine.Flow) float64 { return 0 }), // nProbe does not export it to us
		flowNum("getICMPType", func(f *engine.Flow) float64 { return 0 }),
		flowNum("getMaxSeenIcmpPayloadSize", func(f *engine.Flow) float64 { return 0 }),
		flowNum("getClientTCPIssues", func(f *engine.Flow) float64 { e := ext(f); return float64(e.CliRetr + e.CliOOO) }),
		flowNum("getServerTCPIssues", func(f *engine.Flow) float64 { e := ext(f); return float64(e.SrvRetr + e.SrvOOO) }),
		flowNum("getClientRetrPercentage", func(f *engine.Flow) float64 { return retrPct(ext(f).CliRetr, f.CliPkts) }),
		flowNum("getServerRetrPercentage", func(f *engine.Flow) float64 { return retrPct(ext(f).SrvRetr, f.SrvPkts) }),

		// names
		flowVal("getnDPIProtocolName", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return b.l7Name(f.L7Master, f.L7App)
		}),
		flowVal("getnDPICategoryName", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return categoryNames[f.Category]
		}),
		flowVal("getProtoBreed", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return lua.LString("Unrated") // nDPI breeds are not in engine/ndpi
		}),
		flowVal("getClientKey", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.cliKey(f) }),
		flowVal("getServerKey", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.srvKey(f) }),
		flowVal("getDnsQuery", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return lua.LString(f.DNSQuery())
		}),
		flowVal("getClientCountry", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.country(f.Client()) }),
		flowVal("getServerCountry", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.country(f.Server()) }),
		flowVal("getServerCipherClass", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return lua.LNil }),
		flowVal("getICMPStatusInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return lua.LNil }),
		flowVal("retrieveExternalAlertInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return lua.LNil }),

		// predicates
		flowBool("isClientUnicast", func(b *binding, f *engine.Flow) bool { return unicast(f.Client(), b.cliHost(f)) }),
		flowBool("isServerUnicast", func(b *binding, f *engine.Flow) bool { return unicast(f.Server(), b.srvHost(f)) }),
		flowBool("isUnicast", func(b *binding, f *engine.Flow) bool {
			return unicast(f.Client(), b.cliHost(f)) && unicast(f.Server(), b.srvHost(f))
		}),
		flowBool("isClientNoIP", func(b *binding, f *engine.Flow) bool { return f.Client().IsUnspecified() }),
		flowBool("isServerNoIP", func(b *binding, f *engine.Flow) bool { return f.Server().IsUnspecified() }),
		flowBool("isRemoteToRemote", func(b *binding, f *engine.Flow) bool { return !b.cliLocal(f) && !b.srvLocal(f) }),
		flowBool("isLocalToRemote", func(b *binding, f *engine.Flow) bool { return b.cliLocal(f) && !b.srvLocal(f) }),
		flowBool("isRemoteToLocal", func(b *binding, f *engine.Flow) bool { return !b.cliLocal(f) && b.srvLocal(f) }),
		flowBool("isLocal", func(b *binding, f *engine.Flow) bool { return b.cliLocal(f) && b.srvLocal(f) }),
		flowBool("isBlacklisted", func(b *binding, f *engine.Flow) bool { return flowBlacklisted(f) }),
		flowBool("isTwhOK", func(b *binding, f *engine.Flow) bool { return twhOK(f) }),
		flowBool("isBidirectional", func(b *binding, f *engine.Flow) bool { return f.CliPkts > 0 && f.SrvPkts > 0 }),
		flowBool("isDeviceProtocolNotAllowed", func(b *binding, f *engine.Flow) bool { return false }),
		flowBool("isTCPConnectionRefused", func(b *binding, f *engine.Flow) bool {
			return f.Proto() == 6 && !twhOK(f) && f.SrvTCPFlags&tcpRST != 0
		}),
		flowBool("isTCPConnecting", func(b *binding, f *engine.Flow) bool {
			return f.Proto() == 6 && f.CliTCPFlags == tcpSYN && (f.SrvTCPFlags == 0 || f.SrvTCPFlags == tcpSYN|tcpACK)
		}),
		flowBool("dnsQueryHasInvalidChars", func(b *binding, f *engine.Flow) bool { return invalidDNSChars(f.DNSQuery()) }),
		flowBool("hasMaliciousTlsSignature", func(b *binding, f *engine.Flow) bool { return false }),
		flowBool("isNotPurged", func(b *binding, f *engine.Flow) bool { return false }),
		flowBool("isPassVerdict", func(b *binding, f *engine.Flow) bool { return true }),
		fn("hasRisk", func(b *binding, L *lua.LState) int {
			r := b.knownRisks(b.flow(L))
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				id := L.CheckInt(1)
				L.Push(lua.LBool(id >= 0 && id < 64 && r&(1<<uint(id)) != 0))
				return 1
			}
			L.Push(lua.LBool(r != 0))
			return 1
		}),

		// tables
		flowVal("getInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.flowInfo(L, f, false) }),
		flowVal("getFullInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.flowInfo(L, f, true) }),
		flowVal("dump", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.flowInfo(L, f, true) }), // 2017 README name
		flowVal("getUnicastInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.CreateTable(0, 2)
			t.RawSetString("cli.broadmulticast", lua.LBool(!unicast(f.Client(), b.cliHost(f))))
			t.RawSetString("srv.broadmulticast", lua.LBool(!unicast(f.Server(), b.srvHost(f))))
			return t
		}),
		flowVal("getnDPIMatchPacket", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.CreateTable(0, 1)
			t.RawSetString("payload_len", lua.LNumber(0)) // collected flows carry no packets
			return t
		}),
		flowVal("getTCPStats", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			e := ext(f)
			t := L.CreateTable(0, 6)
			b.setN(t, "cli2srv.retransmissions", float64(e.CliRetr))
			b.setN(t, "cli2srv.out_of_order", float64(e.CliOOO))
			b.setN(t, "cli2srv.lost", 0)
			b.setN(t, "srv2cli.retransmissions", float64(e.SrvRetr))
			b.setN(t, "srv2cli.out_of_order", float64(e.SrvOOO))
			b.setN(t, "srv2cli.lost", 0)
			return t
		}),
		flowVal("getBlacklistedInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return blacklistInfo(L, f) }),
		flowVal("getDeviceProtoAllowedInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.CreateTable(0, 4)
			b.setN(t, "cli.devtype", 0)
			b.setN(t, "srv.devtype", 0)
			t.RawSetString("cli.allowed", lua.LTrue)
			t.RawSetString("srv.allowed", lua.LTrue)
			return t
		}),
		flowVal("getClient2ServerIAT", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.iat(L, "interarrival.cli2srv") }),
		flowVal("getServer2ClientIAT", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return b.iat(L, "interarrival.srv2cli") }),
		flowVal("getTLSInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.NewTable()
			b.tlsInfo(t, f)
			return t
		}),
		flowVal("getSSHInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue { return L.NewTable() }),
		flowVal("getHTTPInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.NewTable()
			b.httpInfo(t, f)
			return t
		}),
		flowVal("getDNSInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.NewTable()
			b.dnsInfo(t, f)
			return t
		}),
		// getRiskInfo: risk id -> nDPI's name for each known risk the flow
		// carries (bits beyond the table are counted, not listed).
		flowVal("getRiskInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.NewTable()
			for _, id := range ndpi.RiskIDs(b.knownRisks(f)) {
				t.RawSetInt(id, lua.LString(ndpi.RiskName(id)))
			}
			return t
		}),
		flowVal("getMUDInfo", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.NewTable()
			t.RawSetString("host_server_name", lua.LString(serverName(f)))
			t.RawSetString("protos.dns.last_query", lua.LString(f.DNSQuery()))
			t.RawSetString("is_local", lua.LBool(b.cliLocal(f) && b.srvLocal(f)))
			t.RawSetString("cli.mac", lua.LString(macString(f.CliMAC)))
			return t
		}),
		flowVal("getClientGeolocation", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return b.geoTable(L, "cli.", f.Client())
		}),
		flowVal("getServerGeolocation", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return b.geoTable(L, "srv.", f.Server())
		}),
		// dev-2019 accessors, kept because seed scripts of that era call them
		flowVal("getProtocols", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.NewTable()
			b.protoFields(t, f)
			return t
		}),
		flowVal("getClient2ServerTraffic", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return b.traffic(L, "cli2srv.", f.CliBytes, f.CliPkts, f.LastSeen)
		}),
		flowVal("getServer2ClientTraffic", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			return b.traffic(L, "srv2cli.", f.SrvBytes, f.SrvPkts, f.LastSeen)
		}),
		flowVal("getTime", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.CreateTable(0, 3)
			b.setN(t, "seen.first", float64(f.FirstSeen))
			b.setN(t, "seen.last", float64(f.LastSeen))
			b.setN(t, "duration", float64(f.Duration()))
			return t
		}),
		flowVal("getClientPort", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.CreateTable(0, 1)
			b.setN(t, "cli.port", float64(f.ClientPort()))
			return t
		}),
		flowVal("getServerPort", func(b *binding, L *lua.LState, f *engine.Flow) lua.LValue {
			t := L.CreateTable(0, 1)
			b.setN(t, "srv.port", float64(f.ServerPort()))
			return t
		}),
		fn("setCustomInfo", func(b *binding, L *lua.LState) int {
			f := b.flow(L)
			b.state(f).info = L.CheckString(1)
			L.Push(lua.LTrue)
			return 1
		}),
	})
}

func (b *binding) setN(t *lua.LTable, k string, v float64) { t.RawSetString(k, b.n(v)) }

func invalidDNSChars(q string) bool {
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c < 0x21 || c > 0x7e {
			return true
		}
	}
	return false
}

func serverName(f *engine.Flow) string {
	switch {
	case f.TLSServerName() != "":
		return f.TLSServerName()
	case f.HTTPSite() != "":
		return f.HTTPSite()
	}
	return f.DNSQuery()
}

func macString(m [6]byte) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i, c := range m {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
	return sb.String()
}

func (b *binding) iat(L *lua.LState, key string) lua.LValue {
	in := L.CreateTable(0, 4)
	for _, k := range []string{"min", "max", "avg", "stddev"} {
		in.RawSetString(k, lua.LNumber(0)) // no packet timing in collected flows
	}
	t := L.CreateTable(0, 1)
	t.RawSetString(key, in)
	return t
}

func (b *binding) traffic(L *lua.LState, p string, bytes, pkts uint64, last uint32) lua.LValue {
	t := L.CreateTable(0, 5)
	b.setN(t, p+"bytes", float64(bytes))
	b.setN(t, p+"goodput_bytes", float64(bytes))
	b.setN(t, p+"packets", float64(pkts))
	b.setN(t, p+"last", float64(last))
	b.setN(t, p+"fragments", 0)
	return t
}

func (b *binding) tlsInfo(t *lua.LTable, f *engine.Flow) {
	if f.TLSServerName() == "" && f.JA3C() == "" && f.JA3S() == "" {
		return
	}
	t.RawSetString("protos.tls_version", lua.LNumber(0))
	t.RawSetString("protos.tls.client_requested_server_name", lua.LString(f.TLSServerName()))
	t.RawSetString("protos.tls.ja3.client_hash", lua.LString(f.JA3C()))
	t.RawSetString("protos.tls.ja3.server_hash", lua.LString(f.JA3S()))
	t.RawSetString("protos.tls.ja3.client_malicious", lua.LFalse)
	t.RawSetString("protos.tls.ja3.server_malicious", lua.LFalse)
}

func (b *binding) httpInfo(t *lua.LTable, f *engine.Flow) {
	e := ext(f)
	if f.HTTPURL() == "" && f.HTTPSite() == "" && f.HTTPMethod() == "" && e.HTTPRetCode == 0 {
		return
	}
	t.RawSetString("protos.http.last_method", lua.LString(f.HTTPMethod()))
	b.setN(t, "protos.http.last_return_code", float64(e.HTTPRetCode))
	t.RawSetString("protos.http.last_url", lua.LString(f.HTTPURL()))
	t.RawSetString("protos.http.server_name", lua.LString(f.HTTPSite()))
	t.RawSetString("protos.http.last_user_agent", lua.LString(f.HTTPUserAgent()))
}

func (b *binding) dnsInfo(t *lua.LTable, f *engine.Flow) {
	e := ext(f)
	if f.DNSQuery() == "" && e.DNSQueryType == 0 {
		return
	}
	b.setN(t, "protos.dns.last_query_type", float64(e.DNSQueryType))
	b.setN(t, "protos.dns.last_return_code", float64(e.DNSRetCode))
	t.RawSetString("protos.dns.last_query", lua.LString(f.DNSQuery()))
	t.RawSetString("protos.dns.invalid_chars_in_query", lua.LBool(invalidDNSChars(f.DNSQuery())))
}

func (b *binding) protoFields(t *lua.LTable, f *engine.Flow) {
	t.RawSetString("proto.l4", l4Names[f.Proto()])
	b.setN(t, "proto.l4_id", float64(f.Proto()))
	t.RawSetString("proto.ndpi", b.l7Name(f.L7Master, f.L7App))
	t.RawSetString("proto.ndpi_app", lua.LString(ndpi.Name(f.L7())))
	b.setN(t, "proto.ndpi_id", float64(f.L7()))
	b.setN(t, "proto.master_ndpi_id", float64(f.L7Master))
	t.RawSetString("proto.ndpi_breed", lua.LString("Unrated"))
	t.RawSetString("proto.ndpi_cat", categoryNames[f.Category])
	b.setN(t, "proto.ndpi_cat_id", float64(f.Category))
}

// geoTable is the dev-2019 getClient/ServerGeolocation result, plus the AS
// fields the seed scripts read.
func (b *binding) geoTable(L *lua.LState, p string, ip netip.Addr) lua.LValue {
	g := b.deps.GeoIP.Lookup(ip)
	t := L.CreateTable(0, 6)
	b.setN(t, p+"latitude", g.Latitude)
	b.setN(t, p+"longitude", g.Longitude)
	t.RawSetString(p+"country", lua.LString(g.Country))
	t.RawSetString(p+"city", lua.LString(g.City))
	b.setN(t, p+"asn", float64(g.ASN))
	t.RawSetString(p+"asname", lua.LString(g.ASName))
	return t
}

// flowInfo is Flow::lua_get_min_info (full=false) or Flow::lua with details
// (full=true), for the keys a collected flow has.
func (b *binding) flowInfo(L *lua.LState, f *engine.Flow, full bool) *lua.LTable {
	e := ext(f)
	t := L.CreateTable(0, 24)
	t.RawSetString("cli.ip", b.cliIP(f))
	t.RawSetString("srv.ip", b.srvIP(f))
	b.setN(t, "cli.port", float64(f.ClientPort()))
	b.setN(t, "srv.port", float64(f.ServerPort()))
	t.RawSetString("cli.localhost", lua.LBool(b.cliLocal(f)))
	t.RawSetString("srv.localhost", lua.LBool(b.srvLocal(f)))
	b.setN(t, "duration", float64(f.Duration()))
	t.RawSetString("proto.l4", l4Names[f.Proto()])
	t.RawSetString("proto.ndpi", b.l7Name(f.L7Master, f.L7App))
	t.RawSetString("proto.ndpi_app", lua.LString(ndpi.Name(f.L7())))
	t.RawSetString("proto.ndpi_cat", categoryNames[f.Category])
	b.setN(t, "cli2srv.bytes", float64(f.CliBytes))
	b.setN(t, "srv2cli.bytes", float64(f.SrvBytes))
	b.setN(t, "cli2srv.packets", float64(f.CliPkts))
	b.setN(t, "srv2cli.packets", float64(f.SrvPkts))
	if f.L7Info() != "" {
		t.RawSetString("info", lua.LString(f.L7Info()))
	}
	if !full {
		return t
	}
	b.protoFields(t, f)
	t.RawSetString("cli.key", b.cliKey(f))
	t.RawSetString("srv.key", b.srvKey(f))
	b.setN(t, "vlan", float64(f.VLAN()))
	b.setN(t, "bytes", float64(f.Bytes()))
	b.setN(t, "goodput_bytes", float64(f.Bytes()))
	b.setN(t, "packets", float64(f.Packets()))
	b.setN(t, "packets.sent", float64(f.CliPkts))
	b.setN(t, "packets.rcvd", float64(f.SrvPkts))
	b.setN(t, "seen.first", float64(f.FirstSeen))
	b.setN(t, "seen.last", float64(f.LastSeen))
	b.setN(t, "cli2srv.fragments", float64(e.CliFragments))
	b.setN(t, "srv2cli.fragments", float64(e.SrvFragments))
	b.setN(t, "cli2srv.retransmissions", float64(e.CliRetr))
	b.setN(t, "srv2cli.retransmissions", float64(e.SrvRetr))
	b.setN(t, "cli2srv.out_of_order", float64(e.CliOOO))
	b.setN(t, "srv2cli.out_of_order", float64(e.SrvOOO))
	b.setN(t, "cli2srv.tcp_flags", float64(f.CliTCPFlags))
	b.setN(t, "srv2cli.tcp_flags", float64(f.SrvTCPFlags))
	b.setN(t, "tcp_flags", float64(f.CliTCPFlags|f.SrvTCPFlags))
	t.RawSetString("tcp.seq_problems", lua.LBool(e.CliRetr+e.SrvRetr+e.CliOOO+e.SrvOOO > 0))
	b.setN(t, "throughput_bps", float64(f.ThptBps))
	b.setN(t, "throughput_pps", float64(f.ThptPps))
	if f.HasLatency&1 != 0 {
		b.setN(t, "tcp.nw_latency.client", float64(f.CliLatencyMs))
	}
	if f.HasLatency&2 != 0 {
		b.setN(t, "tcp.nw_latency.server", float64(f.SrvLatencyMs))
	}
	if f.HasLatency&4 != 0 {
		b.setN(t, "tcp.appl_latency", float64(f.ApplLatencyMs))
	}
	b.setN(t, "flow.status", float64(b.alertedStatus(f)))
	b.setN(t, "status_map", float64(f.Status))
	st := b.stateIfAny(f)
	t.RawSetString("flow.alerted", lua.LBool(st != nil && st.alerted))
	b.setN(t, "alerted_status", float64(b.alertedStatus(f)))
	b.setN(t, "ntopng.key", float64(f.Key()))
	b.setN(t, "hash_entry_id", float64(f.ID()))
	t.RawSetString("host_server_name", lua.LString(serverName(f)))
	if st != nil && st.info != "" {
		t.RawSetString("info", lua.LString(st.info))
	}
	for _, side := range []struct {
		p   string
		ip  netip.Addr
		h   *engine.Host
		mac [6]byte
		as  uint32
		bl  uint8
	}{{"cli.", f.Client(), b.cliHost(f), f.CliMAC, e.CliAS, lists.SideClient}, {"srv.", f.Server(), b.srvHost(f), f.SrvMAC, e.SrvAS, lists.SideServer}} {
		g := b.deps.GeoIP.Lookup(side.ip)
		asn := side.as
		if asn == 0 {
			asn = g.ASN
		}
		t.RawSetString(side.p+"mac", lua.LString(macString(side.mac)))
		t.RawSetString(side.p+"blacklisted", lua.LBool(f.Blacklist&side.bl != 0))
		t.RawSetString(side.p+"private", lua.LBool(side.ip.IsPrivate()))
		b.setN(t, side.p+"asn", float64(asn))
		t.RawSetString(side.p+"country", lua.LString(g.Country))
		t.RawSetString(side.p+"city", lua.LString(g.City))
		b.setN(t, side.p+"latitude", g.Latitude)
		b.setN(t, side.p+"longitude", g.Longitude)
		t.RawSetString(side.p+"os", lua.LString(""))
		b.setN(t, side.p+"pool_id", 0)
		netID := -1
		if side.h != nil {
			netID = side.h.Network
		}
		b.setN(t, side.p+"network_id", float64(netID))
	}
	if f.DNSQuery() != "" || e.DNSQueryType != 0 {
		b.dnsInfo(t, f)
	}
	b.httpInfo(t, f)
	b.tlsInfo(t, f)
	sc := L.CreateTable(0, 2)
	score := 0
	if st != nil {
		score = st.score
	}
	b.setN(sc, "flow_score", float64(score))
	t.RawSetString("score", sc)
	return t
}
