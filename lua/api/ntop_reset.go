package api

import lua "github.com/yuin/gopher-lua"

func init() {
	register("ntop", []luaFn{
		// ntop.resetStats(): every interface's counters since reset
		// (interface.getStats().stats_since_reset) start again from zero
		// at the interface's next tick, within a second; the counters since
		// start, /metrics and the time series are untouched (engine/reset.go).
		fn("resetStats", func(b *binding, L *lua.LState) int {
			if b.ctx.Engine == nil {
				L.RaiseError("ntop.resetStats: no engine in this process")
			}
			for _, i := range b.ctx.Engine.Interfaces() {
				i.RequestResetStats()
			}
			return 0
		}),
	})
}
