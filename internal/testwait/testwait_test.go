package testwait

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeT records a Fatalf instead of stopping the test.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestUntil(t *testing.T) {
	var n atomic.Int32
	go func() {
		for i := 0; i < 3; i++ {
			n.Add(1)
		}
	}()
	For(t, "three increments", func() bool { return n.Load() == 3 })

	f := &fakeT{}
	Until(f, 20*time.Millisecond, "the impossible thing", func() bool { return false })
	if !strings.Contains(f.failed, "the impossible thing") {
		t.Fatalf("a timeout must fail with its description, got %q", f.failed)
	}
	f = &fakeT{}
	type stats struct{ Sent int }
	untilState(f, 20*time.Millisecond, "sent", func() (any, bool) { return stats{Sent: 2}, false })
	if !strings.Contains(f.failed, "waiting for sent; last: {Sent:2}") {
		t.Fatalf("a timeout must show the last state, got %q", f.failed)
	}
	if Wait(10*time.Millisecond, func() bool { return false }) {
		t.Fatal("Wait reported a condition that never held")
	}
	if !Wait(0, func() bool { return true }) {
		t.Fatal("Wait missed a condition that already held")
	}
}
