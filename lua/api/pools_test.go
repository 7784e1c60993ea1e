package api

import (
	"testing"

	"flowgate/pools"
)

// Lua sees the host pools the REST edits.
func TestHostPoolsLua(t *testing.T) {
	hp := pools.New(pools.Configuration{})
	if _, err := hp.Add("lan", []string{"192.168.1.0/24@0"}, 0, nil); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Deps{Services: &Services{HostPools: hp}})
	e.process(flowSpec{src: "192.168.1.10", dst: "8.8.8.8", sport: 40000, dport: 53, proto: 17, inB: 10, outB: 10, inP: 1, outP: 1})
	for ip, want := range map[string]string{"192.168.1.10": "1", "8.8.8.8": "0"} {
		e.inHost(t, ip, func() {
			if got := eval(e.L, "host.getPoolId().host_pool_id"); got != want {
				t.Errorf("%s getPoolId = %s, want %s", ip, got, want)
			}
		})
	}
	if got := eval(e.L, "type(ntop.reloadHostPools)"); got != "function" {
		t.Errorf("ntop.reloadHostPools: %s", got)
	}
	if err := e.L.DoString("ntop.reloadHostPools()"); err != nil {
		t.Error(err)
	}
}
