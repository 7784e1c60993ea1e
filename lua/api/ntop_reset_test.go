package api

import (
	"testing"

	"flowgate/engine"
)

// TestResetStats: ntop.resetStats zeroes the counters since reset at the
// interface's next tick; the counters since start keep every byte.
func TestResetStats(t *testing.T) {
	e := newEnv(t, Deps{Logger: quietLog()})
	e.ctx.Tables = nil // a periodic script: outside the interface goroutine
	e.process(flowSpec{src: "192.168.1.10", dst: "8.8.8.8", sport: 40000, dport: 53, proto: 17, inB: 100, outB: 300, inP: 1, outP: 1})
	stats := func() string {
		e.iface.Do(func(*engine.Tables) {}) // the snapshot reflects what was processed
		return eval(e.L, `interface.getStats().stats.bytes .. "/" .. interface.getStats().stats_since_reset.bytes`)
	}
	e.iface.Do(func(t *engine.Tables) { t.Tick() })
	if got := stats(); got != "400/400" {
		t.Fatalf("before reset: %s", got)
	}
	if err := e.L.DoString(`ntop.resetStats()`); err != nil {
		t.Fatal(err)
	}
	if !e.iface.ResetPending() {
		t.Fatal("the reset is not waiting for the interface's tick")
	}
	e.iface.Do(func(t *engine.Tables) { t.Tick() })
	if e.iface.ResetPending() {
		t.Fatal("the tick did not apply the reset")
	}
	if got := stats(); got != "400/0" {
		t.Fatalf("after reset: %s", got)
	}
	e.process(flowSpec{src: "192.168.1.11", dst: "8.8.8.8", sport: 40001, dport: 53, proto: 17, inB: 50, outB: 50, inP: 1, outP: 1})
	e.iface.Do(func(t *engine.Tables) { t.Tick() })
	if got := stats(); got != "500/100" {
		t.Fatalf("after more traffic: %s", got)
	}
}
