package engine

import (
	"net/netip"
	"unsafe"
)

// FlowRecord is one flow update, normalized at the edge by a collector
// (ZMQ, packet, ...). The engine never sees wire formats.
//
// Strings in a FlowRecord may alias the collector's receive buffer: they are
// valid only until Interface.Process returns for the batch holding the record.
// The engine clones what it keeps.
//
// Layout: every field without pointers comes first, up to SrcIP, so Reset
// clears them as plain memory; the fields that hold pointers (addresses,
// strings, Additional) follow and Reset writes only those that are set.
// Zeroing the whole record paid a write barrier per pointer field while the
// GC marks (docs/ingest-scaling.md §4.2). TestRecordLayout checks the order.
type FlowRecord struct {
	SrcPort, DstPort uint16
	Proto            uint8 // IP protocol number
	IPVersion        uint8 // 4 or 6 as reported (informational)
	VLAN             uint16
	Direction        uint8 // 0 RX (ingress), 1 TX (egress), 2 unknown (default)

	// Counters src→dst (In) and dst→src (Out). Deltas unless Absolute.
	InBytes, InPkts, OutBytes, OutPkts uint64
	Absolute                           bool

	// UNIX epoch seconds of the first and last packet.
	FirstSwitched, LastSwitched uint32

	TCPFlags, ClientTCPFlags, ServerTCPFlags uint8
	SrcTOS, DstTOS                           uint8

	// nDPI protocol ids: L7_PROTO "7.178" gives Master 7, App 178; a single
	// id n gives Master 0, App n. L7Set tells whether the record carried
	// L7_PROTO at all (0/0 then means "guess from ports").
	L7Master, L7App uint16
	L7Set           bool
	L7Confidence    uint8
	L7ErrorCode     uint32

	SrcMAC, DstMAC        [6]byte
	InIfIndex, OutIfIndex uint32
	SrcAS, DstAS          uint32
	PrevAS, NextAS        uint32
	VRF                   uint32
	ObservationPoint      uint16
	PrivateID             uint32 // hash of SIP_CALL_ID, part of the flow key

	SrcFragments, DstFragments uint32
	RetrIn, RetrOut            uint32
	OOOIn, OOOOut              uint32
	TCPWinMaxIn, TCPWinMaxOut  uint32

	// Latencies in milliseconds; HasLatency bits say which were present.
	ClientLatencyMs, ServerLatencyMs, ApplLatencyMs float32
	HasLatency                                      uint8 // 1 client, 2 server, 4 application

	PostNATSrcPort, PostNATDstPort uint16

	DNSQueryType uint16
	DNSRetCode   uint16
	HTTPRetCode  uint16
	Risk         uint64
	Verdict      uint8
	FlowSource   uint8 // 0 packets, 1 NetFlow/IPFIX, 2 sFlow

	// From here on every field holds a pointer (see Reset).
	SrcIP, DstIP               netip.Addr
	ExporterIP                 netip.Addr // EXPORTER_IPV4/6_ADDRESS, or NPROBE_IPV4_ADDRESS when absent
	NProbeIP                   netip.Addr
	PostNATSrcIP, PostNATDstIP netip.Addr

	L7Name        string // L7_PROTO_NAME as sent by the probe, informational
	DNSQuery      string
	HTTPURL       string
	HTTPSite      string
	HTTPUserAgent string
	HTTPMethod    string
	TLSServerName string
	JA3C, JA3S    string
	JA4C          string
	L7Info        string
	RiskName      string
	EndReason     string
	SMTPMailFrom  string
	SMTPRcptTo    string
	BitTorrent    string
	WLANSSID      string

	// Additional holds fields flowgate does not interpret (unknown ids, other
	// PENs, unresolved names), as ntopng keeps them for display.
	Additional []Field
}

// Field is an uninterpreted flow field: its key as received (numeric id,
// "PEN.ID" or name) and its value as text.
type Field struct {
	Key   string
	Value string
}

// scalarBytes is the size of FlowRecord's pointer-free prefix.
const scalarBytes = unsafe.Offsetof(FlowRecord{}.SrcIP)

// Reset clears r for reuse while keeping the Additional slice's capacity.
// The pointer-free prefix is cleared as plain memory (no write barriers);
// a pointer field is written only when set, so a record that carried two
// addresses and no strings costs two barriers, not 25.
func (r *FlowRecord) Reset() {
	clear(unsafe.Slice((*byte)(unsafe.Pointer(r)), scalarBytes))
	r.Direction = 2
	if r.SrcIP.IsValid() {
		r.SrcIP = netip.Addr{}
	}
	if r.DstIP.IsValid() {
		r.DstIP = netip.Addr{}
	}
	if r.ExporterIP.IsValid() {
		r.ExporterIP = netip.Addr{}
	}
	if r.NProbeIP.IsValid() {
		r.NProbeIP = netip.Addr{}
	}
	if r.PostNATSrcIP.IsValid() {
		r.PostNATSrcIP = netip.Addr{}
	}
	if r.PostNATDstIP.IsValid() {
		r.PostNATDstIP = netip.Addr{}
	}
	// One test and no write per unset string (a loop over their addresses
	// cost twice as much).
	if len(r.L7Name) != 0 {
		r.L7Name = ""
	}
	if len(r.DNSQuery) != 0 {
		r.DNSQuery = ""
	}
	if len(r.HTTPURL) != 0 {
		r.HTTPURL = ""
	}
	if len(r.HTTPSite) != 0 {
		r.HTTPSite = ""
	}
	if len(r.HTTPUserAgent) != 0 {
		r.HTTPUserAgent = ""
	}
	if len(r.HTTPMethod) != 0 {
		r.HTTPMethod = ""
	}
	if len(r.TLSServerName) != 0 {
		r.TLSServerName = ""
	}
	if len(r.JA3C) != 0 {
		r.JA3C = ""
	}
	if len(r.JA3S) != 0 {
		r.JA3S = ""
	}
	if len(r.JA4C) != 0 {
		r.JA4C = ""
	}
	if len(r.L7Info) != 0 {
		r.L7Info = ""
	}
	if len(r.RiskName) != 0 {
		r.RiskName = ""
	}
	if len(r.EndReason) != 0 {
		r.EndReason = ""
	}
	if len(r.SMTPMailFrom) != 0 {
		r.SMTPMailFrom = ""
	}
	if len(r.SMTPRcptTo) != 0 {
		r.SMTPRcptTo = ""
	}
	if len(r.BitTorrent) != 0 {
		r.BitTorrent = ""
	}
	if len(r.WLANSSID) != 0 {
		r.WLANSSID = ""
	}
	if len(r.Additional) != 0 {
		r.Additional = r.Additional[:0]
	}
}

// ProbeEvent is the content of an nProbe `event` message: the probe's own
// statistics and timeouts, kept per header source_id.
type ProbeEvent struct {
	SourceID uint32

	Bytes, Packets, PacketDrops uint64
	IfName, IfIP                string
	IfSpeed                     uint32 // Mbit/s
	Mode                        string
	PublicIP, ProbeIP           string
	Version, OSName, License    string
	Edition, Maintenance, UUID  string
	UniqueSourceID              uint64
	Time                        uint32 // probe clock, epoch seconds
	AvgBps, AvgPps              uint64

	// Timeouts in seconds; 0 when absent.
	TimeoutLifetime, TimeoutIdle, TimeoutCollectedLifetime uint32

	DropsExportQueueFull, DropsTooManyFlows, DropsELK      uint64
	DropsSFlowSamples, DropsFlowCollection, DropsUDPSocket uint64
	NFIPFIXFlows, SFlowSamples                             uint64
	CollectionPort                                         uint32
	NumFlowExports, NumZMQExporters                        uint64
	Exporters                                              []ExporterStats
}

// ExporterStats is one entry of an event's flow_collection.exporters.
type ExporterStats struct {
	IP                                            string
	TimeLastFlow                                  uint32
	NumSFlowFlows, NumNetFlowIPFIXFlows, NumDrops uint64
	UniqueSourceID                                uint64
}

// CounterRecord is one sFlow-style interface counter sample (`counter` topic).
type CounterRecord struct {
	DeviceIP                      netip.Addr
	SamplesGenerated              uint32
	IfIndex                       uint32
	IfName                        string
	IfType                        uint32
	IfSpeed                       uint64
	FullDuplex                    bool
	AdminUp, OperUp               bool
	InOctets, InPkts, InErrors    uint64
	OutOctets, OutPkts, OutErrors uint64
	Promisc                       bool
}

// ListeningPorts is a `listening-ports` message: ports open on the listed hosts.
type ListeningPorts struct {
	InstanceName string
	Addresses    []netip.Addr
	Ports        []ListeningPort
}

// ListeningPort is one listening socket of a host.
type ListeningPort struct {
	Proto   string // tcp4, udp4, tcp6, udp6
	Port    uint16
	Process string
	Package string
}
