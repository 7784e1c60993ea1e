package api

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/activemon"
	"flowgate/internal/testwait"
)

// TestNtopPing pings the loopback addresses (the kernel answers) through
// the Lua functions of §19, and checks their bad input.
func TestNtopPing(t *testing.T) {
	m, err := activemon.New(activemon.Configuration{Disabled: true}, activemon.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	e := newEnv(t, Deps{Services: &Services{ActiveMonitoring: m}})
	checkExprs(t, e.L, []exprCase{
		{"ntop.isPingAvailable()", "true"},
		{"ntop.isPingIfaceAvailable('lo')", "true"},
		{"ntop.isPingIfaceAvailable('nosuchif0')", "false"},
		{"ntop.isPingIfaceAvailable('../etc')", "false"},
		{"ntop.getPingIfNames().lo", "lo"},
		{"ntop.pingHost('127.0.0.1', false)", "nil"},
		{"ntop.pingHost('::1', true, 'lo')", "nil"},
	})
	got := map[string]float64{}
	testwait.For(t, "the echo replies of 127.0.0.1 and ::1", func() bool {
		if err := e.L.DoString("__res = ntop.collectPingResults()"); err != nil {
			t.Fatal(err)
		}
		e.L.GetGlobal("__res").(*lua.LTable).ForEach(func(k, v lua.LValue) { got[k.String()] = float64(v.(lua.LNumber)) })
		return len(got) == 2
	})
	for _, a := range []string{"127.0.0.1", "::1"} {
		if rtt, ok := got[a]; !ok || rtt < 0 || rtt > 20000 {
			t.Errorf("rtt of %s: %v (present %v)", a, rtt, ok)
		}
	}
	// Collected results are gone; another state has its own session.
	checkExprs(t, e.L, []exprCase{{"next(ntop.collectPingResults())", "nil"}})
	other := newEnv(t, Deps{Services: &Services{ActiveMonitoring: m}})
	checkExprs(t, other.L, []exprCase{{"next(ntop.collectPingResults())", "nil"}})

	for _, c := range []struct{ expr, want string }{
		{"ntop.pingHost('not-an-ip', false)", "is not an address"},
		{"ntop.pingHost('127.0.0.1', true)", "is not an IPv6 address"},
		{"ntop.pingHost('::1', false)", "is not an IPv4 address"},
		{"ntop.pingHost('127.0.0.1', false, 'a/b')", "is not an interface name"},
		{"ntop.pingHost('127.0.0.1', false, 'nosuchif0')", "nosuchif0"},
		{"ntop.pingHost({}, false)", "must be a string"},
	} {
		if got := eval(e.L, c.expr); !strings.HasPrefix(got, "error: ") || !strings.Contains(got, c.want) {
			t.Errorf("%s = %q, want an error with %q", c.expr, got, c.want)
		}
	}
	if s := m.Stats(); s.PingReplies < 2 || s.SocketErrors == 0 {
		t.Errorf("stats %+v: want 2 replies and the socket error of nosuchif0 counted", s)
	}
}

// TestNtopPingWithoutMonitor: a process without active monitoring says so.
func TestNtopPingWithoutMonitor(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.isPingAvailable()", "false"},
		{"ntop.isPingIfaceAvailable('lo')", "false"},
		{"next(ntop.getPingIfNames())", "nil"},
		{"next(ntop.collectPingResults())", "nil"},
	})
	if got := eval(e.L, "ntop.pingHost('127.0.0.1', false)"); !strings.Contains(got, "no active monitoring") {
		t.Errorf("pingHost without a monitor: %q", got)
	}
}
