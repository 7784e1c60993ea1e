package wire

import (
	"net/netip"

	"flowgate/engine"
)

// PEN constants: ntop's private enterprise number and the base its element
// ids are written from (ntop element n = field 57472+n).
const (
	NtopPEN    = 35632
	NtopBaseID = 57472
)

// handler applies a field value to a record. It reports false when the
// field was not consumed, so the caller keeps it as an additional field
// (and, for PEN 0, first retries it as an ntop element, §3.4).
type handler func(d *Decoder, r *engine.FlowRecord, v *value) bool

type fieldDef struct {
	name string
	set  handler // nil: known name, kept in Additional
}

const (
	pen0Max = 368                // ids 0..367
	ntopMax = 58062 - NtopBaseID // ids 57472..58061
)

// Dictionaries, filled once at init and read-only afterwards.
var (
	pen0Fields [pen0Max]fieldDef
	ntopFields [ntopMax]fieldDef
)

// FieldName returns the ntopng label of a PEN-0 or ntop field id.
func FieldName(pen, id uint32) (string, bool) {
	switch pen {
	case 0:
		if id < pen0Max && pen0Fields[id].name != "" {
			return pen0Fields[id].name, true
		}
		if id >= NtopBaseID {
			return FieldName(NtopPEN, id)
		}
	case NtopPEN:
		if id < NtopBaseID {
			id += NtopBaseID
		}
		if id >= NtopBaseID && id-NtopBaseID < ntopMax && ntopFields[id-NtopBaseID].name != "" {
			return ntopFields[id-NtopBaseID].name, true
		}
	}
	return "", false
}

// apply runs the PEN resolution of §3.4 for one field; it reports whether a
// handler consumed it.
func apply(d *Decoder, r *engine.FlowRecord, pen, id uint32, v *value) bool {
	if v.kind == kindRaw {
		return false // booleans, objects, arrays: additional only
	}
	switch pen {
	case 0:
		if id < pen0Max {
			if h := pen0Fields[id].set; h != nil && h(d, r, v) {
				return true
			}
		}
		// Not handled by PEN 0: ntopng retries it as an ntop element, which
		// also misreads unhandled standard IEs (118 → L7_PROTO).
	case NtopPEN:
	default:
		return false
	}
	if id < NtopBaseID {
		id += NtopBaseID
	}
	if i := id - NtopBaseID; i < ntopMax {
		if h := ntopFields[i].set; h != nil {
			return h(d, r, v)
		}
	}
	return false
}

// Handler builders for the common shapes.

func u8(f func(r *engine.FlowRecord) *uint8) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = uint8(v.intNum()); return true }
}
func u16(f func(r *engine.FlowRecord) *uint16) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = uint16(v.intNum()); return true }
}
func u32(f func(r *engine.FlowRecord) *uint32) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = uint32(v.intNum()); return true }
}
func u64(f func(r *engine.FlowRecord) *uint64) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = v.intNum(); return true }
}
func u16s(f func(r *engine.FlowRecord) *uint16) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = uint16(v.intOrAtoi()); return true }
}
func u32s(f func(r *engine.FlowRecord) *uint32) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = uint32(v.intOrAtoi()); return true }
}
func u64s(f func(r *engine.FlowRecord) *uint64) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool { *f(r) = v.intOrAtoi(); return true }
}

// abs is for INITIATOR/RESPONDER_* (231/232/298/299): absolute counters.
func abs(f func(r *engine.FlowRecord) *uint64) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool {
		*f(r) = v.intOrAtoi()
		r.Absolute = true
		return true
	}
}

// str sets a string field, copied into the decoder's arena; non-string
// values are ignored (ntopng reads only the string representation).
func str(f func(r *engine.FlowRecord) *string) handler {
	return func(d *Decoder, r *engine.FlowRecord, v *value) bool {
		if v.kind == kindString {
			*f(r) = d.own(v.s)
		}
		return true
	}
}

// port stores an integer port, or a decimal string port. ntopng byte-swaps
// string ports (a bug, §5.1 note); flowgate keeps the value the sender meant.
// The first value wins.
func port(f func(r *engine.FlowRecord) *uint16) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool {
		if p := f(r); *p == 0 {
			*p = uint16(v.intOrAtoi())
		}
		return true
	}
}

// ip sets a flow endpoint without overwriting a non-empty address, and never
// lets an empty "::"/"0.0.0.0" replace a set one.
func ip(f func(r *engine.FlowRecord) *netip.Addr) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool {
		a, ok := v.addr()
		if !ok {
			return true
		}
		p := f(r)
		if p.IsValid() && (!p.IsUnspecified() || a.IsUnspecified()) {
			return true
		}
		*p = a
		return true
	}
}

// ipSet overwrites an address (exporter, post-NAT).
func ipSet(f func(r *engine.FlowRecord) *netip.Addr) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool {
		if a, ok := v.addr(); ok {
			*f(r) = a
		}
		return true
	}
}

func mac(f func(r *engine.FlowRecord) *[6]byte) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool {
		if v.kind == kindString {
			*f(r) = parseMAC(v.s)
		} else {
			*f(r) = [6]byte{}
		}
		return true
	}
}

func latency(bit uint8, f func(r *engine.FlowRecord) *float32) handler {
	return func(_ *Decoder, r *engine.FlowRecord, v *value) bool {
		*f(r) = float32(v.num())
		r.HasLatency |= bit
		return true
	}
}

func vlan(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	n := v.intNum()
	if n > 4095 {
		n = 0
	}
	r.VLAN = uint16(n)
	return true
}

func outerVLAN(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	if r.VLAN == 0 {
		if n := v.intNum(); n <= 4095 {
			r.VLAN = uint16(n)
		}
	}
	return true
}

// mask handles IPV4_SRC/DST_MASK: consumed only when 0.
func mask(_ *Decoder, _ *engine.FlowRecord, v *value) bool { return v.intNum() == 0 }

func nextHop(_ *Decoder, _ *engine.FlowRecord, v *value) bool {
	return v.kind == kindString && v.s == "0.0.0.0"
}

func ignore(*Decoder, *engine.FlowRecord, *value) bool { return true }

// l7proto reads an integer (Master 0, App n) or "app" / "master.app".
func l7proto(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	r.L7Set = true
	if v.kind != kindString {
		r.L7Master, r.L7App = 0, uint16(v.intNum())
		return true
	}
	s := v.s
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			r.L7Master, r.L7App = uint16(atoi(s[:i])), uint16(atoi(s[i+1:]))
			return true
		}
	}
	r.L7Master, r.L7App = 0, uint16(atoi(s))
	return true
}

// nprobeIP sets NProbeIP and, when no exporter is known yet, ExporterIP; in
// that case ntopng also keeps it as an additional field (returns false).
func nprobeIP(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	a, ok := v.addr()
	if !ok {
		return true
	}
	r.NProbeIP = a
	if !r.ExporterIP.IsValid() {
		r.ExporterIP = a
		return false
	}
	return true
}

// exporterV6 fills ExporterIP from EXPORTER_IPV6_ADDRESS unless an IPv4
// exporter is already known (FlowRecord has a single exporter slot).
func exporterV6(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	if a, ok := v.addr(); ok && !r.ExporterIP.Is4() {
		r.ExporterIP = a
	}
	return true
}

func clientFlags(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	r.ClientTCPFlags = uint8(v.intNum())
	r.TCPFlags |= r.ClientTCPFlags
	return true
}

func sipCallID(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	if v.kind == kindString {
		r.PrivateID = fnv1a(v.s)
	}
	return true
}

func verdict(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	r.Verdict = uint8(v.intNum())
	return true
}

func flowSource(_ *Decoder, r *engine.FlowRecord, v *value) bool {
	n := v.intNum()
	if n > 2 {
		n = 0
	}
	r.FlowSource = uint8(n)
	return true
}

type fieldRow struct {
	id   uint32
	name string
	set  handler
}

// pen0Rows is §5.1 plus the names of §5.3 that ntopng knows but ignores.
var pen0Rows = []fieldRow{
	{1, "IN_BYTES", u64s(func(r *engine.FlowRecord) *uint64 { return &r.InBytes })},
	{2, "IN_PKTS", u64s(func(r *engine.FlowRecord) *uint64 { return &r.InPkts })},
	{4, "PROTOCOL", func(_ *Decoder, r *engine.FlowRecord, v *value) bool { r.Proto = uint8(v.intOrAtoi()); return true }},
	{5, "SRC_TOS", u8(func(r *engine.FlowRecord) *uint8 { return &r.SrcTOS })},
	{6, "TCP_FLAGS", u8(func(r *engine.FlowRecord) *uint8 { return &r.TCPFlags })},
	{7, "L4_SRC_PORT", port(func(r *engine.FlowRecord) *uint16 { return &r.SrcPort })},
	{8, "IPV4_SRC_ADDR", ip(func(r *engine.FlowRecord) *netip.Addr { return &r.SrcIP })},
	{9, "IPV4_SRC_MASK", mask},
	{10, "INPUT_SNMP", u32(func(r *engine.FlowRecord) *uint32 { return &r.InIfIndex })},
	{11, "L4_DST_PORT", port(func(r *engine.FlowRecord) *uint16 { return &r.DstPort })},
	{12, "IPV4_DST_ADDR", ip(func(r *engine.FlowRecord) *netip.Addr { return &r.DstIP })},
	{13, "IPV4_DST_MASK", mask},
	{14, "OUTPUT_SNMP", u32(func(r *engine.FlowRecord) *uint32 { return &r.OutIfIndex })},
	{15, "IPV4_NEXT_HOP", nextHop},
	{16, "SRC_AS", u32(func(r *engine.FlowRecord) *uint32 { return &r.SrcAS })},
	{17, "DST_AS", u32(func(r *engine.FlowRecord) *uint32 { return &r.DstAS })},
	{21, "LAST_SWITCHED", u32s(func(r *engine.FlowRecord) *uint32 { return &r.LastSwitched })},
	{22, "FIRST_SWITCHED", u32s(func(r *engine.FlowRecord) *uint32 { return &r.FirstSwitched })},
	{23, "OUT_BYTES", u64s(func(r *engine.FlowRecord) *uint64 { return &r.OutBytes })},
	{24, "OUT_PKTS", u64s(func(r *engine.FlowRecord) *uint64 { return &r.OutPkts })},
	{27, "IPV6_SRC_ADDR", ip(func(r *engine.FlowRecord) *netip.Addr { return &r.SrcIP })},
	{28, "IPV6_DST_ADDR", ip(func(r *engine.FlowRecord) *netip.Addr { return &r.DstIP })},
	{32, "ICMP_TYPE", nil},
	{34, "SAMPLING_INTERVAL", ignore}, // nProbe already upscales
	{42, "TOTAL_FLOWS_EXP", ignore},
	{52, "MIN_TTL", nil},
	{53, "MAX_TTL", nil},
	{55, "DST_TOS", u8(func(r *engine.FlowRecord) *uint8 { return &r.DstTOS })},
	{56, "IN_SRC_MAC", mac(func(r *engine.FlowRecord) *[6]byte { return &r.SrcMAC })},
	{57, "OUT_DST_MAC", mac(func(r *engine.FlowRecord) *[6]byte { return &r.DstMAC })},
	{58, "SRC_VLAN", vlan},
	{59, "DST_VLAN", vlan},
	{60, "IP_PROTOCOL_VERSION", u8(func(r *engine.FlowRecord) *uint8 { return &r.IPVersion })},
	{61, "DIRECTION", func(_ *Decoder, r *engine.FlowRecord, v *value) bool { r.Direction = uint8(v.intOrAtoi()); return true }},
	{62, "IPV6_NEXT_HOP", nil},
	{80, "IN_DST_MAC", mac(func(r *engine.FlowRecord) *[6]byte { return &r.DstMAC })},
	{81, "OUT_SRC_MAC", mac(func(r *engine.FlowRecord) *[6]byte { return &r.SrcMAC })},
	{95, "APPLICATION_ID", nil},
	{128, "BGP_NEXT_ADJACENT_ASN", u32(func(r *engine.FlowRecord) *uint32 { return &r.NextAS })},
	{129, "BGP_PREV_ADJACENT_ASN", u32(func(r *engine.FlowRecord) *uint32 { return &r.PrevAS })},
	{130, "EXPORTER_IPV4_ADDRESS", ipSet(func(r *engine.FlowRecord) *netip.Addr { return &r.ExporterIP })},
	{131, "EXPORTER_IPV6_ADDRESS", exporterV6},
	{136, "FLOW_END_REASON", str(func(r *engine.FlowRecord) *string { return &r.EndReason })},
	{147, "WLAN_SSID", str(func(r *engine.FlowRecord) *string { return &r.WLANSSID })},
	{150, "FLOW_START_SEC", nil},
	{151, "FLOW_END_SEC", nil},
	{152, "FLOW_START_MILLISECONDS", nil},
	{153, "FLOW_END_MILLISECONDS", nil},
	{225, "POST_NAT_SRC_IPV4_ADDR", ipSet(func(r *engine.FlowRecord) *netip.Addr { return &r.PostNATSrcIP })},
	{226, "POST_NAT_DST_IPV4_ADDR", ipSet(func(r *engine.FlowRecord) *netip.Addr { return &r.PostNATDstIP })},
	{227, "POST_NAT_SRC_TRANSPORT_PORT", u16(func(r *engine.FlowRecord) *uint16 { return &r.PostNATSrcPort })},
	{228, "POST_NAT_DST_TRANSPORT_PORT", u16(func(r *engine.FlowRecord) *uint16 { return &r.PostNATDstPort })},
	{231, "INITIATOR_OCTETS", abs(func(r *engine.FlowRecord) *uint64 { return &r.InBytes })},
	{232, "RESPONDER_OCTETS", abs(func(r *engine.FlowRecord) *uint64 { return &r.OutBytes })},
	{234, "INGRESS_VRFID", u32(func(r *engine.FlowRecord) *uint32 { return &r.VRF })},
	{239, "BIFLOW_DIRECTION", nil},
	{243, "DOT1Q_SRC_VLAN", outerVLAN},
	{254, "DOT1Q_DST_VLAN", outerVLAN},
	{298, "INITIATOR_PKTS", abs(func(r *engine.FlowRecord) *uint64 { return &r.InPkts })},
	{299, "RESPONDER_PKTS", abs(func(r *engine.FlowRecord) *uint64 { return &r.OutPkts })},
	{300, "OBSERVATION_POINT_ID", u16(func(r *engine.FlowRecord) *uint16 { return &r.ObservationPoint })},
	{367, "WTP_MAC_ADDRESS", nil}, // no FlowRecord slot: kept in Additional
}

// ntopRows is §5.2 (ids 57472+n) plus JA3 (§5.3, still parsed by 5.2.1).
// Rows with a nil handler have no FlowRecord slot and go to Additional.
var ntopRows = []fieldRow{
	{57550, "CLIENT_TCP_FLAGS", clientFlags},
	{57551, "SERVER_TCP_FLAGS", u8(func(r *engine.FlowRecord) *uint8 { return &r.ServerTCPFlags })},
	{57552, "SRC_FRAGMENTS", u32(func(r *engine.FlowRecord) *uint32 { return &r.SrcFragments })},
	{57553, "DST_FRAGMENTS", u32(func(r *engine.FlowRecord) *uint32 { return &r.DstFragments })},
	{57573, "SRC_IP_COUNTRY", nil},
	{57575, "DST_IP_COUNTRY", nil},
	{57581, "RETRANSMITTED_IN_PKTS", u32(func(r *engine.FlowRecord) *uint32 { return &r.RetrIn })},
	{57582, "RETRANSMITTED_OUT_PKTS", u32(func(r *engine.FlowRecord) *uint32 { return &r.RetrOut })},
	{57583, "OOORDER_IN_PKTS", u32(func(r *engine.FlowRecord) *uint32 { return &r.OOOIn })},
	{57584, "OOORDER_OUT_PKTS", u32(func(r *engine.FlowRecord) *uint32 { return &r.OOOOut })},
	{57590, "L7_PROTO", l7proto},
	{57591, "L7_PROTO_NAME", str(func(r *engine.FlowRecord) *string { return &r.L7Name })},
	{57594, "NPROBE_INSTANCE_NAME", nil},
	{57595, "CLIENT_NW_LATENCY_MS", latency(1, func(r *engine.FlowRecord) *float32 { return &r.ClientLatencyMs })},
	{57596, "SERVER_NW_LATENCY_MS", latency(2, func(r *engine.FlowRecord) *float32 { return &r.ServerLatencyMs })},
	{57597, "APPL_LATENCY_MS", latency(4, func(r *engine.FlowRecord) *float32 { return &r.ApplLatencyMs })},
	{57602, "SIP_CALL_ID", sipCallID},
	{57640, "SRC_PROC_PID", nil},
	{57641, "SRC_PROC_NAME", nil},
	{57652, "HTTP_URL", str(func(r *engine.FlowRecord) *string { return &r.HTTPURL })},
	{57653, "HTTP_RET_CODE", u16s(func(r *engine.FlowRecord) *uint16 { return &r.HTTPRetCode })},
	{57654, "HTTP_REFERER", nil},
	{57655, "HTTP_USER_AGENT", str(func(r *engine.FlowRecord) *string { return &r.HTTPUserAgent })},
	{57656, "HTTP_MIME", nil},
	{57657, "SMTP_MAIL_FROM", str(func(r *engine.FlowRecord) *string { return &r.SMTPMailFrom })},
	{57658, "SMTP_RCPT_TO", str(func(r *engine.FlowRecord) *string { return &r.SMTPRcptTo })},
	{57659, "HTTP_HOST", nil},
	{57660, "TLS_SERVER_NAME", str(func(r *engine.FlowRecord) *string { return &r.TLSServerName })},
	{57661, "BITTORRENT_HASH", str(func(r *engine.FlowRecord) *string { return &r.BitTorrent })},
	{57677, "DNS_QUERY", str(func(r *engine.FlowRecord) *string { return &r.DNSQuery })},
	{57678, "DNS_QUERY_ID", nil},
	{57679, "DNS_QUERY_TYPE", u16s(func(r *engine.FlowRecord) *uint16 { return &r.DNSQueryType })},
	{57680, "DNS_RET_CODE", u16s(func(r *engine.FlowRecord) *uint16 { return &r.DNSRetCode })},
	{57681, "DNS_NUM_ANSWERS", nil},
	{57827, "DHCP_CLIENT_NAME", nil},
	{57832, "HTTP_METHOD", str(func(r *engine.FlowRecord) *string { return &r.HTTPMethod })},
	{57833, "HTTP_SITE", str(func(r *engine.FlowRecord) *string { return &r.HTTPSite })},
	{57844, "SRC_PROC_USER_NAME", nil},
	{57845, "SRC_FATHER_PROC_PID", nil},
	{57846, "SRC_FATHER_PROC_NAME", nil},
	{57847, "DST_PROC_PID", nil},
	{57848, "DST_PROC_NAME", nil},
	{57849, "DST_PROC_USER_NAME", nil},
	{57850, "DST_FATHER_PROC_PID", nil},
	{57851, "DST_FATHER_PROC_NAME", nil},
	{57888, "TCP_WIN_MAX_IN", u32(func(r *engine.FlowRecord) *uint32 { return &r.TCPWinMaxIn })},
	{57892, "TCP_WIN_MAX_OUT", u32(func(r *engine.FlowRecord) *uint32 { return &r.TCPWinMaxOut })},
	{57897, "SRC_PROC_UID", nil},
	{57898, "DST_PROC_UID", nil},
	{57943, "NPROBE_IPV4_ADDRESS", nprobeIP},
	{57961, "JA3C_HASH", str(func(r *engine.FlowRecord) *string { return &r.JA3C })},
	{57962, "JA3S_HASH", str(func(r *engine.FlowRecord) *string { return &r.JA3S })},
	{57965, "TLS_CIPHER", nil},
	{57966, "SSL_UNSAFE_CIPHER", nil},
	{57981, "L7_PROTO_RISK", u64(func(r *engine.FlowRecord) *uint64 { return &r.Risk })},
	{57982, "L7_PROTO_RISK_NAME", str(func(r *engine.FlowRecord) *string { return &r.RiskName })},
	{57994, "FLOW_VERDICT", verdict},
	{58011, "L7_INFO", str(func(r *engine.FlowRecord) *string { return &r.L7Info })},
	{58012, "SRC_PROC_PKG_NAME", nil},
	{58013, "DST_PROC_PKG_NAME", nil},
	{58026, "L7_ERROR_CODE", u32(func(r *engine.FlowRecord) *uint32 { return &r.L7ErrorCode })},
	{58027, "L7_RISK_INFO", nil},
	{58028, "SRC_PROC_CMDLINE", nil},
	{58029, "DST_PROC_CMDLINE", nil},
	{58030, "SRC_PROC_CONTAINER_ID", nil},
	{58031, "DST_PROC_CONTAINER_ID", nil},
	{58032, "L7_CONFIDENCE", u8(func(r *engine.FlowRecord) *uint8 { return &r.L7Confidence })},
	{58033, "SRC_FATHER_PROC_PKG_NAME", nil},
	{58034, "DST_FATHER_PROC_PKG_NAME", nil},
	{58035, "SRC_FATHER_PROC_UID", nil},
	{58036, "DST_FATHER_PROC_UID", nil},
	{58037, "SRC_FATHER_PROC_USER_NAME", nil},
	{58038, "DST_FATHER_PROC_USER_NAME", nil},
	{58048, "JA4C_HASH", str(func(r *engine.FlowRecord) *string { return &r.JA4C })},
	{58051, "FLOW_SOURCE", flowSource},
	{58061, "UNIQUE_SOURCE_ID", nil},
}

// labelAliases are extra symbolic names resolving to the ids above.
var labelAliases = []struct {
	name string
	id   FieldID
}{
	{"SSL_SERVER_NAME", FieldID{0, 57660}},
	{"POST_NAPT_SRC_TRANSPORT_PORT", FieldID{0, 227}},
	{"POST_NAPT_DST_TRANSPORT_PORT", FieldID{0, 228}},
}

func init() {
	for _, f := range pen0Rows {
		pen0Fields[f.id] = fieldDef{f.name, f.set}
	}
	for _, f := range ntopRows {
		ntopFields[f.id-NtopBaseID] = fieldDef{f.name, f.set}
	}
	defaultLabels = make(map[string]FieldID, len(pen0Rows)+len(ntopRows)+len(labelAliases))
	for _, f := range pen0Rows {
		defaultLabels[f.name] = FieldID{0, f.id}
	}
	for _, f := range ntopRows {
		if f.id == 57827 {
			continue // DHCP_CLIENT_NAME: ntopng has no default label for it
		}
		// nProbe sends ntop elements as PEN 0 ids >= 57472.
		defaultLabels[f.name] = FieldID{0, f.id}
	}
	for _, a := range labelAliases {
		defaultLabels[a.name] = a.id
	}
}
