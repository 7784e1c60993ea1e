// Package kv is the key-value store behind ntop.*Cache: Redis semantics
// (strings with TTL, hashes, lists, sets, glob key listing) over two
// backends, an embedded one persisted in the data dir (the default) and a
// real Redis server (ntopng's -r).
package kv

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Store is what both backends provide. Every method is safe for concurrent
// use. Missing keys are not errors: Get reports ok=false, list and hash
// reads return empty results. Errors are WRONGTYPE, a non-integer INCR, or
// (Redis) the connection.
type Store interface {
	Get(key string) (val string, ok bool, err error)
	// Set stores val; ttl <= 0 means no expiry (and clears an old one).
	Set(key, val string, ttl time.Duration) error
	SetNX(key, val string) (bool, error)
	Del(key string) error
	Rename(oldKey, newKey string) error
	Incr(key string, n int64) (int64, error)
	// Keys lists keys matching a Redis glob pattern, sorted.
	Keys(pattern string) ([]string, error)
	// TTL is the remaining time to live: -1 for no expiry, -2 for no key (as Redis's PTTL).
	TTL(key string) (time.Duration, error)
	Expire(key string, ttl time.Duration) (bool, error)

	HGet(key, field string) (string, bool, error)
	HSet(key, field, val string) error
	HDel(key, field string) error
	HGetAll(key string) (map[string]string, error)

	// Push adds val at the head (left) or tail of list key and returns the new length.
	Push(key, val string, left bool) (int, error)
	Pop(key string, left bool) (string, bool, error)
	// LRem removes count occurrences of val (count < 0: from the tail, 0: all), as LREM.
	LRem(key string, count int, val string) (int, error)
	LTrim(key string, start, stop int) error
	LRange(key string, start, stop int) ([]string, error)
	LLen(key string) (int, error)
	LIndex(key string, idx int) (string, bool, error)

	SAdd(key, member string) error
	SRem(key, member string) error
	SMembers(key string) ([]string, error)

	// Dump serializes key (value and kind, not its TTL) in a backend-specific
	// form that Restore of the same backend accepts.
	Dump(key string) (string, bool, error)
	Restore(key, dump string, ttl time.Duration) error
	FlushAll() error

	// Stats describes the backend and its counters (ntop.getCacheStats).
	Stats() map[string]any
	Close() error
}

// Errors shared by both backends, comparable with errors.Is.
var (
	ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	ErrNotInt    = errors.New("ERR value is not an integer or out of range")
	ErrNoKey     = errors.New("ERR no such key")
	ErrBadDump   = errors.New("ERR DUMP payload version or checksum are wrong")
	ErrClosed    = errors.New("kv: store closed")
	ErrLocked    = errors.New("store is in use by another process")
)

// RedisSpec is a parsed ntopng -r value.
type RedisSpec struct {
	Addr     string // host:port, or a unix socket path
	Password string
	DB       int
}

// ParseRedisSpec reads ntopng's -r form [host[:port[:password]]][@db], or
// /path/to/redis.sock[@db] for a unix socket ([v6addr]:port[:password] for
// IPv6). The defaults are 127.0.0.1, port 6379 and db 0.
func ParseRedisSpec(s string) (RedisSpec, error) {
	var r RedisSpec
	if s == "" {
		return r, errors.New("-r: empty redis address")
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		db, err := strconv.Atoi(s[i+1:])
		if err != nil || db < 0 || db > 1<<16 {
			return r, fmt.Errorf("-r %q: bad db %q", s, s[i+1:])
		}
		r.DB, s = db, s[:i]
	}
	if strings.HasPrefix(s, "/") {
		r.Addr = s
		return r, nil
	}
	host, port := s, "6379"
	if strings.HasPrefix(s, "[") { // [v6]:port[:password]
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return r, fmt.Errorf("-r %q: unterminated [", s)
		}
		host, s = s[1:end], strings.TrimPrefix(s[end+1:], ":")
		if s != "" {
			p, pw, _ := strings.Cut(s, ":")
			port, r.Password = p, pw
		}
	} else if parts := strings.SplitN(s, ":", 3); len(parts) > 1 {
		host, port = parts[0], parts[1]
		if len(parts) == 3 {
			r.Password = parts[2]
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return r, fmt.Errorf("-r: bad port %q", port)
	}
	r.Addr = net.JoinHostPort(host, port)
	return r, nil
}

// Config selects and tunes a backend.
type Config struct {
	// Redis, when set (ntopng's -r), selects the Redis backend.
	Redis string
	// Dir is where the embedded backend keeps its log (default: the working dir).
	Dir string
	// FsyncEvery is the embedded log's flush+fsync period (default 1 s).
	FsyncEvery time.Duration
	// DialTimeout and IOTimeout for Redis (defaults 2 s and 5 s).
	DialTimeout, IOTimeout time.Duration
	// PoolSize bounds idle Redis connections kept (default 16).
	PoolSize int
}

func (c *Config) defaults() {
	if c.FsyncEvery <= 0 {
		c.FsyncEvery = time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 2 * time.Second
	}
	if c.IOTimeout <= 0 {
		c.IOTimeout = 5 * time.Second
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 16
	}
}

// Open opens the backend cfg selects: Redis when cfg.Redis is set
// (checked with a PING), else the embedded store in cfg.Dir.
func Open(cfg Config) (Store, error) {
	cfg.defaults()
	if cfg.Redis != "" {
		spec, err := ParseRedisSpec(cfg.Redis)
		if err != nil {
			return nil, err
		}
		return OpenRedis(spec, cfg)
	}
	return OpenEmbedded(cfg)
}
