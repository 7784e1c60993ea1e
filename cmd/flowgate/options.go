package main

import (
	"bufio"
	"errors"
	"flowgate/collectors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts/recipients"
	"flowgate/collectors/packet"
	syslogc "flowgate/collectors/syslog"
	chflows "flowgate/flowexport/clickhouse"
	"flowgate/flowexport/kafka"
	"flowgate/snmp"
	"flowgate/store/kv"
)

// Options is the command line and configuration file of the main job, in
// ntopng's terms. Every field has an embedded default (see defaultOptions),
// so flowgate runs with no argument at all.
type Options struct {
	Interfaces    []string // -i, one engine interface each (ifid in order)
	LocalNetworks []netip.Prefix
	HTTPAddr      string // -w, [addr:]port; empty after -w 0 (no plain HTTP)
	HTTPSAddr     string // -W, [addr:]port; empty: no HTTPS
	HTTPSCert     string
	HTTPSKey      string
	// SessionDuration of a web login (ntopng's 12 hours by default).
	SessionDuration time.Duration
	DataDir         string
	ScriptsDir      string
	MaxHosts        int
	MaxFlows        int
	ZMQEncryption   bool
	ZMQKeyPriv      string
	DisableLogin    bool
	AdminPassword   string
	FlowIdle        time.Duration
	GeoIPDir        string
	Redis           string
	PacketFilter    string
	// InstanceName names this flowgate in every exported row, series and
	// alert (--instance-name; default: the host name), so instances
	// sharing back ends stay apart (docs/scale-out.md).
	InstanceName string
	// ClickHouse is -F "clickhouse;host[@port];db;user;password": ended
	// flows into its flows table (flowexport/clickhouse). Kafka is
	// --kafka "brokers;topic": one JSON message per flow (flowexport/kafka).
	ClickHouse string
	Kafka      string

	// EngineShards is the number of engine goroutines each interface's
	// flows are split over (--engine-shards; engine.Configuration.Shards).
	EngineShards int

	// DisableTimeseries turns off the time-series sampler and store (in
	// ntopng, the "Timeseries" preferences of interfaces and hosts).
	DisableTimeseries bool
	// TSInfluxDB exports every time-series sample to an InfluxDB 1.x
	// server (http://[user:pw@]host:8086/database), as ntopng's InfluxDB
	// driver does; docs/timeseries.md.
	TSInfluxDB string

	SyslogTLSCert    string
	SyslogTLSKey     string
	SyslogProducers  []string
	SyslogLuaWorkers int

	Recipients          []string
	RecipientQueueSize  int
	RecipientAllowShell bool
	AlertsMaxAge        time.Duration
	AlertsMaxCount      int

	SNMPDevices         []string
	SNMPInterval        time.Duration
	SNMPTrapCommunities []string
	SNMPTrapUsers       []string
	PcapPace            bool
	AllowLuaExec        bool
	LuaCallBudget       time.Duration
	LuaPageBudget       time.Duration // Lua pages (/lua/<path>.lua); hooks use LuaCallBudget
	ConfigFile          string
	Verbose             bool

	// Validated by parseArgs, before anything is built: the -i values as
	// collector specs, the --snmp-device values.
	inputs      []collectors.Spec
	snmpDevices []snmp.DeviceConfig
	// scriptClock replaces the periodic scheduler's clock (tests only).
	scriptClock func() time.Time
}

func defaultOptions() Options {
	return Options{
		HTTPAddr: ":3000",
		DataDir:  "/var/lib/flowgate",
		MaxHosts: 1 << 20,
		MaxFlows: 2 << 20,
		FlowIdle: 60 * time.Second,

		SyslogLuaWorkers: 2, // one Lua state decodes ~70k Suricata events/s; two keep up with 100k
		InstanceName:     defaultInstanceName(),
	}
}

// defaultInstanceName is the host name ("flowgate" when it is unknown).
func defaultInstanceName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "flowgate"
}

// defaultInterface is used when no -i is given: collect from nProbe
// instances that connect to us (nProbe --zmq-probe-mode), like
// `ntopng -i tcp://*:5556c`.
const defaultInterface = "tcp://*:5556c"

// option describes one flag: its names, whether it takes a value and how it
// is applied.
type option struct {
	short string
	long  string
	value bool
	help  string
	apply func(o *Options, v string) error
}

var options = []option{
	{"i", "interface", true, "interface: tcp://host:port (connect), tcp://*:port c (bind), comma list", func(o *Options, v string) error {
		v = strings.TrimSpace(v)
		if v == "" {
			return errors.New("empty interface")
		}
		o.Interfaces = append(o.Interfaces, v)
		return nil
	}},
	{"m", "local-networks", true, "local networks, comma list of CIDRs", func(o *Options, v string) error {
		nets, err := parseNetworks(v)
		if err != nil {
			return err
		}
		o.LocalNetworks = append(o.LocalNetworks, nets...)
		return nil
	}},
	{"w", "http-port", true, "HTTP server [addr:]port (default 3000; 0 disables plain HTTP)", func(o *Options, v string) error {
		if strings.TrimSpace(v) == "0" {
			o.HTTPAddr = ""
			return nil
		}
		addr, err := parseHTTPPort(v)
		if err != nil {
			return err
		}
		o.HTTPAddr = addr
		return nil
	}},
	{"W", "https-port", true, "HTTPS server [addr:]port (default off; a self-signed certificate is generated in the data dir unless --https-cert/--https-key)", func(o *Options, v string) error {
		if strings.TrimSpace(v) == "0" {
			o.HTTPSAddr = ""
			return nil
		}
		addr, err := parseHTTPPort(v)
		if err != nil {
			return err
		}
		o.HTTPSAddr = addr
		return nil
	}},
	{"", "https-cert", true, "PEM certificate (chain) of the HTTPS server", func(o *Options, v string) error {
		o.HTTPSCert = v
		return nil
	}},
	{"", "https-key", true, "PEM private key of the HTTPS server", func(o *Options, v string) error {
		o.HTTPSKey = v
		return nil
	}},
	{"", "http-session-duration", true, "lifetime of a web login session, seconds (default 43200, ntopng's)", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.SessionDuration = time.Duration(n) * time.Second
		return err
	}},
	{"d", "data-dir", true, "data directory", func(o *Options, v string) error {
		if v == "" {
			return errors.New("empty data directory")
		}
		o.DataDir = v
		return nil
	}},
	{"", "scripts-dir", true, "user scripts directory (default <data-dir>/scripts)", func(o *Options, v string) error {
		o.ScriptsDir = v
		return nil
	}},
	{"x", "max-num-hosts", true, "maximum number of active hosts per interface", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.MaxHosts = n
		return err
	}},
	{"X", "max-num-flows", true, "maximum number of active flows per interface", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.MaxFlows = n
		return err
	}},
	{"", "engine-shards", true, "engine goroutines per interface, its flows split by flow hash (1 to 64, default 1; docs/ingest-scaling.md §3)", func(o *Options, v string) error {
		n, err := parsePositive(v)
		if err == nil && n > 64 {
			err = fmt.Errorf("%d: at most 64", n)
		}
		o.EngineShards = n
		return err
	}},
	{"", "zmq-encryption", false, "CURVE-encrypt ZMQ with the data dir's key pair", func(o *Options, _ string) error {
		o.ZMQEncryption = true
		return nil
	}},
	{"", "zmq-encryption-key-priv", true, "CURVE secret key (Z85), implies --zmq-encryption", func(o *Options, v string) error {
		if len(v) != 40 {
			return fmt.Errorf("want a 40-character Z85 key, got %d characters", len(v))
		}
		o.ZMQKeyPriv = v
		o.ZMQEncryption = true
		return nil
	}},
	{"", "instance-name", true, "name of this instance in exported rows, series and alerts (default: the host name)", func(o *Options, v string) error {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > 64 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fmt.Errorf("%q: 1 to 64 printable characters", v)
		}
		o.InstanceName = v
		return nil
	}},
	{"", "disable-login", false, "no HTTP authentication", func(o *Options, _ string) error {
		o.DisableLogin = true
		return nil
	}},
	{"", "ts-influxdb", true, "also export the time series to InfluxDB 1.x: http://[user:password@]host:8086/database (spooled on disk while it is down)", func(o *Options, v string) error {
		if v == "" {
			return errors.New("empty URL")
		}
		o.TSInfluxDB = v
		return nil
	}},
	{"", "disable-timeseries", false, "keep no time series (no <data dir>/timeseries.db, ts.lua answers 404)", func(o *Options, _ string) error {
		o.DisableTimeseries = true
		return nil
	}},
	{"", "admin-password", true, "password of the admin user (default: generated at first start)", func(o *Options, v string) error {
		if v == "" {
			return errors.New("empty password")
		}
		o.AdminPassword = v
		return nil
	}},
	{"", "flow-idle-timeout", true, "idle timeout of flows before any probe event, seconds", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.FlowIdle = time.Duration(n) * time.Second
		return err
	}},
	{"", "geoip-dir", true, "directory with GeoLite2-City/-Country/-ASN.mmdb", func(o *Options, v string) error {
		o.GeoIPDir = v
		return nil
	}},
	{"", "lua-call-budget", true, "time a Lua hook call may run before it is stopped, e.g. 100ms", func(o *Options, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration like 100ms, got %q", v)
		}
		o.LuaCallBudget = d
		return nil
	}},
	{"", "lua-page-budget", true, "time a Lua page (/lua/<path>.lua) may run before it is stopped (default 5s: pages hash passwords and import configurations)", func(o *Options, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration like 5s, got %q", v)
		}
		o.LuaPageBudget = d
		return nil
	}},
	{"r", "redis", true, "Redis for the cache: [host[:port[:password]]][@db] or /path.sock[@db] (default: embedded store in the data dir)", func(o *Options, v string) error {
		if _, err := kv.ParseRedisSpec(v); err != nil {
			return err
		}
		o.Redis = v
		return nil
	}},
	{"", "allow-lua-exec", false, "let scripts run commands with ntop.execCmd", func(o *Options, _ string) error {
		o.AllowLuaExec = true
		return nil
	}},
	{"F", "dump-flows", true, "dump ended flows into ClickHouse: clickhouse;host[@port];db;user;password (ntopng's form; bare \"clickhouse\" is clickhouse;127.0.0.1;ntopng;default;default)", func(o *Options, v string) error {
		if err := chflows.ParseSpec(v, new(chflows.Configuration)); err != nil {
			return err
		}
		o.ClickHouse = v
		return nil
	}},
	{"", "kafka", true, "publish ended flows to Kafka, one JSON message per flow: broker[,broker...];topic", func(o *Options, v string) error {
		if _, _, err := kafka.ParseSpec(v); err != nil {
			return err
		}
		o.Kafka = v
		return nil
	}},
	{"B", "packet-filter", true, "packet filter for capture interfaces (tcpdump syntax, a subset)", func(o *Options, v string) error {
		if _, err := packet.CompileFilter(v); err != nil {
			return err
		}
		o.PacketFilter = v
		return nil
	}},
	{"", "pcap-pace", false, "replay -i FILE.pcap at its recorded speed (default: as fast as it reads)", func(o *Options, _ string) error {
		o.PcapPace = true
		return nil
	}},
	{"", "syslog-tls-cert", true, "certificate file for -i syslog://…@tls", func(o *Options, v string) error {
		o.SyslogTLSCert = v
		return nil
	}},
	{"", "syslog-tls-key", true, "key file for -i syslog://…@tls", func(o *Options, v string) error {
		o.SyslogTLSKey = v
		return nil
	}},
	{"", "syslog-producers", true, "syslog producer map: source=producer,... (source an IP, a device name or *; repeatable)", func(o *Options, v string) error {
		if _, err := syslogc.ParseProducers(v); err != nil {
			return err
		}
		o.SyslogProducers = append(o.SyslogProducers, v)
		return nil
	}},
	{"", "syslog-lua-workers", true, "Lua states per syslog producer (default 2)", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.SyslogLuaWorkers = n
		return err
	}},
	{"", "recipient", true, "send alerts to a recipient: syslog+udp|tcp|tls://host:port[?format=text|json|cef|ecs|rfc5424], webhook+https://host/path?secret=S[&style=slack|discord|mattermost|teams], file:///path.jsonl, smtp://user:pw@host:587?to=a@b, nats://host:4222/subject?stream=S; filters min_severity=, categories=, entities=, networks=, pools=, actions= (repeatable)", func(o *Options, v string) error {
		if _, err := recipients.ParseURL(v); err != nil {
			return err
		}
		o.Recipients = append(o.Recipients, v)
		return nil
	}},
	{"", "recipient-queue-size", true, "alerts kept per recipient while its endpoint is down (default 100000)", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.RecipientQueueSize = n
		return err
	}},
	{"", "recipient-allow-shell", false, "allow shell:// recipients", func(o *Options, _ string) error {
		o.RecipientAllowShell = true
		return nil
	}},
	{"", "alerts-max-age", true, "delete stored alerts older than this, e.g. 720h", func(o *Options, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration like 720h, got %q", v)
		}
		o.AlertsMaxAge = d
		return nil
	}},
	{"", "alerts-max-count", true, "keep at most this many stored alerts", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.AlertsMaxCount = n
		return err
	}},
	{"", "snmp-device", true, "poll an SNMP device: snmp://community@host[:port][?version=1|2c&interval=S] or snmp://user@host?version=3&auth=SHA:pass&priv=AES:pass (repeatable)", func(o *Options, v string) error {
		if _, err := snmp.ParseDevice(v); err != nil {
			return err
		}
		o.SNMPDevices = append(o.SNMPDevices, v)
		return nil
	}},
	{"", "snmp-poll-interval", true, "default SNMP poll interval, seconds (default 60)", func(o *Options, v string) error {
		n, err := parsePositive(v)
		o.SNMPInterval = time.Duration(n) * time.Second
		return err
	}},
	{"", "snmp-trap-community", true, "accepted v1/v2c trap communities, comma list (default: any)", func(o *Options, v string) error {
		o.SNMPTrapCommunities = append(o.SNMPTrapCommunities, strings.Split(v, ",")...)
		return nil
	}},
	{"", "snmp-trap-user", true, "SNMPv3 trap user USER[:AUTH:PASS[:PRIV:PASS]] (repeatable)", func(o *Options, v string) error {
		if _, err := snmp.ParseTrapUser(v); err != nil {
			return err
		}
		o.SNMPTrapUsers = append(o.SNMPTrapUsers, v)
		return nil
	}},
	{"v", "verbose", false, "verbose logging", func(o *Options, _ string) error {
		o.Verbose = true
		return nil
	}},
	{"", "config", true, "configuration file in ntopng.conf form", nil}, // handled by parseArgs
}

func lookupOption(name string, long bool) *option {
	for i := range options {
		if (long && options[i].long == name) || (!long && name != "" && options[i].short == name) {
			return &options[i]
		}
	}
	return nil
}

// parseArgs parses ntopng-style arguments: -i v, -iv, -i=v, --interface v,
// --interface=v. A single argument that is not a flag names a configuration
// file, as with `ntopng /etc/ntopng/ntopng.conf`.
func parseArgs(args []string) (Options, error) {
	o := defaultOptions()
	if len(args) == 1 && !strings.HasPrefix(args[0], "-") {
		args = []string{"--config", args[0]}
	}
	// The configuration file is read first so that the command line wins.
	var cmdline []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--config" && i+1 < len(args) {
			o.ConfigFile = args[i+1]
			i++
			continue
		}
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			o.ConfigFile = v
			continue
		}
		cmdline = append(cmdline, a)
	}
	if o.ConfigFile != "" {
		fileArgs, err := readConfigFile(o.ConfigFile)
		if err != nil {
			return o, err
		}
		if err := applyArgs(&o, fileArgs); err != nil {
			return o, fmt.Errorf("%s: %w", o.ConfigFile, err)
		}
	}
	if err := applyArgs(&o, cmdline); err != nil {
		return o, err
	}
	// With no input at all, collect from nProbe as ntopng would; an SNMP
	// poller alone (--snmp-device) is a deployment of its own.
	if len(o.Interfaces) == 0 && len(o.SNMPDevices) == 0 {
		o.Interfaces = []string{defaultInterface}
	}
	if o.ScriptsDir == "" {
		o.ScriptsDir = o.DataDir + "/scripts"
	}
	return o, o.validate()
}

// validate checks what the options name (every -i against the collectors'
// registry, every --snmp-device) so that a bad value is one clear error
// before any component is built.
func (o *Options) validate() error {
	specs, err := collectors.Parse(o.Interfaces, collectors.Settings{
		PacketFilter: o.PacketFilter, PcapPace: o.PcapPace,
		SyslogTLSCert: o.SyslogTLSCert, SyslogTLSKey: o.SyslogTLSKey, SyslogProducers: o.SyslogProducers,
		TrapCommunities: o.SNMPTrapCommunities, TrapUsers: o.SNMPTrapUsers,
	})
	if err != nil {
		return err
	}
	if (o.HTTPSCert == "") != (o.HTTPSKey == "") {
		return errors.New("--https-cert and --https-key go together")
	}
	for _, f := range []string{o.HTTPSCert, o.HTTPSKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("https: %w", err)
		}
	}
	o.inputs = specs
	o.snmpDevices = nil
	for _, s := range o.SNMPDevices {
		d, err := snmp.ParseDevice(s)
		if err != nil {
			return fmt.Errorf("--snmp-device: %w", err)
		}
		o.snmpDevices = append(o.snmpDevices, d)
	}
	return nil
}

func applyArgs(o *Options, args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name, val string
		var long, hasVal bool
		switch {
		case strings.HasPrefix(a, "--"):
			long = true
			name, val, hasVal = strings.Cut(a[2:], "=")
		case strings.HasPrefix(a, "-") && len(a) > 1:
			name = a[1:2]
			if rest := a[2:]; rest != "" {
				val, hasVal = strings.TrimPrefix(rest, "="), true
			}
		default:
			// `-i tcp://*:5556 c`: a lone "c" after an endpoint is the
			// collector-mode marker written with a space.
			if a == "c" && i > 0 && len(o.Interfaces) > 0 {
				o.Interfaces[len(o.Interfaces)-1] += "c"
				continue
			}
			return fmt.Errorf("unexpected argument %q", a)
		}
		opt := lookupOption(name, long)
		if opt == nil || opt.apply == nil {
			return fmt.Errorf("unknown option %q", a)
		}
		if opt.value && !hasVal {
			if i+1 >= len(args) {
				return fmt.Errorf("option %q needs a value", a)
			}
			i++
			val, hasVal = args[i], true
		}
		if !opt.value && hasVal && val != "" {
			return fmt.Errorf("option %q takes no value", a)
		}
		if err := opt.apply(o, val); err != nil {
			return fmt.Errorf("option %q: %w", a, err)
		}
	}
	return nil
}

// readConfigFile reads an ntopng.conf: one option per line, `-i=eth0`,
// `--interface=eth0` or `--interface eth0`; `#` starts a comment.
func readConfigFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	var args []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "-") {
			return nil, fmt.Errorf("%s:%d: not an option: %q", path, n, line)
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			args = append(args, name+"="+unquote(strings.TrimSpace(val)))
			continue
		}
		if name, val, ok := strings.Cut(line, " "); ok {
			args = append(args, name, unquote(strings.TrimSpace(val)))
			continue
		}
		args = append(args, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return args, nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

func parseNetworks(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		// ntopng accepts "10.0.0.0/8=name"; the name is for display.
		s, _, _ = strings.Cut(s, "=")
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("bad network %q: want CIDR like 192.168.1.0/24", s)
		}
		out = append(out, p.Masked())
	}
	if len(out) == 0 {
		return nil, errors.New("no network given")
	}
	return out, nil
}

func parseHTTPPort(v string) (string, error) {
	v = strings.TrimSpace(v)
	if p, err := strconv.Atoi(v); err == nil {
		if p < 1 || p > 65535 {
			return "", fmt.Errorf("port %d out of range", p)
		}
		return ":" + v, nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("want [addr:]port, got %q", v)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 { // 0: any free port (tests)
		return "", fmt.Errorf("bad port %q", port)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && host != "localhost" {
			return "", fmt.Errorf("bad address %q", host)
		}
	}
	return net.JoinHostPort(host, port), nil
}

func parsePositive(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive number, got %q", v)
	}
	return n, nil
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: flowgate [options] | flowgate <config-file> | flowgate probe [options]\n\noptions:\n")
	for _, o := range options {
		name := "    --" + o.long
		if o.short != "" {
			name = "-" + o.short + ", --" + o.long
		}
		if o.value {
			name += " VALUE"
		}
		fmt.Fprintf(&b, "  %-36s %s\n", name, o.help)
	}
	return b.String()
}
