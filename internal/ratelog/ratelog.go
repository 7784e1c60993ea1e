// Package ratelog logs errors on input at a bounded rate: a hostile or broken
// peer must not be able to flood the log, but the first occurrence of each
// kind of problem is always shown, and later lines say how many were
// suppressed in between.
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// Limiter allows one line per key per interval.
type Limiter struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	keys map[string]*state
}

type state struct {
	last       time.Time
	suppressed uint64
}

// New returns a Limiter logging to log at most once per interval per key.
func New(log *slog.Logger, interval time.Duration) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	return &Limiter{log: log, interval: interval, now: time.Now, keys: map[string]*state{}}
}

// Warn logs msg with args under key unless a line with the same key was
// logged less than the interval ago. It reports whether it logged.
func (l *Limiter) Warn(key, msg string, args ...any) bool {
	now := l.now()
	l.mu.Lock()
	st, ok := l.keys[key]
	if !ok {
		st = &state{}
		l.keys[key] = st
	}
	if ok && now.Sub(st.last) < l.interval {
		st.suppressed++
		l.mu.Unlock()
		return false
	}
	suppressed := st.suppressed
	st.last, st.suppressed = now, 0
	l.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.Warn(msg, args...)
	return true
}
