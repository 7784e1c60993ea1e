package api

import (
	"sort"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// docs/ntop-api.md §13: per-interface samples housekeeping scripts store, kept in the
// cache store (a hash per interface and granularity, field = the sample's
// epoch rounded down to its granularity) rather than ntopng's SQLite
// files: the same calls and answers, persisted and shared as the cache is.

type statsGran struct {
	name string
	secs int64
}

var (
	granMinute = statsGran{"min", 60}
	granHour   = statsGran{"hour", 3600}
	granDay    = statsGran{"day", 86400}
)

func statsKey(ifid int64, g statsGran) string {
	return "flowgate.stats." + strconv.FormatInt(ifid, 10) + "." + g.name
}

func (b *binding) now() time.Time {
	if !b.ctx.Now.IsZero() {
		return b.ctx.Now
	}
	return time.Now()
}

func insertSampling(g statsGran, fname string) luaFn {
	return cacheFn(fname, func(b *binding, L *lua.LState, s kvStore) (int, error) {
		ifid, data := argInt(L, fname, 1, "ifid", 0), argKey(L, fname, 2, "data")
		t := b.now().Unix()
		t -= t % g.secs
		return 0, s.HSet(statsKey(ifid, g), strconv.FormatInt(t, 10), data)
	})
}

// samplings returns {epoch = data} for samples with from <= epoch <= to.
func samplings(L *lua.LState, s kvStore, ifid int64, g statsGran, from, to int64) (int, error) {
	m, err := s.HGetAll(statsKey(ifid, g))
	epochs := make([]int64, 0, len(m))
	for k := range m {
		if e, perr := strconv.ParseInt(k, 10, 64); perr == nil && e >= from && e <= to {
			epochs = append(epochs, e)
		}
	}
	sort.Slice(epochs, func(i, j int) bool { return epochs[i] < epochs[j] })
	t := L.CreateTable(0, len(epochs))
	for _, e := range epochs {
		t.RawSet(lua.LNumber(e), lua.LString(m[strconv.FormatInt(e, 10)]))
	}
	L.Push(t)
	return 1, err
}

func fromEpoch(g statsGran, fname string) luaFn {
	return cacheFn(fname, func(b *binding, L *lua.LState, s kvStore) (int, error) {
		ifid, from := argInt(L, fname, 1, "ifid", 0), argInt(L, fname, 2, "epoch", 0)
		return samplings(L, s, ifid, g, from, 1<<62)
	})
}

func deleteOlder(g statsGran, fname string) luaFn {
	return cacheFn(fname, func(b *binding, L *lua.LState, s kvStore) (int, error) {
		ifid, days := argInt(L, fname, 1, "ifid", 0), argInt(L, fname, 2, "days", 0)
		if days < 0 || days > 100*365 {
			L.RaiseError("ntop.%s: argument #2 (days) is out of range: %d", fname, days)
		}
		limit := b.now().Unix() - days*86400
		key := statsKey(ifid, g)
		m, err := s.HGetAll(key)
		if err != nil {
			return 0, err
		}
		for k := range m {
			if e, perr := strconv.ParseInt(k, 10, 64); perr != nil || e < limit {
				if err := s.HDel(key, k); err != nil {
					return 0, err
				}
			}
		}
		return 0, nil
	})
}

func init() {
	register("ntop", []luaFn{
		insertSampling(granMinute, "insertMinuteSampling"),
		insertSampling(granHour, "insertHourSampling"),
		insertSampling(granDay, "insertDaySampling"),
		cacheFn("getMinuteSampling", func(b *binding, L *lua.LState, s kvStore) (int, error) {
			ifid, e := argInt(L, "getMinuteSampling", 1, "ifid", 0), argInt(L, "getMinuteSampling", 2, "epoch", 0)
			e -= e % granMinute.secs
			v, ok, err := s.HGet(statsKey(ifid, granMinute), strconv.FormatInt(e, 10))
			pushStrOrNil(L, v, ok)
			return 1, err
		}),
		fromEpoch(granMinute, "getMinuteSamplingsFromEpoch"),
		fromEpoch(granHour, "getHourSamplingsFromEpoch"),
		fromEpoch(granDay, "getDaySamplingsFromEpoch"),
		cacheFn("getMinuteSamplingsInterval", func(b *binding, L *lua.LState, s kvStore) (int, error) {
			ifid := argInt(L, "getMinuteSamplingsInterval", 1, "ifid", 0)
			from, to := argInt(L, "getMinuteSamplingsInterval", 2, "from", 0), argInt(L, "getMinuteSamplingsInterval", 3, "to", 0)
			return samplings(L, s, ifid, granMinute, from, to)
		}),
		deleteOlder(granMinute, "deleteMinuteStatsOlderThan"),
		deleteOlder(granHour, "deleteHourStatsOlderThan"),
		deleteOlder(granDay, "deleteDayStatsOlderThan"),
	})
}
