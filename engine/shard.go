package engine

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sharding one interface over several owner goroutines
// (docs/ingest-scaling.md §3). With Configuration.Shards = N > 1:
//
//   - a flow belongs to shard hash(canonical key) mod N, so both directions
//     of a flow meet in one shard; each shard has its own queue, flow index,
//     flow slabs, interface counters and goroutine;
//   - the collector's goroutine splits each batch (Enqueue): one hash per
//     record, the record indexes of each shard in Batch.parts, the batch
//     itself shared (each shard touches only its records) and recycled by
//     the last shard done with it; probe events, counters and listening
//     ports go to shard 0;
//   - hosts and local networks are one table shared by the shards under one
//     lock (hostTable.hmu), taken per record once the flow is found, so a
//     host always has its full counters and a flow's hosts, host limits
//     and host purge stay what they are with one shard; observers (Lua flow
//     scripts, one state per shard) run under it too, since they read the
//     flow's hosts;
//   - Do stops every shard between two batches (a barrier) and runs fn in
//     the caller over the view, a Tables that reads its shards;
//   - flow IDs stay unique: a shard's slot generations are its index
//     modulo N, so an ID names its shard.
//
// With N = 1 none of this runs: no split, no lock, Do in the owner.

// hostTable is an interface's hosts and local networks: shared by the
// shards of a sharded interface (hmu held), owned by the one owner
// goroutine otherwise (hmu nil).
type hostTable struct {
	hmu *sync.Mutex

	hostMap    map[hostKey]uint32
	hostChunks []*[hostChunk]Host
	hostFree   []uint32
	hostSlots  uint32
	hostCursor uint32

	nets []NetworkStats

	// Host counts for the interface stats, readable by every shard
	// without the lock.
	numHosts, localHosts, hostsExpired atomic.Uint64

	// maxIdle is the flow idle timeout probe events set in shard 0, for
	// the other shards (seconds).
	maxIdle atomic.Uint32
}

func (h *hostTable) lockHosts() {
	if h.hmu != nil {
		h.hmu.Lock()
	}
}

func (h *hostTable) unlockHosts() {
	if h.hmu != nil {
		h.hmu.Unlock()
	}
}

// maxShards bounds Configuration.Shards: more owner goroutines than that
// per interface only add lock traffic on the shared hosts.
const maxShards = 64

// addShards builds the interface's shards and, when there are several,
// the shared host table and the view.
func (i *Interface) addShards(cfg Configuration) {
	n := cfg.Shards
	scfg := cfg
	scfg.MaxFlows = shardMaxFlows(cfg.MaxFlows, n) // -X is per interface
	var hosts *hostTable
	for k := 0; k < n; k++ {
		t := newTables(i, scfg)
		t.shard, t.nShards = k, n
		if k == 0 {
			hosts = t.hostTable
			if n > 1 {
				hosts.hmu = new(sync.Mutex)
			}
		} else {
			t.hostTable = hosts
		}
		i.shards = append(i.shards, &shard{i: i, t: t, queue: make(chan *Batch, cfg.QueueLen),
			doCh: make(chan doReq), exited: make(chan struct{})})
	}
	hosts.maxIdle.Store(i.shards[0].t.maxIdle)
	i.tables = i.shards[0].t
	if n == 1 {
		return
	}
	v := newTables(i, cfg)
	v.hostTable, v.nShards = hosts, n
	for _, s := range i.shards {
		v.shards = append(v.shards, s.t)
	}
	i.view = v
	i.part = newKeySeed()
}

// Shards is the number of owner goroutines the interface's flows are
// split over.
func (i *Interface) Shards() int { return len(i.shards) }

// ShardFlowRecords is the flow records each shard accepted, as last
// published (/metrics).
func (i *Interface) ShardFlowRecords() []uint64 {
	out := make([]uint64, len(i.shards))
	for k, s := range i.shards {
		s.snapMu.Lock()
		out[k] = s.snap.FlowRecords
		s.snapMu.Unlock()
	}
	return out
}

// shardOf is the shard of r: the hash of its canonical key after §6.1's
// port and version fix-ups (preprocess, as processFlow keys it), so that both
// directions of a flow land in one shard. A record processFlow drops
// (mismatched versions) goes to shard 0, which counts it.
func (i *Interface) shardOf(r *FlowRecord) int {
	src, dst, ok := preprocess(r)
	if !ok {
		return 0
	}
	sa, da := src.As16(), dst.As16()
	k, _ := makeKey(&sa, &da, r.SrcPort, r.DstPort, r.VLAN, r.Proto, r.PrivateID)
	// The interface's own seed: a shard's flow index hashes with another
	// one, so its keys do not cluster in one range of the index.
	return int(uint64(i.part.hash(&k)) * uint64(len(i.shards)) >> 32)
}

// split fills b.parts: the indexes of b's flow records per shard.
func (i *Interface) split(b *Batch) {
	n := len(i.shards)
	if len(b.parts) != n {
		b.parts = make([][]uint32, n)
	}
	for k := range b.parts {
		b.parts[k] = b.parts[k][:0]
	}
	for x := range b.Flows {
		k := i.shardOf(&b.Flows[x])
		b.parts[k] = append(b.parts[k], uint32(x))
	}
}

// hasWork tells whether shard k has records of b to process.
func (b *Batch) hasWork(k int) bool {
	return len(b.parts[k]) > 0 || (k == 0 && len(b.Events)+len(b.Counters)+len(b.Listening) > 0)
}

// enqueueShards is Enqueue and EnqueueWait on a sharded interface: b goes
// to every shard that has records in it. The flow records of a part a full
// queue refuses are counted as queue drops, and the batch once (as with one
// shard, QueueFullBatches and QueueWaits count Enqueue calls). It reports
// whether nothing was dropped.
func (i *Interface) enqueueShards(b *Batch, cancel <-chan struct{}, wait bool) bool {
	i.split(b)
	// Which shards have work, noted before the first send: b may be
	// recycled by the shards before the loop below ends.
	var parts [maxShards]bool
	n := int32(0)
	for k := range i.shards {
		if parts[k] = b.hasWork(k); parts[k] {
			n++
		}
	}
	if n == 0 {
		i.recycle(b)
		return true
	}
	b.refs.Store(n)
	refused, dropped, waited := false, 0, false
	for k, s := range i.shards {
		if !parts[k] {
			continue
		}
		flows := len(b.parts[k])
		if i.send(s, b, cancel, wait, &waited) {
			continue
		}
		refused = true
		dropped += flows
		if b.refs.Add(-1) == 0 {
			i.recycle(b)
		}
	}
	if !refused {
		return true
	}
	i.queueDrops.Add(1)
	i.queueDropFlows.Add(uint64(dropped))
	return false
}

// processPart applies this shard's part of a split batch.
func (t *Tables) processPart(b *Batch) {
	t.setNow(t.cfg.Now())
	t.syncIdle()
	for _, x := range b.parts[t.shard] {
		t.processFlow(&b.Flows[x])
	}
	if t.shard == 0 {
		t.processOther(b)
	}
}

// syncIdle gives a shard other than 0 the flow idle timeout shard 0's probe
// events set.
func (t *Tables) syncIdle() {
	if t.shard == 0 {
		return
	}
	if m := t.hostTable.maxIdle.Load(); m != t.maxIdle {
		t.maxIdle = m
		t.stats.FlowMaxIdle = time.Duration(m) * time.Second
	}
}

// doShards is Do on a sharded interface. From a shard's goroutine (an
// observer) fn runs inline on that shard's tables: its own flows and the
// shared hosts. Otherwise every running shard parks between two batches
// (after the batches queued before the call, for Do), fn runs here over
// the view, and the shards go on.
func (i *Interface) doShards(fn func(*Tables), drain bool) {
	var me int64
	if g := i.barrierG.Load(); g != 0 && g == goid() {
		fn(i.view) // a Do inside a Do's fn: the shards are parked already
		return
	}
	for _, s := range i.shards {
		id := s.ownerID.Load()
		if id == 0 {
			continue
		}
		if me == 0 {
			me = goid()
		}
		if id == me {
			fn(s.t)
			return
		}
	}
	// One barrier at a time: two would each hold some shards parked and
	// wait for the others.
	i.doMu.Lock()
	defer i.doMu.Unlock()
	req := doReq{drain: drain, park: make(chan struct{}, len(i.shards)), release: make(chan struct{})}
	parked := 0
	var held []*shard
	for _, s := range i.shards {
		if s.ownerID.Load() != 0 {
			select {
			case s.doCh <- req:
				parked++
				continue
			case <-s.exited:
			}
		}
		s.mu.Lock() // not running (before Start, after Stop): serialized as with one owner
		held = append(held, s)
	}
	for ; parked > 0; parked-- {
		<-req.park
	}
	i.barrierG.Store(goid())
	fn(i.view)
	i.barrierG.Store(0)
	i.publish()
	close(req.release)
	for _, s := range held {
		s.mu.Unlock()
	}
}

// shardOfFlow is the shard a flow of the view belongs to (its ID's
// generation, see newFlow).
func (t *Tables) shardOfFlow(f *Flow) *Tables {
	return t.shards[int(f.gen)%len(t.shards)]
}

// addShard adds another shard's counters to s (shard 0's): the flow
// counters, drops and throughputs add up; host counts, probe figures and
// times are the interface's already.
func (s *InterfaceStats) addShard(o *InterfaceStats) {
	s.Bytes += o.Bytes
	s.Packets += o.Packets
	s.BytesUpload += o.BytesUpload
	s.BytesDownload += o.BytesDownload
	s.PacketsUpload += o.PacketsUpload
	s.PacketsDownload += o.PacketsDownload
	s.Local2Remote += o.Local2Remote
	s.Remote2Local += o.Remote2Local
	s.ThroughputBps += o.ThroughputBps
	s.ThroughputPps += o.ThroughputPps
	s.UploadBps += o.UploadBps
	s.UploadPps += o.UploadPps
	s.DownloadBps += o.DownloadBps
	s.DownloadPps += o.DownloadPps
	s.ActiveFlows += o.ActiveFlows
	s.TotalFlows += o.TotalFlows
	s.FlowRecords += o.FlowRecords
	s.Events += o.Events
	s.Counters += o.Counters
	s.TCPRetransmissions += o.TCPRetransmissions
	s.TCPOutOfOrder += o.TCPOutOfOrder
	s.TCPLost += o.TCPLost
	s.DropsMaxFlows += o.DropsMaxFlows
	s.DropsMaxHosts += o.DropsMaxHosts
	s.DropsIPMismatch += o.DropsIPMismatch
	s.FlowsExpired += o.FlowsExpired
	s.sumDrops()
}

// viewExporters is the distinct exporters of every shard.
func (t *Tables) viewExporters() []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, s := range t.shards {
		for _, a := range s.exporters {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}
