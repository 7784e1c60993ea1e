package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts"
)

// History returns d as the alerts.History of an alerts.Store: the store
// appends its released and stored alerts here and answers its List,
// Acknowledge, Delete and Retain (the 4.2-era alerts.Query, across
// families) from the file.
func (d *DB) History() alerts.History { return history{d} }

type history struct{ d *DB }

func (h history) Append(a alerts.Alert) { h.d.Append(a) }
func (h history) MaxID() uint64         { return h.d.MaxID() }

// legacy is an alerts.Query compiled for each table it may touch.
type legacy struct {
	tables []*table
	where  string
	args   []any
	key    string // ORDER BY expression
	dir    string
}

const maxIDs = 10_000

func compileLegacy(q alerts.Query, ids []uint64) (*legacy, error) {
	l := &legacy{}
	switch {
	case q.Entity == nil:
		l.tables = tables
	case *q.Entity == alerts.EntityInterface && q.IfID == nil:
		l.tables = []*table{tableByFamily[FamilyInterface], tableByFamily[FamilySystem]}
	default:
		a := alerts.Alert{Entity: *q.Entity}
		if q.IfID != nil {
			a.IfID = *q.IfID
		}
		l.tables = []*table{tableByFamily[FamilyOf(&a)]}
	}
	var conds []string
	add := func(c string, args ...any) { conds = append(conds, c); l.args = append(l.args, args...) }
	if q.Entity != nil {
		add(`"entity_id" = ?`, int64(*q.Entity))
	}
	if q.IfID != nil {
		add(`"interface_id" = ?`, int64(*q.IfID))
	}
	if q.EntityVal != "" {
		add(`"entity_val" = ?`, q.EntityVal)
	}
	if q.MinSeverity > 0 {
		add(`"severity" >= ?`, int64(q.MinSeverity))
	}
	if q.Type != nil {
		add(`"alert_id" = ?`, int64(*q.Type))
	}
	if q.Subtype != "" {
		add(`"subtype" = ?`, q.Subtype)
	}
	if q.From != 0 {
		add(`"tstamp_end" >= ?`, q.From)
	}
	if q.To != 0 {
		add(`"tstamp" <= ?`, q.To)
	}
	if len(ids) > 0 {
		if len(ids) > maxIDs {
			return nil, badParam("row_id", strconv.Itoa(len(ids)), "too many ids")
		}
		marks := strings.Repeat("?,", len(ids))
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = int64(id)
		}
		add(`"rowid" IN (`+marks[:len(marks)-1]+`)`, args...)
	}
	if len(conds) > 0 {
		l.where = " WHERE " + strings.Join(conds, " AND ")
	}
	keys := map[string]string{"": `"tstamp"`, "tstamp": `"tstamp"`, "severity": `"severity"`, "type": `"alert_id"`,
		"duration": `("tstamp_end" - "tstamp")`, "entity_val": `"entity_val"`, "id": `"rowid"`}
	key, ok := keys[q.SortBy]
	if !ok {
		return nil, badParam("sort", q.SortBy, "unknown sort column")
	}
	l.key, l.dir = key, " DESC"
	if q.Asc {
		l.dir = " ASC"
	}
	return l, nil
}

func (h history) Query(q alerts.Query) ([]alerts.Alert, int, error) {
	d := h.d
	ctx := context.Background()
	if err := d.Flush(ctx); err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadTimeout)
	defer cancel()
	l, err := compileLegacy(q, nil)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	for _, t := range l.tables {
		var n int
		if err := d.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.name+l.where, l.args...).Scan(&n); err != nil {
			return nil, 0, fmt.Errorf("alert store: count %s: %w", t.name, err)
		}
		total += n
	}
	limit := int64(q.Limit)
	if limit <= 0 {
		limit = -1
	}
	offset := int64(max(q.Offset, 0))
	if len(l.tables) == 1 {
		t := l.tables[0]
		rows, err := d.r.QueryContext(ctx, "SELECT "+selectList(t)+" FROM "+t.name+l.where+" ORDER BY "+l.key+l.dir+
			`, "rowid"`+l.dir+" LIMIT ? OFFSET ?", append(append([]any{}, l.args...), limit, offset)...)
		if err != nil {
			return nil, 0, fmt.Errorf("alert store: list %s: %w", t.name, err)
		}
		out, err := scanAlerts(t, rows)
		return out, total, err
	}
	// Several tables: page over their union by key, then read the rows.
	var parts []string
	var args []any
	for i, t := range l.tables {
		parts = append(parts, fmt.Sprintf(`SELECT %d AS t, "rowid" AS id, %s AS k FROM %s%s`, i, l.key, t.name, l.where))
		args = append(args, l.args...)
	}
	rows, err := d.r.QueryContext(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY k"+l.dir+", id"+l.dir+
		" LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("alert store: list: %w", err)
	}
	type ref struct {
		t  int
		id int64
	}
	var page []ref
	for rows.Next() {
		var r ref
		var k any
		if err := rows.Scan(&r.t, &r.id, &k); err != nil {
			rows.Close()
			return nil, 0, err
		}
		page = append(page, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	byTable := map[int][]any{}
	for _, r := range page {
		byTable[r.t] = append(byTable[r.t], r.id)
	}
	found := map[ref]alerts.Alert{}
	for ti, ids := range byTable {
		t := l.tables[ti]
		for len(ids) > 0 {
			n := min(len(ids), 500)
			marks := strings.Repeat("?,", n)
			rows, err := d.r.QueryContext(ctx, "SELECT "+selectList(t)+" FROM "+t.name+` WHERE "rowid" IN (`+marks[:len(marks)-1]+")", ids[:n]...)
			if err != nil {
				return nil, 0, fmt.Errorf("alert store: read %s: %w", t.name, err)
			}
			as, err := scanAlerts(t, rows)
			if err != nil {
				return nil, 0, err
			}
			for _, a := range as {
				found[ref{ti, int64(a.ID)}] = a
			}
			ids = ids[n:]
		}
	}
	out := make([]alerts.Alert, 0, len(page))
	for _, r := range page {
		if a, ok := found[r]; ok {
			out = append(out, a)
		}
	}
	return out, total, nil
}

func (h history) Acknowledge(q alerts.Query, ids []uint64, label string) (int, error) {
	now := h.d.cfg.Now().Unix()
	return h.legacyChange(q, ids, func(t, where string) string {
		return `UPDATE ` + t + ` SET "alert_status" = 1, "user_label" = ?, "user_label_tstamp" = ? WHERE "rowid" IN (SELECT "rowid" FROM ` +
			t + where + ` AND +"alert_status" = 0 LIMIT ` + strconv.Itoa(h.d.cfg.RetentionChunk) + `)`
	}, []any{label, now}, &h.d.acked)
}

func (h history) Delete(q alerts.Query, ids []uint64) (int, error) {
	return h.legacyChange(q, ids, func(t, where string) string {
		return `DELETE FROM ` + t + ` WHERE "rowid" IN (SELECT "rowid" FROM ` + t + where + ` LIMIT ` +
			strconv.Itoa(h.d.cfg.RetentionChunk) + `)`
	}, nil, &h.d.deleted)
}

func (h history) legacyChange(q alerts.Query, ids []uint64, stmt func(t, where string) string, pre []any, counter interface{ Add(uint64) uint64 }) (int, error) {
	l, err := compileLegacy(q, ids)
	if err != nil {
		return 0, err
	}
	where := l.where
	if where == "" {
		where = " WHERE 1"
	}
	total := 0
	for _, t := range l.tables {
		s := stmt(t.name, where)
		for {
			var n int64
			err := h.d.do(context.Background(), func(tx *sql.Tx) error {
				res, err := tx.Exec(s, append(append([]any{}, pre...), l.args...)...)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, fmt.Errorf("alert store: %s: %w", t.name, err)
			}
			total += int(n)
			counter.Add(uint64(n))
			if n < int64(h.d.cfg.RetentionChunk) {
				break
			}
		}
	}
	return total, nil
}

func (h history) Retain(now time.Time, maxAge time.Duration, maxCount int) (int, error) {
	return h.d.Retain(context.Background(), now, maxAge, maxCount)
}

// Retain deletes the stored alerts that ended more than maxAge before now
// (0: no age bound), then the oldest (by id) beyond maxCount in all tables
// (0: no bound), RetentionChunk rows per transaction, in the writer.
func (d *DB) Retain(ctx context.Context, now time.Time, maxAge time.Duration, maxCount int) (int, error) {
	r := d.newRetention(now, maxAge, maxCount)
	total := 0
	for {
		var n int
		var more bool
		err := d.do(ctx, func(tx *sql.Tx) (err error) {
			n, more, err = r.step(tx)
			return err
		})
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// retainStep removes one chunk of r in its own transaction, in the
// writer goroutine (its ticker started r), and reports whether more may
// follow; a failure is counted and ends r (the next tick starts over).
func (d *DB) retainStep(r *retention) bool {
	tx, err := d.w.Begin()
	if err != nil {
		d.writeErrs.Add(1)
		d.logf("alert store retention failed", "err", err)
		return false
	}
	_, more, err := r.step(tx)
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err != nil {
		d.writeErrs.Add(1)
		d.logf("alert store retention failed", "err", err)
		return false
	}
	return more
}

type retention struct {
	d        *DB
	cut      int64 // 0: no age bound
	maxCount int
	ti       int // age: next table
	total    int // count: rows stored (-1 before counting)
}

func (d *DB) newRetention(now time.Time, maxAge time.Duration, maxCount int) *retention {
	r := &retention{d: d, maxCount: maxCount, total: -1}
	if maxAge > 0 {
		r.cut = now.Add(-maxAge).Unix()
	}
	return r
}

// step deletes at most one chunk and reports whether more may follow.
func (r *retention) step(tx *sql.Tx) (int, bool, error) {
	chunk := r.d.cfg.RetentionChunk
	if r.cut != 0 && r.ti < len(tables) {
		t := tables[r.ti]
		res, err := tx.Exec(`DELETE FROM `+t.name+` WHERE "rowid" IN (SELECT "rowid" FROM `+t.name+
			` WHERE "tstamp" < ? AND "tstamp_end" < ? LIMIT ?)`, r.cut, r.cut, chunk)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %w", t.name, err)
		}
		n, _ := res.RowsAffected()
		r.d.expired.Add(uint64(n))
		if n < int64(chunk) {
			r.ti++
		}
		return int(n), true, nil
	}
	if r.maxCount <= 0 {
		return 0, false, nil
	}
	if r.total < 0 {
		r.total = 0
		for _, t := range tables {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM ` + t.name).Scan(&n); err != nil {
				return 0, false, err
			}
			r.total += n
		}
	}
	extra := r.total - r.maxCount
	if extra <= 0 {
		return 0, false, nil
	}
	// The table holding the oldest id, and the oldest id of the others:
	// rows below it are the oldest of all.
	var oldest *table
	first, second := int64(-1), int64(-1)
	for _, t := range tables {
		var m sql.NullInt64
		if err := tx.QueryRow(`SELECT MIN("rowid") FROM ` + t.name).Scan(&m); err != nil {
			return 0, false, err
		}
		if !m.Valid {
			continue
		}
		switch {
		case first < 0 || m.Int64 < first:
			second, first, oldest = first, m.Int64, t
		case second < 0 || m.Int64 < second:
			second = m.Int64
		}
	}
	if oldest == nil {
		return 0, false, nil
	}
	bound := int64(1<<63 - 1)
	if second >= 0 {
		bound = second
	}
	res, err := tx.Exec(`DELETE FROM `+oldest.name+` WHERE "rowid" IN (SELECT "rowid" FROM `+oldest.name+
		` WHERE "rowid" < ? ORDER BY "rowid" LIMIT ?)`, bound, min(extra, chunk))
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", oldest.name, err)
	}
	n, _ := res.RowsAffected()
	r.d.expired.Add(uint64(n))
	r.total -= int(n)
	return int(n), r.total > r.maxCount && n > 0, nil
}
