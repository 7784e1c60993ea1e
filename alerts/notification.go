package alerts

import (
	"strconv"
	"unicode/utf8"
)

// Notification is what recipients receive for an engage, release or store.
type Notification struct {
	Alert Alert
}

// JSON is the 4.2 notification document (docs/script-contract.md §5.4), keys in ntopng's order:
// for host/interface/network/... alerts the §5.3 fields plus ifid, action
// and pool_id; for flow alerts the flow2alertJson fields.
func (n Notification) JSON() []byte {
	return n.AppendJSON(make([]byte, 0, 512))
}

// AppendJSON appends JSON() to b (recipients reuse buffers).
func (n Notification) AppendJSON(b []byte) []byte {
	a := &n.Alert
	if a.Flow != nil {
		return appendFlowJSON(b, a)
	}
	b = append(b, `{"ifid":`...)
	b = strconv.AppendInt(b, int64(a.IfID), 10)
	b = appendStrField(b, "action", string(a.Action))
	b = appendIntField(b, "alert_type", int64(a.Type))
	b = appendStrField(b, "alert_subtype", a.Subtype)
	b = appendIntField(b, "alert_severity", int64(a.Severity))
	b = appendIntField(b, "alert_entity", int64(a.Entity))
	b = appendStrField(b, "alert_entity_val", a.EntityVal)
	b = appendIntField(b, "alert_granularity", int64(a.Granularity))
	b = appendIntField(b, "alert_tstamp", a.Tstamp)
	b = appendIntField(b, "alert_tstamp_end", a.TstampEnd)
	b = appendIntField(b, "pool_id", int64(a.PoolID))
	b = appendStrField(b, "alert_json", a.JSON)
	return append(b, '}')
}

func appendFlowJSON(b []byte, a *Alert) []byte {
	f := a.Flow
	b = append(b, `{"alert_json":`...)
	b = AppendString(b, a.JSON)
	b = appendIntField(b, "ifid", int64(a.IfID))
	b = appendStrField(b, "action", string(a.Action))
	b = appendIntField(b, "first_seen", f.FirstSeen)
	b = appendIntField(b, "score", int64(f.Score))
	b = append(b, `,"is_flow_alert":true`...)
	b = appendIntField(b, "alert_tstamp", a.Tstamp)
	b = appendIntField(b, "flow_status", int64(f.Status))
	b = appendIntField(b, "alert_type", int64(a.Type))
	b = appendIntField(b, "alert_severity", int64(a.Severity))
	b = appendIntField(b, "vlan_id", int64(f.VLAN))
	b = appendIntField(b, "proto", int64(f.Proto))
	b = appendStrField(b, "proto.ndpi", f.ProtoNDPI)
	b = appendIntField(b, "l7_master_proto", int64(f.L7Master))
	b = appendIntField(b, "l7_proto", int64(f.L7Proto))
	b = appendUintField(b, "cli2srv_bytes", f.Cli2SrvBytes)
	b = appendUintField(b, "cli2srv_packets", f.Cli2SrvPkts)
	b = appendUintField(b, "srv2cli_bytes", f.Srv2CliBytes)
	b = appendUintField(b, "srv2cli_packets", f.Srv2CliPkts)
	b = appendPeer(b, "cli", &f.Cli)
	b = appendPeer(b, "srv", &f.Srv)
	if f.ReplaceAlert {
		b = append(b, `,"replace_alert":true`...)
	}
	b = appendIntField(b, "alert_entity", int64(EntityFlow))
	b = appendStrField(b, "alert_entity_val", "flow")
	b = appendIntField(b, "pool_id", int64(a.PoolID))
	return append(b, '}')
}

func appendPeer(b []byte, side string, p *FlowPeer) []byte {
	b = appendStrField(b, side+"_addr", p.Addr)
	b = appendBoolField(b, side+"_blacklisted", p.Blacklisted)
	b = appendIntField(b, side+"_port", int64(p.Port))
	b = appendStrField(b, side+"_country", p.Country)
	b = appendStrField(b, side+"_os", p.OS)
	b = appendUintField(b, side+"_asn", uint64(p.ASN))
	return appendBoolField(b, side+"_localhost", p.Localhost)
}

func appendKey(b []byte, k string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func appendIntField(b []byte, k string, v int64) []byte {
	return strconv.AppendInt(appendKey(b, k), v, 10)
}

func appendUintField(b []byte, k string, v uint64) []byte {
	return strconv.AppendUint(appendKey(b, k), v, 10)
}

func appendBoolField(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, k), v)
}

func appendStrField(b []byte, k, v string) []byte {
	return AppendString(appendKey(b, k), v)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way ntopng's encoders write
// it: quotes, backslashes and control characters escaped, '/' and HTML
// characters left alone, invalid UTF-8 replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
