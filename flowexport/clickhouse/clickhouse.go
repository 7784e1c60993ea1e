// Package clickhouse writes flow rows into ClickHouse's flows table, as
// ntopng's -F clickhouse does: large batches over the native protocol
// (github.com/ClickHouse/clickhouse-go/v2), a bounded in-memory buffer, and
// a bounded on-disk spool (a store record log) while the server is down or
// refuses batches. Debian 12's server (18.16) and current ones both work:
// the table is created with the types the server has (docs/clickhouse.md).
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/flowexport"
	"flowgate/internal/metrics"
	"flowgate/internal/ratelog"
)

// SpoolFile is the spool's file in the data dir.
const SpoolFile = "clickhouse-spool.log"

// Configuration of the writer. Addr, Database, User and Password come from
// ParseSpec.
type Configuration struct {
	Addr     string // host:port of the native protocol
	Database string
	User     string
	Password string
	Table    string // "flows"
	// DataDir holds the spool; empty: no spool (rows that cannot be sent
	// are dropped, counted).
	DataDir string
	// BufferRows bounds the rows waiting in memory; more are dropped
	// (counted) until the writer catches up.
	BufferRows int
	// BatchRows is the largest INSERT; FlushEvery sends a smaller one.
	BatchRows  int
	FlushEvery time.Duration
	// SpoolBytes bounds the spool; rows beyond it are dropped (counted).
	SpoolBytes int64
	// Attempts at sending a batch before it is spooled; the waits between
	// them grow from RetryMin, and while the server stays unreachable the
	// writer retries every RetryMin..RetryMax (doubling).
	Attempts           int
	RetryMin, RetryMax time.Duration
	DialTimeout        time.Duration
	Logger             *slog.Logger
	Metrics            prometheus.Registerer
}

// DefaultConfiguration: 100,000-row batches each second at most, 1M rows in
// memory, a 2 GiB spool.
func DefaultConfiguration() Configuration {
	return Configuration{Addr: "127.0.0.1:9000", Database: "ntopng", User: "default", Table: "flows",
		BufferRows: 1 << 20, BatchRows: 100000, FlushEvery: time.Second, SpoolBytes: 2 << 30,
		Attempts: 3, RetryMin: 200 * time.Millisecond, RetryMax: 30 * time.Second, DialTimeout: 5 * time.Second}
}

// Validate checks a configuration.
func (c *Configuration) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("clickhouse: no address")
	case !identRE.MatchString(c.Database) || !identRE.MatchString(c.Table):
		return fmt.Errorf("clickhouse: database %q and table %q: want letters, digits and _", c.Database, c.Table)
	case c.BufferRows <= 0 || c.BatchRows <= 0 || c.FlushEvery <= 0 || c.Attempts <= 0 || c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return errors.New("clickhouse: buffer, batch, flush, attempts and retry bounds must be positive")
	}
	return nil
}

// Counters are the writer's totals and state.
type Counters struct {
	Queued       uint64 `json:"queued"`        // rows accepted into the buffer
	BufferDrops  uint64 `json:"buffer_drops"`  // rows refused: buffer full
	Written      uint64 `json:"written"`       // rows the server acknowledged
	Batches      uint64 `json:"batches"`       // INSERTs acknowledged
	SendErrors   uint64 `json:"send_errors"`   // failed INSERT attempts (server down or refusing)
	Spooled      uint64 `json:"spooled"`       // rows written to the spool
	FromSpool    uint64 `json:"from_spool"`    // spooled rows later written to the server
	SpoolDrops   uint64 `json:"spool_drops"`   // rows lost: spool full, absent, failing or unreadable
	SpoolRows    uint64 `json:"spool_rows"`    // rows in the spool now
	SpoolBytes   uint64 `json:"spool_bytes"`   // bytes in the spool now
	BufferedRows uint64 `json:"buffered_rows"` // rows in memory now
	Up           bool   `json:"up"`            // the last INSERT succeeded
}

// Writer is the ClickHouse flow sink.
type Writer struct {
	cfg  Configuration
	log  *slog.Logger
	rlog *ratelog.Limiter
	in   chan flowexport.Row

	conn   driver.Conn
	schema bool // table ensured on this connection
	spool  *spool

	queued, bufDrops, written, batches, sendErrs, spooled, fromSpool, spoolDrops atomic.Uint64
	spoolRows, spoolBytes                                                        atomic.Int64
	up                                                                           atomic.Bool

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// New builds an inert writer; Start opens the spool and starts sending.
func New(cfg Configuration) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	w := &Writer{cfg: cfg, log: log, rlog: ratelog.New(log, time.Minute), in: make(chan flowexport.Row, cfg.BufferRows),
		stop: make(chan struct{}), done: make(chan struct{})}
	err := metrics.Register(cfg.Metrics, metrics.NewCollector(w.Counters,
		metrics.Counter("flowgate_clickhouse_rows_total", "Flow rows queued for ClickHouse.", func(c *Counters) uint64 { return c.Queued }),
		metrics.Counter("flowgate_clickhouse_buffer_dropped_rows_total", "Flow rows dropped: the in-memory buffer was full.", func(c *Counters) uint64 { return c.BufferDrops }),
		metrics.Counter("flowgate_clickhouse_written_rows_total", "Flow rows ClickHouse acknowledged.", func(c *Counters) uint64 { return c.Written }),
		metrics.Counter("flowgate_clickhouse_batches_total", "INSERT batches ClickHouse acknowledged.", func(c *Counters) uint64 { return c.Batches }),
		metrics.Counter("flowgate_clickhouse_send_errors_total", "Failed INSERT attempts (server down or refusing the batch).", func(c *Counters) uint64 { return c.SendErrors }),
		metrics.Counter("flowgate_clickhouse_spooled_rows_total", "Flow rows written to the on-disk spool.", func(c *Counters) uint64 { return c.Spooled }),
		metrics.Counter("flowgate_clickhouse_spool_sent_rows_total", "Spooled flow rows later written to ClickHouse.", func(c *Counters) uint64 { return c.FromSpool }),
		metrics.Counter("flowgate_clickhouse_spool_dropped_rows_total", "Flow rows lost: the spool was full, absent, failing or unreadable.", func(c *Counters) uint64 { return c.SpoolDrops }),
		metrics.Gauge("flowgate_clickhouse_spool_rows", "Flow rows in the spool now.", func(c *Counters) float64 { return float64(c.SpoolRows) }),
		metrics.Gauge("flowgate_clickhouse_spool_bytes", "Bytes in the spool now.", func(c *Counters) float64 { return float64(c.SpoolBytes) }),
		metrics.Gauge("flowgate_clickhouse_buffered_rows", "Flow rows in memory waiting for ClickHouse.", func(c *Counters) float64 { return float64(c.BufferedRows) }),
		metrics.Gauge("flowgate_clickhouse_up", "1 when the last INSERT into ClickHouse succeeded.", func(c *Counters) float64 {
			if c.Up {
				return 1
			}
			return 0
		}),
	))
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Counters returns a snapshot.
func (w *Writer) Counters() Counters {
	return Counters{Queued: w.queued.Load(), BufferDrops: w.bufDrops.Load(), Written: w.written.Load(), Batches: w.batches.Load(),
		SendErrors: w.sendErrs.Load(), Spooled: w.spooled.Load(), FromSpool: w.fromSpool.Load(), SpoolDrops: w.spoolDrops.Load(),
		SpoolRows: uint64(w.spoolRows.Load()), SpoolBytes: uint64(w.spoolBytes.Load()), BufferedRows: uint64(len(w.in)), Up: w.up.Load()}
}

// Offer queues a row without blocking (flowexport.Sink).
func (w *Writer) Offer(r *flowexport.Row) bool {
	select {
	case w.in <- *r:
		w.queued.Add(1)
		return true
	default:
		w.bufDrops.Add(1)
		return false
	}
}

// Start opens the spool (what a previous run left is sent first) and the
// connection pool; it does not wait for the server, which may be down.
func (w *Writer) Start() error {
	if w.cfg.DataDir != "" {
		s, err := openSpool(filepath.Join(w.cfg.DataDir, SpoolFile))
		if err != nil {
			return fmt.Errorf("clickhouse spool: %w", err)
		}
		w.spool = s
		w.syncSpoolGauges()
	}
	conn, err := ch.Open(&ch.Options{
		Addr:        []string{w.cfg.Addr},
		Auth:        ch.Auth{Database: "default", Username: w.cfg.User, Password: w.cfg.Password},
		DialTimeout: w.cfg.DialTimeout,
		ReadTimeout: time.Minute,
		Compression: &ch.Compression{Method: ch.CompressionLZ4},
	})
	if err != nil {
		return fmt.Errorf("clickhouse %s: %w", w.cfg.Addr, err)
	}
	w.conn = conn
	go w.loop()
	return nil
}

// Stop sends what is buffered (one attempt), spools what the server does
// not take, and closes the spool.
func (w *Writer) Stop() {
	w.stopOnce.Do(func() {
		if w.conn == nil {
			return
		}
		close(w.stop)
		<-w.done
		w.conn.Close()
		if w.spool != nil {
			if err := w.spool.close(); err != nil {
				w.log.Warn("clickhouse spool: close", "err", err)
			}
		}
	})
}

func (w *Writer) syncSpoolGauges() {
	if w.spool != nil {
		w.spoolRows.Store(w.spool.rows)
		w.spoolBytes.Store(w.spool.bytes)
	}
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]flowexport.Row, 0, w.cfg.BatchRows)
	tick := time.NewTicker(w.cfg.FlushEvery)
	defer tick.Stop()
	var backoff time.Duration
	var retryAt time.Time
	flush := func(final bool) {
		now := time.Now()
		if !final && backoff > 0 && now.Before(retryAt) {
			// Down: keep the memory buffer moving to the spool.
			w.toSpool(batch)
			batch = batch[:0]
			return
		}
		attempts := w.cfg.Attempts
		if final {
			attempts = 1
		}
		ok := w.drainSpool(attempts)
		if ok && len(batch) > 0 {
			ok = w.send(batch, attempts) == nil
		}
		if !ok {
			w.toSpool(batch)
			backoff = min(max(2*backoff, w.cfg.RetryMin), w.cfg.RetryMax)
			retryAt = time.Now().Add(backoff)
		} else {
			backoff = 0
		}
		batch = batch[:0]
	}
	for {
		select {
		case r := <-w.in:
			batch = append(batch, r)
			if len(batch) >= w.cfg.BatchRows {
				flush(false)
			}
		case <-tick.C:
			if len(batch) > 0 || (w.spool != nil && w.spool.rows > 0) {
				flush(false)
			}
		case <-w.stop:
		drain:
			for {
				select {
				case r := <-w.in:
					batch = append(batch, r)
					if len(batch) >= w.cfg.BatchRows {
						flush(true)
					}
				default:
					break drain
				}
			}
			flush(true)
			return
		}
	}
}

// toSpool keeps rows for later, or drops them (counted) beyond the bound.
func (w *Writer) toSpool(rows []flowexport.Row) {
	if len(rows) == 0 {
		return
	}
	if w.spool == nil || w.spool.bytes >= w.cfg.SpoolBytes {
		w.spoolDrops.Add(uint64(len(rows)))
		w.rlog.Warn("ch-spool-full", "clickhouse: spool full or absent, flow rows dropped", "rows", len(rows), "spool_bytes", w.spoolBytes.Load())
		return
	}
	// Cut at the bound: an estimate from the rows' encoded size.
	room := w.cfg.SpoolBytes - w.spool.bytes
	n := len(rows)
	if est := int64(n) * 120; est > room {
		n = int(room / 120)
	}
	written, err := w.spool.add(rows[:n])
	w.spooled.Add(uint64(written))
	if lost := len(rows) - written; lost > 0 {
		w.spoolDrops.Add(uint64(lost))
		if err != nil {
			w.rlog.Warn("ch-spool-err", "clickhouse: spool write failed, flow rows dropped", "rows", lost, "err", err)
		} else {
			w.rlog.Warn("ch-spool-full", "clickhouse: spool full, flow rows dropped", "rows", lost, "spool_bytes", w.spool.bytes)
		}
	}
	w.syncSpoolGauges()
}

// drainSpool sends the spool, oldest first; false when the server failed.
func (w *Writer) drainSpool(attempts int) bool {
	if w.spool == nil || w.spool.rows == 0 {
		return true
	}
	before := w.spool.rows
	sent, err := w.spool.drain(func(rows []flowexport.Row) error { return w.send(rows, attempts) })
	w.fromSpool.Add(uint64(sent))
	if skipped := before - sent - w.spool.rows; err == nil && skipped > 0 {
		w.spoolDrops.Add(uint64(skipped)) // chunks this release could not read
	}
	w.syncSpoolGauges()
	if err != nil {
		if !errors.Is(err, errSend) {
			w.rlog.Warn("ch-spool-err", "clickhouse: spool drain failed", "err", err)
		}
		return false
	}
	return true
}

var errSend = errors.New("clickhouse insert failed")

// send inserts rows in one batch, with up to attempts tries.
func (w *Writer) send(rows []flowexport.Row, attempts int) error {
	wait := w.cfg.RetryMin
	var err error
	for a := 0; a < attempts; a++ {
		if a > 0 {
			select {
			case <-time.After(wait):
			case <-w.stop:
				attempts = a + 1 // stopping: this is the last try
			}
			wait = min(2*wait, w.cfg.RetryMax)
		}
		if err = w.insert(rows); err == nil {
			w.written.Add(uint64(len(rows)))
			w.batches.Add(1)
			w.up.Store(true)
			return nil
		}
		w.sendErrs.Add(1)
		w.up.Store(false)
		w.schema = false // re-check the table after a failure (dropped, new server)
		w.rlog.Warn("ch-send", "clickhouse: insert failed", "addr", w.cfg.Addr, "rows", len(rows), "attempt", a+1, "err", err)
	}
	return fmt.Errorf("%w: %w", errSend, err)
}

func (w *Writer) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

// ensureSchema creates the database and table (ntopng does the same), with
// the types the server knows.
func (w *Writer) ensureSchema() error {
	if w.schema {
		return nil
	}
	ctx, cancel := w.ctx()
	defer cancel()
	v, err := w.conn.ServerVersion()
	if err != nil {
		return err
	}
	if err := w.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+w.cfg.Database); err != nil {
		return fmt.Errorf("create database %s: %w", w.cfg.Database, err)
	}
	if err := w.conn.Exec(ctx, CreateTable(w.cfg.Database, w.cfg.Table, v.Version.Major < 20)); err != nil {
		return fmt.Errorf("create table %s.%s: %w", w.cfg.Database, w.cfg.Table, err)
	}
	w.schema = true
	return nil
}

// CreateTable is the flows table's DDL; old is for servers without the
// IPv6 domain (before 19.x; Debian 12 ships 18.16).
func CreateTable(db, table string, old bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (", db, table)
	for i, c := range flowexport.Columns {
		t := c.Type
		if old && c.OldType != "" {
			t = c.OldType
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`%s` %s", c.Name, t)
	}
	b.WriteString(") ENGINE = MergeTree() PARTITION BY toYYYYMMDD(FIRST_SEEN) ORDER BY (IPV4_SRC_ADDR, IPV4_DST_ADDR, FIRST_SEEN)")
	return b.String()
}

func insertSQL(db, table string) string {
	names := make([]string, len(flowexport.Columns))
	for i, c := range flowexport.Columns {
		names[i] = c.Name
	}
	return fmt.Sprintf("INSERT INTO %s.%s (%s)", db, table, strings.Join(names, ", "))
}

// insert sends rows as one columnar block.
func (w *Writer) insert(rows []flowexport.Row) error {
	if err := w.ensureSchema(); err != nil {
		return err
	}
	ctx, cancel := w.ctx()
	defer cancel()
	b, err := w.conn.PrepareBatch(ctx, insertSQL(w.cfg.Database, w.cfg.Table))
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	cols := buildColumns(rows)
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			_ = b.Abort()
			return fmt.Errorf("column %s: %w", flowexport.Columns[i].Name, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// buildColumns lays rows out as the typed slices of flowexport.Columns.
func buildColumns(rows []flowexport.Row) []any {
	n := len(rows)
	u8 := func() []uint8 { return make([]uint8, n) }
	u16 := func() []uint16 { return make([]uint16, n) }
	u32 := func() []uint32 { return make([]uint32, n) }
	u64 := func() []uint64 { return make([]uint64, n) }
	flowID, ipv, first, last, vlan := u64(), u8(), make([]time.Time, n), make([]time.Time, n), u16()
	pkts, total, s2d, d2s, s2dp, d2sp := u32(), u64(), u64(), u64(), u32(), u32()
	proto, v4s, v6s, sport, v4d, v6d, dport := u8(), u32(), make([][]byte, n), u16(), u32(), make([][]byte, n), u16()
	l7, l7m, l7c, risk, info, inst, ifid := u16(), u16(), u16(), u64(), make([]string, n), make([]string, n), u16()
	smac, dmac, sasn, dasn, probe, obs, sfl, dfl, score := u64(), u64(), u32(), u32(), u32(), u16(), u8(), u8(), u16()
	clat, slat, inif, outif := u32(), u32(), u32(), u32()
	v6 := make([]byte, 32*n)
	for i := range rows {
		r := &rows[i]
		flowID[i], ipv[i] = r.FlowID, r.IPVersion
		first[i], last[i] = time.Unix(int64(r.FirstSeen), 0), time.Unix(int64(r.LastSeen), 0)
		vlan[i], pkts[i], total[i], s2d[i], d2s[i] = r.VLAN, r.Packets(), r.SrcBytes+r.DstBytes, r.SrcBytes, r.DstBytes
		s2dp[i], d2sp[i], proto[i] = r.SrcPackets(), r.DstPackets(), r.Protocol
		v4s[i], v4d[i] = flowexport.V4(&r.Src), flowexport.V4(&r.Dst)
		a, b := flowexport.V6(&r.Src), flowexport.V6(&r.Dst)
		copy(v6[32*i:], a[:])
		copy(v6[32*i+16:], b[:])
		v6s[i], v6d[i] = v6[32*i:32*i+16:32*i+16], v6[32*i+16:32*i+32:32*i+32]
		sport[i], dport[i] = r.SrcPort, r.DstPort
		l7[i], l7m[i], l7c[i], risk[i], info[i], inst[i], ifid[i] = r.L7Proto, r.L7Master, r.L7Category, r.Risk, r.Info, r.Instance, r.IfID
		smac[i], dmac[i], sasn[i], dasn[i], probe[i], obs[i] = r.SrcMAC, r.DstMAC, r.SrcASN, r.DstASN, flowexport.V4(&r.Probe), r.ObsPoint
		sfl[i], dfl[i], score[i] = r.SrcTCPFlags, r.DstTCPFlags, r.Score
		clat[i], slat[i], inif[i], outif[i] = r.CliLatUS, r.SrvLatUS, r.InIfIndex, r.OutIfIndex
	}
	return []any{flowID, ipv, first, last, vlan, pkts, total, s2d, d2s, s2dp, d2sp, proto, v4s, v6s, sport, v4d, v6d, dport,
		l7, l7m, l7c, risk, info, inst, ifid, smac, dmac, sasn, dasn, probe, obs, sfl, dfl, score, clat, slat, inif, outif}
}
