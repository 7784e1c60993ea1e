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
}

// firstFlows is the record capacity a fresh batch starts with: one
// allocation instead of eight doublings that copy 664-byte records (the
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

type doReq struct {
	fn    func(*Tables)
	done  chan struct{}
	drain bool // apply the batches queued before it first (Do; not Read)
}

// Interface is one engine interface (one -i): its tables live in one goroutine.
type Interface struct {
	id   int
	name string
	kind string
	eng  *Engine

	queue chan *Batch
	doCh  chan doReq
	free  chan *Batch // recycled batches, kept across GC cycles (sync.Pool is not)

	resetBase atomic.Pointer[InterfaceStats] // ResetStats: what the shown counters start from
	resetReq  atomic.Bool                    // RequestResetStats: applied at the next tick

	queueDrops     atomic.Uint64 // batches refused by Enqueue
	queueDropFlows atomic.Uint64 // flow records in them
	queueWaits     atomic.Uint64 // EnqueueWait calls that found the queue full
	queueWaitNanos atomic.Uint64 // time they waited

	pauses        pauseObservers // owner goroutine's work durations (metrics.go)
	maxBatchNanos atomic.Int64   // longest batch since start

	collector CollectorStats

	mu      sync.Mutex // held by the owner goroutine for its whole life; inline Do otherwise
	tables  *Tables
	ownerID atomic.Int64 // goroutine id of the owner while it runs
	exited  chan struct{}

	snapMu sync.Mutex
	snap   InterfaceStats

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

// freeBatches bounds the recycled batches an interface keeps. Not a
// sync.Pool: the pool is emptied every other GC cycle, and each fresh batch
// then regrew its records slice by doubling, copying 664-byte records
// (13–19 % of the collector's CPU on new flows in a profile; firstFlows
// removes the doubling). Not as long as the queue either: a batch of 128
// records is 85 KB, and keeping the 1024 a full queue once held cost
// 60–90 MB of resident memory for good.
const freeBatches = 64

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
// Enqueue returns false. b must not be used after the call.
func (i *Interface) Enqueue(b *Batch) bool {
	select {
	case i.queue <- b:
		return true
	default:
		i.queueDrops.Add(1)
		i.queueDropFlows.Add(uint64(len(b.Flows)))
		i.recycle(b)
		return false
	}
}

// EnqueueWait hands b to the interface goroutine, waiting while the queue is
// full: for transports that can hold data back (TCP, where the sender's
// window and high-water mark absorb the stall), so a busy engine slows the
// sender down instead of losing records. Waits are counted (QueueWaits).
// It gives up when cancel is closed or the interface goroutine has ended:
// b is then counted as a queue drop, like Enqueue's, and it returns false.
// b must not be used after the call.
func (i *Interface) EnqueueWait(b *Batch, cancel <-chan struct{}) bool {
	select {
	case i.queue <- b:
		return true
	default:
	}
	i.queueWaits.Add(1)
	t0 := time.Now()
	select {
	case i.queue <- b:
		i.queueWaitNanos.Add(uint64(time.Since(t0)))
		return true
	case <-cancel:
	case <-i.exited:
	}
	i.queueWaitNanos.Add(uint64(time.Since(t0)))
	i.queueDrops.Add(1)
	i.queueDropFlows.Add(uint64(len(b.Flows)))
	i.recycle(b)
	return false
}

// Process applies b synchronously (through Do) and recycles it.
func (i *Interface) Process(b *Batch) {
	i.Do(func(t *Tables) { t.Process(b) })
	i.recycle(b)
}

// Do runs fn with the interface's tables in the owner goroutine, between
// batches, after every batch enqueued before the call, and waits for it. Called from the owner goroutine (an observer),
// it runs inline. Before Start and after Stop it runs in the caller, serialized.
func (i *Interface) Do(fn func(t *Tables)) { i.do(fn, true) }

// Read is Do for REST and UI list reads: fn runs at the owner's next pause
// between two batches, without first applying the batches still queued
// (up to a full queue: under heavy ingest, seconds of work a page would
// wait behind). It may therefore miss records enqueued just before the
// call; they are applied right after, nothing is lost. Readers that must
// see everything handed over (totals compared with what was sent) use Do.
func (i *Interface) Read(fn func(t *Tables)) { i.do(fn, false) }

func (i *Interface) do(fn func(t *Tables), drain bool) {
	if id := i.ownerID.Load(); id != 0 && id == goid() {
		fn(i.tables)
		return
	}
	if i.ownerID.Load() != 0 {
		req := doReq{fn: fn, done: make(chan struct{}), drain: drain}
		select {
		case i.doCh <- req:
			<-req.done
			return
		case <-i.exited:
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	fn(i.tables)
	i.publish()
}

// Snapshot returns the interface stats as last published by the owner (at
// least every second and after each Do).
func (i *Interface) Snapshot() InterfaceStats {
	i.snapMu.Lock()
	s := i.snap
	i.snapMu.Unlock()
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
	i.tables.fillStats()
	i.snapMu.Lock()
	i.snap = i.tables.stats
	i.snapMu.Unlock()
}

// run is the owner goroutine.
func (i *Interface) run(obs FlowObserver, started chan<- struct{}, stop <-chan struct{}) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.ownerID.Store(goid())
	defer close(i.exited)
	defer i.ownerID.Store(0)
	t := i.tables
	t.obs = obs
	t.setNow(t.cfg.Now())
	t.stats.StartTime = t.nowT
	i.publish()
	close(started)

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case b := <-i.queue:
			i.processBatch(t, b)
		case req := <-i.doCh:
			// Do's readers see every batch enqueued before they asked: a
			// REST total or a test never misses records already handed
			// over (Read's do not wait for them).
			for n := len(i.queue); req.drain && n > 0; n-- {
				i.processBatch(t, <-i.queue)
			}
			t0 := time.Now()
			req.fn(t)
			i.publish()
			close(req.done)
			i.pauses.do.Observe(time.Since(t0).Seconds())
		case <-tick.C:
			t0 := time.Now()
			t.Tick()
			i.publish()
			i.pauses.tick.Observe(time.Since(t0).Seconds())
		case <-stop:
			i.drain()
			t.endAll()
			i.publish()
			t.obs = nil
			return
		}
	}
}

// processBatch applies one queued batch, recycles it and records how long
// the owner spent on it (the engine's pause for that batch's sender).
func (i *Interface) processBatch(t *Tables, b *Batch) {
	t0 := time.Now()
	t.Process(b)
	i.recycle(b)
	d := time.Since(t0)
	i.pauses.batch.Observe(d.Seconds())
	if int64(d) > i.maxBatchNanos.Load() {
		i.maxBatchNanos.Store(int64(d))
	}
}

// drain processes what is queued, and answers pending Do calls.
func (i *Interface) drain() {
	for {
		select {
		case b := <-i.queue:
			i.tables.Process(b)
			i.recycle(b)
		case req := <-i.doCh:
			req.fn(i.tables)
			close(req.done)
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
