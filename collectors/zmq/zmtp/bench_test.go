package zmtp

import (
	"context"
	"testing"

	"github.com/go-zeromq/zmq4"
)

// The nProbe shape: a 36-byte v3 header and a ~10 KB payload.
const benchPayload = 10 << 10

func benchFrames() (h, p []byte) { return testHeader("flow", 1), testPayload(1, benchPayload) }

// BenchmarkRecv measures SUB receive throughput over loopback with a
// sender that keeps the SUB busy; ns/op is per message.
func BenchmarkRecv(b *testing.B) {
	b.Run("ours-null", func(b *testing.B) { benchOurs(b, false) })
	b.Run("ours-curve", func(b *testing.B) { benchOurs(b, true) })
	b.Run("zmq4-null", benchZmq4)
}

func benchOurs(b *testing.B, curve bool) {
	kp, _ := GenerateKeyPair()
	var sc SubConfig
	var pc PubConfig
	if curve {
		sc.CurveServer, pc.CurveServerKey = &kp, &kp.Public
	}
	s := NewSub(sc)
	defer s.Close()
	if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	p := NewPub(pc)
	if err := p.Connect(s.Endpoints()[0]); err != nil {
		b.Fatal(err)
	}
	if err := p.WaitSubscribers(context.Background(), 1); err != nil {
		b.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		h, pl := benchFrames()
		for isOpen(stop) && p.Send(h, pl) == nil {
		}
	}()
	runRecv(b, func() (int, error) {
		m, err := s.Recv()
		n := len(m.Frames)
		s.Release(m) // as the collector does: the storage serves the next message
		return n, err
	})
	close(stop)
	p.Close()
	<-done
}

func benchZmq4(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub, sub := zmq4.NewPub(ctx), zmq4.NewSub(ctx)
	defer sub.Close()
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
		b.Fatal(err)
	}
	sub.SetOption(zmq4.OptionSubscribe, "")
	topics := pub.(interface{ Topics() []string })
	for len(topics.Topics()) == 0 {
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		h, pl := benchFrames()
		// zmq4's Send keeps returning nil after Close, so stop explicitly.
		for isOpen(stop) && pub.Send(zmq4.NewMsgFrom(h, pl)) == nil {
		}
	}()
	runRecv(b, func() (int, error) {
		m, err := sub.Recv()
		return len(m.Frames), err
	})
	close(stop)
	pub.Close()
	<-done
}

func runRecv(b *testing.B, recv func() (int, error)) {
	b.SetBytes(36 + benchPayload)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := recv()
		if err != nil || n != 2 {
			b.Fatalf("recv: %d frames, %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func isOpen(c chan struct{}) bool {
	select {
	case <-c:
		return false
	default:
		return true
	}
}
