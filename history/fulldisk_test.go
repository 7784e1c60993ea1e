package history

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/internal/fulldisk"
)

// fullDiskEnv makes the test binary a child whose files may not grow past
// a soft bound (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full
// disk, without a privileged mount). It appends host:traffic samples of
// 5,000 hosts a step until the store reports write errors (the disk is
// full), then with the bound at 0 (every write to a file fails, what a
// file system remounted read-only does to open files; chmod would not:
// it applies at open, and not to root) appends three more rounds and
// queries, then lifts the bound (room again), appends once more and
// prints what happened as JSON.
const fullDiskEnv = "FLOWGATE_TS_FULLDISK"

func TestMain(m *testing.M) {
	if path := os.Getenv(fullDiskEnv); path != "" {
		os.Exit(fullDiskChild(path))
	}
	os.Exit(m.Run())
}

type fullDiskReport struct {
	Counters   Counters
	Rounds     int // in all
	FullRounds int // until the disk was full
	// The read-only phase: its rounds' errors, and a query of the
	// points written before (reads do not write).
	ReadOnlyErrors    int
	ReadOnlyCounted   uint64 // write_errors added during it
	ReadOnlyQueryErr  string
	ReadOnlyQueryData int // points of one host the query found
	// The round after room came back: its error and the point it stored
	// for one host (bytes_sent, bytes_rcvd per second).
	LastError string
	LastPoint []float64
	LogLines  int     // warnings logged
	Seconds   float64 // the child's run time: bounds LogLines (one per 10 s)
}

func fullDiskChild(path string) int {
	began := time.Now()
	c := &clock{t: time.Unix(t0, 0)}
	logs := &fulldisk.LineCounter{}
	cfg := DefaultConfiguration()
	cfg.Path, cfg.Now, cfg.MaintainEvery = path, c.now, time.Hour
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s := New(cfg)
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	sc := Lookup("host:traffic")
	host := func(h int) string { return fmt.Sprintf("10.1.%d.%d", h/256, h%256) }
	stamp := func(i int) int64 { return t0 + int64(i)*300 }
	round := func(i int) error {
		c.t = time.Unix(stamp(i), 0)
		batch := make([]Sample, 0, 5000)
		for h := range 5000 {
			batch = append(batch, Sample{Schema: sc, Tags: []string{"0", host(h)},
				Values: []float64{float64(i * 1000), float64(i * 2000)}, T: stamp(i)})
		}
		return s.Append(batch)
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
	st, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if !setLimit(func() error { return lim.Set(uint64(st.Size()) + 1<<20) }) {
		return 1
	}
	rep := fullDiskReport{}
	for ; rep.Rounds < 200 && s.Counters().WriteErrors < 2; rep.Rounds++ {
		round(rep.Rounds)
	}
	rep.FullRounds = rep.Rounds

	if !setLimit(func() error { return lim.Set(0) }) { // read-only: no write to a file succeeds
		return 1
	}
	before := s.Counters().WriteErrors
	for range 3 {
		if round(rep.Rounds) != nil {
			rep.ReadOnlyErrors++
		}
		rep.Rounds++
	}
	rep.ReadOnlyCounted = s.Counters().WriteErrors - before
	res, err := s.Query(context.Background(), Query{Schema: "host:traffic", Tags: map[string]string{"ifid": "0", "host": host(0)},
		Begin: t0, End: stamp(rep.Rounds), Limit: MaxPoints})
	if err != nil {
		rep.ReadOnlyQueryErr = err.Error()
	} else {
		for _, v := range res.Series[0].Data {
			if !math.IsNaN(v) {
				rep.ReadOnlyQueryData++
			}
		}
	}

	if !setLimit(lim.Lift) { // room again
		return 1
	}
	if err := round(rep.Rounds); err != nil {
		rep.LastError = err.Error()
	}
	if pts, err := s.Raw(context.Background(), sc, []string{"0", host(4999)}, stamp(rep.Rounds), stamp(rep.Rounds)+1); err == nil && len(pts) == 1 {
		rep.LastPoint = pts[0].Values
	}
	rep.Rounds++
	rep.Counters = s.Counters()
	rep.LogLines = logs.Lines()
	rep.Seconds = time.Since(began).Seconds()
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// A full disk, then a read-only one: the batches that do not fit fail,
// each counted in write_errors and logged at most every 10 s; the
// appender gets an error and carries on (its counters' state moves on);
// reads answer meanwhile; and once writes succeed again the next batch is
// stored, its rates taken from the last sample appended.
func TestFullDiskCounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := New(Configuration{Path: path, Now: time.Now, MaintainEvery: time.Hour, Synchronous: "NORMAL"})
	if err := s.Start(); err != nil { // create the file and its schema
		t.Fatal(err)
	}
	s.Stop()
	var rep fullDiskReport
	fulldisk.RunChild(t, fullDiskEnv, path, &rep)
	t.Logf("full disk: %+v", rep)
	if rep.FullRounds >= 200 {
		t.Fatalf("%+v: want write errors before 200 rounds", rep)
	}
	if rep.ReadOnlyErrors != 3 || rep.ReadOnlyCounted != 3 {
		t.Errorf("read-only: %d of 3 rounds failed, %d counted; want 3 and 3", rep.ReadOnlyErrors, rep.ReadOnlyCounted)
	}
	if rep.ReadOnlyQueryErr != "" || rep.ReadOnlyQueryData == 0 {
		t.Errorf("a query on the read-only disk: %q, %d points; want the points written before", rep.ReadOnlyQueryErr, rep.ReadOnlyQueryData)
	}
	if rep.LastError != "" || rep.Counters.WriteErrors != 5 {
		t.Errorf("with room again the append failed (%q), or write errors %d are not the 2 of the full disk and the 3 read-only",
			rep.LastError, rep.Counters.WriteErrors)
	}
	// 1,000 and 2,000 more bytes each round (300 s): the rate from the
	// last read-only round, not lost with it.
	if len(rep.LastPoint) != 2 || math.Abs(rep.LastPoint[0]-1000.0/300) > 1e-9 || math.Abs(rep.LastPoint[1]-2000.0/300) > 1e-9 {
		t.Errorf("the point after room came back: %v, want [3.33 6.67] B/s", rep.LastPoint)
	}
	if rep.Counters.Samples != uint64(rep.Rounds)*5000 {
		t.Errorf("%d samples counted, %d appended", rep.Counters.Samples, rep.Rounds*5000)
	}
	fulldisk.CheckLogLines(t, rep.LogLines, rep.Seconds)
}

// A data dir that cannot hold the database (here a file where the
// directory should be: chmod does not stop root) refuses Start with an
// error naming the file; the store stays inert: appends and queries fail
// with an error, nothing panics.
func TestStartUnwritableDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := New(Configuration{DataDir: dir})
	err := s.Start()
	if err == nil {
		s.Stop()
		t.Fatal("Start on a data dir that is a file succeeded")
	}
	if want := filepath.Join(dir, FileName); !strings.Contains(err.Error(), want) {
		t.Errorf("Start: %v; want the file %s named", err, want)
	}
	if err := s.Append([]Sample{{Schema: IfaceTraffic, Tags: []string{"0"}, Values: []float64{1}, T: t0}}); err == nil {
		t.Error("Append on a store that did not start succeeded")
	}
	if _, err := s.Query(context.Background(), Query{Schema: "iface:traffic", Tags: map[string]string{"ifid": "0"}, Begin: t0, End: t0 + 60}); err == nil {
		t.Error("Query on a store that did not start succeeded")
	}
	s.Stop()
}
