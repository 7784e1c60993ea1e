package main

import (
	"context"
	"fmt"
	"testing"

	"flowgate/collectors/zmq/emulator"
	"flowgate/engine"
	"flowgate/flowexport/clickhouse/chtest"
	"flowgate/internal/testwait"
)

// TestClickHouseDumpWired: flowgate with -F against a real ClickHouse and
// a ZMQ interface fed by the nProbe emulator; when it stops, every flow
// ends and the flows table holds one row per flow, with the interface and
// instance name.
func TestClickHouseDumpWired(t *testing.T) {
	srv := chtest.Start(t)
	zport := freePort(t)
	a := launch(t, "-d", t.TempDir(), "--instance-name", "edge-1",
		"-F", fmt.Sprintf("clickhouse;%s;ntopng;default;%s", srv.Addr, chtest.Password),
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport))
	st, err := emulator.Run(context.Background(), emulator.Config{
		Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
		Batch: 50, Total: 300, Hosts: 20, Flows: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	iface := a.eng.Interface(0)
	var flows int
	testwait.ForState(t, "the emulator's flows in the engine", func() (any, bool) {
		iface.Do(func(tb *engine.Tables) { flows = tb.NumFlows() })
		return flows, uint64(flows) == st.DistinctFlows
	})
	a.stop() // ends every flow; the writer stops after the engine
	conn := srv.Conn(t)
	defer conn.Close()
	var n, inst, ifid uint64
	if err := conn.QueryRow(context.Background(),
		"SELECT count(), countIf(NTOPNG_INSTANCE_NAME = 'edge-1'), countIf(INTERFACE_ID = 0) FROM ntopng.flows").Scan(&n, &inst, &ifid); err != nil {
		t.Fatal(err)
	}
	if n != uint64(flows) || inst != n || ifid != n {
		t.Fatalf("%d rows (%d with the instance name, %d of ifid 0), want %d", n, inst, ifid, flows)
	}
}
