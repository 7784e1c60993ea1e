package influx

import (
	"bytes"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"flowgate/history"
	"flowgate/internal/testwait"
)

func TestAppendLine(t *testing.T) {
	sc := &history.Schema{Name: "host:traffic", Tags: []string{"ifid", "host"}, Metrics: []string{"bytes_sent", "bytes_rcvd"}}
	odd := &history.Schema{Name: "my schema,x", Tags: []string{"k"}, Metrics: []string{"v"}}
	own := &history.Schema{Name: "m", Tags: []string{"instance"}, Metrics: []string{"v"}}
	for _, c := range []struct {
		s        history.Sample
		instance string
		want     string
	}{
		{history.Sample{Schema: sc, Tags: []string{"0", "10.0.0.1"}, Values: []float64{1234, 5.5}, T: 1700000000},
			"", "host:traffic,host=10.0.0.1,ifid=0 bytes_sent=1234,bytes_rcvd=5.5 1700000000\n"},
		{history.Sample{Schema: sc, Tags: []string{"0", "fe80::1"}, Values: []float64{math.NaN(), 7}, T: 1700000300},
			"", "host:traffic,host=fe80::1,ifid=0 bytes_rcvd=7 1700000300\n"},
		{history.Sample{Schema: odd, Tags: []string{"a b,c=d\n"}, Values: []float64{1e20}, T: 1},
			"", `my\ schema\,x,k=a\ b\,c\=d\  v=100000000000000000000 1` + "\n"},
		{history.Sample{Schema: sc, Tags: []string{"0"}, Values: []float64{1, 2}, T: 1}, "", ""},
		{history.Sample{Schema: sc, Tags: []string{"0", "h"}, Values: []float64{math.NaN(), math.Inf(1)}, T: 1}, "", ""},
		// The instance tag, in name order, escaped; a schema's own wins.
		{history.Sample{Schema: sc, Tags: []string{"0", "10.0.0.1"}, Values: []float64{1, 2}, T: 5}, "site-a",
			"host:traffic,host=10.0.0.1,ifid=0,instance=site-a bytes_sent=1,bytes_rcvd=2 5\n"},
		{history.Sample{Schema: odd, Tags: []string{"x"}, Values: []float64{3}, T: 5}, "fg 2,b",
			`my\ schema\,x,instance=fg\ 2\,b,k=x v=3 5` + "\n"},
		{history.Sample{Schema: own, Tags: []string{"mine"}, Values: []float64{3}, T: 5}, "fg1", "m,instance=mine v=3 5\n"},
	} {
		got, ok := AppendLine([]byte("x"), &c.s, c.instance)
		if string(got[1:]) != c.want || ok != (c.want != "") {
			t.Errorf("line %q (%v), want %q", got[1:], ok, c.want)
		}
	}
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"", "influx://h/db", "http:///db", "http://h:8086", "http://h:8086/", "http://h/a/b", "::"} {
		if _, err := New(Configuration{URL: u}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	_, err := New(Configuration{URL: "http://user:s3cret@h:8086/a/b"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error shows the password or is nil: %v", err)
	}
}

// fakeServer records the bodies of /write and answers status().
type fakeServer struct {
	mu     sync.Mutex
	lines  []string
	status int
	auth   string
	query  string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.query = r.URL.RawQuery
	if u, p, ok := r.BasicAuth(); ok {
		f.auth = u + ":" + p
	}
	if f.status != http.StatusNoContent {
		w.WriteHeader(f.status)
		return
	}
	f.lines = append(f.lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.lines)
}

func (f *fakeServer) set(status int) {
	f.mu.Lock()
	f.status = status
	f.mu.Unlock()
}

var gauge = &history.Schema{Name: "iface:flows", Step: 60, Type: history.Gauge, Tags: []string{"ifid"}, Metrics: []string{"num_flows"}}

func samples(from, n int) []history.Sample {
	out := make([]history.Sample, n)
	for i := range out {
		out[i] = history.Sample{Schema: gauge, Tags: []string{"0"}, Values: []float64{float64(from + i)}, T: int64(1700000000 + 60*(from+i))}
	}
	return out
}

func fastConfig(url, dir string) Configuration {
	return Configuration{URL: url, DataDir: dir, BatchLines: 7, FlushEvery: 10 * time.Millisecond,
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
}

// The spool: a server answering 503 (or a closed port) sends batches to
// disk; they survive a restart of the exporter and are sent, oldest first,
// once the server answers; 4xx batches are dropped and counted; the bound
// drops what does not fit, counted.
func TestSpoolAndRecovery(t *testing.T) {
	f := &fakeServer{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	u := strings.Replace(srv.URL, "http://", "http://fg:pw@", 1) + "/ntopng"
	e, err := New(fastConfig(u, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.Write(samples(0, 20))
	testwait.ForState(t, "20 points spooled", func() (any, bool) { c := e.Counters(); return c, c.SpoolPoints == 20 })
	e.Stop()
	if st, err := os.Stat(filepath.Join(dir, SpoolFile)); err != nil || st.Size() == 0 {
		t.Fatalf("spool file: %v", err)
	}
	// A new exporter replays the spool and sends it when the server is up.
	f.set(http.StatusNoContent)
	e, err = New(fastConfig(u, dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.Write(samples(20, 5))
	testwait.ForState(t, "25 points sent", func() (any, bool) { c := e.Counters(); return c, f.count() == 25 && c.SpoolPoints == 0 })
	f.mu.Lock()
	for i, l := range f.lines {
		want := strings.TrimSpace(string(mustLine(t, samples(i, 1)[0])))
		if l != want {
			t.Errorf("line %d: %q, want %q (order kept)", i, l, want)
		}
	}
	if f.auth != "fg:pw" || !strings.Contains(f.query, "db=ntopng") || !strings.Contains(f.query, "precision=s") {
		t.Errorf("auth %q query %q", f.auth, f.query)
	}
	f.mu.Unlock()
	if st, err := os.Stat(filepath.Join(dir, SpoolFile)); err != nil || st.Size() != 0 {
		t.Fatalf("spool not emptied after the drain: %v %v", st.Size(), err)
	}
	// A refused batch (400: bad lines) is not retried.
	f.set(http.StatusBadRequest)
	e.Write(samples(100, 3))
	testwait.ForState(t, "3 points rejected", func() (any, bool) { c := e.Counters(); return c, c.Rejected == 3 })
	e.Stop()

	// The bound: a spool of ~1 KiB with the server unreachable.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/db"
	ln.Close()
	cfg := fastConfig(dead, t.TempDir())
	cfg.SpoolBytes = 1024
	e, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	e.Write(samples(0, 200))
	testwait.ForState(t, "every point spooled or dropped", func() (any, bool) {
		c := e.Counters()
		return c, c.Spooled+c.Dropped == 200 && c.PendingPoints == 0
	})
	c := e.Counters()
	if c.Dropped == 0 || c.SpoolBytes > 1024 || c.SpoolPoints != c.Spooled || c.SendErrors == 0 {
		t.Fatalf("bound not kept or not counted: %+v", c)
	}
}

func mustLine(t *testing.T, s history.Sample) []byte {
	t.Helper()
	b, ok := AppendLine(nil, &s, "")
	if !ok {
		t.Fatal("no line")
	}
	return b
}

// The store's subscriber: samples appended to a history.Store reach the
// server with the counter values as given (not the rates).
func TestSubscribe(t *testing.T) {
	f := &fakeServer{status: http.StatusNoContent}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e, err := New(fastConfig(srv.URL+"/db", t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	st := history.New(history.Configuration{DataDir: t.TempDir()})
	if err := st.Start(); err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	st.Subscribe(e.Write)
	for i := range 3 {
		if err := st.Append([]history.Sample{{Schema: history.IfaceTraffic, Tags: []string{"0"}, Values: []float64{float64(1000 * (i + 1))}, T: int64(1700000000 + i)}}); err != nil {
			t.Fatal(err)
		}
	}
	testwait.For(t, "3 lines", func() bool { return f.count() == 3 })
	f.mu.Lock()
	defer f.mu.Unlock()
	if !bytes.Equal([]byte(f.lines[2]), []byte("iface:traffic,ifid=0 bytes=3000 1700000002")) {
		t.Fatalf("line %q", f.lines[2])
	}
}

// BenchmarkWrite: the subscriber's cost per sample (line formatting and
// queueing; the network is another goroutine's).
func BenchmarkWrite(b *testing.B) {
	e, err := New(Configuration{URL: "http://127.0.0.1:1/db", PendingLines: 1 << 30, BatchLines: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]history.Sample, 1000)
	for i := range batch {
		batch[i] = history.Sample{Schema: history.HostTraffic, Tags: []string{"0", "10.0.3." + string(rune('0'+i%10))}, Values: []float64{float64(i * 1000), float64(i * 2000)}, T: 1700000000}
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Write(batch)
		e.mu.Lock()
		e.pending, e.pendingN = e.pending[:0], 0
		e.mu.Unlock()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/sample")
}
