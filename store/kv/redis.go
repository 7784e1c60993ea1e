package kv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Redis is the Store over a Redis server (ntopng's -r), speaking RESP2
// itself: one request, one reply per pooled connection. Several flowgate
// instances on one Redis share the cache, as ntopng instances do.
type Redis struct {
	spec RedisSpec
	cfg  Config

	mu     sync.Mutex
	idle   []*rconn
	closed bool

	cmds, errs, dials, dialErrs atomic.Uint64
}

type rconn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// redisError is an error reply from the server.
type redisError string

func (e redisError) Error() string { return string(e) }

// OpenRedis connects to spec and checks it with a PING (AUTH and SELECT run
// on every new connection).
func OpenRedis(spec RedisSpec, cfg Config) (*Redis, error) {
	cfg.defaults()
	r := &Redis{spec: spec, cfg: cfg}
	if _, err := r.do("PING"); err != nil {
		return nil, fmt.Errorf("kv: redis %s: %w", spec.Addr, err)
	}
	return r, nil
}

func (r *Redis) dial() (*rconn, error) {
	r.dials.Add(1)
	network := "tcp"
	if strings.HasPrefix(r.spec.Addr, "/") {
		network = "unix"
	}
	c, err := net.DialTimeout(network, r.spec.Addr, r.cfg.DialTimeout)
	if err != nil {
		r.dialErrs.Add(1)
		return nil, err
	}
	rc := &rconn{c: c, r: bufio.NewReaderSize(c, 16<<10), w: bufio.NewWriterSize(c, 16<<10)}
	if r.spec.Password != "" {
		if _, err := rc.roundTrip(r.cfg.IOTimeout, "AUTH", r.spec.Password); err != nil {
			c.Close()
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	if r.spec.DB != 0 {
		if _, err := rc.roundTrip(r.cfg.IOTimeout, "SELECT", strconv.Itoa(r.spec.DB)); err != nil {
			c.Close()
			return nil, fmt.Errorf("SELECT %d: %w", r.spec.DB, err)
		}
	}
	return rc, nil
}

func (r *Redis) get() (*rconn, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(r.idle); n > 0 {
		c := r.idle[n-1]
		r.idle = r.idle[:n-1]
		r.mu.Unlock()
		return c, nil
	}
	r.mu.Unlock()
	return r.dial()
}

func (r *Redis) put(c *rconn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.idle) >= r.cfg.PoolSize {
		c.c.Close()
		return
	}
	r.idle = append(r.idle, c)
}

// do sends one command and returns its reply: string, int64, nil, []any or
// an error (a redisError for the server's own errors). A connection that
// failed mid-command is dropped; one stale pooled connection is retried
// once on a fresh one.
func (r *Redis) do(args ...string) (any, error) {
	r.cmds.Add(1)
	for attempt := 0; ; attempt++ {
		c, err := r.get()
		if err != nil {
			r.errs.Add(1)
			return nil, err
		}
		v, err := c.roundTrip(r.cfg.IOTimeout, args...)
		var re redisError
		if err == nil || errors.As(err, &re) {
			r.put(c)
			if err != nil {
				r.errs.Add(1)
				return nil, mapRedisErr(re)
			}
			return v, nil
		}
		c.c.Close()
		if attempt > 0 {
			r.errs.Add(1)
			return nil, fmt.Errorf("redis %s %s: %w", r.spec.Addr, args[0], err)
		}
	}
}

func mapRedisErr(e redisError) error {
	s := string(e)
	switch {
	case strings.HasPrefix(s, "WRONGTYPE"):
		return ErrWrongType
	case strings.Contains(s, "not an integer") || strings.Contains(s, "increment or decrement would overflow"):
		return ErrNotInt
	case s == "ERR no such key":
		return ErrNoKey
	case strings.Contains(s, "DUMP payload"):
		return ErrBadDump
	}
	return e
}

func (c *rconn) roundTrip(timeout time.Duration, args ...string) (any, error) {
	_ = c.c.SetDeadline(time.Now().Add(timeout))
	w := c.w
	w.WriteByte('*')
	w.WriteString(strconv.Itoa(len(args)))
	w.WriteString("\r\n")
	for _, a := range args {
		w.WriteByte('$')
		w.WriteString(strconv.Itoa(len(a)))
		w.WriteString("\r\n")
		w.WriteString(a)
		w.WriteString("\r\n")
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return readReply(c.r)
}

const maxBulk = 512 << 20

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("redis: malformed reply %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return string(body), nil
	case '-':
		return nil, redisError(body)
	case ':':
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis: bad integer %q", body)
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil || n > maxBulk {
			return nil, fmt.Errorf("redis: bad bulk length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(string(body))
		if err != nil || n > 1<<24 {
			return nil, fmt.Errorf("redis: bad array length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		var firstErr error
		for i := range out {
			v, err := readReply(r)
			var re redisError
			if err != nil && !errors.As(err, &re) {
				return nil, err
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[i] = v
		}
		return out, firstErr
	}
	return nil, fmt.Errorf("redis: unknown reply type %q", line[0])
}

func asStr(v any) (string, bool) { s, ok := v.(string); return s, ok }

func asInt(v any) int64 { n, _ := v.(int64); return n }

func asStrs(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, x := range a {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func (r *Redis) Get(key string) (string, bool, error) {
	v, err := r.do("GET", key)
	s, ok := asStr(v)
	return s, ok, err
}

func (r *Redis) Set(key, val string, ttl time.Duration) error {
	var err error
	if ttl > 0 {
		_, err = r.do("SET", key, val, "PX", strconv.FormatInt(max(ttl.Milliseconds(), 1), 10))
	} else {
		_, err = r.do("SET", key, val)
	}
	return err
}

func (r *Redis) SetNX(key, val string) (bool, error) {
	v, err := r.do("SETNX", key, val)
	return asInt(v) == 1, err
}

func (r *Redis) Del(key string) error { _, err := r.do("DEL", key); return err }

func (r *Redis) Rename(o, n string) error { _, err := r.do("RENAME", o, n); return err }

func (r *Redis) Incr(key string, n int64) (int64, error) {
	v, err := r.do("INCRBY", key, strconv.FormatInt(n, 10))
	return asInt(v), err
}

// Keys uses SCAN rather than KEYS so a big shared Redis is not blocked.
func (r *Redis) Keys(pattern string) ([]string, error) {
	cursor := "0"
	seen := map[string]struct{}{}
	for {
		v, err := r.do("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
		if err != nil {
			return nil, err
		}
		a, _ := v.([]any)
		if len(a) != 2 {
			return nil, errors.New("redis: malformed SCAN reply")
		}
		cursor, _ = a[0].(string)
		for _, k := range asStrs(a[1]) {
			seen[k] = struct{}{}
		}
		if cursor == "0" || cursor == "" {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

func (r *Redis) TTL(key string) (time.Duration, error) {
	v, err := r.do("PTTL", key)
	n := asInt(v)
	if n < 0 {
		return time.Duration(n), err
	}
	return time.Duration(n) * time.Millisecond, err
}

func (r *Redis) Expire(key string, ttl time.Duration) (bool, error) {
	v, err := r.do("PEXPIRE", key, strconv.FormatInt(ttl.Milliseconds(), 10))
	return asInt(v) == 1, err
}

func (r *Redis) HGet(key, field string) (string, bool, error) {
	v, err := r.do("HGET", key, field)
	s, ok := asStr(v)
	return s, ok, err
}

func (r *Redis) HSet(key, field, val string) error {
	_, err := r.do("HSET", key, field, val)
	return err
}

func (r *Redis) HDel(key, field string) error { _, err := r.do("HDEL", key, field); return err }

func (r *Redis) HGetAll(key string) (map[string]string, error) {
	v, err := r.do("HGETALL", key)
	a := asStrs(v)
	out := make(map[string]string, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		out[a[i]] = a[i+1]
	}
	return out, err
}

func (r *Redis) Push(key, val string, left bool) (int, error) {
	cmd := "RPUSH"
	if left {
		cmd = "LPUSH"
	}
	v, err := r.do(cmd, key, val)
	return int(asInt(v)), err
}

func (r *Redis) Pop(key string, left bool) (string, bool, error) {
	cmd := "RPOP"
	if left {
		cmd = "LPOP"
	}
	v, err := r.do(cmd, key)
	s, ok := asStr(v)
	return s, ok, err
}

func (r *Redis) LRem(key string, count int, val string) (int, error) {
	v, err := r.do("LREM", key, itoa(count), val)
	return int(asInt(v)), err
}

func (r *Redis) LTrim(key string, start, stop int) error {
	_, err := r.do("LTRIM", key, itoa(start), itoa(stop))
	return err
}

func (r *Redis) LRange(key string, start, stop int) ([]string, error) {
	v, err := r.do("LRANGE", key, itoa(start), itoa(stop))
	return asStrs(v), err
}

func (r *Redis) LLen(key string) (int, error) {
	v, err := r.do("LLEN", key)
	return int(asInt(v)), err
}

func (r *Redis) LIndex(key string, idx int) (string, bool, error) {
	v, err := r.do("LINDEX", key, itoa(idx))
	s, ok := asStr(v)
	return s, ok, err
}

func (r *Redis) SAdd(key, member string) error { _, err := r.do("SADD", key, member); return err }

func (r *Redis) SRem(key, member string) error { _, err := r.do("SREM", key, member); return err }

func (r *Redis) SMembers(key string) ([]string, error) {
	v, err := r.do("SMEMBERS", key)
	out := asStrs(v)
	sort.Strings(out)
	return out, err
}

func (r *Redis) Dump(key string) (string, bool, error) {
	v, err := r.do("DUMP", key)
	s, ok := asStr(v)
	return s, ok, err
}

func (r *Redis) Restore(key, dump string, ttl time.Duration) error {
	ms := int64(0)
	if ttl > 0 {
		ms = max(ttl.Milliseconds(), 1)
	}
	_, err := r.do("RESTORE", key, strconv.FormatInt(ms, 10), dump, "REPLACE")
	return err
}

// FlushAll empties the selected db only (FLUSHDB): other dbs of a shared
// Redis are not flowgate's.
func (r *Redis) FlushAll() error { _, err := r.do("FLUSHDB"); return err }

func (r *Redis) Stats() map[string]any {
	st := map[string]any{"backend": "redis", "addr": r.spec.Addr, "db": r.spec.DB,
		"commands": r.cmds.Load(), "errors": r.errs.Load(), "dials": r.dials.Load(), "dial_errors": r.dialErrs.Load()}
	if v, err := r.do("DBSIZE"); err == nil {
		st["keys"] = asInt(v)
	}
	if v, err := r.do("INFO", "server"); err == nil {
		s, _ := asStr(v)
		for _, line := range strings.Split(s, "\r\n") {
			if k, val, ok := strings.Cut(line, ":"); ok && (k == "redis_version" || k == "uptime_in_seconds") {
				st[k] = val
			}
		}
	}
	return st
}

func (r *Redis) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, c := range r.idle {
		c.c.Close()
	}
	r.idle = nil
	return nil
}
