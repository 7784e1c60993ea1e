package zmq

import (
	"context"
	"fmt"
	"testing"

	"flowgate/collectors/zmq/emulator"
	"flowgate/engine"
	"flowgate/internal/testwait"
)

// TestRiskFieldsReachFlows: nProbe's L7_PROTO_RISK sent by the emulator over
// ZMQ (TLV and symbolic JSON) becomes the risk bitmap of the engine's flows,
// bits beyond nDPI's table included (scripts count those, docs/flow-risks.md).
func TestRiskFieldsReachFlows(t *testing.T) {
	const risk = 1<<24 | 1<<6 | 1<<62
	for _, tlv := range []bool{true, false} {
		t.Run(fmt.Sprintf("tlv=%v", tlv), func(t *testing.T) {
			eng := engine.New(engine.DefaultConfiguration())
			ep := Endpoint{Addr: fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t)), Bind: true}
			iface := eng.AddInterface(ep.String(), "zmq")
			ccfg := DefaultConfiguration()
			ccfg.Endpoints = []Endpoint{ep}
			c, err := New(ccfg, iface)
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Start(); err != nil {
				t.Fatal(err)
			}
			defer eng.Stop()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			rep, err := emulator.Run(context.Background(), emulator.Config{
				Endpoint: ep.Addr, ProbeMode: true, Header: 3, TLV: tlv, Symbolic: !tlv,
				Batch: 30, Total: 300, Flows: 300, Hosts: 20, Risk: risk, WaitPeers: testwait.Timeout,
			})
			if err != nil {
				t.Fatal(err)
			}
			testwait.For(t, "every record processed", func() bool {
				var n uint64
				iface.Do(func(tb *engine.Tables) { n = tb.Stats().FlowRecords })
				return n == rep.Flows
			})
			var tls, risky int
			iface.Do(func(tb *engine.Tables) {
				tb.Flows(func(f *engine.Flow) bool {
					var r uint64
					if x := f.Extra(); x != nil {
						r = x.Risk
					}
					if f.ServerPort() == 443 {
						tls++
						if r == risk {
							risky++
						}
					} else if r != 0 {
						t.Errorf("flow to :%d has risks %x", f.ServerPort(), r)
					}
					return true
				})
			})
			if tls == 0 || risky != tls {
				t.Errorf("%d TLS flows, %d with the risk bitmap %x", tls, risky, uint64(risk))
			}
		})
	}
}
