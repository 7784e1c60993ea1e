package api

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lists"
	lua "github.com/yuin/gopher-lua"
)

// newListEnv is newEnv with an engine that matches flows against the lists
// in testdata/category_lists, and the lists and risk counters in Services.
func newListEnv(t *testing.T) (*testEnv, *lists.Store, *RiskCounters) {
	t.Helper()
	ls := lists.New(lists.Configuration{Dir: "testdata/category_lists", Poll: -1})
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	rc := &RiskCounters{}
	eng := engine.New(engine.Configuration{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")},
		Now:           func() time.Time { return testNow },
		Blacklists:    ls,
	})
	i := eng.AddInterface("tcp://127.0.0.1:5556", "zmq")
	store := alerts.NewStore(alerts.Config{Now: func() time.Time { return testNow }})
	L := lua.NewState()
	t.Cleanup(L.Close)
	ctx := &Context{Engine: eng, Iface: i, Alerts: store, Now: testNow, Script: "test_script", Subdir: "flow"}
	Install(L, ctx, Deps{Services: &Services{Lists: ls, Risks: rc}})
	return &testEnv{eng: eng, iface: i, L: L, ctx: ctx, store: store}, ls, rc
}

func TestNtopRisk(t *testing.T) {
	e, _, rc := newListEnv(t)
	tests := []struct{ expr, want string }{
		{"ntop.getRiskStr(24)", "Missing SNI TLS Extn"},
		{"ntop.getRiskStr(1)", "XSS Attack"},
		{"select(2, ntop.getRiskStr(70))", "ntop.getRiskStr: risk id 70 (nDPI's table has 0-55): unknown nDPI risk id"},
		{"ntop.getRiskStr(70)", "nil"},
		{"ntop.getRiskStr('x')", "error: <string>:1: ntop.getRiskStr: argument #1 (risk_id) must be a number, got string"},
		{"#ntop.getRiskList()", "56"},
		{"ntop.getRiskList()[25]", "Missing SNI TLS Extn"}, // id 24 at index 25, as ntopng
		{"ntop.getFlowRiskAlerts()[24].alert_key", "ndpi_tls_missing_sni"},
		{"ntop.getFlowRiskAlerts()[24].score", "50"},
		{"ntop.getFlowRiskAlerts()[6].srv_score", "10"},
		{"ntop.getFlowRiskAlerts()[0]", "nil"},
	}
	for _, tc := range tests {
		if got := eval(e.L, tc.expr); got != tc.want && !(strings.HasPrefix(tc.want, "error:") && strings.HasPrefix(got, tc.want)) {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
	if rc.BadIDs.Load() != 2 {
		t.Errorf("bad risk ids counted %d, want 2", rc.BadIDs.Load())
	}
}

func TestFlowRiskAndBlacklistAccessors(t *testing.T) {
	e, ls, rc := newListEnv(t)
	b := e.iface.NewBatch()
	add := func(src, dst string, sport uint16, risk uint64, sni string) {
		r := b.AddFlow()
		r.SrcIP, r.DstIP, r.SrcPort, r.DstPort, r.Proto, r.IPVersion = netip.MustParseAddr(src), netip.MustParseAddr(dst), sport, 443, 6, 4
		r.InBytes, r.InPkts, r.FirstSwitched, r.LastSwitched = 100, 1, uint32(testNow.Unix())-5, uint32(testNow.Unix())
		r.Risk, r.TLSServerName = risk, sni
	}
	add("192.168.1.2", "5.79.79.211", 40001, 1<<24|1<<6|1<<60, "") // risks (60 beyond the table), server blacklisted
	add("23.94.7.9", "192.168.1.2", 40002, 0, "")                  // client blacklisted
	add("192.168.1.2", "8.8.8.8", 40003, 0, "www.coinhive.com")    // Mining list: category only
	add("192.168.1.2", "8.8.8.8", 40004, 0, "evil-domain.example") // SNI on the Malware list
	e.iface.Process(b)
	tests := []struct {
		port uint16
		expr string
		want string
	}{
		{40001, "flow.isBlacklisted()", "true"},
		{40001, "flow.getBlacklistedInfo()['blacklisted.srv']", "true"},
		{40001, "flow.getBlacklistedInfo()['blacklisted.cli']", "nil"},
		{40001, "flow.getRiskInfo()[24]", "Missing SNI TLS Extn"},
		{40001, "flow.getRiskInfo()[6]", "Self-signed Cert"},
		{40001, "flow.getRiskInfo()[60]", "nil"},
		{40001, "flow.hasRisk(24)", "true"},
		{40001, "flow.hasRisk(60)", "false"},
		{40001, "flow.getFullInfo()['srv.blacklisted']", "true"},
		{40001, "flow.getFullInfo()['cli.blacklisted']", "false"},
		{40002, "flow.getBlacklistedInfo()['blacklisted.cli']", "true"},
		{40002, "flow.hasRisk()", "false"},
		{40003, "flow.isBlacklisted()", "false"},
		{40003, "flow.getFullInfo()['proto.ndpi_cat']", "Mining"},
		{40004, "flow.getBlacklistedInfo()['blacklisted.cat']", "true"},
	}
	for _, tc := range tests {
		e.inFlow(t, tc.port, func() {
			if got := eval(e.L, tc.expr); got != tc.want {
				t.Errorf("flow :%d %s = %q, want %q", tc.port, tc.expr, got, tc.want)
			}
		})
	}
	if rc.UnknownBits.Load() == 0 {
		t.Error("risk bit 60 (beyond the table) not counted")
	}
	// Hosts: the address on a Malware list (the Mining list's names do not count).
	for _, tc := range []struct{ ip, want string }{{"5.79.79.211", "true"}, {"23.94.7.9", "true"}, {"192.168.1.2", "false"}, {"8.8.8.8", "false"}} {
		e.inHost(t, tc.ip, func() {
			if got := eval(e.L, "host.isBlacklisted()"); got != tc.want {
				t.Errorf("host %s: isBlacklisted() = %s, want %s", tc.ip, got, tc.want)
			}
			if got := eval(e.L, "host.getInfo().is_blacklisted"); got != tc.want {
				t.Errorf("host %s: is_blacklisted = %s, want %s", tc.ip, got, tc.want)
			}
		})
	}
	// ntop.getBlacklistStats / resetBlacklistStats / reloadBlacklists
	stats := []struct{ expr, want string }{
		{"ntop.getBlacklistStats()['Malware IPs'].num_hits", "3"},
		{"ntop.getBlacklistStats()['Malware IPs'].num_ips", "2"},
		{"ntop.getBlacklistStats()['Malware IPs'].num_hosts", "1"},
		{"ntop.getBlacklistStats()['Malware IPs'].num_errors", "1"},
		{"ntop.getBlacklistStats()['NoCoin Filter List'].category_name", "Mining"},
		{"ntop.resetBlacklistStats() or ntop.getBlacklistStats()['Malware IPs'].num_hits", "0"},
		{"ntop.reloadBlacklists()", "true"},
	}
	for _, tc := range stats {
		if got := eval(e.L, tc.expr); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
	if c := ls.Counters(); c.Reloads != 2 {
		t.Errorf("reloads = %d, want 2", c.Reloads)
	}
}
