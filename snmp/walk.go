package snmp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// Numeric OIDs (no MIB files at run time).
const (
	oidSysDescr    = ".1.3.6.1.2.1.1.1.0"
	oidSysObjectID = ".1.3.6.1.2.1.1.2.0"
	oidSysUpTime   = ".1.3.6.1.2.1.1.3.0"
	oidSysContact  = ".1.3.6.1.2.1.1.4.0"
	oidSysName     = ".1.3.6.1.2.1.1.5.0"
	oidSysLocation = ".1.3.6.1.2.1.1.6.0"

	oidIfEntry  = ".1.3.6.1.2.1.2.2.1."
	oidIfXEntry = ".1.3.6.1.2.1.31.1.1.1."
)

var systemOIDs = []string{oidSysDescr, oidSysObjectID, oidSysUpTime, oidSysContact, oidSysName, oidSysLocation}

// column is one table column the poller reads.
type column struct {
	oid string // with trailing dot
	set func(i *Interface, v gosnmp.SnmpPDU) bool
}

var ifColumns = []column{
	{oidIfEntry + "2.", func(i *Interface, v gosnmp.SnmpPDU) bool { return str(&i.Descr, v) }},
	{oidIfEntry + "3.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.Type, v) }},
	{oidIfEntry + "5.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.Speed, v) }},
	{oidIfEntry + "7.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.AdminStatus, v) }},
	{oidIfEntry + "8.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OperStatus, v) }},
	{oidIfEntry + "10.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InOctets, v) }},
	{oidIfEntry + "11.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InUcastPkts, v) }},
	{oidIfEntry + "13.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InDiscards, v) }},
	{oidIfEntry + "14.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InErrors, v) }},
	{oidIfEntry + "16.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutOctets, v) }},
	{oidIfEntry + "17.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutUcastPkts, v) }},
	{oidIfEntry + "19.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutDiscards, v) }},
	{oidIfEntry + "20.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutErrors, v) }},
}

var ifXColumns = []column{
	{oidIfXEntry + "1.", func(i *Interface, v gosnmp.SnmpPDU) bool { return str(&i.Name, v) }},
	{oidIfXEntry + "2.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InMulticastPkts, v) }},
	{oidIfXEntry + "3.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InBroadcastPkts, v) }},
	{oidIfXEntry + "4.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutMulticastPkts, v) }},
	{oidIfXEntry + "5.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutBroadcastPkts, v) }},
	{oidIfXEntry + "6.", func(i *Interface, v gosnmp.SnmpPDU) bool { return hc(&i.InOctets, &i.HC, v) }},
	{oidIfXEntry + "7.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.InUcastPkts, v) }},
	{oidIfXEntry + "10.", func(i *Interface, v gosnmp.SnmpPDU) bool { return hc(&i.OutOctets, &i.HC, v) }},
	{oidIfXEntry + "11.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.OutUcastPkts, v) }},
	{oidIfXEntry + "15.", func(i *Interface, v gosnmp.SnmpPDU) bool { return num(&i.HighSpeed, v) }},
	{oidIfXEntry + "18.", func(i *Interface, v gosnmp.SnmpPDU) bool { return str(&i.Alias, v) }},
}

func str(dst *string, v gosnmp.SnmpPDU) bool {
	switch x := v.Value.(type) {
	case []byte:
		*dst = string(x)
	case string:
		*dst = x
	default:
		return false
	}
	return true
}

func num(dst *uint64, v gosnmp.SnmpPDU) bool {
	switch v.Type {
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
	default:
		return false
	}
	b := gosnmp.ToBigInt(v.Value)
	if b.Sign() < 0 || !b.IsUint64() {
		return false
	}
	*dst = b.Uint64()
	return true
}

// hc stores a 64-bit octet counter (and marks the interface as having them).
func hc(dst *uint64, has *bool, v gosnmp.SnmpPDU) bool {
	if v.Type != gosnmp.Counter64 {
		return false
	}
	if !num(dst, v) {
		return false
	}
	*has = true
	return true
}

// walkColumns walks several table columns at once: one GETBULK carries one
// repeater per still-open column, so a table of n rows and c columns costs
// about n·c/maxRep round trips spread over all columns, as snmpbulkwalk does
// for one column. It calls visit(col, index, pdu) in reply order; the walk
// ends early, without error, when visit returns false (a row bound).
// Agents trim a GETBULK reply to their message size, so the varbinds are
// matched to columns by position and a short reply just moves fewer columns.
func walkColumns(g *gosnmp.GoSNMP, cols []string, maxRep uint32, visit func(col int, index string, v gosnmp.SnmpPDU) bool) (reqs int, err error) {
	type cur struct {
		col  int
		last string
	}
	open := make([]cur, len(cols))
	for i, c := range cols {
		open[i] = cur{i, strings.TrimSuffix(c, ".")}
	}
	for len(open) > 0 {
		oids := make([]string, len(open))
		for i, c := range open {
			oids[i] = c.last
		}
		var pkt *gosnmp.SnmpPacket
		if g.Version == gosnmp.Version1 {
			pkt, err = g.GetNext(oids)
		} else {
			pkt, err = g.GetBulk(oids, 0, maxRep)
		}
		reqs++
		if err != nil {
			return reqs, err
		}
		if pkt.Error != gosnmp.NoError {
			if pkt.Error == gosnmp.NoSuchName && g.Version == gosnmp.Version1 {
				// v1 end of MIB: close every column at once.
				return reqs, nil
			}
			return reqs, fmt.Errorf("agent error %s at varbind %d", pkt.Error, pkt.ErrorIndex)
		}
		if len(pkt.Variables) == 0 {
			return reqs, errors.New("empty GETBULK reply")
		}
		done := make([]bool, len(open))
		moved := false
		for i, v := range pkt.Variables {
			k := i % len(open)
			if done[k] {
				continue
			}
			c := &open[k]
			prefix := cols[c.col]
			name := v.Name
			if !strings.HasPrefix(name, ".") {
				name = "." + name
			}
			if v.Type == gosnmp.EndOfMibView || v.Type == gosnmp.NoSuchObject || v.Type == gosnmp.NoSuchInstance ||
				!strings.HasPrefix(name, prefix) {
				done[k] = true
				continue
			}
			if oidCompare(name, c.last) <= 0 {
				// An agent that does not move forward would loop for ever.
				return reqs, fmt.Errorf("agent returned %s after %s: OID not increasing", name, c.last)
			}
			c.last = name
			moved = true
			if !visit(c.col, name[len(prefix):], v) {
				return reqs, nil
			}
		}
		next := open[:0]
		for k, c := range open {
			if !done[k] {
				next = append(next, c)
			}
		}
		open = next
		if !moved && len(open) > 0 {
			return reqs, errors.New("GETBULK reply made no progress")
		}
	}
	return reqs, nil
}

// oidCompare orders dotted numeric OIDs.
func oidCompare(a, b string) int {
	a, b = strings.TrimPrefix(a, "."), strings.TrimPrefix(b, ".")
	for a != "" || b != "" {
		if a == "" {
			return -1
		}
		if b == "" {
			return 1
		}
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if len(x) != len(y) {
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// pduValue renders a varbind value as a string and its type name, for the
// trap and ntop.snmp* tables.
func pduValue(v gosnmp.SnmpPDU) (typ string, val string) {
	switch v.Type {
	case gosnmp.OctetString:
		b, _ := v.Value.([]byte)
		return "OctetString", string(b)
	case gosnmp.ObjectIdentifier:
		s, _ := v.Value.(string)
		return "ObjectIdentifier", strings.TrimPrefix(s, ".")
	case gosnmp.IPAddress:
		s, _ := v.Value.(string)
		return "IPAddress", s
	case gosnmp.Integer, gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
		return v.Type.String(), gosnmp.ToBigInt(v.Value).String()
	case gosnmp.Null:
		return "Null", ""
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return v.Type.String(), ""
	case gosnmp.Opaque:
		b, _ := v.Value.([]byte)
		return "Opaque", string(b)
	}
	return v.Type.String(), fmt.Sprint(v.Value)
}

// indexOf turns a row suffix ("12") into an ifIndex.
func indexOf(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}
