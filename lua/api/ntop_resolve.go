package api

import (
	"net/netip"

	lua "github.com/yuin/gopher-lua"
)

func init() {
	register("ntop", []luaFn{
		// ntop.shouldResolveHost(ip): ntopng's default policy (-n 0),
		// resolve the names of local hosts only: a unicast address in the
		// local networks. A string that is not an address is an error.
		fn("shouldResolveHost", func(b *binding, L *lua.LState) int {
			s := L.CheckString(1)
			a, err := netip.ParseAddr(s)
			if err != nil {
				L.RaiseError("ntop.shouldResolveHost: not an IP address: %q", s)
			}
			a = a.Unmap()
			_, local := b.localNetwork(a)
			L.Push(lua.LBool(local && a.IsGlobalUnicast())) // private ranges included
			return 1
		}),
	})
}
