package flow

import (
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
)

// ExporterStats are the counters of one exporter (one source address),
// the rows of the REST flowdevices list and of the per-exporter families.
type ExporterStats struct {
	Exporter       string            `json:"exporter_ip"`
	Protocol       string            `json:"protocol"` // last seen: netflow_v5, netflow_v9, ipfix, sflow_v5
	Packets        uint64            `json:"packets"`
	Records        uint64            `json:"flow_records"`
	Counters       uint64            `json:"counter_samples"`
	TemplateMisses uint64            `json:"template_misses"`
	Templates      uint64            `json:"templates"`
	Redefined      uint64            `json:"templates_redefined"`
	SequenceGaps   uint64            `json:"sequence_gaps"`   // gaps seen
	LostRecords    uint64            `json:"lost"`            // records (v5, IPFIX) or datagrams (v9, sFlow) missing per the sequence numbers
	Errors         map[string]uint64 `json:"decode_errors"`   // by reason
	SamplingRate   uint32            `json:"sampling_rate"`   // last applied (1: unsampled)
	Interfaces     map[string]string `json:"interface_names"` // ifIndex → name, from option data
	LastSeen       int64             `json:"last_seen"`       // epoch seconds
}

// exporterCounters is the live, concurrently read form of ExporterStats.
type exporterCounters struct {
	packets, records, counters, misses, templates, redefined, gaps, lost atomic.Uint64
	sampling                                                             atomic.Uint32
	lastSeen                                                             atomic.Int64

	tmpl *templates // set once by the first decoder that meets the exporter (or by a load)

	mu     sync.Mutex
	proto  string
	errors map[string]uint64
	ifName map[uint32]string
}

func (c *exporterCounters) fail(reason string) {
	c.mu.Lock()
	if c.errors == nil {
		c.errors = map[string]uint64{}
	}
	c.errors[reason]++
	c.mu.Unlock()
}

func (c *exporterCounters) initTemplates(dirty *atomic.Bool) {
	c.mu.Lock()
	if c.tmpl == nil {
		c.tmpl = newTemplates(c, dirty)
	}
	c.mu.Unlock()
}

func (c *exporterCounters) setProto(p string) {
	c.mu.Lock()
	c.proto = p
	c.mu.Unlock()
}

func (c *exporterCounters) setIfName(idx uint32, name string) {
	c.mu.Lock()
	if c.ifName == nil {
		c.ifName = map[uint32]string{}
	}
	if len(c.ifName) < maxIfNames || c.ifName[idx] != "" {
		c.ifName[idx] = name
	}
	c.mu.Unlock()
}

// maxIfNames bounds the interface names kept per exporter.
const maxIfNames = 4096

func (c *exporterCounters) snapshot(addr netip.Addr) ExporterStats {
	s := ExporterStats{
		Exporter: addr.String(), Packets: c.packets.Load(), Records: c.records.Load(), Counters: c.counters.Load(),
		TemplateMisses: c.misses.Load(), Templates: c.templates.Load(), Redefined: c.redefined.Load(),
		SequenceGaps: c.gaps.Load(), LostRecords: c.lost.Load(), SamplingRate: c.sampling.Load(), LastSeen: c.lastSeen.Load(),
		Errors: map[string]uint64{}, Interfaces: map[string]string{},
	}
	c.mu.Lock()
	s.Protocol = c.proto
	for k, v := range c.errors {
		s.Errors[k] = v
	}
	for k, v := range c.ifName {
		s.Interfaces[itoa(k)] = v
	}
	c.mu.Unlock()
	return s
}

// registry holds every exporter's counters; the decoders add to it, the
// REST and /metrics read it.
type registry struct {
	mu   sync.RWMutex
	m    map[netip.Addr]*exporterCounters
	over atomic.Uint64 // packets from exporters beyond maxExporters
}

// maxExporters bounds the per-exporter state (a spoofed-source flood
// must not grow it without bound); packets of further exporters are
// counted and dropped.
const maxExporters = 10000

func newRegistry() *registry { return &registry{m: map[netip.Addr]*exporterCounters{}} }

func (r *registry) get(a netip.Addr) *exporterCounters {
	r.mu.RLock()
	c := r.m[a]
	r.mu.RUnlock()
	if c != nil {
		return c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c = r.m[a]; c == nil {
		if len(r.m) >= maxExporters {
			return nil
		}
		c = &exporterCounters{}
		r.m[a] = c
	}
	return c
}

// Exporters returns every exporter's statistics, sorted by address.
func (r *registry) list() []ExporterStats {
	r.mu.RLock()
	out := make([]ExporterStats, 0, len(r.m))
	for a, c := range r.m {
		out = append(out, c.snapshot(a))
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Exporter < out[j].Exporter })
	return out
}

func itoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}
