package engine

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock is the engine clock in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1795300000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Unix() uint32 { return uint32(c.Now().Unix()) }

// testShards is the shard count of testConfig's engines: TestMain runs
// the package's tests with 1 and with 2 shards.
var testShards = 1

func testConfig(c *fakeClock) Configuration {
	cfg := DefaultConfiguration()
	cfg.Now = c.Now
	cfg.Shards = testShards
	cfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.0.0/24")}
	return cfg
}

// newIface returns an interface of an engine that is not started: Do runs
// inline in the test goroutine.
func newIface(t testing.TB, cfg Configuration) *Interface {
	t.Helper()
	return New(cfg).AddInterface("tcp://127.0.0.1:5556c", "zmq")
}

// rec builds a record src:sp → dst:dp with IN (src→dst) and OUT counters.
func rec(src, dst string, sp, dp uint16, proto uint8, inB, inP, outB, outP uint64, first, last uint32) FlowRecord {
	r := FlowRecord{
		SrcIP: netip.MustParseAddr(src), DstIP: netip.MustParseAddr(dst),
		SrcPort: sp, DstPort: dp, Proto: proto,
		InBytes: inB, InPkts: inP, OutBytes: outB, OutPkts: outP,
		FirstSwitched: first, LastSwitched: last, Direction: 2,
	}
	return r
}

func process(i *Interface, recs ...FlowRecord) {
	b := i.NewBatch()
	b.Flows = append(b.Flows, recs...)
	i.Process(b)
}

// onlyFlow returns the single flow of the table, failing otherwise.
// onlyFlow returns the interface's single flow, in place (not a copy: a
// copy has no side data). Read it only while the interface is idle.
func onlyFlow(t *testing.T, i *Interface) *Flow {
	t.Helper()
	var out []*Flow
	i.Do(func(tb *Tables) {
		tb.Flows(func(f *Flow) bool { out = append(out, f); return true })
	})
	if len(out) != 1 {
		t.Fatalf("got %d flows, want 1", len(out))
	}
	return out[0]
}

type recorded struct {
	ev FlowEvent
	id uint64
}

// recorder is an observer that records events in order.
type recorder struct {
	mu  sync.Mutex
	evs []recorded
	fn  func(ev FlowEvent, f *Flow, t *Tables)
}

func (r *recorder) OnFlow(ev FlowEvent, f *Flow, now time.Time, t *Tables) {
	r.mu.Lock()
	r.evs = append(r.evs, recorded{ev, f.ID()})
	fn := r.fn
	r.mu.Unlock()
	if fn != nil {
		fn(ev, f, t)
	}
}

func (r *recorder) events() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.evs...)
}
