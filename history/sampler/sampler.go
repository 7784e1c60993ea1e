// Package sampler fills the time-series store from the engine at each
// schema's step, as ntopng's second, minute and 5-minute periodic scripts
// do: interface counters every second (from the published snapshot, no
// lock on the tables), interface, protocol and network series every
// minute and local hosts every 5 minutes (one Interface.Do that copies
// numbers; names, rates and the database write happen after it, off the
// engine's goroutine).
package sampler

import (
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine"
	"flowgate/engine/ndpi"
	"flowgate/history"
	"flowgate/internal/metrics"
)

// Configuration of the sampler.
type Configuration struct {
	// Tick is the 1 s schemas' period; the 60 s and 300 s schemas are
	// sampled on the first tick of each minute and 5 minutes.
	Tick    time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics prometheus.Registerer
}

// DefaultConfiguration ticks every second on the wall clock.
func DefaultConfiguration() Configuration { return Configuration{Tick: time.Second, Now: time.Now} }

// Counters of the sampler.
type Counters struct {
	Rounds      uint64 `json:"rounds"`
	Samples     uint64 `json:"samples"`
	WriteErrors uint64 `json:"write_errors"`
	BusyNanos   uint64 `json:"busy_ns"`   // time spent sampling and writing
	EngineNanos uint64 `json:"engine_ns"` // of which inside Interface.Do (the engine waits)
}

// Sampler is the component.
type Sampler struct {
	cfg   Configuration
	eng   *engine.Engine
	store *history.Store

	mu    sync.Mutex // one round at a time
	last  map[int64]int64
	hosts []hostRow
	l7    []engine.HostL7
	batch []history.Sample

	stop chan struct{}
	done chan struct{}

	rounds, samples, writeErrs, busy, inDo atomic.Uint64
}

// hostRow is what the 5-minute round copies of a local host inside Do.
type hostRow struct {
	ip       netip.Addr
	vlan     uint16
	traffic  engine.Traffic
	cli, srv uint32
	l4       [engine.NumL4Classes]engine.Traffic
	l7lo     int // its entries in Sampler.l7
	l7hi     int
}

// New returns an inert sampler.
func New(cfg Configuration, eng *engine.Engine, store *history.Store) *Sampler {
	def := DefaultConfiguration()
	if cfg.Tick <= 0 {
		cfg.Tick = def.Tick
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Sampler{cfg: cfg, eng: eng, store: store, last: map[int64]int64{}}
	metrics.MustRegister(cfg.Metrics, metrics.NewCollector(s.Counters,
		metrics.Counter("flowgate_timeseries_sampler_rounds_total", "Time-series sampling rounds.", func(c *Counters) uint64 { return c.Rounds }),
		metrics.Counter("flowgate_timeseries_sampler_samples_total", "Samples taken from the engine.", func(c *Counters) uint64 { return c.Samples }),
		metrics.Counter("flowgate_timeseries_sampler_write_errors_total", "Sampling rounds whose points were not stored.", func(c *Counters) uint64 { return c.WriteErrors }),
		metrics.Seconds("flowgate_timeseries_sampler_busy_seconds_total", "Time spent sampling and writing.", func(c *Counters) uint64 { return c.BusyNanos }),
		metrics.Seconds("flowgate_timeseries_sampler_engine_seconds_total", "Time the engine waited for the sampler's reads.", func(c *Counters) uint64 { return c.EngineNanos }),
	))
	return s
}

// Counters returns the sampler's counters.
func (s *Sampler) Counters() Counters {
	return Counters{Rounds: s.rounds.Load(), Samples: s.samples.Load(), WriteErrors: s.writeErrs.Load(), BusyNanos: s.busy.Load(),
		EngineNanos: s.inDo.Load()}
}

// Start starts the ticker.
func (s *Sampler) Start() error {
	if s.eng == nil || s.store == nil {
		return errors.New("time-series sampler: no engine or store")
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.cfg.Tick)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.Round(s.cfg.Now())
			}
		}
	}()
	return nil
}

// Stop stops the ticker (a round in progress finishes).
func (s *Sampler) Stop() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.stop = nil
}

// due reports whether step's period changed since the last round.
func (s *Sampler) due(step, now int64) bool {
	p := now / step
	if last, ok := s.last[step]; ok && last == p {
		return false
	}
	s.last[step] = p
	return true
}

// Round samples every interface at now: the 1 s schemas always, the 60 s
// and 300 s schemas on the first round of their period. The background
// ticker calls it; tests call it with a fake clock.
func (s *Sampler) Round(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	t := now.Unix()
	minute, five := s.due(60, t), s.due(300, t)
	s.batch = s.batch[:0]
	for _, i := range s.eng.Interfaces() {
		s.second(i, t)
		if minute {
			s.minute(i, t)
		}
		if five {
			s.fiveMinutes(i, t)
		}
	}
	n := len(s.batch)
	if err := s.store.Append(s.batch); err != nil {
		s.writeErrs.Add(1)
	}
	clear(s.batch) // keep no tag strings alive until the next round
	s.rounds.Add(1)
	s.samples.Add(uint64(n))
	s.busy.Add(uint64(time.Since(start)))
}

func (s *Sampler) add(sc *history.Schema, t int64, tags []string, vals ...float64) {
	s.batch = append(s.batch, history.Sample{Schema: sc, Tags: tags, Values: vals, T: t})
}

// second samples the 1 s schemas from the published snapshot.
func (s *Sampler) second(i *engine.Interface, t int64) {
	st := i.Snapshot()
	id := []string{strconv.Itoa(i.ID())}
	s.add(history.IfaceTraffic, t, id, float64(st.Bytes))
	// A flow collector has no ingress/egress port: upload (local to
	// remote) is what the interface sent, download what it received.
	s.add(history.IfaceTrafficRxTx, t, id, float64(st.BytesUpload), float64(st.BytesDownload))
	s.add(history.IfacePackets, t, id, float64(st.Packets))
	if i.Kind() == "zmq" {
		c := i.Collector()
		s.add(history.IfaceZMQRecvFlows, t, id, float64(st.FlowRecords))
		s.add(history.IfaceZMQRcvdMsgs, t, id, float64(c.MsgsRcvd.Load()))
		s.add(history.IfaceZMQMsgDrops, t, id, float64(c.MsgDrops.Load()))
		s.add(history.IfaceZMQFlowCollDrop, t, id, float64(st.DropsFlowCollection))
		s.add(history.IfaceZMQFlowUDPDrop, t, id, float64(st.DropsUDPSocket))
		s.add(history.IfaceExportedFlows, t, id, float64(st.NumFlowExports))
		s.add(history.IfaceDroppedFlows, t, id, float64(st.DroppedFlows))
	}
}

type netRow struct {
	prefix                 netip.Prefix
	ingress, egress, inner uint64
}

// minute samples the 60 s schemas (one Do copying numbers).
func (s *Sampler) minute(i *engine.Interface, t int64) {
	var st engine.InterfaceStats
	var nets []netRow
	type proto struct {
		id    uint16
		bytes uint64
	}
	var protos []proto
	i.Do(func(tb *engine.Tables) {
		defer s.timeDo(time.Now())
		st = *tb.Stats()
		for _, n := range tb.Networks() {
			nets = append(nets, netRow{n.Prefix, n.BytesIngress, n.BytesEgress, n.BytesInner})
		}
		tb.ProtocolBytes(func(p uint16, b uint64) { protos = append(protos, proto{p, b}) })
	})
	ifid := strconv.Itoa(i.ID())
	id := []string{ifid}
	s.add(history.IfaceFlows, t, id, float64(st.ActiveFlows))
	s.add(history.IfaceHosts, t, id, float64(st.Hosts))
	s.add(history.IfaceLocalHosts, t, id, float64(st.LocalHosts))
	s.add(history.IfaceNewFlows, t, id, float64(st.TotalFlows))
	s.add(history.IfaceLocal2Remote, t, id, float64(st.Local2Remote))
	s.add(history.IfaceRemote2Local, t, id, float64(st.Remote2Local))
	s.add(history.IfaceTCPRetrans, t, id, float64(st.TCPRetransmissions))
	s.add(history.IfaceTCPOOO, t, id, float64(st.TCPOutOfOrder))
	s.add(history.IfaceTCPLost, t, id, float64(st.TCPLost))
	for _, p := range protos {
		s.add(history.IfaceNDPI, t, []string{ifid, ndpi.Name(ndpi.ProtoID(p.id))}, float64(p.bytes))
	}
	for _, n := range nets {
		s.add(history.SubnetTraffic, t, []string{ifid, n.prefix.String()}, float64(n.ingress), float64(n.egress), float64(n.inner))
	}
}

func (s *Sampler) timeDo(start time.Time) { s.inDo.Add(uint64(time.Since(start))) }

// HostTag is ntopng's host tag: the address, with "@vlan" when tagged.
func HostTag(ip netip.Addr, vlan uint16) string {
	if vlan == 0 {
		return ip.String()
	}
	return ip.String() + "@" + strconv.Itoa(int(vlan))
}

// fiveMinutes samples the local hosts' 300 s schemas. Inside Do it only
// copies numbers into buffers the sampler keeps between rounds.
func (s *Sampler) fiveMinutes(i *engine.Interface, t int64) {
	rows, l7 := s.hosts[:0], s.l7[:0]
	i.Do(func(tb *engine.Tables) {
		defer s.timeDo(time.Now())
		tb.Hosts(func(h *engine.Host) bool {
			if !h.Local {
				return true
			}
			r := hostRow{ip: h.IP(), vlan: h.VLAN(), traffic: h.Traffic, cli: h.ActiveAsClient, srv: h.ActiveAsServer, l4: h.L4, l7lo: len(l7)}
			l7 = append(l7, h.L7...)
			r.l7hi = len(l7)
			rows = append(rows, r)
			return true
		})
	})
	s.hosts, s.l7 = rows, l7
	ifid := strconv.Itoa(i.ID())
	for k := range rows {
		r := &rows[k]
		host := HostTag(r.ip, r.vlan)
		s.add(history.HostTraffic, t, []string{ifid, host}, float64(r.traffic.BytesSent), float64(r.traffic.BytesRcvd))
		s.add(history.HostFlows, t, []string{ifid, host}, float64(r.cli), float64(r.srv))
		for c := range r.l4 {
			if r.l4[c].BytesSent+r.l4[c].BytesRcvd > 0 {
				s.add(history.HostL4, t, []string{ifid, host, engine.L4ClassNames[c]}, float64(r.l4[c].BytesSent), float64(r.l4[c].BytesRcvd))
			}
		}
		for _, p := range l7[r.l7lo:r.l7hi] {
			s.add(history.HostNDPI, t, []string{ifid, host, ndpi.Name(ndpi.ProtoID(p.Proto))}, float64(p.BytesSent), float64(p.BytesRcvd))
		}
	}
}
