package main

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testwait"
)

// TestTimeseriesTotalsEqualEmulator: flows from the nProbe emulator over
// ZMQ into a flowgate with its time series on (the default); the
// iface:traffic total that ts.lua answers over the window equals the
// bytes the emulator reports having sent. The window starts before the
// sampler's first sample of the interface, so no byte predates the
// series' DERIVE baseline; once the last flow is counted, one more step
// puts its bytes in a point.
func TestTimeseriesTotalsEqualEmulator(t *testing.T) {
	a, zport := startApp(t, "--disable-login")
	c := &client{t: t, base: "http://" + a.http.Addr()}
	begin := time.Now().Unix() - 5
	ts := func() (total float64, points int) {
		u := fmt.Sprintf("/lua/rest/v2/get/timeseries/ts.lua?ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=%d&epoch_end=%d&limit=1000",
			begin, time.Now().Unix()+5)
		rsp := c.rsp(u)
		series := rsp["series"].([]any)
		if len(series) != 1 {
			t.Fatalf("ts.lua series: %v", series)
		}
		s0 := series[0].(map[string]any)
		for _, v := range s0["data"].([]any) {
			if v != nil {
				points++
			}
		}
		return s0["statistics"].(map[string]any)["total"].(float64), points
	}
	// The baseline: the series has points (of 0 bytes) before any flow.
	testwait.ForState(t, "iface:traffic points before the flows", func() (any, bool) {
		total, n := ts()
		return [2]float64{total, float64(n)}, n >= 1 && total == 0
	})
	rep, err := emulator.Run(context.Background(), emulator.Config{
		Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
		Batch: 100, Total: 20_000, Hosts: 50, Flows: 2000, Rate: 10_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bytes == 0 {
		t.Fatal("the emulator sent no bytes")
	}
	testwait.ForState(t, "every flow counted", func() (any, bool) {
		d := c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=0")
		n := num(d["zmqRecvStats"].(map[string]any)["flows"])
		return n, n >= rep.Flows
	})
	testwait.ForState(t, "the ts.lua total of iface:traffic equal to the emulator's bytes", func() (any, bool) {
		total, _ := ts()
		return fmt.Sprintf("%.0f of %d", total, rep.Bytes), math.Abs(total-float64(rep.Bytes)) < 0.5
	})
}
