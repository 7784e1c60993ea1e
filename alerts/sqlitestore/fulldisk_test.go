package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"flowgate/alerts"
)

// fullDiskEnv makes the test binary a child whose files may not grow past
// a bound (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full
// disk, without a privileged mount): it stores alerts until the store
// reports write errors, then prints its counters as JSON.
const fullDiskEnv = "FLOWGATE_ALERTSTORE_FULLDISK"

func fullDiskChild(path string) int {
	d := New(Configuration{Path: path})
	if err := d.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	signal.Ignore(syscall.SIGXFSZ) // the write fails with EFBIG instead
	limit := uint64(st.Size()) + 2<<20
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	id := uint64(0)
	for round := 0; round < 1000 && d.Counters().WriteErrors < 3; round++ {
		for j := 0; j < 1000; j++ {
			id++
			d.Append(flowAlert(id, "10.0.0.1", "10.0.0.2", 7, 0, alerts.SeverityError, int64(id)))
		}
		if err := d.Flush(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	// The writer carries on: an operation after the failures runs.
	if err := d.Flush(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(d.Counters())
	return 0
}

// A full disk: inserts fail, each failed batch is counted (write errors,
// dropped alerts) and logged at most every 10 s, Append never blocks, and
// the file, reopened with room, holds every alert counted as committed.
func TestFullDiskCounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	d := open(t, Configuration{Path: path}) // create the file and schema
	d.Stop()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fullDiskEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var c Counters
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	if c.WriteErrors < 3 || c.Dropped == 0 || c.Committed == 0 || c.Committed+c.Dropped != c.Appended {
		t.Fatalf("counters on a full disk %+v: want write errors, drops, and every alert either committed or dropped", c)
	}
	t.Logf("full disk: %+v", c)
	d = open(t, Configuration{Path: path})
	checkIntegrity(t, d)
	var n uint64
	if err := d.r.QueryRow(`SELECT COUNT(*) FROM flow_alerts`).Scan(&n); err != nil || n != c.Committed {
		t.Errorf("%d flow alerts in the file, %d counted as committed (%v)", n, c.Committed, err)
	}
}
