package sqlitestore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
)

// The kill test re-executes the test binary as a child that stores alerts
// and prints "acked N" after each Flush (alerts 1..N committed).
const childEnv = "FLOWGATE_ALERTSTORE_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(child(spec))
	}
	if path := os.Getenv(fullDiskEnv); path != "" {
		os.Exit(fullDiskChild(path))
	}
	os.Exit(m.Run())
}

func child(spec string) int {
	path, sync, _ := strings.Cut(spec, "|")
	d := New(Configuration{Path: path, Synchronous: sync})
	if err := d.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	deadline := time.Now().Add(60 * time.Second) // the parent kills long before
	id := uint64(0)
	for time.Now().Before(deadline) {
		for j := 0; j < 97; j++ {
			id++
			d.Append(hostAlert(id, "10.0.0.1", 0, 49, alerts.SeverityError, int64(1000+id)))
		}
		if err := d.Flush(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("acked %d\n", id)
	}
	return 0
}

// runAndKill starts the child, SIGKILLs it after it acknowledged some
// batches, and returns the last acknowledged id it printed.
func runAndKill(t *testing.T, path, sync string) uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path+"|"+sync)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var acked uint64
	lines := 0
	for sc.Scan() {
		n, err := strconv.ParseUint(strings.TrimPrefix(sc.Text(), "acked "), 10, 64)
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acked = n
		if lines++; lines == 30 {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
		}
	}
	// Lines the child wrote before it died were read above: they count.
	io.Copy(io.Discard, out)
	cmd.Wait()
	if lines < 30 {
		t.Fatalf("the child acknowledged only %d batches", lines)
	}
	return acked
}

func checkIntegrity(t *testing.T, d *DB) {
	t.Helper()
	var res string
	if err := d.r.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check: %q %v", res, err)
	}
}

// Every alert acknowledged as stored (Flush returned) before a kill -9 is
// in the file when it is reopened, with synchronous FULL and NORMAL.
func TestSurvivesKill9(t *testing.T) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		t.Run(sync, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "alerts.db")
			acked := runAndKill(t, path, sync)
			d := open(t, Configuration{Path: path})
			checkIntegrity(t, d)
			var kept, total int
			d.r.QueryRow(`SELECT COUNT(*) FROM host_alerts WHERE rowid <= ?`, acked).Scan(&kept)
			d.r.QueryRow(`SELECT COUNT(*) FROM host_alerts`).Scan(&total)
			if uint64(kept) != acked {
				t.Errorf("%d of %d acknowledged alerts after kill -9", kept, acked)
			}
			t.Logf("acknowledged %d, found %d (%d more were committed unacknowledged)", acked, total, uint64(total)-acked)
			// The store goes on: new ids follow the recovered ones.
			if d.MaxID() < acked {
				t.Errorf("MaxID %d < %d", d.MaxID(), acked)
			}
		})
	}
}

// A WAL torn in the middle of a frame (a crash while the OS wrote it) is
// handled by SQLite at open: the file opens, passes integrity_check, and
// holds whole transactions only (ids 1..n without holes).
func TestTornWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.db")
	runAndKill(t, path, "FULL")
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatalf("no WAL after kill -9: %v", err)
	}
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(t.TempDir(), "alerts.db")
	cut := len(wal) - 1500 // inside the last frames
	if cut < 32 {
		t.Fatalf("WAL of %d bytes", len(wal))
	}
	if err := os.WriteFile(torn, db, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(torn+"-wal", wal[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	d := open(t, Configuration{Path: torn})
	checkIntegrity(t, d)
	var n, maxID int
	d.r.QueryRow(`SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM host_alerts`).Scan(&n, &maxID)
	if n != maxID || n == 0 {
		t.Errorf("%d rows, max id %d: not whole transactions", n, maxID)
	}
	d.Append(hostAlert(uint64(maxID+1), "10.0.0.1", 0, 49, alerts.SeverityError, 1))
	flush(t, d)
	if c := d.Counters(); c.Committed != 1 {
		t.Errorf("writing after recovery: %+v", c)
	}
}
