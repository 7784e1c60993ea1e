package contract

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"flowgate/lua/vm"
)

// Stats are the counters of one script over every Lua state that runs it:
// a failing script is isolated (its call fails, the others run) and
// counted here, never disabled automatically, so a script that fails on
// some flows keeps working on the others and its trouble is visible over
// REST.
type Stats struct {
	Calls, Errors, Timeouts, MissingAPI atomic.Uint64

	mu       sync.Mutex
	lastErr  string
	lastAt   time.Time
	lastLog  time.Time
	suppress uint64
}

// LogEvery bounds the log lines of one script's failures; the failures in
// between are counted and reported with the next line.
const LogEvery = 10 * time.Second

// Fail counts a failed call. kind is the vm.Kind name ("error", "timeout",
// "missing_api", "syntax"); log says whether the caller should log this
// failure now, suppressed how many failures were not logged since the last
// line.
func (s *Stats) Fail(err error, now time.Time) (kind string, log bool, suppressed uint64) {
	s.Errors.Add(1)
	kind = "error"
	var ve *vm.Error
	if errors.As(err, &ve) {
		kind = ve.Kind.String()
		switch ve.Kind {
		case vm.KindTimeout:
			s.Timeouts.Add(1)
		case vm.KindMissingAPI:
			s.MissingAPI.Add(1)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr, s.lastAt = err.Error(), now
	if now.Sub(s.lastLog) >= LogEvery {
		suppressed = s.suppress
		s.lastLog, s.suppress = now, 0
		return kind, true, suppressed
	}
	s.suppress++
	return kind, false, 0
}

// LastError returns the last failure ("file:line: message") and its time.
func (s *Stats) LastError() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr, s.lastAt
}
