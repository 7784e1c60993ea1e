package snmp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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
)

// SeriesDir is the directory of the per-device series files in the data dir.
const SeriesDir = "snmp_series"

// Series file layout: a 16-byte header (magic, version, record size) then
// fixed-size little-endian records, appended in poll order:
//
//	0 ifIndex u32 | 4 t u32 (epoch s) | 8 in_bps f32 | 12 out_bps f32 |
//	16 in_errors u32 | 20 out_errors u32 | 24 oper_status u8 | 25 zero[3] |
//	28 crc32c of bytes 0..27
const (
	seriesExt     = ".ts"
	seriesMagic   = "FGSNMPTS"
	seriesVersion = 1
	seriesHdrLen  = 16
	seriesRecLen  = 32
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func seriesHeader() []byte {
	h := make([]byte, seriesHdrLen)
	copy(h, seriesMagic)
	binary.LittleEndian.PutUint32(h[8:], seriesVersion)
	binary.LittleEndian.PutUint32(h[12:], seriesRecLen)
	return h
}

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
	binary.LittleEndian.PutUint32(r[28:], crc32.Checksum(r[:28], crcTable))
	return b
}

// decodeRecord decodes one record; ok is false when its checksum is wrong
// (torn or garbage).
func decodeRecord(r []byte) (ifIndex uint32, p Point, ok bool) {
	if crc32.Checksum(r[:28], crcTable) != binary.LittleEndian.Uint32(r[28:]) {
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

// seriesStore keeps one append-only file of fixed-size records per device
// under <data dir>/snmp_series. Appends are plain writes (they survive a
// process restart at once); a flusher fsyncs dirty files at most once a
// second. A file is compacted (rewritten with the points inside the
// retention) when it covers more than 1.25 × the retention or grows past
// maxBytes; a torn or corrupt tail is truncated when the file is opened.
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

	records, writeErrs, repairs, compactions, syncs atomic.Uint64
}

type seriesFile struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	size   int64
	oldest int64 // t of the first record; 0 when empty
	dirty  bool
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
	want := map[string]string{}
	for _, k := range keep {
		want[filepath.Base(s.pathOf(k))] = k
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("snmp series: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		if _, ok := want[n]; !ok && (strings.HasSuffix(n, seriesExt) || strings.HasSuffix(n, seriesExt+".tmp")) {
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

// openFile opens (or creates) a series file, repairs its tail and passes
// its points inside the retention to fn (if not nil).
func (s *seriesStore) openFile(path string, fn func(uint32, Point)) (*seriesFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	sf := &seriesFile{path: path, f: f}
	good, oldest, err := readSeries(f, s.now().Add(-s.retention).Unix(), fn)
	if err != nil {
		f.Close()
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if good < 0 {
		// No valid header (new, empty or foreign file): start afresh.
		if st.Size() > 0 {
			s.repairs.Add(1)
			s.log.Warn("snmp series file has no valid header: reset", "file", path)
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
		if _, err := f.WriteAt(seriesHeader(), 0); err != nil {
			f.Close()
			return nil, err
		}
		good = seriesHdrLen
		sf.dirty = true
		syncDir(s.dir) // the new name
	} else if good < st.Size() {
		s.repairs.Add(1)
		s.log.Warn("snmp series file: torn or corrupt tail truncated", "file", path,
			"size", st.Size(), "kept", good)
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, err
		}
		sf.dirty = true
	}
	sf.size, sf.oldest = good, oldest
	return sf, nil
}

// readSeries reads a series file from the start, passing the points newer
// than cutoff to fn (if not nil) in file order; it returns the length of
// the valid prefix (-1 when the header is missing or wrong) and the time of
// the first record.
func readSeries(f *os.File, cutoff int64, fn func(uint32, Point)) (int64, int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, seriesHdrLen)
	if _, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return -1, 0, nil
		}
		return 0, 0, err
	}
	if !bytes.Equal(hdr, seriesHeader()) {
		return -1, 0, nil
	}
	good, oldest := int64(seriesHdrLen), int64(0)
	var r [seriesRecLen]byte
	for {
		if _, err := io.ReadFull(br, r[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return 0, 0, err
		}
		idx, p, ok := decodeRecord(r[:])
		if !ok {
			break
		}
		if good == seriesHdrLen {
			oldest = p.T
		}
		good += seriesRecLen
		if p.T > cutoff && fn != nil {
			fn(idx, p)
		}
	}
	return good, oldest, nil
}

// append writes encoded records (one poll of a device) at the end of the
// device's file, compacting it first when it is due.
func (s *seriesStore) append(key string, recs []byte) {
	if len(recs) == 0 {
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
	if sf.f == nil {
		return // removed or closed meanwhile
	}
	now := s.now().Unix()
	ret := int64(s.retention / time.Second)
	if (sf.oldest > 0 && sf.oldest < now-ret-ret/4) || sf.size+int64(len(recs)) > s.maxBytes {
		if err := s.compactLocked(sf, now-ret); err != nil {
			s.writeErrs.Add(1)
			s.rlog.Warn("series:"+key, "snmp series compaction failed", "file", sf.path, "err", err)
			if sf.f == nil {
				return
			}
		}
	}
	n, err := sf.f.WriteAt(recs, sf.size)
	if err != nil {
		s.writeErrs.Add(1)
		s.rlog.Warn("series:"+key, "snmp series not written", "device", key, "err", err)
		// Drop a partial write so the next append stays aligned.
		if n > 0 {
			_ = sf.f.Truncate(sf.size)
		}
		return
	}
	if sf.size == seriesHdrLen {
		_, p, _ := decodeRecord(recs[:seriesRecLen])
		sf.oldest = p.T
	}
	sf.size += int64(n)
	sf.dirty = true
	s.records.Add(uint64(n / seriesRecLen))
}

// compactLocked rewrites sf with the records newer than cutoff, at most
// 3/4 of maxBytes of them (the newest), through a temp file and a rename.
// It streams: one pass counts the records to keep, a second copies them,
// so memory stays at two buffers whatever the file size. sf.mu held.
func (s *seriesStore) compactLocked(sf *seriesFile, cutoff int64) error {
	scan := func(fn func(r []byte)) error {
		if _, err := sf.f.Seek(seriesHdrLen, io.SeekStart); err != nil {
			return err
		}
		br := bufio.NewReaderSize(io.LimitReader(sf.f, sf.size-seriesHdrLen), 1<<20)
		var r [seriesRecLen]byte
		for {
			if _, err := io.ReadFull(br, r[:]); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil
				}
				return err
			}
			if _, p, ok := decodeRecord(r[:]); ok && p.T > cutoff {
				fn(r[:])
			}
		}
	}
	var n int64
	if err := scan(func([]byte) { n++ }); err != nil {
		return err
	}
	limit := max((s.maxBytes*3/4-seriesHdrLen)/seriesRecLen, 1)
	skip := max(n-limit, 0)
	tmp := sf.path + ".tmp"
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(nf, 1<<20)
	_, err = bw.Write(seriesHeader())
	var kept, oldest int64
	if err == nil {
		err = scan(func(r []byte) {
			if skip > 0 {
				skip--
				return
			}
			if kept == 0 {
				_, p, _ := decodeRecord(r)
				oldest = p.T
			}
			kept++
			_, _ = bw.Write(r) // a write error sticks in bw: Flush returns it
		})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = nf.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, sf.path)
	}
	if err != nil {
		nf.Close()
		_ = os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(sf.path))
	sf.f.Close()
	sf.f, sf.size, sf.dirty, sf.oldest = nf, seriesHdrLen+kept*seriesRecLen, false, oldest
	s.compactions.Add(1)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
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
		if sf.f != nil {
			sf.f.Close()
			sf.f = nil
		}
		sf.mu.Unlock()
	}
	if open {
		_ = os.Remove(s.pathOf(key))
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
		if sf.f != nil && sf.dirty {
			if err := sf.f.Sync(); err != nil {
				s.writeErrs.Add(1)
				s.rlog.Warn("series-sync:"+sf.path, "snmp series fsync failed", "file", sf.path, "err", err)
			} else {
				s.syncs.Add(1)
			}
			sf.dirty = false
		}
		if closing && sf.f != nil {
			sf.f.Close()
			sf.f = nil
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
