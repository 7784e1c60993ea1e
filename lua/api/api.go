package api

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"flowgate/activemon"
	"flowgate/alerts/recipients"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/history"
	"flowgate/history/rrd"
	"flowgate/lists"
	"flowgate/lua/vm"
	"flowgate/pools"
	"flowgate/snmp"
)

// Deps are the process-wide services the bindings use. Every field is
// optional: a nil GeoIP makes geolocation calls return ntopng's "unknown"
// values, a nil HTTPClient gets a client with a 10 s timeout, a nil Cache an
// empty private one, a nil Logger slog.Default().
type Deps struct {
	GeoIP      *GeoIP
	HTTPClient *http.Client
	Cache      *Cache // the in-memory ntop.*Cache store
	Logger     *slog.Logger

	// Directories ntop.getDirs reports (installdir = ScriptsDir's parent is
	// not assumed: scripts read dirs.installdir only to extend package.path,
	// which flowgate's module loader ignores).
	ScriptsDir string
	DataDir    string
	// Version is what ntop.getInfo reports as "version" (flowgate's own).
	Version string

	// LogLevel, when set, is the level ntop.setLoggingLevel changes (the
	// Logger's handler should read it).
	LogLevel *slog.LevelVar
	// OUI answers ntop.getMacManufacturer (nil: unknown vendors).
	OUI *OUI
	// LuaCache is the cache of docs/ntop-api.md §32 shared by all states (nil: one per state).
	LuaCache *LuaCache
	// AllowExec lets ntop.execCmd/execCmdAsync, os.execute and io.popen
	// run shell commands (off by default: a script is not a shell).
	AllowExec bool
	// Categories are the custom categories of ntop.loadCustomCategory* (nil: one per state).
	Categories *CustomCategories
	// Resolver is the reverse-DNS cache of ntop.resolveName (nil: one per state).
	Resolver *Resolver
	// Offline is the offline switch of ntop.setOffline (nil: one per state).
	Offline *OfflineMode

	// Services are the appliance components ntop.snmp* and ntop.recipient_*
	// drive (nil: those functions answer as without the feature).
	Services *Services
}

// Services are components of the appliance that some ntop.* functions
// drive; the packages registering those functions (lua/snmpapi,
// lua/recipientapi) read them from Deps. The wiring makes one Services,
// passes it in the Deps of every runtime, and fills it while it builds the
// components (the trap receiver exists only after the script runtimes that
// feed it): every field is set before any component starts, hence before
// any Lua state reads it. A nil field is a process without that component.
type Services struct {
	Recipients *recipients.Manager // ntop.recipient_*
	SNMP       *snmp.Poller        // ntop.snmp* query defaults and interface roles
	Traps      *snmp.TrapReceiver  // ntop.snmpToggleTrapCollection
	Users      UserStore           // ntop.* users and TOTP (users.go)
	// AlertStore answers ntop.alert_store_query (alertstore.go).
	AlertStore AlertQuerier
	// RRD holds the files of ntop.rrd_* (ntop_rrd.go); nil: one store per
	// Lua state over DataDir (same files, no lock shared between states).
	RRD *rrd.Store
	// Timeseries is what ts_utils appends to and queries (timeseries.go).
	Timeseries *history.Scripts
	// HostPools match hosts to ntopng's host pools (host.getPoolId,
	// host_pool_id); nil: every host is in the default pool 0.
	HostPools *pools.Store
	// Checks is the user-script runtime as ntopng's checks (checks.go).
	Checks Checks
	// Lists are the category lists (ntop.*Blacklist*, flow/host blacklist
	// info; ntop_risk.go); nil: nothing is blacklisted.
	Lists *lists.Store
	// Risks counts risk ids beyond nDPI's table met by scripts (nil: not counted).
	Risks *RiskCounters
	// Web is the web server for the §7 login functions (webserver.go).
	Web WebServer
	// ActiveMonitoring pings for ntop.pingHost & co. (am.go); nil: no ping.
	ActiveMonitoring *activemon.Monitor
	// Kafka is the --kafka producer of ntop.sendKafkaMessage (ntop_kafka.go);
	// nil: messages are dropped.
	Kafka KafkaSender
}

// Install sets the globals flow, host, network, interface and ntop in L.
// Their functions read ctx at call time, so the runner only updates ctx
// between hook calls. State kept per Lua state (cached alert values, the
// flow string cache) lives in the closures created here; L and ctx must stay
// on one goroutine.
func Install(L *lua.LState, ctx *Context, deps Deps) {
	b := newBinding(L, ctx, deps)
	if deps.AllowExec {
		// --allow-lua-exec also lets scripts use os.execute and io.popen
		// (the sandbox policy, docs/lua-sandbox.md).
		vm.AllowExec(L)
	}
	for _, t := range tables {
		tbl := L.NewTable()
		for _, fn := range t.fns {
			L.SetField(tbl, fn.name, L.NewFunction(fn.make(b)))
		}
		if t.name == "ntop" {
			b.installNtopExtras(L, tbl)
		}
		// Calling a function flowgate does not provide gives a clear error
		// instead of "attempt to call a nil value".
		mt := L.NewTable()
		name := t.name
		L.SetField(mt, "__index", L.NewFunction(func(L *lua.LState) int {
			key := L.CheckString(2)
			full := name + "." + key
			stub, ok := b.missing[full]
			if !ok {
				stub = L.NewFunction(func(L *lua.LState) int {
					L.RaiseError("%s is not provided by flowgate (see lua/api/README.md)", full)
					return 0
				})
				b.missing[full] = stub
			}
			L.Push(stub)
			return 1
		}))
		L.SetMetatable(tbl, mt)
		L.SetGlobal(t.name, tbl)
	}
	L.PreloadModule(tsModule, b.loadTimeseries) // ts_utils' store (timeseries.go)
}

// binding is the per-Lua-state side of the API.
type binding struct {
	ctx  *Context
	deps Deps
	num  numAlloc

	// cached alert values per entity ("host:ip@vlan", "network:cidr",
	// "interface:ifid") then per "key:gid".
	cached map[string]map[string]string

	fc      flowStrCache
	l7names map[uint32]lua.LValue

	// per-flow score and alerted status (ntopng keeps them on the Flow),
	// keyed by Flow.ID; pruned of dead flows as it grows.
	flowState map[uint64]*flowState
	pruneAt   int

	syslogStats [6]uint64 // interface.incSyslogStats totals

	// unknown functions, one erroring stub per table.field
	missing map[string]lua.LValue
	// unavailable ntop.* functions already logged by this state
	warned map[string]bool
	// networks added with ntop.addLocalNetwork
	extraNets []netip.Prefix
	minLevel  slog.Level          // ntop.setLoggingLevel for this state
	insecure  *http.Client        // no_verify_cert requests
	tcpConns  map[string]net.Conn // ntop.send_tcp_data connections
	asyncCmds map[int64]*asyncCmd // ntop.execCmdAsync handles
	nextCmd   int64
	zmqSub    *zmtp.SubSocket // ntop.zmq_connect
	rrd       *rrd.Store      // ntop.rrd_* without Services.RRD
}

func newBinding(L *lua.LState, ctx *Context, deps Deps) *binding {
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if deps.Cache == nil {
		deps.Cache = NewCache()
	}
	if deps.Offline == nil {
		deps.Offline = NewOfflineMode()
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	return &binding{ctx: ctx, deps: deps, cached: make(map[string]map[string]string),
		l7names: make(map[uint32]lua.LValue), flowState: make(map[uint64]*flowState), pruneAt: 1024,
		missing: make(map[string]lua.LValue), warned: map[string]bool{}, minLevel: slog.LevelDebug - 4}
}

type luaFn struct {
	name string
	make func(b *binding) lua.LGFunction
}

type luaTable struct {
	name string
	fns  []luaFn
}

// tables is filled by each binding file's init; read-only afterwards.
var tables []luaTable

func register(table string, fns []luaFn) {
	for i := range tables {
		if tables[i].name == table {
			tables[i].fns = append(tables[i].fns, fns...)
			return
		}
	}
	tables = append(tables, luaTable{name: table, fns: fns})
}

// Provided lists, per global table (flow, host, network, interface, ntop),
// the function names Install defines, sorted. `scripts check` uses it to
// report calls flowgate does not provide.
func Provided() map[string][]string {
	out := make(map[string][]string, len(tables))
	for _, t := range tables {
		seen := make(map[string]bool, len(t.fns))
		names := make([]string, 0, len(t.fns))
		for _, f := range t.fns {
			if !seen[f.name] {
				seen[f.name] = true
				names = append(names, f.name)
			}
		}
		if t.name == "ntop" {
			// registered functions, less the unavailable stubs
			for _, f := range RegisteredNtop() {
				if f.Status != StatusUnavailable && !seen[f.Name] {
					seen[f.Name] = true
					names = append(names, f.Name)
				}
			}
		}
		sort.Strings(names)
		out[t.name] = names
	}
	return out
}

// fn adapts a plain method-style function to the luaFn factory form.
func fn(name string, f func(b *binding, L *lua.LState) int) luaFn {
	return luaFn{name: name, make: func(b *binding) lua.LGFunction {
		return func(L *lua.LState) int { return f(b, L) }
	}}
}
