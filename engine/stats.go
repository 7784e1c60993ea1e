package engine

import (
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// InterfaceStats are an interface's totals, as the REST interface data and
// /metrics show them. A plain value: copying it is cheap.
type InterfaceStats struct {
	IfID      int
	Name      string
	Kind      string
	StartTime time.Time // when the engine started the interface
	Time      time.Time // when this copy was taken (owner clock)

	Bytes, Packets                 uint64
	BytesUpload, BytesDownload     uint64 // §6.7
	PacketsUpload, PacketsDownload uint64
	Local2Remote, Remote2Local     uint64 // bytes

	ThroughputBps, ThroughputPps float64
	UploadBps, UploadPps         float64
	DownloadBps, DownloadPps     float64

	ActiveFlows, TotalFlows uint64 // flows now, flows ever created
	Hosts, LocalHosts       uint64
	FlowRecords             uint64 // records accepted (num_flows of zmqRecvStats)
	Events, Counters        uint64 // event and counter records processed

	TCPRetransmissions, TCPOutOfOrder, TCPLost uint64

	// Dropped flow records by reason; DroppedFlows is their sum.
	DroppedFlows     uint64
	DropsMaxFlows    uint64
	DropsMaxHosts    uint64
	DropsIPMismatch  uint64
	DropsQueueFull   uint64 // flow records in batches refused by Enqueue
	QueueFullBatches uint64
	// QueueWaits counts the times a collector that can hold its transport
	// back (EnqueueWait) found the queue full and waited; QueueWaitTime is
	// the time it spent waiting. MaxBatchTime is the longest batch the
	// interface goroutine processed since start.
	QueueWaits    uint64
	QueueWaitTime time.Duration
	MaxBatchTime  time.Duration
	FlowsExpired  uint64
	HostsExpired  uint64

	// From probe events (§4.2), summed over probes seen in the last 1800 s.
	Speed                       uint32 // Mbit/s
	RemoteBps, RemotePps        uint64
	RemoteBytes, RemotePkts     uint64
	RemotePacketDrops           uint64
	DropsExportQueueFull        uint64
	DropsTooManyFlows           uint64
	DropsELK                    uint64
	DropsSFlowSamples           uint64
	DropsFlowCollection         uint64
	DropsUDPSocket              uint64
	NumFlowExports              uint64
	NumExporters                uint64
	NumProbes                   int
	RemoteTime                  uint32 // probe clock of the last event (last_pkt_rcvd_remote)
	Sampled                     bool   // an event reported sflow_samples > 0
	FlowMaxIdle                 time.Duration
	PeriodicStatsUpdateFreqSecs int
}

// sumDrops sets DroppedFlows, the total of the drops by reason.
func (s *InterfaceStats) sumDrops() {
	s.DroppedFlows = s.DropsMaxFlows + s.DropsMaxHosts + s.DropsIPMismatch + s.DropsQueueFull
}

// Uptime is the time since the interface started.
func (s *InterfaceStats) Uptime() time.Duration {
	if s.StartTime.IsZero() {
		return 0
	}
	return s.Time.Sub(s.StartTime)
}

// CollectorStats are counters collectors update from their own goroutines
// (zmqRecvStats and /metrics).
type CollectorStats struct {
	MsgsRcvd atomic.Uint64
	MsgDrops atomic.Uint64 // messages lost per msg_id gaps

	Flows, Events, Counters, Templates, Options atomic.Uint64 // per-topic message counts
	Hello, ListeningPorts, SNMPIfaces, Messages atomic.Uint64
	FlowRecords                                 atomic.Uint64 // flow records decoded

	mu     sync.Mutex
	errors map[string]uint64
}

// AddDecodeError counts one decode error under reason ("tlv", "json", "zlib", ...).
func (c *CollectorStats) AddDecodeError(reason string) {
	c.mu.Lock()
	if c.errors == nil {
		c.errors = make(map[string]uint64)
	}
	c.errors[reason]++
	c.mu.Unlock()
}

// DecodeErrors returns a copy of the per-reason decode error counts.
func (c *CollectorStats) DecodeErrors() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]uint64, len(c.errors))
	for k, v := range c.errors {
		m[k] = v
	}
	return m
}

// NetworkStats is the traffic of one local network (-m prefix).
type NetworkStats struct {
	ID     int
	Prefix netip.Prefix
	Hosts  uint64 // hosts now

	BytesIngress uint64 // remote → network
	BytesEgress  uint64 // network → remote
	BytesInner   uint64 // within the network

	ThroughputBps float64
	thptBytes     uint64
}

func (n *NetworkStats) Bytes() uint64 { return n.BytesIngress + n.BytesEgress + n.BytesInner }

// ProbeStats is the last event of one probe (header source_id).
type ProbeStats struct {
	SourceID uint32
	LastSeen time.Time // wall clock of the last event
	Event    ProbeEvent
}

// CounterKey identifies a row of the sFlow interface counters table (§4.3).
type CounterKey struct {
	Device  netip.Addr
	IfIndex uint32
	IfName  string
}

// InterfaceCounter is one row of that table.
type InterfaceCounter struct {
	CounterRecord
	LastUpdate time.Time
}

type counterTable struct {
	m map[CounterKey]*InterfaceCounter
}

// set applies §4.3: values replace the stored ones, except that a sample with
// the same samplesGenerated (halves sent apart) adds the traffic counters.
func (c *counterTable) set(r *CounterRecord, now time.Time) {
	k := CounterKey{Device: r.DeviceIP, IfIndex: r.IfIndex, IfName: r.IfName}
	if c.m == nil {
		c.m = make(map[CounterKey]*InterfaceCounter)
	}
	cur, ok := c.m[k]
	if !ok {
		k.IfName = strings.Clone(k.IfName)
		rec := *r
		rec.IfName = k.IfName
		c.m[k] = &InterfaceCounter{CounterRecord: rec, LastUpdate: now}
		return
	}
	if cur.SamplesGenerated == r.SamplesGenerated {
		cur.InOctets += r.InOctets
		cur.InPkts += r.InPkts
		cur.InErrors += r.InErrors
		cur.OutOctets += r.OutOctets
		cur.OutPkts += r.OutPkts
		cur.OutErrors += r.OutErrors
		cur.LastUpdate = now
		return
	}
	name := cur.IfName
	cur.CounterRecord = *r
	cur.IfName = name
	cur.LastUpdate = now
}

func (c *counterTable) list() []InterfaceCounter {
	out := make([]InterfaceCounter, 0, len(c.m))
	for _, v := range c.m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.DeviceIP != b.DeviceIP {
			return a.DeviceIP.Less(b.DeviceIP)
		}
		if a.IfIndex != b.IfIndex {
			return a.IfIndex < b.IfIndex
		}
		return a.IfName < b.IfName
	})
	return out
}
