package api

import (
	"errors"
	"sort"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// LuaCache is seed §32's in-process cache (ntop.getLuaCache/setLuaCache),
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
	v   any
	exp time.Time // zero: none
}

const (
	luaCacheMax   = 64 << 10
	luaValueDepth = 16
)

// NewLuaCache returns an empty cache.
func NewLuaCache() *LuaCache {
	return &LuaCache{entries: map[string]luaCacheEntry{}, now: time.Now}
}

func (c *LuaCache) set(k string, v any, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == nil {
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

func (c *LuaCache) lookup(k string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok && !e.exp.IsZero() && !c.now().Before(e.exp) {
		delete(c.entries, k)
		return nil, false
	}
	return e.v, ok
}

func (c *LuaCache) get(L *lua.LState, k string) lua.LValue {
	v, ok := c.lookup(k)
	if !ok {
		return lua.LNil
	}
	return toLua(L, v)
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
			t.RawSetString(k, toLua(L, v))
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

type luaPair struct{ k, v any }

var errLuaValue = errors.New("only strings, numbers, booleans and tables of them can be cached")

// fromLua copies a Lua value into Go: string, float64, bool, nil or
// []luaPair for a table.
func fromLua(v lua.LValue, depth int) (any, error) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LString:
		return string(x), nil
	case lua.LNumber:
		return float64(x), nil
	case lua.LBool:
		return bool(x), nil
	case *lua.LTable:
		if depth >= luaValueDepth {
			return nil, errors.New("table nested too deep (or cyclic)")
		}
		var out []luaPair
		var err error
		x.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			var gk, gv any
			if gk, err = fromLua(k, depth+1); err != nil {
				return
			}
			gv, err = fromLua(val, depth+1)
			out = append(out, luaPair{gk, gv})
		})
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = []luaPair{}
		}
		return out, nil
	}
	return nil, errLuaValue
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case string:
		return lua.LString(x)
	case float64:
		return lua.LNumber(x)
	case bool:
		return lua.LBool(x)
	case []luaPair:
		t := L.CreateTable(0, len(x))
		for _, p := range x {
			t.RawSet(toLua(L, p.k), toLua(L, p.v))
		}
		return t
	}
	return lua.LNil
}
