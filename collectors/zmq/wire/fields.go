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
	switch pen {
	case 0:
		return applyKey(d, r, id, v)
	case NtopPEN:
		if id < NtopBaseID {
			id += NtopBaseID
		}
		if v.kind == kindRaw {
			return false
		}
		if i := id - NtopBaseID; i < ntopMax {
			if h := ntopFields[i].set; h != nil {
				return h(d, r, v)
			}
		}
	}
	return false
}

// keyDef is what a PEN-0 id resolves to: the PEN-0 handler, then, when that
// did not consume the value, the ntop element handler ntopng retries it as
// (which also misreads unhandled standard IEs: 118 → L7_PROTO).
type keyDef struct{ set, retry handler }

// keyDefs holds the PEN-0 ids that resolve to any handler, the ids TLV
// payloads carry: id k < ntopMax at k, ntop ids 57472+n at ntopMax+n, so
// that a numeric key costs one lookup. Filled at init.
var keyDefs [2 * ntopMax]keyDef

// applyKey is apply for PEN 0.
func applyKey(d *Decoder, r *engine.FlowRecord, id uint32, v *value) bool {
	var e *keyDef
	switch {
	case id < ntopMax:
		e = &keyDefs[id]
	case id-NtopBaseID < ntopMax:
		e = &keyDefs[ntopMax+id-NtopBaseID]
	default:
		return false
	}
	if v.kind == kindRaw {
		return false // booleans, objects, arrays: additional only
	}
	if e.set != nil && e.set(d, r, v) {
		return true
	}
	return e.retry != nil && e.retry(d, r, v)
}

// rec shortens the handler rows below.
type rec = engine.FlowRecord

// Setters for the common shapes. Each row's handler is a closure calling one
// with its field's address (inlined), so that a field costs a single
// indirect call.

func u8(p *uint8, v *value) bool   { *p = uint8(v.intNum()); return true }
func u16(p *uint16, v *value) bool { *p = uint16(v.intNum()); return true }
func u32(p *uint32, v *value) bool { *p = uint32(v.intNum()); return true }
func u64(p *uint64, v *value) bool { *p = v.intNum(); return true }

// u16s, u32s and u64s take an integer or the atoi of a string ("int|s").
func u16s(p *uint16, v *value) bool { *p = uint16(v.intOrAtoi()); return true }
func u32s(p *uint32, v *value) bool { *p = uint32(v.intOrAtoi()); return true }
func u64s(p *uint64, v *value) bool { *p = v.intOrAtoi(); return true }

// abs is for INITIATOR/RESPONDER_* (231/232/298/299): absolute counters.
func abs(r *rec, p *uint64, v *value) bool {
	*p = v.intOrAtoi()
	r.Absolute = true
	return true
}

// str sets a string field, copied into the decoder's arena; non-string
// values are ignored (ntopng reads only the string representation).
func str(d *Decoder, p *string, v *value) bool {
	if v.kind == kindString {
		*p = d.own(v.s)
	}
	return true
}

// port stores an integer port, or a decimal string port. ntopng byte-swaps
// string ports (a bug, §5.1 note); flowgate keeps the value the sender meant.
// The first value wins.
func port(p *uint16, v *value) bool {
	if *p == 0 {
		*p = uint16(v.intOrAtoi())
	}
	return true
}

// ip sets a flow endpoint without overwriting a non-empty address, and never
// lets an empty "::"/"0.0.0.0" replace a set one.
func ip(p *netip.Addr, v *value) bool {
	a, ok := v.addr()
	if !ok {
		return true
	}
	if p.IsValid() && (!p.IsUnspecified() || a.IsUnspecified()) {
		return true
	}
	*p = a
	return true
}

// ipSet overwrites an address (exporter, post-NAT).
func ipSet(p *netip.Addr, v *value) bool {
	if a, ok := v.addr(); ok {
		*p = a
	}
	return true
}

func mac(p *[6]byte, v *value) bool {
	if v.kind == kindString {
		*p = parseMAC(v.s)
	} else {
		*p = [6]byte{}
	}
	return true
}

func latency(r *rec, bit uint8, p *float32, v *value) bool {
	*p = float32(v.num())
	r.HasLatency |= bit
	return true
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
	{1, "IN_BYTES", func(_ *Decoder, r *rec, v *value) bool { return u64s(&r.InBytes, v) }},
	{2, "IN_PKTS", func(_ *Decoder, r *rec, v *value) bool { return u64s(&r.InPkts, v) }},
	{4, "PROTOCOL", func(_ *Decoder, r *rec, v *value) bool { r.Proto = uint8(v.intOrAtoi()); return true }},
	{5, "SRC_TOS", func(_ *Decoder, r *rec, v *value) bool { return u8(&r.SrcTOS, v) }},
	{6, "TCP_FLAGS", func(_ *Decoder, r *rec, v *value) bool { return u8(&r.TCPFlags, v) }},
	{7, "L4_SRC_PORT", func(_ *Decoder, r *rec, v *value) bool { return port(&r.SrcPort, v) }},
	{8, "IPV4_SRC_ADDR", func(_ *Decoder, r *rec, v *value) bool { return ip(&r.SrcIP, v) }},
	{9, "IPV4_SRC_MASK", mask},
	{10, "INPUT_SNMP", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.InIfIndex, v) }},
	{11, "L4_DST_PORT", func(_ *Decoder, r *rec, v *value) bool { return port(&r.DstPort, v) }},
	{12, "IPV4_DST_ADDR", func(_ *Decoder, r *rec, v *value) bool { return ip(&r.DstIP, v) }},
	{13, "IPV4_DST_MASK", mask},
	{14, "OUTPUT_SNMP", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.OutIfIndex, v) }},
	{15, "IPV4_NEXT_HOP", nextHop},
	{16, "SRC_AS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.SrcAS, v) }},
	{17, "DST_AS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.DstAS, v) }},
	{21, "LAST_SWITCHED", func(_ *Decoder, r *rec, v *value) bool { return u32s(&r.LastSwitched, v) }},
	{22, "FIRST_SWITCHED", func(_ *Decoder, r *rec, v *value) bool { return u32s(&r.FirstSwitched, v) }},
	{23, "OUT_BYTES", func(_ *Decoder, r *rec, v *value) bool { return u64s(&r.OutBytes, v) }},
	{24, "OUT_PKTS", func(_ *Decoder, r *rec, v *value) bool { return u64s(&r.OutPkts, v) }},
	{27, "IPV6_SRC_ADDR", func(_ *Decoder, r *rec, v *value) bool { return ip(&r.SrcIP, v) }},
	{28, "IPV6_DST_ADDR", func(_ *Decoder, r *rec, v *value) bool { return ip(&r.DstIP, v) }},
	{32, "ICMP_TYPE", nil},
	{34, "SAMPLING_INTERVAL", ignore}, // nProbe already upscales
	{42, "TOTAL_FLOWS_EXP", ignore},
	{52, "MIN_TTL", nil},
	{53, "MAX_TTL", nil},
	{55, "DST_TOS", func(_ *Decoder, r *rec, v *value) bool { return u8(&r.DstTOS, v) }},
	{56, "IN_SRC_MAC", func(_ *Decoder, r *rec, v *value) bool { return mac(&r.SrcMAC, v) }},
	{57, "OUT_DST_MAC", func(_ *Decoder, r *rec, v *value) bool { return mac(&r.DstMAC, v) }},
	{58, "SRC_VLAN", vlan},
	{59, "DST_VLAN", vlan},
	{60, "IP_PROTOCOL_VERSION", func(_ *Decoder, r *rec, v *value) bool { return u8(&r.IPVersion, v) }},
	{61, "DIRECTION", func(_ *Decoder, r *rec, v *value) bool { r.Direction = uint8(v.intOrAtoi()); return true }},
	{62, "IPV6_NEXT_HOP", nil},
	{80, "IN_DST_MAC", func(_ *Decoder, r *rec, v *value) bool { return mac(&r.DstMAC, v) }},
	{81, "OUT_SRC_MAC", func(_ *Decoder, r *rec, v *value) bool { return mac(&r.SrcMAC, v) }},
	{95, "APPLICATION_ID", nil},
	{128, "BGP_NEXT_ADJACENT_ASN", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.NextAS, v) }},
	{129, "BGP_PREV_ADJACENT_ASN", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.PrevAS, v) }},
	{130, "EXPORTER_IPV4_ADDRESS", func(_ *Decoder, r *rec, v *value) bool { return ipSet(&r.ExporterIP, v) }},
	{131, "EXPORTER_IPV6_ADDRESS", exporterV6},
	{136, "FLOW_END_REASON", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.EndReason, v) }},
	{147, "WLAN_SSID", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.WLANSSID, v) }},
	{150, "FLOW_START_SEC", nil},
	{151, "FLOW_END_SEC", nil},
	{152, "FLOW_START_MILLISECONDS", nil},
	{153, "FLOW_END_MILLISECONDS", nil},
	{225, "POST_NAT_SRC_IPV4_ADDR", func(_ *Decoder, r *rec, v *value) bool { return ipSet(&r.PostNATSrcIP, v) }},
	{226, "POST_NAT_DST_IPV4_ADDR", func(_ *Decoder, r *rec, v *value) bool { return ipSet(&r.PostNATDstIP, v) }},
	{227, "POST_NAT_SRC_TRANSPORT_PORT", func(_ *Decoder, r *rec, v *value) bool { return u16(&r.PostNATSrcPort, v) }},
	{228, "POST_NAT_DST_TRANSPORT_PORT", func(_ *Decoder, r *rec, v *value) bool { return u16(&r.PostNATDstPort, v) }},
	{231, "INITIATOR_OCTETS", func(_ *Decoder, r *rec, v *value) bool { return abs(r, &r.InBytes, v) }},
	{232, "RESPONDER_OCTETS", func(_ *Decoder, r *rec, v *value) bool { return abs(r, &r.OutBytes, v) }},
	{234, "INGRESS_VRFID", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.VRF, v) }},
	{239, "BIFLOW_DIRECTION", nil},
	{243, "DOT1Q_SRC_VLAN", outerVLAN},
	{254, "DOT1Q_DST_VLAN", outerVLAN},
	{298, "INITIATOR_PKTS", func(_ *Decoder, r *rec, v *value) bool { return abs(r, &r.InPkts, v) }},
	{299, "RESPONDER_PKTS", func(_ *Decoder, r *rec, v *value) bool { return abs(r, &r.OutPkts, v) }},
	{300, "OBSERVATION_POINT_ID", func(_ *Decoder, r *rec, v *value) bool { return u16(&r.ObservationPoint, v) }},
	{367, "WTP_MAC_ADDRESS", nil}, // no FlowRecord slot: kept in Additional
}

// ntopRows is §5.2 (ids 57472+n) plus JA3 (§5.3, still parsed by 5.2.1).
// Rows with a nil handler have no FlowRecord slot and go to Additional.
var ntopRows = []fieldRow{
	{57550, "CLIENT_TCP_FLAGS", clientFlags},
	{57551, "SERVER_TCP_FLAGS", func(_ *Decoder, r *rec, v *value) bool { return u8(&r.ServerTCPFlags, v) }},
	{57552, "SRC_FRAGMENTS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.SrcFragments, v) }},
	{57553, "DST_FRAGMENTS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.DstFragments, v) }},
	{57573, "SRC_IP_COUNTRY", nil},
	{57575, "DST_IP_COUNTRY", nil},
	{57581, "RETRANSMITTED_IN_PKTS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.RetrIn, v) }},
	{57582, "RETRANSMITTED_OUT_PKTS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.RetrOut, v) }},
	{57583, "OOORDER_IN_PKTS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.OOOIn, v) }},
	{57584, "OOORDER_OUT_PKTS", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.OOOOut, v) }},
	{57590, "L7_PROTO", l7proto},
	{57591, "L7_PROTO_NAME", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.L7Name, v) }},
	{57594, "NPROBE_INSTANCE_NAME", nil},
	{57595, "CLIENT_NW_LATENCY_MS", func(_ *Decoder, r *rec, v *value) bool { return latency(r, 1, &r.ClientLatencyMs, v) }},
	{57596, "SERVER_NW_LATENCY_MS", func(_ *Decoder, r *rec, v *value) bool { return latency(r, 2, &r.ServerLatencyMs, v) }},
	{57597, "APPL_LATENCY_MS", func(_ *Decoder, r *rec, v *value) bool { return latency(r, 4, &r.ApplLatencyMs, v) }},
	{57602, "SIP_CALL_ID", sipCallID},
	{57640, "SRC_PROC_PID", nil},
	{57641, "SRC_PROC_NAME", nil},
	{57652, "HTTP_URL", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.HTTPURL, v) }},
	{57653, "HTTP_RET_CODE", func(_ *Decoder, r *rec, v *value) bool { return u16s(&r.HTTPRetCode, v) }},
	{57654, "HTTP_REFERER", nil},
	{57655, "HTTP_USER_AGENT", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.HTTPUserAgent, v) }},
	{57656, "HTTP_MIME", nil},
	{57657, "SMTP_MAIL_FROM", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.SMTPMailFrom, v) }},
	{57658, "SMTP_RCPT_TO", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.SMTPRcptTo, v) }},
	{57659, "HTTP_HOST", nil},
	{57660, "TLS_SERVER_NAME", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.TLSServerName, v) }},
	{57661, "BITTORRENT_HASH", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.BitTorrent, v) }},
	{57677, "DNS_QUERY", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.DNSQuery, v) }},
	{57678, "DNS_QUERY_ID", nil},
	{57679, "DNS_QUERY_TYPE", func(_ *Decoder, r *rec, v *value) bool { return u16s(&r.DNSQueryType, v) }},
	{57680, "DNS_RET_CODE", func(_ *Decoder, r *rec, v *value) bool { return u16s(&r.DNSRetCode, v) }},
	{57681, "DNS_NUM_ANSWERS", nil},
	{57827, "DHCP_CLIENT_NAME", nil},
	{57832, "HTTP_METHOD", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.HTTPMethod, v) }},
	{57833, "HTTP_SITE", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.HTTPSite, v) }},
	{57844, "SRC_PROC_USER_NAME", nil},
	{57845, "SRC_FATHER_PROC_PID", nil},
	{57846, "SRC_FATHER_PROC_NAME", nil},
	{57847, "DST_PROC_PID", nil},
	{57848, "DST_PROC_NAME", nil},
	{57849, "DST_PROC_USER_NAME", nil},
	{57850, "DST_FATHER_PROC_PID", nil},
	{57851, "DST_FATHER_PROC_NAME", nil},
	{57888, "TCP_WIN_MAX_IN", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.TCPWinMaxIn, v) }},
	{57892, "TCP_WIN_MAX_OUT", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.TCPWinMaxOut, v) }},
	{57897, "SRC_PROC_UID", nil},
	{57898, "DST_PROC_UID", nil},
	{57943, "NPROBE_IPV4_ADDRESS", nprobeIP},
	{57961, "JA3C_HASH", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.JA3C, v) }},
	{57962, "JA3S_HASH", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.JA3S, v) }},
	{57965, "TLS_CIPHER", nil},
	{57966, "SSL_UNSAFE_CIPHER", nil},
	{57981, "L7_PROTO_RISK", func(_ *Decoder, r *rec, v *value) bool { return u64(&r.Risk, v) }},
	{57982, "L7_PROTO_RISK_NAME", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.RiskName, v) }},
	{57994, "FLOW_VERDICT", verdict},
	{58011, "L7_INFO", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.L7Info, v) }},
	{58012, "SRC_PROC_PKG_NAME", nil},
	{58013, "DST_PROC_PKG_NAME", nil},
	{58026, "L7_ERROR_CODE", func(_ *Decoder, r *rec, v *value) bool { return u32(&r.L7ErrorCode, v) }},
	{58027, "L7_RISK_INFO", nil},
	{58028, "SRC_PROC_CMDLINE", nil},
	{58029, "DST_PROC_CMDLINE", nil},
	{58030, "SRC_PROC_CONTAINER_ID", nil},
	{58031, "DST_PROC_CONTAINER_ID", nil},
	{58032, "L7_CONFIDENCE", func(_ *Decoder, r *rec, v *value) bool { return u8(&r.L7Confidence, v) }},
	{58033, "SRC_FATHER_PROC_PKG_NAME", nil},
	{58034, "DST_FATHER_PROC_PKG_NAME", nil},
	{58035, "SRC_FATHER_PROC_UID", nil},
	{58036, "DST_FATHER_PROC_UID", nil},
	{58037, "SRC_FATHER_PROC_USER_NAME", nil},
	{58038, "DST_FATHER_PROC_USER_NAME", nil},
	{58048, "JA4C_HASH", func(d *Decoder, r *rec, v *value) bool { return str(d, &r.JA4C, v) }},
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
	for k := range uint32(ntopMax) {
		if k < pen0Max {
			keyDefs[k].set = pen0Fields[k].set
		}
		keyDefs[k].retry = ntopFields[k].set // k + NtopBaseID
		keyDefs[ntopMax+k].set = ntopFields[k].set
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
