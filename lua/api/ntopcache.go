package api

import (
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// prefKey maps ntop.getPref/setPref keys into the cache: both "my_key" and
// the full "ntopng.prefs.my_key" name the same entry.
func prefKey(k string) string {
	if strings.HasPrefix(k, "ntopng.prefs.") {
		return k
	}
	return "ntopng.prefs." + k
}

func (b *binding) pushOpt(L *lua.LState, v string, ok bool) {
	if ok {
		L.Push(lua.LString(v))
	} else {
		L.Push(lua.LNil)
	}
}

func strList(L *lua.LState, vs []string) *lua.LTable {
	t := L.CreateTable(len(vs), 0)
	for _, v := range vs {
		t.Append(lua.LString(v))
	}
	return t
}

// cacheFuncs are the ntop.*Cache and preference calls, on deps.Cache.
func cacheFuncs() []luaFn {
	return []luaFn{
		// ntopng returns "" (not nil) for a missing string key.
		fn("getCache", func(b *binding, L *lua.LState) int {
			v, _ := b.deps.Cache.Get(L.CheckString(1))
			L.Push(lua.LString(v))
			return 1
		}),
		fn("setCache", func(b *binding, L *lua.LState) int {
			ttl := time.Duration(L.OptInt64(3, 0)) * time.Second
			b.deps.Cache.Set(L.CheckString(1), L.ToString(2), ttl)
			return 0
		}),
		fn("setnxCache", func(b *binding, L *lua.LState) int {
			L.Push(lua.LBool(b.deps.Cache.SetNX(L.CheckString(1), L.ToString(2))))
			return 1
		}),
		fn("delCache", func(b *binding, L *lua.LState) int { b.deps.Cache.Del(L.CheckString(1)); return 0 }),
		fn("incrCache", func(b *binding, L *lua.LState) int {
			n, err := b.deps.Cache.Incr(L.CheckString(1), L.OptInt64(2, 1))
			if err != nil {
				L.RaiseError("ntop.incrCache %s: value is not an integer", L.CheckString(1))
			}
			b.pushI(L, n)
			return 1
		}),
		fn("getKeysCache", func(b *binding, L *lua.LState) int {
			keys := b.deps.Cache.Keys(L.CheckString(1))
			if len(keys) == 0 {
				L.Push(lua.LNil)
				return 1
			}
			t := L.CreateTable(0, len(keys))
			for _, k := range keys {
				t.RawSetString(k, lua.LTrue)
			}
			L.Push(t)
			return 1
		}),
		fn("getHashCache", func(b *binding, L *lua.LState) int {
			v, _ := b.deps.Cache.HGet(L.CheckString(1), L.CheckString(2))
			L.Push(lua.LString(v))
			return 1
		}),
		fn("setHashCache", func(b *binding, L *lua.LState) int {
			b.deps.Cache.HSet(L.CheckString(1), L.CheckString(2), L.ToString(3))
			return 0
		}),
		fn("delHashCache", func(b *binding, L *lua.LState) int {
			b.deps.Cache.HDel(L.CheckString(1), L.CheckString(2))
			return 0
		}),
		fn("getHashAllCache", func(b *binding, L *lua.LState) int {
			m := b.deps.Cache.HGetAll(L.CheckString(1))
			if len(m) == 0 {
				L.Push(lua.LNil)
				return 1
			}
			t := L.CreateTable(0, len(m))
			for k, v := range m {
				t.RawSetString(k, lua.LString(v))
			}
			L.Push(t)
			return 1
		}),
		fn("getHashKeysCache", func(b *binding, L *lua.LState) int {
			m := b.deps.Cache.HGetAll(L.CheckString(1))
			if len(m) == 0 {
				L.Push(lua.LNil)
				return 1
			}
			t := L.CreateTable(0, len(m))
			for k := range m {
				t.RawSetString(k, lua.LTrue)
			}
			L.Push(t)
			return 1
		}),
		fn("lpushCache", func(b *binding, L *lua.LState) int {
			b.deps.Cache.Push(L.CheckString(1), L.ToString(2), true)
			return 0
		}),
		fn("rpushCache", func(b *binding, L *lua.LState) int {
			b.deps.Cache.Push(L.CheckString(1), L.ToString(2), false)
			return 0
		}),
		fn("lpopCache", func(b *binding, L *lua.LState) int {
			v, ok := b.deps.Cache.Pop(L.CheckString(1), true)
			b.pushOpt(L, v, ok)
			return 1
		}),
		fn("rpopCache", func(b *binding, L *lua.LState) int {
			v, ok := b.deps.Cache.Pop(L.CheckString(1), false)
			b.pushOpt(L, v, ok)
			return 1
		}),
		fn("lrangeCache", func(b *binding, L *lua.LState) int {
			L.Push(strList(L, b.deps.Cache.Range(L.CheckString(1), L.OptInt(2, 0), L.OptInt(3, -1))))
			return 1
		}),
		fn("llenCache", func(b *binding, L *lua.LState) int {
			b.pushI(L, int64(b.deps.Cache.Len(L.CheckString(1))))
			return 1
		}),
		fn("getPref", func(b *binding, L *lua.LState) int {
			v, _ := b.deps.Cache.Get(prefKey(L.CheckString(1)))
			L.Push(lua.LString(v))
			return 1
		}),
		fn("setPref", func(b *binding, L *lua.LState) int {
			b.deps.Cache.Set(prefKey(L.CheckString(1)), L.ToString(2), 0)
			return 0
		}),
	}
}
