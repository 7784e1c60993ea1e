package kv

import (
	"sort"
	"strconv"
	"time"
)

// kind of value a key holds; one per key, as in Redis.
type kind uint8

const (
	kStr kind = iota + 1
	kHash
	kList
	kSet
)

type entry struct {
	kind     kind
	str      string
	hash     map[string]string
	list     []string
	set      map[string]struct{}
	expireAt int64 // unix ms; 0: never
}

// mem is the data model of the embedded backend, without locking or
// persistence: the caller holds the lock and logs mutations.
type mem struct {
	now  func() time.Time
	data map[string]*entry
}

func newMem(now func() time.Time) *mem { return &mem{now: now, data: map[string]*entry{}} }

func (m *mem) nowMs() int64 { return m.now().UnixMilli() }

// live returns key's entry, dropping it when expired.
func (m *mem) live(key string) *entry {
	e := m.data[key]
	if e != nil && e.expireAt != 0 && e.expireAt <= m.nowMs() {
		delete(m.data, key)
		return nil
	}
	return e
}

// typed returns key's live entry of kind k (nil when absent) or ErrWrongType.
func (m *mem) typed(key string, k kind) (*entry, error) {
	e := m.live(key)
	if e != nil && e.kind != k {
		return nil, ErrWrongType
	}
	return e, nil
}

func (m *mem) get(key string) (string, bool, error) {
	e, err := m.typed(key, kStr)
	if e == nil || err != nil {
		return "", false, err
	}
	return e.str, true, nil
}

func (m *mem) set(key, val string, expireAt int64) {
	m.data[key] = &entry{kind: kStr, str: val, expireAt: expireAt}
}

func (m *mem) del(key string) bool {
	_, ok := m.data[key]
	delete(m.data, key)
	return ok
}

func (m *mem) rename(o, n string) error {
	e := m.live(o)
	if e == nil {
		return ErrNoKey
	}
	delete(m.data, o)
	m.data[n] = e
	return nil
}

func (m *mem) incr(key string, n int64) (int64, error) {
	e, err := m.typed(key, kStr)
	if err != nil {
		return 0, err
	}
	var cur int64
	if e != nil {
		if cur, err = strconv.ParseInt(e.str, 10, 64); err != nil {
			return 0, ErrNotInt
		}
	}
	if (n > 0 && cur > maxInt64-n) || (n < 0 && cur < minInt64-n) {
		return 0, ErrNotInt
	}
	cur += n
	if e == nil {
		e = &entry{kind: kStr}
		m.data[key] = e
	}
	e.str = strconv.FormatInt(cur, 10) // keeps the TTL, as INCR does
	return cur, nil
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

func (m *mem) keys(pattern string) []string {
	out := []string{}
	for k := range m.data {
		if m.live(k) != nil && globMatch(pattern, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (m *mem) ttl(key string) time.Duration {
	e := m.live(key)
	switch {
	case e == nil:
		return -2
	case e.expireAt == 0:
		return -1
	}
	return time.Duration(e.expireAt-m.nowMs()) * time.Millisecond
}

func (m *mem) expireAt(key string, at int64) bool {
	e := m.live(key)
	if e == nil {
		return false
	}
	e.expireAt = at
	return true
}

func (m *mem) hget(key, field string) (string, bool, error) {
	e, err := m.typed(key, kHash)
	if e == nil || err != nil {
		return "", false, err
	}
	v, ok := e.hash[field]
	return v, ok, nil
}

func (m *mem) hset(key, field, val string) error {
	e, err := m.typed(key, kHash)
	if err != nil {
		return err
	}
	if e == nil {
		e = &entry{kind: kHash, hash: map[string]string{}}
		m.data[key] = e
	}
	e.hash[field] = val
	return nil
}

func (m *mem) hdel(key, field string) error {
	e, err := m.typed(key, kHash)
	if e == nil || err != nil {
		return err
	}
	delete(e.hash, field)
	if len(e.hash) == 0 {
		delete(m.data, key)
	}
	return nil
}

func (m *mem) hgetall(key string) (map[string]string, error) {
	e, err := m.typed(key, kHash)
	out := map[string]string{}
	if e == nil || err != nil {
		return out, err
	}
	for k, v := range e.hash {
		out[k] = v
	}
	return out, nil
}

func (m *mem) push(key, val string, left bool) (int, error) {
	e, err := m.typed(key, kList)
	if err != nil {
		return 0, err
	}
	if e == nil {
		e = &entry{kind: kList}
		m.data[key] = e
	}
	if left {
		// Prepending copies; lists in ntopng scripts are short queues.
		e.list = append(e.list, "")
		copy(e.list[1:], e.list)
		e.list[0] = val
	} else {
		e.list = append(e.list, val)
	}
	return len(e.list), nil
}

func (m *mem) pop(key string, left bool) (string, bool, error) {
	e, err := m.typed(key, kList)
	if e == nil || err != nil {
		return "", false, err
	}
	var v string
	if left {
		v = e.list[0]
		e.list[0] = ""
		e.list = e.list[1:]
	} else {
		v = e.list[len(e.list)-1]
		e.list = e.list[:len(e.list)-1]
	}
	if len(e.list) == 0 {
		delete(m.data, key)
	}
	return v, true, nil
}

func (m *mem) lrem(key string, count int, val string) (int, error) {
	e, err := m.typed(key, kList)
	if e == nil || err != nil {
		return 0, err
	}
	n := len(e.list)
	removed := 0
	keep := make([]bool, n)
	for i := range keep {
		keep[i] = true
	}
	if count >= 0 {
		for i := 0; i < n && (count == 0 || removed < count); i++ {
			if e.list[i] == val {
				keep[i] = false
				removed++
			}
		}
	} else {
		for i := n - 1; i >= 0 && removed < -count; i-- {
			if e.list[i] == val {
				keep[i] = false
				removed++
			}
		}
	}
	out := e.list[:0]
	for i, v := range e.list {
		if keep[i] {
			out = append(out, v)
		}
	}
	e.list = out
	if len(e.list) == 0 {
		delete(m.data, key)
	}
	return removed, nil
}

// span converts Redis start/stop (negative from the end) to a half-open
// [lo, hi) range of a list of length n.
func span(n, start, stop int) (int, int) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	stop = min(stop, n-1)
	if start > stop {
		return 0, 0
	}
	return start, stop + 1
}

func (m *mem) ltrim(key string, start, stop int) error {
	e, err := m.typed(key, kList)
	if e == nil || err != nil {
		return err
	}
	lo, hi := span(len(e.list), start, stop)
	e.list = append([]string(nil), e.list[lo:hi]...)
	if len(e.list) == 0 {
		delete(m.data, key)
	}
	return nil
}

func (m *mem) lrange(key string, start, stop int) ([]string, error) {
	e, err := m.typed(key, kList)
	if e == nil || err != nil {
		return []string{}, err
	}
	lo, hi := span(len(e.list), start, stop)
	return append([]string{}, e.list[lo:hi]...), nil
}

func (m *mem) llen(key string) (int, error) {
	e, err := m.typed(key, kList)
	if e == nil || err != nil {
		return 0, err
	}
	return len(e.list), nil
}

func (m *mem) lindex(key string, idx int) (string, bool, error) {
	e, err := m.typed(key, kList)
	if e == nil || err != nil {
		return "", false, err
	}
	if idx < 0 {
		idx += len(e.list)
	}
	if idx < 0 || idx >= len(e.list) {
		return "", false, nil
	}
	return e.list[idx], true, nil
}

func (m *mem) sadd(key, member string) error {
	e, err := m.typed(key, kSet)
	if err != nil {
		return err
	}
	if e == nil {
		e = &entry{kind: kSet, set: map[string]struct{}{}}
		m.data[key] = e
	}
	e.set[member] = struct{}{}
	return nil
}

func (m *mem) srem(key, member string) error {
	e, err := m.typed(key, kSet)
	if e == nil || err != nil {
		return err
	}
	delete(e.set, member)
	if len(e.set) == 0 {
		delete(m.data, key)
	}
	return nil
}

func (m *mem) smembers(key string) ([]string, error) {
	e, err := m.typed(key, kSet)
	out := []string{}
	if e == nil || err != nil {
		return out, err
	}
	for k := range e.set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// globMatch is Redis's glob: * ? [abc] [^a-z] and \ escapes; unlike
// path.Match, '*' crosses every character (ntopng keys use '.' and ':').
func globMatch(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			p, s = p[1:], s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			end := 1
			if end < len(p) && p[end] == '^' {
				end++
			}
			if end < len(p) && p[end] == ']' { // a leading ] is literal
				end++
			}
			for end < len(p) && p[end] != ']' {
				if p[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(p) { // unterminated: literal '['
				if s[0] != '[' {
					return false
				}
				p, s = p[1:], s[1:]
				continue
			}
			if !classMatch(p[1:end], s[0]) {
				return false
			}
			p, s = p[end+1:], s[1:]
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}

func classMatch(cls string, c byte) bool {
	neg := false
	if len(cls) > 0 && cls[0] == '^' {
		neg, cls = true, cls[1:]
	}
	hit := false
	for i := 0; i < len(cls); i++ {
		lo := cls[i]
		if lo == '\\' && i+1 < len(cls) {
			i++
			lo = cls[i]
		}
		hi := lo
		if i+2 < len(cls) && cls[i+1] == '-' {
			hi = cls[i+2]
			i += 2
			if lo > hi {
				lo, hi = hi, lo
			}
		}
		if c >= lo && c <= hi {
			hit = true
		}
	}
	return hit != neg
}
