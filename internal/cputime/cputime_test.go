package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestClocksAdvance: busy work moves both clocks forward, and the thread's
// clock never runs ahead of the process's.
func TestClocksAdvance(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := Process(), Thread()
	x := 0
	for i := range 20_000_000 {
		x += i ^ (x >> 3)
	}
	t1, p1 := Thread(), Process()
	if t1 <= t0 || p1 <= p0 {
		t.Fatalf("clocks did not advance: thread %v → %v, process %v → %v (x=%d)", t0, t1, p0, p1, x)
	}
	if t1-t0 > p1-p0 {
		t.Errorf("thread used %v, more than the process's %v", t1-t0, p1-p0)
	}
	if got := PerOp(t0, func() time.Duration { return t1 }, 4); got != float64(t1-t0)/4 {
		t.Errorf("PerOp = %v", got)
	}
}
