package web

import (
	"net/netip"
	"sync"
	"time"
)

// lockout refuses logins from a client address after too many failures
// in a row (ntopng's brute-force guard), for a while.
type lockout struct {
	mu       sync.Mutex
	m        map[netip.Addr]*failures
	attempts int
	window   time.Duration // failures older than this are forgotten; also the lock's length
	max      int           // addresses tracked at most
	now      func() time.Time
}

type failures struct {
	n      int
	first  time.Time
	locked time.Time // zero: not locked
}

func newLockout(attempts int, window time.Duration, max int, now func() time.Time) *lockout {
	return &lockout{m: map[netip.Addr]*failures{}, attempts: attempts, window: window, max: max, now: now}
}

// locked tells whether addr may not try to log in now.
func (l *lockout) locked(addr netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.m[addr]
	if !ok || f.locked.IsZero() {
		return false
	}
	if l.now().Sub(f.locked) >= l.window {
		delete(l.m, addr) // the lock ended: a clean slate
		return false
	}
	return true
}

// fail counts a failed login; it tells whether addr is now locked.
func (l *lockout) fail(addr netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.m[addr]
	if ok && f.locked.IsZero() && now.Sub(f.first) >= l.window {
		ok = false
	}
	if !ok {
		if len(l.m) >= l.max {
			l.purge(now)
			if len(l.m) >= l.max {
				// Under a spread attack the table stays bounded; an
				// untracked address still pays bcrypt per attempt.
				return false
			}
		}
		f = &failures{first: now}
		l.m[addr] = f
	}
	if !f.locked.IsZero() {
		return true
	}
	f.n++
	if f.n >= l.attempts {
		f.locked = now
		return true
	}
	return false
}

// succeed forgets addr's failures.
func (l *lockout) succeed(addr netip.Addr) {
	l.mu.Lock()
	delete(l.m, addr)
	l.mu.Unlock()
}

func (l *lockout) purge(now time.Time) {
	for a, f := range l.m {
		if (f.locked.IsZero() && now.Sub(f.first) >= l.window) || (!f.locked.IsZero() && now.Sub(f.locked) >= l.window) {
			delete(l.m, a)
		}
	}
}
