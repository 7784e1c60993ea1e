// Package fulldisk lets a test see a store on a full, then read-only,
// disk without a privileged mount: the test binary re-runs itself as a
// child whose files may not grow past a bound (RLIMIT_FSIZE: a write past
// it fails with EFBIG, as on a full disk; a bound of 0 fails every write to
// a file, what a file system remounted read-only does to open files), and
// the child reports what happened as JSON.
package fulldisk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

// LineCounter counts the log lines written through it (a slog handler's
// writer in the child).
type LineCounter struct {
	mu sync.Mutex
	n  int
}

func (l *LineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.n += bytes.Count(p, []byte("\n"))
	l.mu.Unlock()
	return len(p), nil
}

// Lines is the number of lines written so far.
func (l *LineCounter) Lines() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Limit sets the bound on the size of the process's files.
type Limit struct{ orig syscall.Rlimit }

// NewLimit reads the current bound (restored by Lift) and ignores SIGXFSZ,
// so that a write past the bound fails instead of killing the process.
func NewLimit() (*Limit, error) {
	l := &Limit{}
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &l.orig); err != nil {
		return nil, fmt.Errorf("getrlimit: %w", err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	return l, nil
}

// Set bounds files to size bytes (0: no write to a file succeeds).
func (l *Limit) Set(size uint64) error {
	r := l.orig
	r.Cur = size
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &r); err != nil {
		return fmt.Errorf("setrlimit %d: %w", size, err)
	}
	return nil
}

// Lift gives the files room again (the bound NewLimit found).
func (l *Limit) Lift() error { return l.Set(l.orig.Cur) }

// RunChild runs the test binary again, running no test, with env set to
// path (the child's TestMain sees it and runs the full-disk scenario), and
// decodes the JSON the child prints into report.
func RunChild(t testing.TB, env, path string, report any) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := json.Unmarshal(out, report); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
}

// CheckLogLines fails t unless the child logged its failures, at most once
// per 10 s over seconds of run time (plus one).
func CheckLogLines(t testing.TB, lines int, seconds float64) {
	t.Helper()
	if max := 1 + int(seconds/10) + 1; lines < 1 || lines > max {
		t.Errorf("%d warnings logged over %.1f s of failures, want 1 to %d (one per 10 s)", lines, seconds, max)
	}
}
