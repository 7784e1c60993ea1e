package engine

import "net/netip"

// FlowRecord is one flow update, normalized at the edge by a collector
// (ZMQ, packet, ...). The engine never sees wire formats.
//
// Strings in a FlowRecord may alias the collector's receive buffer: they are
// valid only until Interface.Process returns for the batch holding the record.
// The engine clones what it keeps.
type FlowRecord struct {
	SrcIP, DstIP     netip.Addr
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
	L7Name          string // L7_PROTO_NAME as sent by the probe, informational
	L7Confidence    uint8
	L7ErrorCode     uint32

	SrcMAC, DstMAC        [6]byte
	InIfIndex, OutIfIndex uint32
	SrcAS, DstAS          uint32
	PrevAS, NextAS        uint32
	VRF                   uint32
	ObservationPoint      uint16
	ExporterIP            netip.Addr // EXPORTER_IPV4/6_ADDRESS, or NPROBE_IPV4_ADDRESS when absent
	NProbeIP              netip.Addr
	PrivateID             uint32 // hash of SIP_CALL_ID, part of the flow key

	SrcFragments, DstFragments uint32
	RetrIn, RetrOut            uint32
	OOOIn, OOOOut              uint32
	TCPWinMaxIn, TCPWinMaxOut  uint32

	// Latencies in milliseconds; HasLatency bits say which were present.
	ClientLatencyMs, ServerLatencyMs, ApplLatencyMs float32
	HasLatency                                      uint8 // 1 client, 2 server, 4 application

	PostNATSrcIP, PostNATDstIP     netip.Addr
	PostNATSrcPort, PostNATDstPort uint16

	DNSQuery      string
	DNSQueryType  uint16
	DNSRetCode    uint16
	HTTPURL       string
	HTTPSite      string
	HTTPUserAgent string
	HTTPMethod    string
	HTTPRetCode   uint16
	TLSServerName string
	JA3C, JA3S    string
	JA4C          string
	L7Info        string
	Risk          uint64
	RiskName      string
	EndReason     string
	Verdict       uint8
	FlowSource    uint8 // 0 packets, 1 NetFlow/IPFIX, 2 sFlow
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

// Reset clears r for reuse while keeping the Additional slice's capacity.
func (r *FlowRecord) Reset() {
	add := r.Additional[:0]
	*r = FlowRecord{}
	r.Additional = add
	r.Direction = 2
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
