package api

import (
	"bufio"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine/ndpi"
)

// docs/ntop-api.md §17/§30: nDPI look-ups on the engine's protocol table, and custom
// categories (host names and IP networks → category) loaded between
// initnDPIReload and finalizenDPIReload.

// CustomCategories holds the custom category lists, shared by every Lua
// state through Deps.Categories. A reload builds a staging set that
// replaces the live one at finalizenDPIReload, as ntopng's double-buffered
// nDPI reload does; look-ups never see a half-loaded list.
type CustomCategories struct {
	mu        sync.RWMutex
	hosts     map[string]ndpi.Category // exact name or parent domain
	nets      []catNet
	protoCats map[ndpi.ProtoID]ndpi.Category // setnDPIProtoCategory overrides

	staging *CustomCategories // between init and finalize
}

type catNet struct {
	p   netip.Prefix
	cat ndpi.Category
}

// NewCustomCategories returns an empty set.
func NewCustomCategories() *CustomCategories {
	return &CustomCategories{hosts: map[string]ndpi.Category{}, protoCats: map[ndpi.ProtoID]ndpi.Category{}}
}

// Match answers the category of a host name (or its nearest listed
// parent domain) or of an IP address in a listed network.
func (c *CustomCategories) Match(s string) (ndpi.Category, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if a, err := netip.ParseAddr(s); err == nil {
		best := -1
		for i, n := range c.nets {
			if n.p.Contains(a.Unmap()) && (best < 0 || n.p.Bits() > c.nets[best].p.Bits()) {
				best = i
			}
		}
		if best >= 0 {
			return c.nets[best].cat, true
		}
		return 0, false
	}
	h := strings.ToLower(strings.TrimSuffix(s, "."))
	for h != "" {
		if cat, ok := c.hosts[h]; ok {
			return cat, true
		}
		_, rest, found := strings.Cut(h, ".")
		if !found {
			break
		}
		h = rest
	}
	return 0, false
}

// ProtoCategory is id's category, with setnDPIProtoCategory's overrides.
func (c *CustomCategories) ProtoCategory(id ndpi.ProtoID) ndpi.Category {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if cat, ok := c.protoCats[id]; ok {
		return cat
	}
	return ndpi.CategoryOf(id)
}

// target is the set loads go to: the staging one during a reload, else live.
func (c *CustomCategories) target() *CustomCategories {
	if c.staging != nil {
		return c.staging
	}
	return c
}

func (c *CustomCategories) addHost(host string, cat ndpi.Category) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.target().hosts[strings.ToLower(host)] = cat
}

func (c *CustomCategories) addNet(p netip.Prefix, cat ndpi.Category) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.target()
	t.nets = append(t.nets, catNet{p.Masked(), cat})
}

func (c *CustomCategories) initReload() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.staging = NewCustomCategories()
}

func (c *CustomCategories) finalizeReload() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.staging == nil {
		return false
	}
	c.hosts, c.nets, c.staging = c.staging.hosts, c.staging.nets, nil
	return true
}

func (b *binding) categories() *CustomCategories {
	if b.deps.Categories == nil {
		b.deps.Categories = NewCustomCategories()
	}
	return b.deps.Categories
}

func argCategory(L *lua.LState, fname string, i int) ndpi.Category {
	if s, ok := L.Get(i).(lua.LString); ok {
		if c, ok := ndpi.CategoryID(string(s)); ok {
			return c
		}
	}
	n := argInt(L, fname, i, "category_id", 0)
	if n < 0 || n > 255 {
		L.RaiseError("ntop.%s: argument #%d (category_id) is out of range: %d", fname, i, n)
	}
	return ndpi.Category(n)
}

// loadHost adds one host name or address/network line to category cat.
func (c *CustomCategories) load(line string, cat ndpi.Category) bool {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return false
	}
	if p, err := netip.ParsePrefix(line); err == nil {
		c.addNet(p, cat)
		return true
	}
	if a, err := netip.ParseAddr(line); err == nil {
		c.addNet(netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), cat)
		return true
	}
	c.addHost(line, cat)
	return true
}

func init() {
	register("ntop", []luaFn{
		fn("getnDPIProtoCategory", func(b *binding, L *lua.LState) int {
			id := argInt(L, "getnDPIProtoCategory", 1, "proto_id", 0)
			cat := b.categories().ProtoCategory(ndpi.ProtoID(id))
			t := L.CreateTable(0, 2)
			t.RawSetString("id", lua.LNumber(cat))
			t.RawSetString("name", lua.LString(cat.String()))
			L.Push(t)
			return 1
		}),
		fn("setnDPIProtoCategory", func(b *binding, L *lua.LState) int {
			id := argInt(L, "setnDPIProtoCategory", 1, "proto_id", 0)
			if id < 0 || id > 0xffff {
				L.RaiseError("ntop.setnDPIProtoCategory: argument #1 (proto_id) is out of range: %d", id)
			}
			cat := argCategory(L, "setnDPIProtoCategory", 2)
			c := b.categories()
			c.mu.Lock()
			c.protoCats[ndpi.ProtoID(id)] = cat
			c.mu.Unlock()
			return 0
		}),
		// flowgate defines no custom applications (ntopng's protos.txt).
		fn("isCustomApplication", func(b *binding, L *lua.LState) int {
			_ = argInt(L, "isCustomApplication", 1, "proto_id", 0)
			L.Push(lua.LFalse)
			return 1
		}),
		fn("matchCustomCategory", func(b *binding, L *lua.LState) int {
			if cat, ok := b.categories().Match(argKey(L, "matchCustomCategory", 1, "host")); ok {
				b.pushI(L, int64(cat))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}),
		fn("initnDPIReload", func(b *binding, L *lua.LState) int {
			b.categories().initReload()
			L.Push(lua.LTrue)
			return 1
		}),
		fn("finalizenDPIReload", func(b *binding, L *lua.LState) int {
			L.Push(lua.LBool(b.categories().finalizeReload()))
			return 1
		}),
		fn("loadCustomCategoryIp", func(b *binding, L *lua.LState) int {
			cat := argCategory(L, "loadCustomCategoryIp", 1)
			s := argKey(L, "loadCustomCategoryIp", 2, "network")
			if !strings.ContainsAny(s, ".:") {
				L.RaiseError("ntop.loadCustomCategoryIp: argument #2 (network) is not an address or network: %q", s)
			}
			L.Push(lua.LBool(b.categories().load(s, cat)))
			return 1
		}),
		fn("loadCustomCategoryHost", func(b *binding, L *lua.LState) int {
			cat := argCategory(L, "loadCustomCategoryHost", 1)
			L.Push(lua.LBool(b.categories().load(argKey(L, "loadCustomCategoryHost", 2, "host"), cat)))
			return 1
		}),
		fn("loadCustomCategoryFile", func(b *binding, L *lua.LState) int {
			cat := argCategory(L, "loadCustomCategoryFile", 1)
			f, err := os.Open(argKey(L, "loadCustomCategoryFile", 2, "path"))
			if err != nil {
				b.log(slog.LevelWarn, "ntop.loadCustomCategoryFile: "+err.Error())
				L.Push(lua.LNil)
				return 1
			}
			defer f.Close()
			n := 0
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if b.categories().load(sc.Text(), cat) {
					n++
				}
			}
			b.pushI(L, int64(n))
			return 1
		}),
	})
}
