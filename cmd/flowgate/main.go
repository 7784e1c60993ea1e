// Command flowgate is the collector appliance: ntopng's command line and
// configuration file, the nProbe ZMQ collector, the flow/host engine and
// the REST API. `flowgate probe` is the nProbe emulator.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"flowgate/alerts"
	"flowgate/alerts/recipients"
	"flowgate/collectors/packet"
	syslogc "flowgate/collectors/syslog"
	"flowgate/collectors/zmq"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/deploy"
	"flowgate/engine"
	"flowgate/lua/api"
	"flowgate/lua/httpd"
	"flowgate/lua/kv"
	"flowgate/lua/recipientapi"
	"flowgate/lua/scripts"
	"flowgate/lua/snmpapi"
	"flowgate/lua/snmpscripts"
	luasyslog "flowgate/lua/syslog"
	"flowgate/snmp"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "probe":
			os.Exit(runProbe(args[1:], os.Stdout, os.Stderr))
		case "scripts":
			os.Exit(runScripts(args[1:], os.Stdout, os.Stderr))
		case "lua":
			os.Exit(runLua(args[1:], os.Stdout, os.Stderr))
		case "-h", "--help", "help":
			fmt.Print(usage())
			return
		case "version", "--version", "-V":
			fmt.Println("flowgate", version)
			return
		}
	}
	opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "flowgate: %v\n", err)
		os.Exit(2)
	}
	if err := run(opts); err != nil {
		fmt.Fprintf(os.Stderr, "flowgate: %v\n", err)
		os.Exit(1)
	}
}

const version = "0.1.0"

// app is the wired set of components.
type app struct {
	log        *slog.Logger
	opts       Options
	eng        *engine.Engine
	alerts     *alerts.Store
	recipients *recipients.Manager
	retention  context.CancelFunc
	kv         kv.Store
	scripts    *scripts.Runtime
	geoip      *api.GeoIP
	collectors []*zmq.Collector
	packets    []*packet.Collector

	syslogPending []syslogPending
	syslogRT      []*luasyslog.Runtime
	syslogCol     []*syslogc.Collector

	snmp        *snmp.Poller
	snmpScripts *snmpscripts.Runner
	traps       *snmp.TrapReceiver
	trapAddr    string
	http        *httpd.Server
}

func newApp(opts Options, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if installed, err := deploy.InstallScripts(opts.ScriptsDir); err != nil {
		return nil, err
	} else if installed {
		log.Info("installed flowgate's scripts into a new scripts dir", "dir", opts.ScriptsDir)
	}
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = opts.LocalNetworks
	ecfg.MaxFlows = opts.MaxFlows
	ecfg.MaxHosts = opts.MaxHosts
	ecfg.FlowIdle = opts.FlowIdle
	a := &app{log: log, opts: opts, eng: engine.New(ecfg)}

	var curve *zmtp.CurveKeyPair
	if opts.ZMQEncryption {
		kp, err := loadCurveKey(opts, log)
		if err != nil {
			return nil, err
		}
		curve = &kp
	}
	for _, iface := range opts.Interfaces {
		if err := a.addInterface(opts, iface, curve, log); err != nil {
			return nil, err
		}
	}
	// User scripts subscribe to the engine's flow events, so the runtime
	// exists before the engine starts.
	a.alerts = alerts.NewStore(alerts.Config{})
	a.recipients = recipients.New(recipients.Configuration{DataDir: opts.DataDir, URLs: opts.Recipients,
		QueueSize: opts.RecipientQueueSize, AllowShell: opts.RecipientAllowShell, Version: version, Logger: log,
		IfName: func(id int) string {
			if i := a.eng.Interface(id); i != nil {
				return i.Name()
			}
			return ""
		}})
	a.alerts.Subscribe(a.recipients.Notify)
	store, err := kv.Open(kv.Config{Redis: opts.Redis, Dir: opts.DataDir})
	if err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	a.kv = store
	oui, _ := api.LoadOUI(api.DefaultOUIFiles...) // Debian's ieee-data, when installed
	deps := api.Deps{
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Cache:      api.NewCacheOn(store),
		Resolver:   api.NewResolver(),
		LuaCache:   api.NewLuaCache(),
		Categories: api.NewCustomCategories(),
		OUI:        oui,
		AllowExec:  opts.AllowLuaExec,
		Ext:        map[string]any{}, // filled below, before anything starts
		Logger:     log,
		ScriptsDir: opts.ScriptsDir,
		DataDir:    opts.DataDir,
		Version:    version,
	}
	deps.Ext[recipientapi.ExtKey] = a.recipients
	if opts.GeoIPDir != "" {
		g, err := api.OpenGeoIP(opts.GeoIPDir)
		if err != nil {
			return nil, fmt.Errorf("--geoip-dir: %w", err)
		}
		a.geoip, deps.GeoIP = g, g
	}
	a.scripts = scripts.New(scripts.Configuration{
		Dir:        opts.ScriptsDir,
		DataDir:    opts.DataDir,
		CallBudget: opts.LuaCallBudget,
		Now:        opts.scriptClock,
		Logger:     log,
	}, a.eng, a.alerts, deps)
	if err := a.setupSNMP(opts, log, deps); err != nil {
		return nil, err
	}

	hcfg := httpd.DefaultConfiguration()
	hcfg.Addr = opts.HTTPAddr
	hcfg.DisableLogin = opts.DisableLogin
	hcfg.DataDir = opts.DataDir
	hcfg.AdminPassword = opts.AdminPassword
	a.http = httpd.New(hcfg, httpd.Dependencies{
		Engine:  a.eng,
		Logger:  log,
		Metrics: []func(io.Writer){a.socketMetrics, a.snmpMetrics, a.recipients.WriteMetrics},
	})
	a.http.HandleAlerts(a.alerts)
	a.http.HandleAlertOps(a.alerts)
	a.http.HandleRecipients(a.recipients)
	a.http.HandleSNMP(a.snmp, a.traps)
	for _, p := range a.syslogPending {
		a.setupSyslog(opts, log, deps, p)
	}
	a.http.Handle("/lua/rest/v2/get/user_script/", a.scripts.Handler())
	a.http.Handle("/lua/rest/v2/edit/user_script/", a.scripts.Handler())
	a.http.Handle("/lua/rest/v2/enable/", a.scripts.Handler())
	a.http.Handle("/lua/rest/v2/disable/", a.scripts.Handler())
	return a, nil
}

// loadCurveKey finds the CURVE server key as ntopng does: the secret given
// on the command line, or the data dir's zmq-key.{pub,priv}, created when
// missing.
func loadCurveKey(opts Options, log *slog.Logger) (zmtp.CurveKeyPair, error) {
	if opts.ZMQKeyPriv != "" {
		secret, err := zmtp.ParseSecretKey(opts.ZMQKeyPriv)
		if err != nil {
			return zmtp.CurveKeyPair{}, fmt.Errorf("--zmq-encryption-key-priv: %w", err)
		}
		return zmtp.KeyPairFromSecret(secret), nil
	}
	kp, created, err := zmtp.LoadOrCreateKeyPair(opts.DataDir)
	if err != nil {
		return kp, fmt.Errorf("zmq encryption keys: %w", err)
	}
	log.Info("zmq CURVE encryption on: give nProbe --zmq-encryption-key with this key",
		"public_key_hex", zmtp.PublicKeyHex(kp), "public_key_z85", kp.PublicZ85(), "created", created)
	return kp, nil
}

func (a *app) start() error {
	if err := a.recipients.Start(); err != nil {
		return fmt.Errorf("recipients: %w", err)
	}
	if a.opts.AlertsMaxAge > 0 || a.opts.AlertsMaxCount > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		a.retention = cancel
		go a.alerts.RunRetention(ctx, time.Minute, a.opts.AlertsMaxAge, a.opts.AlertsMaxCount)
	}
	if err := a.scripts.Start(); err != nil {
		return err
	}
	if err := a.eng.Start(); err != nil {
		return err
	}
	for _, c := range a.collectors {
		if err := c.Start(); err != nil {
			a.stop()
			return err
		}
	}
	if err := a.snmp.Start(); err != nil {
		a.stop()
		return err
	}
	if err := a.snmpScripts.Start(); err != nil {
		a.stop()
		return err
	}
	if a.traps != nil {
		if err := a.traps.Start(); err != nil {
			a.stop()
			return err
		}
	}
	for i, rt := range a.syslogRT {
		if err := rt.Start(); err != nil {
			a.stop()
			return err
		}
		if err := a.syslogCol[i].Start(); err != nil {
			a.stop()
			return err
		}
	}
	// A capture that cannot start (no such interface, not a capture file)
	// is reported and counted; the other interfaces go on.
	for _, pc := range a.packets {
		if err := pc.Start(); err != nil {
			a.log.Error("packet interface not started", "err", err)
		}
	}
	if err := a.http.Start(); err != nil {
		a.stop()
		return err
	}
	return nil
}

func (a *app) stop() {
	a.http.Stop()
	if a.traps != nil {
		a.traps.Stop() // drains its queue into the trap scripts
	}
	a.snmpScripts.Stop()
	a.snmp.Stop()
	for i, col := range a.syslogCol {
		col.Stop()
		a.syslogRT[i].Stop() // drains the handler queues, runs teardown
	}
	for _, c := range a.collectors {
		c.Stop()
	}
	for _, pc := range a.packets {
		pc.Stop()
	}
	a.eng.Stop() // ends every flow: flowEnd hooks run
	a.scripts.Stop()
	if a.geoip != nil {
		a.geoip.Close()
	}
	if a.retention != nil {
		a.retention()
	}
	a.recipients.Stop() // after every alert source, so their last alerts are queued
	a.kv.Close()        // last: scripts may write to it until they stop
}

// syslogPending is a syslog interface waiting for the Lua runtime.
type syslogPending struct {
	iface *engine.Interface
	cfg   syslogc.Configuration
}

// setupSyslog gives a syslog interface its handler runtime (one long-lived
// Lua state per producer), its listeners and its REST endpoints.
func (a *app) setupSyslog(opts Options, log *slog.Logger, deps api.Deps, p syslogPending) {
	rt := luasyslog.New(luasyslog.Configuration{Dir: opts.ScriptsDir, DataDir: opts.DataDir, CallBudget: opts.LuaCallBudget,
		Workers: opts.SyslogLuaWorkers, Logger: log}, a.eng, p.iface, a.alerts, deps)
	col := syslogc.New(p.cfg, rt)
	a.syslogRT, a.syslogCol = append(a.syslogRT, rt), append(a.syslogCol, col)
	ifid := p.iface.ID()
	a.http.HandleSyslog(httpd.SyslogEndpoint{Ifid: ifid, Producers: col.Producers, SetProducer: col.SetProducer,
		ListenerStats: func() any { return col.Stats() }, ProducerStats: func() any { return rt.Stats() },
		Totals: rt.SyslogTotals, Metrics: func(w io.Writer) { col.WriteMetrics(w, ifid); rt.WriteMetrics(w, ifid) }})
}

// setupSNMP creates the poller (before the engine starts: it observes
// flows for the exporter-interface counters), its scripts and the trap
// receiver, and hands them to the ntop.snmp* functions through deps.Ext.
func (a *app) setupSNMP(opts Options, log *slog.Logger, deps api.Deps) error {
	var devs []snmp.DeviceConfig
	for _, s := range opts.SNMPDevices {
		d, err := snmp.ParseDevice(s)
		if err != nil {
			return err
		}
		devs = append(devs, d)
	}
	a.snmp = snmp.New(snmp.Configuration{DataDir: opts.DataDir, Interval: opts.SNMPInterval, Devices: devs, Logger: log},
		snmp.Deps{Alerts: a.alerts, Engine: a.eng, IfNames: a.probeIfNames})
	a.snmpScripts = snmpscripts.New(snmpscripts.Configuration{Dir: opts.ScriptsDir, DataDir: opts.DataDir, Logger: log},
		a.snmp, a.alerts, deps)
	deps.Ext[snmpapi.ExtPoller] = a.snmp
	if a.trapAddr == "" {
		return nil
	}
	var users []snmp.TrapUser
	for _, s := range opts.SNMPTrapUsers {
		u, err := snmp.ParseTrapUser(s)
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	traps, err := snmp.NewTrapReceiver(snmp.TrapConfiguration{Addr: a.trapAddr, Communities: opts.SNMPTrapCommunities,
		Users: users, Logger: log}, snmp.TrapDeps{Alerts: a.alerts, OnTrap: a.snmpScripts.OnTrap})
	if err != nil {
		return err
	}
	a.traps = traps
	deps.Ext[snmpapi.ExtTraps] = traps
	return nil
}

// probeIfNames are the interface names nProbes announced (snmp-ifaces).
func (a *app) probeIfNames(exporter string) map[uint32]string {
	out := map[uint32]string{}
	for _, c := range a.collectors {
		for k, v := range c.SNMPInterfaceNames(exporter) {
			out[k] = v
		}
	}
	return out
}

func (a *app) snmpMetrics(w io.Writer) {
	a.snmp.WriteMetrics(w)
	if a.traps != nil {
		a.traps.WriteMetrics(w)
	}
}

// socketMetrics exports the ZMTP transport counters of every collector.
func (a *app) socketMetrics(w io.Writer) {
	fmt.Fprintln(w, "# TYPE flowgate_zmtp_connections_total counter")
	fmt.Fprintln(w, "# TYPE flowgate_zmtp_handshake_failures_total counter")
	fmt.Fprintln(w, "# TYPE flowgate_zmtp_peers gauge")
	for ifid, c := range a.collectors {
		st := c.Socket()
		l := httpd.Label("ifid", strconv.Itoa(ifid))
		fmt.Fprintf(w, "flowgate_zmtp_connections_total{%s,kind=\"accepted\"} %d\n", l, st.Accepted)
		fmt.Fprintf(w, "flowgate_zmtp_connections_total{%s,kind=\"dialed\"} %d\n", l, st.Dialed)
		fmt.Fprintf(w, "flowgate_zmtp_peers{%s} %d\n", l, st.Peers)
		hs := st.Handshake
		for _, r := range []struct {
			reason string
			v      uint64
		}{{"bad_greeting", hs.BadGreeting}, {"bad_version", hs.BadVersion}, {"mechanism", hs.Mechanism},
			{"curve_auth", hs.CurveAuth}, {"socket_type", hs.SocketType}, {"protocol", hs.Protocol}, {"io", hs.IO}} {
			fmt.Fprintf(w, "flowgate_zmtp_handshake_failures_total{%s,reason=%q} %d\n", l, r.reason, r.v)
		}
		fmt.Fprintf(w, "flowgate_zmtp_received_bytes_total{%s} %d\n", l, st.Bytes)
		fmt.Fprintf(w, "flowgate_zmtp_closed_connections_total{%s,reason=\"oversized\"} %d\n", l, st.Oversized)
		fmt.Fprintf(w, "flowgate_zmtp_closed_connections_total{%s,reason=\"protocol\"} %d\n", l, st.Protocol)
		fmt.Fprintf(w, "flowgate_zmtp_closed_connections_total{%s,reason=\"truncated\"} %d\n", l, st.Truncated)
	}
}

// defaultGCPercent keeps the Go heap close to the live flow tables: most
// of flowgate's memory is long-lived flows and hosts, and the default
// GOGC=100 would let resident memory reach twice their size. The GOGC
// environment variable overrides it.
const defaultGCPercent = 25

func run(opts Options) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	level := slog.LevelInfo
	if opts.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := newApp(opts, log)
	if err != nil {
		return err
	}
	if err := a.start(); err != nil {
		return err
	}
	log.Info("flowgate started", "interfaces", len(opts.Interfaces), "http", a.http.Addr(), "data_dir", opts.DataDir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for s := range sig {
		if s == syscall.SIGHUP {
			if err := a.scripts.Reload(); err != nil {
				log.Error("SIGHUP: reloading scripts failed", "err", err)
			} else {
				log.Info("SIGHUP: scripts reloaded")
			}
			continue
		}
		log.Info("stopping", "signal", s.String())
		break
	}
	a.stop()
	return nil
}

// httpAddr is the REST listener's address (tests use port 0).
func (a *app) httpAddr() string { return a.http.Addr() }
