package snmp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"flowgate/internal/ratelog"
	"flowgate/store"
)

// SeriesDir is the directory of the per-device series files in the data dir.
const SeriesDir = "snmp_series"

// A series file is a store.Log (u32 length, u32 CRC-32C, payload frames;
// torn tails cut at open) of fixed-size little-endian payloads, appended
// in poll order:
//
//	0 ifIndex u32 | 4 t u32 (epoch s) | 8 in_bps f32 | 12 out_bps f32 |
//	16 in_errors u32 | 20 out_errors u32 | 24 oper_status u8 | 25 zero[3]
//
// Files of the previous release (".ts": a 16-byte header, then 32-byte
// records ending in their own CRC) are converted once when opened.
const (
	seriesExt      = ".series"
	seriesRecLen   = 28
	seriesFrameLen = store.FrameHeader + seriesRecLen

	legacyExt     = ".ts"
	legacyMagic   = "FGSNMPTS"
	legacyVersion = 1
	legacyHdrLen  = 16
	legacyRecLen  = 32
)

var seriesLogOptions = store.LogOptions{Mode: store.ModePrivate, MaxRecord: seriesRecLen, Sync: store.SyncBatch}

// appendRecord encodes one point of ifIndex at the end of b.
func appendRecord(b []byte, ifIndex uint32, p Point) []byte {
	n := len(b)
	b = append(b, make([]byte, seriesRecLen)...)
	r := b[n:]
	binary.LittleEndian.PutUint32(r[0:], ifIndex)
	binary.LittleEndian.PutUint32(r[4:], uint32(max(p.T, 0)))
	binary.LittleEndian.PutUint32(r[8:], math.Float32bits(p.InBps))
	binary.LittleEndian.PutUint32(r[12:], math.Float32bits(p.OutBps))
	binary.LittleEndian.PutUint32(r[16:], p.InErrors)
	binary.LittleEndian.PutUint32(r[20:], p.OutErrors)
	r[24] = p.OperStatus
	return b
}

// decodeRecord decodes one payload; ok is false when it is not one.
func decodeRecord(r []byte) (ifIndex uint32, p Point, ok bool) {
	if len(r) != seriesRecLen {
		return 0, Point{}, false
	}
	ifIndex = binary.LittleEndian.Uint32(r[0:])
	p = Point{T: int64(binary.LittleEndian.Uint32(r[4:])),
		InBps:      math.Float32frombits(binary.LittleEndian.Uint32(r[8:])),
		OutBps:     math.Float32frombits(binary.LittleEndian.Uint32(r[12:])),
		InErrors:   binary.LittleEndian.Uint32(r[16:]),
		OutErrors:  binary.LittleEndian.Uint32(r[20:]),
		OperStatus: r[24]}
	return ifIndex, p, true
}

// replaySeries returns a store replay func passing the points newer than
// cutoff to fn (if not nil) and noting the time of the first in *oldest.
func replaySeries(cutoff int64, oldest *int64, fn func(uint32, Point)) func([]byte) error {
	first := true
	return func(rec []byte) error {
		idx, p, ok := decodeRecord(rec)
		if !ok {
			return fmt.Errorf("snmp series record of %d bytes: %w", len(rec), store.ErrBadRecord)
		}
		if first {
			*oldest, first = p.T, false
		}
		if p.T > cutoff && fn != nil {
			fn(idx, p)
		}
		return nil
	}
}

// seriesStore keeps one store.Log per device under <data dir>/snmp_series.
// Appends are plain writes (they survive a process restart at once); a
// flusher fsyncs dirty files at most once a second. A file is compacted
// (rewritten atomically with the points inside the retention) when it
// covers more than 1.25 × the retention or grows past maxBytes; a torn or
// corrupt tail is truncated when the file is opened.
type seriesStore struct {
	dir       string
	retention time.Duration
	maxBytes  int64
	now       func() time.Time
	log       *slog.Logger
	rlog      *ratelog.Limiter // errors that can repeat every poll

	mu     sync.Mutex
	files  map[string]*seriesFile
	open   bool
	stop   chan struct{}
	wg     sync.WaitGroup
	syncIv time.Duration

	records, writeErrs, repairs, compactions, syncs, converted atomic.Uint64
}

type seriesFile struct {
	mu     sync.Mutex
	path   string
	log    *store.Log // nil once removed or closed
	oldest int64      // t of the first record; 0 when empty
	batch  [][]byte   // append's scratch
}

func newSeriesStore(dataDir string, retention time.Duration, maxBytes int64, now func() time.Time, log *slog.Logger) *seriesStore {
	return &seriesStore{dir: filepath.Join(dataDir, SeriesDir), retention: retention, maxBytes: maxBytes,
		now: now, log: log, rlog: ratelog.New(log, 10*time.Second), files: map[string]*seriesFile{}, syncIv: time.Second}
}

func (s *seriesStore) pathOf(key string) string {
	return filepath.Join(s.dir, url.PathEscape(key)+seriesExt)
}

// start creates the directory, removes the files of devices not in keep,
// passes the points of keep newer than the retention to sink, in file
// order, and starts the flusher.
func (s *seriesStore) start(keep []string, sink func(key string, ifIndex uint32, p Point)) error {
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("snmp series: %w", err)
	}
	want := map[string]bool{}
	for _, k := range keep {
		base := strings.TrimSuffix(filepath.Base(s.pathOf(k)), seriesExt)
		want[base+seriesExt], want[base+legacyExt] = true, true
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("snmp series: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		stale := strings.HasSuffix(n, seriesExt) || strings.HasSuffix(n, legacyExt) ||
			strings.HasSuffix(n, legacyExt+".tmp") || strings.Contains(n, seriesExt+".tmp-")
		if stale && !want[n] {
			_ = os.Remove(filepath.Join(s.dir, n))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keep {
		var fn func(uint32, Point)
		if sink != nil {
			fn = func(idx uint32, p Point) { sink(k, idx, p) }
		}
		f, err := s.openFile(s.pathOf(k), fn)
		if err != nil {
			s.writeErrs.Add(1)
			s.log.Warn("snmp series not loaded", "device", k, "err", err)
			continue
		}
		s.files[k] = f
	}
	s.open = true
	s.stop = make(chan struct{})
	s.wg.Add(1)
	go s.flusher()
	return nil
}

// openFile opens (or creates) a series file, converting a file of the
// previous release first, repairs its tail and passes its points inside
// the retention to fn (if not nil).
func (s *seriesStore) openFile(path string, fn func(uint32, Point)) (*seriesFile, error) {
	if err := s.convertLegacy(path); err != nil {
		return nil, err
	}
	sf := &seriesFile{path: path}
	l, err := store.OpenLog(path, seriesLogOptions, replaySeries(s.now().Add(-s.retention).Unix(), &sf.oldest, fn))
	if err != nil {
		return nil, err
	}
	if cut := l.Stats().DroppedBytes; cut > 0 {
		s.repairs.Add(1)
		s.log.Warn("snmp series file: torn or corrupt tail truncated", "file", path,
			"size", l.Size()+int64(cut), "kept", l.Size())
	}
	sf.log = l
	return sf, nil
}

// convertLegacy rewrites the ".ts" file of the previous release beside
// path (if any) as a series log at path and removes it. It reads the old
// format once: a bad header or a torn tail end the conversion there, as
// they ended the old reader. A series log already at path (a crash after
// the conversion, before the removal) wins.
func (s *seriesStore) convertLegacy(path string) error {
	legacy := strings.TrimSuffix(path, seriesExt) + legacyExt
	f, err := os.Open(legacy)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("snmp series: %w", err)
	}
	defer f.Close()
	if _, err := os.Stat(path); err != nil {
		var kept int64
		err = store.WriteFileFunc(path, seriesLogOptions.Mode, func(w io.Writer) error {
			var frame []byte
			var werr error
			_, err := readLegacySeries(f, func(rec []byte) {
				if werr == nil {
					frame = store.AppendFrame(frame[:0], rec)
					_, werr = w.Write(frame)
					kept++
				}
			})
			if err != nil {
				return err
			}
			return werr
		})
		if err != nil {
			return fmt.Errorf("snmp series: converting %s: %w", legacy, err)
		}
		s.converted.Add(1)
		s.log.Info("snmp series file converted to the record log", "from", legacy, "to", path, "records", kept)
	}
	if err := os.Remove(legacy); err != nil {
		return fmt.Errorf("snmp series: %w", err)
	}
	_ = store.SyncDir(filepath.Dir(path))
	return nil
}

// readLegacySeries reads a ".ts" file (16-byte header: magic, version,
// record size; 32-byte records: the 28-byte payload, then its CRC-32C)
// from the start and passes each valid record's payload to fn, stopping
// at the first torn or corrupt one. It returns how many it passed.
func readLegacySeries(f *os.File, fn func(rec []byte)) (int, error) {
	br := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, legacyHdrLen)
	if _, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil
		}
		return 0, err
	}
	if string(hdr[:8]) != legacyMagic || binary.LittleEndian.Uint32(hdr[8:]) != legacyVersion ||
		binary.LittleEndian.Uint32(hdr[12:]) != legacyRecLen {
		return 0, nil
	}
	n := 0
	var r [legacyRecLen]byte
	for {
		if _, err := io.ReadFull(br, r[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return n, nil
			}
			return n, err
		}
		if store.Checksum(r[:seriesRecLen]) != binary.LittleEndian.Uint32(r[seriesRecLen:]) {
			return n, nil
		}
		fn(r[:seriesRecLen])
		n++
	}
}

// append writes encoded records (one poll of a device) at the end of the
// device's file in one write, compacting it first when it is due.
func (s *seriesStore) append(key string, recs []byte) {
	if len(recs) == 0 || len(recs)%seriesRecLen != 0 {
		return
	}
	s.mu.Lock()
	if !s.open {
		s.mu.Unlock()
		return
	}
	sf := s.files[key]
	if sf == nil {
		var err error
		sf, err = s.openFile(s.pathOf(key), nil)
		if err != nil {
			s.mu.Unlock()
			s.writeErrs.Add(1)
			s.rlog.Warn("series:"+key, "snmp series not written", "device", key, "err", err)
			return
		}
		s.files[key] = sf
	}
	s.mu.Unlock()

	sf.mu.Lock()
	defer sf.mu.Unlock()
	if sf.log == nil {
		return // removed or closed meanwhile
	}
	n := len(recs) / seriesRecLen
	now := s.now().Unix()
	ret := int64(s.retention / time.Second)
	if (sf.oldest > 0 && sf.oldest < now-ret-ret/4) || sf.log.Size()+int64(n*seriesFrameLen) > s.maxBytes {
		if err := s.compactLocked(sf, now-ret); err != nil {
			s.writeErrs.Add(1)
			s.rlog.Warn("series:"+key, "snmp series compaction failed", "file", sf.path, "err", err)
		}
	}
	batch := sf.batch[:0]
	for i := range n {
		batch = append(batch, recs[i*seriesRecLen:(i+1)*seriesRecLen])
	}
	defer func() { clear(batch); sf.batch = batch[:0] }() // keep no poll's bytes alive
	empty := sf.log.Size() == 0
	if err := sf.log.AppendBatch(batch...); err != nil {
		s.writeErrs.Add(1)
		s.rlog.Warn("series:"+key, "snmp series not written", "device", key, "err", err)
		return
	}
	if empty {
		_, p, _ := decodeRecord(batch[0])
		sf.oldest = p.T
	}
	s.records.Add(uint64(n))
}

// compactLocked rewrites sf with the records newer than cutoff, at most
// 3/4 of maxBytes of them (the newest), through store's atomic rewrite.
// It streams: one pass counts the records to keep, a second copies them,
// so memory stays at two buffers whatever the file size. sf.mu held.
func (s *seriesStore) compactLocked(sf *seriesFile, cutoff int64) error {
	limit := max(s.maxBytes*3/4/seriesFrameLen, 1)
	var oldest int64
	err := sf.log.Rewrite(func(add func([]byte) error) error {
		scan := func(fn func(r []byte) error) error {
			_, err := store.ReadLog(sf.path, seriesRecLen, func(r []byte) error {
				if _, p, ok := decodeRecord(r); ok && p.T > cutoff {
					return fn(r)
				}
				return nil
			})
			return err
		}
		var n int64
		if err := scan(func([]byte) error { n++; return nil }); err != nil {
			return err
		}
		skip := max(n-limit, 0)
		kept := int64(0)
		return scan(func(r []byte) error {
			if skip > 0 {
				skip--
				return nil
			}
			if kept == 0 {
				_, p, _ := decodeRecord(r)
				oldest = p.T
			}
			kept++
			return add(r)
		})
	})
	if err != nil {
		return err
	}
	sf.oldest = oldest
	s.compactions.Add(1)
	return nil
}

// remove deletes a device's file (RemoveDevice).
func (s *seriesStore) remove(key string) {
	s.mu.Lock()
	sf := s.files[key]
	delete(s.files, key)
	open := s.open
	s.mu.Unlock()
	if sf != nil {
		sf.mu.Lock()
		if sf.log != nil {
			_ = sf.log.Close()
			sf.log = nil
		}
		sf.mu.Unlock()
	}
	if open {
		_ = os.Remove(s.pathOf(key))
		_ = store.SyncDir(s.dir)
	}
}

func (s *seriesStore) flusher() {
	defer s.wg.Done()
	t := time.NewTicker(s.syncIv)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.syncAll(false)
		}
	}
}

// syncAll fsyncs the dirty files (and closes them all when closing).
func (s *seriesStore) syncAll(closing bool) {
	s.mu.Lock()
	list := make([]*seriesFile, 0, len(s.files))
	for _, f := range s.files {
		list = append(list, f)
	}
	if closing {
		s.files = map[string]*seriesFile{}
	}
	s.mu.Unlock()
	for _, sf := range list {
		sf.mu.Lock()
		if sf.log != nil {
			before := sf.log.Stats().Syncs
			if err := sf.log.Sync(); err != nil {
				s.writeErrs.Add(1)
				s.rlog.Warn("series-sync:"+sf.path, "snmp series fsync failed", "file", sf.path, "err", err)
			}
			s.syncs.Add(sf.log.Stats().Syncs - before)
			if closing {
				_ = sf.log.Close()
				sf.log = nil
			}
		}
		sf.mu.Unlock()
	}
}

// close stops the flusher, fsyncs and closes every file.
func (s *seriesStore) close() {
	s.mu.Lock()
	if !s.open {
		s.mu.Unlock()
		return
	}
	s.open = false
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
	s.syncAll(true)
}
