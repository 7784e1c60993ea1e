// Package metrics turns a component's own counters into Prometheus
// families read at scrape time. The hot path keeps its atomics and pays
// nothing: a scrape takes one snapshot of the component's stats (the same
// snapshot its REST answers use) and builds constant metrics from it.
//
// A component describes its families once, in its constructor:
//
//	c := metrics.NewCollector(p.Counters,
//		metrics.Counter("flowgate_snmp_polls_total", "Device polls.", func(c *Counters) uint64 { return c.Polls }),
//		...)
//	metrics.Register(cfg.Metrics, c)
//
// Components that belong to one engine interface register through
// ForInterface, which adds the ifid label to every family, so several
// interfaces of a kind share one family (one HELP and TYPE line).
package metrics

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Family is one metric family of a snapshot S.
type Family[S any] struct {
	desc   *prometheus.Desc
	typ    prometheus.ValueType
	values func(s *S, emit func(v float64, labelValues ...string))
}

// Counter is a family without labels whose value only grows.
func Counter[S any](name, help string, v func(*S) uint64) Family[S] {
	return Family[S]{desc: prometheus.NewDesc(name, help, nil, nil), typ: prometheus.CounterValue,
		values: func(s *S, emit func(float64, ...string)) { emit(float64(v(s))) }}
}

// Seconds is a counter of time spent, kept as nanoseconds and exported in
// seconds with their fraction (a whole-second counter hides short work).
func Seconds[S any](name, help string, nanos func(*S) uint64) Family[S] {
	return Family[S]{desc: prometheus.NewDesc(name, help, nil, nil), typ: prometheus.CounterValue,
		values: func(s *S, emit func(float64, ...string)) { emit(float64(nanos(s)) / 1e9) }}
}

// Gauge is a family without labels whose value goes up and down.
func Gauge[S any](name, help string, v func(*S) float64) Family[S] {
	return Family[S]{desc: prometheus.NewDesc(name, help, nil, nil), typ: prometheus.GaugeValue,
		values: func(s *S, emit func(float64, ...string)) { emit(v(s)) }}
}

// CounterVec is a counter family with labels; each calls emit once per
// series, with one value per label, in the order of labels.
func CounterVec[S any](name, help string, labels []string, each func(s *S, emit func(v uint64, labelValues ...string))) Family[S] {
	return Family[S]{desc: prometheus.NewDesc(name, help, labels, nil), typ: prometheus.CounterValue,
		values: func(s *S, emit func(float64, ...string)) {
			each(s, func(v uint64, lv ...string) { emit(float64(v), lv...) })
		}}
}

// GaugeVec is a gauge family with labels (see CounterVec).
func GaugeVec[S any](name, help string, labels []string, each func(s *S, emit func(v float64, labelValues ...string))) Family[S] {
	return Family[S]{desc: prometheus.NewDesc(name, help, labels, nil), typ: prometheus.GaugeValue, values: each}
}

// Vec is a family of any type with labels, for values already in float64
// (see CounterVec).
func Vec[S any](name, help string, typ prometheus.ValueType, labels []string, each func(s *S, emit func(v float64, labelValues ...string))) Family[S] {
	return Family[S]{desc: prometheus.NewDesc(name, help, labels, nil), typ: typ, values: each}
}

// Collector is a prometheus.Collector over one snapshot function.
type Collector[S any] struct {
	snapshot func() S
	families []Family[S]
}

// NewCollector returns the collector of families over snapshot, which
// is called once per scrape.
func NewCollector[S any](snapshot func() S, families ...Family[S]) *Collector[S] {
	return &Collector[S]{snapshot: snapshot, families: families}
}

// Describe sends every family's descriptor.
func (c *Collector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c.families {
		ch <- f.desc
	}
}

// Collect takes one snapshot and sends every family's series.
func (c *Collector[S]) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	for _, f := range c.families {
		f.values(&s, func(v float64, lv ...string) {
			m, err := prometheus.NewConstMetric(f.desc, f.typ, v, lv...)
			if err != nil {
				// A label count mismatch is a programming error; the
				// registry reports it to the scraper.
				m = prometheus.NewInvalidMetric(f.desc, err)
			}
			ch <- m
		})
	}
}

// Register adds c to r; a nil r (a component built without metrics, as in
// most unit tests) registers nothing. The error names the first family.
func Register(r prometheus.Registerer, cs ...prometheus.Collector) error {
	if isNil(r) {
		return nil
	}
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

// MustRegister is Register for constructors that cannot fail: a
// collision is a programming error (two components claiming one family
// with the same labels), which tests catch at wiring time.
func MustRegister(r prometheus.Registerer, cs ...prometheus.Collector) {
	if err := Register(r, cs...); err != nil {
		panic(err)
	}
}

// ForInterface returns r with the label ifid (the engine interface id, as
// the REST's ifid parameter) on every family registered through it; nil
// stays nil.
func ForInterface(r prometheus.Registerer, ifid int) prometheus.Registerer {
	if isNil(r) {
		return nil
	}
	return prometheus.WrapRegistererWith(prometheus.Labels{"ifid": strconv.Itoa(ifid)}, r)
}

// isNil is true for a nil Registerer and for a nil *prometheus.Registry
// in one (a Configuration filled from a nil registry variable).
func isNil(r prometheus.Registerer) bool {
	reg, ok := r.(*prometheus.Registry)
	return r == nil || ok && reg == nil
}

// Each emits every entry of a per-reason map (the label value is the key).
func Each(m map[string]uint64, emit func(v uint64, labelValues ...string)) {
	for k, v := range m {
		emit(v, k)
	}
}
