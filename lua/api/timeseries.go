package api

import (
	"context"
	"fmt"
	"math"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/history"
)

// flowgate_ts is the Go side of lua/modules' ts_utils: the time-series
// store of Services.Timeseries (schemas, append, query). Failures answer
// nil (or false) and the message, so that ts_utils can log them as ntopng
// does and the script carries on.
const tsModule = "flowgate_ts"

// tsQueryTimeout bounds one query from a script.
const tsQueryTimeout = 5 * time.Second

func (b *binding) loadTimeseries(L *lua.LState) int {
	var ts *history.Scripts
	if b.deps.Services != nil {
		ts = b.deps.Services.Timeseries
	}
	fail := func(L *lua.LState, err error) int {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	noStore := fmt.Errorf("no time-series store in this process (--disable-timeseries)")
	strings := func(L *lua.LState, i int) []string {
		t, ok := L.Get(i).(*lua.LTable)
		if !ok {
			L.ArgError(i, "table expected")
		}
		var out []string
		t.ForEach(func(_, v lua.LValue) {
			out = append(out, lua.LVAsString(v))
		})
		return out
	}
	tags := func(L *lua.LState, i int) map[string]string {
		out := map[string]string{}
		if t, ok := L.Get(i).(*lua.LTable); ok {
			t.ForEach(func(k, v lua.LValue) {
				switch v.(type) {
				case lua.LString, lua.LNumber:
					out[lua.LVAsString(k)] = lua.LVAsString(v)
				}
			})
		}
		return out
	}
	m := L.NewTable()
	L.SetFuncs(m, map[string]lua.LGFunction{
		"schema": func(L *lua.LState) int {
			if ts == nil {
				return fail(L, noStore)
			}
			sc := ts.Schema(L.CheckString(1))
			if sc == nil {
				L.Push(lua.LNil)
				return 1
			}
			t := L.NewTable()
			t.RawSetString("name", lua.LString(sc.Name))
			t.RawSetString("step", lua.LNumber(sc.Step))
			t.RawSetString("metrics_type", lua.LString(sc.Type.String()))
			tt, mt := L.NewTable(), L.NewTable()
			for _, x := range sc.Tags {
				tt.Append(lua.LString(x))
			}
			for _, x := range sc.Metrics {
				mt.Append(lua.LString(x))
			}
			t.RawSetString("tags", tt)
			t.RawSetString("metrics", mt)
			L.Push(t)
			return 1
		},
		"define": func(L *lua.LState) int {
			if ts == nil {
				return fail(L, noStore)
			}
			typ := history.Counter
			switch L.OptString(3, "counter") {
			case "counter":
			case "gauge":
				typ = history.Gauge
			default:
				return fail(L, fmt.Errorf("metrics_type %q: want counter or gauge", L.OptString(3, "")))
			}
			if _, err := ts.Define(L.CheckString(1), int64(L.CheckNumber(2)), typ, strings(L, 4), strings(L, 5)); err != nil {
				return fail(L, err)
			}
			L.Push(lua.LTrue)
			return 1
		},
		"append": func(L *lua.LState) int {
			if ts == nil {
				return fail(L, noStore)
			}
			metrics := map[string]float64{}
			if t, ok := L.Get(3).(*lua.LTable); ok {
				t.ForEach(func(k, v lua.LValue) {
					f := math.NaN()
					switch x := v.(type) {
					case lua.LNumber:
						f = float64(x)
					case lua.LString:
						if n, err := parseLuaNumber(string(x)); err == nil {
							f = n
						}
					}
					metrics[lua.LVAsString(k)] = f
				})
			}
			when := int64(L.OptNumber(4, lua.LNumber(b.now().Unix())))
			if err := ts.Append(L.CheckString(1), tags(L, 2), metrics, when); err != nil {
				return fail(L, err)
			}
			L.Push(lua.LTrue)
			return 1
		},
		"query": func(L *lua.LState) int {
			if ts == nil {
				return fail(L, noStore)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tsQueryTimeout)
			defer cancel()
			res, err := ts.Query(ctx, L.CheckString(1), tags(L, 2), int64(L.CheckNumber(3)), int64(L.CheckNumber(4)), L.OptInt(5, 0))
			if err != nil {
				return fail(L, err)
			}
			L.Push(tsResult(L, res))
			return 1
		},
	})
	L.Push(m)
	return 1
}

func parseLuaNumber(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}

// tsResult is ntopng's ts_utils.query answer: {start, step, count,
// series = {{label, data, statistics}}, statistics} (data points without a
// value are NaN, ntopng's fill value).
func tsResult(L *lua.LState, r *history.Result) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("start", lua.LNumber(r.Begin))
	t.RawSetString("step", lua.LNumber(r.Step))
	t.RawSetString("count", lua.LNumber(r.Points))
	series := L.NewTable()
	for _, s := range r.Series {
		st := L.NewTable()
		st.RawSetString("label", lua.LString(s.ID))
		data := L.CreateTable(len(s.Data), 0)
		for _, v := range s.Data {
			data.Append(lua.LNumber(v))
		}
		st.RawSetString("data", data)
		st.RawSetString("statistics", tsStats(L, s.Stats))
		series.Append(st)
	}
	t.RawSetString("series", series)
	if len(r.Series) == 1 {
		t.RawSetString("statistics", tsStats(L, r.Series[0].Stats))
	}
	return t
}

func tsStats(L *lua.LState, s history.Stats) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("total", lua.LNumber(s.Total))
	t.RawSetString("average", lua.LNumber(s.Average))
	t.RawSetString("min_val", lua.LNumber(s.Min))
	t.RawSetString("max_val", lua.LNumber(s.Max))
	t.RawSetString("95th_percentile", lua.LNumber(s.P95))
	return t
}
