package sampler

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/history"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// rig is an engine with one ZMQ interface (local network 10.0.0.0/8), a
// store and a sampler on one fake clock.
type rig struct {
	c     *clock
	eng   *engine.Engine
	iface *engine.Interface
	store *history.Store
	smp   *Sampler
}

func newRig(tb testing.TB, start time.Time, maxFlows int) *rig {
	tb.Helper()
	c := &clock{start}
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	ecfg.Now = c.now
	ecfg.MaxFlows, ecfg.MaxHosts = maxFlows, maxFlows
	eng := engine.New(ecfg)
	i := eng.AddInterface("tcp://*:5556c", "zmq")
	scfg := history.DefaultConfiguration()
	scfg.Path, scfg.Now, scfg.MaintainEvery = filepath.Join(tb.TempDir(), history.FileName), c.now, time.Hour
	st := history.New(scfg)
	if err := st.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Stop)
	cfg := DefaultConfiguration()
	cfg.Now = c.now
	return &rig{c: c, eng: eng, iface: i, store: st, smp: New(cfg, eng, st)}
}

// push sends one update of n bytes each way for a flow between a local
// client and a remote server, as L7 app (TLS = 91).
func (r *rig) push(cli, srv netip.Addr, sport uint16, in, out uint64, app uint16) {
	b := r.iface.NewBatch()
	f := b.AddFlow()
	f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = cli, srv, sport, 443, 6
	f.InBytes, f.InPkts, f.OutBytes, f.OutPkts = in, 1, out, 1
	now := uint32(r.c.t.Unix())
	f.FirstSwitched, f.LastSwitched = now, now
	f.L7Set, f.L7App = true, app
	r.iface.Process(b)
}

func (r *rig) query(t *testing.T, schema, tags string, begin, end int64, limit int) *history.Result {
	t.Helper()
	tg, err := history.ParseTags(tags)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.store.Query(context.Background(), history.Query{Schema: schema, Tags: tg, Begin: begin, End: end, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTotalsMatchTraffic pushes traffic between 1 s rounds for 10
// minutes and checks that the series' totals over the window equal the
// bytes pushed after the baseline round (the interface, its protocols,
// its local network and the local host).
func TestTotalsMatchTraffic(t *testing.T) {
	start := time.Unix(1_700_000_100, 0) // on a 5-minute boundary
	r := newRig(t, start, 1000)
	cli, cli2, srv := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.6"), netip.MustParseAddr("192.0.2.1")
	// The hosts, protocols and network exist before the baseline round:
	// as with rrdtool's DERIVE, a series' first sample gives no point.
	r.push(cli, srv, 40000, 1, 1, 91)
	r.push(cli2, srv, 40001, 1, 1, 7)
	r.smp.Round(r.c.t) // the counters' baseline
	var pushed, sent, tls uint64
	for s := 1; s <= 600; s++ {
		r.c.t = start.Add(time.Duration(s) * time.Second)
		in, out := uint64(1000+s), uint64(100+s%7)
		r.push(cli, srv, 40000, in, out, 91)
		r.push(cli2, srv, 40001, 500, 50, 7) // HTTP
		pushed += in + out + 550
		sent += in
		tls += in + out
		r.smp.Round(r.c.t)
	}
	b, e := start.Unix(), start.Unix()+600
	if got := r.query(t, "iface:traffic", "ifid:0", b, e, 180).Series[0].Stats.Total; got != float64(pushed) {
		t.Errorf("iface:traffic total %v, want %d", got, pushed)
	}
	rx := r.query(t, "iface:traffic_rxtx", "ifid:0", b, e, 60)
	if up := rx.Series[0].Stats.Total + rx.Series[1].Stats.Total; up != float64(pushed) {
		t.Errorf("iface:traffic_rxtx sent+rcvd %v, want %d", up, pushed)
	}
	// 60 s series: 10 complete minutes.
	if got := r.query(t, "iface:ndpi", "ifid:0,protocol:TLS", b, e, 10).Series[0].Stats.Total; got != float64(tls) {
		t.Errorf("iface:ndpi TLS total %v, want %d", got, tls)
	}
	sub := r.query(t, "subnet:traffic", "ifid:0,subnet:10.0.0.0/8", b, e, 10)
	if eg := sub.Series[1].Stats.Total; eg != float64(sent+500*600) {
		t.Errorf("subnet:traffic egress %v, want %d", eg, sent+500*600)
	}
	// 300 s series: two complete periods.
	ht := r.query(t, "host:traffic", "ifid:0,host:10.0.0.5", b, e, 2)
	if got := ht.Series[0].Stats.Total; got != float64(sent) {
		t.Errorf("host:traffic sent %v, want %d", got, sent)
	}
	if got := r.query(t, "host:ndpi", "ifid:0,host:10.0.0.6,protocol:HTTP", b, e, 2).Series[0].Stats.Total; got != 500*600 {
		t.Errorf("host:ndpi HTTP sent %v, want %d", got, 500*600)
	}
	// Gauges: one active flow pair.
	if fl := r.query(t, "iface:flows", "ifid:0", b, e, 10).Series[0].Stats.Max; fl != 2 {
		t.Errorf("iface:flows max %v, want 2", fl)
	}
	top := r.query(t, "top:host:traffic", "ifid:0", b, e, 2)
	if len(top.Series) != 2 || top.Series[0].ID != "10.0.0.5" {
		t.Errorf("top hosts %+v", top.Series)
	}
	if c := r.smp.Counters(); c.Rounds != 601 || c.WriteErrors != 0 {
		t.Errorf("counters %+v", c)
	}
}

// TestStoreFailureCounted: with a store that cannot write (stopped: its
// database closed), rounds count the failure and the engine carries on.
func TestStoreFailureCounted(t *testing.T) {
	start := time.Unix(1_700_000_100, 0)
	r := newRig(t, start, 100)
	r.store.Stop()
	cli, srv := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("192.0.2.1")
	for s := 1; s <= 3; s++ {
		r.c.t = start.Add(time.Duration(s) * time.Second)
		r.push(cli, srv, 40000, 100, 10, 91)
		r.smp.Round(r.c.t)
	}
	if c := r.smp.Counters(); c.WriteErrors != 3 || c.Rounds != 3 {
		t.Errorf("counters %+v, want 3 failed rounds", c)
	}
	if st := r.iface.Snapshot(); st.Bytes != 330 {
		t.Errorf("engine bytes %d, want 330", st.Bytes)
	}
}
