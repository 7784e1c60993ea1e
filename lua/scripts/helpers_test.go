package scripts

import (
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
)

// clock is a settable clock shared by the engine, the store and the runtime.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// copyTree copies testdata/<name> into a temp dir (scripts are edited or
// added by some tests) and returns it.
func copyTree(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	clk   *clock
	eng   *engine.Engine
	iface *engine.Interface
	store *alerts.Store
	rt    *Runtime
	dir   string

	cache *api.Cache
	mu    sync.Mutex
	ended map[uint64]uint32 // flow ID -> PeriodicCount at FlowEnd
}

type endRecorder struct{ fx *fixture }

func (e endRecorder) OnFlow(ev engine.FlowEvent, f *engine.Flow, _ time.Time, _ *engine.Tables) {
	if ev == engine.FlowEnd {
		e.fx.mu.Lock()
		e.fx.ended[f.ID()] = f.PeriodicCount
		e.fx.mu.Unlock()
	}
}

// endedCounts returns the periodic counts of the flows that ended.
func (f *fixture) endedCounts() []uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []uint32
	for _, c := range f.ended {
		out = append(out, c)
	}
	return out
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFixture builds an engine (one ZMQ interface, 10.0.0.0/8 local), an
// alert store and a runtime on dir, all on one fake clock, and starts them.
func newFixture(t testing.TB, dir string, mod func(*Configuration)) *fixture {
	t.Helper()
	return newFixtureKind(t, dir, "zmq", mod)
}

// newFixtureKind is newFixture with an interface of the given kind.
func newFixtureKind(t testing.TB, dir, kind string, mod func(*Configuration)) *fixture {
	t.Helper()
	clk := newClock(time.Date(2024, 3, 10, 10, 0, 30, 0, time.UTC))
	eng := engine.New(engine.Configuration{Now: clk.Now, LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	iface := eng.AddInterface(kind+"0", kind)
	store := alerts.NewStore(alerts.Config{Now: clk.Now})
	cfg := Configuration{Dir: dir, DataDir: t.TempDir(), Now: clk.Now, PollInterval: -1, Logger: quietLogger()}
	if mod != nil {
		mod(&cfg)
	}
	cache := api.NewCache()
	rt := New(cfg, eng, store, api.Deps{Logger: quietLogger(), Cache: cache})
	f := &fixture{cache: cache, clk: clk, eng: eng, iface: iface, store: store, rt: rt, dir: dir, ended: map[uint64]uint32{}}
	eng.Observe(func(*engine.Interface) engine.FlowObserver { return endRecorder{f} })
	if err := rt.Start(); err != nil {
		t.Fatal(err)
	}
	rt.stopLoop() // tests drive the scheduler with rt.tick
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Stop()
		rt.Stop()
	})
	return f
}

// flow adds one flow record through the interface queue and waits for it.
func (f *fixture) flow(src, dst string, sport, dport uint16, proto uint8, l7 uint16) {
	b := f.iface.NewBatch()
	r := b.AddFlow()
	r.SrcIP, r.DstIP = netip.MustParseAddr(src), netip.MustParseAddr(dst)
	r.SrcPort, r.DstPort, r.Proto = sport, dport, proto
	r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = 1000, 2, 500, 1
	now := uint32(f.clk.Now().Unix())
	r.FirstSwitched, r.LastSwitched = now-1, now
	if l7 != 0 {
		r.L7Set, r.L7App = true, l7
	}
	f.iface.Enqueue(b)
	f.sync()
}

// sync waits until the interface goroutine processed everything queued.
func (f *fixture) sync() { f.iface.Do(func(*engine.Tables) {}) }

// tick advances the clock by d in 1 s steps, ticking the engine each step.
func (f *fixture) tick(d time.Duration) {
	for s := time.Duration(0); s < d; s += time.Second {
		f.clk.Add(time.Second)
		f.iface.Do(func(t *engine.Tables) { t.Tick() })
	}
}

func (f *fixture) stats(key string) ScriptStats {
	for _, s := range f.rt.Stats() {
		if s.Key == key {
			return s
		}
	}
	return ScriptStats{}
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}
