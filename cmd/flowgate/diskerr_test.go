package main

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testwait"
)

// TestDiskErrorsIngestCarriesOn: a flowgate child stores one flow alert
// per flow (a user script) and writes its time series. Then no write to a
// file succeeds (its RLIMIT_FSIZE set to 0 from outside with prlimit:
// what a file system remounted read-only does to files already open; a
// chmod would not, it applies at open and not to root): flows keep being
// collected and counted, the lists still answer, every alert of those
// flows is dropped and counted, time-series batches fail and are counted.
// Then writes succeed again: the alerts of the next flows are stored and
// the time series have points again.
func TestDiskErrorsIngestCarriesOn(t *testing.T) {
	data := t.TempDir()
	scripts := filepath.Join(data, "scripts")
	writeScripts(t, scripts, map[string][]byte{"callbacks/interface/flow/kill_alerts.lua": []byte(killFlowScript)})
	zport := freePort(t)
	cmd, c := startChild(t, []string{"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport), "-m", "10.1.0.0/16",
		"-w", "127.0.0.1:0", "-d", data, "--scripts-dir", scripts, "--disable-login"})
	base := c.base

	var sent uint64 // flows sent so far
	send := func(hostNet string) uint64 {
		t.Helper()
		rep, err := emulator.Run(context.Background(), emulator.Config{
			Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
			Batch: 50, Total: 200, Hosts: 20, HostNet: netip.MustParsePrefix(hostNet), Flows: 200,
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep.DistinctFlows != 200 {
			t.Fatalf("the emulator sent %d distinct flows, want 200", rep.DistinctFlows)
		}
		sent += rep.Flows
		testwait.ForState(t, "every flow collected", func() (any, bool) {
			d := c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=0")
			n := num(d["zmqRecvStats"].(map[string]any)["flows"])
			return n, n == sent
		})
		return rep.DistinctFlows
	}
	stored := func() int {
		env, code := c.get("/lua/rest/v2/get/flow/alert/list.lua?ifid=0&length=1")
		if code != 200 {
			t.Fatalf("alert list: HTTP %d %v", code, env)
		}
		return int(num(env["recordsTotal"]))
	}
	tsPoints := func(from int64) int {
		rsp := c.rsp(fmt.Sprintf("/lua/rest/v2/get/timeseries/ts.lua?ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=%d&epoch_end=%d&limit=10000",
			from, time.Now().Unix()+5))
		n := 0
		for _, v := range rsp["series"].([]any)[0].(map[string]any)["data"].([]any) {
			if v != nil {
				n++
			}
		}
		return n
	}

	// Writable: the first flows' alerts are stored.
	first := send("10.1.0.0/24")
	testwait.ForState(t, "the first flows' alerts stored", func() (any, bool) { n := stored(); return n, n == int(first) })

	// Read-only.
	var lim unix.Rlimit
	if err := unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_FSIZE, nil, &lim); err != nil {
		t.Fatal(err)
	}
	ro := lim
	ro.Cur = 0
	if err := unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_FSIZE, &ro, nil); err != nil {
		t.Fatal(err)
	}
	m0 := getMetrics(t, base)
	second := send("10.1.1.0/24")
	testwait.ForState(t, "the read-only disk's alerts dropped and time-series batches failed, counted", func() (any, bool) {
		m := getMetrics(t, base)
		dropped := m.series["flowgate_alert_store_dropped_total"] - m0.series["flowgate_alert_store_dropped_total"]
		tsErrs := m.series["flowgate_timeseries_write_errors_total"] - m0.series["flowgate_timeseries_write_errors_total"]
		return fmt.Sprint(dropped, " dropped, ", tsErrs, " time-series write errors"), dropped == float64(second) && tsErrs >= 2
	})
	if n := stored(); n != int(first) {
		t.Errorf("%d alerts listed on the read-only disk, want the %d stored before", n, first)
	}

	// Writable again.
	if err := unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_FSIZE, &lim, nil); err != nil {
		t.Fatal(err)
	}
	back := time.Now().Unix()
	third := send("10.1.2.0/24")
	testwait.ForState(t, "the next flows' alerts stored", func() (any, bool) { n := stored(); return n, n == int(first+third) })
	testwait.ForState(t, "iface:traffic points after writes came back", func() (any, bool) { n := tsPoints(back + 2); return n, n >= 2 })
	m := getMetrics(t, base)
	if d := m.series["flowgate_alert_store_dropped_total"] - m0.series["flowgate_alert_store_dropped_total"]; d != float64(second) {
		t.Errorf("%v alerts dropped in all, want the %d of the read-only disk", d, second)
	}
	t.Logf("flows collected %d; alerts stored %d, dropped %v; alert-store write errors %v; time-series write errors %v, points %v",
		sent, stored(), m.series["flowgate_alert_store_dropped_total"], m.series["flowgate_alert_store_write_errors_total"],
		m.series["flowgate_timeseries_write_errors_total"], m.series["flowgate_timeseries_points_total"])
}
