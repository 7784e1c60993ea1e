// Package sqlitestore is the durable history of flowgate's alerts: the
// released and stored alerts of alerts.Store in one SQLite file, with
// ntopng 5's alert-store tables and columns, a single batching writer,
// retention, and the queries the REST and Lua layers run on it (lists
// with ntopng's "value;op" filters, counters, time series, acknowledge,
// delete, and read-only SELECTs for ntop.alert_store_query).
//
// It is one idea, "alert history in SQL", kept apart from alerts/ so that
// the in-memory store (engaged alerts, notifications) does not depend on
// a database driver and its users' tests need none.
//
// Durability: the file is in WAL mode with synchronous=NORMAL by default.
// Every batch is one transaction; when Flush returns (or Append's alert
// is counted as committed), the transaction is written to the WAL file
// (in the OS's page cache), so it survives kill -9 of flowgate: the
// issue's contract. Only an OS crash or power loss before the next
// checkpoint's fsync can lose the last batches. FULL
// (Configuration.Synchronous) also fsyncs the WAL at every COMMIT, so
// they survive power loss too; it costs one fsync per batch, not per
// alert, but the writer waits for it.
//
// Back-pressure: Append never blocks. Alerts are raised in the engine's
// goroutines (flow hooks), which must not wait on a disk; a full queue
// (Configuration.QueueSize) drops the alert and counts it in
// Counters.Dropped. Recipients still get its notification.
package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Configuration of a DB.
type Configuration struct {
	// Path of the database file; empty: DataDir/alerts.db.
	Path    string
	DataDir string
	// QueueSize bounds the alerts waiting for the writer (default 65,536).
	QueueSize int
	// MaxBatch bounds the alerts of one transaction (default 32,768).
	MaxBatch int
	// Synchronous is SQLite's synchronous pragma: "NORMAL" (default) or
	// "FULL" (see the package comment).
	Synchronous string
	// MaxAge and MaxCount bound the history (0: no bound); the writer
	// enforces them every RetentionEvery (default one minute) with
	// DELETEs of at most RetentionChunk rows each (default 5,000).
	MaxAge         time.Duration
	MaxCount       int
	RetentionEvery time.Duration
	RetentionChunk int
	// ReadTimeout bounds a read-only query (default 5 s).
	ReadTimeout time.Duration
	// CountLimit bounds the alerts a list counts for its total
	// (default DefaultCountLimit; see Page).
	CountLimit int
	Logger     *slog.Logger
	Now        func() time.Time
	// Metrics, when set, gets the flowgate_alert_store_* families.
	Metrics prometheus.Registerer
}

// DefaultConfiguration returns the defaults above.
func DefaultConfiguration() Configuration {
	// MaxBatch: a transaction writes each page it changed once, however
	// many alerts changed it, so bigger batches write fewer bytes per
	// alert (1,583 instead of 2,257 bytes at 32,768, and 6 % less CPU,
	// BenchmarkWriterCPU): the writer catches up faster after a stall.
	return Configuration{QueueSize: 65536, MaxBatch: 32768, Synchronous: "NORMAL",
		RetentionEvery: time.Minute, RetentionChunk: 5000, ReadTimeout: 5 * time.Second, CountLimit: DefaultCountLimit}
}

// Validate reports a configuration that Start would refuse.
func (c Configuration) Validate() error {
	switch c.Synchronous {
	case "", "FULL", "NORMAL", "EXTRA":
	default:
		return fmt.Errorf("alert store: synchronous %q: want FULL or NORMAL", c.Synchronous)
	}
	if c.Path == "" && c.DataDir == "" {
		return errors.New("alert store: no data dir")
	}
	if c.MaxAge < 0 || c.MaxCount < 0 {
		return errors.New("alert store: negative retention bound")
	}
	return nil
}

// Counters are the DB's running totals.
type Counters struct {
	Appended     uint64 // accepted into the queue
	Dropped      uint64 // refused: queue full, store stopped, or a failed batch
	Committed    uint64 // alerts in committed transactions
	Transactions uint64 // insert transactions committed
	WriteErrors  uint64 // failed transactions
	Expired      uint64 // removed by retention
	Acknowledged uint64
	Deleted      uint64
	// Checkpoints copied the WAL into the database file (in the
	// checkpointer, beside the writer); CheckpointErrors failed.
	Checkpoints      uint64
	CheckpointErrors uint64
	Queued           int // waiting now
}

// item is one entry of the writer's queue: an alert to insert, or an
// operation run in order after the alerts before it (fn nil: a flush).
type item struct {
	a    alerts.Alert
	op   bool
	fn   func(tx *sql.Tx) error
	done chan error
}

// DB is the alert history. New is inert; Start opens the file.
type DB struct {
	cfg Configuration
	log *slog.Logger

	w  *sql.DB // the writer's single connection
	r  *sql.DB // readers (WAL: they do not wait for the writer)
	ro *sql.DB // read-only, query_only: user SELECTs
	cp *sql.DB // the checkpointer's connection
	// ins are the insert statements prepared on the writer's driver
	// connection insConn (re-prepared if database/sql ever replaces it).
	ins     map[*table]*insertStmts
	insConn any
	args    []driver.NamedValue
	cpKick  chan struct{}
	cpDone  chan struct{}

	queue   chan item
	stop    chan struct{}
	done    chan struct{}
	stopped atomic.Bool
	maxID   atomic.Uint64

	appended, dropped, committed, txs, writeErrs atomic.Uint64
	expired, acked, deleted                      atomic.Uint64
	checkpoints, checkpointErrs                  atomic.Uint64

	logMu   sync.Mutex
	lastLog time.Time
}

// New returns a DB that does nothing until Start.
func New(cfg Configuration) *DB {
	d := DefaultConfiguration()
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = d.QueueSize
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = d.MaxBatch
	}
	if cfg.Synchronous == "" {
		cfg.Synchronous = d.Synchronous
	}
	if cfg.RetentionEvery <= 0 {
		cfg.RetentionEvery = d.RetentionEvery
	}
	if cfg.RetentionChunk <= 0 {
		cfg.RetentionChunk = d.RetentionChunk
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = d.ReadTimeout
	}
	if cfg.CountLimit <= 0 {
		cfg.CountLimit = d.CountLimit
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Path == "" {
		cfg.Path = filepath.Join(cfg.DataDir, "alerts.db")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{cfg: cfg, log: log, queue: make(chan item, cfg.QueueSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	db.registerMetrics(cfg.Metrics)
	return db
}

// Path is the database file.
func (d *DB) Path() string { return d.cfg.Path }

func dsn(path string, pragmas ...string) string {
	s := "file:" + path + "?"
	for i, p := range pragmas {
		if i > 0 {
			s += "&"
		}
		s += "_pragma=" + p
	}
	return s
}

// Start opens (or creates) the file, migrates its schema and starts the
// writer. A file left by a killed process is recovered by SQLite from its
// WAL: committed transactions are kept, a torn tail is ignored.
func (d *DB) Start() error {
	if err := d.cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.cfg.Path), 0o750); err != nil {
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	var err error
	// The checkpointer goroutine copies the WAL into the file on its own
	// connection, on the other core, while the writer goes on inserting.
	// The writer's automatic checkpoint (wal_autocheckpoint, 1,000 pages
	// by default, run inside a commit) is raised to 16,384 pages (64 MiB):
	// only a bound, should the checkpointer fall behind.
	// journal_size_limit truncates the WAL file back after a reset.
	d.w, err = sql.Open("sqlite", dsn(d.cfg.Path, "busy_timeout(10000)", "journal_mode(WAL)",
		"synchronous("+d.cfg.Synchronous+")", "temp_store(MEMORY)", "cache_size(-65536)", "foreign_keys(0)",
		"wal_autocheckpoint(16384)", "journal_size_limit(67108864)"))
	if err != nil {
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	d.w.SetMaxOpenConns(1)
	d.w.SetConnMaxLifetime(0)
	if err := d.migrate(); err != nil {
		d.w.Close()
		return err
	}
	// Readers map the file (no read syscall per page) and keep 32 MiB of
	// pages each: a filtered count over a million rows looks up
	// thousands of rows at random.
	d.r, err = sql.Open("sqlite", dsn(d.cfg.Path, "busy_timeout(10000)", "query_only(1)", "mmap_size(1073741824)", "cache_size(-32768)"))
	if err == nil {
		d.r.SetMaxOpenConns(4)
		d.ro, err = sql.Open("sqlite", dsn(d.cfg.Path, "busy_timeout(10000)", "query_only(1)")+"&mode=ro")
	}
	if err != nil {
		d.closeAll()
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	d.ro.SetMaxOpenConns(2)
	d.cp, err = sql.Open("sqlite", dsn(d.cfg.Path, "busy_timeout(10000)", "synchronous("+d.cfg.Synchronous+")"))
	if err != nil {
		d.closeAll()
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	d.cp.SetMaxOpenConns(1)
	d.ins = map[*table]*insertStmts{}
	var maxID uint64
	for _, t := range tables {
		var m sql.NullInt64
		if err := d.w.QueryRow("SELECT MAX(rowid) FROM " + t.name).Scan(&m); err != nil {
			d.closeAll()
			return fmt.Errorf("alert store %s: %w", t.name, err)
		}
		if m.Valid && uint64(m.Int64) > maxID {
			maxID = uint64(m.Int64)
		}
	}
	d.maxID.Store(maxID)
	d.cpKick, d.cpDone = make(chan struct{}, 1), make(chan struct{})
	go d.checkpointer()
	go d.writer()
	return nil
}

func (d *DB) migrate() error {
	var v int
	if err := d.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("alert store %s: schema version %d is newer than this flowgate's %d", d.cfg.Path, v, SchemaVersion)
	}
	if v == SchemaVersion {
		return nil
	}
	tx, err := d.w.Begin()
	if err != nil {
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	defer tx.Rollback()
	for ; v < SchemaVersion; v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("alert store %s: migrating from version %d: %w", d.cfg.Path, v, err)
		}
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("alert store %s: %w", d.cfg.Path, err)
	}
	return nil
}

func (d *DB) closeAll() {
	d.closeInserts()
	for _, db := range []*sql.DB{d.cp, d.ro, d.r, d.w} {
		if db != nil {
			db.Close()
		}
	}
}

// Stop writes what is queued, stops the writer and closes the file.
func (d *DB) Stop() {
	if d.w == nil || d.stopped.Swap(true) {
		return
	}
	close(d.stop)
	<-d.done
	<-d.cpDone
	d.closeAll()
}

// Append queues a released or stored alert for the writer. It never
// blocks: a full queue drops the alert and counts it.
func (d *DB) Append(a alerts.Alert) {
	if d.stopped.Load() {
		d.dropped.Add(1)
		return
	}
	select {
	case d.queue <- item{a: a}:
		d.appended.Add(1)
		// alerts.Store appends under its lock, so IDs arrive in order.
		if a.ID > d.maxID.Load() {
			d.maxID.Store(a.ID)
		}
	default:
		d.dropped.Add(1)
		d.logf("alert store queue full: alert dropped", "queue", cap(d.queue))
	}
}

// MaxID is the largest alert ID stored or queued.
func (d *DB) MaxID() uint64 { return d.maxID.Load() }

// Flush waits until every alert appended before it was called is
// committed (and, with synchronous FULL, fsynced).
func (d *DB) Flush(ctx context.Context) error {
	return d.do(ctx, nil)
}

// do runs fn in the writer, after the alerts queued before it, in its own
// transaction (fn nil: only wait for them).
func (d *DB) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if d.stopped.Load() || d.w == nil {
		return errors.New("alert store: not running")
	}
	it := item{op: true, fn: fn, done: make(chan error, 1)}
	select {
	case d.queue <- it:
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return errors.New("alert store: stopped")
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Counters returns the running totals.
func (d *DB) Counters() Counters {
	return Counters{Appended: d.appended.Load(), Dropped: d.dropped.Load(), Committed: d.committed.Load(),
		Transactions: d.txs.Load(), WriteErrors: d.writeErrs.Load(), Expired: d.expired.Load(),
		Acknowledged: d.acked.Load(), Deleted: d.deleted.Load(), Checkpoints: d.checkpoints.Load(),
		CheckpointErrors: d.checkpointErrs.Load(), Queued: len(d.queue)}
}

// logf logs at most once per ten seconds, so that a full disk does not
// fill the log too.
func (d *DB) logf(msg string, args ...any) {
	d.logMu.Lock()
	now := time.Now()
	ok := now.Sub(d.lastLog) >= 10*time.Second
	if ok {
		d.lastLog = now
	}
	d.logMu.Unlock()
	if ok {
		d.log.Warn(msg, args...)
	}
}

// writer is the only goroutine that writes: it takes what is queued, up
// to MaxBatch alerts, inserts it in one transaction, then runs the
// operation that ended the batch, if any.
//
// Retention runs between batches, one chunk (RetentionChunk rows, one
// transaction) at a time, while it has work: at 50,000 alerts/s a count
// bound has three million rows a minute to remove, and removing them in
// one go would stop the inserts for many seconds and fill the queue.
func (d *DB) writer() {
	defer close(d.done)
	tick := time.NewTicker(d.cfg.RetentionEvery)
	defer tick.Stop()
	batch := make([]*alerts.Alert, 0, d.cfg.MaxBatch)
	items := make([]item, 0, d.cfg.MaxBatch)
	var pending *retention // retention with chunks left to remove
	for {
		var first item
		if pending != nil {
			// Inserts first; a chunk when nothing is queued.
			select {
			case first = <-d.queue:
			case <-d.stop:
				d.drain()
				return
			default:
				if !d.retainStep(pending) {
					pending = nil
				}
				continue
			}
		} else {
			select {
			case first = <-d.queue:
			case <-tick.C:
				if d.cfg.MaxAge > 0 || d.cfg.MaxCount > 0 {
					pending = d.newRetention(d.cfg.Now(), d.cfg.MaxAge, d.cfg.MaxCount)
				}
				d.optimize()
				continue
			case <-d.stop:
				d.drain()
				return
			}
		}
		items = append(items[:0], first)
	fill:
		for len(items) < d.cfg.MaxBatch && !items[len(items)-1].op {
			select {
			case it := <-d.queue:
				items = append(items, it)
			default:
				break fill
			}
		}
		batch = batch[:0]
		var op *item
		for i := range items {
			if items[i].op {
				op = &items[i]
				continue
			}
			batch = append(batch, &items[i].a)
		}
		d.insert(batch)
		if op != nil {
			d.runOp(op)
		}
		if pending != nil && !d.retainStep(pending) {
			pending = nil
		}
	}
}

// optimize refreshes the planner's statistics (sqlite_stat1) when SQLite
// judges them stale (the table grew 25-fold since the last ANALYZE, so it
// runs a logarithmic number of times). Without them the planner cannot
// tell a selective address index from a time range over a million rows.
// The ANALYZE is complete, not sampled (analysis_limit): a sample of
// the first rows of a low-cardinality index misleads the planner more
// than no statistics do. At a million flow alerts it takes the writer a
// few seconds, during which alerts queue.
func (d *DB) optimize() {
	if _, err := d.w.Exec("PRAGMA optimize=0x10002"); err != nil {
		d.logf("alert store: PRAGMA optimize failed", "err", err)
	}
}

// Optimize runs the planner statistics refresh now (the writer does it
// every RetentionEvery).
func (d *DB) Optimize(ctx context.Context) error {
	return d.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec("PRAGMA optimize=0x10002")
		return err
	})
}

// drain writes what is queued at Stop.
func (d *DB) drain() {
	for {
		batch := make([]*alerts.Alert, 0, d.cfg.MaxBatch)
		var ops []item
	fill:
		for len(batch) < d.cfg.MaxBatch {
			select {
			case it := <-d.queue:
				if it.op {
					ops = append(ops, it)
					continue
				}
				a := it.a
				batch = append(batch, &a)
			default:
				break fill
			}
		}
		d.insert(batch)
		for i := range ops {
			d.runOp(&ops[i])
		}
		if len(batch) == 0 && len(ops) == 0 {
			return
		}
	}
}

func (d *DB) runOp(op *item) {
	if op.fn == nil {
		op.done <- nil
		return
	}
	tx, err := d.w.Begin()
	if err == nil {
		if err = op.fn(tx); err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	op.done <- err
}

func (d *DB) insert(batch []*alerts.Alert) {
	if len(batch) == 0 {
		return
	}
	err := d.insertTx(batch)
	if err != nil {
		d.writeErrs.Add(1)
		d.dropped.Add(uint64(len(batch)))
		d.logf("alert store write failed: alerts dropped", "alerts", len(batch), "err", err)
		return
	}
	d.txs.Add(1)
	d.committed.Add(uint64(len(batch)))
	select {
	case d.cpKick <- struct{}{}:
	default:
	}
}

// multiRows is the rows of a multi-row INSERT (flow alerts bind 46
// values a row: 64 rows stay far below SQLite's 32,766 parameters).
// Bigger statements cost fewer executions per alert; the gain flattens
// beyond a few dozen rows.
const multiRows = 64

// insertStmts are a table's INSERTs of one row and of multiRows rows.
type insertStmts struct{ one, multi driver.Stmt }

// insertTx inserts batch in one transaction. It works on the driver
// connection under database/sql (sql.Conn.Raw): database/sql checks
// and converts every argument of every Exec, which cost the writer a
// tenth of its time at 46 values a row; here values go to the driver as
// they are built.
func (d *DB) insertTx(batch []*alerts.Alert) error {
	ctx := context.Background()
	conn, err := d.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error { return d.insertRaw(ctx, dc, batch) })
}

func (d *DB) insertRaw(ctx context.Context, dc any, batch []*alerts.Alert) error {
	bc, ok1 := dc.(driver.ConnBeginTx)
	pc, ok2 := dc.(driver.ConnPrepareContext)
	if !ok1 || !ok2 {
		return fmt.Errorf("sqlite driver connection %T: no BeginTx/PrepareContext", dc)
	}
	if d.insConn != dc {
		// A new connection (the first, or database/sql replaced a bad
		// one): statements belong to the connection that prepared them.
		d.closeInserts()
		d.insConn = dc
	}
	tx, err := bc.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return err
	}
	if err := d.insertAll(ctx, pc, batch); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// insertAll runs the INSERTs of batch: per table, in arrival order,
// whole groups of multiRows in one statement, the rest one by one.
func (d *DB) insertAll(ctx context.Context, pc driver.ConnPrepareContext, batch []*alerts.Alert) error {
	byTable := map[*table][]*alerts.Alert{}
	for _, a := range batch {
		t := tableByFamily[FamilyOf(a)]
		byTable[t] = append(byTable[t], a)
	}
	for t, as := range byTable {
		st := d.ins[t]
		if st == nil {
			st = &insertStmts{}
			d.ins[t] = st
		}
		for len(as) > 0 {
			n, sp := 1, &st.one
			if len(as) >= multiRows {
				n, sp = multiRows, &st.multi
			}
			if *sp == nil {
				p, err := pc.PrepareContext(ctx, t.insertSQL(n))
				if err != nil {
					return fmt.Errorf("%s: %w", t.name, err)
				}
				*sp = p
			}
			d.args = d.args[:0]
			for _, a := range as[:n] {
				d.args = appendArgs(appendArgs(d.args, commonValues(a)), t.values(a))
			}
			ex, ok := (*sp).(driver.StmtExecContext)
			if !ok {
				return fmt.Errorf("sqlite driver statement %T: no ExecContext", *sp)
			}
			if _, err := ex.ExecContext(ctx, d.args); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			as = as[n:]
		}
	}
	return nil
}

// appendArgs appends vs as driver arguments (ordinals follow dst).
func appendArgs(dst []driver.NamedValue, vs []any) []driver.NamedValue {
	for _, v := range vs {
		switch x := v.(type) {
		case int:
			v = int64(x)
		case nil, int64, string, float64:
		default:
			// The other integer kinds of the alert's fields.
			cv, err := driver.DefaultParameterConverter.ConvertValue(v)
			if err != nil {
				cv = fmt.Sprint(v)
			}
			v = cv
		}
		dst = append(dst, driver.NamedValue{Ordinal: len(dst) + 1, Value: v})
	}
	return dst
}

func (d *DB) closeInserts() {
	for t, st := range d.ins {
		for _, s := range []driver.Stmt{st.one, st.multi} {
			if s != nil {
				s.Close()
			}
		}
		delete(d.ins, t)
	}
}

// checkpointEvery spaces the checkpoints: a page changed by several
// commits in between is copied into the file once (every 100 ms wrote 5 %
// more bytes and cost 5 % more CPU per alert than every second,
// BenchmarkWriterCPU), and the WAL stays far below wal_autocheckpoint.
const checkpointEvery = time.Second

// checkpointer copies committed WAL frames into the database file,
// kicked after each commit and at most once a second, beside the
// writer (a PASSIVE checkpoint takes no lock the writer waits for). It
// stops when the writer does; closing the last connection then
// checkpoints what is left.
func (d *DB) checkpointer() {
	defer close(d.cpDone)
	for {
		select {
		case <-d.cpKick:
		case <-d.done:
			return
		}
		var busy, logFrames, done int
		if err := d.cp.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done); err != nil {
			d.checkpointErrs.Add(1)
			d.logf("alert store checkpoint failed", "err", err)
		} else {
			d.checkpoints.Add(1)
		}
		select {
		case <-time.After(checkpointEvery):
		case <-d.done:
			return
		}
	}
}
