package scripts

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine/ndpi"
	"flowgate/lua/vm"
)

// knownKeys are the author keys of the 4.x contract (spec §1.2); others are
// custom keys scripts read themselves, which `scripts check` notes.
var knownKeys = map[string]bool{
	"hooks": true, "gui": true, "category": true, "default_enabled": true, "default_value": true,
	"is_alert": true, "packet_interface_only": true, "nedge_only": true, "nedge_exclude": true,
	"windows_exclude": true, "local_only": true, "local_hosts": true, "l4_proto": true, "l7_proto": true,
	"three_way_handshake_ok": true, "periodic_update_seconds": true, "prio": true,
	"skip_virtual_interfaces": true, "anomaly_type_builder": true, "setup": true, "teardown": true,
	"onLoad": true, "onUnload": true, "onEnable": true, "onDisable": true, "onUpdateConfig": true,
	"key": true, "path": true, "source_path": true, "subdir": true, "plugin": true, "script_type": true,
	"edition": true, "template": true,
}

// script is one user script evaluated in one Lua state.
type script struct {
	f     *file
	table *lua.LTable
	hooks map[string]*lua.LFunction // after `all` expansion

	setup, teardown                     *lua.LFunction
	onEnable, onDisable, onUpdateConfig *lua.LFunction
	localOnly, twh, isAlert             bool
	l4                                  int // -1: any
	l7                                  int // -1: any
	divisor                             uint32
	prio                                float64
	defaultEnabled                      bool
	setupFailed                         bool
	notes                               []string // warnings (unknown hook names, bad values)
	unknownKeys                         []string
}

// isPacketKind tells the engine interface kinds that capture packets.
func isPacketKind(kind string) bool { return kind == "packet" || kind == "pcap" }

// skipError says why a script is not run; it is not a failure of the
// script (packet_interface_only on a ZMQ collector, ...).
type skipError struct{ why string }

func (e *skipError) Error() string { return e.why }

// evalScript runs the chunk and checks the contract. A *skipError means the
// script is deliberately not run here; other errors are script problems.
// packetIface says whether the script is loaded for an interface that sees
// packets (packet_interface_only scripts run only there).
func evalScript(st *vm.State, f *file, budget time.Duration, packetIface bool) (*script, error) {
	ret, err := st.Call(budget, st.Load(f.Proto), 0, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	t, ok := ret.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("%s: the script returns %s, not a table", f.Path, ret.Type())
	}
	s := &script{f: f, table: t, hooks: map[string]*lua.LFunction{}, l4: -1, l7: -1, divisor: 4, defaultEnabled: true}
	t.ForEach(func(k, _ lua.LValue) {
		if ks, ok := k.(lua.LString); ok && !knownKeys[string(ks)] {
			s.unknownKeys = append(s.unknownKeys, string(ks))
		}
	})
	sort.Strings(s.unknownKeys)

	valid := map[string]bool{}
	for _, h := range subdirHooks[f.Subdir] {
		valid[h] = true
	}
	hooks, _ := t.RawGetString("hooks").(*lua.LTable)
	if hooks == nil {
		return nil, fmt.Errorf("%s: no hooks table", f.Path)
	}
	var all *lua.LFunction
	hooks.ForEach(func(k, v lua.LValue) {
		name := lua.LVAsString(k)
		fn, isFn := v.(*lua.LFunction)
		switch {
		case !isFn:
			s.notes = append(s.notes, fmt.Sprintf("hook %q is not a function: ignored", name))
		case name == "all":
			all = fn
		case !valid[name]:
			s.notes = append(s.notes, fmt.Sprintf("unknown hook %q for %s scripts: ignored", name, f.Subdir))
		default:
			s.hooks[name] = fn
		}
	})
	if all != nil {
		// ntopng replaces `all` by the same function on every hook of the
		// type (explicit hooks are overwritten too, as in 4.2).
		for h := range valid {
			s.hooks[h] = all
		}
	}
	if len(s.hooks) == 0 {
		return nil, fmt.Errorf("%s: no valid hook (hooks is empty)", f.Path)
	}

	b := func(k string) bool { return lua.LVAsBool(t.RawGetString(k)) }
	if b("packet_interface_only") && !packetIface {
		return nil, &skipError{"packet_interface_only: not a packet interface"}
	}
	if b("nedge_only") {
		return nil, &skipError{"nedge_only: flowgate is not nEdge"}
	}
	if b("windows_exclude") && runtime.GOOS == "windows" {
		return nil, &skipError{"windows_exclude"}
	}
	s.localOnly = b("local_only") || b("local_hosts")
	s.twh = b("three_way_handshake_ok")
	s.isAlert = b("is_alert")
	if v := t.RawGetString("default_enabled"); v != lua.LNil {
		s.defaultEnabled = lua.LVAsBool(v)
	}
	if v := t.RawGetString("prio"); v != lua.LNil {
		if n, ok := v.(lua.LNumber); ok {
			s.prio = float64(n)
		}
	}
	if v := t.RawGetString("periodic_update_seconds"); v != lua.LNil {
		n, ok := v.(lua.LNumber)
		if ok && n >= 30 && int(n)%30 == 0 && float64(n) == float64(int(n)) {
			s.divisor = uint32(int(n) / 30)
		} else {
			s.notes = append(s.notes, fmt.Sprintf("periodic_update_seconds %s is not a multiple of 30: using 120", v.String()))
		}
	}
	if v := t.RawGetString("l4_proto"); v != lua.LNil {
		id, ok := l4ID(v)
		if !ok {
			return nil, fmt.Errorf("%s: unknown l4_proto %q", f.Path, v.String())
		}
		s.l4 = id
	}
	if v := t.RawGetString("l7_proto"); v != lua.LNil {
		id, ok := ndpi.ID(lua.LVAsString(v))
		if !ok {
			return nil, &skipError{fmt.Sprintf("unknown l7_proto %q", v.String())}
		}
		s.l7 = int(id)
		t.RawSetString("l7_proto_id", lua.LNumber(id))
	}
	fn := func(k string) *lua.LFunction { f, _ := t.RawGetString(k).(*lua.LFunction); return f }
	s.setup, s.teardown = fn("setup"), fn("teardown")
	s.onEnable, s.onDisable, s.onUpdateConfig = fn("onEnable"), fn("onDisable"), fn("onUpdateConfig")

	// Injected keys (4.2 init_user_script).
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
	if t.RawGetString("periodic_update_seconds") == lua.LNil && f.Subdir == "flow" {
		t.RawSetString("periodic_update_seconds", lua.LNumber(120))
	}
	t.RawSetString("periodic_update_divisor", lua.LNumber(s.divisor))
	// The hooks table seen by the script reflects the `all` expansion.
	nh := st.L.NewTable()
	for k, v := range s.hooks {
		nh.RawSetString(k, v)
	}
	t.RawSetString("hooks", nh)
	return s, nil
}

func scriptType(subdir string) string {
	switch subdir {
	case "interface", "network":
		return "traffic_element"
	}
	return subdir
}

func l4ID(v lua.LValue) (int, bool) {
	if n, ok := v.(lua.LNumber); ok {
		return int(n), n >= 0 && n < 256
	}
	switch strings.ToLower(lua.LVAsString(v)) {
	case "tcp":
		return 6, true
	case "udp":
		return 17, true
	case "icmp":
		return 1, true
	case "icmpv6", "ipv6-icmp":
		return 58, true
	case "gre":
		return 47, true
	case "sctp":
		return 132, true
	case "esp":
		return 50, true
	}
	return 0, false
}
