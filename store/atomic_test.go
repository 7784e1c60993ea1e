package store

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWriteFile(t *testing.T) {
	old := syscall.Umask(0o077) // the mode is exact whatever the umask
	defer syscall.Umask(old)
	cases := []struct {
		name   string
		before string // existing content ("" for none)
		mode   os.FileMode
		data   string
	}{
		{"new secret", "", ModeSecret, "s3cret"},
		{"new public", "", ModePublic, "{}"},
		{"replace keeps nothing of the old file", "a much longer old content", ModePrivate, "short"},
		{"replace changes the mode", "x", ModePublic, "y"},
		{"empty", "old", ModePrivate, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if c.before != "" {
				if err := os.WriteFile(path, []byte(c.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			must(t, WriteFile(path, []byte(c.data), c.mode))
			got, err := os.ReadFile(path)
			if err != nil || string(got) != c.data {
				t.Fatalf("content %q %v, want %q", got, err, c.data)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != c.mode {
				t.Fatalf("mode %v, want %v", fi.Mode().Perm(), c.mode)
			}
			if m := tempFiles(t, dir); len(m) != 0 {
				t.Fatalf("temp files left: %v", m)
			}
		})
	}
}

// A failing writer, or one that never commits (a crash), leaves the target
// as it was.
func TestWriteFileFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	must(t, WriteFile(path, []byte("v1"), ModePrivate))
	boom := errors.New("boom")
	err := WriteFileFunc(path, ModePrivate, func(w io.Writer) error {
		_, _ = w.Write([]byte("half of v2"))
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v: want boom with the path", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "v1" {
		t.Fatalf("target after a failed write: %q", got)
	}
	if m := tempFiles(t, dir); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
	// a crash between write and commit: the temp file stays, the target
	// is intact, and RemoveTemps cleans up
	a, err := CreateAtomic(path, ModePrivate)
	must(t, err)
	_, _ = a.Write([]byte("v3 never committed"))
	_ = a.w.Flush()
	if got, _ := os.ReadFile(path); string(got) != "v1" {
		t.Fatalf("target before commit: %q", got)
	}
	if len(tempFiles(t, dir)) != 1 {
		t.Fatal("no temp file while writing")
	}
	RemoveTemps(path)
	if m := tempFiles(t, dir); len(m) != 0 {
		t.Fatalf("RemoveTemps left %v", m)
	}
	a.Abort()
	if _, err := a.Write([]byte("x")); err == nil {
		t.Fatal("write after abort succeeded")
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil, ModePrivate); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("write into a missing dir: %v", err)
	}
}

func TestWriteFileFuncStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big")
	const chunks = 300
	chunk := strings.Repeat("z", 4096)
	must(t, WriteFileFunc(path, ModePrivate, func(w io.Writer) error {
		for i := 0; i < chunks; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return err
			}
		}
		return nil
	}))
	if fi, err := os.Stat(path); err != nil || fi.Size() != chunks*4096 {
		t.Fatalf("streamed file: %v %v", fi, err)
	}
}

func TestCreateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.priv")
	must(t, CreateFile(path, []byte("first"), ModeSecret))
	err := CreateFile(path, []byte("second"), ModeSecret)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Fatalf("content %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != ModeSecret {
		t.Fatalf("mode %v", fi.Mode())
	}
	if m := tempFiles(t, dir); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
}
