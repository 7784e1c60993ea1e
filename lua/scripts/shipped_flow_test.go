package scripts

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lists"
	"flowgate/lua/api"
)

// TestShippedFlowRiskAndBlacklistScripts runs the flow checks flowgate
// ships (deploy/scripts/callbacks/interface/flow) on flows with nProbe risk
// bitmaps and on flows to and from hosts of the real list files of
// lists/testdata, and reads the flow alerts they store.
func TestShippedFlowRiskAndBlacklistScripts(t *testing.T) {
	dir := t.TempDir()
	flowDir := filepath.Join(dir, "callbacks", "interface", "flow")
	if err := os.MkdirAll(flowDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"flow_risk.lua", "blacklisted.lua"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "scripts", "callbacks", "interface", "flow", n))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(flowDir, n), string(b))
	}
	ls := lists.New(lists.Configuration{Dir: filepath.Join("..", "..", "lists", "testdata", "lists"), Poll: -1, Logger: quietLogger()})
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	clk := newClock(time.Date(2024, 3, 10, 10, 0, 30, 0, time.UTC))
	eng := engine.New(engine.Configuration{Now: clk.Now, LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Blacklists: ls})
	iface := eng.AddInterface("zmq0", "zmq")
	store := alerts.NewStore(alerts.Config{Now: clk.Now})
	var stored []alerts.Notification
	store.Subscribe(func(n alerts.Notification) { stored = append(stored, n) })
	rc := &api.RiskCounters{}
	rt := New(Configuration{Dir: dir, DataDir: t.TempDir(), Now: clk.Now, PollInterval: -1, Logger: quietLogger()}, eng, store,
		api.Deps{Logger: quietLogger(), Cache: api.NewCache(), Services: &api.Services{Lists: ls, Risks: rc}})
	if err := rt.Start(); err != nil {
		t.Fatal(err)
	}
	rt.stopLoop()
	// The shipped flow checks are off by default: enable them as a user would.
	on := map[string]HookConfig{"all": {Enabled: true}}
	if err := rt.ImportConfig(ScriptsConfig{"flow": {"flow_risk": on, "blacklisted": on}}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { eng.Stop(); rt.Stop() }()

	b := iface.NewBatch()
	add := func(src, dst string, sport uint16, risk uint64) {
		r := b.AddFlow()
		r.SrcIP, r.DstIP, r.SrcPort, r.DstPort, r.Proto = netip.MustParseAddr(src), netip.MustParseAddr(dst), sport, 443, 6
		r.InBytes, r.InPkts, r.OutBytes, r.OutPkts = 1000, 2, 500, 1
		now := uint32(clk.Now().Unix())
		r.FirstSwitched, r.LastSwitched, r.Risk = now-1, now, risk
	}
	add("10.0.0.1", "93.184.216.34", 40001, 1<<24|1<<6) // missing SNI (Medium) + self-signed (High)
	add("10.0.0.2", "93.184.216.34", 40002, 1<<61)      // only a bit beyond nDPI's table: no alert
	add("10.0.0.3", "5.79.79.211", 40003, 0)            // server on Emerging Threats
	add("10.0.0.4", "93.184.216.34", 40004, 0)          // clean
	iface.Enqueue(b)
	iface.Do(func(*engine.Tables) {})

	type got struct {
		status, score int
		sev           string
		params        map[string]any
		srvBL         bool
	}
	byPort := map[int]got{}
	for _, n := range stored {
		a := n.Alert
		if a.Flow == nil {
			continue
		}
		var js struct {
			StatusInfo string `json:"status_info"`
		}
		_ = json.Unmarshal([]byte(a.JSON), &js)
		var p map[string]any
		_ = json.Unmarshal([]byte(js.StatusInfo), &p)
		byPort[a.Flow.Cli.Port] = got{a.Flow.Status, a.Flow.Score, a.Severity.String(), p, a.Flow.Srv.Blacklisted}
	}
	if len(byPort) != 2 {
		t.Fatalf("flow alerts for ports %v, want 40001 and 40003", byPort)
	}
	r := byPort[40001]
	if r.status != 31 || r.score != 150 || r.sev != "error" || r.params["risk_id"] != float64(6) || r.params["alert_key"] != "ndpi_tls_selfsigned_certificate" {
		t.Errorf("risk alert = %+v; want status 31, score 150 (50+100), severity error, top risk 6", r)
	}
	if risks, _ := r.params["risks"].([]any); len(risks) != 2 {
		t.Errorf("risk alert lists %v, want both risks", r.params["risks"])
	}
	bl := byPort[40003]
	if bl.status != 1 || bl.score != 100 || !bl.srvBL || bl.params["srv_blacklisted"] != true {
		t.Errorf("blacklist alert = %+v; want status 1, score 100, server blacklisted", bl)
	}
	if rc.UnknownBits.Load() == 0 {
		t.Error("risk bit 61 (beyond the table) not counted")
	}
}
