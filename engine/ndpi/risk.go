package ndpi

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Flow risks: nDPI's ndpi_risk_enum with the name ndpi_risk2str gives, the
// severity and the client's share of the score from ndpi_known_risks
// (risks.tsv, generated into risks_table.go; see README.md). A flow carries
// its risks as a 64-bit bitmap, bit i set for risk id i, as nProbe sends
// them in L7_PROTO_RISK.

// RiskSeverity is nDPI's ndpi_risk_severity.
type RiskSeverity uint8

const (
	RiskLow RiskSeverity = iota
	RiskMedium
	RiskHigh
	RiskSevere
	RiskCritical
	RiskEmergency
)

var severityNames = [...]string{"Low", "Medium", "High", "Severe", "Critical", "Emergency"}

// riskScores are nDPI's ndpi_risk_score values per severity.
var riskScores = [...]int{10, 50, 100, 150, 200, 250}

func (s RiskSeverity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return ""
}

// Score is nDPI's score of a risk of this severity.
func (s RiskSeverity) Score() int {
	if int(s) < len(riskScores) {
		return riskScores[s]
	}
	return 0
}

// RiskSide is nDPI's ndpi_risk_accountability: which peer caused a risk.
type RiskSide uint8

const (
	RiskSideNone RiskSide = iota
	RiskSideClient
	RiskSideServer
	RiskSideBoth
)

func (s RiskSide) String() string {
	return [...]string{"none", "client", "server", "both"}[s&3]
}

type riskInfo struct {
	enum, name string
	severity   RiskSeverity
	clientPct  uint8
	side       RiskSide
}

// Risk is one entry of the risk table.
type Risk struct {
	ID       int
	Enum     string // "TLS_MISSING_SNI" (nDPI's NDPI_TLS_MISSING_SNI)
	Name     string // "Missing SNI TLS Extn" (ndpi_risk2str)
	Severity RiskSeverity
	// Score is the severity's score; ClientScore is the client's share
	// (ndpi_risk2score), ServerScore the rest.
	Score, ClientScore, ServerScore int
	Side                            RiskSide
}

// AlertKey is ntopng's flow alert key for the risk: "ndpi_" and the enum in
// lower case (flow_alert_keys.lua names them flow_alert_ndpi_*).
func (r Risk) AlertKey() string { return "ndpi_" + strings.ToLower(r.Enum) }

// ErrUnknownRisk marks a risk id beyond nDPI's table.
var ErrUnknownRisk = errors.New("unknown nDPI risk id")

// RiskByID returns risk id's entry; ids outside 0..NumRisks-1 get an error
// wrapping ErrUnknownRisk.
func RiskByID(id int) (Risk, error) {
	if id < 0 || id >= NumRisks {
		return Risk{}, fmt.Errorf("risk id %d (nDPI's table has 0-%d): %w", id, NumRisks-1, ErrUnknownRisk)
	}
	ri := &riskTable[id]
	sc := ri.severity.Score()
	cs := sc * int(ri.clientPct) / 100
	return Risk{ID: id, Enum: ri.enum, Name: ri.name, Severity: ri.severity,
		Score: sc, ClientScore: cs, ServerScore: sc - cs, Side: ri.side}, nil
}

// RiskName is ndpi_risk2str: the name of a known id, else the id in decimal
// (nDPI's answer for ids it does not know).
func RiskName(id int) string {
	if id < 0 || id >= NumRisks {
		return fmt.Sprint(id)
	}
	return riskTable[id].name
}

// RiskID finds a risk by its enum ("TLS_MISSING_SNI", with or without the
// NDPI_ prefix, any case) or its name.
func RiskID(s string) (int, bool) {
	s = strings.TrimPrefix(strings.ToUpper(s), "NDPI_")
	for i := range riskTable {
		if riskTable[i].enum == s || strings.EqualFold(riskTable[i].name, s) {
			return i, true
		}
	}
	return 0, false
}

// Risks lists the table in id order, NO_RISK (0) included, as nDPI does.
func Risks() []Risk {
	out := make([]Risk, NumRisks)
	for i := range out {
		out[i], _ = RiskByID(i)
	}
	return out
}

// KnownRiskMask has the bits of every risk id in the table.
const KnownRiskMask = uint64(1)<<NumRisks - 1

// SplitRisks separates a bitmap's known risks from bits beyond the table.
func SplitRisks(bitmap uint64) (known, unknown uint64) {
	return bitmap & KnownRiskMask, bitmap &^ KnownRiskMask
}

// RiskScore is ndpi_risk2score: the summed score of a bitmap's known risks
// and its client and server shares. Bits beyond the table add nothing.
func RiskScore(bitmap uint64) (score, client, server int) {
	bitmap &= KnownRiskMask &^ 1 // NO_RISK scores nothing
	for bitmap != 0 {
		id := bits.TrailingZeros64(bitmap)
		bitmap &= bitmap - 1
		r, _ := RiskByID(id)
		score += r.Score
		client += r.ClientScore
		server += r.ServerScore
	}
	return score, client, server
}

// RiskIDs lists the ids set in a bitmap, in increasing order.
func RiskIDs(bitmap uint64) []int {
	var out []int
	for bitmap != 0 {
		id := bits.TrailingZeros64(bitmap)
		bitmap &= bitmap - 1
		out = append(out, id)
	}
	return out
}
