package modules

import (
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/history"
	"flowgate/lua/api"
)

// tsState is a state with the bindings, the modules and a real
// time-series store whose clock is t0 + 1 h.
func tsState(t *testing.T, t0 int64) *lua.LState {
	t.Helper()
	st := history.New(history.Configuration{DataDir: t.TempDir(), Now: func() time.Time { return time.Unix(t0+3600, 0) }})
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Stop)
	L := lua.NewState()
	t.Cleanup(L.Close)
	ctx := &api.Context{Now: time.Unix(t0, 0)}
	api.Install(L, ctx, api.Deps{Services: &api.Services{Timeseries: history.NewScripts(st)}})
	Install(L, ctx)
	return L
}

// TestTSUtils: a script defines a schema, appends and queries it; the
// store's own schemas are known without being defined; bad input answers
// false or nil and leaves the store as it was.
func TestTSUtils(t *testing.T) {
	const t0 = 1700000040 // a multiple of 60
	L := tsState(t, t0)
	src := `
		local T0 = ` + "1700000040" + `
		local ts_utils = require "ts_utils"
		local s = ts_utils.newSchema("custom:temperature", {step = 60, metrics_type = ts_utils.metrics.gauge})
		s:addTag("ifid")
		s:addTag("sensor")
		s:addMetric("celsius")
		for i = 1, 10 do
			assert(ts_utils.append("custom:temperature", {ifid = 0, sensor = "a", celsius = 20 + i}, T0 + 60 * i))
		end
		local r = ts_utils.query("custom:temperature", {ifid = 0, sensor = "a"}, T0, T0 + 600)
		assert(r and r.step == 60 and #r.series == 1 and r.series[1].label == "celsius", "shape")
		local n, sum = 0, 0
		for _, v in ipairs(r.series[1].data) do if v == v then n = n + 1; sum = sum + v end end
		assert(n == 10 and sum == 255, "points " .. n .. " sum " .. sum)
		assert(r.statistics.total == 255 and r.statistics.max_val == 30 and r.statistics.min_val == 21, "stats")

		-- the store's schema: a counter stored as a rate (1000 bytes/s)
		local it = ts_utils.getSchema("iface:traffic")
		assert(it and it.options.step == 1 and it._tags[1] == "ifid" and it._metrics[1] == "bytes", "getSchema")
		for i = 0, 10 do assert(ts_utils.append("iface:traffic", {ifid = 1, bytes = 1000 * i}, T0 + i)) end
		local q = ts_utils.query("iface:traffic", {ifid = 1}, T0, T0 + 10)
		assert(q and math.abs(q.series[1].statistics.total - 10000) < 1e-6, "total " .. tostring(q and q.series[1].statistics.total))

		-- bad input
		assert(ts_utils.getSchema("nope:nope") == nil)
		assert(ts_utils.append("nope:nope", {ifid = 0}, T0) == false)
		assert(ts_utils.append("custom:temperature", {ifid = 0, sensor = "a", celsius = 1, extra = 2}, T0 + 1200) == false)
		assert(ts_utils.append("custom:temperature", {ifid = 0, celsius = 1}, T0 + 1200) == false)
		assert(ts_utils.append("custom:temperature", {ifid = 0, sensor = "a", celsius = "hot"}, T0 + 1200) == false)
		assert(ts_utils.append("custom:temperature", {ifid = 0, sensor = "a,b", celsius = 1}, T0 + 1200) == false)
		assert(ts_utils.query("custom:temperature", {ifid = 0, sensor = "a"}, T0 + 600, T0) == nil)
		assert(ts_utils.query("custom:temperature", {ifid = 0}, T0, T0 + 600) == nil)
		-- another shape under a known name is refused
		local other = ts_utils.newSchema("iface:traffic", {step = 60})
		other:addTag("ifid")
		other:addMetric("packets")
		assert(ts_utils.append("iface:traffic", {ifid = 0, packets = 1}, T0 + 1200) == false)
		local bad = ts_utils.newSchema("bad name!", {step = 60})
		bad:addMetric("x")
		assert(ts_utils.append("bad name!", {x = 1}, T0) == false)
		-- nothing of the above was stored
		local again = ts_utils.query("custom:temperature", {ifid = 0, sensor = "a"}, T0, T0 + 1800)
		local m = 0
		for _, v in ipairs(again.series[1].data) do if v == v then m = m + 1 end end
		assert(m == 10, "points after bad input: " .. m)
		return "ok"
	`
	got, err := eval(L, src)
	if err != nil || got != "ok" {
		t.Fatalf("%s %v", got, err)
	}
}

// Without a store (--disable-timeseries), ts_utils answers false/nil.
func TestTSUtilsNoStore(t *testing.T) {
	L, _ := newState(t)
	got, err := eval(L, `local ts_utils = require "ts_utils"
		local s = ts_utils.newSchema("x:y", {step = 60}); s:addMetric("v")
		return tostring(ts_utils.append("x:y", {v = 1}, 1700000000)) .. tostring(ts_utils.query("x:y", {}, 1, 2))`)
	if err != nil || !strings.Contains(got, "falsenil") {
		t.Fatalf("%q %v", got, err)
	}
}
