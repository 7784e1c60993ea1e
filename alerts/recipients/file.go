package recipients

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"flowgate/store"
)

// fileEndpoint appends one line per alert (JSON lines with the json and ecs
// formats) and rotates at max_size= (default 100MB) keeping keep= (default
// 5) old files: alerts.jsonl.1 is the newest of them. Each batch is fsynced
// before it counts as delivered.
type fileEndpoint struct {
	path    string
	maxSize int64
	keep    int
	m       *Manager

	mu   sync.Mutex
	f    *os.File
	size int64
	buf  []byte
}

func newFileEndpoint(sp *Spec, m *Manager) (*fileEndpoint, error) {
	e := &fileEndpoint{path: sp.URL.Path, maxSize: 100 << 20, keep: 5, m: m}
	if v := sp.Params.Get("max_size"); v != "" {
		n, err := parseSize(v)
		if err != nil {
			return nil, fmt.Errorf("recipient %s: max_size: %w", sp.Name, err)
		}
		e.maxSize = n
	}
	if v := sp.Params.Get("keep"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("recipient %s: keep %q: want a count", sp.Name, v)
		}
		e.keep = n
	}
	return e, nil
}

// parseSize reads 1048576, 512KB, 64MB or 1GB.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(s)
	for suf, m := range map[string]int64{"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30} {
		if strings.HasSuffix(u, suf) {
			mult, u = m, strings.TrimSuffix(u, suf)
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a size such as 64MB", s)
	}
	return n * mult, nil
}

func (e *fileEndpoint) batch() int            { return 1000 }
func (e *fileEndpoint) linger() time.Duration { return 0 }

func (e *fileEndpoint) send(_ context.Context, batch []*Event, f formatter) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.f == nil {
		fl, err := os.OpenFile(e.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("file %s: %w", e.path, err)
		}
		st, err := fl.Stat()
		if err != nil {
			fl.Close()
			return fmt.Errorf("file %s: %w", e.path, err)
		}
		e.f, e.size = fl, st.Size()
	}
	b := e.buf[:0]
	for _, ev := range batch {
		b = f(b, ev, &e.m.fctx)
		b = append(b, '\n')
	}
	e.buf = b
	if e.size > 0 && e.size+int64(len(b)) > e.maxSize {
		if err := e.rotate(); err != nil {
			return err
		}
	}
	if _, err := e.f.Write(b); err != nil {
		e.f.Close()
		e.f = nil
		return fmt.Errorf("file %s: %w", e.path, err)
	}
	e.size += int64(len(b))
	if err := e.f.Sync(); err != nil {
		return fmt.Errorf("file %s: sync: %w", e.path, err)
	}
	return nil
}

func (e *fileEndpoint) rotate() error {
	e.f.Close()
	e.f = nil
	if e.keep == 0 {
		_ = os.Remove(e.path)
	} else {
		for i := e.keep - 1; i >= 1; i-- {
			_ = os.Rename(e.path+"."+strconv.Itoa(i), e.path+"."+strconv.Itoa(i+1))
		}
		if err := os.Rename(e.path, e.path+".1"); err != nil {
			return fmt.Errorf("file %s: rotate: %w", e.path, err)
		}
	}
	// The renames (and the new file, created below) are durable only once
	// the directory is fsynced; the next write fsyncs the file itself.
	defer func() { _ = store.SyncDir(filepath.Dir(e.path)) }()
	fl, err := os.OpenFile(e.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("file %s: %w", e.path, err)
	}
	e.f, e.size = fl, 0
	return nil
}

func (e *fileEndpoint) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.f != nil {
		err := e.f.Close()
		e.f = nil
		return err
	}
	return nil
}
