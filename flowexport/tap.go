package flowexport

import (
	"fmt"
	"sync/atomic"
	"time"

	"flowgate/engine"
	"flowgate/internal/metrics"

	"github.com/prometheus/client_golang/prometheus"
)

// Sink takes rows from the engine's goroutines. Offer must not block and
// must copy what it keeps; it reports false when the row was dropped (its
// bounded buffer is full: the sink counts it).
type Sink interface {
	Offer(r *Row) bool
}

// Configuration of the tap.
type Configuration struct {
	// Instance is written in every row (NTOPNG_INSTANCE_NAME), so several
	// instances can share one database or topic.
	Instance string
	// PeriodicDump writes a long-lived flow every interval, with the
	// counters since its previous row (ntopng dumps active flows
	// periodically too); 0 only at the end.
	PeriodicDump time.Duration
	Metrics      prometheus.Registerer
}

// DefaultConfiguration dumps active flows every 5 minutes.
func DefaultConfiguration() Configuration {
	return Configuration{PeriodicDump: 5 * time.Minute}
}

// Counters are the tap's totals.
type Counters struct {
	Rows    uint64 `json:"rows"`    // rows handed to the sinks (each sink counts its own drops)
	Partial uint64 `json:"partial"` // of which periodic rows of active flows
	Dropped uint64 `json:"dropped"` // row offers a sink refused (full buffer)
}

// Tap observes the engine's flow events and hands rows to the sinks. It
// owns no goroutine: each interface's observer runs in that interface's.
type Tap struct {
	cfg                    Configuration
	sinks                  []Sink
	rows, partial, dropped atomic.Uint64
}

// New builds a tap feeding sinks; register its Observer with the engine
// before it starts.
func New(cfg Configuration, sinks ...Sink) (*Tap, error) {
	if cfg.PeriodicDump < 0 {
		return nil, fmt.Errorf("flowexport: negative periodic dump interval %s", cfg.PeriodicDump)
	}
	t := &Tap{cfg: cfg, sinks: sinks}
	err := metrics.Register(cfg.Metrics, metrics.NewCollector(t.Counters,
		metrics.Counter("flowgate_flowexport_rows_total", "Flow rows handed to the flow sinks (ClickHouse, Kafka).", func(c *Counters) uint64 { return c.Rows }),
		metrics.Counter("flowgate_flowexport_partial_rows_total", "Of those, periodic rows of still active flows.", func(c *Counters) uint64 { return c.Partial }),
		metrics.Counter("flowgate_flowexport_dropped_rows_total", "Row offers a flow sink refused because its buffer was full.", func(c *Counters) uint64 { return c.Dropped }),
	))
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Counters returns a snapshot.
func (t *Tap) Counters() Counters {
	return Counters{Rows: t.rows.Load(), Partial: t.partial.Load(), Dropped: t.dropped.Load()}
}

// Observer is the engine.ObserverFactory of the tap.
func (t *Tap) Observer(i *engine.Interface) engine.FlowObserver {
	if len(t.sinks) == 0 {
		return nil
	}
	return &observer{tap: t, ifid: i.ID(), dumped: make(map[uint64]dumped)}
}

// dumped is what the rows of a still active flow already carried.
type dumped struct {
	at                             uint32 // LastSeen of the previous row
	srcBytes, dstBytes, srcP, dstP uint64
}

// observer belongs to one interface goroutine: no locking.
type observer struct {
	tap    *Tap
	ifid   int
	row    Row
	dumped map[uint64]dumped // only flows that had a periodic row
}

func (o *observer) OnFlow(ev engine.FlowEvent, f *engine.Flow, now time.Time, t *engine.Tables) {
	switch ev {
	case engine.FlowEnd:
		FromFlow(&o.row, f, t, o.tap.cfg.Instance, o.ifid)
		if len(o.dumped) > 0 {
			if d, ok := o.dumped[o.row.FlowID]; ok {
				delete(o.dumped, o.row.FlowID)
				o.delta(d)
			}
		}
		o.emit(false)
	case engine.FlowPeriodicUpdate:
		every := uint32(o.tap.cfg.PeriodicDump / time.Second)
		if every == 0 {
			return
		}
		d, seen := o.dumped[f.ID()]
		since := f.FirstSeen
		if seen {
			since = d.at
		}
		// Probe time, not the wall clock: a flow whose records stopped
		// coming has nothing new to dump.
		if f.LastSeen < since+every {
			return
		}
		FromFlow(&o.row, f, t, o.tap.cfg.Instance, o.ifid)
		next := dumped{at: o.row.LastSeen, srcBytes: o.row.SrcBytes, dstBytes: o.row.DstBytes, srcP: o.row.SrcPkts, dstP: o.row.DstPkts}
		if seen {
			o.delta(d)
		}
		o.dumped[o.row.FlowID] = next
		o.emit(true)
	}
}

// delta turns the row's totals into the counters since d.
func (o *observer) delta(d dumped) {
	r := &o.row
	r.FirstSeen = max(r.FirstSeen, d.at)
	r.SrcBytes -= min(r.SrcBytes, d.srcBytes)
	r.DstBytes -= min(r.DstBytes, d.dstBytes)
	r.SrcPkts -= min(r.SrcPkts, d.srcP)
	r.DstPkts -= min(r.DstPkts, d.dstP)
}

func (o *observer) emit(partial bool) {
	o.tap.rows.Add(1)
	if partial {
		o.tap.partial.Add(1)
	}
	for _, s := range o.tap.sinks {
		if !s.Offer(&o.row) {
			o.tap.dropped.Add(1)
		}
	}
}
