package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), time.Minute)
	clock := time.Unix(1000, 0)
	l.now = func() time.Time { return clock }

	if !l.Warn("zlib", "bad zlib", "peer", "a") {
		t.Fatal("first line not logged")
	}
	for i := 0; i < 5; i++ {
		if l.Warn("zlib", "bad zlib") {
			t.Fatal("line within the interval was logged")
		}
	}
	if !l.Warn("tlv", "bad tlv") {
		t.Fatal("another key was suppressed")
	}
	clock = clock.Add(time.Minute)
	if !l.Warn("zlib", "bad zlib") {
		t.Fatal("line after the interval not logged")
	}
	out := buf.String()
	if strings.Count(out, "bad zlib") != 2 || !strings.Contains(out, "suppressed=5") {
		t.Errorf("log:\n%s", out)
	}
}
