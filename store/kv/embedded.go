package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"flowgate/store"
)

// The embedded backend keeps everything in memory and appends every
// mutation to a store.Log (FileName in Config.Dir), buffered and written
// and fsynced every FsyncEvery: like Redis's appendfsync everysec, a kill
// -9 or power loss loses at most that much. The log's frames carry a
// length and a CRC, so a torn tail is cut off at open (and counted in
// truncated_bytes) instead of failing it. The log is rewritten from memory
// (store's atomic rewrite) when it grows past twice its size after the
// last rewrite.
const (
	FileName       = "kv.aof"
	minCompactSize = 1 << 20
	maxRecord      = 512 << 20 // a Redis string's bound
)

// log operations
const (
	opSet byte = iota + 1
	opDel
	opRename
	opExpireAt
	opHSet
	opHDel
	opPush
	opPop
	opLRem
	opLTrim
	opSAdd
	opSRem
	opFlush
)

// Embedded is the default Store.
type Embedded struct {
	cfg  Config
	path string

	mu   sync.Mutex
	m    *mem
	log  *store.Log // nil for a memory-only or closed store
	base int64      // log size after the last rewrite
	rec  []byte
	err  error // first write error: later writes are refused
	done chan struct{}
	wg   sync.WaitGroup
	last store.LogStats // of the log, kept at Close for Stats

	ops, writes, replayed, writeErrs atomic.Uint64
}

// NewMemory returns an embedded store that is not persisted (tests, `flowgate lua` without a data dir).
func NewMemory() *Embedded { return NewMemoryClock(time.Now) }

func logOptions(cfg Config) store.LogOptions {
	return store.LogOptions{Mode: store.ModePrivate, MaxRecord: maxRecord, Sync: store.SyncInterval,
		Interval: cfg.FsyncEvery, BufferSize: 64 << 10, Lock: true}
}

// OpenEmbedded opens (or creates) the log in cfg.Dir, replays it, and
// starts the background flush. The file is locked: a second process
// opening the same dir gets an error rather than a corrupted log.
func OpenEmbedded(cfg Config) (*Embedded, error) {
	cfg.defaults()
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("kv: %w", err)
	}
	e := &Embedded{cfg: cfg, path: filepath.Join(cfg.Dir, FileName), m: newMem(time.Now), done: make(chan struct{})}
	var ts int64
	e.m.now = func() time.Time { return time.UnixMilli(ts) }
	l, err := store.OpenLog(e.path, logOptions(cfg), func(rec []byte) error { return e.replayRecord(rec, &ts) })
	e.m.now = time.Now
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("kv: %s: %w (%v)", e.path, ErrLocked, err)
	}
	if err != nil {
		return nil, fmt.Errorf("kv: %w", err)
	}
	e.log, e.base = l, l.Size()
	e.wg.Add(1)
	go e.loop()
	return e, nil
}

// replayRecord applies one log record on e.m. Replay runs each record at
// its own timestamp (*ts, which e.m's clock reads) so expiries resolve as
// they did when it was written. A record that does not decode ends the
// log, like a corrupt frame.
func (e *Embedded) replayRecord(rec []byte, ts *int64) error {
	d := decoder{b: rec}
	op := d.byte()
	*ts = d.varint()
	if d.bad {
		return fmt.Errorf("kv: short record header: %w", store.ErrBadRecord)
	}
	if err := e.apply(op, &d); err != nil {
		return fmt.Errorf("kv: %v: %w", err, store.ErrBadRecord)
	}
	e.replayed.Add(1)
	return nil
}

// apply replays one record on e.m.
func (e *Embedded) apply(op byte, d *decoder) error {
	m := e.m
	switch op {
	case opSet:
		k, v, at := d.str(), d.str(), d.varint()
		if !d.bad {
			m.set(k, v, at)
		}
	case opDel:
		m.del(d.str())
	case opRename:
		o, n := d.str(), d.str()
		if !d.bad {
			_ = m.rename(o, n)
		}
	case opExpireAt:
		k, at := d.str(), d.varint()
		if !d.bad {
			m.expireAt(k, at)
		}
	case opHSet:
		k, f, v := d.str(), d.str(), d.str()
		if !d.bad {
			_ = m.hset(k, f, v)
		}
	case opHDel:
		k, f := d.str(), d.str()
		if !d.bad {
			_ = m.hdel(k, f)
		}
	case opPush:
		k, v, left := d.str(), d.str(), d.byte()
		if !d.bad {
			_, _ = m.push(k, v, left == 1)
		}
	case opPop:
		k, left := d.str(), d.byte()
		if !d.bad {
			_, _, _ = m.pop(k, left == 1)
		}
	case opLRem:
		k, c, v := d.str(), d.varint(), d.str()
		if !d.bad {
			_, _ = m.lrem(k, int(c), v)
		}
	case opLTrim:
		k, a, b := d.str(), d.varint(), d.varint()
		if !d.bad {
			_ = m.ltrim(k, int(a), int(b))
		}
	case opSAdd:
		k, v := d.str(), d.str()
		if !d.bad {
			_ = m.sadd(k, v)
		}
	case opSRem:
		k, v := d.str(), d.str()
		if !d.bad {
			_ = m.srem(k, v)
		}
	case opFlush:
		m.data = map[string]*entry{}
	default:
		return fmt.Errorf("unknown op %d", op)
	}
	if d.bad {
		return errors.New("short record")
	}
	return nil
}

// encode builds one record in e.rec; the caller holds e.mu. Strings and
// ints are appended in order: string values as length-prefixed bytes,
// int64/int as varints, bool as a byte.
func (e *Embedded) encode(op byte, args ...any) []byte {
	b := append(e.rec[:0], op)
	b = binary.AppendVarint(b, e.m.nowMs())
	for _, a := range args {
		switch v := a.(type) {
		case string:
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case int64:
			b = binary.AppendVarint(b, v)
		case int:
			b = binary.AppendVarint(b, int64(v))
		case bool:
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	e.rec = b
	return b
}

// logOp appends one record; the caller holds e.mu.
func (e *Embedded) logOp(op byte, args ...any) {
	if e.log == nil || e.err != nil {
		return
	}
	if err := e.log.Append(e.encode(op, args...)); err != nil {
		e.failed(err)
		return
	}
	e.writes.Add(1)
}

func (e *Embedded) failed(err error) {
	e.writeErrs.Add(1)
	if e.err == nil {
		e.err = fmt.Errorf("kv: writing %s: %w", e.path, err)
	}
}

// loop rewrites the log when it has grown; the log itself writes and
// fsyncs every FsyncEvery.
func (e *Embedded) loop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.FsyncEvery)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
			e.mu.Lock()
			if e.log != nil && e.log.Size() > max(minCompactSize, 2*e.base) {
				if err := e.rewrite(); err != nil {
					e.failed(err)
				}
			}
			e.mu.Unlock()
		}
	}
}

// Sync writes buffered records and fsyncs the log.
func (e *Embedded) Sync() error {
	e.mu.Lock()
	l := e.log
	e.mu.Unlock()
	if l == nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.err
	}
	// outside e.mu: store.Log fsyncs without blocking appends
	if err := l.Sync(); err != nil && !errors.Is(err, store.ErrClosed) {
		e.mu.Lock()
		e.failed(err)
		e.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Compact rewrites the log from memory now.
func (e *Embedded) Compact() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.log == nil {
		return e.err
	}
	return e.rewrite()
}

// rewrite replaces the log with the live data (store's atomic rewrite:
// a crash leaves the old log or the new one); e.mu is held.
func (e *Embedded) rewrite() error {
	keys := make([]string, 0, len(e.m.data))
	for k := range e.m.data {
		if e.m.live(k) != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // deterministic files
	err := e.log.Rewrite(func(add func([]byte) error) error {
		put := func(op byte, args ...any) error { return add(e.encode(op, args...)) }
		for _, k := range keys {
			en := e.m.data[k]
			var err error
			switch en.kind {
			case kStr:
				err = put(opSet, k, en.str, en.expireAt)
			case kHash:
				for f, v := range en.hash {
					if err = put(opHSet, k, f, v); err != nil {
						break
					}
				}
			case kList:
				for _, v := range en.list {
					if err = put(opPush, k, v, false); err != nil {
						break
					}
				}
			case kSet:
				for v := range en.set {
					if err = put(opSAdd, k, v); err != nil {
						break
					}
				}
			}
			if err == nil && en.kind != kStr && en.expireAt != 0 {
				err = put(opExpireAt, k, en.expireAt)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.base = e.log.Size()
	return nil
}

// Close flushes, fsyncs and closes the log; later calls fail with ErrClosed.
func (e *Embedded) Close() error {
	if e.done != nil {
		select {
		case <-e.done:
			return nil
		default:
		}
		close(e.done)
		e.wg.Wait()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	if e.log != nil {
		err = e.log.Close()
		e.last = e.log.Stats()
		e.log = nil
	}
	if err == nil && e.err != nil && e.done != nil {
		err = e.err
	}
	e.err = ErrClosed
	return err
}

// check counts a mutating op and refuses it after Close.
func (e *Embedded) check() error {
	e.ops.Add(1)
	if e.err != nil && e.log == nil && e.done != nil {
		return ErrClosed
	}
	return nil
}

func ms(ttl time.Duration, now int64) int64 {
	if ttl <= 0 {
		return 0
	}
	return now + max(ttl.Milliseconds(), 1)
}

func (e *Embedded) Get(key string) (string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.get(key)
}

func (e *Embedded) Set(key, val string, ttl time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	at := ms(ttl, e.m.nowMs())
	e.m.set(key, val, at)
	e.logOp(opSet, key, val, at)
	return e.err
}

func (e *Embedded) SetNX(key, val string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return false, err
	}
	if e.m.live(key) != nil {
		return false, nil
	}
	e.m.set(key, val, 0)
	e.logOp(opSet, key, val, int64(0))
	return true, e.err
}

func (e *Embedded) Del(key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if e.m.del(key) {
		e.logOp(opDel, key)
	}
	return e.err
}

func (e *Embedded) Rename(o, n string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if err := e.m.rename(o, n); err != nil {
		return err
	}
	e.logOp(opRename, o, n)
	return e.err
}

func (e *Embedded) Incr(key string, n int64) (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return 0, err
	}
	v, err := e.m.incr(key, n)
	if err != nil {
		return 0, err
	}
	en := e.m.data[key]
	e.logOp(opSet, key, en.str, en.expireAt)
	return v, e.err
}

func (e *Embedded) Keys(pattern string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.keys(pattern), nil
}

func (e *Embedded) TTL(key string) (time.Duration, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.m.ttl(key), nil
}

func (e *Embedded) Expire(key string, ttl time.Duration) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return false, err
	}
	at := ms(ttl, e.m.nowMs())
	if ttl <= 0 {
		// EXPIRE with a non-positive TTL deletes the key in Redis.
		ok := e.m.live(key) != nil
		if ok {
			e.m.del(key)
			e.logOp(opDel, key)
		}
		return ok, e.err
	}
	if !e.m.expireAt(key, at) {
		return false, nil
	}
	e.logOp(opExpireAt, key, at)
	return true, e.err
}

func (e *Embedded) HGet(key, field string) (string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.hget(key, field)
}

func (e *Embedded) HSet(key, field, val string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if err := e.m.hset(key, field, val); err != nil {
		return err
	}
	e.logOp(opHSet, key, field, val)
	return e.err
}

func (e *Embedded) HDel(key, field string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if err := e.m.hdel(key, field); err != nil {
		return err
	}
	e.logOp(opHDel, key, field)
	return e.err
}

func (e *Embedded) HGetAll(key string) (map[string]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.hgetall(key)
}

func (e *Embedded) Push(key, val string, left bool) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return 0, err
	}
	n, err := e.m.push(key, val, left)
	if err != nil {
		return 0, err
	}
	e.logOp(opPush, key, val, left)
	return n, e.err
}

func (e *Embedded) Pop(key string, left bool) (string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return "", false, err
	}
	v, ok, err := e.m.pop(key, left)
	if ok {
		e.logOp(opPop, key, left)
	}
	return v, ok, err
}

func (e *Embedded) LRem(key string, count int, val string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return 0, err
	}
	n, err := e.m.lrem(key, count, val)
	if n > 0 {
		e.logOp(opLRem, key, count, val)
	}
	return n, err
}

func (e *Embedded) LTrim(key string, start, stop int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if err := e.m.ltrim(key, start, stop); err != nil {
		return err
	}
	e.logOp(opLTrim, key, start, stop)
	return e.err
}

func (e *Embedded) LRange(key string, start, stop int) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.lrange(key, start, stop)
}

func (e *Embedded) LLen(key string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.llen(key)
}

func (e *Embedded) LIndex(key string, idx int) (string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.lindex(key, idx)
}

func (e *Embedded) SAdd(key, member string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if err := e.m.sadd(key, member); err != nil {
		return err
	}
	e.logOp(opSAdd, key, member)
	return e.err
}

func (e *Embedded) SRem(key, member string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	if err := e.m.srem(key, member); err != nil {
		return err
	}
	e.logOp(opSRem, key, member)
	return e.err
}

func (e *Embedded) SMembers(key string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops.Add(1)
	return e.m.smembers(key)
}

func (e *Embedded) FlushAll() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	e.m.data = map[string]*entry{}
	e.logOp(opFlush)
	return e.err
}

// Dump format of the embedded backend: "FGKV1", kind, contents, CRC32C.
const dumpMagic = "FGKV1"

func (e *Embedded) Dump(key string) (string, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en := e.m.live(key)
	if en == nil {
		return "", false, nil
	}
	b := append([]byte(dumpMagic), byte(en.kind))
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	switch en.kind {
	case kStr:
		str(en.str)
	case kHash:
		b = binary.AppendUvarint(b, uint64(len(en.hash)))
		for _, f := range sortedKeys(en.hash) {
			str(f)
			str(en.hash[f])
		}
	case kList:
		b = binary.AppendUvarint(b, uint64(len(en.list)))
		for _, v := range en.list {
			str(v)
		}
	case kSet:
		b = binary.AppendUvarint(b, uint64(len(en.set)))
		for v := range en.set {
			str(v)
		}
	}
	b = binary.LittleEndian.AppendUint32(b, store.Checksum(b))
	return string(b), true, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Restore recreates key from a Dump (replacing it); it is logged as the
// ordinary operations that rebuild it.
func (e *Embedded) Restore(key, dump string, ttl time.Duration) error {
	if len(dump) < len(dumpMagic)+5 || dump[:len(dumpMagic)] != dumpMagic {
		return ErrBadDump
	}
	body := dump[:len(dump)-4]
	if store.Checksum([]byte(body)) != binary.LittleEndian.Uint32([]byte(dump[len(dump)-4:])) {
		return ErrBadDump
	}
	d := decoder{b: []byte(body[len(dumpMagic)+1:])}
	k := kind(body[len(dumpMagic)])
	en := &entry{kind: k}
	switch k {
	case kStr:
		en.str = d.str()
	case kHash, kList, kSet:
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			return ErrBadDump
		}
		for i := uint64(0); i < n && !d.bad; i++ {
			switch k {
			case kHash:
				if en.hash == nil {
					en.hash = map[string]string{}
				}
				f := d.str()
				en.hash[f] = d.str()
			case kList:
				en.list = append(en.list, d.str())
			case kSet:
				if en.set == nil {
					en.set = map[string]struct{}{}
				}
				en.set[d.str()] = struct{}{}
			}
		}
	default:
		return ErrBadDump
	}
	if d.bad || len(d.b) != 0 {
		return ErrBadDump
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.check(); err != nil {
		return err
	}
	en.expireAt = ms(ttl, e.m.nowMs())
	if e.m.del(key) {
		e.logOp(opDel, key)
	}
	e.m.data[key] = en
	switch k {
	case kStr:
		e.logOp(opSet, key, en.str, en.expireAt)
	case kHash:
		for f, v := range en.hash {
			e.logOp(opHSet, key, f, v)
		}
	case kList:
		for _, v := range en.list {
			e.logOp(opPush, key, v, false)
		}
	case kSet:
		for v := range en.set {
			e.logOp(opSAdd, key, v)
		}
	}
	if k != kStr && en.expireAt != 0 {
		e.logOp(opExpireAt, key, en.expireAt)
	}
	return e.err
}

func (e *Embedded) Stats() map[string]any {
	e.mu.Lock()
	keys, path, ls := len(e.m.data), e.path, e.last
	var size int64
	if e.log != nil {
		ls, size = e.log.Stats(), e.log.Size()
	}
	e.mu.Unlock()
	return map[string]any{
		"backend": "embedded", "path": path, "keys": keys, "log_bytes": size,
		"ops": e.ops.Load(), "log_records": e.writes.Load(), "fsyncs": ls.Syncs,
		"compactions": ls.Rewrites, "replayed_records": e.replayed.Load(),
		"truncated_bytes": ls.DroppedBytes, "write_errors": e.writeErrs.Load() + ls.WriteErrors,
	}
}

// decoder reads a record's fields; bad is set on a short or malformed one.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// OpenSnapshot loads the log in dir into a memory-only store without
// locking it: a look at the data of a store a running process holds.
// Nothing written to the snapshot is persisted.
func OpenSnapshot(dir string) (*Embedded, error) {
	e := NewMemory()
	var ts int64
	e.m.now = func() time.Time { return time.UnixMilli(ts) }
	defer func() { e.m.now = time.Now }()
	path := filepath.Join(dir, FileName)
	if _, err := store.ReadLog(path, maxRecord, func(rec []byte) error { return e.replayRecord(rec, &ts) }); err != nil {
		return nil, fmt.Errorf("kv: %w", err)
	}
	return e, nil
}

// NewMemoryClock is NewMemory on a given clock (tests of TTLs).
func NewMemoryClock(now func() time.Time) *Embedded {
	return &Embedded{m: newMem(now)}
}
