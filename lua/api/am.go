package api

import (
	"net"

	lua "github.com/yuin/gopher-lua"

	"flowgate/activemon"
)

// The ping functions of docs/ntop-api.md §19 on the active monitoring's
// pinger (docs/active-monitoring.md). Each Lua state has its own session:
// ntop.collectPingResults returns the replies to the ntop.pingHost calls
// of the same state only.
func init() {
	mon := func(d Deps) *activemon.Monitor {
		if d.Services == nil {
			return nil
		}
		return d.Services.ActiveMonitoring
	}
	// ntop.isPingAvailable(): an ICMP socket (datagram or raw) opens.
	RegisterNtopWith("isPingAvailable", func(d Deps) lua.LGFunction {
		m := mon(d)
		return func(L *lua.LState) int {
			L.Push(lua.LBool(m != nil && m.Pinger().Available(false, "")))
			return 1
		}
	}, StatusImplemented)
	// ntop.isPingIfaceAvailable(ifname): the interface exists and a ping
	// socket binds to it.
	RegisterNtopWith("isPingIfaceAvailable", func(d Deps) lua.LGFunction {
		m := mon(d)
		return func(L *lua.LState) int {
			name := argKey(L, "isPingIfaceAvailable", 1, "ifname")
			ok := false
			if m != nil && validIfName(name) {
				if _, err := net.InterfaceByName(name); err == nil {
					ok = m.Pinger().Available(false, name) || m.Pinger().Available(true, name)
				}
			}
			L.Push(lua.LBool(ok))
			return 1
		}
	}, StatusImplemented)
	// ntop.getPingIfNames(): {ifname = ifname} of the interfaces pings can
	// leave through.
	RegisterNtopWith("getPingIfNames", func(d Deps) lua.LGFunction {
		m := mon(d)
		return func(L *lua.LState) int {
			t := L.NewTable()
			if m != nil {
				for _, n := range m.Pinger().IfNames() {
					t.RawSetString(n, lua.LString(n))
				}
			}
			L.Push(t)
			return 1
		}
	}, StatusImplemented)
	// ntop.pingHost(ip, is_v6 [, ifname]) sends one echo request; the
	// reply is read by ntop.collectPingResults. A name must be resolved
	// first (ntop.resolveHost), as ntopng's icmp.lua does.
	// ntop.collectPingResults(): {ip = rtt_ms} of the replies received
	// since the last call (requests without a reply are not listed).
	RegisterNtopWith("pingHost", func(d Deps) lua.LGFunction {
		m := mon(d)
		return func(L *lua.LState) int {
			a := argAddr(L, "pingHost", 1)
			v6 := lua.LVAsBool(L.Get(2))
			iface := ""
			if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
				iface = argKey(L, "pingHost", 3, "ifname")
				if !validIfName(iface) {
					L.RaiseError("ntop.pingHost: argument #3 (ifname) is not an interface name: %q", iface)
				}
			}
			if a.Unmap().Is6() != v6 {
				L.RaiseError("ntop.pingHost: %s is not an IPv%s address", a, map[bool]string{true: "6", false: "4"}[v6])
			}
			if m == nil {
				L.RaiseError("ntop.pingHost: no active monitoring in this process")
			}
			if err := pingSession(L, m).Ping(a, iface); err != nil {
				L.RaiseError("ntop.pingHost: %v", err)
			}
			L.Push(lua.LNil)
			return 1
		}
	}, StatusImplemented)
	RegisterNtopWith("collectPingResults", func(d Deps) lua.LGFunction {
		m := mon(d)
		return func(L *lua.LState) int {
			t := L.NewTable()
			if m != nil {
				for a, rtt := range pingSession(L, m).Collect() {
					t.RawSetString(a.String(), lua.LNumber(float64(rtt.Microseconds())/1000))
				}
			}
			L.Push(t)
			return 1
		}
	}, StatusImplemented)
}

// pingSessionKey is the registry slot of a Lua state's ping session.
const pingSessionKey = "flowgate.ping_session"

// pingSession returns the state's session, creating it on first use.
func pingSession(L *lua.LState, m *activemon.Monitor) *activemon.Session {
	reg := L.Get(lua.RegistryIndex).(*lua.LTable)
	if ud, ok := reg.RawGetString(pingSessionKey).(*lua.LUserData); ok {
		if s, ok := ud.Value.(*activemon.Session); ok {
			return s
		}
	}
	s := m.Pinger().NewSession()
	ud := L.NewUserData()
	ud.Value = s
	reg.RawSetString(pingSessionKey, ud)
	return s
}

// validIfName is a Linux interface name (at most 15 bytes, no '/', no space).
func validIfName(s string) bool {
	if s == "" || len(s) > 15 {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c == '/' || c == ':' || c > '~' {
			return false
		}
	}
	return true
}
