package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultMaxRecord bounds a record when LogOptions.MaxRecord is zero.
const DefaultMaxRecord = 1 << 20

// SyncPolicy says when a log's appends are fsynced.
type SyncPolicy int

const (
	// SyncBatch leaves fsync to the caller's Sync (and Close): appends
	// are batched under one fsync whenever the caller chooses, e.g. once
	// per delivery round.
	SyncBatch SyncPolicy = iota
	// SyncEvery fsyncs in every Append (and AppendBatch) before it
	// returns.
	SyncEvery
	// SyncInterval fsyncs from a background goroutine every
	// LogOptions.Interval, when something was appended (Redis's
	// appendfsync everysec).
	SyncInterval
)

// LogOptions configures a Log. The zero value is a 0640, unbuffered,
// unlocked log of records up to DefaultMaxRecord, fsynced on Sync.
type LogOptions struct {
	Mode      os.FileMode // of a new file and of rewrites; 0 means ModePrivate
	MaxRecord int         // largest payload accepted and replayed; 0 means DefaultMaxRecord
	Sync      SyncPolicy
	Interval  time.Duration // for SyncInterval; 0 means one second
	// BufferSize > 0 keeps up to that many bytes of appends in memory
	// until Sync, the interval or a full buffer writes them: faster, but
	// a kill -9 loses the buffer. With 0 every append is one write(2) and
	// survives the process dying at once (not a power loss before fsync).
	BufferSize int
	// Lock takes an exclusive flock on the file: a second process
	// opening the same log gets ErrLocked instead of interleaving.
	Lock bool
}

// LogStats are a log's counters since it was opened.
type LogStats struct {
	Replayed     uint64 // records read at open
	DroppedBytes uint64 // bytes of torn or corrupt tail cut at open
	Appends      uint64 // records appended
	Bytes        uint64 // bytes appended, frames included
	Syncs        uint64 // fsyncs
	Rewrites     uint64 // successful rewrites
	WriteErrors  uint64 // failed writes, fsyncs and rewrites
}

// Log is an append-only file of CRC-framed records. Open repairs a torn
// tail and replays the records; Append adds records; Rewrite replaces the
// content atomically (compaction). Its methods are safe for concurrent
// use.
type Log struct {
	path string
	opt  LogOptions

	mu      sync.Mutex
	f       *os.File
	size    int64 // bytes on disk (buffered bytes not included)
	buf     []byte
	scratch []byte // unbuffered appends frame here
	dirty   bool   // written since the last fsync
	closed  bool
	broken  error // the file's end is unknown after a failed write: refuse appends

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	replayed, dropped, appends, bytes, syncs, rewrites, writeErrs atomic.Uint64
}

// OpenLog opens (creating it if needed) the log at path, replays its
// records through fn (which may be nil) and cuts off whatever follows the
// last valid frame: a torn write from a crash, or a corrupt frame and
// everything after it. Stats().DroppedBytes says how much was cut.
func OpenLog(path string, opt LogOptions, fn func(rec []byte) error) (*Log, error) {
	if opt.Mode == 0 {
		opt.Mode = ModePrivate
	}
	if opt.MaxRecord <= 0 {
		opt.MaxRecord = DefaultMaxRecord
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	RemoveTemps(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, opt.Mode)
	if err != nil {
		return nil, fmt.Errorf("store: open log: %w", err)
	}
	if opt.Lock {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: %s: %w (%v)", path, ErrLocked, err)
		}
	}
	valid, n, err := Replay(f, opt.MaxRecord, fn)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: replaying %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	l := &Log{path: path, opt: opt, f: f, size: valid}
	l.replayed.Store(uint64(n))
	if st.Size() > valid {
		if err := f.Truncate(valid); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: truncating %s: %w", path, err)
		}
		l.dropped.Store(uint64(st.Size() - valid))
		l.dirty = true
	}
	if opt.BufferSize > 0 {
		l.buf = make([]byte, 0, opt.BufferSize)
	}
	if opt.Sync == SyncInterval {
		l.stop = make(chan struct{})
		l.wg.Add(1)
		go l.syncLoop()
	}
	return l, nil
}

// Path is the log's file.
func (l *Log) Path() string { return l.path }

// Size is the log's length in bytes, buffered appends included.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size + int64(len(l.buf))
}

// Stats returns the log's counters.
func (l *Log) Stats() LogStats {
	return LogStats{Replayed: l.replayed.Load(), DroppedBytes: l.dropped.Load(), Appends: l.appends.Load(),
		Bytes: l.bytes.Load(), Syncs: l.syncs.Load(), Rewrites: l.rewrites.Load(), WriteErrors: l.writeErrs.Load()}
}

// Append adds one record.
func (l *Log) Append(rec []byte) error { return l.AppendBatch(rec) }

// AppendBatch adds records in one write: all of them or, on error, none
// (a partial write is cut off again).
func (l *Log) AppendBatch(recs ...[]byte) error {
	total := 0
	for _, r := range recs {
		if len(r) == 0 {
			return fmt.Errorf("store: append to %s: %w", l.path, ErrEmpty)
		}
		if len(r) > l.opt.MaxRecord {
			return fmt.Errorf("store: append %d bytes to %s: %w (%d)", len(r), l.path, ErrTooLarge, l.opt.MaxRecord)
		}
		total += FrameHeader + len(r)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if l.opt.BufferSize > 0 {
		if len(l.buf)+total > l.opt.BufferSize && len(l.buf) > 0 {
			if err := l.flushLocked(); err != nil {
				return err
			}
		}
		for _, r := range recs {
			l.buf = AppendFrame(l.buf, r)
		}
		if len(l.buf) >= l.opt.BufferSize {
			if err := l.flushLocked(); err != nil {
				return err
			}
		}
	} else {
		b := l.scratch[:0]
		for _, r := range recs {
			b = AppendFrame(b, r)
		}
		if cap(b) <= 64<<10 {
			l.scratch = b // reuse small frames; let a huge one go
		}
		if err := l.writeLocked(b); err != nil {
			return err
		}
	}
	l.appends.Add(uint64(len(recs)))
	l.bytes.Add(uint64(total))
	if l.opt.Sync == SyncEvery {
		if err := l.flushLocked(); err != nil {
			return err
		}
		return l.fsyncLocked()
	}
	return nil
}

func (l *Log) usable() error {
	if l.closed {
		return fmt.Errorf("store: %s: %w", l.path, ErrClosed)
	}
	return l.broken
}

// writeLocked writes b at the end of the file; a partial write is cut off
// so that the next record follows a valid one.
func (l *Log) writeLocked(b []byte) error {
	n, err := l.f.WriteAt(b, l.size)
	if err == nil {
		l.size += int64(n)
		l.dirty = true
		return nil
	}
	l.writeErrs.Add(1)
	err = fmt.Errorf("store: write %s: %w", l.path, err)
	if n > 0 {
		if terr := l.f.Truncate(l.size); terr != nil {
			l.broken = fmt.Errorf("store: %s: cannot cut a partial write (%v): %w", l.path, terr, err)
			return l.broken
		}
	}
	return err
}

// flushLocked writes the buffered records. On error they are lost, after
// their Appends returned: the log refuses later appends (every call
// returns the error) rather than go on with a hole its callers cannot see.
func (l *Log) flushLocked() error {
	if len(l.buf) == 0 {
		return nil
	}
	err := l.writeLocked(l.buf)
	if err != nil && l.broken == nil {
		l.broken = fmt.Errorf("store: %s: %d buffered bytes lost: %w", l.path, len(l.buf), err)
	}
	l.buf = l.buf[:0]
	if err != nil {
		return l.broken
	}
	return nil
}

func (l *Log) fsyncLocked() error {
	if !l.dirty {
		return nil
	}
	if err := l.f.Sync(); err != nil {
		l.writeErrs.Add(1)
		return fmt.Errorf("store: fsync %s: %w", l.path, err)
	}
	l.dirty = false
	l.syncs.Add(1)
	return nil
}

// Flush writes buffered records to the file without fsyncing it.
func (l *Log) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	return l.flushLocked()
}

// Sync writes buffered records and fsyncs the file if anything changed
// since the last fsync. The fsync runs outside the lock: appends only
// fill the buffer or the page cache meanwhile.
func (l *Log) Sync() error {
	l.mu.Lock()
	if err := l.usable(); err != nil {
		l.mu.Unlock()
		return err
	}
	if err := l.flushLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	if !l.dirty {
		l.mu.Unlock()
		return nil
	}
	f := l.f
	l.dirty = false
	l.mu.Unlock()
	err := f.Sync()
	if errors.Is(err, os.ErrClosed) {
		// A rewrite replaced (and fsynced) the file meanwhile.
		return nil
	}
	if err != nil {
		l.writeErrs.Add(1)
		l.mu.Lock()
		if l.f == f {
			l.dirty = true
		}
		l.mu.Unlock()
		return fmt.Errorf("store: fsync %s: %w", l.path, err)
	}
	l.syncs.Add(1)
	return nil
}

func (l *Log) syncLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.opt.Interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			_ = l.Sync() // counted in WriteErrors; the next tick retries
		}
	}
}

// Rewrite replaces the log's whole content with the records fill adds,
// through an atomic write (temp file, fsync, rename, fsync of the
// directory): a crash leaves the old log or the new one. Appends wait
// while it runs, and records appended before it are replaced too, so
// fill must write everything the log should keep. fill may read the
// current file (ReadLog(l.Path(), ...)): buffered records are written
// before it is called. On error the log is unchanged.
func (l *Log) Rewrite(fill func(add func(rec []byte) error) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if err := l.flushLocked(); err != nil {
		return err
	}
	fail := func(err error) error {
		l.writeErrs.Add(1)
		return fmt.Errorf("store: rewrite %s: %w", l.path, err)
	}
	a, err := CreateAtomic(l.path, l.opt.Mode)
	if err != nil {
		return fail(err)
	}
	var frame []byte
	add := func(rec []byte) error {
		if len(rec) == 0 {
			return ErrEmpty
		}
		if len(rec) > l.opt.MaxRecord {
			return fmt.Errorf("%w: %d bytes (%d)", ErrTooLarge, len(rec), l.opt.MaxRecord)
		}
		frame = AppendFrame(frame[:0], rec)
		_, err := a.Write(frame)
		return err
	}
	if err := fill(add); err != nil {
		a.Abort()
		return fail(err)
	}
	if l.opt.Lock {
		// Lock the new file before its name is visible, so that no other
		// process can take the log between the rename and our lock.
		if err := syscall.Flock(int(a.File().Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			a.Abort()
			return fail(err)
		}
	}
	size := a.Size()
	nf, err := a.CommitOpen()
	if nf == nil {
		return fail(err)
	}
	// err != nil here is a failed fsync of the directory: the new file is
	// in place and is the log now; report the doubt about its name.
	l.f.Close()
	l.f, l.size, l.dirty = nf, size, false
	l.rewrites.Add(1)
	if err != nil {
		return fail(err)
	}
	return nil
}

// Close writes and fsyncs what is pending and closes the file. Later calls
// fail with ErrClosed; a second Close returns nil.
func (l *Log) Close() error {
	l.stopLoop()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.broken
	if err == nil {
		if err = l.flushLocked(); err == nil {
			err = l.fsyncLocked()
		}
	}
	if cerr := l.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("store: close %s: %w", l.path, cerr)
	}
	return err
}

// Remove closes the log and deletes its file.
func (l *Log) Remove() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		l.f.Close()
	}
	l.mu.Unlock()
	l.stopLoop()
	if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return SyncDir(filepath.Dir(l.path))
}

// stopLoop ends the SyncInterval goroutine and waits for it.
func (l *Log) stopLoop() {
	if l.stop == nil {
		return
	}
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}

var _ io.Closer = (*Log)(nil)
