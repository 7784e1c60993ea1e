// Command flowgate is the collector appliance: ntopng's command line and
// configuration file, the nProbe ZMQ collector, the flow/host engine and
// the REST API. `flowgate probe` is the nProbe emulator.
package main

import (
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

	"flowgate/collectors/packet"
	"flowgate/collectors/zmq"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/engine"
	"flowgate/engine/alerts"
	"flowgate/lua/api"
	"flowgate/lua/httpd"
	"flowgate/lua/kv"
	"flowgate/lua/scripts"
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
	eng        *engine.Engine
	alerts     *alerts.Store
	kv         kv.Store
	scripts    *scripts.Runtime
	geoip      *api.GeoIP
	collectors []*zmq.Collector
	packets    []*packet.Collector
	http       *httpd.Server
}

func newApp(opts Options, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	ecfg := engine.DefaultConfig()
	ecfg.LocalNetworks = opts.LocalNetworks
	ecfg.MaxFlows = opts.MaxFlows
	ecfg.MaxHosts = opts.MaxHosts
	ecfg.FlowIdle = opts.FlowIdle
	a := &app{log: log, eng: engine.New(ecfg)}

	var curve *zmtp.CurveKeyPair
	if opts.ZMQEncryption {
		kp, err := loadCurveKey(opts, log)
		if err != nil {
			return nil, err
		}
		curve = &kp
	}
	for _, iface := range opts.Interfaces {
		if !zmq.IsZMQ(iface) {
			// A network interface name or a capture file: packets.
			pcfg := packet.DefaultConfig()
			pcfg.Source, pcfg.Filter, pcfg.Pace, pcfg.Logger = iface, opts.PacketFilter, opts.PcapPace, log
			kind := "packet"
			if packet.IsCaptureFile(iface) {
				pcfg.File, kind = true, "pcap"
			}
			pc, err := packet.New(pcfg, a.eng.AddInterface(iface, kind))
			if err != nil {
				return nil, fmt.Errorf("interface %q: %w", iface, err)
			}
			a.packets = append(a.packets, pc)
			continue
		}
		eps, err := zmq.ParseEndpoints(iface)
		if err != nil {
			return nil, err
		}
		i := a.eng.AddInterface(iface, "zmq")
		ccfg := zmq.DefaultConfiguration()
		ccfg.Endpoints = eps
		ccfg.Curve = curve
		ccfg.Logger = log
		c, err := zmq.New(ccfg, i)
		if err != nil {
			return nil, err
		}
		a.collectors = append(a.collectors, c)
	}
	// User scripts subscribe to the engine's flow events, so the runtime
	// exists before the engine starts.
	a.alerts = alerts.NewStore(alerts.Config{})
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
		Logger:     log,
		ScriptsDir: opts.ScriptsDir,
		DataDir:    opts.DataDir,
		Version:    version,
	}
	if opts.GeoIPDir != "" {
		g, err := api.OpenGeoIP(opts.GeoIPDir)
		if err != nil {
			return nil, fmt.Errorf("--geoip-dir: %w", err)
		}
		a.geoip, deps.GeoIP = g, g
	}
	a.scripts = scripts.New(scripts.Config{
		Dir:        opts.ScriptsDir,
		DataDir:    opts.DataDir,
		CallBudget: opts.LuaCallBudget,
		Now:        opts.scriptClock,
		Logger:     log,
	}, a.eng, a.alerts, deps)

	hcfg := httpd.DefaultConfiguration()
	hcfg.Addr = opts.HTTPAddr
	hcfg.DisableLogin = opts.DisableLogin
	hcfg.DataDir = opts.DataDir
	hcfg.AdminPassword = opts.AdminPassword
	a.http = httpd.New(hcfg, httpd.Dependencies{
		Engine:  a.eng,
		Logger:  log,
		Metrics: []func(io.Writer){a.socketMetrics},
	})
	a.http.HandleAlerts(a.alerts)
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
	a.kv.Close() // last: scripts may write to it until they stop
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
