package snmp

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/gosnmp/gosnmp"
)

// LLDP-MIB and BRIDGE-MIB columns (numeric OIDs; docs/snmp-topology.md).
const (
	oidLLDPRemEntry     = ".1.0.8802.1.1.2.1.4.1.1." // index timeMark.localPortNum.remIndex
	oidLLDPLocPortEntry = ".1.0.8802.1.1.2.1.3.7.1." // index localPortNum
	oidFdbEntry         = ".1.3.6.1.2.1.17.4.3.1."   // index = the MAC's six octets
	oidBasePortIfIndex  = ".1.3.6.1.2.1.17.1.4.1.2." // dot1dBasePortIfIndex, index bridge port
	lldpSubtypeMAC      = 4                          // lldpRemChassisIdSubtype macAddress
	lldpPortSubtypeMAC  = 3                          // lldpRemPortIdSubtype macAddress
)

// LLDPNeighbor is one remote system an LLDP agent saw on a local port.
type LLDPNeighbor struct {
	LocalPort       uint32 // lldpLocPortNum
	LocalPortID     string
	LocalPortDescr  string
	IfIndex         uint32 // via dot1dBasePortIfIndex, else the port number (LldpPortNumber)
	IfName          string
	RemoteChassisID string
	RemotePortID    string
	RemotePortDescr string
	RemoteSysName   string
}

// BridgeEntry is one MAC address a bridge learned (dot1dTpFdbTable).
type BridgeEntry struct {
	MAC        string
	BridgePort uint32
	IfIndex    uint32 // via dot1dBasePortIfIndex, 0 when unmapped
	IfName     string
	Status     uint64 // dot1dTpFdbStatus: 1 other, 2 invalid, 3 learned, 4 self, 5 mgmt
}

// ErrTopologyWalk wraps every failed LLDP or bridge walk.
var ErrTopologyWalk = errors.New("snmp topology walk failed")

// LLDP walks the device's LLDP remote and local port tables now.
func (p *Poller) LLDP(key string) ([]LLDPNeighbor, error) {
	var out []LLDPNeighbor
	err := p.topologyWalk(key, func(g *gosnmp.GoSNMP, w *topoWalk) error {
		bridge, err := w.basePorts(g)
		if err != nil {
			return err
		}
		type loc struct{ id, descr string }
		locs := map[uint32]*loc{}
		err = w.walk(g, "lldpLocPortTable", []string{oidLLDPLocPortEntry + "3.", oidLLDPLocPortEntry + "4."},
			func(col int, index string, v gosnmp.SnmpPDU) bool {
				n, ok := indexOf(index)
				if !ok {
					w.bad++
					return true
				}
				l := locs[n]
				if l == nil {
					l = &loc{}
					locs[n] = l
				}
				if !str([]*string{&l.id, &l.descr}[col], v) {
					w.bad++
				}
				return true
			})
		if err != nil {
			return err
		}
		type rem struct {
			port                         uint32
			chassisSub, portSub          uint64
			chassis, portID, descr, name []byte
		}
		var rems tableRows[rem]
		cols := []string{oidLLDPRemEntry + "4.", oidLLDPRemEntry + "5.", oidLLDPRemEntry + "6.",
			oidLLDPRemEntry + "7.", oidLLDPRemEntry + "8.", oidLLDPRemEntry + "9."}
		err = w.walk(g, "lldpRemTable", cols, func(col int, index string, v gosnmp.SnmpPDU) bool {
			parts := strings.Split(index, ".")
			if len(parts) != 3 {
				w.bad++
				return true
			}
			port, ok := indexOf(parts[1])
			if !ok {
				w.bad++
				return true
			}
			r := rems.row(w, index, func() *rem { return &rem{port: port} })
			if r == nil {
				return false
			}
			ok = true
			switch col {
			case 0:
				ok = num(&r.chassisSub, v)
			case 1:
				r.chassis, ok = v.Value.([]byte)
			case 2:
				ok = num(&r.portSub, v)
			case 3:
				r.portID, ok = v.Value.([]byte)
			case 4:
				r.descr, ok = v.Value.([]byte)
			case 5:
				r.name, ok = v.Value.([]byte)
			}
			if !ok {
				w.bad++
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, r := range rems.sorted() {
			n := LLDPNeighbor{LocalPort: r.port, IfIndex: r.port, RemoteChassisID: lldpID(r.chassis, r.chassisSub == lldpSubtypeMAC),
				RemotePortID: lldpID(r.portID, r.portSub == lldpPortSubtypeMAC), RemotePortDescr: string(r.descr), RemoteSysName: string(r.name)}
			if ifi, ok := bridge[r.port]; ok {
				n.IfIndex = ifi
			}
			if l := locs[r.port]; l != nil {
				n.LocalPortID, n.LocalPortDescr = l.id, l.descr
			}
			n.IfName = w.ifName(n.IfIndex)
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// Bridge walks the device's forwarding database now.
func (p *Poller) Bridge(key string) ([]BridgeEntry, error) {
	var out []BridgeEntry
	err := p.topologyWalk(key, func(g *gosnmp.GoSNMP, w *topoWalk) error {
		bridge, err := w.basePorts(g)
		if err != nil {
			return err
		}
		var rows tableRows[BridgeEntry]
		cols := []string{oidFdbEntry + "1.", oidFdbEntry + "2.", oidFdbEntry + "3."}
		err = w.walk(g, "dot1dTpFdbTable", cols, func(col int, index string, v gosnmp.SnmpPDU) bool {
			mac, ok := macIndex(index)
			if !ok {
				w.bad++
				return true
			}
			e := rows.row(w, index, func() *BridgeEntry { return &BridgeEntry{MAC: mac} })
			if e == nil {
				return false
			}
			switch col {
			case 0: // the index already carries the address
			case 1:
				var n uint64
				if ok = num(&n, v) && n <= 0xFFFFFFFF; ok {
					e.BridgePort = uint32(n)
				}
			case 2:
				ok = num(&e.Status, v)
			}
			if !ok {
				w.bad++
			}
			return true
		})
		if err != nil {
			return err
		}
		for _, e := range rows.sorted() {
			e.IfIndex = bridge[e.BridgePort]
			e.IfName = w.ifName(e.IfIndex)
			out = append(out, *e)
		}
		return nil
	})
	return out, err
}

// tableRows gathers a walked table's rows by index, at most maxRows.
type tableRows[T any] struct {
	rows map[string]*T
	keys []string
}

// row is index's row, made by mk when new; nil, with the walk marked
// truncated, when a new row would pass maxRows.
func (t *tableRows[T]) row(w *topoWalk, index string, mk func() *T) *T {
	if r := t.rows[index]; r != nil {
		return r
	}
	if len(t.rows) >= w.maxRows {
		w.truncated = true
		return nil
	}
	if t.rows == nil {
		t.rows = map[string]*T{}
	}
	r := mk()
	t.rows[index] = r
	t.keys = append(t.keys, index)
	return r
}

// sorted is the rows in index (OID) order.
func (t *tableRows[T]) sorted() []*T {
	sort.Slice(t.keys, func(i, j int) bool { return oidCompare(t.keys[i], t.keys[j]) < 0 })
	out := make([]*T, len(t.keys))
	for i, k := range t.keys {
		out[i] = t.rows[k]
	}
	return out
}

// topoWalk is one on-demand topology read of a device.
type topoWalk struct {
	key       string
	maxRep    uint32
	maxRows   int
	reqs, bad int
	truncated bool
	ifaces    map[uint32]string // names from the last poll
}

func (w *topoWalk) walk(g *gosnmp.GoSNMP, table string, cols []string, visit func(int, string, gosnmp.SnmpPDU) bool) error {
	n, err := walkColumns(g, cols, w.maxRep, visit)
	w.reqs += n
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrTopologyWalk, w.key, table, err)
	}
	return nil
}

// basePorts maps bridge ports to ifIndexes (dot1dBasePortIfIndex); an
// agent without BRIDGE-MIB answers an empty map.
func (w *topoWalk) basePorts(g *gosnmp.GoSNMP) (map[uint32]uint32, error) {
	m := map[uint32]uint32{}
	err := w.walk(g, "dot1dBasePortTable", []string{oidBasePortIfIndex}, func(_ int, index string, v gosnmp.SnmpPDU) bool {
		port, ok := indexOf(index)
		var ifi uint64
		if !ok || !num(&ifi, v) || ifi > 0xFFFFFFFF {
			w.bad++
			return true
		}
		if len(m) >= w.maxRows {
			w.truncated = true
			return false
		}
		m[port] = uint32(ifi)
		return true
	})
	return m, err
}

func (w *topoWalk) ifName(idx uint32) string { return w.ifaces[idx] }

// topologyWalk runs fn against the device with the poller's client
// settings and counts the walk, its requests, bad values and failures.
func (p *Poller) topologyWalk(key string, fn func(*gosnmp.GoSNMP, *topoWalk) error) (err error) {
	p.mu.RLock()
	d := p.state[key]
	var cfg DeviceConfig
	names := map[uint32]string{}
	if d != nil {
		cfg = d.cfg
		for idx, i := range d.ifaces {
			names[idx] = i.Name
			if names[idx] == "" {
				names[idx] = i.Descr
			}
		}
	}
	p.mu.RUnlock()
	if d == nil {
		return ErrNoDevice
	}
	w := &topoWalk{key: key, maxRep: p.cfg.MaxRepetitions, maxRows: p.cfg.MaxTableRows, ifaces: names}
	p.topoWalks.Add(1)
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("%w: %s: decoder panic: %v", ErrTopologyWalk, key, x)
		}
		p.reqs.Add(uint64(w.reqs))
		p.badVals.Add(uint64(w.bad))
		if w.truncated {
			p.topoTruncated.Add(1)
		}
		if err != nil {
			p.topoErrs.Add(1)
			p.rlog.Warn("topology:"+key, "snmp topology walk failed", "device", key, "err", err)
		}
	}()
	g := cfg.client(p.cfg.Timeout, p.cfg.Retries)
	if err := g.Connect(); err != nil {
		return fmt.Errorf("%w: connect %s: %w", ErrTopologyWalk, key, err)
	}
	defer g.Conn.Close()
	return fn(g, w)
}

// lldpID renders an LLDP chassis or port id: a MAC subtype as aa:bb:..,
// printable text as is, other bytes in hex.
func lldpID(b []byte, mac bool) string {
	if mac && len(b) == 6 {
		return net.HardwareAddr(b).String()
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%x", b)
		}
	}
	return string(b)
}

// macIndex turns a dot1dTpFdbTable index (six decimal octets) into a MAC.
func macIndex(index string) (string, bool) {
	parts := strings.Split(index, ".")
	if len(parts) != 6 {
		return "", false
	}
	b := make(net.HardwareAddr, 6)
	for i, s := range parts {
		n, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return "", false
		}
		b[i] = byte(n)
	}
	return strings.ToUpper(b.String()), true
}
