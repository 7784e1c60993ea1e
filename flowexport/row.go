// Package flowexport turns the engine's ended (and long-lived) flows into
// rows with ntopng's historical-flow column names, and hands them to the
// sinks that keep them: ClickHouse (flowexport/clickhouse) and a Kafka bus
// (flowexport/kafka). One row type, one column list, so a flow reads the
// same in the database and on the bus (docs/clickhouse.md).
package flowexport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"unicode/utf8"

	"flowgate/engine"
)

// Row is one historical flow record. Src is the flow's client, Dst its
// server, as in ntopng's dump. A flow dumped while still active (see
// Configuration.PeriodicDump) yields several rows with the same FlowID whose
// counters are the deltas since the previous row: the rows of a flow add up
// to its totals.
type Row struct {
	FlowID                uint64
	IPVersion             uint8 // 4 or 6
	FirstSeen, LastSeen   uint32
	VLAN                  uint16
	Protocol              uint8
	Src, Dst              [16]byte // IPv4 as ::ffff:a.b.c.d
	SrcPort, DstPort      uint16
	SrcBytes, DstBytes    uint64 // SRC2DST_BYTES, DST2SRC_BYTES
	SrcPkts, DstPkts      uint64
	L7Proto, L7Master     uint16
	L7Category            uint16
	Risk                  uint64
	Info                  string
	Instance              string
	IfID                  uint16
	SrcMAC, DstMAC        uint64
	SrcASN, DstASN        uint32
	Probe                 [16]byte // exporter; zero when none
	ObsPoint              uint16
	SrcTCPFlags           uint8
	DstTCPFlags           uint8
	Score                 uint16
	CliLatUS, SrvLatUS    uint32
	InIfIndex, OutIfIndex uint32
}

// Column is one column of the flows table.
type Column struct {
	Name string
	// Type in current ClickHouse and in old servers (18.x, Debian 12's),
	// which have no IPv6 domain: the bytes on the wire are the same.
	Type, OldType string
}

// Columns are the flows table's columns, in the order every encoder
// writes them. The names are ntopng's (httpdocs/misc/db_schema_clickhouse.sql
// in ntopng 5/6); SRC2DST_PACKETS and DST2SRC_PACKETS are flowgate's
// (ntopng keeps only the sum, PACKETS).
var Columns = []Column{
	{"FLOW_ID", "UInt64", ""},
	{"IP_PROTOCOL_VERSION", "UInt8", ""},
	{"FIRST_SEEN", "DateTime", ""},
	{"LAST_SEEN", "DateTime", ""},
	{"VLAN_ID", "UInt16", ""},
	{"PACKETS", "UInt32", ""},
	{"TOTAL_BYTES", "UInt64", ""},
	{"SRC2DST_BYTES", "UInt64", ""},
	{"DST2SRC_BYTES", "UInt64", ""},
	{"SRC2DST_PACKETS", "UInt32", ""},
	{"DST2SRC_PACKETS", "UInt32", ""},
	{"PROTOCOL", "UInt8", ""},
	{"IPV4_SRC_ADDR", "UInt32", ""},
	{"IPV6_SRC_ADDR", "IPv6", "FixedString(16)"},
	{"IP_SRC_PORT", "UInt16", ""},
	{"IPV4_DST_ADDR", "UInt32", ""},
	{"IPV6_DST_ADDR", "IPv6", "FixedString(16)"},
	{"IP_DST_PORT", "UInt16", ""},
	{"L7_PROTO", "UInt16", ""},
	{"L7_PROTO_MASTER", "UInt16", ""},
	{"L7_CATEGORY", "UInt16", ""},
	{"FLOW_RISK", "UInt64", ""},
	{"INFO", "String", ""},
	{"NTOPNG_INSTANCE_NAME", "String", ""},
	{"INTERFACE_ID", "UInt16", ""},
	{"SRC_MAC", "UInt64", ""},
	{"DST_MAC", "UInt64", ""},
	{"SRC_ASN", "UInt32", ""},
	{"DST_ASN", "UInt32", ""},
	{"PROBE_IP", "UInt32", ""},
	{"OBSERVATION_POINT_ID", "UInt16", ""},
	{"SRC2DST_TCP_FLAGS", "UInt8", ""},
	{"DST2SRC_TCP_FLAGS", "UInt8", ""},
	{"SCORE", "UInt16", ""},
	{"CLIENT_NW_LATENCY_US", "UInt32", ""},
	{"SERVER_NW_LATENCY_US", "UInt32", ""},
	{"INPUT_SNMP", "UInt32", ""},
	{"OUTPUT_SNMP", "UInt32", ""},
}

// ColumnIndex maps a column name to its index in Columns.
var ColumnIndex = func() map[string]int {
	m := make(map[string]int, len(Columns))
	for i, c := range Columns {
		m[c.Name] = i
	}
	return m
}()

// FromFlow fills r from a flow, inside the observer call that owns it.
// Counters are the flow's totals; the tap turns them into deltas.
func FromFlow(r *Row, f *engine.Flow, t *engine.Tables, instance string, ifid int) {
	*r = Row{
		FlowID:      f.ID(),
		IPVersion:   4,
		FirstSeen:   f.FirstSeen,
		LastSeen:    f.LastSeen,
		VLAN:        f.VLAN(),
		Protocol:    f.Proto(),
		Src:         f.Client().As16(),
		Dst:         f.Server().As16(),
		SrcPort:     f.ClientPort(),
		DstPort:     f.ServerPort(),
		SrcBytes:    f.CliBytes,
		DstBytes:    f.SrvBytes,
		SrcPkts:     f.CliPkts,
		DstPkts:     f.SrvPkts,
		L7Proto:     f.L7(),
		L7Master:    f.L7Master,
		L7Category:  uint16(f.Category),
		Info:        flowInfo(f),
		Instance:    instance,
		IfID:        uint16(ifid),
		SrcMAC:      mac64(f.CliMAC),
		DstMAC:      mac64(f.SrvMAC),
		SrcTCPFlags: f.CliTCPFlags,
		DstTCPFlags: f.SrvTCPFlags,
		CliLatUS:    uint32(f.CliLatencyMs * 1000),
		SrvLatUS:    uint32(f.SrvLatencyMs * 1000),
		InIfIndex:   f.InIfIndex,
		OutIfIndex:  f.OutIfIndex,
	}
	if f.IsIPv6() {
		r.IPVersion = 6
	}
	if t != nil {
		if p := t.FlowExporter(f); p.IsValid() {
			r.Probe = p.As16()
		}
	}
	if x := f.Extra(); x != nil {
		r.SrcASN, r.DstASN = x.CliAS, x.SrvAS
		r.ObsPoint = x.ObservationPoint
		r.Risk = x.Risk
	}
}

// flowInfo is ntopng's INFO column: the flow's most telling L7 string.
func flowInfo(f *engine.Flow) string {
	for _, s := range [...]string{f.DNSQuery(), f.TLSServerName(), f.HTTPSite(), f.L7Info()} {
		if s != "" {
			return s
		}
	}
	return ""
}

func mac64(m [6]byte) uint64 {
	return uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 | uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

// V4 returns the IPv4 value of a 16-byte address (ntopng's IPV4_* UInt32),
// 0 for an IPv6 one.
func V4(a *[16]byte) uint32 {
	if !isV4(a) {
		return 0
	}
	return binary.BigEndian.Uint32(a[12:])
}

// V6 returns the IPV6_* bytes: the address for IPv6, all zero (::) for IPv4,
// as ntopng stores them.
func V6(a *[16]byte) [16]byte {
	if isV4(a) {
		return [16]byte{}
	}
	return *a
}

var v4prefix = [12]byte{10: 0xff, 11: 0xff}

func isV4(a *[16]byte) bool { return [12]byte(a[:12]) == v4prefix }

// AddrString prints a 16-byte address, "" for the zero address.
func AddrString(a *[16]byte) string {
	if *a == ([16]byte{}) {
		return ""
	}
	return netip.AddrFrom16(*a).Unmap().String()
}

// Packets is ntopng's PACKETS (UInt32): saturating, as a delta row never
// nears it.
func (r *Row) Packets() uint32 { return sat32(r.SrcPkts + r.DstPkts) }

func sat32(v uint64) uint32 {
	if v > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(v)
}

// SrcPackets and DstPackets are the per-direction packet columns.
func (r *Row) SrcPackets() uint32 { return sat32(r.SrcPkts) }
func (r *Row) DstPackets() uint32 { return sat32(r.DstPkts) }

// AppendJSON appends the row as one JSON object keyed by the column names
// (the Kafka message): numbers as numbers, addresses as text.
func (r *Row) AppendJSON(b []byte) []byte {
	u := func(name string, v uint64) {
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = strconv.AppendUint(b, v, 10)
		b = append(b, ',')
	}
	s := func(name, v string) {
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = appendJSONString(b, v)
		b = append(b, ',')
	}
	b = append(b, '{')
	u("FLOW_ID", r.FlowID)
	u("IP_PROTOCOL_VERSION", uint64(r.IPVersion))
	u("FIRST_SEEN", uint64(r.FirstSeen))
	u("LAST_SEEN", uint64(r.LastSeen))
	u("VLAN_ID", uint64(r.VLAN))
	u("PACKETS", uint64(r.Packets()))
	u("TOTAL_BYTES", r.SrcBytes+r.DstBytes)
	u("SRC2DST_BYTES", r.SrcBytes)
	u("DST2SRC_BYTES", r.DstBytes)
	u("SRC2DST_PACKETS", uint64(r.SrcPackets()))
	u("DST2SRC_PACKETS", uint64(r.DstPackets()))
	u("PROTOCOL", uint64(r.Protocol))
	if r.IPVersion == 4 {
		s("IPV4_SRC_ADDR", AddrString(&r.Src))
		s("IPV4_DST_ADDR", AddrString(&r.Dst))
	} else {
		s("IPV6_SRC_ADDR", AddrString(&r.Src))
		s("IPV6_DST_ADDR", AddrString(&r.Dst))
	}
	u("IP_SRC_PORT", uint64(r.SrcPort))
	u("IP_DST_PORT", uint64(r.DstPort))
	u("L7_PROTO", uint64(r.L7Proto))
	u("L7_PROTO_MASTER", uint64(r.L7Master))
	u("L7_CATEGORY", uint64(r.L7Category))
	u("FLOW_RISK", r.Risk)
	s("INFO", r.Info)
	s("NTOPNG_INSTANCE_NAME", r.Instance)
	u("INTERFACE_ID", uint64(r.IfID))
	u("SRC_MAC", r.SrcMAC)
	u("DST_MAC", r.DstMAC)
	u("SRC_ASN", uint64(r.SrcASN))
	u("DST_ASN", uint64(r.DstASN))
	s("PROBE_IP", AddrString(&r.Probe))
	u("OBSERVATION_POINT_ID", uint64(r.ObsPoint))
	u("SRC2DST_TCP_FLAGS", uint64(r.SrcTCPFlags))
	u("DST2SRC_TCP_FLAGS", uint64(r.DstTCPFlags))
	u("SCORE", uint64(r.Score))
	u("CLIENT_NW_LATENCY_US", uint64(r.CliLatUS))
	u("SERVER_NW_LATENCY_US", uint64(r.SrvLatUS))
	u("INPUT_SNMP", uint64(r.InIfIndex))
	u("OUTPUT_SNMP", uint64(r.OutIfIndex))
	b[len(b)-1] = '}'
	return b
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...) // invalid UTF-8 from the wire
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// rowVersion leads every encoded row: a spool written by another release
// is refused rather than misread.
const rowVersion = 1

// AppendBinary appends the row's compact encoding (the spool's).
func (r *Row) AppendBinary(b []byte) []byte {
	b = append(b, rowVersion, r.IPVersion, r.Protocol, r.SrcTCPFlags, r.DstTCPFlags)
	b = binary.AppendUvarint(b, r.FlowID)
	for _, v := range [...]uint64{uint64(r.FirstSeen), uint64(r.LastSeen), uint64(r.VLAN), uint64(r.SrcPort), uint64(r.DstPort),
		r.SrcBytes, r.DstBytes, r.SrcPkts, r.DstPkts, uint64(r.L7Proto), uint64(r.L7Master), uint64(r.L7Category), r.Risk,
		uint64(r.IfID), r.SrcMAC, r.DstMAC, uint64(r.SrcASN), uint64(r.DstASN), uint64(r.ObsPoint), uint64(r.Score),
		uint64(r.CliLatUS), uint64(r.SrvLatUS), uint64(r.InIfIndex), uint64(r.OutIfIndex)} {
		b = binary.AppendUvarint(b, v)
	}
	b = append(b, r.Src[:]...)
	b = append(b, r.Dst[:]...)
	b = append(b, r.Probe[:]...)
	b = binary.AppendUvarint(b, uint64(len(r.Info)))
	b = append(b, r.Info...)
	b = binary.AppendUvarint(b, uint64(len(r.Instance)))
	return append(b, r.Instance...)
}

// ErrBadRow is a row encoding that cannot be decoded.
var ErrBadRow = errors.New("flowexport: bad row encoding")

// DecodeBinary reads one row written by AppendBinary and returns the rest.
func (r *Row) DecodeBinary(b []byte) ([]byte, error) {
	if len(b) < 5 || b[0] != rowVersion {
		return nil, fmt.Errorf("%w: header", ErrBadRow)
	}
	r.IPVersion, r.Protocol, r.SrcTCPFlags, r.DstTCPFlags = b[1], b[2], b[3], b[4]
	b = b[5:]
	var vs [25]uint64
	for i := range vs {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("%w: field %d", ErrBadRow, i)
		}
		vs[i], b = v, b[n:]
	}
	r.FlowID = vs[0]
	r.FirstSeen, r.LastSeen, r.VLAN, r.SrcPort, r.DstPort = uint32(vs[1]), uint32(vs[2]), uint16(vs[3]), uint16(vs[4]), uint16(vs[5])
	r.SrcBytes, r.DstBytes, r.SrcPkts, r.DstPkts = vs[6], vs[7], vs[8], vs[9]
	r.L7Proto, r.L7Master, r.L7Category, r.Risk = uint16(vs[10]), uint16(vs[11]), uint16(vs[12]), vs[13]
	r.IfID, r.SrcMAC, r.DstMAC, r.SrcASN, r.DstASN = uint16(vs[14]), vs[15], vs[16], uint32(vs[17]), uint32(vs[18])
	r.ObsPoint, r.Score, r.CliLatUS, r.SrvLatUS = uint16(vs[19]), uint16(vs[20]), uint32(vs[21]), uint32(vs[22])
	r.InIfIndex, r.OutIfIndex = uint32(vs[23]), uint32(vs[24])
	if len(b) < 48 {
		return nil, fmt.Errorf("%w: addresses", ErrBadRow)
	}
	r.Src, r.Dst, r.Probe = [16]byte(b[:16]), [16]byte(b[16:32]), [16]byte(b[32:48])
	b = b[48:]
	var err error
	if r.Info, b, err = readString(b); err != nil {
		return nil, err
	}
	if r.Instance, b, err = readString(b); err != nil {
		return nil, err
	}
	return b, nil
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, fmt.Errorf("%w: string", ErrBadRow)
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}
