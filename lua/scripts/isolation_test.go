package scripts

import (
	"strings"
	"testing"
	"time"
)

func TestIsolation(t *testing.T) {
	// The budget (wall clock) stops c_loops; it is wide enough that the
	// other scripts' calls never reach it on a loaded machine.
	fx := newFixture(t, copyTree(t, "isolation"), func(c *Configuration) { c.CallBudget = 500 * time.Millisecond })
	fx.flow("10.0.0.1", "10.0.0.2", 40000, 80, 6, 0)
	fx.flow("10.0.0.1", "10.0.0.2", 40001, 80, 6, 0)
	for _, tc := range []struct {
		key                       string
		errors, timeouts, missing uint64
		wantFile                  string
		wantInMsg                 string
	}{
		{"a_raises", 2, 0, 0, "a_raises.lua:3", "boom"},
		{"b_missing_api", 2, 0, 2, "b_missing_api.lua:4", "flow.getSomethingFlowgateLacks"},
		{"c_loops", 2, 2, 0, "c_loops.lua:4", "budget"},
		{"d_fine", 0, 0, 0, "", ""},
	} {
		s := fx.stats(tc.key)
		if s.Calls != 2 || s.Errors != tc.errors || s.Timeouts != tc.timeouts || s.MissingAPI != tc.missing {
			t.Errorf("%s: %+v", tc.key, s)
		}
		if !strings.Contains(s.LastError, tc.wantFile) || !strings.Contains(s.LastError, tc.wantInMsg) {
			t.Errorf("%s: last error %q, want %q and %q", tc.key, s.LastError, tc.wantFile, tc.wantInMsg)
		}
	}
	// The engine carries on.
	n := fx.iface.Snapshot().ActiveFlows
	if n != 2 {
		t.Errorf("engine has %d flows, want 2", n)
	}
}
