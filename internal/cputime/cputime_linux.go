package cputime

import (
	"syscall"
	"time"
	"unsafe"
)

// Clock ids of clock_gettime(2).
const (
	clockProcessCPU = 2 // CLOCK_PROCESS_CPUTIME_ID
	clockThreadCPU  = 3 // CLOCK_THREAD_CPUTIME_ID
)

func clock(id uintptr) time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// Thread is the calling OS thread's CPU time (lock the goroutine to its
// thread with runtime.LockOSThread around what is measured).
func Thread() time.Duration { return clock(clockThreadCPU) }

// Process is the CPU time of all the process's threads (the GC's included).
func Process() time.Duration { return clock(clockProcessCPU) }
