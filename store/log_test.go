package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"flowgate/internal/testwait"
)

func rec(i int) []byte {
	return []byte(fmt.Sprintf("record-%04d-%s", i, bytes.Repeat([]byte{'x'}, i%37)))
}

// writeLog creates a log at path holding n records and returns the offset
// where each record's frame starts (and, last, the file size).
func writeLog(t testing.TB, path string, n int) []int64 {
	t.Helper()
	l, err := OpenLog(path, LogOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{0}
	for i := 0; i < n; i++ {
		if err := l.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
		offs = append(offs, l.Size())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return offs
}

// replayAll opens path and returns its records and stats.
func replayAll(t testing.TB, path string, opt LogOptions) ([]string, LogStats, *Log) {
	t.Helper()
	var got []string
	l, err := OpenLog(path, opt, func(r []byte) error { got = append(got, string(r)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return got, l.Stats(), l
}

func checkRecords(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
	for i, g := range got {
		if g != string(rec(i)) {
			t.Fatalf("record %d = %q, want %q", i, g, rec(i))
		}
	}
}

// A crash mid-append leaves the last frame cut at any byte: every earlier
// record survives, the cut bytes are reported, and appends go on after
// the last valid record.
func TestTornTailEveryOffset(t *testing.T) {
	const n = 5
	src := filepath.Join(t.TempDir(), "src.log")
	offs := writeLog(t, src, n)
	whole, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	last := offs[n-1]
	for cut := last; cut < offs[n]; cut++ {
		t.Run(strconv.FormatInt(cut-last, 10), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.log")
			if err := os.WriteFile(path, whole[:cut], 0o640); err != nil {
				t.Fatal(err)
			}
			got, st, l := replayAll(t, path, LogOptions{})
			checkRecords(t, got, n-1)
			if st.DroppedBytes != uint64(cut-last) || st.Replayed != n-1 {
				t.Fatalf("dropped %d replayed %d, want %d and %d", st.DroppedBytes, st.Replayed, cut-last, n-1)
			}
			if err := l.Append(rec(n - 1)); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, st, l = replayAll(t, path, LogOptions{})
			defer l.Close()
			checkRecords(t, got, n)
			if st.DroppedBytes != 0 {
				t.Fatalf("dropped %d after repair", st.DroppedBytes)
			}
		})
	}
}

// A corrupt frame in the middle ends the log there: the records before it
// are kept, it and everything after it are cut (and counted).
func TestCorruptFrame(t *testing.T) {
	const n = 6
	src := filepath.Join(t.TempDir(), "src.log")
	offs := writeLog(t, src, n)
	whole, _ := os.ReadFile(src)
	cases := []struct {
		name string
		at   int64 // byte to change
		set  func(b []byte)
		keep int
	}{
		{"crc of record 2", offs[2] + 5, nil, 2},
		{"payload of record 3", offs[3] + FrameHeader + 2, nil, 3},
		{"length of record 1 zero", offs[1], func(b []byte) { copy(b[offs[1]:], []byte{0, 0, 0, 0}) }, 1},
		{"length of record 4 over the bound", offs[4], func(b []byte) { copy(b[offs[4]:], []byte{0xff, 0xff, 0xff, 0x7f}) }, 4},
		{"length of record 0 longer than the file", offs[0], func(b []byte) { copy(b[offs[0]:], []byte{0, 0, 1, 0}) }, 0},
		{"first byte of the last record", offs[n-1], nil, n - 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), whole...)
			if c.set != nil {
				c.set(b)
			} else {
				b[c.at] ^= 0x5a
			}
			path := filepath.Join(t.TempDir(), "l.log")
			if err := os.WriteFile(path, b, 0o640); err != nil {
				t.Fatal(err)
			}
			got, st, l := replayAll(t, path, LogOptions{})
			defer l.Close()
			checkRecords(t, got, c.keep)
			if want := uint64(int64(len(b)) - offs[c.keep]); st.DroppedBytes != want {
				t.Fatalf("dropped %d bytes, want %d", st.DroppedBytes, want)
			}
			if fi, _ := os.Stat(path); fi.Size() != offs[c.keep] {
				t.Fatalf("file is %d bytes after repair, want %d", fi.Size(), offs[c.keep])
			}
		})
	}
}

// A record the caller rejects (ErrBadRecord) ends the log like a corrupt
// frame; any other error from the callback fails the open.
func TestReplayCallbackErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.log")
	offs := writeLog(t, path, 4)
	_, err := OpenLog(path, LogOptions{}, func(r []byte) error {
		if string(r) == string(rec(1)) {
			return errors.New("disk on fire")
		}
		return nil
	})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("disk on fire")) {
		t.Fatalf("open with a failing callback: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != offs[4] {
		t.Fatal("a failed open changed the file")
	}
	n := 0
	l, err := OpenLog(path, LogOptions{}, func(r []byte) error {
		if string(r) == string(rec(2)) {
			return fmt.Errorf("unknown op: %w", ErrBadRecord)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if n != 2 || l.Stats().DroppedBytes != uint64(offs[4]-offs[2]) {
		t.Fatalf("kept %d records, dropped %d", n, l.Stats().DroppedBytes)
	}
}

func TestRecordBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.log")
	l, err := OpenLog(path, LogOptions{MaxRecord: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		size int
		err  error
	}{{1, nil}, {100, nil}, {101, ErrTooLarge}, {0, ErrEmpty}, {1 << 20, ErrTooLarge}}
	ok := 0
	for _, c := range cases {
		err := l.Append(make([]byte, c.size))
		if !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
			t.Errorf("append %d bytes: %v, want %v", c.size, err, c.err)
		}
		if err == nil {
			ok++
		}
	}
	if err := l.AppendBatch([]byte("a"), make([]byte, 101)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("batch with an oversized record: %v", err)
	}
	l.Close()
	got, _, l := replayAll(t, path, LogOptions{MaxRecord: 100})
	l.Close()
	if len(got) != ok {
		t.Fatalf("%d records after reopen, want %d (a refused batch writes nothing)", len(got), ok)
	}
	// A log reopened with a smaller bound treats a larger record as corrupt.
	got, st, l := replayAll(t, path, LogOptions{MaxRecord: 50})
	defer l.Close()
	if len(got) != 1 || st.DroppedBytes != FrameHeader+100 {
		t.Fatalf("smaller bound: %d records, dropped %d", len(got), st.DroppedBytes)
	}
}

func TestConcurrentAppends(t *testing.T) {
	for _, opt := range []LogOptions{{}, {BufferSize: 4096}, {Sync: SyncInterval, Interval: time.Millisecond, BufferSize: 512}} {
		t.Run(fmt.Sprintf("buffer=%d,sync=%d", opt.BufferSize, opt.Sync), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.log")
			l, err := OpenLog(path, opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			const writers, each = 8, 300
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						if err := l.Append([]byte(fmt.Sprintf("%d:%d", w, i))); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			next := make([]int, writers)
			got, st, l2 := replayAll(t, path, LogOptions{})
			defer l2.Close()
			for _, g := range got {
				var w, i int
				if _, err := fmt.Sscanf(g, "%d:%d", &w, &i); err != nil || w < 0 || w >= writers || i != next[w] {
					t.Fatalf("record %q out of order (next of %d is %d)", g, w, next[w])
				}
				next[w]++
			}
			if len(got) != writers*each || st.DroppedBytes != 0 {
				t.Fatalf("%d records, dropped %d", len(got), st.DroppedBytes)
			}
		})
	}
}

func TestSyncPolicies(t *testing.T) {
	dir := t.TempDir()
	every, err := OpenLog(filepath.Join(dir, "every"), LogOptions{Sync: SyncEvery}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer every.Close()
	batch, err := OpenLog(filepath.Join(dir, "batch"), LogOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Close()
	for i := 0; i < 5; i++ {
		must(t, every.Append(rec(i)))
		must(t, batch.Append(rec(i)))
	}
	if s := every.Stats().Syncs; s != 5 {
		t.Fatalf("SyncEvery: %d fsyncs for 5 appends", s)
	}
	if s := batch.Stats().Syncs; s != 0 {
		t.Fatalf("SyncBatch: %d fsyncs before Sync", s)
	}
	must(t, batch.Sync())
	must(t, batch.Sync()) // nothing new: no second fsync
	if s := batch.Stats().Syncs; s != 1 {
		t.Fatalf("SyncBatch: %d fsyncs after two Syncs", s)
	}

	// Buffered until the interval: an hour, so that no scheduling delay can
	// let the background flush run before the check.
	slow, err := OpenLog(filepath.Join(dir, "slow"), LogOptions{Sync: SyncInterval, Interval: time.Hour, BufferSize: 1 << 16}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	must(t, slow.Append(rec(1)))
	if info, _ := ReadLog(slow.Path(), 0, nil); info.Records != 0 {
		t.Fatal("a buffered record reached the file before the interval")
	}
	iv, err := OpenLog(filepath.Join(dir, "interval"), LogOptions{Sync: SyncInterval, Interval: 5 * time.Millisecond, BufferSize: 1 << 16}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer iv.Close()
	must(t, iv.Append(rec(1)))
	testwait.For(t, "the SyncInterval fsync", func() bool { return iv.Stats().Syncs != 0 })
	if info, _ := ReadLog(iv.Path(), 0, nil); info.Records != 1 {
		t.Fatalf("after the interval's fsync the file holds %d records", info.Records)
	}
}

func TestRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.log")
	writeLog(t, path, 10)
	l, err := OpenLog(path, LogOptions{Mode: ModeSecret, BufferSize: 1 << 10, Lock: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, l.Append(rec(10))) // buffered: the rewrite may read it from the file
	// keep the even records, reading them from the current file
	must(t, l.Rewrite(func(add func([]byte) error) error {
		i := 0
		_, err := ReadLog(l.Path(), 0, func(r []byte) error {
			defer func() { i++ }()
			if i%2 == 0 {
				return add(r)
			}
			return nil
		})
		return err
	}))
	must(t, l.Append(rec(12)))
	// a failing fill changes nothing
	boom := errors.New("boom")
	if err := l.Rewrite(func(add func([]byte) error) error { _ = add([]byte("x")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed rewrite: %v", err)
	}
	if err := l.Rewrite(func(add func([]byte) error) error { return add(nil) }); !errors.Is(err, ErrEmpty) {
		t.Fatalf("rewrite with an empty record: %v", err)
	}
	must(t, l.Close())
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != ModeSecret {
		t.Fatalf("mode after rewrite: %v %v", fi.Mode(), err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
	got, st, l := replayAll(t, path, LogOptions{})
	defer l.Close()
	want := []string{}
	for i := 0; i <= 10; i += 2 {
		want = append(want, string(rec(i)))
	}
	want = append(want, string(rec(12)))
	if fmt.Sprint(got) != fmt.Sprint(want) || st.DroppedBytes != 0 {
		t.Fatalf("after rewrite %q (dropped %d), want %q", got, st.DroppedBytes, want)
	}
}

func TestLockAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.log")
	l, err := OpenLog(path, LogOptions{Lock: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLog(path, LogOptions{Lock: true}, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	// still locked after a rewrite replaced the file
	must(t, l.Rewrite(func(add func([]byte) error) error { return add([]byte("a")) }))
	if _, err := OpenLog(path, LogOptions{Lock: true}, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("open after rewrite: %v", err)
	}
	must(t, l.Close())
	must(t, l.Close())
	if err := l.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := l.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("sync after close: %v", err)
	}
	l2, err := OpenLog(path, LogOptions{Lock: true}, nil)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	must(t, l2.Remove())
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("removed log still there: %v", err)
	}
	if _, err := OpenLog(filepath.Join(path, "no", "dir"), LogOptions{}, nil); err == nil {
		t.Fatal("open in a missing directory succeeded")
	}
}

// TestCrashChild is the child of TestReopenAfterKill: it appends numbered
// records, says when 1000 are written, and goes on until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("FLOWGATE_STORE_CRASH_LOG")
	if path == "" {
		return // not the child
	}
	l, err := OpenLog(path, LogOptions{}, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		if err := l.Append([]byte(strconv.Itoa(i) + ":" + string(bytes.Repeat([]byte{'y'}, i%500)))); err != nil {
			fmt.Println("append:", err)
			os.Exit(1)
		}
		if i == 999 {
			fmt.Println("written")
		}
	}
}

// A process killed with SIGKILL while appending leaves a log that opens:
// every record whose write returned is there, in order, and the log takes
// new appends after them.
func TestReopenAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.log")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "FLOWGATE_STORE_CRASH_LOG="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "written\n" {
		t.Fatalf("child said %q", line)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	next := 0
	l, err := OpenLog(path, LogOptions{}, func(r []byte) error {
		i, _, _ := bytes.Cut(r, []byte(":"))
		if string(i) != strconv.Itoa(next) {
			return fmt.Errorf("record %q where %d was due", i, next)
		}
		next++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next < 1000 {
		t.Fatalf("%d records after kill -9, want at least 1000", next)
	}
	must(t, l.Append([]byte("after")))
	must(t, l.Close())
	info, err := ReadLog(path, 0, nil)
	if err != nil || info.Records != next+1 || info.Valid != info.Size {
		t.Fatalf("after reopen: %+v %v", info, err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzReplay: whatever the bytes, Replay neither panics nor reads past
// them, the valid prefix replays to the same records, and re-framing those
// records gives back exactly that prefix.
func FuzzReplay(f *testing.F) {
	var good []byte
	for i := 0; i < 4; i++ {
		good = AppendFrame(good, rec(i))
	}
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add(AppendFrame(nil, []byte("x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs [][]byte
		valid, n, err := Replay(bytes.NewReader(data), 1<<16, func(r []byte) error {
			recs = append(recs, append([]byte(nil), r...))
			return nil
		})
		if err != nil {
			t.Fatalf("error from an in-memory reader: %v", err)
		}
		if valid < 0 || valid > int64(len(data)) || n != len(recs) {
			t.Fatalf("valid %d of %d bytes, %d records (%d seen)", valid, len(data), n, len(recs))
		}
		var again []byte
		for _, r := range recs {
			again = AppendFrame(again, r)
		}
		if !bytes.Equal(again, data[:valid]) {
			t.Fatal("re-framed records differ from the valid prefix")
		}
		v2, n2, _ := Replay(bytes.NewReader(data[:valid]), 1<<16, nil)
		if v2 != valid || n2 != n {
			t.Fatalf("prefix replays to %d/%d, want %d/%d", v2, n2, valid, n)
		}
		// frames larger than the reader's buffer take the copying path
		v3, n3, _ := Replay(bufio.NewReaderSize(bytes.NewReader(data), 16), 1<<16, nil)
		if v3 != valid || n3 != n {
			t.Fatalf("small buffer: %d/%d, want %d/%d", v3, n3, valid, n)
		}
	})
}

// BenchmarkAppend measures Append by record size and policy (MB/s counts
// payload bytes).
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{64, 1024} {
		for _, c := range []struct {
			name string
			opt  LogOptions
		}{
			{"write", LogOptions{}},
			{"buffered64k", LogOptions{BufferSize: 64 << 10}},
			{"fsync-each", LogOptions{Sync: SyncEvery}},
		} {
			b.Run(fmt.Sprintf("%s/%dB", c.name, size), func(b *testing.B) {
				l, err := OpenLog(filepath.Join(b.TempDir(), "b.log"), c.opt, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				r := bytes.Repeat([]byte{'r'}, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := l.Append(r); err != nil {
						b.Fatal(err)
					}
				}
				if err := l.Sync(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// Write errors (a full disk: /dev/full fails every write with ENOSPC):
// an unbuffered append returns the error and the log carries on; a
// buffered log whose buffer could not be written refuses every later call.
func TestWriteErrors(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, c := range []struct {
		name     string
		opt      LogOptions
		appendOK bool // the first append succeeds (buffered)
	}{
		{"unbuffered", LogOptions{}, false},
		{"buffered", LogOptions{BufferSize: 1 << 10}, true},
		{"fsync each", LogOptions{Sync: SyncEvery}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := OpenLog("/dev/full", c.opt, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			err = l.Append([]byte("a"))
			if (err == nil) != c.appendOK {
				t.Fatalf("first append: %v", err)
			}
			if err := l.Sync(); (err == nil) == c.appendOK {
				// only the buffered log has something to write
				t.Fatalf("sync: %v", err)
			}
			if err := l.Append([]byte("b")); err == nil {
				t.Fatal("append after a failed write succeeded")
			}
			if c.opt.BufferSize > 0 {
				if err := l.Append([]byte("c")); err == nil || !strings.Contains(err.Error(), "buffered bytes lost") {
					t.Fatalf("buffered log after losing its buffer: %v", err)
				}
			}
			if l.Stats().WriteErrors == 0 {
				t.Fatal("write errors not counted")
			}
		})
	}
}
