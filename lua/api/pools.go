package api

import (
	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
)

// Host pools (docs/ntop-api.md): host.getPoolId and host_pool_id answer
// the pool Services.HostPools matches (the pools of the REST's pool
// endpoints); ntop.reloadHostPools has nothing to do, as pool changes
// apply when they are made.

func init() {
	RegisterNtop("reloadHostPools", func(L *lua.LState) int { return 0 }, StatusImplemented)
}

// hostPoolID is h's pool, 0 (the default pool) without pools.
func (b *binding) hostPoolID(h *engine.Host) int {
	if b.deps.Services == nil || b.deps.Services.HostPools == nil {
		return 0
	}
	return b.deps.Services.HostPools.Match(h.IP(), h.VLAN())
}
