package rrd

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
	"flowgate/store"
)

// ErrNotFound is a path with no RRD.
var ErrNotFound = errors.New("rrd: no such RRD")

// ErrPath is a path outside the RRD directory.
var ErrPath = errors.New("rrd: path outside the data directory")

// An RRD file is a store record log: a snapshot record ('S', then the
// gob-encoded RRD with a format version) followed by update records ('U',
// then rrdtool's update argument "T:v1:v2" as accepted). Opening replays
// the updates on the snapshot; every compactEvery updates the log is
// rewritten as one snapshot (atomically: a crash leaves the old file or the
// new one). An update is one write(2), not fsynced (a kill -9 loses none; a
// power loss may lose the last ones, as rrdtool's page-cache writes may);
// the file's modification time is its last update (deleteOldRRDs).
const (
	recSnapshot  = 'S'
	recUpdate    = 'U'
	fileVersion  = 1
	compactEvery = 64
	maxRecord    = 64 << 20
)

type snapshot struct {
	Version int
	RRD     *RRD
}

// Configuration of the store.
type Configuration struct {
	// Dir confines every path: relative paths are under it, absolute ones
	// must be inside it.
	Dir     string
	Now     func() time.Time
	Metrics prometheus.Registerer // flowgate_rrd_* (nil: none)
}

// DefaultConfiguration uses the wall clock.
func DefaultConfiguration() Configuration { return Configuration{Now: time.Now} }

// Counters of the store.
type Counters struct {
	Creates, Updates, Fetches, Errors, Deleted uint64
}

// entry is an open RRD: its log (locked) and state.
type entry struct {
	l       *store.Log
	r       *RRD
	updates int // since the last snapshot
	used    uint64
}

// maxOpen bounds the RRD files kept open.
const maxOpen = 256

// Store keeps RRD files under one directory. Calls on one path are
// serialized (a lock per path stripe); the most recently used files stay
// open (and flocked: another process opening one gets an error) until
// evicted or Close.
type Store struct {
	cfg   Configuration
	locks [64]sync.Mutex

	// Open RRDs (their log locked, their state in memory), at most
	// maxOpen: an update is one append, not a replay of the file.
	mu    sync.Mutex
	open  map[string]*entry
	clock uint64

	creates, updates, fetches, errs, deleted atomic.Uint64
}

// New returns the store (it opens files per call: nothing to start).
func New(cfg Configuration) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{cfg: cfg, open: map[string]*entry{}}
	metrics.MustRegister(cfg.Metrics, metrics.NewCollector(s.Counters,
		metrics.Counter("flowgate_rrd_creates_total", "RRD files created by ntop.rrd_create.", func(c *Counters) uint64 { return c.Creates }),
		metrics.Counter("flowgate_rrd_updates_total", "RRD updates stored.", func(c *Counters) uint64 { return c.Updates }),
		metrics.Counter("flowgate_rrd_fetches_total", "RRD fetches answered.", func(c *Counters) uint64 { return c.Fetches }),
		metrics.Counter("flowgate_rrd_errors_total", "Refused or failed RRD calls (bad arguments, paths, files).", func(c *Counters) uint64 { return c.Errors }),
		metrics.Counter("flowgate_rrd_deleted_total", "RRD files removed by ntop.deleteOldRRDs.", func(c *Counters) uint64 { return c.Deleted }),
	))
	return s
}

// Counters returns the store's counters.
func (s *Store) Counters() Counters {
	return Counters{Creates: s.creates.Load(), Updates: s.updates.Load(), Fetches: s.fetches.Load(),
		Errors: s.errs.Load(), Deleted: s.deleted.Load()}
}

// Resolve maps a script's path to a file under Dir, refusing escapes
// ("..", absolute paths elsewhere, symlinked parents are not followed out
// because the cleaned path must stay lexically inside Dir).
func (s *Store) Resolve(p string) (string, error) {
	if s.cfg.Dir == "" {
		return "", fmt.Errorf("%w: no data directory", ErrPath)
	}
	if p == "" || strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: %q", ErrPath, p)
	}
	root, err := filepath.Abs(s.cfg.Dir)
	if err != nil {
		return "", fmt.Errorf("rrd: %w", err)
	}
	full := p
	if !filepath.IsAbs(p) {
		full = filepath.Join(root, p)
	}
	full = filepath.Clean(full)
	rel, err := filepath.Rel(root, full)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q", ErrPath, p)
	}
	return full, nil
}

func (s *Store) stripe(path string) *sync.Mutex {
	var h uint32 = 2166136261
	for i := 0; i < len(path); i++ {
		h = (h ^ uint32(path[i])) * 16777619
	}
	return &s.locks[h%uint32(len(s.locks))]
}

func (s *Store) lock(path string) func() {
	m := s.stripe(path)
	m.Lock()
	return m.Unlock
}

func (s *Store) fail(err error) error {
	s.errs.Add(1)
	return err
}

func encodeSnapshot(r *RRD) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte(recSnapshot)
	if err := gob.NewEncoder(&b).Encode(snapshot{Version: fileVersion, RRD: r}); err != nil {
		return nil, fmt.Errorf("rrd: encode: %w", err)
	}
	return b.Bytes(), nil
}

// openFile replays the file at full into an RRD; the log stays open (locked).
func openFile(full string, create bool) (*store.Log, *RRD, int, error) {
	if !create {
		if _, err := os.Stat(full); errors.Is(err, fs.ErrNotExist) {
			return nil, nil, 0, fmt.Errorf("%w: %s", ErrNotFound, filepath.Base(full))
		}
	}
	var r *RRD
	updates := 0
	replay := func(rec []byte) error {
		switch rec[0] {
		case recSnapshot:
			var sn snapshot
			if err := gob.NewDecoder(bytes.NewReader(rec[1:])).Decode(&sn); err != nil || sn.Version != fileVersion || sn.RRD == nil {
				return fmt.Errorf("%w: snapshot unreadable (%v)", store.ErrBadRecord, err)
			}
			r, updates = sn.RRD, 0
		case recUpdate:
			if r == nil {
				return fmt.Errorf("%w: update before the snapshot", store.ErrBadRecord)
			}
			t, vals, err := ParseUpdate(string(rec[1:]), 0)
			if err != nil {
				return fmt.Errorf("%w: %v", store.ErrBadRecord, err)
			}
			if err := r.Update(t, vals); err != nil {
				return fmt.Errorf("%w: %v", store.ErrBadRecord, err)
			}
			updates++
		default:
			return fmt.Errorf("%w: record kind %q", store.ErrBadRecord, rec[0])
		}
		return nil
	}
	l, err := store.OpenLog(full, store.LogOptions{MaxRecord: maxRecord, Lock: true}, replay)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("rrd %s: %w", filepath.Base(full), err)
	}
	if r == nil && !create {
		l.Close()
		return nil, nil, 0, fmt.Errorf("%w: %s holds no RRD", ErrNotFound, filepath.Base(full))
	}
	return l, r, updates, nil
}

// get returns the open entry of full (the caller holds full's stripe
// lock), opening the file when it is not.
func (s *Store) get(full string) (*entry, error) {
	s.mu.Lock()
	s.clock++
	e := s.open[full]
	if e != nil {
		e.used = s.clock
	}
	s.mu.Unlock()
	if e != nil {
		return e, nil
	}
	l, r, n, err := openFile(full, false)
	if err != nil {
		return nil, err
	}
	e = &entry{l: l, r: r, updates: n}
	s.mu.Lock()
	e.used = s.clock
	s.open[full] = e
	victims := s.victimsLocked(full)
	s.mu.Unlock()
	s.closeVictims(victims)
	return e, nil
}

// victimsLocked picks the least recently used entries over maxOpen (not
// keep).
func (s *Store) victimsLocked(keep string) []string {
	var out []string
	for len(s.open)-len(out) > maxOpen {
		var oldest string
		var at uint64
		for p, e := range s.open {
			if p == keep || contains(out, p) {
				continue
			}
			if oldest == "" || e.used < at {
				oldest, at = p, e.used
			}
		}
		if oldest == "" {
			break
		}
		out = append(out, oldest)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// closeVictims closes evicted entries whose stripe is free (a busy one
// stays open until a later eviction: never wait for another path's lock
// while holding ours).
func (s *Store) closeVictims(paths []string) {
	for _, p := range paths {
		m := s.stripe(p)
		if !m.TryLock() {
			continue
		}
		s.drop(p)
		m.Unlock()
	}
}

// drop closes and forgets the open entry of full (its stripe held).
func (s *Store) drop(full string) {
	s.mu.Lock()
	e := s.open[full]
	delete(s.open, full)
	s.mu.Unlock()
	if e != nil {
		e.l.Close()
	}
}

// Close closes every open RRD file.
func (s *Store) Close() {
	s.mu.Lock()
	paths := make([]string, 0, len(s.open))
	for p := range s.open {
		paths = append(paths, p)
	}
	s.mu.Unlock()
	for _, p := range paths {
		m := s.stripe(p)
		m.Lock()
		s.drop(p)
		m.Unlock()
	}
}

// Create writes a new RRD at path (replacing one that exists, as rrdtool
// create does). start < 0 means now - 1 day (ntopng's binding).
func (s *Store) Create(path string, step, start int64, specs []string) error {
	full, err := s.Resolve(path)
	if err != nil {
		return s.fail(err)
	}
	if start < 0 {
		start = s.cfg.Now().Unix() - 86400
	}
	r, err := Create(step, start, specs)
	if err != nil {
		return s.fail(err)
	}
	snap, err := encodeSnapshot(r)
	if err != nil {
		return s.fail(err)
	}
	defer s.lock(full)()
	s.drop(full)
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		return s.fail(fmt.Errorf("rrd: %w", err))
	}
	// One atomic write of the framed snapshot: an existing file is
	// replaced whole or not at all.
	if err := store.WriteFile(full, store.AppendFrame(nil, snap), store.ModePrivate); err != nil {
		return s.fail(fmt.Errorf("rrd create %s: %w", path, err))
	}
	s.creates.Add(1)
	return nil
}

// Update applies rrdtool's update argument ("N:1:2", "1700000000:5:U").
func (s *Store) Update(path, arg string) error {
	full, err := s.Resolve(path)
	if err != nil {
		return s.fail(err)
	}
	t, vals, err := ParseUpdate(arg, s.cfg.Now().Unix())
	if err != nil {
		return s.fail(err)
	}
	defer s.lock(full)()
	e, err := s.get(full)
	if err != nil {
		return s.fail(err)
	}
	// RRD.Update refuses (a value count, a time) before changing anything.
	if err := e.r.Update(t, vals); err != nil {
		return s.fail(err)
	}
	if e.updates+1 >= compactEvery {
		snap, err := encodeSnapshot(e.r)
		if err == nil {
			err = e.l.Rewrite(func(add func([]byte) error) error { return add(snap) })
		}
		if err != nil {
			s.drop(full) // memory is ahead of the file: reload it next time
			return s.fail(fmt.Errorf("rrd update %s: %w", path, err))
		}
		e.updates = 0
	} else {
		rec := append([]byte{recUpdate}, strconv.FormatInt(t, 10)+":"+strings.Join(vals, ":")...)
		if err := e.l.Append(rec); err != nil {
			s.drop(full)
			return s.fail(fmt.Errorf("rrd update %s: %w", path, err))
		}
		e.updates++
	}
	s.updates.Add(1)
	return nil
}

// Load returns a copy of the RRD at path.
func (s *Store) Load(path string) (*RRD, error) {
	full, err := s.Resolve(path)
	if err != nil {
		return nil, s.fail(err)
	}
	defer s.lock(full)()
	e, err := s.get(full)
	if err != nil {
		return nil, s.fail(err)
	}
	return e.r.clone(), nil
}

// Fetch is RRD.Fetch on the file at path.
func (s *Store) Fetch(path, cf string, start, end, res int64) (*Fetched, error) {
	full, err := s.Resolve(path)
	if err != nil {
		return nil, s.fail(err)
	}
	defer s.lock(full)()
	e, err := s.get(full)
	if err != nil {
		return nil, s.fail(err)
	}
	f, err := e.r.Fetch(cf, start, end, res)
	if err != nil {
		return nil, s.fail(err)
	}
	s.fetches.Add(1)
	return f, nil
}

// Tune is RRD.Tune on the file at path, written as a new snapshot.
func (s *Store) Tune(path string, args []string) error {
	full, err := s.Resolve(path)
	if err != nil {
		return s.fail(err)
	}
	defer s.lock(full)()
	e, err := s.get(full)
	if err != nil {
		return s.fail(err)
	}
	old := e.r.clone()
	if err := e.r.Tune(args); err != nil {
		return s.fail(err)
	}
	snap, err := encodeSnapshot(e.r)
	if err == nil {
		err = e.l.Rewrite(func(add func([]byte) error) error { return add(snap) })
	}
	if err != nil {
		e.r = old
		return s.fail(fmt.Errorf("rrd tune %s: %w", path, err))
	}
	e.updates = 0
	return nil
}

// DeleteOld removes the .rrd files under dir (recursively) not updated
// for olderThan (ntop.deleteOldRRDs): their last update, from the file's
// modification time (each update writes it). It returns how many it
// removed.
func (s *Store) DeleteOld(dir string, olderThan time.Duration) (int, error) {
	full, err := s.Resolve(dir)
	if root, _ := filepath.Abs(s.cfg.Dir); err != nil && s.cfg.Dir != "" && filepath.Clean(dir) == root {
		full, err = root, nil // the whole data directory
	}
	if err != nil {
		return 0, s.fail(err)
	}
	deadline := s.cfg.Now().Add(-olderThan)
	n := 0
	err = filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rrd") || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if info.ModTime().Before(deadline) {
			unlock := s.lock(p)
			s.drop(p)
			rerr := os.Remove(p)
			unlock()
			if rerr == nil {
				n++
				s.deleted.Add(1)
			}
		}
		return nil
	})
	if err != nil {
		return n, s.fail(fmt.Errorf("rrd delete old %s: %w", dir, err))
	}
	return n, nil
}
