//go:build !linux

package cputime

import "time"

var start = time.Now()

// Thread falls back to wall time where no per-thread CPU clock is read.
func Thread() time.Duration { return time.Since(start) }

// Process falls back to wall time likewise.
func Process() time.Duration { return time.Since(start) }
