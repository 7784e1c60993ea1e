package web

import (
	"net/netip"
	"testing"
	"time"
)

// TestActiveFlowsRiskFilter: get/flow/active.lua?flow_risk= keeps the flows
// carrying that nDPI risk (an id or its enum name); an id beyond nDPI's
// table or an unknown name is INVALID_ARGUMENTS.
func TestActiveFlowsRiskFilter(t *testing.T) {
	s := walkServer(t)
	i := s.deps.Engine.Interface(0)
	b := i.NewBatch()
	now := uint32(time.Now().Unix())
	for n, risk := range []uint64{1 << 24, 1<<24 | 1<<6} {
		f := b.AddFlow()
		f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr("10.1.0.6"), netip.MustParseAddr("203.0.113.1"), uint16(41000+n), 443, 6
		f.InBytes, f.InPkts, f.FirstSwitched, f.LastSwitched, f.Risk = 100, 1, now-1, now, risk
	}
	i.Process(b)
	const path = "/lua/rest/v2/get/flow/active.lua"
	for _, tc := range []struct {
		risk string
		code int
		rows float64
	}{
		{"24", 200, 2},
		{"TLS_MISSING_SNI", 200, 2},
		{"ndpi_tls_selfsigned_certificate", 200, 1},
		{"1", 200, 0},
		{"56", 400, 0},
		{"99", 400, 0},
		{"-1", 400, 0},
		{"NOT_A_RISK", 400, 0},
	} {
		code, env := call(t, s, "GET", path, map[string]string{"ifid": "0", "flow_risk": tc.risk})
		if code != tc.code {
			t.Errorf("flow_risk=%s: %d %v, want %d", tc.risk, code, env, tc.code)
			continue
		}
		if code != 200 {
			if env["rc_str"] != "INVALID_ARGUMENTS" {
				t.Errorf("flow_risk=%s: rc_str %v", tc.risk, env["rc_str"])
			}
			continue
		}
		if got := env["rsp"].(map[string]any)["totalRows"].(float64); got != tc.rows {
			t.Errorf("flow_risk=%s: %v rows, want %v", tc.risk, got, tc.rows)
		}
	}
	// flowhosts_type=blacklisted: walkServer's engine matches no lists.
	if code, env := call(t, s, "GET", path, map[string]string{"ifid": "0", "flowhosts_type": "blacklisted"}); code != 200 || env["rsp"].(map[string]any)["totalRows"].(float64) != 0 {
		t.Errorf("flowhosts_type=blacklisted: %d %v", code, env)
	}
}
