// Command flowgate is the collector appliance: ntopng's command line and
// configuration file, the collectors, the flow/host engine, the script
// runtimes, SNMP, recipients and the REST API. `flowgate probe` is the
// nProbe emulator, `flowgate scripts check` checks a scripts directory,
// `flowgate lua FILE` runs one script.
//
// Wiring: parseArgs reads and validates every option (the -i values through
// the collectors registry, see collectors/README.md) before anything is
// built; newApp builds each component inert and appends it to one ordered
// list (cache store, alert history, recipients, user scripts, engine,
// SNMP scripts and poller, the -i interfaces in command-line order, HTTP);
// start walks the list forward and stop walks back from the last component
// that started.
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"

	"flowgate/activemon"
	"flowgate/alerts"
	"flowgate/alerts/recipients"
	"flowgate/alerts/sqlitestore"
	"flowgate/categories"
	"flowgate/collectors"
	"flowgate/collectors/flow"
	"flowgate/collectors/zmq"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/deploy"
	"flowgate/engine"
	"flowgate/history"
	"flowgate/history/influx"
	"flowgate/history/rrd"
	"flowgate/history/sampler"
	"flowgate/history/snmpseries"
	"flowgate/lists"
	"flowgate/lua/api"
	_ "flowgate/lua/recipientapi" // ntop.recipient_*
	"flowgate/lua/scripts"
	_ "flowgate/lua/snmpapi" // ntop.snmp*
	"flowgate/lua/snmpscripts"
	luasyslog "flowgate/lua/syslog"
	"flowgate/pools"
	"flowgate/snmp"
	"flowgate/store/kv"
	"flowgate/web"
	"flowgate/web/ui"
	"flowgate/web/users"
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

// app is the wired set of components. Every long-running part is in
// components, in start order: start() walks the list forward, stop() walks
// back from the last one that started.
type app struct {
	log        *slog.Logger
	opts       Options
	eng        *engine.Engine
	alerts     *alerts.Store
	history    *sqlitestore.DB // the alerts' durable history
	timeseries *history.Store  // nil with --disable-timeseries
	recipients *recipients.Manager
	kv         kv.Store
	scripts    *scripts.Runtime
	snmp       *snmp.Poller
	traps      *snmp.TrapReceiver // nil without -i snmptrap://
	zmq        []*zmq.Collector
	flowDevs   []web.FlowDeviceSource // netflow:// and sflow:// interfaces
	syslog     []*collectors.Syslog
	http       *web.Server
	// metrics is the one registry behind /metrics: each component
	// registers its families in it from its constructor.
	metrics *prometheus.Registry

	components []component
	started    int // components[:started] are running
}

// component is one entry of the start list.
type component struct {
	name  string
	start func() error
	stop  func()
}

func (a *app) add(name string, start func() error, stop func()) {
	if start == nil {
		start = func() error { return nil }
	}
	if stop == nil {
		stop = func() {}
	}
	a.components = append(a.components, component{name, start, stop})
}

// newApp builds every component, inert, from options that parseArgs has
// validated; nothing listens or runs until start.
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
	ecfg.Shards = opts.EngineShards
	reg := newRegistry()
	ecfg.Metrics = reg
	// Custom categories and application categories (category and
	// application REST) classify the engine's new flows.
	catCfg := categories.DefaultConfiguration()
	catCfg.Path, catCfg.Metrics = filepath.Join(opts.DataDir, categories.FileName), reg
	customCats := categories.New(catCfg)
	ecfg.Categories = customCats
	// ntopng's category lists (<data>/category_lists) are matched on every
	// new flow; Malware lists blacklist (docs/blacklists.md).
	lcfg := lists.DefaultConfiguration()
	lcfg.Dir, lcfg.Logger, lcfg.Metrics = filepath.Join(opts.DataDir, lists.DirName), log, reg
	lcfg.Custom = func() map[int][]string { return customCats.Export().Hosts }
	catLists := lists.New(lcfg)
	ecfg.Blacklists = catLists
	a := &app{log: log, opts: opts, eng: engine.New(ecfg), metrics: reg}
	a.add("custom categories", customCats.Start, customCats.Stop)
	a.add("category lists", catLists.Start, catLists.Stop)

	// The cache store first and closed last: scripts write to it until
	// they stop.
	store, err := kv.Open(kv.Config{Redis: opts.Redis, Dir: opts.DataDir})
	if err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	a.kv = store
	a.add("cache store", nil, func() { store.Close() })

	// Released and stored alerts go to the SQLite history in the data dir
	// (engaged ones stay in memory); it opens before any alert source
	// starts, closes after the last one stopped, and applies
	// --alerts-max-age/--alerts-max-count in its writer.
	hcfgAlerts := sqlitestore.DefaultConfiguration()
	hcfgAlerts.DataDir, hcfgAlerts.Logger, hcfgAlerts.Metrics = opts.DataDir, log, reg
	hcfgAlerts.MaxAge, hcfgAlerts.MaxCount = opts.AlertsMaxAge, opts.AlertsMaxCount
	a.history = sqlitestore.New(hcfgAlerts)
	a.add("alert history", a.history.Start, a.history.Stop)

	// Recipients stop after every alert source, so their last alerts are
	// queued.
	// Host pools: REST, host_pool_id, and the pool of alerts that
	// recipients' pool filters select on.
	poolCfg := pools.DefaultConfiguration()
	poolCfg.Path, poolCfg.Logger, poolCfg.Metrics = filepath.Join(opts.DataDir, pools.FileName), log, reg
	hostPools := pools.New(poolCfg)
	a.add("host pools", hostPools.Start, hostPools.Stop)
	a.alerts = alerts.NewStore(alerts.Config{History: a.history.History(), PoolOf: pools.AlertPool(hostPools)})
	rcfg := recipients.DefaultConfiguration()
	rcfg.DataDir, rcfg.URLs, rcfg.QueueSize, rcfg.AllowShell = opts.DataDir, opts.Recipients, opts.RecipientQueueSize, opts.RecipientAllowShell
	rcfg.Version, rcfg.Logger, rcfg.Metrics = version, log, reg
	rcfg.Instance = opts.InstanceName
	rcfg.IfName = func(id int) string {
		if i := a.eng.Interface(id); i != nil {
			return i.Name()
		}
		return ""
	}
	a.recipients = recipients.New(rcfg)
	a.alerts.Subscribe(a.recipients.Notify)
	a.add("recipients", a.recipients.Start, a.recipients.Stop)

	deps, closeDeps, err := a.luaDeps(opts, log)
	if err != nil {
		return nil, err
	}
	deps.Services.RRD = rrd.New(rrd.Configuration{Dir: opts.DataDir, Metrics: reg}) // ntop.rrd_*, one store for every state
	a.add("rrd files", nil, deps.Services.RRD.Close)                                // closed after the scripts that write them
	a.add("geoip", nil, closeDeps)
	// ntopng's alert exclusions, kept in the cache store; scripts change
	// them with ntop.reloadAlertExclusions. A malformed document is logged
	// and excludes nothing.
	a.add("alert exclusions", func() error {
		if n, err := api.ReloadAlertExclusions(deps.Cache, a.alerts); err != nil {
			log.Warn("alert exclusions not applied", "err", err)
		} else if n > 0 {
			log.Info("alert exclusions applied", "exclusions", n)
		}
		return nil
	}, nil)
	deps.Services.HostPools = hostPools // host.getPoolId, host_pool_id
	deps.Services.Lists = catLists      // ntop.*Blacklist*, flow/host blacklist info
	deps.Services.Risks = &api.RiskCounters{}
	deps.Services.Risks.Register(reg)
	// The user store opens before any script can call ntop.addUser & co.
	// and closes after the web server, which authenticates against it.
	ucfg := users.DefaultConfiguration()
	ucfg.Path = filepath.Join(opts.DataDir, users.FileName)
	userStore := users.New(ucfg, users.Dependencies{})
	deps.Services.Users = web.LuaUsers(userStore)
	deps.Services.AlertStore = a.history // ntop.alert_store_query
	a.add("users", userStore.Start, userStore.Stop)
	// User scripts subscribe to the engine's flow events, so the runtime
	// exists before the engine starts; it stops after the engine, whose
	// last flowEnd hooks it runs.
	a.scripts = scripts.New(scripts.Configuration{
		Dir:        opts.ScriptsDir,
		DataDir:    opts.DataDir,
		CallBudget: opts.LuaCallBudget,
		Now:        opts.scriptClock,
		Logger:     log,
	}, a.eng, a.alerts, deps)
	deps.Services.Checks = a.scripts // ntop.reloadFlowChecks, getFlowCheckInfo, …
	a.add("user scripts", a.scripts.Start, a.scripts.Stop)
	chWriter, kafkaBus, err := a.flowExport(opts, log, reg) // -F clickhouse, --kafka: stop after the engine
	if err != nil {
		return nil, err
	}
	if kafkaBus != nil {
		deps.Services.Kafka = kafkaBus // ntop.sendKafkaMessage
	}
	a.add("engine", a.eng.Start, a.eng.Stop) // Stop ends every flow: flowEnd hooks run

	// Time series: the store opens before the sampler reads the engine and
	// closes after it stopped (the sampler stops before the engine).
	if opts.DisableTimeseries && opts.TSInfluxDB != "" {
		return nil, fmt.Errorf("--ts-influxdb exports the time series: it needs them (drop --disable-timeseries)")
	}
	if !opts.DisableTimeseries {
		tcfg := history.DefaultConfiguration()
		tcfg.DataDir, tcfg.Logger, tcfg.Metrics = opts.DataDir, log, reg
		a.timeseries = history.New(tcfg)
		deps.Services.Timeseries = history.NewScripts(a.timeseries) // ts_utils
		if opts.TSInfluxDB != "" {
			icfg := influx.DefaultConfiguration()
			icfg.URL, icfg.DataDir, icfg.Logger, icfg.Metrics = opts.TSInfluxDB, opts.DataDir, log, reg
			icfg.Instance = opts.InstanceName
			exp, err := influx.New(icfg)
			if err != nil {
				return nil, fmt.Errorf("--ts-influxdb: %w", err)
			}
			a.timeseries.Subscribe(exp.Write)
			// Added before the store: it stops after the sampler and the
			// store, and spools what they handed it last.
			a.add("InfluxDB export", exp.Start, exp.Stop)
		}
		a.add("time series", a.timeseries.Start, a.timeseries.Stop)
		scfg := sampler.DefaultConfiguration()
		scfg.Logger, scfg.Metrics = log, reg
		smp := sampler.New(scfg, a.eng, a.timeseries)
		a.add("time-series sampler", smp.Start, smp.Stop)
	}

	// SNMP: the poller observes flows (exporter-interface counters), so it
	// exists before the engine starts; its scripts and the trap scripts
	// stop after the trap receiver, which drains its queue into them.
	// With time series, the interface series live in the time-series store
	// (the per-device files of earlier releases move into it once).
	sdeps := snmp.Deps{Alerts: a.alerts, Engine: a.eng, IfNames: a.probeIfNames, Metrics: reg}
	if a.timeseries != nil {
		sdeps.Series = snmpseries.New(a.timeseries)
	}
	a.snmp = snmp.New(snmp.Configuration{DataDir: opts.DataDir, Interval: opts.SNMPInterval, Devices: opts.snmpDevices, Logger: log}, sdeps)
	snmpScripts := snmpscripts.New(snmpscripts.Configuration{Dir: opts.ScriptsDir, DataDir: opts.DataDir, Logger: log},
		a.snmp, a.alerts, deps)
	deps.Services.SNMP = a.snmp
	a.add("snmp scripts", snmpScripts.Start, snmpScripts.Stop)
	a.add("snmp poller", a.snmp.Start, a.snmp.Stop)

	// Active monitoring: rounds at each minute write am_host:* series (the
	// store is open before it starts) and raise am_host alerts;
	// ntop.pingHost shares its pinger.
	amCfg := activemon.DefaultConfiguration()
	amCfg.DataDir, amCfg.Logger, amCfg.Metrics = opts.DataDir, log, reg
	am, err := activemon.New(amCfg, activemon.Deps{Alerts: a.alerts, Timeseries: deps.Services.Timeseries})
	if err != nil {
		return nil, err
	}
	deps.Services.ActiveMonitoring = am
	a.add("active monitoring", am.Start, am.Stop)

	// The -i interfaces, in command-line order (their ifids).
	cdeps := collectors.Deps{
		Engine:  a.eng,
		Logger:  log,
		DataDir: opts.DataDir,
		Metrics: reg,
		SyslogHandler: func(iface *engine.Interface) collectors.SyslogHandler {
			return luasyslog.New(luasyslog.Configuration{Dir: opts.ScriptsDir, DataDir: opts.DataDir, CallBudget: opts.LuaCallBudget,
				Workers: opts.SyslogLuaWorkers, Logger: log, Metrics: reg}, a.eng, iface, a.alerts, deps)
		},
		Traps: snmp.TrapDeps{Alerts: a.alerts, OnTrap: snmpScripts.OnTrap},
	}
	if opts.ZMQEncryption {
		kp, err := loadCurveKey(opts, log)
		if err != nil {
			return nil, err
		}
		cdeps.Curve = &kp
	}
	for _, spec := range opts.inputs {
		c, err := spec.New(cdeps)
		if err != nil {
			return nil, err
		}
		switch c := c.(type) {
		case *zmq.Collector:
			a.zmq = append(a.zmq, c)
		case *flow.Collector:
			a.flowDevs = append(a.flowDevs, web.FlowDeviceSource{Ifid: c.Interface().ID(), SFlow: c.SFlow(), Devices: c.DeviceRows})
		case *collectors.Syslog:
			a.syslog = append(a.syslog, c)
		case *snmp.TrapReceiver:
			a.traps = c
			deps.Services.Traps = c
		}
		a.add("interface "+spec.Value, c.Start, c.Stop)
	}

	hcfg := web.DefaultConfiguration()
	hcfg.Addr = opts.HTTPAddr
	hcfg.DisableLogin = opts.DisableLogin
	hcfg.DataDir = opts.DataDir
	hcfg.AdminPassword = opts.AdminPassword
	hcfg.DisableHTTP = opts.HTTPAddr == "" // -w 0
	hcfg.HTTPSAddr, hcfg.CertFile, hcfg.KeyFile = opts.HTTPSAddr, opts.HTTPSCert, opts.HTTPSKey
	if opts.SessionDuration > 0 {
		hcfg.SessionDuration = opts.SessionDuration
	}
	web.Version = version
	a.http = web.New(hcfg, web.Dependencies{
		Engine:     a.eng,
		Logger:     log,
		Users:      userStore,
		Metrics:    reg,
		KV:         a.kv,     // REST aliases and notes, under ntopng's keys
		Alerts:     a.alerts, // trigger/host/alert.lua
		Geo:        webGeo(deps.GeoIP),
		Pools:      hostPools,
		Categories: customCats,
	})
	deps.Services.Web = a.http                   // ntop.isLoginDisabled, createUserSession, …
	a.http.HandleAlertStore(a.history, a.alerts) // the alert lists and operations, 4.2 and 5.x
	a.http.HandleRecipients(a.recipients)
	a.http.HandleSNMP(a.snmp, a.traps)
	a.http.HandleActiveMonitoring(am)
	if a.timeseries != nil {
		a.http.HandleTimeseries(a.timeseries)
	}
	a.http.HandleSyslog(a.syslogEndpoints()...)
	a.http.HandleFlowDevices(a.flowDevs...)
	a.http.HandleProDB(chWriter) // -F clickhouse: ntopng Pro's historical flows REST
	for _, p := range []string{"/lua/rest/v2/get/user_script/", "/lua/rest/v2/edit/user_script/", "/lua/rest/v2/enable/", "/lua/rest/v2/disable/"} {
		a.http.Handle(p, a.scripts.Handler())
	}
	// The user scripts' configuration in ntopng's backup (checks; scripts
	// is its 4.x name).
	for _, kind := range []string{"checks", "scripts"} {
		a.http.HandleConfigModule(kind, web.JSONModule(a.scripts.ExportConfig, a.scripts.ValidateConfig, a.scripts.ImportConfig, a.scripts.ResetConfig))
	}
	// Lua pages: <scripts>/lua/<path>.lua at /lua/<path>.lua, with the
	// same API and services as the scripts. Their budget is
	// --lua-page-budget, not the hooks' --lua-call-budget: a page is one
	// request, not a call on the hot path, and ntop.addUser alone spends tens
	// of milliseconds hashing a password.
	pages := web.DefaultPagesConfiguration()
	pages.ScriptsDir = opts.ScriptsDir
	if opts.LuaPageBudget > 0 {
		pages.CallBudget = opts.LuaPageBudget
	}
	a.http.HandleLuaPages(pages, web.PagesDependencies{Lua: deps, Alerts: a.alerts})
	// The web UI: its shell at "/" and its assets under /ui/ (web/ui).
	ui.New().Mount(a.http)
	a.add("http", a.http.Start, a.http.Stop) // last: it serves what the others hold
	return a, nil
}

// luaDeps are what every Lua state of the appliance shares: the cache
// store, resolvers, GeoIP, the recipients for ntop.recipient*; close
// releases the GeoIP databases.
func (a *app) luaDeps(opts Options, log *slog.Logger) (api.Deps, func(), error) {
	oui, _ := api.LoadOUI(api.DefaultOUIFiles...) // Debian's ieee-data, when installed
	deps := api.Deps{
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Cache:      api.NewCacheOn(a.kv),
		Resolver:   api.NewResolver(),
		Offline:    api.NewOfflineMode(),
		LuaCache:   api.NewLuaCache(),
		Categories: api.NewCustomCategories(),
		OUI:        oui,
		AllowExec:  opts.AllowLuaExec,
		Services:   &api.Services{Recipients: a.recipients}, // SNMP, Traps, RRD, Timeseries: filled by newApp, before anything starts
		Logger:     log,
		ScriptsDir: opts.ScriptsDir,
		DataDir:    opts.DataDir,
		Version:    version,
	}
	if opts.GeoIPDir == "" {
		return deps, func() {}, nil
	}
	g, err := api.OpenGeoIP(opts.GeoIPDir)
	if err != nil {
		return deps, nil, fmt.Errorf("--geoip-dir: %w", err)
	}
	deps.GeoIP = g
	return deps, func() { g.Close() }, nil
}

// syslogEndpoints are the syslog interfaces as the REST serves them, by
// ifid.
func (a *app) syslogEndpoints() []web.SyslogEndpoint {
	var eps []web.SyslogEndpoint
	for _, s := range a.syslog {
		ifid, col := s.Iface.ID(), s.Listener
		rt := s.Handler.(*luasyslog.Runtime)
		eps = append(eps, web.SyslogEndpoint{Ifid: ifid, Producers: col.Producers, SetProducer: col.SetProducer,
			ListenerStats: func() any { return col.Stats() }, ProducerStats: func() any { return rt.Stats() },
			Totals: rt.SyslogTotals})
	}
	return eps
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

// start starts the components in order. When one fails, those already
// started stop, in reverse, and the error names the component.
func (a *app) start() error {
	for i, c := range a.components {
		if err := c.start(); err != nil {
			a.stop()
			return fmt.Errorf("%s: %w", c.name, err)
		}
		a.started = i + 1
	}
	return nil
}

// stop stops the started components in reverse order.
func (a *app) stop() {
	for ; a.started > 0; a.started-- {
		a.components[a.started-1].stop()
	}
}

// probeIfNames are the interface names nProbes announced (snmp-ifaces).
func (a *app) probeIfNames(exporter string) map[uint32]string {
	out := map[uint32]string{}
	for _, c := range a.zmq {
		for k, v := range c.SNMPInterfaceNames(exporter) {
			out[k] = v
		}
	}
	return out
}

// newRegistry is the registry of one app, with the Go runtime's and the
// process's collectors (go_*, process_*: heap, goroutines, resident
// memory, open files), registered once here.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(promcollectors.NewGoCollector(), promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}))
	return reg
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

// webGeo is the REST's view of the GeoIP databases (nil without --geoip-dir).
func webGeo(g *api.GeoIP) func(netip.Addr) web.GeoInfo {
	if g == nil {
		return nil
	}
	return func(ip netip.Addr) web.GeoInfo {
		i := g.Lookup(ip)
		return web.GeoInfo{ASN: i.ASN, ASName: i.ASName, Country: i.Country}
	}
}
