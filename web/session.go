package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// session is a logged-in browser (or a REST client holding a cookie from
// create/ntopng/session.lua).
type session struct {
	id      string
	user    string
	csrf    string // the per-session CSRF token cookie-session POSTs must carry
	expires time.Time
	// A pending login (password right, TOTP code still due) also keeps
	// where to go after it and how many codes were wrong.
	referer  string
	attempts int
}

// sessions are kept in memory, bounded: a restart logs everybody out,
// which a monitoring appliance can afford (ntopng keeps them in Redis).
type sessions struct {
	mu  sync.Mutex
	m   map[string]*session
	max int
	now func() time.Time
}

func newSessions(max int, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, max: max, now: now}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// create opens a session for user lasting d (referer: where a pending
// login goes once complete). When the table is full the
// expired sessions go first, then the one closest to its end.
func (ss *sessions) create(user string, d time.Duration, referer string) (*session, error) {
	id, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	csrf, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if len(ss.m) >= ss.max {
		var soonest *session
		for k, s := range ss.m {
			if !now.Before(s.expires) {
				delete(ss.m, k)
				continue
			}
			if soonest == nil || s.expires.Before(soonest.expires) {
				soonest = s
			}
		}
		if len(ss.m) >= ss.max && soonest != nil {
			delete(ss.m, soonest.id)
		}
	}
	s := &session{id: id, user: user, csrf: csrf, expires: now.Add(d), referer: referer}
	ss.m[id] = s
	return s, nil
}

// get returns a live session; an expired one is dropped.
func (ss *sessions) get(id string) (session, bool) {
	if len(id) != 32 {
		return session{}, false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return session{}, false
	}
	if !ss.now().Before(s.expires) {
		delete(ss.m, id)
		return session{}, false
	}
	return *s, true
}

// bump counts a failed attempt on a pending login and returns the count.
func (ss *sessions) bump(id string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return 1 << 30
	}
	s.attempts++
	return s.attempts
}

func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// removeUser ends every session of user (deleted, or password reset).
func (ss *sessions) removeUser(user string) {
	ss.mu.Lock()
	for k, s := range ss.m {
		if s.user == user {
			delete(ss.m, k)
		}
	}
	ss.mu.Unlock()
}

// active counts the sessions not yet expired.
func (ss *sessions) active() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now, n := ss.now(), 0
	for _, s := range ss.m {
		if now.Before(s.expires) {
			n++
		}
	}
	return n
}
