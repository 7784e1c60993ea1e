package api

import (
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/history/rrd"
)

// The ntop.rrd_* functions of docs/ntop-api.md §14 over history/rrd, with
// ntopng's calling conventions (src/LuaEngineNtop.cpp): paths are files
// under the data dir (ntopng's are under dirs.workingdir, which is
// DataDir), confined to it. create, update and tune answer nil on success
// and the error message otherwise (ntopng's ts_rrd driver checks `err ~=
// nil`); fetch answers nil values for a missing or unreadable RRD.

func (b *binding) rrdStore() *rrd.Store {
	if b.deps.Services != nil && b.deps.Services.RRD != nil {
		return b.deps.Services.RRD
	}
	if b.rrd == nil {
		b.rrd = rrd.New(rrd.Configuration{Dir: b.deps.DataDir, Now: b.now})
	}
	return b.rrd
}

// rrdArgs reads the string-or-number arguments from i on.
func rrdArgs(L *lua.LState, fname string, i int) []string {
	var out []string
	for ; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			out = append(out, string(v))
		case lua.LNumber:
			out = append(out, lnumString(float64(v)))
		default:
			L.RaiseError("ntop.%s: argument #%d must be a string or a number, got %s", fname, i, v.Type().String())
		}
	}
	return out
}

func lnumString(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func pushErr(L *lua.LState, err error) int {
	if err != nil {
		L.Push(lua.LString(err.Error()))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// rrdTime reads a fetch bound: an epoch, "now"/"N", or rrdtool's relative
// "-<n>[s|min|h|d|w]" (from now).
func rrdTime(L *lua.LState, fname string, i int, now int64) int64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return argInt(L, fname, i, "time", 0)
	case lua.LString:
		s := strings.TrimSpace(string(v))
		if s == "now" || s == "N" {
			return now
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n < 0 {
				return now + n
			}
			return n
		}
		if strings.HasPrefix(s, "-") {
			units := []struct {
				suffix string
				secs   int64
			}{{"min", 60}, {"s", 1}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}}
			for _, u := range units {
				if num, ok := strings.CutSuffix(s[1:], u.suffix); ok {
					if n, err := strconv.ParseInt(num, 10, 64); err == nil && n >= 0 && n < 1<<31 {
						return now - n*u.secs
					}
				}
			}
		}
	}
	L.RaiseError("ntop.%s: argument #%d (time) must be an epoch, \"now\" or -<n>[s|min|h|d|w]", fname, i)
	return 0
}

func init() {
	register("ntop", []luaFn{
		fn("rrd_create", func(b *binding, L *lua.LState) int {
			path := L.CheckString(1)
			step := argInt(L, "rrd_create", 2, "step", 0)
			start, from := int64(-1), 3
			if n, ok := L.Get(3).(lua.LNumber); ok {
				start, from = int64(n), 4
			}
			return pushErr(L, b.rrdStore().Create(path, step, start, rrdArgs(L, "rrd_create", from)))
		}),
		fn("rrd_update", func(b *binding, L *lua.LState) int {
			path := L.CheckString(1)
			args := rrdArgs(L, "rrd_update", 2)
			var arg string
			switch {
			case len(args) == 1 && strings.Contains(args[0], ":"):
				arg = args[0] // rrdtool's "N:v1:v2"
			case len(args) >= 2:
				arg = strings.Join(args, ":") // ntopng 4's (path, when, v1, v2, ...)
			default:
				L.RaiseError("ntop.rrd_update: want (path, \"time:v1[:v2...]\") or (path, time, v1, ...)")
			}
			return pushErr(L, b.rrdStore().Update(path, arg))
		}),
		fn("rrd_lastupdate", func(b *binding, L *lua.LState) int {
			r, err := b.rrdStore().Load(L.CheckString(1))
			if err != nil {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(lua.LNumber(r.LastUpdate))
			L.Push(lua.LNumber(len(r.DS)))
			return 2
		}),
		fn("rrd_fetch", func(b *binding, L *lua.LState) int {
			f, ok := rrdFetch(b, L, "rrd_fetch")
			if !ok {
				return 4
			}
			names := L.CreateTable(len(f.Names), 0)
			for _, n := range f.Names {
				names.Append(lua.LString(n))
			}
			rows := L.CreateTable(len(f.Rows), 0)
			for _, r := range f.Rows {
				row := L.CreateTable(len(r), 0)
				for j, v := range r {
					if !math.IsNaN(v) { // ntopng skips NaN: the row has holes
						row.RawSetInt(j+1, lua.LNumber(v))
					}
				}
				rows.Append(row)
			}
			L.Push(lua.LNumber(f.Start))
			L.Push(lua.LNumber(f.Step))
			L.Push(names)
			L.Push(rows)
			L.Push(lua.LNumber(f.End))
			return 5
		}),
		fn("rrd_fetch_columns", func(b *binding, L *lua.LState) int {
			f, ok := rrdFetch(b, L, "rrd_fetch_columns")
			if !ok {
				return 4
			}
			cols := L.CreateTable(0, len(f.Names))
			for j, n := range f.Names {
				col := L.CreateTable(len(f.Rows), 0)
				for _, r := range f.Rows {
					col.Append(lua.LNumber(r[j])) // NaN kept, as ntopng does
				}
				cols.RawSetString(n, col)
			}
			L.Push(lua.LNumber(f.Start))
			L.Push(lua.LNumber(f.Step))
			L.Push(cols)
			L.Push(lua.LNumber(f.End))
			L.Push(lua.LNumber(len(f.Rows)))
			return 5
		}),
		fn("rrd_tune", func(b *binding, L *lua.LState) int {
			path := L.CheckString(1)
			return pushErr(L, b.rrdStore().Tune(path, rrdArgs(L, "rrd_tune", 2)))
		}),
		fn("deleteOldRRDs", func(b *binding, L *lua.LState) int {
			var dir string
			switch v := L.Get(1).(type) {
			case lua.LString:
				dir = string(v)
			case lua.LNumber: // ntopng 3's (ifid, seconds): the interface's rrd dir
				dir = strconv.FormatInt(int64(v), 10) + "/rrd"
			default:
				L.RaiseError("ntop.deleteOldRRDs: argument #1 (dir) must be a string or an ifid")
			}
			secs := argInt(L, "deleteOldRRDs", 2, "older_than_seconds", 0)
			if secs < 0 {
				L.RaiseError("ntop.deleteOldRRDs: argument #2 (older_than_seconds) is negative")
			}
			if _, err := b.rrdStore().DeleteOld(dir, time.Duration(secs)*time.Second); err != nil && !errors.Is(err, rrd.ErrNotFound) {
				b.log(slog.LevelWarn, "ntop.deleteOldRRDs: "+err.Error())
			}
			return 0
		}),
	})
}

// rrdFetch reads fetch's arguments (path, cf, start, end [, resolution])
// and fetches; on failure it pushes four nils (ntopng's answer).
func rrdFetch(b *binding, L *lua.LState, fname string) (*rrd.Fetched, bool) {
	path, cf := L.CheckString(1), L.CheckString(2)
	now := b.now().Unix()
	start, end := rrdTime(L, fname, 3, now), rrdTime(L, fname, 4, now)
	res := argInt(L, fname, 5, "step", 0)
	f, err := b.rrdStore().Fetch(path, cf, start, end, res)
	if err != nil {
		if !errors.Is(err, rrd.ErrNotFound) {
			b.log(slog.LevelWarn, "ntop."+fname+": "+err.Error())
		}
		for range 4 {
			L.Push(lua.LNil)
		}
		return nil, false
	}
	return f, true
}
