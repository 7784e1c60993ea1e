package ui

import (
	"bufio"
	"fmt"
	"net"
	"testing"
	"time"

	"flowgate/alerts"
	collector "flowgate/collectors/syslog"
	"flowgate/engine"
	"flowgate/history"
	"flowgate/internal/testwait"
	"flowgate/lua/api"
	luasyslog "flowgate/lua/syslog"
	"flowgate/snmp"
	"flowgate/snmp/snmptest"
	"flowgate/web"
)

// syslogXSS is a syslog app name that would be an element if shown as
// markup: no spaces (an app name has none), attributes split by "/".
const syslogXSS = `<img/src=x/onerror=document.title='pwned'>`

// The syslog interface's traffic: what the syslog page must show.
const (
	fwHandled  = 4 // lines of device fw1, routed to fwlog by the producer map
	fwErrors   = 1 // of which one makes the handler raise
	xssLines   = 2 // lines whose app name is syslogXSS (no handler)
	badLines   = 1 // a line no parser accepts
	syslogIfID = 1 // the second interface (after the ZMQ one)
)

// startSyslog adds a syslog interface to eng as cmd/flowgate wires one (a
// real listener on TCP, the Lua handler runtime with
// testdata/syslog/callbacks/syslog/fwlog.lua, the REST endpoints on srv),
// sends it its lines and waits until they are all counted.
func startSyslog(t *testing.T, eng *engine.Engine, srv *web.Server) {
	t.Helper()
	iface := eng.AddInterface("syslog://127.0.0.1:0@tcp", "syslog")
	if iface.ID() != syslogIfID {
		t.Fatalf("syslog interface %d, want %d", iface.ID(), syslogIfID)
	}
	// Its own alert store: nothing it does reaches the alerts the
	// alerts page test counts.
	rt := luasyslog.New(luasyslog.Configuration{Dir: "testdata/syslog"}, eng, iface, alerts.NewStore(alerts.Config{}), api.Deps{})
	if err := rt.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	col := collector.New(collector.Configuration{Addr: "127.0.0.1:0", Transport: collector.TCP,
		Producers: map[string]string{"fw1": "fwlog", "<img src=x onerror=\"document.title='pwned'\">": "fwlog"}}, rt)
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(col.Stop)
	srv.HandleSyslog(web.SyslogEndpoint{Ifid: iface.ID(), Producers: col.Producers, SetProducer: col.SetProducer,
		ListenerStats: func() any { return col.Stats() }, ProducerStats: func() any { return rt.Stats() },
		Totals: rt.SyslogTotals})

	c, err := net.Dial("tcp", col.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := bufio.NewWriter(c)
	for k := 0; k < fwHandled; k++ {
		msg := fmt.Sprintf("DROP IN=eth0 SRC=192.0.2.%d", k)
		if k < fwErrors {
			msg = "boom"
		}
		fmt.Fprintf(w, "<14>Dec  7 05:00:0%d fw1 kernel: %s\n", k, msg)
	}
	for k := 0; k < xssLines; k++ {
		fmt.Fprintf(w, "<14>1 2026-12-07T05:00:0%dZ web2 %s - - - hello\n", k, syslogXSS)
	}
	for k := 0; k < badLines; k++ {
		fmt.Fprintf(w, "\x01\x02 not syslog\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	testwait.ForState(t, "syslog lines counted", func() (any, bool) {
		st := col.Stats()
		var handled, errs, xss uint64
		for _, p := range rt.Stats() {
			switch p.Producer {
			case "fwlog":
				handled, errs = p.Handled, p.Errors
			case syslogXSS:
				xss = p.Received
			}
		}
		state := fmt.Sprintf("listener %+v, producers %+v", st, rt.Stats())
		return state, st.Received == fwHandled+xssLines+badLines && st.Malformed == badLines &&
			handled+errs == fwHandled && errs == fwErrors && xss == xssLines
	})
}

// appendSubnetSeries writes an hour of subnet:traffic of the local
// network (ingress, egress and inner counters) ending at now.
func appendSubnetSeries(t *testing.T, ts *history.Store, now time.Time) {
	t.Helper()
	var batch []history.Sample
	end := now.Unix()
	var in, out, inner float64
	for at := end - 3600; at <= end; at += 60 {
		in, out, inner = in+3e6, out+1e6, inner+5e5
		batch = append(batch, history.Sample{Schema: history.SubnetTraffic, Tags: []string{"0", "10.1.0.0/16"}, Values: []float64{in, out, inner}, T: at})
	}
	if err := ts.Append(batch); err != nil {
		t.Fatal(err)
	}
}

// startTraps starts an SNMP trap receiver (an -i snmptrap:// adds no
// engine interface: the interfaces page shows it from the SNMP stats) and
// has net-snmp's snmptrap send it one v2c trap.
func startTraps(t *testing.T) *snmp.TrapReceiver {
	t.Helper()
	r, err := snmp.NewTrapReceiver(snmp.TrapConfiguration{Addr: "127.0.0.1:0", Communities: []string{"public"}},
		snmp.TrapDeps{Alerts: alerts.NewStore(alerts.Config{})})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	if _, err := snmptest.Tool(t, "snmptrap", "-v", "2c", "-c", "public", r.Addr(), "", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.2.1.2.2.1.1.7", "i", "7"); err != nil {
		t.Fatal(err)
	}
	testwait.ForState(t, "one trap", func() (any, bool) { c := r.Counters(); return c, c.Traps == 1 && c.Sources == 1 })
	return r
}
