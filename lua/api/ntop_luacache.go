package api

import (
	"sort"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/vm"
)

// LuaCache is the in-process cache of docs/ntop-api.md §32 (ntop.getLuaCache/setLuaCache),
// shared by every Lua state through Deps.LuaCache. Lua values cannot cross
// states, so values are kept as Go copies (strings, numbers, booleans and
// tables of them) and rebuilt in the reading state. Bounded: when full,
// expired entries go first, then everything (it is a cache).
type LuaCache struct {
	mu      sync.Mutex
	entries map[string]luaCacheEntry
	now     func() time.Time
}

type luaCacheEntry struct {
	v   vm.Frozen
	exp time.Time // zero: none
}

const luaCacheMax = 64 << 10

// NewLuaCache returns an empty cache.
func NewLuaCache() *LuaCache {
	return &LuaCache{entries: map[string]luaCacheEntry{}, now: time.Now}
}

func (c *LuaCache) set(k string, v vm.Frozen, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v.IsNil() {
		delete(c.entries, k)
		return
	}
	if len(c.entries) >= luaCacheMax {
		now := c.now()
		for key, e := range c.entries {
			if !e.exp.IsZero() && !now.Before(e.exp) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= luaCacheMax {
			c.entries = map[string]luaCacheEntry{}
		}
	}
	e := luaCacheEntry{v: v}
	if ttl > 0 {
		e.exp = c.now().Add(ttl)
	}
	c.entries[k] = e
}

func (c *LuaCache) lookup(k string) (vm.Frozen, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok && !e.exp.IsZero() && !c.now().Before(e.exp) {
		delete(c.entries, k)
		return vm.Frozen{}, false
	}
	return e.v, ok
}

func (c *LuaCache) get(L *lua.LState, k string) lua.LValue {
	v, ok := c.lookup(k)
	if !ok {
		return lua.LNil
	}
	return v.Thaw(L)
}

func (c *LuaCache) dump(L *lua.LState) *lua.LTable {
	c.mu.Lock()
	keys := make([]string, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	c.mu.Unlock()
	sort.Strings(keys)
	t := L.CreateTable(0, len(keys))
	for _, k := range keys {
		if v, ok := c.lookup(k); ok {
			t.RawSetString(k, v.Thaw(L))
		}
	}
	return t
}

func (b *binding) luaCache() *LuaCache {
	if b.deps.LuaCache == nil {
		b.deps.LuaCache = NewLuaCache()
	}
	return b.deps.LuaCache
}
