package api

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/store/kv"
)

// prefKey maps ntop.getPref/setPref keys into the cache: both "my_key" and
// the full "ntopng.prefs.my_key" name the same entry.
func prefKey(k string) string {
	if strings.HasPrefix(k, "ntopng.prefs.") {
		return k
	}
	return "ntopng.prefs." + k
}

const maxCacheValue = 64 << 20 // larger values are refused with an argument error

func strList(L *lua.LState, vs []string) *lua.LTable {
	t := L.CreateTable(len(vs), 0)
	for _, v := range vs {
		t.Append(lua.LString(v))
	}
	return t
}

// cacheFn wraps a cache call: f gets the store and returns the error of
// the store call, if any. A store error (Redis down, WRONGTYPE) is counted,
// logged at a bounded rate, and the function returns what f pushed or
// ntopng's "nothing" (nil) — a script never dies on a store problem.
type kvStore = kv.Store

func cacheFn(name string, f func(b *binding, L *lua.LState, s kv.Store) (int, error)) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int {
		n, err := f(b, L, b.deps.Cache.s)
		if err != nil {
			b.storeErr(name, err)
			if n == 0 {
				L.Push(lua.LNil)
				n = 1
			}
		}
		return n
	})
}

// storeErr counts a failed store call and logs the 1st, 2nd, 4th, 8th, …
func (b *binding) storeErr(name string, err error) {
	n := b.deps.Cache.errs.Add(1)
	if n&(n-1) == 0 {
		b.log(slog.LevelWarn, fmt.Sprintf("ntop.%s: %v (store errors so far: %d)", name, err, n))
	}
}

// argKey returns argument i as a string (numbers are accepted and
// converted, as Lua's own string functions do); anything else raises an
// error naming the function and the argument.
func argKey(L *lua.LState, fname string, i int, what string) string {
	switch v := L.Get(i).(type) {
	case lua.LString:
		if len(v) > maxCacheValue {
			L.RaiseError("ntop.%s: argument #%d (%s) is too long (%d bytes)", fname, i, what, len(v))
		}
		return string(v)
	case lua.LNumber:
		return v.String()
	default:
		L.RaiseError("ntop.%s: argument #%d (%s) must be a string, got %s", fname, i, what, L.Get(i).Type().String())
	}
	return ""
}

// argInt returns argument i as an integer, def when absent (nil).
func argInt(L *lua.LState, fname string, i int, what string, def int64) int64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		f := float64(v)
		if f != f || f > 1<<62 || f < -(1<<62) {
			L.RaiseError("ntop.%s: argument #%d (%s) is out of range", fname, i, what)
		}
		return int64(f)
	case lua.LString:
		var n int64
		if _, err := fmt.Sscan(string(v), &n); err == nil {
			return n
		}
	case *lua.LNilType:
		return def
	}
	L.RaiseError("ntop.%s: argument #%d (%s) must be a number, got %s", fname, i, what, L.Get(i).Type().String())
	return 0
}

// argTTL reads an optional TTL in seconds (ntopng: 0 or absent = none).
func argTTL(L *lua.LState, fname string, i int) time.Duration {
	n := argInt(L, fname, i, "ttl", 0)
	if n < 0 || n > 100*365*86400 {
		L.RaiseError("ntop.%s: argument #%d (ttl) is out of range: %d", fname, i, n)
	}
	return time.Duration(n) * time.Second
}

func pushStrOrEmpty(L *lua.LState, v string, ok bool) {
	_ = ok // ntopng answers "" for a missing key
	L.Push(lua.LString(v))
}

func pushStrOrNil(L *lua.LState, v string, ok bool) {
	if ok {
		L.Push(lua.LString(v))
	} else {
		L.Push(lua.LNil)
	}
}

func keySet(L *lua.LState, keys []string) lua.LValue {
	if len(keys) == 0 {
		return lua.LNil
	}
	t := L.CreateTable(0, len(keys))
	for _, k := range keys {
		t.RawSetString(k, lua.LTrue)
	}
	return t
}

func statsTable(L *lua.LState, st map[string]any) *lua.LTable {
	t := L.CreateTable(0, len(st))
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := st[k].(type) {
		case string:
			t.RawSetString(k, lua.LString(v))
		case int:
			t.RawSetString(k, lua.LNumber(v))
		case int64:
			t.RawSetString(k, lua.LNumber(v))
		case uint64:
			t.RawSetString(k, lua.LNumber(v))
		case bool:
			t.RawSetString(k, lua.LBool(v))
		default:
			t.RawSetString(k, lua.LString(fmt.Sprint(v)))
		}
	}
	return t
}

// cacheFuncs are docs/ntop-api.md §5 (Redis / Cache) and §6 (Preferences) on deps.Cache.
func cacheFuncs() []luaFn {
	return []luaFn{
		// strings; ntopng returns "" (not nil) for a missing string key
		cacheFn("getCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.Get(argKey(L, "getCache", 1, "key"))
			if errors.Is(err, kv.ErrWrongType) {
				err = nil
			}
			pushStrOrEmpty(L, v, ok)
			return 1, err
		}),
		cacheFn("setCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			k, v := argKey(L, "setCache", 1, "key"), argKey(L, "setCache", 2, "value")
			return 0, s.Set(k, v, argTTL(L, "setCache", 3))
		}),
		cacheFn("setnxCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			k, v := argKey(L, "setnxCache", 1, "key"), argKey(L, "setnxCache", 2, "value")
			ttl := argTTL(L, "setnxCache", 3)
			ok, err := s.SetNX(k, v)
			if ok && err == nil && ttl > 0 {
				_, err = s.Expire(k, ttl)
			}
			L.Push(lua.LBool(ok))
			return 1, err
		}),
		cacheFn("delCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.Del(argKey(L, "delCache", 1, "key"))
		}),
		cacheFn("renameCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			err := s.Rename(argKey(L, "renameCache", 1, "old_key"), argKey(L, "renameCache", 2, "new_key"))
			if errors.Is(err, kv.ErrNoKey) {
				err = nil // nothing to rename: as ntopng, silently nothing
			}
			return 0, err
		}),
		cacheFn("incrCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			k := argKey(L, "incrCache", 1, "key")
			n, err := s.Incr(k, argInt(L, "incrCache", 2, "amount", 1))
			if errors.Is(err, kv.ErrNotInt) {
				L.RaiseError("ntop.incrCache: the value of %q is not an integer", k)
			}
			b.pushI(L, n)
			return 1, err
		}),
		cacheFn("flushCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			err := s.FlushAll()
			L.Push(lua.LBool(err == nil))
			return 1, err
		}),
		cacheFn("getKeysCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			keys, err := s.Keys(argKey(L, "getKeysCache", 1, "pattern"))
			L.Push(keySet(L, keys))
			return 1, err
		}),
		cacheFn("getCacheStatus", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			L.Push(statsTable(L, s.Stats()))
			return 1, nil
		}),
		cacheFn("getCacheStats", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			st := s.Stats()
			st["errors_lua"] = b.deps.Cache.errs.Load()
			L.Push(statsTable(L, st))
			return 1, nil
		}),
		cacheFn("hasDumpCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			ttl, err := s.TTL(argKey(L, "hasDumpCache", 1, "key"))
			L.Push(lua.LBool(err == nil && ttl != -2))
			return 1, err
		}),
		cacheFn("dumpCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.Dump(argKey(L, "dumpCache", 1, "key"))
			pushStrOrNil(L, v, ok)
			return 1, err
		}),
		cacheFn("restoreCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			k, d := argKey(L, "restoreCache", 1, "key"), argKey(L, "restoreCache", 2, "dump")
			err := s.Restore(k, d, argTTL(L, "restoreCache", 3))
			L.Push(lua.LBool(err == nil))
			if errors.Is(err, kv.ErrBadDump) {
				err = nil // a bad dump is the caller's: false, no store error
			}
			return 1, err
		}),

		// hashes
		cacheFn("getHashCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.HGet(argKey(L, "getHashCache", 1, "key"), argKey(L, "getHashCache", 2, "field"))
			if errors.Is(err, kv.ErrWrongType) {
				err = nil
			}
			pushStrOrEmpty(L, v, ok)
			return 1, err
		}),
		cacheFn("setHashCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.HSet(argKey(L, "setHashCache", 1, "key"), argKey(L, "setHashCache", 2, "field"),
				argKey(L, "setHashCache", 3, "value"))
		}),
		cacheFn("delHashCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.HDel(argKey(L, "delHashCache", 1, "key"), argKey(L, "delHashCache", 2, "field"))
		}),
		cacheFn("getHashAllCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			m, err := s.HGetAll(argKey(L, "getHashAllCache", 1, "key"))
			if len(m) == 0 {
				L.Push(lua.LNil)
				return 1, err
			}
			t := L.CreateTable(0, len(m))
			for k, v := range m {
				t.RawSetString(k, lua.LString(v))
			}
			L.Push(t)
			return 1, err
		}),
		cacheFn("getHashKeysCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			m, err := s.HGetAll(argKey(L, "getHashKeysCache", 1, "key"))
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			L.Push(keySet(L, keys))
			return 1, err
		}),

		// lists; l/rpushCache take ntopng's optional trim size
		cacheFn("lpushCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, push(L, s, "lpushCache", true)
		}),
		cacheFn("rpushCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, push(L, s, "rpushCache", false)
		}),
		cacheFn("lpopCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.Pop(argKey(L, "lpopCache", 1, "key"), true)
			pushStrOrNil(L, v, ok)
			return 1, err
		}),
		cacheFn("rpopCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.Pop(argKey(L, "rpopCache", 1, "key"), false)
			pushStrOrNil(L, v, ok)
			return 1, err
		}),
		cacheFn("lremCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			// ntopng's lremCache(key, value[, count]) and the seed's (key, count, value)
			k := argKey(L, "lremCache", 1, "key")
			var count int64
			var val string
			if _, isNum := L.Get(2).(lua.LNumber); isNum && L.GetTop() >= 3 {
				count, val = argInt(L, "lremCache", 2, "count", 0), argKey(L, "lremCache", 3, "value")
			} else {
				val, count = argKey(L, "lremCache", 2, "value"), argInt(L, "lremCache", 3, "count", 0)
			}
			_, err := s.LRem(k, int(count), val)
			return 0, err
		}),
		cacheFn("ltrimCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.LTrim(argKey(L, "ltrimCache", 1, "key"), int(argInt(L, "ltrimCache", 2, "start", 0)),
				int(argInt(L, "ltrimCache", 3, "stop", -1)))
		}),
		cacheFn("lrangeCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			l, err := s.LRange(argKey(L, "lrangeCache", 1, "key"), int(argInt(L, "lrangeCache", 2, "start", 0)),
				int(argInt(L, "lrangeCache", 3, "stop", -1)))
			if len(l) == 0 {
				L.Push(lua.LNil) // ntopng: nil for an empty or missing list
				return 1, err
			}
			L.Push(strList(L, l))
			return 1, err
		}),
		cacheFn("llenCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			n, err := s.LLen(argKey(L, "llenCache", 1, "key"))
			b.pushI(L, int64(n))
			return 1, err
		}),
		cacheFn("listIndexCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.LIndex(argKey(L, "listIndexCache", 1, "key"), int(argInt(L, "listIndexCache", 2, "index", 0)))
			pushStrOrNil(L, v, ok)
			return 1, err
		}),

		// sets
		cacheFn("setMembersCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.SAdd(argKey(L, "setMembersCache", 1, "key"), argKey(L, "setMembersCache", 2, "member"))
		}),
		cacheFn("delMembersCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.SRem(argKey(L, "delMembersCache", 1, "key"), argKey(L, "delMembersCache", 2, "member"))
		}),
		cacheFn("getMembersCache", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			m, err := s.SMembers(argKey(L, "getMembersCache", 1, "key"))
			if len(m) == 0 {
				L.Push(lua.LNil)
				return 1, err
			}
			L.Push(strList(L, m))
			return 1, err
		}),

		// preferences (§6)
		cacheFn("getPref", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			v, ok, err := s.Get(prefKey(argKey(L, "getPref", 1, "key")))
			pushStrOrEmpty(L, v, ok)
			return 1, err
		}),
		cacheFn("setPref", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			return 0, s.Set(prefKey(argKey(L, "setPref", 1, "key")), argKey(L, "setPref", 2, "value"), 0)
		}),
		cacheFn("getPrefs", func(b *binding, L *lua.LState, s kv.Store) (int, error) {
			keys, err := s.Keys("ntopng.prefs.*")
			t := L.CreateTable(0, len(keys))
			for _, k := range keys {
				if v, ok, gerr := s.Get(k); ok && gerr == nil { // hashes under the prefix are skipped
					t.RawSetString(strings.TrimPrefix(k, "ntopng.prefs."), lua.LString(v))
				}
			}
			L.Push(t)
			return 1, err
		}),
		// Preferences are read from the store on every getPref: nothing to reload.
		fn("reloadPreferences", func(b *binding, L *lua.LState) int { return 0 }),
	}
}

// push is l/rpushCache(key, value[, trim_size]): with trim_size the list
// keeps the trim_size newest elements (ntopng's bounded queues).
func push(L *lua.LState, s kv.Store, fname string, left bool) error {
	k, v := argKey(L, fname, 1, "key"), argKey(L, fname, 2, "value")
	trim := argInt(L, fname, 3, "trim_size", 0)
	if trim < 0 {
		L.RaiseError("ntop.%s: argument #3 (trim_size) must not be negative", fname)
	}
	if _, err := s.Push(k, v, left); err != nil {
		return err
	}
	if trim > 0 {
		if left {
			return s.LTrim(k, 0, int(trim)-1)
		}
		return s.LTrim(k, -int(trim), -1)
	}
	return nil
}
