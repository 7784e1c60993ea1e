package api

import (
	"net/netip"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/engine/ndpi"
)

// Boxing a Go string into a lua.LValue allocates its header, so strings a
// flow hook reads often are boxed once: per process for fixed names, per Lua
// state for protocol names, per flow for addresses and host keys.

var (
	categoryNames = func() (out [256]lua.LValue) {
		for i := range out {
			out[i] = lua.LString(ndpi.Category(i).String())
		}
		return out
	}()

	l4Names = func() (out [256]lua.LValue) {
		for i := range out {
			out[i] = lua.LString(engine.L4Name(uint8(i)))
		}
		return out
	}()
)

// flowStrCache holds the boxed strings of the flow a hook runs for; it is
// rebuilt when the hook moves to another flow (ID includes a generation, so
// a reused slot is never mistaken for the old flow).
type flowStrCache struct {
	id           uint64
	f            *engine.Flow
	cliIP, srvIP lua.LValue
	cliKey       lua.LValue
	srvKey       lua.LValue
}

func (c *flowStrCache) reset(f *engine.Flow) {
	if c.f == f && c.id == f.ID() {
		return
	}
	*c = flowStrCache{id: f.ID(), f: f}
}

func (b *binding) cliIP(f *engine.Flow) lua.LValue {
	b.fc.reset(f)
	if b.fc.cliIP == nil {
		b.fc.cliIP = lua.LString(f.Client().String())
	}
	return b.fc.cliIP
}

func (b *binding) srvIP(f *engine.Flow) lua.LValue {
	b.fc.reset(f)
	if b.fc.srvIP == nil {
		b.fc.srvIP = lua.LString(f.Server().String())
	}
	return b.fc.srvIP
}

func (b *binding) cliKey(f *engine.Flow) lua.LValue {
	b.fc.reset(f)
	if b.fc.cliKey == nil {
		b.fc.cliKey = lua.LString(hostKey(f.Client(), f.VLAN()))
	}
	return b.fc.cliKey
}

func (b *binding) srvKey(f *engine.Flow) lua.LValue {
	b.fc.reset(f)
	if b.fc.srvKey == nil {
		b.fc.srvKey = lua.LString(hostKey(f.Server(), f.VLAN()))
	}
	return b.fc.srvKey
}

// hostKey is ntopng's "ip@vlan" (VLAN always present).
func hostKey(ip netip.Addr, vlan uint16) string {
	// One allocation, not three (address, "@vlan", the concatenation):
	// flow scripts ask a flow's host keys in every hook.
	var b [len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255@65535")]byte
	k := strconv.AppendUint(append(ip.AppendTo(b[:0]), '@'), uint64(vlan), 10)
	return string(k)
}

// l7Name returns the boxed "Master.App" name, cached per Lua state.
func (b *binding) l7Name(master, app uint16) lua.LValue {
	k := uint32(master)<<16 | uint32(app)
	if v, ok := b.l7names[k]; ok {
		return v
	}
	v := lua.LValue(lua.LString(ndpi.FullName(master, app)))
	if len(b.l7names) < 4096 {
		b.l7names[k] = v
	}
	return v
}
