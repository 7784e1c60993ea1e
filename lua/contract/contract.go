// Package contract is the user-script contract, written once for every
// kind of script flowgate runs (flow, host, interface, network and system
// user scripts, syslog handlers, SNMP device and trap scripts) and for
// `flowgate scripts check`, which must see a script exactly as the runtime
// that will run it does:
//
//   - where the files of each kind are (Discover: ntopng's callbacks/
//     layouts and the 4.0/4.2 plugin trees), and the module path every
//     state gets (the scripts root, its modules/ and every directory
//     holding a script);
//   - the one ready Lua state (NewState: vm's sandbox, lua/api's bindings,
//     lua/modules' modules, the caller's extras);
//   - what a script file returns (Load: hooks per kind with `all`
//     expanded, setup/teardown and the on* callbacks, default_enabled,
//     default_value, gui, the keys ntopng 4.2 injects) and the setup rule;
//   - isolation: per-script counters of calls, errors, timeouts and missing
//     APIs, with the last error as file:line (Stats);
//   - what a file asks of the runtime without running it (Scan: the
//     `require`s and ntop/flow/host/interface/network calls, with lines).
//
// It is one package, apart from lua/vm, because it sits above lua/api and
// lua/modules (a state needs both) while lua/vm sits below them; what it
// holds is one idea, "how flowgate sees a user script". Kind-specific
// running (flow filters and per-flow hooks, syslog queues, SNMP schedules)
// stays in lua/scripts, lua/syslog and lua/snmpscripts.
package contract

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
	"flowgate/lua/modules"
	"flowgate/lua/vm"
)

// Kind is one kind of script: its subdir name (ntopng's script type
// directory) and the hooks a script of that kind may define.
type Kind struct {
	Name  string
	Hooks []string
	// dirs are the callbacks/ directories of the kind, relative to the
	// scripts root, in precedence order; plugin trees come after.
	dirs []string
	// lowerKey makes keys lower case (syslog producers are matched so).
	lowerKey bool
	// SetupNilEnables: a setup() that returns nothing keeps the script
	// enabled. True for syslog handlers (the seed's rule: "if it returns
	// false the script is considered disabled", and handlers without a
	// return are common); false elsewhere, ntopng 4.2's
	// `if not script.setup() then skip`.
	SetupNilEnables bool
}

// PeriodicHooks are the hooks of host, interface, network and system scripts.
var PeriodicHooks = []string{"min", "5mins", "hour", "day"}

// FlowHooks are the hooks of flow scripts.
var FlowHooks = []string{"protocolDetected", "statusChanged", "periodicUpdate", "flowEnd"}

// Kind names.
const (
	Flow       = "flow"
	Host       = "host"
	Interface  = "interface"
	Network    = "network"
	System     = "system"
	Syslog     = "syslog"
	SNMPDevice = "snmp_device"
	SNMPTrap   = "snmp_trap"
)

// kinds are every kind flowgate runs, in a stable order.
var kinds = []*Kind{
	{Name: Flow, Hooks: FlowHooks, dirs: []string{"callbacks/interface/flow"}},
	{Name: Host, Hooks: PeriodicHooks, dirs: []string{"callbacks/interface/host", "callbacks/interface/host/alerts"}},
	{Name: Interface, Hooks: PeriodicHooks, dirs: []string{"callbacks/interface/interface", "callbacks/interface/interface/alerts"}},
	{Name: Network, Hooks: PeriodicHooks, dirs: []string{"callbacks/interface/network", "callbacks/interface/network/alerts"}},
	{Name: System, Hooks: PeriodicHooks, dirs: []string{"callbacks/system/system"}},
	{Name: Syslog, Hooks: []string{"handleEvent"}, dirs: []string{"callbacks/syslog", "callbacks/system/syslog"}, lowerKey: true, SetupNilEnables: true},
	{Name: SNMPDevice, Hooks: []string{"snmpDevice", "snmpDeviceInterface"}, dirs: []string{"callbacks/system/snmp_device"}},
	{Name: SNMPTrap, Hooks: []string{"trap"}, dirs: []string{"callbacks/system/snmp_trap"}},
}

// Kinds returns every kind flowgate runs.
func Kinds() []*Kind { return kinds }

// KindOf returns the kind named name, or nil.
func KindOf(name string) *Kind {
	for _, k := range kinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// HasHook tells whether h is a hook of the kind.
func (k *Kind) HasHook(h string) bool {
	for _, x := range k.Hooks {
		if x == h {
			return true
		}
	}
	return false
}

// File is one discovered script file; Proto, once compiled, is shared by
// every Lua state that loads it.
type File struct {
	Key    string // file name without .lua (lower case for syslog)
	Subdir string // the kind's name
	Path   string
	Plugin string // the plugin directory name, "" outside plugin trees
	Proto  *lua.FunctionProto
}

// Set is what Discover found for some kinds of one scripts root.
type Set struct {
	Dir   string
	Files map[string][]*File // kind name -> files sorted by key
	// ModuleDirs are the directories holding a script of any kind: they
	// are on every state's package.path (after the root and its
	// modules/), so a script can require a module beside it, whatever
	// runtime loads it.
	ModuleDirs []string
	// Problems are duplicates (the first file of a kind and key wins, as in
	// ntopng; *DuplicateError) and compile errors (*vm.Error of
	// KindSyntax; the file is left out).
	Problems []error
}

// DuplicateError reports a second file with the same kind and key.
type DuplicateError struct {
	Path, Kind, Key, First string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s: duplicate %s script %q (already %s): ignored", e.Path, e.Kind, e.Key, e.First)
}

// Discover lists and compiles the scripts of the named kinds under dir
// (every kind when none is named):
//
//	<dir>/callbacks/interface/{flow,host,interface,network}/*.lua
//	<dir>/callbacks/interface/{host,interface,network}/alerts/*.lua   (dev-2019)
//	<dir>/callbacks/system/{system,syslog,snmp_device,snmp_trap}/*.lua
//	<dir>/callbacks/syslog/*.lua                                       (pre-plugin syslog)
//	<dir>/plugins/<group>/<plugin>/user_scripts/<kind>/*.lua           (4.2)
//	<dir>/plugins/<plugin>/user_scripts/<kind>/*.lua                   (4.0)
//
// A missing dir is an error; a missing subdirectory is not.
func Discover(dir string, kindNames ...string) (*Set, error) {
	return discover(dir, true, kindNames)
}

// ModuleDirs is the module path Discover gives the scripts under dir (for
// a state that runs something else than the discovered scripts: `flowgate
// lua`); nil when dir does not exist.
func ModuleDirs(dir string) []string {
	set, err := discover(dir, false, []string{Flow})
	if err != nil {
		return nil
	}
	return set.ModuleDirs
}

func discover(dir string, compile bool, kindNames []string) (*Set, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("scripts %s: %w", dir, err)
	}
	want := map[string]bool{}
	for _, n := range kindNames {
		if KindOf(n) == nil {
			return nil, fmt.Errorf("scripts: unknown script kind %q", n)
		}
		want[n] = true
	}
	set := &Set{Dir: dir, Files: map[string][]*File{}}
	seen := map[string]string{}
	modDirs := map[string]bool{}
	var usDirs []string
	plugins := filepath.Join(dir, "plugins")
	if _, err := os.Stat(plugins); err == nil {
		_ = filepath.WalkDir(plugins, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == "user_scripts" {
				usDirs = append(usDirs, p)
				return filepath.SkipDir
			}
			return nil
		})
		sort.Strings(usDirs)
	}
	for _, k := range kinds {
		add := func(path, plugin string) {
			modDirs[filepath.Dir(path)] = true
			if len(want) > 0 && !want[k.Name] {
				return
			}
			key := strings.TrimSuffix(filepath.Base(path), ".lua")
			if k.lowerKey {
				key = strings.ToLower(key)
			}
			id := k.Name + "/" + key
			if first, dup := seen[id]; dup {
				set.Problems = append(set.Problems, &DuplicateError{Path: path, Kind: k.Name, Key: key, First: first})
				return
			}
			seen[id] = path
			set.Files[k.Name] = append(set.Files[k.Name], &File{Key: key, Subdir: k.Name, Path: path, Plugin: plugin})
		}
		for _, d := range k.dirs {
			for _, p := range luaFiles(filepath.Join(dir, filepath.FromSlash(d))) {
				add(p, "")
			}
		}
		for _, us := range usDirs {
			for _, p := range luaFiles(filepath.Join(us, k.Name)) {
				add(p, filepath.Base(filepath.Dir(us)))
			}
		}
	}
	for name, l := range set.Files {
		if !compile {
			break
		}
		sort.SliceStable(l, func(i, j int) bool { return l[i].Key < l[j].Key })
		ok := l[:0]
		for _, f := range l {
			p, err := vm.Compile(f.Path)
			if err != nil {
				set.Problems = append(set.Problems, err)
				continue
			}
			f.Proto = p
			ok = append(ok, f)
		}
		set.Files[name] = ok
	}
	for d := range modDirs {
		set.ModuleDirs = append(set.ModuleDirs, d)
	}
	sort.Strings(set.ModuleDirs)
	return set, nil
}

func luaFiles(d string) []string {
	ents, err := os.ReadDir(d)
	if err != nil {
		return nil
	}
	var l []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".lua") {
			l = append(l, filepath.Join(d, e.Name()))
		}
	}
	sort.Strings(l)
	return l
}

// Count is the number of files in the set.
func (s *Set) Count() int {
	n := 0
	for _, l := range s.Files {
		n += len(l)
	}
	return n
}

// Env is what every state of one runtime shares.
type Env struct {
	ScriptsDir, DataDir string
	ModuleDirs          []string     // Set.ModuleDirs
	Watchdog            *vm.Watchdog // nil: calls are unlimited
	Deps                api.Deps
	// Install, if set, runs after the bindings and modules (extra globals
	// of one runtime: syslog counters, embedding, tests).
	Install func(L *lua.LState, ctx *api.Context)
}

// NewState builds the one kind of Lua state user scripts run in: vm's
// sandboxed standard library with the module path above, lua/api's
// bindings and lua/modules' modules bound to ctx, then env.Install.
func NewState(env Env, ctx *api.Context) *vm.State {
	deps := env.Deps
	if deps.ScriptsDir == "" {
		deps.ScriptsDir = env.ScriptsDir
	}
	if deps.DataDir == "" {
		deps.DataDir = env.DataDir
	}
	return vm.New(vm.Options{
		ScriptsDir: env.ScriptsDir,
		DataDir:    env.DataDir,
		ModuleDirs: env.ModuleDirs,
		Watchdog:   env.Watchdog,
		Install: func(L *lua.LState) {
			api.Install(L, ctx, deps)
			modules.Install(L, ctx)
			if env.Install != nil {
				env.Install(L, ctx)
			}
		},
	})
}

// knownKeys are the author keys of the 4.x contract; others are custom
// keys scripts read themselves (`scripts check` notes them).
var knownKeys = map[string]bool{
	"hooks": true, "gui": true, "category": true, "default_enabled": true, "default_value": true,
	"is_alert": true, "packet_interface_only": true, "nedge_only": true, "nedge_exclude": true,
	"windows_exclude": true, "local_only": true, "local_hosts": true, "l4_proto": true, "l7_proto": true,
	"three_way_handshake_ok": true, "periodic_update_seconds": true, "prio": true,
	"skip_virtual_interfaces": true, "anomaly_type_builder": true, "setup": true, "teardown": true,
	"onLoad": true, "onUnload": true, "onEnable": true, "onDisable": true, "onUpdateConfig": true,
	"key": true, "path": true, "source_path": true, "subdir": true, "plugin": true, "script_type": true,
	"edition": true, "template": true, "granularities": true, "alert_id": true,
}

// Script is one script file evaluated in one Lua state.
type Script struct {
	File  *File
	Kind  *Kind
	Table *lua.LTable               // what the file returned (with the injected keys)
	Hooks map[string]*lua.LFunction // valid hooks, `all` expanded

	Setup, Teardown                     *lua.LFunction
	OnEnable, OnDisable, OnUpdateConfig *lua.LFunction

	DefaultEnabled     bool           // default_enabled (true when absent)
	DefaultValue       map[string]any // default_value as Go (empty when absent)
	Title, Description string         // gui.i18n_title / i18n_description

	// Notes are problems that do not stop the script (unknown hook names,
	// hooks that are not functions); UnknownKeys are custom top-level keys.
	Notes       []string
	UnknownKeys []string
}

// Load runs the compiled file in st (within budget) and reads the table it
// returns. It fails when the file raises, returns no table, has no hooks
// table or no hook valid for its kind; the error then carries the file
// (and the line, for a raise).
func Load(st *vm.State, f *File, budget time.Duration) (*Script, error) {
	k := KindOf(f.Subdir)
	if k == nil {
		return nil, fmt.Errorf("%s: unknown script kind %q", f.Path, f.Subdir)
	}
	if f.Proto == nil {
		p, err := vm.Compile(f.Path)
		if err != nil {
			return nil, err
		}
		f.Proto = p
	}
	ret, err := st.Call(budget, st.Load(f.Proto), 0, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	t, ok := ret.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("%s: the script returns %s, not a table", f.Path, ret.Type())
	}
	s := &Script{File: f, Kind: k, Table: t, Hooks: map[string]*lua.LFunction{}, DefaultEnabled: true, DefaultValue: map[string]any{}}
	t.ForEach(func(key, _ lua.LValue) {
		if ks, ok := key.(lua.LString); ok && !knownKeys[string(ks)] {
			s.UnknownKeys = append(s.UnknownKeys, string(ks))
		}
	})
	sort.Strings(s.UnknownKeys)
	hooks, _ := t.RawGetString("hooks").(*lua.LTable)
	if hooks == nil {
		return nil, fmt.Errorf("%s: no hooks table", f.Path)
	}
	var all *lua.LFunction
	hooks.ForEach(func(key, v lua.LValue) {
		name := lua.LVAsString(key)
		fn, isFn := v.(*lua.LFunction)
		switch {
		case !isFn:
			s.Notes = append(s.Notes, fmt.Sprintf("hook %q is not a function: ignored", name))
		case name == "all":
			all = fn
		case !k.HasHook(name):
			s.Notes = append(s.Notes, fmt.Sprintf("unknown hook %q for %s scripts (valid: %s): ignored", name, k.Name, strings.Join(k.Hooks, ", ")))
		default:
			s.Hooks[name] = fn
		}
	})
	sort.Strings(s.Notes)
	if all != nil {
		// ntopng replaces `all` by the same function on every hook of the
		// kind (explicit hooks are overwritten too, as in 4.2).
		for _, h := range k.Hooks {
			s.Hooks[h] = all
		}
	}
	if len(s.Hooks) == 0 {
		return nil, fmt.Errorf("%s: no valid hook for %s scripts (valid: %s)", f.Path, k.Name, strings.Join(k.Hooks, ", "))
	}
	if v := t.RawGetString("default_enabled"); v != lua.LNil {
		s.DefaultEnabled = lua.LVAsBool(v)
	}
	if m, ok := vm.ToGo(t.RawGetString("default_value")).(map[string]any); ok {
		s.DefaultValue = m
	}
	if gui, ok := t.RawGetString("gui").(*lua.LTable); ok {
		s.Title = lua.LVAsString(gui.RawGetString("i18n_title"))
		s.Description = lua.LVAsString(gui.RawGetString("i18n_description"))
	}
	fn := func(key string) *lua.LFunction { f, _ := t.RawGetString(key).(*lua.LFunction); return f }
	s.Setup, s.Teardown = fn("setup"), fn("teardown")
	s.OnEnable, s.OnDisable, s.OnUpdateConfig = fn("onEnable"), fn("onDisable"), fn("onUpdateConfig")

	// The keys ntopng 4.2's init_user_script injects. The key is the file
	// name, whatever the script says.
	t.RawSetString("key", lua.LString(f.Key))
	t.RawSetString("path", lua.LString(f.Path))
	t.RawSetString("source_path", lua.LString(f.Path))
	t.RawSetString("subdir", lua.LString(f.Subdir))
	t.RawSetString("plugin", lua.LString(f.Plugin))
	t.RawSetString("script_type", lua.LString(scriptType(f.Subdir)))
	t.RawSetString("edition", lua.LString("community"))
	if t.RawGetString("category") == lua.LNil {
		t.RawSetString("category", lua.LNumber(0))
	}
	// The hooks table seen by the script reflects the `all` expansion.
	nh := st.L.CreateTable(0, len(s.Hooks))
	for name, v := range s.Hooks {
		nh.RawSetString(name, v)
	}
	t.RawSetString("hooks", nh)
	return s, nil
}

func scriptType(subdir string) string {
	switch subdir {
	case Interface, Network:
		return "traffic_element"
	}
	return subdir
}

// RunSetup calls the script's setup() (if any) and applies its kind's rule
// to the result: enabled is false when setup returned false (or nothing,
// unless the kind's SetupNilEnables).
func (s *Script) RunSetup(st *vm.State, budget time.Duration) (enabled bool, err error) {
	if s.Setup == nil {
		return true, nil
	}
	ret, err := st.Call(budget, s.Setup, 0, nil, nil, nil)
	if err != nil {
		return false, err
	}
	if ret == lua.LNil && s.Kind.SetupNilEnables {
		return true, nil
	}
	return lua.LVAsBool(ret), nil
}
