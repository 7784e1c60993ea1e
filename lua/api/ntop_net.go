package api

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"

	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// docs/ntop-api.md §9 (network & IP utilities) and §10 (address resolution).

func init() {
	register("ntop", []luaFn{
		fn("ipToNumber", func(b *binding, L *lua.LState) int {
			a, err := netip.ParseAddr(argKey(L, "ipToNumber", 1, "ip"))
			if err != nil || !a.Unmap().Is4() {
				b.pushI(L, 0) // ntopng answers 0 for what is not IPv4
				return 1
			}
			v := a.Unmap().As4()
			b.pushI(L, int64(binary.BigEndian.Uint32(v[:])))
			return 1
		}),
		fn("inet_ntoa", func(b *binding, L *lua.LState) int {
			n := argInt(L, "inet_ntoa", 1, "number", 0)
			if n < 0 || n > 0xffffffff {
				L.RaiseError("ntop.inet_ntoa: argument #1 (number) is out of range: %d", n)
			}
			var v [4]byte
			binary.BigEndian.PutUint32(v[:], uint32(n))
			L.Push(lua.LString(netip.AddrFrom4(v).String()))
			return 1
		}),
		fn("networkPrefix", func(b *binding, L *lua.LState) int {
			a := argAddr(L, "networkPrefix", 1)
			bits := int(argInt(L, "networkPrefix", 2, "bits", 0))
			if bits < 0 || bits > a.BitLen() {
				L.RaiseError("ntop.networkPrefix: argument #2 (bits) is out of range: %d", bits)
			}
			p, _ := a.Prefix(bits)
			L.Push(lua.LString(p.Addr().String()))
			return 1
		}),
		fn("ipCmp", func(b *binding, L *lua.LState) int {
			x, y := argAddr(L, "ipCmp", 1), argAddr(L, "ipCmp", 2)
			b.pushI(L, int64(x.Unmap().Compare(y.Unmap())))
			return 1
		}),
		fn("isIPv6", func(b *binding, L *lua.LState) int {
			a, err := netip.ParseAddr(argKey(L, "isIPv6", 1, "ip"))
			L.Push(lua.LBool(err == nil && a.Is6() && !a.Is4In6()))
			return 1
		}),
		fn("isLocalAddress", func(b *binding, L *lua.LState) int {
			a, err := netip.ParseAddr(argKey(L, "isLocalAddress", 1, "ip"))
			_, ok := b.localNetwork(a)
			L.Push(lua.LBool(err == nil && ok))
			return 1
		}),
		fn("isLocalInterfaceAddress", func(b *binding, L *lua.LState) int {
			a, err := netip.ParseAddr(argKey(L, "isLocalInterfaceAddress", 1, "ip"))
			L.Push(lua.LBool(err == nil && isInterfaceAddr(a.Unmap())))
			return 1
		}),
		// Scripts run with the process's rights: every interface and network is visible.
		fn("isAllowedInterface", func(b *binding, L *lua.LState) int { L.Push(lua.LTrue); return 1 }),
		fn("isAllowedNetwork", func(b *binding, L *lua.LState) int { L.Push(lua.LTrue); return 1 }),
		fn("addLocalNetwork", func(b *binding, L *lua.LState) int {
			p, err := netip.ParsePrefix(argKey(L, "addLocalNetwork", 1, "cidr"))
			if err != nil {
				L.RaiseError("ntop.addLocalNetwork: argument #1 (cidr): %v", err)
			}
			b.extraNets = append(b.extraNets, p.Masked())
			return 0
		}),
		fn("getNetworks", func(b *binding, L *lua.LState) int {
			nets := b.networks()
			t := L.CreateTable(0, len(nets))
			for i, p := range nets {
				t.RawSetString(p.String(), lua.LNumber(i))
			}
			L.Push(t)
			return 1
		}),
		fn("getNetworkNameById", func(b *binding, L *lua.LState) int {
			id := argInt(L, "getNetworkNameById", 1, "id", 0)
			if nets := b.networks(); id >= 0 && id < int64(len(nets)) {
				L.Push(lua.LString(nets[id].String()))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}),
		fn("getNetworkIdByName", func(b *binding, L *lua.LState) int {
			b.pushI(L, int64(b.networkID(argKey(L, "getNetworkIdByName", 1, "name"))))
			return 1
		}),
		fn("getLocalNetworkID", func(b *binding, L *lua.LState) int {
			b.pushI(L, int64(b.networkID(argKey(L, "getLocalNetworkID", 1, "cidr"))))
			return 1
		}),
		fn("getAddressNetwork", func(b *binding, L *lua.LState) int {
			a := argAddr(L, "getAddressNetwork", 1)
			id, ok := b.localNetwork(a)
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			p := b.networks()[id]
			t := L.CreateTable(0, 3)
			t.RawSetString("network", lua.LString(p.String()))
			t.RawSetString("network_id", lua.LNumber(id))
			t.RawSetString("network_key", lua.LString(p.String()))
			L.Push(t)
			return 1
		}),
		// Aliases are set by operators in ntopng's UI, kept in the cache.
		cacheFn("getLocalNetworkAlias", func(b *binding, L *lua.LState, s kvStore) (int, error) {
			v, ok, err := s.HGet("ntopng.network_aliases", argKey(L, "getLocalNetworkAlias", 1, "cidr"))
			pushStrOrNil(L, v, ok)
			return 1, err
		}),

		// §10
		fn("setResolvedAddress", func(b *binding, L *lua.LState) int {
			ip, name := argKey(L, "setResolvedAddress", 1, "ip"), argKey(L, "setResolvedAddress", 2, "hostname")
			b.resolver().set(ip, name)
			return 0
		}),
		fn("resolveName", func(b *binding, L *lua.LState) int {
			ip := argKey(L, "resolveName", 1, "ip")
			if _, err := netip.ParseAddr(ip); err != nil {
				L.RaiseError("ntop.resolveName: argument #1 (ip) is not an address: %q", ip)
			}
			b.resolver().resolveAsync(ip)
			return 0
		}),
		fn("getResolvedName", func(b *binding, L *lua.LState) int {
			ip := argKey(L, "getResolvedName", 1, "ip")
			if name, ok := b.resolver().get(ip); ok {
				L.Push(lua.LString(name))
			} else {
				L.Push(lua.LString(ip)) // ntopng answers the address itself until it is resolved
			}
			return 1
		}),
		fn("resolveHost", func(b *binding, L *lua.LState) int {
			host := argKey(L, "resolveHost", 1, "hostname")
			ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
			defer cancel()
			addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if err != nil || len(addrs) == 0 {
				L.Push(lua.LNil)
				return 1
			}
			best := addrs[0]
			for _, a := range addrs { // IPv4 first, as ntopng's resolveHost(name, true)
				if a.Unmap().Is4() {
					best = a
					break
				}
			}
			L.Push(lua.LString(best.Unmap().String()))
			return 1
		}),
	})
}

const resolveTimeout = 3 * time.Second

func argAddr(L *lua.LState, fname string, i int) netip.Addr {
	s := argKey(L, fname, i, "ip")
	a, err := netip.ParseAddr(s)
	if err != nil {
		L.RaiseError("ntop.%s: argument #%d (ip) is not an address: %q", fname, i, s)
	}
	return a
}

// networks are the engine's local networks (-m) then those added with
// ntop.addLocalNetwork; a network's id is its index.
func (b *binding) networks() []netip.Prefix {
	var nets []netip.Prefix
	if b.ctx.Engine != nil {
		nets = append(nets, b.ctx.Engine.Config().LocalNetworks...)
	}
	return append(nets, b.extraNets...)
}

// localNetwork is the id of the most specific local network holding a.
func (b *binding) localNetwork(a netip.Addr) (int, bool) {
	a = a.Unmap()
	best := -1
	nets := b.networks()
	for i, p := range nets {
		if p.Contains(a) && (best < 0 || p.Bits() > nets[best].Bits()) {
			best = i
		}
	}
	return best, best >= 0
}

func (b *binding) networkID(name string) int {
	p, err := netip.ParsePrefix(name)
	if err != nil {
		return -1
	}
	for i, n := range b.networks() {
		if n == p.Masked() {
			return i
		}
	}
	return -1
}

func isInterfaceAddr(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, x := range addrs {
		if n, ok := x.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return true
			}
		}
	}
	return false
}

// Resolver is the reverse-DNS cache behind ntop.resolveName /
// getResolvedName / setResolvedAddress, shared by every Lua state (set
// Deps.Resolver; one is made per state otherwise). Lookups run in the
// background, at most maxInflight at a time; answers are kept for ttl.
type Resolver struct {
	mu       sync.Mutex
	names    map[string]resolved
	inflight int
	lookup   func(ctx context.Context, ip string) (string, error)
}

type resolved struct {
	name string
	at   time.Time
}

const (
	resolverTTL      = time.Hour
	resolverMax      = 64 << 10
	resolverInflight = 16
)

// NewResolver returns an empty resolver using the system's resolver.
func NewResolver() *Resolver {
	return &Resolver{names: map[string]resolved{}, lookup: func(ctx context.Context, ip string) (string, error) {
		names, err := net.DefaultResolver.LookupAddr(ctx, ip)
		if err != nil || len(names) == 0 {
			return "", err
		}
		n := names[0]
		if len(n) > 1 && n[len(n)-1] == '.' {
			n = n[:len(n)-1]
		}
		return n, nil
	}}
}

func (r *Resolver) get(ip string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.names[ip]
	if !ok || time.Since(e.at) > resolverTTL {
		return "", false
	}
	return e.name, true
}

func (r *Resolver) set(ip, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.names) >= resolverMax {
		r.names = map[string]resolved{} // bounded: start over rather than grow
	}
	r.names[ip] = resolved{name: name, at: time.Now()}
}

// resolveAsync starts a lookup unless one is cached or too many run.
func (r *Resolver) resolveAsync(ip string) {
	if _, ok := r.get(ip); ok {
		return
	}
	r.mu.Lock()
	if r.inflight >= resolverInflight {
		r.mu.Unlock()
		return
	}
	r.inflight++
	r.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
		defer cancel()
		name, err := r.lookup(ctx, ip)
		if err != nil || name == "" {
			name = ip // negative answer: the address itself, as ntopng caches it
		}
		r.set(ip, name)
		r.mu.Lock()
		r.inflight--
		r.mu.Unlock()
	}()
}

func (b *binding) resolver() *Resolver {
	if b.deps.Resolver == nil {
		b.deps.Resolver = NewResolver()
	}
	return b.deps.Resolver
}
