// Package testwait is the one way tests wait for something that happens on
// another goroutine or process: poll the exact condition the test asserts,
// with a deadline generous enough for a loaded CI machine. Tests never sleep
// a fixed time or read a counter right after an action; a counter that is
// updated after the event it reports (a delivery, a record) may lag the
// event the test observed.
package testwait

import (
	"testing"
	"time"
)

// Timeout is the deadline tests use unless they need another one: far
// beyond any healthy wait, so that only a real hang fails, even on two
// cores shared with a CPU-heavy neighbour.
const Timeout = 20 * time.Second

// poll is the interval between two checks of the condition.
const poll = 5 * time.Millisecond

// Until polls cond until it returns true; after timeout it fails the test
// with "timed out after D waiting for " + what. cond should test exactly
// what the test asserts next, so that nothing read afterwards can lag.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Wait(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// For is Until with the default Timeout.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Until(t, Timeout, what, cond)
}

// ForState is For for a condition on a value the failure should show
// (statistics, a row): cond returns the value it looked at and whether it
// is the wanted one; on timeout the last value is printed with %+v.
func ForState(t testing.TB, what string, cond func() (any, bool)) {
	t.Helper()
	untilState(t, Timeout, what, cond)
}

func untilState(t testing.TB, timeout time.Duration, what string, cond func() (any, bool)) {
	t.Helper()
	var last any
	if !Wait(timeout, func() bool {
		var ok bool
		last, ok = cond()
		return ok
	}) {
		t.Fatalf("timed out after %v waiting for %s; last: %+v", timeout, what, last)
	}
}

// Wait polls cond until it returns true or timeout passes; it reports
// whether cond held. For benchmarks and helpers that report rather than
// fail.
func Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return cond()
		}
		time.Sleep(poll)
	}
	return true
}
