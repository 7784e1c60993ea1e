package vm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBudget is the cause of a call stopped by the watchdog.
var ErrBudget = errors.New("call budget exceeded")

// Watchdog stops Lua calls that overrun their budget. One goroutine serves
// every State: a call publishes (sequence, start tick) with one atomic store,
// and the watchdog, ticking on its own, closes the state's abort channel when
// a call is older than its budget. The hot path never reads the clock and
// never starts a goroutine or a timer.
type Watchdog struct {
	tick  time.Duration
	ticks atomic.Int64 // ticks since Start; 0 is "not started"

	mu     sync.Mutex
	states map[*budgetCtx]struct{}
	stop   chan struct{}
	done   chan struct{}
}

// NewWatchdog returns a watchdog with the given resolution (default 10 ms).
// It does nothing until Start.
func NewWatchdog(tick time.Duration) *Watchdog {
	if tick <= 0 {
		tick = 10 * time.Millisecond
	}
	w := &Watchdog{tick: tick, states: make(map[*budgetCtx]struct{})}
	w.ticks.Store(1)
	return w
}

// Start launches the watchdog goroutine.
func (w *Watchdog) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return
	}
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go w.run(w.stop, w.done)
}

// Stop ends the watchdog goroutine; calls are no longer limited.
func (w *Watchdog) Stop() {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.stop, w.done = nil, nil
	w.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (w *Watchdog) run(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			now := w.ticks.Add(1)
			w.mu.Lock()
			for c := range w.states {
				c.check(now)
			}
			w.mu.Unlock()
		}
	}
}

func (w *Watchdog) add(c *budgetCtx) {
	w.mu.Lock()
	w.states[c] = struct{}{}
	w.mu.Unlock()
}

func (w *Watchdog) remove(c *budgetCtx) {
	w.mu.Lock()
	delete(w.states, c)
	w.mu.Unlock()
}

// budgetCtx is the permanent context of one LState. gopher-lua polls Done()
// before every instruction; it is an open channel until the watchdog aborts
// the running call.
type budgetCtx struct {
	w     *Watchdog
	abort atomic.Pointer[chan struct{}]
	// call is seq<<32 | startTick of the running call, 0 when idle, or
	// aborted when the watchdog claimed the call.
	call   atomic.Uint64
	limit  atomic.Int64 // budget of the running call in ticks
	seq    uint32       // owner goroutine only
	budget time.Duration
}

const aborted = ^uint64(0)

func newBudgetCtx(w *Watchdog) *budgetCtx {
	c := &budgetCtx{w: w}
	ch := make(chan struct{})
	c.abort.Store(&ch)
	return c
}

// begin marks the start of a limited call (owner goroutine).
func (c *budgetCtx) begin(budget time.Duration) {
	if budget <= 0 || c.w == nil {
		return
	}
	c.seq++
	if c.seq == 0 {
		c.seq = 1
	}
	if budget != c.budget {
		c.budget = budget
		n := int64(budget / c.w.tick)
		if n < 1 {
			n = 1
		}
		c.limit.Store(n)
	}
	c.call.Store(uint64(c.seq)<<32 | uint64(uint32(c.w.ticks.Load())))
}

// end marks the end of the call; it reports whether the watchdog aborted it
// and, if so, arms a fresh abort channel for the next call.
func (c *budgetCtx) end() (wasAborted bool) {
	if c.w == nil {
		return false
	}
	if c.call.Swap(0) != aborted {
		return false
	}
	ch := make(chan struct{})
	c.abort.Store(&ch)
	return true
}

// check runs in the watchdog goroutine.
func (c *budgetCtx) check(now int64) {
	v := c.call.Load()
	if v == 0 || v == aborted {
		return
	}
	start := uint32(v)
	if int64(uint32(now)-start) <= c.limit.Load() {
		return
	}
	ch := c.abort.Load()
	if c.call.CompareAndSwap(v, aborted) {
		close(*ch)
	}
}

func (c *budgetCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *budgetCtx) Done() <-chan struct{}       { return *c.abort.Load() }
func (c *budgetCtx) Value(any) any               { return nil }
func (c *budgetCtx) Err() error {
	select {
	case <-*c.abort.Load():
		return fmt.Errorf("%w (%v)", ErrBudget, c.budget)
	default:
		return nil
	}
}

var _ context.Context = (*budgetCtx)(nil)
