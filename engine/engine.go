// Package engine is flowgate's flow/host engine: per-interface flow and host
// tables fed by collectors, with ntopng's ZMQ flow semantics, lifecycle
// events for the Lua runtime and consistent reads for REST. Section numbers
// (§N) in this package's comments are sections of docs/zmq-wire.md.
package engine

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Engine holds the interfaces. New does no I/O; Start launches one goroutine
// per interface.
type Engine struct {
	cfg       Configuration
	mu        sync.Mutex
	ifaces    []*Interface
	factories []ObserverFactory
	stop      chan struct{}
	wg        sync.WaitGroup
	running   bool
	pauses    *prometheus.HistogramVec
}

// New returns an inert engine; zero Configuration fields take DefaultConfiguration values.
func New(cfg Configuration) *Engine {
	e := &Engine{cfg: cfg.withDefaults(), pauses: newPauseHistogram()}
	e.registerMetrics(cfg.Metrics)
	return e
}

// Config is the effective configuration.
func (e *Engine) Config() Configuration { return e.cfg }

// AddInterface adds an interface; ids are 0, 1, 2... in call order. kind is
// "zmq", "pcap", "syslog"...
func (e *Engine) AddInterface(name, kind string) *Interface {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := &Interface{
		id:   len(e.ifaces),
		name: name,
		kind: kind,
		eng:  e,
		free: make(chan *Batch, freeBatches(e.cfg)),
	}
	i.pauses = e.pauseObservers(i.id, name)
	i.addShards(e.cfg)
	i.publish()
	e.ifaces = append(e.ifaces, i)
	return i
}

// Interfaces returns all interfaces in id order.
func (e *Engine) Interfaces() []*Interface {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Interface(nil), e.ifaces...)
}

// Interface returns the interface with id ifid, or nil.
func (e *Engine) Interface(ifid int) *Interface {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ifid < 0 || ifid >= len(e.ifaces) {
		return nil
	}
	return e.ifaces[ifid]
}

// Observe registers an observer factory; call before Start.
func (e *Engine) Observe(f ObserverFactory) {
	e.mu.Lock()
	e.factories = append(e.factories, f)
	e.mu.Unlock()
}

// Start launches the interface goroutines (one per shard), each with its
// own observers: a Lua flow-script state per shard.
func (e *Engine) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running {
		return errors.New("engine: already started")
	}
	if e.stop != nil {
		return errors.New("engine: cannot restart a stopped engine")
	}
	// No interface is a valid appliance: a trap receiver or an SNMP poller
	// alone still serves REST, scripts and recipients.
	e.stop = make(chan struct{})
	for _, i := range e.ifaces {
		for _, s := range i.shards {
			started := make(chan struct{})
			e.wg.Add(1)
			go func(s *shard) {
				defer e.wg.Done()
				var obs FlowObserver
				var multi multiObserver
				for _, f := range e.factories {
					if o := f(i); o != nil {
						multi = append(multi, o)
					}
				}
				switch len(multi) {
				case 0:
				case 1:
					obs = multi[0]
				default:
					obs = multi
				}
				s.run(obs, started, e.stop)
			}(s)
			<-started
		}
	}
	e.running = true
	return nil
}

// Stop drains every queue, ends every flow (FlowEnd fires) and waits for the
// interface goroutines.
func (e *Engine) Stop() {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return
	}
	e.running = false
	close(e.stop)
	e.mu.Unlock()
	e.wg.Wait()
}
