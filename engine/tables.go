package engine

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"flowgate/engine/ndpi"
)

// Chunked slabs keep *Flow and *Host stable while the tables grow and avoid
// the copy (and 2× peak) of one growing slice.
const (
	flowChunkBits = 12
	flowChunk     = 1 << flowChunkBits
	hostChunkBits = 10
	hostChunk     = 1 << hostChunkBits

	// scanBudget bounds the slots one tick visits, so a big table is swept
	// over several seconds instead of stalling ingestion.
	scanBudget = 1 << 20

	probeExpiry = 1800 * time.Second // MAX_PROBE_IDLE_IDLE
	// housekeepingSecs is the floor of periodic_stats_update_frequency_secs.
	housekeepingSecs = 5
	// defaultSpeedMbit is the interface speed until a probe event reports one
	// (ntopng shows 1000 for a ZMQ interface).
	defaultSpeedMbit = 1000
)

// Tables is an interface's state: flows, hosts, networks, probe and counter
// tables. It belongs to the interface goroutine; other goroutines reach it
// only through Interface.Do. Pointers it hands out are valid during that call.
type Tables struct {
	iface *Interface
	cfg   Configuration
	obs   FlowObserver

	nowT time.Time
	now  uint32 // nowT in epoch seconds

	flowIdx    flowIndex
	flowChunks []*flowChunkT
	flowFree   [2][]uint32 // free slots of IPv4 and IPv6 chunks (allocFlowSlot)
	flowNext   [2]uint32   // next unused slot of the newest IPv4 and IPv6 chunk
	flowSlots  uint32      // slots of all chunks: flows live below

	// *hostTable is the interface's hosts and networks: shared by the
	// shards of a sharded interface (shard.go), under its lock.
	*hostTable

	stats InterfaceStats

	// Sharding (shard.go): shard is this table's index and nShards the
	// interface's shard count (1: not sharded); view is set on the
	// interface-wide view that Do hands out, which reads its shards.
	shard, nShards int
	shards         []*Tables

	thptAt, netsAt                                        int64
	thptBytes, thptPkts, upBytes, upPkts, dnBytes, dnPkts uint64

	maxIdle    uint32 // flow max idle, seconds
	probes     map[uint32]*ProbeStats
	counters   counterTable
	listening  map[netip.Addr]*listenEntry
	exporters  []netip.Addr
	exporterIx map[netip.Addr]uint16

	flowCursor uint32

	// l7Bytes is the interface's traffic per nDPI protocol (index: the
	// flow's L7 id), kept here because hosts' per-protocol counters vanish
	// when hosts are purged (the iface:ndpi time series needs a counter
	// that never goes down).
	l7Bytes []uint64
}

func (t *Tables) addL7Bytes(proto uint16, n uint64) {
	if int(proto) >= len(t.l7Bytes) {
		t.l7Bytes = append(t.l7Bytes, make([]uint64, int(proto)+1-len(t.l7Bytes))...)
	}
	t.l7Bytes[proto] += n
}

// ProtocolBytes calls fn with the interface's bytes of each nDPI protocol
// that carried traffic since the interface started (a counter).
func (t *Tables) ProtocolBytes(fn func(proto uint16, bytes uint64)) {
	l7 := t.l7Bytes
	if t.shards != nil {
		l7 = nil
		for _, s := range t.shards {
			if len(s.l7Bytes) > len(l7) {
				l7 = append(l7, make([]uint64, len(s.l7Bytes)-len(l7))...)
			}
			for p, n := range s.l7Bytes {
				l7[p] += n
			}
		}
	}
	for p, n := range l7 {
		if n > 0 {
			fn(uint16(p), n)
		}
	}
}

type listenEntry struct {
	instance string
	ports    []ListeningPort
}

func newTables(i *Interface, cfg Configuration) *Tables {
	t := &Tables{
		iface:      i,
		cfg:        cfg,
		flowIdx:    newFlowIndex(),
		hostTable:  &hostTable{hostMap: make(map[hostKey]uint32)},
		nShards:    1,
		probes:     make(map[uint32]*ProbeStats),
		listening:  make(map[netip.Addr]*listenEntry),
		exporterIx: make(map[netip.Addr]uint16),
		maxIdle:    uint32(cfg.FlowIdle / time.Second),
	}
	t.stats.IfID, t.stats.Name, t.stats.Kind = i.id, i.name, i.kind
	t.stats.FlowMaxIdle = cfg.FlowIdle
	t.stats.PeriodicStatsUpdateFreqSecs = housekeepingSecs
	t.stats.Speed = defaultSpeedMbit
	t.setNow(cfg.Now())
	t.stats.StartTime = t.nowT
	t.stats.Time = t.nowT
	t.thptAt = t.nowT.UnixNano()
	t.netsAt = t.thptAt
	for n, p := range cfg.LocalNetworks {
		t.nets = append(t.nets, NetworkStats{ID: n, Prefix: p})
	}
	return t
}

func (t *Tables) setNow(now time.Time) {
	t.nowT = now
	t.now = uint32(now.Unix())
}

// Interface is the interface these tables belong to.
func (t *Tables) Interface() *Interface { return t.iface }

// Now is the engine clock as of the current batch or tick.
func (t *Tables) Now() time.Time {
	if t.shards != nil {
		return t.shards[0].nowT
	}
	return t.nowT
}

func (t *Tables) flow(slot uint32) *Flow {
	return &t.flowChunks[slot>>flowChunkBits].flows[slot&(flowChunk-1)]
}

func (t *hostTable) host(slot uint32) *Host {
	return &t.hostChunks[slot>>hostChunkBits][slot&(hostChunk-1)]
}

// Flows calls fn for each active flow until fn returns false.
func (t *Tables) Flows(fn func(*Flow) bool) {
	if t.shards != nil {
		more := true
		for _, sh := range t.shards {
			sh.Flows(func(f *Flow) bool { more = fn(f); return more })
			if !more {
				return
			}
		}
		return
	}
	for s := uint32(0); s < t.flowSlots; s++ {
		f := t.flow(s)
		if f.flags&flowLive != 0 && !fn(f) {
			return
		}
	}
}

// Flow finds an active flow by its ID; nil when it has ended.
func (t *Tables) Flow(id uint64) *Flow {
	if gen := int(uint32(id >> 32)); t.shards != nil {
		return t.shards[gen%len(t.shards)].Flow(id)
	} else if gen%t.nShards != t.shard {
		return nil // another shard's
	}
	slot := uint32(id)
	if slot >= t.flowSlots {
		return nil
	}
	f := t.flow(slot)
	if f.flags&flowLive == 0 || f.gen != uint32(id>>32) {
		return nil
	}
	return f
}

// NumFlows is the number of active flows.
func (t *Tables) NumFlows() int {
	n := t.flowIdx.n
	for _, s := range t.shards {
		n += s.flowIdx.n
	}
	return n
}

// Hosts calls fn for each host until fn returns false.
func (t *Tables) Hosts(fn func(*Host) bool) {
	for s := uint32(0); s < t.hostSlots; s++ {
		h := t.host(s)
		if h.live && !fn(h) {
			return
		}
	}
}

// Host finds a host; nil when unknown.
func (t *Tables) Host(ip netip.Addr, vlan uint16) *Host {
	slot, ok := t.hostMap[hostKey{ip: ip.Unmap().As16(), vlan: vlan}]
	if !ok {
		return nil
	}
	return t.host(slot)
}

// NumHosts is the number of hosts.
func (t *Tables) NumHosts() int { return len(t.hostMap) }

// FlowClient and FlowServer return a flow's hosts.
func (t *Tables) FlowClient(f *Flow) *Host { return t.host(f.cliHost) }
func (t *Tables) FlowServer(f *Flow) *Host { return t.host(f.srvHost) }

// FlowExporter is the exporter (or probe) address of a flow, if any.
func (t *Tables) FlowExporter(f *Flow) netip.Addr {
	if t.shards != nil {
		return t.shardOfFlow(f).FlowExporter(f)
	}
	if f.exporter == 0 {
		return netip.Addr{}
	}
	return t.exporters[f.exporter-1]
}

// Networks returns the local networks, in -m order.
func (t *Tables) Networks() []*NetworkStats {
	out := make([]*NetworkStats, len(t.nets))
	for i := range t.nets {
		out[i] = &t.nets[i]
	}
	return out
}

// Stats is the live interface statistics.
func (t *Tables) Stats() *InterfaceStats {
	t.fillStats()
	return &t.stats
}

// Probes returns the probes that sent an event in the last 1800 s, by source id.
func (t *Tables) Probes() []ProbeStats {
	if t.shards != nil {
		return t.shards[0].Probes() // probe events go to shard 0
	}
	out := make([]ProbeStats, 0, len(t.probes))
	for _, p := range t.probes {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SourceID < out[j].SourceID })
	return out
}

// Exporters returns the distinct exporter addresses flows came from.
func (t *Tables) Exporters() []netip.Addr {
	if t.shards != nil {
		return t.viewExporters()
	}
	return append([]netip.Addr(nil), t.exporters...)
}

// InterfaceCounters returns the sFlow counters table (§4.3), sorted by key.
func (t *Tables) InterfaceCounters() []InterfaceCounter {
	if t.shards != nil {
		return t.shards[0].InterfaceCounters() // counter records go to shard 0
	}
	return t.counters.list()
}

// ListeningPorts returns the listening sockets last reported for host.
func (t *Tables) ListeningPorts(host netip.Addr) []ListeningPort {
	if t.shards != nil {
		return t.shards[0].ListeningPorts(host)
	}
	e := t.listening[host.Unmap()]
	if e == nil {
		return nil
	}
	return append([]ListeningPort(nil), e.ports...)
}

// FlowMaxIdle is the current flow idle timeout (§6.5).
func (t *Tables) FlowMaxIdle() time.Duration {
	if t.shards != nil {
		return t.shards[0].FlowMaxIdle()
	}
	return time.Duration(t.maxIdle) * time.Second
}

// SetFlowStatus sets or clears status bit (0..63) of f; when the set changes
// observers get FlowStatusChanged before it returns.
func (t *Tables) SetFlowStatus(f *Flow, status uint8, on bool) {
	if status > 63 {
		return
	}
	if t.shards != nil {
		t.shardOfFlow(f).SetFlowStatus(f, status, on) // its shard's observer
		return
	}
	old := f.Status
	if on {
		f.Status |= 1 << status
	} else {
		f.Status &^= 1 << status
	}
	if f.Status != old && t.obs != nil {
		t.obs.OnFlow(FlowStatusChanged, f, t.nowT, t)
	}
}

// Process applies a batch: flows, then events, counters and listening
// ports. On the view of a sharded interface each shard applies its part.
func (t *Tables) Process(b *Batch) {
	if t.shards != nil {
		t.iface.split(b)
		for _, s := range t.shards {
			s.processPart(b)
		}
		return
	}
	t.setNow(t.cfg.Now())
	for i := range b.Flows {
		t.processFlow(&b.Flows[i])
	}
	t.processOther(b)
}

// processOther applies a batch's events, counters and listening ports.
func (t *Tables) processOther(b *Batch) {
	for i := range b.Events {
		t.processEvent(&b.Events[i])
	}
	for i := range b.Counters {
		t.counters.set(&b.Counters[i], t.nowT)
		t.stats.Counters++
	}
	for i := range b.Listening {
		t.processListening(&b.Listening[i])
	}
}

func (t *Tables) processListening(l *ListeningPorts) {
	ports := make([]ListeningPort, len(l.Ports))
	for i, p := range l.Ports {
		ports[i] = ListeningPort{Proto: strings.Clone(p.Proto), Port: p.Port,
			Process: strings.Clone(p.Process), Package: strings.Clone(p.Package)}
	}
	inst := strings.Clone(l.InstanceName)
	for _, a := range l.Addresses {
		t.listening[a.Unmap()] = &listenEntry{instance: inst, ports: ports}
	}
}

// processEvent stores a probe's stats and recomputes the flow idle timeout
// (§4.2, §6.5).
func (t *Tables) processEvent(ev *ProbeEvent) {
	t.stats.Events++
	p := t.probes[ev.SourceID]
	if p == nil {
		p = &ProbeStats{SourceID: ev.SourceID}
		t.probes[ev.SourceID] = p
	}
	p.LastSeen = t.nowT
	p.Event = cloneEvent(ev)
	if ev.TimeoutIdle != 0 || ev.TimeoutLifetime != 0 || ev.TimeoutCollectedLifetime != 0 {
		idle := min(max(uint64(ev.TimeoutIdle)*2, 60), 600)
		life := min(uint64(ev.TimeoutLifetime), 600)
		t.maxIdle = uint32(max(idle, min(life, uint64(ev.TimeoutCollectedLifetime))+10))
		t.stats.FlowMaxIdle = time.Duration(t.maxIdle) * time.Second
		t.hostTable.maxIdle.Store(t.maxIdle) // the other shards' (shard.go)
		t.stats.PeriodicStatsUpdateFreqSecs = max(housekeepingSecs,
			int(min(max(ev.TimeoutLifetime, ev.TimeoutIdle), ev.TimeoutCollectedLifetime)))
	}
	if ev.IfSpeed != 0 {
		t.stats.Speed = ev.IfSpeed
	}
	if ev.Time != 0 {
		t.stats.RemoteTime = ev.Time
	}
	if ev.SFlowSamples > 0 {
		t.stats.Sampled = true
	}
	t.sumProbes()
}

func cloneEvent(ev *ProbeEvent) ProbeEvent {
	c := *ev
	for _, s := range []*string{&c.IfName, &c.IfIP, &c.Mode, &c.PublicIP, &c.ProbeIP, &c.Version,
		&c.OSName, &c.License, &c.Edition, &c.Maintenance, &c.UUID} {
		*s = strings.Clone(*s)
	}
	c.Exporters = make([]ExporterStats, len(ev.Exporters))
	for i, e := range ev.Exporters {
		e.IP = strings.Clone(e.IP)
		c.Exporters[i] = e
	}
	return c
}

// sumProbes expires probes silent for 1800 s and sums the remote stats.
func (t *Tables) sumProbes() {
	s := &t.stats
	s.RemoteBps, s.RemotePps, s.RemoteBytes, s.RemotePkts, s.RemotePacketDrops = 0, 0, 0, 0, 0
	s.DropsExportQueueFull, s.DropsTooManyFlows, s.DropsELK = 0, 0, 0
	s.DropsSFlowSamples, s.DropsFlowCollection, s.DropsUDPSocket = 0, 0, 0
	s.NumFlowExports, s.NumExporters = 0, 0
	for id, p := range t.probes {
		if t.nowT.Sub(p.LastSeen) > probeExpiry {
			delete(t.probes, id)
			continue
		}
		e := &p.Event
		s.RemoteBps += e.AvgBps
		s.RemotePps += e.AvgPps
		s.RemoteBytes += e.Bytes
		s.RemotePkts += e.Packets
		s.RemotePacketDrops += e.PacketDrops
		s.DropsExportQueueFull += e.DropsExportQueueFull
		s.DropsTooManyFlows += e.DropsTooManyFlows
		s.DropsELK += e.DropsELK
		s.DropsSFlowSamples += e.DropsSFlowSamples
		s.DropsFlowCollection += e.DropsFlowCollection
		s.DropsUDPSocket += e.DropsUDPSocket
		s.NumFlowExports += e.NumFlowExports
		s.NumExporters += e.NumZMQExporters
	}
	s.NumProbes = len(t.probes)
}

// fillStats refreshes the derived fields of t.stats; on the view of a
// sharded interface, t.stats becomes the sum of the shards'.
func (t *Tables) fillStats() {
	s := &t.stats
	if t.shards != nil {
		t.shards[0].fillStats()
		*s = t.shards[0].stats
		for _, o := range t.shards[1:] {
			o.fillStats()
			s.addShard(&o.stats)
		}
		t.iface.queueStats(s)
		return
	}
	s.Time = t.nowT
	s.ActiveFlows = uint64(t.flowIdx.n)
	s.Hosts = t.numHosts.Load()
	s.LocalHosts = t.localHosts.Load()
	s.HostsExpired = t.hostsExpired.Load()
	if t.iface != nil {
		t.iface.queueStats(s)
	} else {
		s.sumDrops()
	}
}

func (t *Tables) exporterIndex(a netip.Addr) uint16 {
	if ix, ok := t.exporterIx[a]; ok {
		return ix
	}
	if len(t.exporters) >= 65535 {
		return 0
	}
	t.exporters = append(t.exporters, a)
	ix := uint16(len(t.exporters))
	t.exporterIx[a] = ix
	return ix
}

func (t *Tables) category(master, app uint16) ndpi.Category {
	if app != 0 {
		return ndpi.CategoryOf(app)
	}
	return ndpi.CategoryOf(master)
}
