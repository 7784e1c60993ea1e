// Package cputime reads the CPU time a thread or the process has used, for
// benchmarks that must mean something on a loaded machine: unlike wall
// time, CPU time does not count the time other processes held the cores.
package cputime

import "time"

// PerOp is the CPU time from start (taken with the same function) to now,
// per op, in nanoseconds: a benchmark's load-independent cost figure.
func PerOp(start time.Duration, now func() time.Duration, ops int) float64 {
	if ops <= 0 {
		return 0
	}
	return float64(now()-start) / float64(ops)
}
