package metrics

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type stats struct {
	received uint64
	open     float64
	errors   map[string]uint64
}

type component struct {
	received atomic.Uint64
	errors   map[string]uint64
}

func (c *component) snapshot() stats {
	return stats{received: c.received.Load(), open: 2, errors: c.errors}
}

func newComponent(r prometheus.Registerer) *component {
	c := &component{errors: map[string]uint64{"tlv": 3, "zlib": 1}}
	MustRegister(r, NewCollector(c.snapshot,
		Counter("x_received_total", "Messages received.", func(s *stats) uint64 { return s.received }),
		Gauge("x_open", "Open connections.", func(s *stats) float64 { return s.open }),
		CounterVec("x_errors_total", "Errors by reason.", []string{"reason"}, func(s *stats, emit func(uint64, ...string)) {
			Each(s.errors, emit)
		}),
	))
	return c
}

// Two components of one kind on two interfaces share each family: one
// HELP and TYPE line, one series per ifid; values are read at scrape time.
func TestForInterfaceSharesFamilies(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newComponent(ForInterface(reg, 0))
	newComponent(ForInterface(reg, 3))
	a.received.Add(5)
	want := `# HELP x_errors_total Errors by reason.
# TYPE x_errors_total counter
x_errors_total{ifid="0",reason="tlv"} 3
x_errors_total{ifid="0",reason="zlib"} 1
x_errors_total{ifid="3",reason="tlv"} 3
x_errors_total{ifid="3",reason="zlib"} 1
# HELP x_open Open connections.
# TYPE x_open gauge
x_open{ifid="0"} 2
x_open{ifid="3"} 2
# HELP x_received_total Messages received.
# TYPE x_received_total counter
x_received_total{ifid="0"} 5
x_received_total{ifid="3"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

// The same interface registered twice is a collision, reported by
// Register and a panic in MustRegister; a nil registerer registers nothing.
func TestRegisterErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	newComponent(ForInterface(reg, 1))
	c := &component{}
	err := Register(ForInterface(reg, 1), NewCollector(c.snapshot,
		Counter("x_received_total", "Messages received.", func(s *stats) uint64 { return s.received })))
	if err == nil {
		t.Fatal("a second collector for ifid 1 was accepted")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRegister did not panic on a collision")
			}
		}()
		newComponent(ForInterface(reg, 1))
	}()
	if ForInterface(nil, 1) != nil {
		t.Error("ForInterface(nil) is not nil")
	}
	newComponent(nil) // no panic
	var none *prometheus.Registry
	newComponent(none)                  // a nil *Registry is no registry either
	newComponent(ForInterface(none, 2)) // nor labelled
	// A family whose help differs from the registered one is refused.
	err = Register(reg, NewCollector(c.snapshot,
		Counter("x_open", "Something else.", func(s *stats) uint64 { return 0 })))
	if err == nil {
		t.Error("a family with another help and type was accepted")
	}
}

// A series with the wrong number of label values is reported to the
// scraper, not sent.
func TestLabelMismatch(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := &component{}
	MustRegister(reg, NewCollector(c.snapshot,
		CounterVec("y_total", "Y.", []string{"a", "b"}, func(s *stats, emit func(uint64, ...string)) { emit(1, "only-a") })))
	if _, err := reg.Gather(); err == nil {
		t.Fatal("gather accepted a series with one label value for two labels")
	}
}
