package api

import "flowgate/alerts"

// statusDef is a 4.2 flow status (flow_keys.lua / flow_status_definitions):
// the alert type and severity a flow alert of that status carries when the
// script passes only the numeric key.
type statusDef struct {
	alertType int
	severity  alerts.Severity
}

var flowStatuses = func() map[int]statusDef {
	e, w, n, i := alerts.SeverityError, alerts.SeverityWarning, alerts.SeverityNotice, alerts.SeverityInfo
	m := map[int]statusDef{
		0: {28, i}, 1: {8, e}, 2: {1, e}, 3: {9, i}, 4: {10, e}, 5: {5, e}, 6: {10, e}, 7: {45, e},
		8: {10, e}, 9: {10, e}, 10: {7, e}, 11: {10, e}, 12: {56, i}, 13: {23, w}, 14: {18, e},
		15: {36, e}, 16: {39, n}, 17: {45, i}, 18: {45, i}, 19: {56, n}, 20: {45, i}, 21: {56, w},
		22: {36, e}, 23: {36, e}, 24: {36, e}, 25: {36, e}, 26: {51, n}, 27: {55, e}, 28: {36, e},
		29: {57, e}, 30: {58, i}, 31: {62, w}, 32: {65, e}, 33: {63, e}, 34: {64, e}, 35: {66, e},
	}
	for k := 59; k <= 63; k++ { // status_user_01..05 → alert_user_01..05
		m[k] = statusDef{alerts.UserTypeBase + k - 59, e}
	}
	return m
}()

// maxScore is flow_consts.max_score: scores are clamped to [0, maxScore].
const maxScore = 1024
