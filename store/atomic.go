// Package store holds flowgate's persistence primitives: atomic file
// writes (temp file, fsync, rename, fsync of the directory) and one
// append-only log of CRC-framed records with torn-tail repair. Everything
// flowgate writes to disk goes through them, so that a crash or a power
// loss leaves either the old or the new version of a file, never a mix,
// and a log whose tail was being written when the process died opens
// cleanly. See README.md for the frame format and the guarantees.
package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File modes for the files flowgate writes. Secrets (users, keys,
// recipient credentials) are readable by the owner only.
const (
	ModeSecret  os.FileMode = 0o600
	ModePrivate os.FileMode = 0o640
	ModePublic  os.FileMode = 0o644
)

// AtomicFile is a file being written under a temporary name in the
// directory of its target. Commit makes it the target in one step; until
// then the target is untouched, and a crash leaves at worst a stray
// temporary file (named .<target>.tmp-*), never a half-written target.
// It is not safe for concurrent use.
type AtomicFile struct {
	path string
	mode os.FileMode
	f    *os.File
	w    *bufio.Writer
	n    int64
	done bool
}

// CreateAtomic starts writing path with the given mode (applied exactly,
// whatever the umask). Writes are buffered; call Commit to publish the
// file or Abort to drop it.
func CreateAtomic(path string, mode os.FileMode) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("store: create temp for %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("store: chmod temp for %s: %w", path, err)
	}
	return &AtomicFile{path: path, mode: mode, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// Write appends p to the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, fmt.Errorf("store: write %s: %w", a.path, os.ErrClosed)
	}
	n, err := a.w.Write(p)
	a.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("store: write %s: %w", a.f.Name(), err)
	}
	return n, nil
}

// Size is the number of bytes written so far.
func (a *AtomicFile) Size() int64 { return a.n }

// File is the temporary file (to lock it before it replaces the target).
func (a *AtomicFile) File() *os.File { return a.f }

// Commit flushes and fsyncs the file, renames it over the target, fsyncs
// the directory and closes it. On error the target is left as it was and
// the temporary file is removed.
func (a *AtomicFile) Commit() error {
	f, err := a.commit()
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("store: close %s: %w", a.path, cerr)
		}
	}
	return err
}

// CommitOpen is Commit that keeps the file open (read-write, positioned at
// its end) for a caller that goes on appending to it, as a log does after
// a rewrite.
func (a *AtomicFile) CommitOpen() (*os.File, error) { return a.commit() }

func (a *AtomicFile) commit() (*os.File, error) {
	if a.done {
		return nil, fmt.Errorf("store: commit %s: %w", a.path, os.ErrClosed)
	}
	fail := func(step string, err error) (*os.File, error) {
		a.Abort()
		return nil, fmt.Errorf("store: %s %s: %w", step, a.path, err)
	}
	if err := a.w.Flush(); err != nil {
		return fail("write", err)
	}
	if err := a.f.Sync(); err != nil {
		return fail("fsync", err)
	}
	if err := os.Rename(a.f.Name(), a.path); err != nil {
		return fail("rename", err)
	}
	a.done = true
	if err := SyncDir(filepath.Dir(a.path)); err != nil {
		// The file is in place; only the durability of its name is in
		// doubt. Report it, but keep the file.
		return a.f, err
	}
	return a.f, nil
}

// Abort drops the temporary file; the target is untouched. It does
// nothing after Commit.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFile replaces path with data atomically (see AtomicFile), with
// the given mode.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	return WriteFileFunc(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileFunc replaces path atomically with what fill writes: the
// streaming form of WriteFile, for files too large to build in memory.
// An error from fill leaves the target untouched.
func WriteFileFunc(path string, mode os.FileMode, fill func(w io.Writer) error) error {
	a, err := CreateAtomic(path, mode)
	if err != nil {
		return err
	}
	if err := fill(a); err != nil {
		a.Abort()
		return fmt.Errorf("store: writing %s: %w", path, err)
	}
	return a.Commit()
}

// CreateFile writes a new file at path atomically and fails with an error
// matching fs.ErrExist if path already exists (for key files, which must
// never be overwritten). A crash leaves either no file or the whole one.
func CreateFile(path string, data []byte, mode os.FileMode) error {
	a, err := CreateAtomic(path, mode)
	if err != nil {
		return err
	}
	defer a.Abort()
	if _, err := a.Write(data); err != nil {
		return err
	}
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("store: write %s: %w", path, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("store: fsync %s: %w", path, err)
	}
	// link(2) fails when the target exists, unlike rename(2).
	if err := os.Link(a.f.Name(), path); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making the names created, renamed or
// removed in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: fsync dir %s: %w", dir, err)
	}
	return nil
}

// RemoveTemps deletes the temporary files an interrupted atomic write of
// path left behind (call it when the owner of path starts).
func RemoveTemps(path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// ReadFile is the read side of WriteFile for a file its owner loads at
// start: it removes what an interrupted write left behind (RemoveTemps),
// then reads path; a file that was never written is ok == false, not an
// error.
func ReadFile(path string) (data []byte, ok bool, err error) {
	RemoveTemps(path)
	data, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: %w", err)
	}
	return data, true, nil
}

func globEscape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
