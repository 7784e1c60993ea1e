package recipients

import (
	"bufio"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

// hookSink is a webhook receiver that checks the HMAC and records the
// alerts by subtype, with their event ids.
type hookSink struct {
	secret string
	fail   atomic.Bool // answer 500
	mu     sync.Mutex
	seen   map[string][]string // subtype -> event ids received
	total  int
	badSig int
}

func newHookSink(secret string) *hookSink {
	return &hookSink{secret: secret, seen: map[string][]string{}}
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if h.fail.Load() {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	if !hmac.Equal([]byte(r.Header.Get(SignatureHeader)), []byte(Sign([]byte(h.secret), body))) {
		h.mu.Lock()
		h.badSig++
		h.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var doc struct {
		Version string `json:"version"`
		Alerts  []struct {
			Subtype string `json:"alert_subtype"`
			EventID string `json:"event_id"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Version != "0.2" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	for _, a := range doc.Alerts {
		h.seen[a.Subtype] = append(h.seen[a.Subtype], a.EventID)
		h.total++
	}
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookSink) badSigs() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.badSig
}

func (h *hookSink) distinct() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

func TestWebhookHMACAndOutage(t *testing.T) {
	sink := newHookSink("s3cret")
	srv := httptest.NewServer(sink)
	defer srv.Close()
	sink.fail.Store(true) // the endpoint is down when alerts are raised
	m := newTestManager(t, t.TempDir(), "webhook+http://"+strings.TrimPrefix(srv.URL, "http://")+"/hook?secret=s3cret&name=hook&batch=7")
	defer m.Stop()
	for i := 0; i < 50; i++ {
		m.Notify(alerts.Notification{Alert: hostAlert(i)})
	}
	testwait.For(t, "failures while down", func() bool { s, _ := m.Get("hook"); return s.Failed >= 2 })
	if s, _ := m.Get("hook"); s.Sent != 0 || s.QueueLen != 50 || s.LastError == "" {
		t.Fatalf("while down: %+v", s)
	}
	sink.fail.Store(false)
	testwait.For(t, "delivery after recovery", func() bool { return sink.distinct() == 50 })
	// The manager counts a batch as sent once the receiver's answer is back,
	// which is after the receiver recorded it: wait for the counters too.
	var s Stats
	testwait.For(t, "sent and acknowledged after recovery", func() bool {
		s, _ = m.Get("hook")
		return s.Sent == 50 && s.QueueLen == 0
	})
	if s.Retried == 0 || s.LastSuccess == 0 || sink.badSigs() != 0 {
		t.Fatalf("after recovery: %+v badSig %d", s, sink.badSigs())
	}
	if err := m.Test(t.Context(), "hook"); err != nil {
		t.Fatalf("test action: %v", err)
	}
	// A wrong secret is refused by the receiver: rejected, not retried forever.
	_, err := m.Add("webhook+http://" + strings.TrimPrefix(srv.URL, "http://") + "/hook?secret=wrong&name=bad")
	must(t, err)
	m.Notify(alerts.Notification{Alert: hostAlert(99)})
	testwait.For(t, "rejection", func() bool { s, _ := m.Get("bad"); return s.Rejected == 1 })
}

// A receiver that hangs or answers 500, and hosts that do not exist, never
// hold up the other recipients.
func TestHostileEndpointsDoNotBlockOthers(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer fail.Close()
	dir := t.TempDir()
	out := dir + "/alerts.jsonl"
	m := newTestManager(t, dir,
		"webhook+http://"+strings.TrimPrefix(hang.URL, "http://")+"/?name=hang&timeout=200ms",
		"webhook+http://"+strings.TrimPrefix(fail.URL, "http://")+"/?name=fail",
		"syslog+tcp://127.0.0.1:1?name=refused",
		"syslog+tls://127.0.0.1:"+strconv.Itoa(freePort(t))+"?name=badtls",
		"file://"+out+"?name=file&entities=host",
	)
	defer m.Stop()
	for i := 0; i < 20; i++ {
		m.Notify(alerts.Notification{Alert: hostAlert(i)})
	}
	m.Notify(alerts.Notification{Alert: flowAlert()}) // filtered out of the file
	testwait.For(t, "file delivery", func() bool { s, _ := m.Get("file"); return s.Sent == 20 })
	testwait.For(t, "errors reported", func() bool {
		for _, n := range []string{"hang", "fail", "refused", "badtls"} {
			if s, _ := m.Get(n); s.LastError == "" || s.Failed == 0 {
				return false
			}
		}
		return true
	})
	if s, _ := m.Get("file"); s.Filtered != 1 {
		t.Fatalf("file filter: %+v", s)
	}
	b, _ := os.ReadFile(out)
	if n := strings.Count(string(b), "\n"); n != 20 {
		t.Fatalf("file has %d lines", n)
	}
	for _, n := range []string{"hang", "fail", "refused", "badtls"} {
		if s, _ := m.Get(n); s.QueueLen != 21 {
			t.Fatalf("%s lost alerts: %+v", n, s)
		}
	}
}

// The kill -9 test: a child process queues a burst for a slow webhook and
// is killed in the middle of the delivery; a new manager on the same data
// dir delivers the rest. Every alert arrives at least once, and a repeat
// carries the event id of its first delivery, so receivers de-duplicate.
const childEnv = "FLOWGATE_RECIPIENTS_CHILD"

func TestKill9(t *testing.T) {
	const n = 5000
	sink := newHookSink("k")
	var slow atomic.Bool
	slow.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			time.Sleep(20 * time.Millisecond) // keeps the child mid-delivery
		}
		sink.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	u := "webhook+http://" + strings.TrimPrefix(srv.URL, "http://") + "/?secret=k&name=hook&batch=50"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "FG_DIR="+dir, "FG_URL="+u, "FG_N="+strconv.Itoa(n))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	queued := false
	for sc.Scan() {
		if sc.Text() == "QUEUED" {
			queued = true
			break
		}
	}
	if !queued {
		_ = cmd.Process.Kill()
		t.Fatal("child did not queue the burst")
	}
	testwait.Until(t, 20*time.Second, "some deliveries", func() bool { return sink.distinct() >= 200 })
	must(t, cmd.Process.Kill()) // SIGKILL
	_ = cmd.Wait()
	before := sink.distinct()
	if before >= n {
		t.Fatalf("child delivered everything (%d) before the kill: the test proves nothing", before)
	}
	slow.Store(false)
	m := newTestManager(t, dir, u)
	defer m.Stop()
	testwait.Until(t, 30*time.Second, "all alerts after restart", func() bool { return sink.distinct() == n })
	sink.mu.Lock()
	defer sink.mu.Unlock()
	dups := 0
	for sub, ids := range sink.seen {
		for _, id := range ids[1:] {
			dups++
			if id != ids[0] {
				t.Fatalf("%s redelivered with another event id: %v", sub, ids)
			}
		}
	}
	t.Logf("delivered before kill: %d, after restart: %d, duplicates (same event id): %d", before, n-before, dups)
}

// TestMain runs the kill -9 child instead of the tests when asked to.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		kill9Child()
	}
	os.Exit(m.Run())
}

func kill9Child() {
	n, _ := strconv.Atoi(os.Getenv("FG_N"))
	m := New(Configuration{DataDir: os.Getenv("FG_DIR"), URLs: []string{os.Getenv("FG_URL")}})
	if err := m.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; i < n; i++ {
		m.Notify(alerts.Notification{Alert: hostAlert(i)})
	}
	fmt.Println("QUEUED")
	select {} // until killed
}
