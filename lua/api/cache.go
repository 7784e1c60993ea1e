package api

import (
	"sync/atomic"
	"time"

	"flowgate/store/kv"
)

// Cache is the store behind ntop.getCache/setCache and friends: a kv.Store
// (embedded, persisted in the data dir, or Redis with -r) shared by every
// Lua state. The few methods here keep Go callers (tests, the HTTP side)
// short; everything else goes through Store().
type Cache struct {
	s    kv.Store
	errs atomic.Uint64 // failed store calls from Lua
}

// NewCache returns a cache on a private in-memory store (nothing persisted).
func NewCache() *Cache { return &Cache{s: kv.NewMemory()} }

// NewCacheOn returns a cache on s (kv.Open's result).
func NewCacheOn(s kv.Store) *Cache { return &Cache{s: s} }

func newCacheClock(now func() time.Time) *Cache { return &Cache{s: kv.NewMemoryClock(now)} }

// Store is the underlying store.
func (c *Cache) Store() kv.Store { return c.s }

// Get returns the string value of key; ok is false when it is unset,
// expired, of another kind, or the store failed.
func (c *Cache) Get(key string) (string, bool) {
	v, ok, err := c.s.Get(key)
	return v, ok && err == nil
}

// Set stores val under key; ttl <= 0 means no expiry.
func (c *Cache) Set(key, val string, ttl time.Duration) error { return c.s.Set(key, val, ttl) }

// Incr adds n to the integer in key.
func (c *Cache) Incr(key string, n int64) (int64, error) { return c.s.Incr(key, n) }

// Keys lists the keys matching a Redis glob pattern, sorted (nil on error).
func (c *Cache) Keys(pattern string) []string {
	k, _ := c.s.Keys(pattern)
	return k
}

// Del removes key.
func (c *Cache) Del(key string) error { return c.s.Del(key) }
