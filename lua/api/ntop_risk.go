package api

import (
	"net/netip"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/engine/ndpi"
	"flowgate/internal/metrics"
	"flowgate/lists"
)

// docs/flow-risks.md and docs/blacklists.md: nDPI's flow risks (the table in
// engine/ndpi) and ntopng's category lists (package lists) for scripts.

// RiskCounters count risk ids beyond nDPI's table that scripts met: ids
// passed to ntop.getRiskStr and bits of flows' risk bitmaps read through
// flow.getRiskInfo. One is shared by every Lua state (Services.Risks).
type RiskCounters struct {
	BadIDs      atomic.Uint64
	UnknownBits atomic.Uint64
}

// Register adds the flowgate_risk_unknown_total family.
func (c *RiskCounters) Register(r prometheus.Registerer) {
	type snap struct{ bad, bits uint64 }
	metrics.MustRegister(r, metrics.NewCollector(func() snap { return snap{c.BadIDs.Load(), c.UnknownBits.Load()} },
		metrics.CounterVec("flowgate_risk_unknown_total", "Risk ids beyond nDPI's table met by scripts, by where (lua_call: an ntop.* argument, flow_bitmap: a flow's risk bit).",
			[]string{"where"}, func(s *snap, emit func(uint64, ...string)) {
				emit(s.bad, "lua_call")
				emit(s.bits, "flow_bitmap")
			})))
}

func (b *binding) riskCounters() *RiskCounters {
	if s := b.deps.Services; s != nil {
		return s.Risks
	}
	return nil
}

func (b *binding) lists() *lists.Store {
	if s := b.deps.Services; s != nil {
		return s.Lists
	}
	return nil
}

// knownRisks is f's risk bitmap without bits beyond nDPI's table, which it
// counts.
func (b *binding) knownRisks(f *engine.Flow) uint64 {
	known, unknown := ndpi.SplitRisks(ext(f).Risk)
	if unknown != 0 {
		if c := b.riskCounters(); c != nil {
			c.UnknownBits.Add(uint64(len(ndpi.RiskIDs(unknown))))
		}
	}
	return known
}

// blacklistInfo is flow.getBlacklistedInfo: ntopng's blacklisted.cli,
// blacklisted.srv and blacklisted.cat (a Malware category) keys, each only
// when true.
func blacklistInfo(L *lua.LState, f *engine.Flow) *lua.LTable {
	t := L.CreateTable(0, 3)
	if f.Blacklist&lists.SideClient != 0 {
		t.RawSetString("blacklisted.cli", lua.LTrue)
	}
	if f.Blacklist&lists.SideServer != 0 {
		t.RawSetString("blacklisted.srv", lua.LTrue)
	}
	if f.Blacklist&lists.SideName != 0 || f.Category == ndpi.CategoryMalware {
		t.RawSetString("blacklisted.cat", lua.LTrue)
	}
	return t
}

// flowBlacklisted is ntopng's Flow::isBlacklistedFlow: a blacklisted peer
// or a Malware category.
func flowBlacklisted(f *engine.Flow) bool {
	return f.Blacklist != 0 || f.Category == ndpi.CategoryMalware
}

// hostBlacklisted answers whether a host's address is on a Malware list.
func (b *binding) hostBlacklisted(ip netip.Addr) bool {
	if l := b.lists(); l != nil {
		m, ok := l.MatchAddr(ip)
		return ok && m.Blacklisted
	}
	return false
}

// flowRiskAlertID is the 4.2 alert type flowgate raises for every risk
// (alert_flow_risk); the per-risk ntopng 5 key is in alert_key.
const flowRiskAlertID = 62

func init() {
	register("ntop", []luaFn{
		// ntop.getRiskStr(id): ndpi_risk2str. An id beyond the table
		// returns nil and the reason (and is counted) where nDPI would
		// print the number.
		fn("getRiskStr", func(b *binding, L *lua.LState) int {
			id := argInt(L, "getRiskStr", 1, "risk_id", -1)
			r, err := ndpi.RiskByID(int(id))
			if err != nil {
				if c := b.riskCounters(); c != nil {
					c.BadIDs.Add(1)
				}
				L.Push(lua.LNil)
				L.Push(lua.LString("ntop.getRiskStr: " + err.Error()))
				return 2
			}
			L.Push(lua.LString(r.Name))
			return 1
		}),
		// ntop.getRiskList(): names as an array, risk id i at index i+1 (as ntopng).
		fn("getRiskList", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(ndpi.NumRisks, 0)
			for i := 0; i < ndpi.NumRisks; i++ {
				t.RawSetInt(i+1, lua.LString(ndpi.RiskName(i)))
			}
			L.Push(t)
			return 1
		}),
		// ntop.getFlowRiskAlerts(): risk id -> the alert a flow with that
		// risk raises (docs/flow-risks.md).
		fn("getFlowRiskAlerts", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(0, ndpi.NumRisks)
			for _, r := range ndpi.Risks()[1:] {
				e := L.CreateTable(0, 8)
				b.setN(e, "risk_id", float64(r.ID))
				e.RawSetString("risk_name", lua.LString(r.Name))
				e.RawSetString("alert_key", lua.LString(r.AlertKey()))
				b.setN(e, "alert_id", flowRiskAlertID)
				e.RawSetString("severity", lua.LString(r.Severity.String()))
				b.setN(e, "score", float64(r.Score))
				b.setN(e, "cli_score", float64(r.ClientScore))
				b.setN(e, "srv_score", float64(r.ServerScore))
				t.RawSetInt(r.ID, e)
			}
			L.Push(t)
			return 1
		}),
		// ntop.getBlacklistStats(): per list, its state and hits.
		fn("getBlacklistStats", func(b *binding, L *lua.LState) int {
			t := L.NewTable()
			if l := b.lists(); l != nil {
				for _, s := range l.Stats() {
					e := L.CreateTable(0, 10)
					b.setN(e, "category", float64(s.Category))
					e.RawSetString("category_name", lua.LString(s.Category.String()))
					e.RawSetString("format", lua.LString(string(s.Format)))
					e.RawSetString("enabled", lua.LBool(s.Enabled))
					b.setN(e, "num_hits", float64(s.Hits))
					b.setN(e, "num_ips", float64(s.IPs))
					b.setN(e, "num_hosts", float64(s.Domains))
					b.setN(e, "num_errors", float64(s.Errors))
					b.setN(e, "num_dropped", float64(s.Dropped))
					b.setN(e, "load_time_ms", float64(s.LoadTime.Milliseconds()))
					if s.Err != "" {
						e.RawSetString("last_error", lua.LString(s.Err))
					}
					t.RawSetString(s.Name, e)
				}
			}
			L.Push(t)
			return 1
		}),
		fn("resetBlacklistStats", func(b *binding, L *lua.LState) int {
			if l := b.lists(); l != nil {
				l.ResetStats()
			}
			return 0
		}),
		// ntop.reloadBlacklists(): reads the category lists again (flowgate's;
		// ntopng reloads them from housekeeping). Returns true, or nil and
		// the reason; the lists loaded before stay on failure.
		fn("reloadBlacklists", func(b *binding, L *lua.LState) int {
			l := b.lists()
			if l == nil {
				L.Push(lua.LNil)
				L.Push(lua.LString("ntop.reloadBlacklists: no category lists in this process"))
				return 2
			}
			if _, err := l.Reload(); err != nil {
				L.Push(lua.LNil)
				L.Push(lua.LString("ntop.reloadBlacklists: " + err.Error()))
				return 2
			}
			L.Push(lua.LTrue)
			return 1
		}),
	})
	register("host", []luaFn{
		// host.isBlacklisted(): the host's address is on a Malware list.
		fn("isBlacklisted", func(b *binding, L *lua.LState) int {
			h := b.host(L)
			L.Push(lua.LBool(b.hostBlacklisted(h.IP())))
			return 1
		}),
	})
}
