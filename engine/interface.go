package engine

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Batch is a set of records handed from a collector's receive goroutine to
// an interface goroutine. Get one with Interface.NewBatch; Enqueue gives it away.
type Batch struct {
	Source    int // collector-defined origin (e.g. endpoint index)
	Flows     []FlowRecord
	Events    []ProbeEvent
	Counters  []CounterRecord
	Listening []ListeningPorts

	// On a sharded interface (shard.go): the indexes of Flows each shard
	// processes, and the number of shards still to process the batch.
	parts [][]uint32
	refs  atomic.Int32
}

// firstFlows is the record capacity a fresh batch starts with: one
// allocation instead of eight doublings that copy 640-byte records (the
// first thousand batches, before the free list holds enough, cost 17 % of
// the collector's CPU on new flows that way).
const firstFlows = 128

// AddFlow appends a reset record, reusing a previous record's storage.
func (b *Batch) AddFlow() *FlowRecord {
	if len(b.Flows) < cap(b.Flows) {
		b.Flows = b.Flows[:len(b.Flows)+1]
	} else {
		if cap(b.Flows) == 0 {
			b.Flows = make([]FlowRecord, 0, firstFlows)
		}
		b.Flows = append(b.Flows, FlowRecord{})
	}
	r := &b.Flows[len(b.Flows)-1]
	r.Reset()
	return r
}

// Reset empties b, keeping capacity.
func (b *Batch) Reset() {
	b.Source = 0
	b.Flows = b.Flows[:0]
	clear(b.Events)
	b.Events = b.Events[:0]
	clear(b.Counters)
	b.Counters = b.Counters[:0]
	clear(b.Listening)
	b.Listening = b.Listening[:0]
}

// doReq is a Do or Read call for one owner goroutine: fn to run there,
// or, when fn is nil, one shard's part of a sharded Do: the shard reports
// on park and waits for release.
type doReq struct {
	fn            func(*Tables)
	done          chan struct{}
	drain         bool // apply the batches queued before it first (Do; not Read)
	park, release chan struct{}
}

// Interface is one engine interface (one -i): its tables live in one
// goroutine, or in Configuration.Shards goroutines that split its flows
// (shard.go).
type Interface struct {
	id   int
	name string
	kind string
	eng  *Engine

	shards []*shard   // the owner goroutines' state; one unless sharded
	view   *Tables    // when sharded: the interface-wide tables Do hands out
	part   keySeed    // when sharded: its hash picks a flow's shard
	doMu   sync.Mutex // when sharded: one Do barrier at a time
	// barrierG is the goroutine running a sharded Do's fn (a nested Do
	// there runs inline, as one inside the owner does).
	barrierG atomic.Int64
	free     chan *Batch // recycled batches, kept across GC cycles (sync.Pool is not)

	resetBase atomic.Pointer[InterfaceStats] // ResetStats: what the shown counters start from
	resetMu   sync.Mutex                     // shards' resetBase parts

	queueDrops     atomic.Uint64 // batches refused by Enqueue
	queueDropFlows atomic.Uint64 // flow records in them
	queueWaits     atomic.Uint64 // EnqueueWait calls that found the queue full
	queueWaitNanos atomic.Uint64 // time they waited

	pauses        pauseObservers // owner goroutines' work durations (metrics.go)
	maxBatchNanos atomic.Int64   // longest batch since start

	collector CollectorStats

	tables *Tables // shard 0's: the only ones unless sharded

	keyMu  sync.Mutex
	pubKey string
}

func (i *Interface) ID() int      { return i.id }
func (i *Interface) Name() string { return i.name }
func (i *Interface) Kind() string { return i.kind }

// Collector returns the counters the interface's collector updates.
func (i *Interface) Collector() *CollectorStats { return &i.collector }

// SetPublicKeyHex records the CURVE public key shown in the interface data.
func (i *Interface) SetPublicKeyHex(k string) {
	i.keyMu.Lock()
	i.pubKey = k
	i.keyMu.Unlock()
}

// PublicKeyHex returns what SetPublicKeyHex stored.
func (i *Interface) PublicKeyHex() string {
	i.keyMu.Lock()
	defer i.keyMu.Unlock()
	return i.pubKey
}

// freeBatches is how many recycled batches an interface keeps: as many as
// can be in flight with the queues full (QueueLen queued, one being applied
// per shard, one being filled by the collector, one spare), so the list
// never runs empty in steady state. With 64 it did whenever more than 64
// batches were queued, and each miss allocated an 80 KB batch that kept the
// GC busy (7.6 % of the collector's CPU on TLV updates, docs/ingest-scaling.md
// §4.2). Not a sync.Pool: the pool is emptied every other GC cycle. The
// memory it keeps is what the queues held at their fullest: with the default
// QueueLen of 128 and one shard, at most 131 batches of 128 records (640 B
// each): 10.5 MB per interface, reached only once the queue has filled.
func freeBatches(cfg Configuration) int { return cfg.QueueLen + cfg.Shards + 2 }

// NewBatch returns an empty batch, recycled when one is free.
func (i *Interface) NewBatch() *Batch {
	select {
	case b := <-i.free:
		return b
	default:
		return &Batch{}
	}
}

// Recycle returns an unused batch to the pool (a collector that decoded
// nothing from a message gives its batch back instead of enqueueing it).
func (i *Interface) Recycle(b *Batch) { i.recycle(b) }

func (i *Interface) recycle(b *Batch) {
	b.Reset()
	select {
	case i.free <- b:
	default: // enough kept: left to the GC
	}
}

// Enqueue hands b to the interface goroutine without blocking. When the queue
// is full b is recycled, counted as a queue drop with its flow records, and
// Enqueue returns false. b must not be used after the call. On a sharded
// interface b is split over the shards' queues (shard.go) and a full queue
// drops only that shard's part.
func (i *Interface) Enqueue(b *Batch) bool { return i.enqueue(b, nil, false) }

// EnqueueWait hands b to the interface goroutine, waiting while the queue is
// full: for transports that can hold data back (TCP, where the sender's
// window and high-water mark absorb the stall), so a busy engine slows the
// sender down instead of losing records. Waits are counted (QueueWaits).
// It gives up when cancel is closed or the interface goroutine has ended:
// b is then counted as a queue drop, like Enqueue's, and it returns false.
// b must not be used after the call.
func (i *Interface) EnqueueWait(b *Batch, cancel <-chan struct{}) bool {
	return i.enqueue(b, cancel, true)
}

// enqueue is Enqueue (wait false) and EnqueueWait (wait true).
func (i *Interface) enqueue(b *Batch, cancel <-chan struct{}, wait bool) bool {
	if i.view != nil {
		return i.enqueueShards(b, cancel, wait)
	}
	var waited bool
	if i.send(i.shards[0], b, cancel, wait, &waited) {
		return true
	}
	i.queueDrops.Add(1)
	i.queueDropFlows.Add(uint64(len(b.Flows)))
	i.recycle(b)
	return false
}

// send puts b on s's queue. With wait it waits while the queue is full
// until cancel closes or s has ended; the first wait of an Enqueue call
// (waited still false) is counted in QueueWaits.
func (i *Interface) send(s *shard, b *Batch, cancel <-chan struct{}, wait bool, waited *bool) bool {
	select {
	case s.queue <- b:
		return true
	default:
	}
	if !wait {
		return false
	}
	if !*waited {
		*waited = true
		i.queueWaits.Add(1)
	}
	t0 := time.Now()
	ok := false
	select {
	case s.queue <- b:
		ok = true
	case <-cancel:
	case <-s.exited:
	}
	i.queueWaitNanos.Add(uint64(time.Since(t0)))
	return ok
}

// Process applies b synchronously (through Do) and recycles it.
func (i *Interface) Process(b *Batch) {
	i.Do(func(t *Tables) { t.Process(b) })
	i.recycle(b)
}

// Do runs fn with the interface's tables in the owner goroutine, between
// batches, after every batch enqueued before the call, and waits for it.
// Called from the owner goroutine (an observer), it runs inline. Before
// Start and after Stop it runs in the caller, serialized. On a sharded
// interface every shard stops between two batches and fn runs in the
// caller over all of them (shard.go).
func (i *Interface) Do(fn func(t *Tables)) { i.do(fn, true) }

// Read is Do for REST and UI list reads: fn runs at the owner's next pause
// between two batches, without first applying the batches still queued
// (up to a full queue: under heavy ingest, seconds of work a page would
// wait behind). It may therefore miss records enqueued just before the
// call; they are applied right after, nothing is lost. Readers that must
// see everything handed over (totals compared with what was sent) use Do.
func (i *Interface) Read(fn func(t *Tables)) { i.do(fn, false) }

func (i *Interface) do(fn func(t *Tables), drain bool) {
	if i.view != nil {
		i.doShards(fn, drain)
		return
	}
	s := i.shards[0]
	if id := s.ownerID.Load(); id != 0 && id == goid() {
		fn(s.t)
		return
	}
	if s.ownerID.Load() != 0 {
		req := doReq{fn: fn, done: make(chan struct{}), drain: drain}
		select {
		case s.doCh <- req:
			<-req.done
			return
		case <-s.exited:
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.t)
	s.publish()
}

// Snapshot returns the interface stats as last published by the owners (at
// least every second and after each Do), summed over shards.
func (i *Interface) Snapshot() InterfaceStats {
	s := i.shards[0].snapshot()
	for _, o := range i.shards[1:] {
		x := o.snapshot()
		s.addShard(&x)
	}
	i.queueStats(&s)
	return s
}

// queueStats fills the counters collectors update from their own
// goroutines (queue drops and waits) and the longest batch, then the drop
// total.
func (i *Interface) queueStats(s *InterfaceStats) {
	s.QueueFullBatches = i.queueDrops.Load()
	s.DropsQueueFull = i.queueDropFlows.Load()
	s.QueueWaits = i.queueWaits.Load()
	s.QueueWaitTime = time.Duration(i.queueWaitNanos.Load())
	s.MaxBatchTime = time.Duration(i.maxBatchNanos.Load())
	s.sumDrops()
}

func (i *Interface) publish() {
	for _, s := range i.shards {
		s.publish()
	}
}

// shard is one owner goroutine's state: its queue, its tables and the
// channel Do reaches it by. An interface has one unless sharded.
type shard struct {
	i       *Interface
	t       *Tables
	queue   chan *Batch
	doCh    chan doReq
	mu      sync.Mutex   // held by the owner goroutine for its whole life; inline Do otherwise
	ownerID atomic.Int64 // goroutine id of the owner while it runs
	exited  chan struct{}

	snapMu sync.Mutex
	snap   InterfaceStats

	resetReq  atomic.Bool    // RequestResetStats: applied at the shard's next tick
	resetBase InterfaceStats // the shard's part of Interface.resetBase (resetMu)
}

func (s *shard) publish() {
	s.t.fillStats()
	s.snapMu.Lock()
	s.snap = s.t.stats
	s.snapMu.Unlock()
}

func (s *shard) snapshot() InterfaceStats {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	return s.snap
}

// run is the owner goroutine.
func (s *shard) run(obs FlowObserver, started chan<- struct{}, stop <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ownerID.Store(goid())
	defer close(s.exited)
	defer s.ownerID.Store(0)
	t := s.t
	t.obs = obs
	t.setNow(t.cfg.Now())
	t.stats.StartTime = t.nowT
	s.publish()
	close(started)

	pauses := &s.i.pauses
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case b := <-s.queue:
			s.processBatch(b)
		case req := <-s.doCh:
			// Do's readers see every batch enqueued before they asked: a
			// REST total or a test never misses records already handed
			// over (Read's do not wait for them).
			for n := len(s.queue); req.drain && n > 0; n-- {
				s.processBatch(<-s.queue)
			}
			t0 := time.Now()
			s.answer(req)
			pauses.do.Observe(time.Since(t0).Seconds())
		case <-tick.C:
			t0 := time.Now()
			t.Tick()
			s.publish()
			pauses.tick.Observe(time.Since(t0).Seconds())
		case <-stop:
			s.drain()
			t.endAll()
			s.publish()
			t.obs = nil
			return
		}
	}
}

// answer runs a Do request: its fn here, or (a sharded Do) parks until the
// caller has run fn over every shard.
func (s *shard) answer(req doReq) {
	if req.fn == nil {
		req.park <- struct{}{}
		<-req.release
		return
	}
	req.fn(s.t)
	s.publish()
	close(req.done)
}

// processBatch applies one queued batch (its part, when sharded), recycles
// it and records how long the owner spent on it (the engine's pause for
// that batch's sender).
func (s *shard) processBatch(b *Batch) {
	t0 := time.Now()
	if s.i.view == nil {
		s.t.Process(b)
		s.i.recycle(b)
	} else {
		s.t.processPart(b)
		if b.refs.Add(-1) == 0 {
			s.i.recycle(b)
		}
	}
	d := int64(time.Since(t0))
	s.i.pauses.batch.Observe(float64(d) / 1e9)
	for m := s.i.maxBatchNanos.Load(); d > m; m = s.i.maxBatchNanos.Load() {
		if s.i.maxBatchNanos.CompareAndSwap(m, d) {
			break
		}
	}
}

// drain processes what is queued, and answers pending Do calls.
func (s *shard) drain() {
	for {
		select {
		case b := <-s.queue:
			s.processBatch(b)
		case req := <-s.doCh:
			s.answer(req)
		default:
			return
		}
	}
}

// goid returns the current goroutine's id. Only Do uses it, to run inline
// when called from the owner goroutine (an observer calling back).
func goid() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := bytes.TrimPrefix(buf[:n], []byte("goroutine "))
	if j := bytes.IndexByte(b, ' '); j > 0 {
		id, _ := strconv.ParseInt(string(b[:j]), 10, 64)
		return id
	}
	return -1
}
