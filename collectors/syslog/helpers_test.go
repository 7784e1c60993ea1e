package syslog

import (
	"sync"
	"testing"

	"flowgate/engine"
)

// fakeSink records events; handlers lists the producers it "has".
type fakeSink struct {
	mu       sync.Mutex
	events   []engine.LogEvent
	handlers map[string]bool
	full     bool
}

func newSink(handlers ...string) *fakeSink {
	s := &fakeSink{handlers: map[string]bool{}}
	for _, h := range handlers {
		s.handlers[h] = true
	}
	return s
}

func (s *fakeSink) Deliver(ev *engine.LogEvent) engine.LogDelivery {
	if !s.handlers[ev.Producer] {
		return engine.LogNoHandler
	}
	if s.full {
		return engine.LogDropped
	}
	s.mu.Lock()
	s.events = append(s.events, *ev)
	s.mu.Unlock()
	return engine.LogQueued
}

func (s *fakeSink) HasHandler(p string) bool { return s.handlers[p] }

func (s *fakeSink) get() []engine.LogEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]engine.LogEvent(nil), s.events...)
}

func startCollector(t testing.TB, cfg Configuration, sink engine.LogSink) *Collector {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	c := New(cfg, sink)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

type countSink struct{}

func (countSink) Deliver(*engine.LogEvent) engine.LogDelivery { return engine.LogQueued }
func (countSink) HasHandler(string) bool                      { return true }
