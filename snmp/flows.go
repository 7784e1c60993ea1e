package snmp

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"flowgate/engine"
)

// flowCounter sums flow bytes per (exporter, ifIndex), like ntopng's flow
// devices: a flow entering on InIfIndex adds its client→server bytes as
// "in" there and its server→client bytes as "out"; OutIfIndex the reverse.
// Flow counters are cumulative, so each flow's last counted value is kept
// and only the growth is added: at every periodic update and at the end.
type flowCounter struct {
	// devices maps the polled addresses to their device's key (the
	// lowest, for an address configured twice): flows of other exporters
	// are not tracked, so a big flow table costs nothing here.
	devices atomic.Pointer[map[netip.Addr]string]

	mu   sync.Mutex
	ifs  map[ifKey]*ifBytes
	seen map[*engine.Interface]map[uint64][2]uint64 // per engine interface: flow ID → counted cli/srv bytes
}

type ifKey struct {
	exporter netip.Addr
	index    uint32
}

type ifBytes struct{ in, out uint64 }

func newFlowCounter() *flowCounter {
	return &flowCounter{ifs: map[ifKey]*ifBytes{}, seen: map[*engine.Interface]map[uint64][2]uint64{}}
}

func (c *flowCounter) observer(i *engine.Interface) engine.FlowObserver {
	c.mu.Lock()
	c.seen[i] = map[uint64][2]uint64{}
	c.mu.Unlock()
	return flowObs{c: c, iface: i}
}

type flowObs struct {
	c     *flowCounter
	iface *engine.Interface
}

func (o flowObs) OnFlow(ev engine.FlowEvent, f *engine.Flow, _ time.Time, t *engine.Tables) {
	switch ev {
	case engine.FlowNew, engine.FlowPeriodicUpdate, engine.FlowEnd:
	default:
		return
	}
	if f.InIfIndex|f.OutIfIndex == 0 {
		return
	}
	exp := t.FlowExporter(f)
	if !o.c.tracked(exp) {
		return
	}
	o.c.add(o.iface, exp, f, ev == engine.FlowEnd)
}

func (c *flowCounter) add(i *engine.Interface, exp netip.Addr, f *engine.Flow, end bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seen[i]
	if seen == nil {
		seen = map[uint64][2]uint64{}
		c.seen[i] = seen
	}
	id := f.ID()
	last := seen[id]
	dc, ds := f.CliBytes-min(last[0], f.CliBytes), f.SrvBytes-min(last[1], f.SrvBytes)
	if end {
		delete(seen, id)
	} else {
		seen[id] = [2]uint64{f.CliBytes, f.SrvBytes}
	}
	if dc|ds == 0 {
		return
	}
	if f.InIfIndex != 0 {
		b := c.get(ifKey{exp, f.InIfIndex})
		b.in += dc
		b.out += ds
	}
	if f.OutIfIndex != 0 {
		b := c.get(ifKey{exp, f.OutIfIndex})
		b.out += dc
		b.in += ds
	}
}

func (c *flowCounter) get(k ifKey) *ifBytes {
	b := c.ifs[k]
	if b == nil {
		b = &ifBytes{}
		c.ifs[k] = b
	}
	return b
}

// sync folds the growth of every live flow into the counters (a flow that
// has not had a periodic update yet is counted here), through Interface.Do
// so the tables are read in their owner goroutine.
func (c *flowCounter) sync(e *engine.Engine) {
	if e == nil {
		return
	}
	for _, i := range e.Interfaces() {
		i.Do(func(t *engine.Tables) {
			t.Flows(func(f *engine.Flow) bool {
				if f.InIfIndex|f.OutIfIndex != 0 {
					if exp := t.FlowExporter(f); c.tracked(exp) {
						c.add(i, exp, f, false)
					}
				}
				return true
			})
		})
	}
}

// snapshot returns the counters of one exporter address.
func (c *flowCounter) snapshot(addr string) map[uint32]ifBytes {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[uint32]ifBytes{}
	for k, b := range c.ifs {
		if k.exporter == a {
			out[k.index] = *b
		}
	}
	return out
}

func (c *flowCounter) tracked(a netip.Addr) bool {
	_, ok := c.device(a)
	return ok
}

// device returns the key of the device at exporter address a.
func (c *flowCounter) device(a netip.Addr) (string, bool) {
	m := c.devices.Load()
	if m == nil || !a.IsValid() {
		return "", false
	}
	key, ok := (*m)[a]
	return key, ok
}

// setDevices replaces the tracked exporter addresses (IP literals; names
// are not resolved): device key → configured address.
func (c *flowCounter) setDevices(addrs map[string]string) {
	m := map[netip.Addr]string{}
	for key, s := range addrs {
		if a, ok := exporterAddr(s); ok {
			if k, dup := m[a]; !dup || key < k {
				m[a] = key
			}
		}
	}
	c.devices.Store(&m)
}

// exporterAddr is the address a device's flows name as their exporter:
// its configured address when that is an IP literal (names are not
// resolved).
func exporterAddr(address string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(address)
	return a.Unmap(), err == nil
}
