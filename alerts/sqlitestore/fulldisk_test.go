package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/fulldisk"
)

// fullDiskEnv makes the test binary a child whose files may not grow past
// a bound (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full
// disk, without a privileged mount): it stores alerts until the store
// reports write errors; then, with the bound at 0 (every write to a file
// fails, what a file system remounted read-only does to open files; chmod
// would not: it applies at open, and not to root), stores three more
// rounds and lists the stored alerts; then lifts the bound (room again),
// stores one more round and prints what happened as JSON.
const fullDiskEnv = "FLOWGATE_ALERTSTORE_FULLDISK"

type fullDiskReport struct {
	Full     Counters // when the disk was full
	ReadOnly Counters // after the read-only rounds
	Last     Counters // after the round with room again
	// ReadOnlyListed is what a list of the stored alerts found while the
	// disk was read-only (reads do not write); ReadOnlyListErr its error.
	ReadOnlyListed  int
	ReadOnlyListErr string
	LogLines        int     // warnings logged
	Seconds         float64 // the child's run time: bounds LogLines (one per 10 s)
}

func fullDiskChild(path string) int {
	began := time.Now()
	logs := &fulldisk.LineCounter{}
	d := New(Configuration{Path: path, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err := d.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer d.Stop()
	st, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lim, err := fulldisk.NewLimit()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	setLimit := func(set func() error) bool {
		if err := set(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return false
		}
		return true
	}
	id := uint64(0)
	round := func() bool {
		for j := 0; j < 1000; j++ {
			id++
			d.Append(flowAlert(id, "10.0.0.1", "10.0.0.2", 7, 0, alerts.SeverityError, int64(id)))
		}
		// The writer carries on: the flush after the batches runs.
		if err := d.Flush(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return false
		}
		return true
	}
	if !setLimit(func() error { return lim.Set(uint64(st.Size()) + 2<<20) }) {
		return 1
	}
	var rep fullDiskReport
	for r := 0; r < 1000 && d.Counters().WriteErrors < 3; r++ {
		if !round() {
			return 1
		}
	}
	rep.Full = d.Counters()

	if !setLimit(func() error { return lim.Set(0) }) { // read-only
		return 1
	}
	for range 3 {
		if !round() {
			return 1
		}
	}
	rep.ReadOnly = d.Counters()
	rows, _, err := d.List(context.Background(), ListQuery{Family: FamilyFlow, Length: 10}, nil)
	if err != nil {
		rep.ReadOnlyListErr = err.Error()
	}
	rep.ReadOnlyListed = len(rows)

	if !setLimit(lim.Lift) { // room again
		return 1
	}
	if !round() {
		return 1
	}
	rep.Last = d.Counters()
	rep.LogLines = logs.Lines()
	rep.Seconds = time.Since(began).Seconds()
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// A full disk, then a read-only one: inserts fail, each failed batch is
// counted (write errors, dropped alerts) and logged at most every 10 s,
// Append never blocks, lists answer from what is stored; once writes
// succeed again the next alerts are committed; and the file, reopened,
// holds every alert counted as committed.
func TestFullDiskCounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.db")
	d := open(t, Configuration{Path: path}) // create the file and schema
	d.Stop()
	var rep fullDiskReport
	fulldisk.RunChild(t, fullDiskEnv, path, &rep)
	t.Logf("full disk: %+v", rep)
	whole := func(c Counters) bool { return c.Committed+c.Dropped == c.Appended }
	if c := rep.Full; c.WriteErrors < 3 || c.Dropped == 0 || c.Committed == 0 || !whole(c) {
		t.Fatalf("counters on a full disk %+v: want write errors, drops, and every alert either committed or dropped", c)
	}
	if f, r := rep.Full, rep.ReadOnly; r.Committed != f.Committed || r.Dropped != f.Dropped+3000 || r.WriteErrors <= f.WriteErrors || !whole(r) {
		t.Errorf("read-only: %+v after %+v; want the 3,000 alerts dropped, counted, none committed", r, f)
	}
	if rep.ReadOnlyListErr != "" || rep.ReadOnlyListed != 10 {
		t.Errorf("a list on the read-only disk: %d rows, %q; want 10", rep.ReadOnlyListed, rep.ReadOnlyListErr)
	}
	if r, l := rep.ReadOnly, rep.Last; l.Committed != r.Committed+1000 || l.WriteErrors != r.WriteErrors || l.Dropped != r.Dropped {
		t.Errorf("with room again: %+v after %+v; want the 1,000 alerts committed", l, r)
	}
	fulldisk.CheckLogLines(t, rep.LogLines, rep.Seconds)
	d = open(t, Configuration{Path: path})
	checkIntegrity(t, d)
	var n uint64
	if err := d.r.QueryRow(`SELECT COUNT(*) FROM flow_alerts`).Scan(&n); err != nil || n != rep.Last.Committed {
		t.Errorf("%d flow alerts in the file, %d counted as committed (%v)", n, rep.Last.Committed, err)
	}
}
