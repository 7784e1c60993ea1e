package ndpi

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Expected values from nDPI's ndpi_risk2str and ndpi_known_risks (risks.tsv).
func TestRiskTable(t *testing.T) {
	tests := []struct {
		id              int
		enum, name, sev string
		score, cli, srv int
		side            string
	}{
		{1, "URL_POSSIBLE_XSS", "XSS Attack", "Severe", 150, 135, 15, "client"},
		{6, "TLS_SELFSIGNED_CERTIFICATE", "Self-signed Cert", "High", 100, 90, 10, "server"},
		{9, "TLS_CERTIFICATE_EXPIRED", "TLS Cert Expired", "High", 100, 10, 90, "server"},
		{24, "TLS_MISSING_SNI", "Missing SNI TLS Extn", "Medium", 50, 25, 25, "client"},
		{22, "UNSAFE_PROTOCOL", "Unsafe Protocol", "Low", 10, 5, 5, "both"},
		{50, "TCP_ISSUES", "TCP Connection Issues", "Medium", 50, 25, 25, "client"},
		{55, "PROBING_ATTEMPT", "Probing Attempt", "Medium", 50, 25, 25, "client"},
	}
	for _, tc := range tests {
		r, err := RiskByID(tc.id)
		if err != nil {
			t.Fatalf("RiskByID(%d): %v", tc.id, err)
		}
		if r.Enum != tc.enum || r.Name != tc.name || r.Severity.String() != tc.sev || r.Side.String() != tc.side {
			t.Errorf("risk %d = %+v, want %s %q %s %s", tc.id, r, tc.enum, tc.name, tc.sev, tc.side)
		}
		if r.Score != tc.score || r.ClientScore != tc.cli || r.ServerScore != tc.srv {
			t.Errorf("risk %d scores = %d/%d/%d, want %d/%d/%d", tc.id, r.Score, r.ClientScore, r.ServerScore, tc.score, tc.cli, tc.srv)
		}
		if RiskName(tc.id) != tc.name {
			t.Errorf("RiskName(%d) = %q", tc.id, RiskName(tc.id))
		}
		if id, ok := RiskID("ndpi_" + strings.ToLower(tc.enum)); !ok || id != tc.id {
			t.Errorf("RiskID(%s) = %d, %v", tc.enum, id, ok)
		}
		if id, ok := RiskID(tc.name); !ok || id != tc.id {
			t.Errorf("RiskID(%q) = %d, %v", tc.name, id, ok)
		}
	}
	if r, _ := RiskByID(24); r.AlertKey() != "ndpi_tls_missing_sni" {
		t.Errorf("AlertKey = %q", r.AlertKey())
	}
}

func TestRiskBeyondTable(t *testing.T) {
	for _, id := range []int{-1, NumRisks, 63, 64, 1000} {
		if _, err := RiskByID(id); !errors.Is(err, ErrUnknownRisk) {
			t.Errorf("RiskByID(%d) error = %v, want ErrUnknownRisk", id, err)
		}
		if got := RiskName(id); got != strconv.Itoa(id) {
			t.Errorf("RiskName(%d) = %q, want the number (ndpi_risk2str)", id, got)
		}
	}
	if _, ok := RiskID("NOT_A_RISK"); ok {
		t.Error("RiskID(NOT_A_RISK) found")
	}
}

func TestRiskScoreAndSplit(t *testing.T) {
	bm := uint64(1)<<24 | 1<<6 | 1<<0 | 1<<62 // missing SNI, self-signed, NO_RISK, beyond table
	known, unknown := SplitRisks(bm)
	if known != 1<<24|1<<6|1 || unknown != 1<<62 {
		t.Errorf("SplitRisks = %x, %x", known, unknown)
	}
	s, c, v := RiskScore(bm)
	if s != 150 || c != 25+90 || v != 25+10 {
		t.Errorf("RiskScore = %d %d %d, want 150 115 35", s, c, v)
	}
	if ids := RiskIDs(known); len(ids) != 3 || ids[0] != 0 || ids[1] != 6 || ids[2] != 24 {
		t.Errorf("RiskIDs = %v", ids)
	}
	if len(Risks()) != NumRisks {
		t.Errorf("Risks() has %d entries", len(Risks()))
	}
}

// TestRiskTableMatchesTSV fails when risks_table.go is stale.
func TestRiskTableMatchesTSV(t *testing.T) {
	f, err := os.Open("risks.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		id, _ := strconv.Atoi(fs[0])
		r, err := RiskByID(id)
		if err != nil || r.Enum != fs[1] || r.Name != fs[2] || r.Severity.String() != fs[3] || r.Side.String() != fs[5] {
			t.Errorf("risk %d = %+v, %v; tsv says %q (run go generate)", id, r, err, line)
		}
		n++
	}
	if n != NumRisks {
		t.Errorf("tsv has %d risks, table %d", n, NumRisks)
	}
}
