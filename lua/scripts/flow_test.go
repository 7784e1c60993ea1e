package scripts

import (
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/engine/ndpi"
)

func TestFlowHooksCallCounts(t *testing.T) {
	fx := newFixture(t, copyTree(t, "flow"), nil)
	dns, _ := ndpi.ID("DNS")
	send := func() {
		fx.flow("10.0.0.1", "10.0.0.2", 40000, 443, 6, 0)
		fx.flow("10.0.0.3", "8.8.8.8", 40001, 53, 17, uint16(dns))
		fx.flow("10.0.0.4", "10.0.0.5", 5000, 6000, 17, 0)
	}
	send()
	for i := 0; i < 12; i++ { // 120 s of traffic, refreshed every 10 s
		fx.tick(10 * time.Second)
		send()
	}
	// statusChanged: set, set again (no change), clear.
	fx.iface.Do(func(tb *engine.Tables) {
		tb.Flows(func(f *engine.Flow) bool {
			if f.ServerPort() == 443 {
				tb.SetFlowStatus(f, 3, true)
				tb.SetFlowStatus(f, 3, true)
				tb.SetFlowStatus(f, 3, false)
			}
			return true
		})
	})
	var udp, dnsFlows int
	fx.iface.Do(func(tb *engine.Tables) {
		tb.Flows(func(f *engine.Flow) bool {
			if f.Proto() == 17 {
				udp++
			}
			if f.L7Master == uint16(dns) || f.L7App == uint16(dns) {
				dnsFlows++
			}
			return true
		})
	})
	fx.tick(200 * time.Second) // idle: every flow ends
	fx.sync()
	// What the engine did, to derive the expected periodic calls.
	counts := fx.endedCounts()
	if len(counts) != 3 {
		t.Fatalf("%d flows ended, want 3", len(counts))
	}
	every := func(div uint32) uint64 {
		var n uint64
		for _, c := range counts {
			n += uint64(c / div)
		}
		return n
	}
	if every(1) == 0 {
		t.Fatal("the engine fired no periodic update; the test proves nothing")
	}
	for _, tc := range []struct {
		key  string
		want uint64
	}{
		{"on_protocolDetected", 3},
		{"on_statusChanged", 2},
		{"on_periodicUpdate", every(2)}, // periodic_update_seconds = 60
		{"on_flowEnd", 3},
		{"udp_only", uint64(udp)},
		{"dns_only", uint64(dnsFlows)},
		{"all_hooks", 3 + 2 + every(4) + 3}, // 45 s is not a multiple of 30: 120 s
		{"bogus_l7", 0},
		{"packet_only", 0},
		{"no_setup_ret", 0},
	} {
		st := fx.stats(tc.key)
		if st.Calls != tc.want {
			t.Errorf("%s: %d calls, want %d", tc.key, st.Calls, tc.want)
		}
		if st.Errors != 0 {
			t.Errorf("%s: %d errors (%s)", tc.key, st.Errors, st.LastError)
		}
	}
	if dnsFlows != 1 || udp != 2 {
		t.Errorf("fixture: %d DNS flows, %d UDP flows", dnsFlows, udp)
	}
}

// TestPacketInterfaceOnly: a packet_interface_only script stays out of a
// flow collector (above) but runs on an interface that captures packets.
func TestPacketInterfaceOnly(t *testing.T) {
	for _, kind := range []string{"packet", "pcap"} {
		fx := newFixtureKind(t, copyTree(t, "flow"), kind, nil)
		fx.flow("10.0.0.1", "10.0.0.2", 40000, 443, 6, 0)
		fx.flow("10.0.0.3", "10.0.0.4", 40001, 80, 6, 0)
		if st := fx.stats("packet_only"); st.Calls != 2 {
			t.Errorf("%s interface: packet_only ran %d times, want once per detected flow (2)", kind, st.Calls)
		}
	}
}
