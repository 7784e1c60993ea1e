package recipients

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

// benchDeliver raises b.N alerts into a manager with the persistent queue
// on and waits until the recipient's endpoint accepted all of them.
func benchDeliver(b *testing.B, url string, received func() int64) {
	// The queue holds the whole burst: dropping the oldest would be a
	// different measurement.
	m := New(Configuration{DataDir: b.TempDir(), URLs: []string{url + "name=bench"}, Location: time.UTC, QueueSize: b.N + 1})
	if err := m.Start(); err != nil {
		b.Fatal(err)
	}
	defer m.Stop()
	a := hostAlert(1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		a.ID = uint64(i)
		m.Notify(alerts.Notification{Alert: a})
	}
	testwait.Until(b, 5*time.Minute, "delivery", func() bool {
		s, _ := m.Get("bench")
		if s.Dropped > 0 {
			b.Fatalf("queue dropped %d alerts", s.Dropped)
		}
		return s.Sent == uint64(b.N)
	})
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "alerts/s")
	if received != nil && received() < int64(b.N) {
		b.Fatalf("receiver got %d of %d", received(), b.N)
	}
}

func BenchmarkSyslogTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var got atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				// Count octet-counted frames as a receiver would parse them.
				r := bufio.NewReaderSize(c, 1<<16)
				for {
					var n int
					for {
						ch, err := r.ReadByte()
						if err != nil {
							return
						}
						if ch == ' ' {
							break
						}
						n = n*10 + int(ch-'0')
					}
					if _, err := r.Discard(n); err != nil {
						return
					}
					got.Add(1)
				}
			}()
		}
	}()
	benchDeliver(b, "syslog+tcp://"+ln.Addr().String()+"?format=cef&", func() int64 {
		testwait.Wait(testwait.Timeout, func() bool { return got.Load() >= int64(b.N) })
		return got.Load()
	})
}

func BenchmarkWebhookBatched(b *testing.B) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(SignatureHeader) != Sign([]byte("k"), body) {
			http.Error(w, "sig", http.StatusUnauthorized)
			return
		}
		got.Add(int64(strings.Count(string(body), `"event_id"`)))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	benchDeliver(b, "webhook+http://"+strings.TrimPrefix(srv.URL, "http://")+"/?secret=k&", got.Load)
}
