package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// Status is ntopng 5's alert_status (alert_consts.alert_status): the
// value of the column for historical and acknowledged alerts; engaged
// alerts are in memory only.
type Status int

// The statuses, with ntopng's ids.
const (
	StatusHistorical   Status = 0
	StatusAcknowledged Status = 1
	StatusEngaged      Status = 2
	StatusAny          Status = 3 // historical or acknowledged
)

// ParseStatus reads the REST status parameter ("" is historical, as in
// ntopng; "historical-flows" is the 4.2 name of historical flow alerts).
func ParseStatus(s string) (Status, error) {
	switch s {
	case "", "historical", "historical-flows":
		return StatusHistorical, nil
	case "acknowledged":
		return StatusAcknowledged, nil
	case "engaged":
		return StatusEngaged, nil
	case "any":
		return StatusAny, nil
	}
	return 0, badParam("status", s, "want engaged, historical, acknowledged or any")
}

// ListQuery selects alerts of one family for List, the counters, the time
// series, Acknowledge and Delete.
type ListQuery struct {
	Family     Family
	IfID       *int // interface_id; nil: any
	Status     Status
	EpochBegin int64 // tstamp >= EpochBegin (0: open)
	EpochEnd   int64 // tstamp <= EpochEnd (0: open)
	Filters    []Filter
	Start      int    // rows to skip
	Length     int    // rows to return: 0 is DefaultLength, at most MaxLength
	Sort       string // a column of the family's table, "duration" or "row_id"; default tstamp
	Desc       bool
}

// Paging bounds.
const (
	DefaultLength = 10
	MaxLength     = 100_000
)

// DefaultCountLimit is Configuration.CountLimit's default: counting costs
// about 85 ns per matching alert (an index walk), 85 ms for a million,
// so a list counts at most this many alerts (or start+length when more)
// and says when it stopped there (Page.TotalIsLowerBound). Below the
// bound totals are exact.
const DefaultCountLimit = 100_000

// Page is one page of a list and the number of alerts the query selects:
// exact, or at least Total when TotalIsLowerBound (Configuration.CountLimit).
type Page struct {
	Rows              []alerts.Alert
	Total             int
	TotalIsLowerBound bool
}

// query is a ListQuery checked and compiled against its table.
type query struct {
	t     *table
	conds []cond
	order string // SQL ORDER BY
	sortK func(v rowVals) any
	q     ListQuery
}

func (d *DB) compile(q ListQuery, paging bool) (*query, error) {
	t := tableByFamily[q.Family]
	if t == nil {
		return nil, badParam("family", string(q.Family), "unknown alert family")
	}
	if q.EpochBegin < 0 || q.EpochEnd < 0 || (q.EpochEnd != 0 && q.EpochBegin > q.EpochEnd) {
		return nil, badParam("epoch_begin", strconv.FormatInt(q.EpochBegin, 10), "after epoch_end or negative")
	}
	if paging {
		if q.Start < 0 {
			return nil, badParam("start", strconv.Itoa(q.Start), "negative")
		}
		if q.Length < 0 || q.Length > MaxLength {
			return nil, badParam("length", strconv.Itoa(q.Length), fmt.Sprintf("want 1..%d", MaxLength))
		}
	}
	conds, err := compileFilters(t, q.Filters)
	if err != nil {
		return nil, err
	}
	var pre []cond
	if q.IfID != nil {
		id := int64(*q.IfID)
		pre = append(pre, cond{sql: `"interface_id" = ?`, args: []any{id},
			match: func(v rowVals) bool { return v["interface_id"] == id }})
	}
	switch q.Status {
	case StatusHistorical, StatusAcknowledged:
		st := int64(q.Status)
		pre = append(pre, cond{sql: `+"alert_status" = ?`, args: []any{st},
			match: func(v rowVals) bool { return true }})
	case StatusAny, StatusEngaged:
	default:
		return nil, badParam("status", strconv.Itoa(int(q.Status)), "unknown status")
	}
	if q.EpochBegin > 0 {
		b := q.EpochBegin
		pre = append(pre, cond{sql: `"tstamp" >= ?`, args: []any{b},
			match: func(v rowVals) bool { return v["tstamp"].(int64) >= b }})
	}
	if q.EpochEnd > 0 {
		e := q.EpochEnd
		pre = append(pre, cond{sql: `"tstamp" <= ?`, args: []any{e},
			match: func(v rowVals) bool { return v["tstamp"].(int64) <= e }})
	}
	cq := &query{t: t, conds: append(pre, conds...), q: q}
	col := q.Sort
	if a, ok := fieldAliases[col]; ok {
		col = a
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	switch col {
	case "", "tstamp", "date":
		col = "tstamp"
		fallthrough
	default:
		c, ok := t.column(col)
		if !ok && col != "duration" || unfilterable[col] {
			return nil, badParam("sort", q.Sort, "not a sortable column of "+t.name)
		}
		if col == "duration" {
			cq.order = `("tstamp_end" - "tstamp")` + dir + `, "rowid"` + dir
			cq.sortK = func(v rowVals) any { return v["tstamp_end"].(int64) - v["tstamp"].(int64) }
		} else {
			cq.order = quoteIdent(c.name) + dir + `, "rowid"` + dir
			cq.sortK = func(v rowVals) any { return v[c.name] }
		}
	}
	return cq, nil
}

func (cq *query) where() (string, []any) {
	if len(cq.conds) == 0 {
		return "", nil
	}
	parts := make([]string, len(cq.conds))
	var args []any
	for i, c := range cq.conds {
		parts[i] = c.sql
		args = append(args, c.args...)
	}
	return " WHERE " + strings.Join(parts, " AND "), args
}

func (cq *query) matches(v rowVals) bool {
	for _, c := range cq.conds {
		if !c.match(v) {
			return false
		}
	}
	return true
}

// List returns one page of the family's alerts that q selects, and how
// many it selects in all. Engaged alerts (q.Status == StatusEngaged) are
// filtered, sorted and paged from engaged, what alerts.Store holds;
// the others are read from the file, after the alerts appended before
// the call are committed.
func (d *DB) List(ctx context.Context, q ListQuery, engaged []alerts.Alert) ([]alerts.Alert, int, error) {
	p, err := d.ListPage(ctx, q, engaged)
	return p.Rows, p.Total, err
}

// ListPage is List with the bound of the total (Configuration.CountLimit).
func (d *DB) ListPage(ctx context.Context, q ListQuery, engaged []alerts.Alert) (Page, error) {
	cq, err := d.compile(q, true)
	if err != nil {
		return Page{}, err
	}
	length := q.Length
	if length == 0 {
		length = DefaultLength
	}
	if q.Status == StatusEngaged {
		rows, total, err := cq.listMemory(engaged, length)
		return Page{Rows: rows, Total: total}, err
	}
	if err := d.Flush(ctx); err != nil {
		return Page{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadTimeout)
	defer cancel()
	where, args := cq.where()
	bound := max(d.cfg.CountLimit, q.Start+length)
	var total int
	if err := d.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+cq.t.name+where+" LIMIT ?)",
		append(args, bound+1)...).Scan(&total); err != nil {
		return Page{}, fmt.Errorf("alert store: count %s: %w", cq.t.name, err)
	}
	page := Page{Total: total}
	if total > bound {
		page.Total, page.TotalIsLowerBound = bound, true
	}
	// The page's row ids first (from an index when one covers the
	// filters), then those rows: sorting whole rows would read every
	// matching row.
	rows, err := d.r.QueryContext(ctx, `SELECT "rowid" FROM `+cq.t.name+where+" ORDER BY "+cq.order+
		" LIMIT ? OFFSET ?", append(args, length, q.Start)...)
	if err != nil {
		return Page{}, fmt.Errorf("alert store: list %s: %w", cq.t.name, err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Page{}, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	page.Rows, err = d.readRows(ctx, cq.t, ids)
	return page, err
}

// readRows reads the alerts of the given row ids, in that order.
func (d *DB) readRows(ctx context.Context, t *table, ids []any) ([]alerts.Alert, error) {
	byID := make(map[uint64]alerts.Alert, len(ids))
	for rest := ids; len(rest) > 0; {
		n := min(len(rest), 500)
		marks := strings.Repeat("?,", n)
		rows, err := d.r.QueryContext(ctx, "SELECT "+selectList(t)+" FROM "+t.name+` WHERE "rowid" IN (`+marks[:len(marks)-1]+")", rest[:n]...)
		if err != nil {
			return nil, fmt.Errorf("alert store: read %s: %w", t.name, err)
		}
		as, err := scanAlerts(t, rows)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			byID[a.ID] = a
		}
		rest = rest[n:]
	}
	out := make([]alerts.Alert, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[uint64(id.(int64))]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

func (cq *query) listMemory(engaged []alerts.Alert, length int) ([]alerts.Alert, int, error) {
	type hit struct {
		a alerts.Alert
		v rowVals
	}
	var hits []hit
	for i := range engaged {
		a := &engaged[i]
		if FamilyOf(a) != cq.t.family {
			continue
		}
		v, _ := valuesOf(a)
		if cq.matches(v) {
			hits = append(hits, hit{*a, v})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		c := compareAny(cq.sortK(hits[i].v), cq.sortK(hits[j].v))
		if c == 0 {
			c = compareAny(int64(hits[i].a.ID), int64(hits[j].a.ID))
		}
		if cq.q.Desc {
			return c > 0
		}
		return c < 0
	})
	total := len(hits)
	from := min(cq.q.Start, total)
	to := min(from+length, total)
	out := make([]alerts.Alert, 0, to-from)
	for _, h := range hits[from:to] {
		out = append(out, h.a)
	}
	return out, total, nil
}

// Count is one entry of a counters answer.
type Count struct {
	Key   int // alert_id or severity
	Count int
}

// CountByType counts the alerts q selects per alert_id, most frequent
// first (get/alert/type/counters.lua). Family "" counts every table.
func (d *DB) CountByType(ctx context.Context, q ListQuery) ([]Count, error) {
	return d.countBy(ctx, q, "alert_id")
}

// CountBySeverity counts the alerts q selects per severity, most
// frequent first (get/alert/severity/counters.lua).
func (d *DB) CountBySeverity(ctx context.Context, q ListQuery) ([]Count, error) {
	return d.countBy(ctx, q, "severity")
}

func (d *DB) familiesOf(q ListQuery) []Family {
	if q.Family == "" {
		return Families()
	}
	return []Family{q.Family}
}

func (d *DB) countBy(ctx context.Context, q ListQuery, col string) ([]Count, error) {
	if q.Status == StatusEngaged {
		return nil, badParam("status", "engaged", "counters are over the stored alerts")
	}
	if err := d.Flush(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadTimeout)
	defer cancel()
	sums := map[int]int{}
	for _, f := range d.familiesOf(q) {
		fq := q
		fq.Family = f
		cq, err := d.compile(fq, false)
		if err != nil {
			return nil, err
		}
		where, args := cq.where()
		rows, err := d.r.QueryContext(ctx, "SELECT "+quoteIdent(col)+", COUNT(*) FROM "+cq.t.name+where+" GROUP BY 1", args...)
		if err != nil {
			return nil, fmt.Errorf("alert store: count %s: %w", cq.t.name, err)
		}
		for rows.Next() {
			var k, n int
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return nil, err
			}
			sums[k] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]Count, 0, len(sums))
	for k, n := range sums {
		out = append(out, Count{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// Series is a count of alerts per time slot and severity.
type Series struct {
	Begin, Step int64
	// BySeverity[sev][i] counts the alerts of severity sev with tstamp in
	// [Begin+i*Step, Begin+(i+1)*Step).
	BySeverity map[int][]int
	Slots      int
}

// MaxSlots bounds a time series.
const MaxSlots = 10_000

// TimeSeries counts the alerts q selects per step seconds between
// q.EpochBegin and q.EpochEnd, per severity (get/<family>/alert/ts.lua).
func (d *DB) TimeSeries(ctx context.Context, q ListQuery, step int64) (*Series, error) {
	if q.EpochBegin <= 0 || q.EpochEnd <= 0 {
		return nil, badParam("epoch_begin", "", "a time series needs epoch_begin and epoch_end")
	}
	if step <= 0 {
		return nil, badParam("step", strconv.FormatInt(step, 10), "must be positive")
	}
	slots := (q.EpochEnd-q.EpochBegin)/step + 1
	if slots > MaxSlots {
		return nil, badParam("step", strconv.FormatInt(step, 10), fmt.Sprintf("more than %d points", MaxSlots))
	}
	if q.Status == StatusEngaged {
		return nil, badParam("status", "engaged", "time series are over the stored alerts")
	}
	if err := d.Flush(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadTimeout)
	defer cancel()
	s := &Series{Begin: q.EpochBegin, Step: step, Slots: int(slots), BySeverity: map[int][]int{}}
	for _, f := range d.familiesOf(q) {
		fq := q
		fq.Family = f
		cq, err := d.compile(fq, false)
		if err != nil {
			return nil, err
		}
		where, args := cq.where()
		rows, err := d.r.QueryContext(ctx, `SELECT ("tstamp" - ?) / ?, "severity", COUNT(*) FROM `+cq.t.name+where+
			" GROUP BY 1, 2", append([]any{q.EpochBegin, step}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("alert store: series %s: %w", cq.t.name, err)
		}
		for rows.Next() {
			var slot int64
			var sev, n int
			if err := rows.Scan(&slot, &sev, &n); err != nil {
				rows.Close()
				return nil, err
			}
			if slot < 0 || slot >= slots {
				continue
			}
			if s.BySeverity[sev] == nil {
				s.BySeverity[sev] = make([]int, slots)
			}
			s.BySeverity[sev][slot] += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Acknowledge sets alert_status to acknowledged (and user_label to
// label) on the historical alerts q selects, and returns how many.
func (d *DB) Acknowledge(ctx context.Context, q ListQuery, label string) (int, error) {
	now := d.cfg.Now().Unix()
	return d.chunked(ctx, q, StatusHistorical, func(t string, sel string, args []any) (string, []any) {
		return `UPDATE ` + t + ` SET "alert_status" = ?, "user_label" = ?, "user_label_tstamp" = ? WHERE "rowid" IN (` + sel + `)`,
			append([]any{int64(StatusAcknowledged), label, now}, args...)
	}, &d.acked)
}

// Delete removes the stored alerts q selects (historical and, with
// StatusAny or StatusAcknowledged, acknowledged ones) and returns how many.
func (d *DB) Delete(ctx context.Context, q ListQuery) (int, error) {
	return d.chunked(ctx, q, q.Status, func(t string, sel string, args []any) (string, []any) {
		return `DELETE FROM ` + t + ` WHERE "rowid" IN (` + sel + `)`, args
	}, &d.deleted)
}

// chunked runs stmt in the writer on at most RetentionChunk rows at a
// time, so that inserts interleave with a large change.
func (d *DB) chunked(ctx context.Context, q ListQuery, status Status, stmt func(t, sel string, args []any) (string, []any), counter interface{ Add(uint64) uint64 }) (int, error) {
	if q.Status == StatusEngaged {
		return 0, badParam("status", "engaged", "engaged alerts are live state")
	}
	q.Status = status
	cq, err := d.compile(q, false)
	if err != nil {
		return 0, err
	}
	where, args := cq.where()
	sel := `SELECT "rowid" FROM ` + cq.t.name + where + ` LIMIT ` + strconv.Itoa(d.cfg.RetentionChunk)
	s, a := stmt(cq.t.name, sel, args)
	total := 0
	for {
		var n int64
		err := d.do(ctx, func(tx *sql.Tx) error {
			res, err := tx.Exec(s, a...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("alert store: %s: %w", cq.t.name, err)
		}
		total += int(n)
		counter.Add(uint64(n))
		if n < int64(d.cfg.RetentionChunk) {
			return total, nil
		}
	}
}

// selectList is the columns scanAlerts reads.
func selectList(t *table) string {
	names := make([]string, 0, len(common)+len(flowScan))
	for _, c := range common {
		names = append(names, quoteIdent(c.name))
	}
	if t.family == FamilyFlow {
		for _, c := range flowScan {
			names = append(names, quoteIdent(c))
		}
	}
	return strings.Join(names, ",")
}

var flowScan = []string{"cli_ip", "srv_ip", "cli_port", "srv_port", "vlan_id", "proto", "l7_proto", "l7_master_proto",
	"cli_country", "srv_country", "cli_blacklisted", "srv_blacklisted", "cli2srv_bytes", "srv2cli_bytes",
	"cli2srv_pkts", "srv2cli_pkts", "first_seen", "flow_status", "proto_ndpi", "info", "cli_os", "srv_os",
	"cli_asn", "srv_asn", "cli_localhost", "srv_localhost", "replace_alert"}

func scanAlerts(t *table, rows *sql.Rows) ([]alerts.Alert, error) {
	defer rows.Close()
	var out []alerts.Alert
	for rows.Next() {
		a, err := scanAlert(t, rows)
		if err != nil {
			return nil, fmt.Errorf("alert store: read %s: %w", t.name, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func scanAlert(t *table, rows *sql.Rows) (alerts.Alert, error) {
	var a alerts.Alert
	var status, score, counter, labelTS int64
	var descr, js, label, entityVal, subtype, script, subdir, action sql.NullString
	var ifid, tend sql.NullInt64
	dest := []any{&a.ID, &a.Type, &status, &ifid, &a.Tstamp, &tend, &a.Severity, &score, &a.Granularity, &counter,
		&descr, &js, &label, &labelTS, &a.Entity, &entityVal, &subtype, &script, &subdir, &a.Category, &a.PoolID, &action}
	var f alerts.FlowInfo
	var cliCountry, srvCountry, ndpi, info, cliOS, srvOS sql.NullString
	var cliBL, srvBL, cliLocal, srvLocal, replace int
	var c2sB, s2cB, c2sP, s2cP int64
	if t.family == FamilyFlow {
		dest = append(dest, &f.Cli.Addr, &f.Srv.Addr, &f.Cli.Port, &f.Srv.Port, &f.VLAN, &f.Proto, &f.L7Proto, &f.L7Master,
			&cliCountry, &srvCountry, &cliBL, &srvBL, &c2sB, &s2cB, &c2sP, &s2cP, &f.FirstSeen, &f.Status, &ndpi, &info,
			&cliOS, &srvOS, &f.Cli.ASN, &f.Srv.ASN, &cliLocal, &srvLocal, &replace)
	}
	if err := rows.Scan(dest...); err != nil {
		return a, err
	}
	a.IfID = int(ifid.Int64)
	a.TstampEnd = tend.Int64
	a.JSON, a.UserLabel, a.EntityVal, a.Subtype = js.String, label.String, entityVal.String, subtype.String
	a.Script, a.Subdir, a.Action = script.String, subdir.String, alerts.Action(action.String)
	a.Acknowledged = Status(status) == StatusAcknowledged
	if t.family == FamilyFlow {
		f.Score = int(score)
		f.Cli.Country, f.Srv.Country, f.ProtoNDPI, f.Info = cliCountry.String, srvCountry.String, ndpi.String, info.String
		f.Cli.OS, f.Srv.OS = cliOS.String, srvOS.String
		f.Cli.Blacklisted, f.Srv.Blacklisted = cliBL == 1, srvBL == 1
		f.Cli.Localhost, f.Srv.Localhost, f.ReplaceAlert = cliLocal == 1, srvLocal == 1, replace == 1
		f.Cli2SrvBytes, f.Srv2CliBytes, f.Cli2SrvPkts, f.Srv2CliPkts = uint64(c2sB), uint64(s2cB), uint64(c2sP), uint64(s2cP)
		a.Flow = &f
	}
	return a, nil
}
