package zmtp

import (
	"bytes"
	"testing"
)

// TestReleaseReusesStorage receives messages of varying sizes (a few above
// the first storage size, one above keepScratch) over NULL and CURVE: with
// Release, the reader reuses a handful of buffers instead of allocating
// per message, and no frame is ever overwritten while the receiver holds
// it; without Release every message allocates.
func TestReleaseReusesStorage(t *testing.T) {
	const n = 300
	size := func(i int) int {
		switch {
		case i == 150:
			return keepScratch + 10 // one-off storage, never kept
		case i%50 == 7:
			return 100 << 10 // above minMsgBuf: the storage grows
		}
		return 5000 + i*37%1000 // sizes vary around a mean, as nProbe's do
	}
	for _, tc := range []struct {
		name               string
		curve              bool
		release            bool
		maxAlloc, minAlloc uint64
	}{
		{"null-release", false, true, 30, 1},
		{"curve-release", true, true, 30, 1},
		{"null-no-release", false, false, 1 << 30, n},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testCtx(t)
			kp, _ := GenerateKeyPair()
			// A one-message queue keeps the reader at most two messages
			// ahead, so the number of buffers in use is bounded.
			sc := SubConfig{QueueSize: 1}
			var pc PubConfig
			if tc.curve {
				sc.CurveServer, pc.CurveServerKey = &kp, &kp.Public
			}
			s := NewSub(sc)
			defer s.Close()
			if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			p := NewPub(pc)
			defer p.Close()
			if err := p.Connect(s.Endpoints()[0]); err != nil {
				t.Fatal(err)
			}
			if err := p.WaitSubscribers(ctx, 1); err != nil {
				t.Fatal(err)
			}
			go func() {
				for i := range n {
					if p.Send(testHeader("flow", i), testPayload(i, size(i))) != nil {
						return
					}
				}
			}()
			var held []Message // the previous message, still in use while the next is read
			for i := range n {
				m, err := s.RecvContext(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Frames) != 2 || !bytes.Equal(m.Frames[0], testHeader("flow", i)) || !bytes.Equal(m.Frames[1], testPayload(i, size(i))) {
					t.Fatalf("message %d: frames differ from what was sent (%d frames)", i, len(m.Frames))
				}
				for _, h := range held {
					if !bytes.Equal(h.Frames[1], testPayload(i-1, size(i-1))) {
						t.Fatalf("message %d was overwritten while held", i-1)
					}
					if tc.release {
						s.Release(h)
					}
				}
				held = append(held[:0], m)
			}
			got := s.Stats().BufferAllocs
			if got > tc.maxAlloc || got < tc.minAlloc {
				t.Errorf("%d buffer allocations for %d messages, want %d..%d", got, n, tc.minAlloc, tc.maxAlloc)
			}
			t.Logf("%d buffer allocations for %d messages", got, n)
		})
	}
}
