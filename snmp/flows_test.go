package snmp

import (
	"net/netip"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/internal/testwait"
)

// Flows exported by a polled device are counted on its interfaces by
// ifIndex; flows of other exporters are not.
func TestFlowCorrelation(t *testing.T) {
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface("zmq", "zmq")
	p := New(Configuration{Interval: time.Hour}, Deps{Engine: eng, IfNames: func(exp string) map[uint32]string {
		if exp == "127.0.0.1" {
			return map[uint32]string{7: "ge-0/0/7"}
		}
		return nil
	}})
	if _, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: 1}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	now := uint32(time.Now().Unix())
	send := func(exp string, src string, in, out uint64) {
		b := iface.NewBatch()
		r := b.AddFlow()
		r.SrcIP, r.DstIP = netip.MustParseAddr(src), netip.MustParseAddr("10.0.0.2")
		r.SrcPort, r.DstPort, r.Proto = 40000, 443, 6
		r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = in, 1, out, 1
		r.FirstSwitched, r.LastSwitched = now, now
		r.InIfIndex, r.OutIfIndex = 7, 9
		r.ExporterIP = netip.MustParseAddr(exp)
		if !iface.Enqueue(b) {
			t.Fatal("queue full")
		}
	}
	send("127.0.0.1", "10.0.0.1", 1000, 300)
	send("127.0.0.1", "10.0.0.1", 500, 200) // same flow, delta counters
	send("127.0.0.9", "10.0.0.3", 99999, 99999)
	var ifs []Interface
	testwait.For(t, "flow bytes", func() bool {
		ifs, _ = p.Interfaces("127.0.0.1:1")
		return len(ifs) == 2 && ifs[0].FlowBytesIn == 1500
	})
	in7, in9 := ifs[0], ifs[1]
	if in7.Index != 7 || in7.Name != "ge-0/0/7" || in7.FlowBytesIn != 1500 || in7.FlowBytesOut != 500 ||
		in9.Index != 9 || in9.FlowBytesIn != 500 || in9.FlowBytesOut != 1500 {
		t.Fatalf("interfaces %+v", ifs)
	}
}
