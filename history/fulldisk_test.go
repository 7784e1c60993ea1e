package history

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// fullDiskEnv makes the test binary a child whose files may not grow past
// a soft bound (RLIMIT_FSIZE: writes past it fail with EFBIG, as on a full
// disk, without a privileged mount). It appends host:traffic samples of
// 5,000 hosts a step until the store reports write errors, lifts the bound
// (room again), appends once more and prints its counters and that last
// append's error as JSON.
const fullDiskEnv = "FLOWGATE_TS_FULLDISK"

func TestMain(m *testing.M) {
	if path := os.Getenv(fullDiskEnv); path != "" {
		os.Exit(fullDiskChild(path))
	}
	os.Exit(m.Run())
}

type fullDiskReport struct {
	Counters  Counters
	Rounds    int
	LastError string
}

func fullDiskChild(path string) int {
	c := &clock{t: time.Unix(t0, 0)}
	cfg := DefaultConfiguration()
	cfg.Path, cfg.Now, cfg.MaintainEvery = path, c.now, time.Hour
	s := New(cfg)
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	sc := Lookup("host:traffic")
	round := func(i int) error {
		batch := make([]Sample, 0, 5000)
		for h := range 5000 {
			batch = append(batch, Sample{Schema: sc, Tags: []string{"0", fmt.Sprintf("10.1.%d.%d", h/256, h%256)},
				Values: []float64{float64(i * 1000), float64(i * 2000)}, T: t0 + int64(i)*300})
		}
		return s.Append(batch)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	signal.Ignore(syscall.SIGXFSZ) // the write fails with EFBIG instead
	st, err := os.Stat(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bound := lim
	bound.Cur = uint64(st.Size()) + 1<<20
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &bound); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rep := fullDiskReport{}
	for ; rep.Rounds < 200 && s.Counters().WriteErrors < 2; rep.Rounds++ {
		round(rep.Rounds)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil { // room again
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := round(rep.Rounds); err != nil {
		rep.LastError = err.Error()
	}
	rep.Rounds++
	rep.Counters = s.Counters()
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// A full disk: the batches that do not fit fail, counted in write_errors
// (and logged at most every 10 s), the appender gets an error and carries
// on, and once there is room again the next batch is stored.
func TestFullDiskCounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := New(Configuration{Path: path, Now: time.Now, MaintainEvery: time.Hour, Synchronous: "NORMAL"})
	if err := s.Start(); err != nil { // create the file and its schema
		t.Fatal(err)
	}
	s.Stop()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fullDiskEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var rep fullDiskReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	t.Logf("full disk: %+v", rep)
	if rep.Counters.WriteErrors < 2 || rep.Rounds >= 200 {
		t.Fatalf("%+v: want write errors before 200 rounds", rep)
	}
	if rep.LastError != "" || rep.Counters.WriteErrors != 2 {
		t.Errorf("with room again the append failed: %+v", rep)
	}
	if rep.Counters.Samples != uint64(rep.Rounds)*5000 {
		t.Errorf("%d samples counted, %d appended", rep.Counters.Samples, rep.Rounds*5000)
	}
}
