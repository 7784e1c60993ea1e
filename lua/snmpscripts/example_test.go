package snmpscripts_test

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
	_ "flowgate/lua/snmpapi" // registers ntop.snmp*
	"flowgate/lua/snmpscripts"
	"flowgate/snmp"
	"flowgate/web"
)

// Example_wiring is how cmd/flowgate wires SNMP (compiled, not run).
func Example_wiring() {
	log := slog.Default()
	reg := prometheus.NewRegistry() // /metrics: each component registers its families in New
	eng := engine.New(engine.DefaultConfiguration())
	store := alerts.NewStore(alerts.Config{})
	// Services is shared by every copy of deps: created before any
	// runtime copies deps, filled before anything starts.
	deps := api.Deps{Logger: log, ScriptsDir: "/var/lib/flowgate/scripts", DataDir: "/var/lib/flowgate",
		Services: &api.Services{}}

	// --snmp-device (repeatable) and -i snmptrap://ip[:port].
	var devs []snmp.DeviceConfig
	for _, s := range []string{"snmp://public@192.0.2.1?interval=60"} {
		d, err := snmp.ParseDevice(s)
		if err != nil {
			return
		}
		devs = append(devs, d)
	}
	trapAddr, _ := snmp.ParseTrapEndpoint("snmptrap://0.0.0.0:162")
	user, _ := snmp.ParseTrapUser("ops:SHA:secret123:AES:secret456")

	// Before eng.Start: the poller observes flows.
	poller := snmp.New(snmp.Configuration{DataDir: "/var/lib/flowgate", Interval: 60 * time.Second, Devices: devs, Logger: log},
		snmp.Deps{Alerts: store, Engine: eng, IfNames: nil /* zmq collectors' SNMPInterfaceNames */, Metrics: reg})
	runner := snmpscripts.New(snmpscripts.Configuration{Dir: deps.ScriptsDir, DataDir: deps.DataDir, Logger: log}, poller, store, deps)
	traps, err := snmp.NewTrapReceiver(snmp.TrapConfiguration{Addr: trapAddr, Communities: []string{"public"},
		Users: []snmp.TrapUser{user}, Logger: log}, snmp.TrapDeps{Alerts: store, OnTrap: runner.OnTrap, Metrics: reg})
	if err != nil {
		return
	}
	// ntop.snmp* in every Lua state built from deps (flow, periodic, SNMP).
	deps.Services.SNMP = poller
	deps.Services.Traps = traps

	srv := web.New(web.DefaultConfiguration(), web.Dependencies{Engine: eng, Logger: log,
		Metrics: reg})
	srv.HandleSNMP(poller, traps)

	// Start after the engine and collectors; stop in reverse.
	_ = eng.Start()
	_ = poller.Start()
	_ = runner.Start()
	_ = traps.Start()
	traps.Stop()
	runner.Stop()
	poller.Stop()
	eng.Stop()
}
