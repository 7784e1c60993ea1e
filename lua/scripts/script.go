package scripts

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine/ndpi"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
)

// script is one user script evaluated in one Lua state: the contract's
// view plus the flow-side filters the runtime applies.
type script struct {
	*contract.Script
	f *file

	localOnly, twh, isAlert bool
	l4                      int // -1: any
	l7                      int // -1: any
	divisor                 uint32
	prio                    float64
	setupFailed             bool
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
	cs, err := contract.Load(st, f, budget)
	if err != nil {
		return nil, err
	}
	s := &script{Script: cs, f: f, l4: -1, l7: -1, divisor: 4}
	t := cs.Table
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
			s.Notes = append(s.Notes, fmt.Sprintf("periodic_update_seconds %s is not a multiple of 30: using 120", v.String()))
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
	if t.RawGetString("periodic_update_seconds") == lua.LNil && f.Subdir == "flow" {
		t.RawSetString("periodic_update_seconds", lua.LNumber(120))
	}
	t.RawSetString("periodic_update_divisor", lua.LNumber(s.divisor))
	return s, nil
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
