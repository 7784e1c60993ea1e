// Package tsdb stores time-series points in SQLite tables, one per
// retention tier, and rolls them up from tier to tier as ntopng's RRD
// archives do. It knows series ids, steps and up to MaxMetrics float
// values per point; names, tags and counter arithmetic live in the caller
// (package history). Why SQLite and not a log of its own: README.md.
package tsdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// MaxMetrics is the number of values a point holds (snmp_if:packets has
// 4; flowgate's own SNMP poll series 5).
const MaxMetrics = 5

// Class selects a series' chain of tiers (ntopng's RRA layout for its step).
type Class uint8

const (
	// Fast is the chain of 1 s series: raw kept a day, 1 min 30 days, 1 h 100 days.
	Fast Class = iota
	// Slow is the chain of 60 s and 300 s series: raw a day, 1 h 100 days, 1 day a year.
	Slow
)

// ClassOf is the chain ntopng uses for a step.
func ClassOf(step int64) Class {
	if step < 60 {
		return Fast
	}
	return Slow
}

// Tier is one table of points at one resolution.
type Tier struct {
	Name      string // table pts_<Name>
	Res       int64  // seconds per point; 0 for raw (the series' step)
	Retention int64  // seconds kept
}

const day = 86400

// The tiers. Raw points of every class share one table; each class rolls
// up into the coarser tables of its chain.
var (
	TierRaw = Tier{"raw", 0, day}
	Tier1m  = Tier{"1m", 60, 30 * day}
	Tier1h  = Tier{"1h", 3600, 100 * day}
	Tier1d  = Tier{"1d", day, 365 * day}
	tiers   = []Tier{TierRaw, Tier1m, Tier1h, Tier1d}
)

// Chain is the tiers of a class, finest first.
func Chain(c Class) []Tier {
	if c == Fast {
		return []Tier{TierRaw, Tier1m, Tier1h}
	}
	return []Tier{TierRaw, Tier1h, Tier1d}
}

// rollup is one step of a chain: the points of class in src averaged into
// dst buckets. grace leaves time for the last raw points of a bucket.
type rollup struct {
	class    Class
	src, dst Tier
}

var rollups = []rollup{
	{Fast, TierRaw, Tier1m},
	{Fast, Tier1m, Tier1h},
	{Slow, TierRaw, Tier1h},
	{Slow, Tier1h, Tier1d},
}

// grace is how long after a bucket's end its roll-up waits (a 300 s
// point stamped at the bucket's last step is written up to a step later).
const grace = 330

// maxCatchUp bounds one roll-up statement (a restart after a long stop
// catches up in several Maintain calls' worth of statements).
const maxCatchUp = 7 * day

// Point is one value set of a series at T (aligned to the step). A NaN
// value is a gap (no data for that metric: ntopng's nan).
type Point struct {
	SID int64
	T   int64
	V   [MaxMetrics]float64
}

// Row is a point read back: the start of the interval it covers, its
// length and its values (NaN for a gap). A raw point stamped T covers
// (T-step, T] (its rate is measured up to T, as rrdtool's PDPs); a rolled
// point stamped S covers its bucket [S, S+res).
type Row struct {
	T, Dur int64
	V      [MaxMetrics]float64
}

// Series is a registered series.
type Series struct {
	ID     int64
	Schema string
	Tags   string // canonical tag string, the caller's format
	Step   int64
	Class  Class
}

// Config of a DB.
type Config struct {
	Path string // the database file
	// Synchronous is SQLite's synchronous pragma with WAL: "NORMAL" (the
	// default: a power loss may lose the last transactions, never corrupt)
	// or "FULL".
	Synchronous string
	Logger      *slog.Logger
}

// Counters count what the store did.
type Counters struct {
	Points      uint64 `json:"points"`       // points written
	Batches     uint64 `json:"batches"`      // write transactions
	WriteErrors uint64 `json:"write_errors"` // failed write transactions (their points are lost)
	Series      uint64 `json:"series"`       // series registered
	Rollups     uint64 `json:"rollups"`      // roll-up statements run
	RolledRows  uint64 `json:"rolled_rows"`  // points written by roll-ups
	Deleted     uint64 `json:"deleted"`      // points removed by retention
	MaintErrors uint64 `json:"maint_errors"` // failed roll-ups or retention deletes
	Queries     uint64 `json:"queries"`
}

// DB is an open store. Write is safe from one goroutine at a time with
// Maintain (both take the writer lock); reads run concurrently.
type DB struct {
	cfg Config
	log *slog.Logger
	w   *sql.DB // one connection: the writer
	r   *sql.DB // readers

	wmu    sync.Mutex
	ins    *sql.Stmt
	series map[string]*Series // schema+"\x00"+tags
	byID   map[int64]*Series
	smu    sync.RWMutex
	wmMu   sync.Mutex       // wm: reads do not wait for a roll-up
	wm     map[string]int64 // roll-up watermarks by "class:dst"

	points, batches, writeErrs, rolls, rolled, deleted, maintErrs, queries atomic.Uint64
}

func dsn(path string, pragmas ...string) string {
	return "file:" + path + "?_pragma=" + strings.Join(pragmas, "&_pragma=")
}

const schemaVersion = 1

var ddl = []string{
	`CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, schema TEXT NOT NULL, tags TEXT NOT NULL,
		step INTEGER NOT NULL, class INTEGER NOT NULL, UNIQUE(schema, tags))`,
	`CREATE INDEX IF NOT EXISTS series_class ON series(class, id)`,
	`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`,
}

func init() {
	for _, t := range tiers {
		ddl = append(ddl, `CREATE TABLE IF NOT EXISTS pts_`+t.Name+` (sid INTEGER NOT NULL, t INTEGER NOT NULL,
			v0 REAL, v1 REAL, v2 REAL, v3 REAL, v4 REAL, PRIMARY KEY (t, sid)) WITHOUT ROWID`)
	}
}

// Open opens (or creates) the database. A file left by a killed process
// is recovered by SQLite from its WAL: committed transactions are kept.
func Open(cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("tsdb: no path")
	}
	if cfg.Synchronous == "" {
		cfg.Synchronous = "NORMAL"
	}
	if cfg.Synchronous != "NORMAL" && cfg.Synchronous != "FULL" {
		return nil, fmt.Errorf("tsdb: synchronous %q: want NORMAL or FULL", cfg.Synchronous)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("tsdb %s: %w", cfg.Path, err)
	}
	d := &DB{cfg: cfg, log: cfg.Logger, series: map[string]*Series{}, byID: map[int64]*Series{}, wm: map[string]int64{}}
	var err error
	d.w, err = sql.Open("sqlite", dsn(cfg.Path, "busy_timeout(10000)", "journal_mode(WAL)",
		"synchronous("+cfg.Synchronous+")", "temp_store(MEMORY)", "cache_size(-65536)"))
	if err != nil {
		return nil, fmt.Errorf("tsdb %s: %w", cfg.Path, err)
	}
	d.w.SetMaxOpenConns(1)
	d.w.SetConnMaxLifetime(0)
	if err := d.migrate(); err != nil {
		d.w.Close()
		return nil, err
	}
	d.r, err = sql.Open("sqlite", dsn(cfg.Path, "busy_timeout(10000)", "query_only(1)", "cache_size(-16384)"))
	if err != nil {
		d.w.Close()
		return nil, fmt.Errorf("tsdb %s: %w", cfg.Path, err)
	}
	d.r.SetMaxOpenConns(4)
	if d.ins, err = d.w.Prepare(insertSQL(insertRows)); err != nil {
		d.Close()
		return nil, fmt.Errorf("tsdb %s: %w", cfg.Path, err)
	}
	if err := d.load(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) migrate() error {
	var v int
	if err := d.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("tsdb %s: schema version %d is newer than this release's %d", d.cfg.Path, v, schemaVersion)
	}
	tx, err := d.w.Begin()
	if err != nil {
		return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
	}
	defer tx.Rollback()
	for _, s := range ddl {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
		}
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
	}
	return tx.Commit()
}

func (d *DB) load() error {
	rows, err := d.w.Query(`SELECT id, schema, tags, step, class FROM series`)
	if err != nil {
		return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
	}
	defer rows.Close()
	for rows.Next() {
		s := &Series{}
		if err := rows.Scan(&s.ID, &s.Schema, &s.Tags, &s.Step, &s.Class); err != nil {
			return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
		}
		d.series[s.Schema+"\x00"+s.Tags] = s
		d.byID[s.ID] = s
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
	}
	mrows, err := d.w.Query(`SELECT k, v FROM meta`)
	if err != nil {
		return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var k string
		var v int64
		if err := mrows.Scan(&k, &v); err != nil {
			return fmt.Errorf("tsdb %s: %w", d.cfg.Path, err)
		}
		d.wm[k] = v
	}
	return mrows.Err()
}

// Close closes the database (a checkpoint folds the WAL into the file).
func (d *DB) Close() error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.ins != nil {
		d.ins.Close()
		d.ins = nil
	}
	var err error
	if d.r != nil {
		err = d.r.Close()
	}
	if d.w != nil {
		_, _ = d.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		err = errors.Join(err, d.w.Close())
	}
	return err
}

// Path is the database file.
func (d *DB) Path() string { return d.cfg.Path }

// Counters returns the store's counters.
func (d *DB) Counters() Counters {
	d.smu.RLock()
	n := uint64(len(d.byID))
	d.smu.RUnlock()
	return Counters{Points: d.points.Load(), Batches: d.batches.Load(), WriteErrors: d.writeErrs.Load(),
		Series: n, Rollups: d.rolls.Load(), RolledRows: d.rolled.Load(), Deleted: d.deleted.Load(),
		MaintErrors: d.maintErrs.Load(), Queries: d.queries.Load()}
}

// Lookup returns the series of schema and tags, nil when it was never written.
func (d *DB) Lookup(schema, tags string) *Series {
	d.smu.RLock()
	defer d.smu.RUnlock()
	return d.series[schema+"\x00"+tags]
}

// SeriesOf returns the registered series of schema, in id order.
func (d *DB) SeriesOf(schema string) []*Series {
	d.smu.RLock()
	out := make([]*Series, 0, 16)
	for _, s := range d.byID {
		if s.Schema == schema {
			out = append(out, s)
		}
	}
	d.smu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Register returns the series of schema and tags, creating it.
func (d *DB) Register(schema, tags string, step int64) (*Series, error) {
	key := schema + "\x00" + tags
	d.smu.RLock()
	s := d.series[key]
	d.smu.RUnlock()
	if s != nil {
		return s, nil
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.smu.RLock()
	s = d.series[key]
	d.smu.RUnlock()
	if s != nil {
		return s, nil
	}
	if d.ins == nil {
		return nil, errors.New("tsdb: closed")
	}
	c := ClassOf(step)
	res, err := d.w.Exec(`INSERT INTO series (schema, tags, step, class) VALUES (?, ?, ?, ?)`, schema, tags, step, c)
	if err != nil {
		return nil, fmt.Errorf("tsdb: registering %s %s: %w", schema, tags, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("tsdb: registering %s %s: %w", schema, tags, err)
	}
	s = &Series{ID: id, Schema: schema, Tags: tags, Step: step, Class: c}
	d.smu.Lock()
	d.series[key], d.byID[id] = s, s
	d.smu.Unlock()
	return s, nil
}

// NewSeries names a series to register.
type NewSeries struct {
	Schema, Tags string
	Step         int64
}

// RegisterMany registers the series not registered yet in one
// transaction (a first round of 100,000 hosts registers them at once)
// and returns them all, in order.
func (d *DB) RegisterMany(list []NewSeries) ([]*Series, error) {
	out := make([]*Series, len(list))
	var miss []int
	d.smu.RLock()
	for i, n := range list {
		if out[i] = d.series[n.Schema+"\x00"+n.Tags]; out[i] == nil {
			miss = append(miss, i)
		}
	}
	d.smu.RUnlock()
	if len(miss) == 0 {
		return out, nil
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.ins == nil {
		return nil, errors.New("tsdb: closed")
	}
	tx, err := d.w.Begin()
	if err != nil {
		return nil, fmt.Errorf("tsdb: registering series: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO series (schema, tags, step, class) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("tsdb: registering series: %w", err)
	}
	defer st.Close()
	added := map[string]*Series{}
	for _, i := range miss {
		n := list[i]
		key := n.Schema + "\x00" + n.Tags
		if s := added[key]; s != nil {
			out[i] = s
			continue
		}
		d.smu.RLock()
		s := d.series[key]
		d.smu.RUnlock()
		if s == nil {
			c := ClassOf(n.Step)
			res, err := st.Exec(n.Schema, n.Tags, n.Step, c)
			if err != nil {
				return nil, fmt.Errorf("tsdb: registering %s %s: %w", n.Schema, n.Tags, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return nil, fmt.Errorf("tsdb: registering %s %s: %w", n.Schema, n.Tags, err)
			}
			s = &Series{ID: id, Schema: n.Schema, Tags: n.Tags, Step: n.Step, Class: c}
			added[key] = s
		}
		out[i] = s
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("tsdb: registering series: %w", err)
	}
	d.smu.Lock()
	for k, s := range added {
		d.series[k], d.byID[s.ID] = s, s
	}
	d.smu.Unlock()
	return out, nil
}

func nullable(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// Write stores raw points in one transaction, sorted by time and series:
// the tables are time-major, so a round of points appends at the end of
// the tree (a few pages) instead of touching one page per series. A point of the same series and time
// replaces the earlier one. On failure nothing is written.
func (d *DB) Write(pts []Point) error {
	if len(pts) == 0 {
		return nil
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].T != pts[j].T {
			return pts[i].T < pts[j].T
		}
		return pts[i].SID < pts[j].SID
	})
	d.wmu.Lock()
	defer d.wmu.Unlock()
	err := d.writeLocked(pts)
	if err != nil {
		d.writeErrs.Add(1)
		return fmt.Errorf("tsdb: writing %d points: %w", len(pts), err)
	}
	d.batches.Add(1)
	d.points.Add(uint64(len(pts)))
	return nil
}

// insertRows is the number of points of one multi-row INSERT: one
// statement call per 64 points costs far less than 64 calls through
// database/sql (measured: README.md).
const insertRows = 64

func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT OR REPLACE INTO pts_raw (sid, t, v0, v1, v2, v3, v4) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?)")
	}
	return b.String()
}

func (d *DB) writeLocked(pts []Point) error {
	if d.ins == nil {
		return errors.New("closed")
	}
	tx, err := d.w.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	full := tx.Stmt(d.ins)
	defer full.Close()
	args := make([]any, 0, 7*insertRows)
	for len(pts) > 0 {
		n := min(len(pts), insertRows)
		args = args[:0]
		for i := range n {
			p := &pts[i]
			args = append(args, p.SID, p.T, nullable(p.V[0]), nullable(p.V[1]), nullable(p.V[2]), nullable(p.V[3]), nullable(p.V[4]))
		}
		if n == insertRows {
			_, err = full.Exec(args...)
		} else {
			_, err = tx.Exec(insertSQL(n), args...)
		}
		if err != nil {
			return err
		}
		pts = pts[n:]
	}
	return tx.Commit()
}

// Maintain runs the roll-ups whose buckets ended before now (minus a
// grace) and deletes the points past each tier's retention. Roll-ups
// first, so a point is averaged before its tier drops it. Idempotent: a
// bucket rolled again is replaced by the same average.
func (d *DB) Maintain(ctx context.Context, now time.Time) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.ins == nil {
		return errors.New("tsdb: closed")
	}
	n := now.Unix()
	var errs []error
	for _, r := range rollups {
		if err := d.rollLocked(ctx, r, n); err != nil {
			d.maintErrs.Add(1)
			errs = append(errs, err)
		}
	}
	for _, t := range tiers {
		res, err := d.w.ExecContext(ctx, `DELETE FROM pts_`+t.Name+` WHERE t < ?`, n-t.Retention)
		if err != nil {
			d.maintErrs.Add(1)
			errs = append(errs, fmt.Errorf("tsdb: retention of %s: %w", t.Name, err))
			continue
		}
		if k, err := res.RowsAffected(); err == nil {
			d.deleted.Add(uint64(k))
		}
	}
	return errors.Join(errs...)
}

func wmKey(c Class, t Tier) string { return fmt.Sprintf("wm:%d:%s", c, t.Name) }

// Watermark is the end of the last rolled bucket of class into tier t
// (points of t before it are final); 0 before the first roll-up.
func (d *DB) Watermark(c Class, t Tier) int64 {
	d.wmMu.Lock()
	defer d.wmMu.Unlock()
	return d.wm[wmKey(c, t)]
}

func (d *DB) rollLocked(ctx context.Context, r rollup, now int64) error {
	key := wmKey(r.class, r.dst)
	res := r.dst.Res
	end := (now - grace) / res * res // buckets ending at or before this are complete
	d.wmMu.Lock()
	from, ok := d.wm[key]
	d.wmMu.Unlock()
	if !ok || from == 0 {
		// First roll-up: start from the oldest source point of the class.
		var min sql.NullInt64
		err := d.w.QueryRowContext(ctx, `SELECT MIN(t) FROM pts_`+r.src.Name+` WHERE sid IN (SELECT id FROM series WHERE class = ?)`, r.class).Scan(&min)
		if err != nil {
			return fmt.Errorf("tsdb: roll-up %s: %w", r.dst.Name, err)
		}
		if !min.Valid {
			return nil
		}
		from = (min.Int64 - 1) / res * res
		if r.src.Res > 0 {
			from = min.Int64 / res * res
		}
	}
	for from < end {
		to := min(end, from+maxCatchUp)
		// Raw points cover (T-step, T]: the bucket [S, S+res) takes those
		// stamped in (S, S+res]. Rolled points are stamped at their start.
		stamp, lo, hi := "t", "t >= ?", "t < ?"
		if r.src.Res == 0 {
			stamp, lo, hi = "(t - 1)", "t > ?", "t <= ?"
		}
		q := fmt.Sprintf(`INSERT OR REPLACE INTO pts_%s (sid, t, v0, v1, v2, v3, v4)
			SELECT sid, %s / %d * %d, AVG(v0), AVG(v1), AVG(v2), AVG(v3), AVG(v4) FROM pts_%s
			WHERE sid IN (SELECT id FROM series WHERE class = ?) AND %s AND %s
			GROUP BY sid, %s / %d`, r.dst.Name, stamp, res, res, r.src.Name, lo, hi, stamp, res)
		tx, err := d.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("tsdb: roll-up %s: %w", r.dst.Name, err)
		}
		out, err := tx.ExecContext(ctx, q, r.class, from, to)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)`, key, to)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("tsdb: roll-up %s [%d, %d): %w", r.dst.Name, from, to, err)
		}
		if k, err := out.RowsAffected(); err == nil {
			d.rolled.Add(uint64(k))
		}
		d.rolls.Add(1)
		d.wmMu.Lock()
		d.wm[key] = to
		d.wmMu.Unlock()
		from = to
	}
	return nil
}

// Read returns the points of s in [begin, end) at the coarsest resolution
// of its chain that is at most width seconds and still holds begin (the
// finest holding begin when none is that fine; the coarsest when none
// holds it), completed with finer tiers after that tier's watermark (the
// buckets not rolled up yet). Rows are in time order.
func (d *DB) Read(ctx context.Context, s *Series, begin, end, width int64, now time.Time) ([]Row, Tier, error) {
	d.queries.Add(1)
	chain := Chain(s.Class)
	n := now.Unix()
	pick := -1
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i].Res <= width && n-chain[i].Retention <= begin {
			pick = i
			break
		}
	}
	if pick < 0 {
		for i := range chain {
			if n-chain[i].Retention <= begin {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		pick = len(chain) - 1
	}
	var out []Row
	from := begin
	for i := pick; i >= 0 && from < end; i-- {
		t := chain[i]
		to := end
		if i > 0 {
			wm := d.Watermark(s.Class, t)
			to = min(end, wm)
		}
		if to <= from {
			continue
		}
		res := t.Res
		if res == 0 {
			res = s.Step
		}
		rows, err := d.readTier(ctx, t, s.ID, from, to, res, t.Res == 0)
		if err != nil {
			return nil, chain[pick], err
		}
		out = append(out, rows...)
		from = to
	}
	return out, chain[pick], nil
}

// ReadRaw returns the raw points of s overlapping [from, to), whatever
// the retention says (Read's rows: T is the start of each point's step).
func (d *DB) ReadRaw(ctx context.Context, s *Series, from, to int64) ([]Row, error) {
	d.queries.Add(1)
	return d.readTier(ctx, TierRaw, s.ID, from, to, s.Step, true)
}

func (d *DB) readTier(ctx context.Context, t Tier, sid, from, to, res int64, raw bool) ([]Row, error) {
	// The tables are time-major: one seek per possible (aligned) stamp of
	// the series, generated by a recursive CTE, instead of a scan of every
	// series in the range. Rows overlapping [from, to) count: raw stamps
	// in (from, to+res), rolled stamps in (from-res, to).
	first, last := (from-res)/res*res+res, to
	if raw {
		first, last = from/res*res+res, to+res
	}
	rows, err := d.r.QueryContext(ctx, `WITH RECURSIVE ts(t) AS (SELECT ?1 UNION ALL SELECT t + ?2 FROM ts WHERE t + ?2 < ?3)
		SELECT p.t, p.v0, p.v1, p.v2, p.v3, p.v4 FROM ts JOIN pts_`+t.Name+` p ON p.t = ts.t AND p.sid = ?4 ORDER BY p.t`,
		first, res, last, sid)
	if err != nil {
		return nil, fmt.Errorf("tsdb: reading %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []Row
	var v [MaxMetrics]sql.NullFloat64
	for rows.Next() {
		r := Row{Dur: res}
		if err := rows.Scan(&r.T, &v[0], &v[1], &v[2], &v[3], &v[4]); err != nil {
			return nil, fmt.Errorf("tsdb: reading %s: %w", t.Name, err)
		}
		if raw {
			r.T -= res
		}
		for i := range v {
			r.V[i] = math.NaN()
			if v[i].Valid {
				r.V[i] = v[i].Float64
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tsdb: reading %s: %w", t.Name, err)
	}
	return out, nil
}

// Sum is the integral (value × seconds) of each metric of a series over a
// range: the traffic of a counter series.
type Sum struct {
	SID int64
	V   [MaxMetrics]float64
}

// Sums returns, for every series of schema, the integral of its metrics
// over [begin, end) (the top-k ranking). It reads the coarsest tier that
// holds begin with at least 10 points in the range (a day of 100,000
// hosts' raw points is 28.8 M rows; their hourly points 2.4 M), so the
// buckets not rolled up yet (at most the last tier period) are not
// counted; else the finest tier that holds begin. Series without points
// are left out.
func (d *DB) Sums(ctx context.Context, schema string, step, begin, end int64, now time.Time) ([]Sum, error) {
	d.queries.Add(1)
	chain := Chain(ClassOf(step))
	t := chain[len(chain)-1]
	for _, c := range chain {
		if now.Unix()-c.Retention <= begin {
			t = c
			break
		}
	}
	for i := len(chain) - 1; i > 0; i-- {
		if c := chain[i]; now.Unix()-c.Retention <= begin && c.Res*10 <= end-begin {
			t = c
			break
		}
	}
	res := t.Res
	if res == 0 {
		res = step
	}
	lo, hi := "t >= ?", "t < ?"
	if t.Res == 0 { // raw stamps end their interval
		lo, hi = "t > ?", "t <= ?"
	}
	rows, err := d.r.QueryContext(ctx, `SELECT sid, TOTAL(v0), TOTAL(v1), TOTAL(v2), TOTAL(v3), TOTAL(v4) FROM pts_`+t.Name+`
		WHERE sid IN (SELECT id FROM series WHERE schema = ?) AND `+lo+` AND `+hi+` GROUP BY sid`, schema, begin, end)
	if err != nil {
		return nil, fmt.Errorf("tsdb: sums of %s: %w", schema, err)
	}
	defer rows.Close()
	var out []Sum
	for rows.Next() {
		var s Sum
		if err := rows.Scan(&s.SID, &s.V[0], &s.V[1], &s.V[2], &s.V[3], &s.V[4]); err != nil {
			return nil, fmt.Errorf("tsdb: sums of %s: %w", schema, err)
		}
		for i := range s.V {
			s.V[i] *= float64(res)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SeriesByID returns a registered series.
func (d *DB) SeriesByID(id int64) *Series {
	d.smu.RLock()
	defer d.smu.RUnlock()
	return d.byID[id]
}

// Count returns the number of points of tier t (tests and figures).
func (d *DB) Count(ctx context.Context, t Tier) (int64, error) {
	var n int64
	err := d.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM pts_`+t.Name).Scan(&n)
	return n, err
}
