package api

import (
	"path"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Cache is the in-memory store behind ntop.getCache/setCache and friends,
// with Redis semantics for strings (with TTL), hashes and lists. It is shared
// by every Lua state, so it is safe for concurrent use. A later issue backs
// the same calls with Redis (-r).
type Cache struct {
	mu    sync.Mutex
	now   func() time.Time
	strs  map[string]cacheEntry
	hashs map[string]map[string]string
	lists map[string][]string
}

type cacheEntry struct {
	val     string
	expires time.Time // zero: never
}

// NewCache returns an empty cache using the wall clock.
func NewCache() *Cache { return newCacheClock(time.Now) }

func newCacheClock(now func() time.Time) *Cache {
	return &Cache{now: now, strs: map[string]cacheEntry{},
		hashs: map[string]map[string]string{}, lists: map[string][]string{}}
}

// Get returns the value of key; ok is false when it is unset or expired.
func (c *Cache) Get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.get(key)
}

func (c *Cache) get(key string) (string, bool) {
	e, ok := c.strs[key]
	if !ok {
		return "", false
	}
	if !e.expires.IsZero() && !c.now().Before(e.expires) {
		delete(c.strs, key)
		return "", false
	}
	return e.val, true
}

// Set stores val under key; ttl <= 0 means no expiry.
func (c *Cache) Set(key, val string, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := cacheEntry{val: val}
	if ttl > 0 {
		e.expires = c.now().Add(ttl)
	}
	c.strs[key] = e
}

// SetNX stores val only when key is unset and reports whether it did.
func (c *Cache) SetNX(key, val string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.get(key); ok {
		return false
	}
	c.strs[key] = cacheEntry{val: val}
	return true
}

// Incr adds n to the integer in key (0 when unset) and returns the result;
// a non-integer value is an error, as in Redis.
func (c *Cache) Incr(key string, n int64) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cur int64
	v, set := c.get(key) // drops an expired key first
	if set {
		var err error
		if cur, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, err
		}
	}
	cur += n
	e := c.strs[key] // keeps a live key's TTL, as INCR does
	e.val = strconv.FormatInt(cur, 10)
	c.strs[key] = e
	return cur, nil
}

// Del removes key, whatever its kind.
func (c *Cache) Del(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.strs, key)
	delete(c.hashs, key)
	delete(c.lists, key)
}

// Keys lists the keys (of any kind) matching a glob pattern, sorted.
func (c *Cache) Keys(pattern string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	add := func(k string) {
		if ok, _ := path.Match(pattern, k); ok {
			out = append(out, k)
		}
	}
	for k := range c.strs {
		if _, live := c.get(k); live {
			add(k)
		}
	}
	for k := range c.hashs {
		add(k)
	}
	for k := range c.lists {
		add(k)
	}
	sort.Strings(out)
	return out
}

// HGet returns field of hash key.
func (c *Cache) HGet(key, field string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.hashs[key][field]
	return v, ok
}

// HSet sets field of hash key.
func (c *Cache) HSet(key, field, val string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hashs[key]
	if h == nil {
		h = map[string]string{}
		c.hashs[key] = h
	}
	h[field] = val
}

// HDel removes field of hash key (and the hash when it becomes empty).
func (c *Cache) HDel(key, field string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.hashs[key], field)
	if len(c.hashs[key]) == 0 {
		delete(c.hashs, key)
	}
}

// HGetAll returns a copy of hash key.
func (c *Cache) HGetAll(key string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.hashs[key]))
	for k, v := range c.hashs[key] {
		out[k] = v
	}
	return out
}

// Push adds val at the head (left) or tail of list key and returns its length.
func (c *Cache) Push(key, val string, left bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lists[key]
	if left {
		l = append([]string{val}, l...)
	} else {
		l = append(l, val)
	}
	c.lists[key] = l
	return len(l)
}

// Pop removes and returns the head (left) or tail of list key.
func (c *Cache) Pop(key string, left bool) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lists[key]
	if len(l) == 0 {
		return "", false
	}
	var v string
	if left {
		v, l = l[0], l[1:]
	} else {
		v, l = l[len(l)-1], l[:len(l)-1]
	}
	if len(l) == 0 {
		delete(c.lists, key)
	} else {
		c.lists[key] = l
	}
	return v, true
}

// Range returns list key from start to stop inclusive, Redis-style (negative
// indexes count from the end).
func (c *Cache) Range(key string, start, stop int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.lists[key]
	n := len(l)
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	stop = min(stop, n-1)
	if start > stop {
		return nil
	}
	return append([]string(nil), l[start:stop+1]...)
}

// Len is the length of list key.
func (c *Cache) Len(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lists[key])
}
