package snmp

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Query runs one-off requests (ntop.snmpget and friends) with the same
// client construction as the poller. The zero value uses 2 s, 1 retry and
// 25 repetitions.
type Query struct {
	Timeout        time.Duration
	Retries        int
	MaxRepetitions uint32
}

// Query returns the poller's request settings.
func (p *Poller) Query() Query {
	return Query{Timeout: p.cfg.Timeout, Retries: p.cfg.Retries, MaxRepetitions: p.cfg.MaxRepetitions}
}

// ParseTarget splits "host[:port]" (IPv6 in brackets) into a device.
func ParseTarget(hostport string) (DeviceConfig, error) {
	d := DeviceConfig{Address: hostport}
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil {
			return d, fmt.Errorf("snmp target %q: bad port", hostport)
		}
		d.Address, d.Port = h, n
	}
	return d, nil
}

func (q Query) client(d DeviceConfig) (*gosnmp.GoSNMP, error) {
	if err := d.normalize(); err != nil {
		return nil, err
	}
	if q.Timeout <= 0 {
		q.Timeout = 2 * time.Second
	}
	g := d.client(q.Timeout, max(q.Retries, 0))
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("snmp %s: %w", d.Key(), err)
	}
	return g, nil
}

func varbinds(pkt *gosnmp.SnmpPacket) ([]Varbind, error) {
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("agent error %s at varbind %d", pkt.Error, pkt.ErrorIndex)
	}
	out := make([]Varbind, 0, len(pkt.Variables))
	for _, v := range pkt.Variables {
		typ, val := pduValue(v)
		out = append(out, Varbind{OID: strings.TrimPrefix(v.Name, "."), Type: typ, Value: val})
	}
	return out, nil
}

func dotted(oids []string) []string {
	out := make([]string, len(oids))
	for i, o := range oids {
		if !strings.HasPrefix(o, ".") {
			o = "." + o
		}
		out[i] = o
	}
	return out
}

// Get is an SNMP GET of oids.
func (q Query) Get(d DeviceConfig, oids ...string) ([]Varbind, error) {
	g, err := q.client(d)
	if err != nil {
		return nil, err
	}
	defer g.Conn.Close()
	pkt, err := g.Get(dotted(oids))
	if err != nil {
		return nil, err
	}
	return varbinds(pkt)
}

// GetNext is an SNMP GETNEXT of oids.
func (q Query) GetNext(d DeviceConfig, oids ...string) ([]Varbind, error) {
	g, err := q.client(d)
	if err != nil {
		return nil, err
	}
	defer g.Conn.Close()
	pkt, err := g.GetNext(dotted(oids))
	if err != nil {
		return nil, err
	}
	return varbinds(pkt)
}

// GetBulk is one GETBULK (v2c/v3; GETNEXT for v1) of up to MaxRepetitions
// successors of each oid.
func (q Query) GetBulk(d DeviceConfig, oids ...string) ([]Varbind, error) {
	g, err := q.client(d)
	if err != nil {
		return nil, err
	}
	defer g.Conn.Close()
	var pkt *gosnmp.SnmpPacket
	if g.Version == gosnmp.Version1 {
		pkt, err = g.GetNext(dotted(oids))
	} else {
		rep := q.MaxRepetitions
		if rep == 0 {
			rep = 25
		}
		pkt, err = g.GetBulk(dotted(oids), 0, rep)
	}
	if err != nil {
		return nil, err
	}
	return varbinds(pkt)
}

// Set writes one value; typ is net-snmp's type letter (i u c s x o a t)
// or an ASN.1 name (Integer, OctetString, ...).
func (q Query) Set(d DeviceConfig, oid, typ, value string) error {
	pdu, err := setPDU(oid, typ, value)
	if err != nil {
		return err
	}
	g, err := q.client(d)
	if err != nil {
		return err
	}
	defer g.Conn.Close()
	pkt, err := g.Set([]gosnmp.SnmpPDU{pdu})
	if err != nil {
		return err
	}
	if pkt.Error != gosnmp.NoError {
		return fmt.Errorf("agent refused the set: %s", pkt.Error)
	}
	return nil
}

func setPDU(oid, typ, value string) (gosnmp.SnmpPDU, error) {
	p := gosnmp.SnmpPDU{Name: dotted([]string{oid})[0]}
	u32 := func() (uint32, error) {
		n, err := strconv.ParseUint(value, 10, 32)
		return uint32(n), err
	}
	var err error
	switch strings.ToLower(typ) {
	case "i", "integer", "int":
		var n int64
		n, err = strconv.ParseInt(value, 10, 32)
		p.Type, p.Value = gosnmp.Integer, int(n)
	case "u", "gauge32", "unsigned":
		var n uint32
		n, err = u32()
		p.Type, p.Value = gosnmp.Gauge32, uint(n)
	case "c", "counter32":
		var n uint32
		n, err = u32()
		p.Type, p.Value = gosnmp.Counter32, uint(n)
	case "t", "timeticks":
		var n uint32
		n, err = u32()
		p.Type, p.Value = gosnmp.TimeTicks, n
	case "s", "octetstring", "string":
		p.Type, p.Value = gosnmp.OctetString, value
	case "x", "hex":
		var b []byte
		b, err = hexBytes(value)
		p.Type, p.Value = gosnmp.OctetString, b
	case "o", "objectidentifier", "oid":
		p.Type, p.Value = gosnmp.ObjectIdentifier, dotted([]string{value})[0]
	case "a", "ipaddress":
		if net.ParseIP(value).To4() == nil {
			err = errors.New("not an IPv4 address")
		}
		p.Type, p.Value = gosnmp.IPAddress, value
	default:
		return p, fmt.Errorf("snmp set %s: unknown type %q", oid, typ)
	}
	if err != nil {
		return p, fmt.Errorf("snmp set %s: value %q for type %s: %w", oid, value, typ, err)
	}
	return p, nil
}

func hexBytes(s string) ([]byte, error) {
	s = strings.NewReplacer(" ", "", ":", "").Replace(strings.TrimPrefix(strings.ToLower(s), "0x"))
	if len(s)%2 != 0 {
		return nil, errors.New("odd number of hex digits")
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		n, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, err
		}
		out[i] = byte(n)
	}
	return out, nil
}

// Interface roles (ntop.snmpSetInterfaceRole / activateSnmpInterfaceRoles):
// set in a pending table, then made current at once.
type roles struct {
	mu      sync.Mutex
	pending map[string]map[uint32]int
	active  map[string]map[uint32]int
}

// SetInterfaceRole stages a role for (device address, ifIndex).
func (p *Poller) SetInterfaceRole(device string, ifIndex uint32, role int) {
	p.roles.mu.Lock()
	defer p.roles.mu.Unlock()
	if p.roles.pending == nil {
		p.roles.pending = map[string]map[uint32]int{}
	}
	if p.roles.pending[device] == nil {
		p.roles.pending[device] = map[uint32]int{}
	}
	p.roles.pending[device][ifIndex] = role
}

// ActivateInterfaceRoles makes the staged roles current.
func (p *Poller) ActivateInterfaceRoles() {
	p.roles.mu.Lock()
	defer p.roles.mu.Unlock()
	p.roles.active, p.roles.pending = p.roles.pending, nil
}

// InterfaceRole is the active role of an interface (0 none).
func (p *Poller) InterfaceRole(device string, ifIndex uint32) int {
	p.roles.mu.Lock()
	defer p.roles.mu.Unlock()
	return p.roles.active[device][ifIndex]
}
