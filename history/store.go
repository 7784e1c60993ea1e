package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/history/tsdb"
	"flowgate/internal/metrics"
	"flowgate/internal/ratelog"
)

// FileName is the database file in the data dir.
const FileName = "timeseries.db"

// Configuration of the store.
type Configuration struct {
	// DataDir holds FileName (Path overrides it).
	DataDir string
	Path    string
	// MaintainEvery is how often the roll-ups and retention run (1 min).
	MaintainEvery time.Duration
	// Synchronous is SQLite's synchronous pragma ("NORMAL" or "FULL").
	Synchronous string
	Now         func() time.Time
	Logger      *slog.Logger
	Metrics     prometheus.Registerer
}

// DefaultConfiguration: roll-ups every minute, synchronous NORMAL (WAL:
// a power loss may lose the last second of points, never the file).
func DefaultConfiguration() Configuration {
	return Configuration{MaintainEvery: time.Minute, Synchronous: "NORMAL", Now: time.Now}
}

// Sample is one value set of a schema's series, as ntopng's
// ts_utils.append takes it: tag values in the schema's tag order, one
// value per metric (counters as the counter, not a rate), at epoch T.
type Sample struct {
	Schema *Schema
	Tags   []string
	Values []float64
	T      int64
}

// Counters of the store (and its database).
type Counters struct {
	Samples     uint64 `json:"samples"`      // samples appended
	Rejected    uint64 `json:"rejected"`     // samples with a wrong number of tags or values
	Resets      uint64 `json:"resets"`       // counter resets (a gap, as rrdtool's DERIVE with min 0)
	Late        uint64 `json:"late"`         // samples not after the previous one of their series
	WriteErrors uint64 `json:"write_errors"` // batches not stored (failed disk writes)
	tsdb.Counters
}

// derive is the last counter sample of a series.
type derive struct {
	t    int64
	vals [tsdb.MaxMetrics]float64
}

// Store is the time-series store: append, subscribe, query.
type Store struct {
	cfg  Configuration
	log  *slog.Logger
	rlog *ratelog.Limiter

	mu   sync.Mutex // the write path: db opening, derive state
	db   *tsdb.DB
	dbp  atomic.Pointer[tsdb.DB] // db, for readers
	last map[int64]*derive
	pts  []tsdb.Point

	subMu sync.RWMutex
	subs  []func([]Sample)

	stop chan struct{}
	done chan struct{}

	samples, rejected, resets, late, writeErrs atomic.Uint64
}

// New returns an inert store; Start opens the database.
func New(cfg Configuration) *Store {
	def := DefaultConfiguration()
	if cfg.MaintainEvery <= 0 {
		cfg.MaintainEvery = def.MaintainEvery
	}
	if cfg.Synchronous == "" {
		cfg.Synchronous = def.Synchronous
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	if cfg.Path == "" && cfg.DataDir != "" {
		cfg.Path = filepath.Join(cfg.DataDir, FileName)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{cfg: cfg, log: cfg.Logger, rlog: ratelog.New(cfg.Logger, 10*time.Second), last: map[int64]*derive{}}
	s.registerMetrics(cfg.Metrics)
	return s
}

// Start opens (or creates, or recovers after a crash) the database and
// starts the roll-up loop.
func (s *Store) Start() error {
	db, err := tsdb.Open(tsdb.Config{Path: s.cfg.Path, Synchronous: s.cfg.Synchronous, Logger: s.log})
	if err != nil {
		return fmt.Errorf("time series: %w", err)
	}
	s.mu.Lock()
	s.db = db
	s.dbp.Store(db)
	s.mu.Unlock()
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.maintainLoop()
	return nil
}

// Stop ends the roll-up loop and closes the database.
func (s *Store) Stop() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.stop = nil
	s.mu.Lock()
	db := s.db
	s.db = nil
	s.dbp.Store(nil)
	s.mu.Unlock()
	if db != nil {
		if err := db.Close(); err != nil {
			s.log.Warn("time series: close", "err", err)
		}
	}
}

func (s *Store) maintainLoop() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.MaintainEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.Maintain(s.cfg.Now()); err != nil {
				s.rlog.Warn("ts-maintain", "time series roll-up or retention failed", "err", err)
			}
		}
	}
}

// Maintain runs the roll-ups and retention as of now (the background loop
// calls it every MaintainEvery with the configured clock; tests call it
// with a fake one).
func (s *Store) Maintain(now time.Time) error {
	db := s.database()
	if db == nil {
		return errors.New("time series: not started")
	}
	return db.Maintain(context.Background(), now)
}

// database is the open database for readers (queries, counters): they
// never wait for the write path's lock, which a roll-up can hold for
// seconds.
func (s *Store) database() *tsdb.DB { return s.dbp.Load() }

// Subscribe adds fn, called with every batch of samples appended (counter
// values as given, before the rate conversion: an exporter writes them as
// ntopng's InfluxDB driver does). fn runs in the appender's goroutine: it
// must copy what it keeps and return quickly.
func (s *Store) Subscribe(fn func([]Sample)) {
	s.subMu.Lock()
	s.subs = append(s.subs, fn)
	s.subMu.Unlock()
}

// Append stores a batch of samples in one transaction: gauges as given,
// counters as the per-second rate since the previous sample of their
// series (rrdtool's DERIVE, minimum 0): the rate fills every step from the
// previous sample to this one; the first sample of a series, a counter
// that went down (a reset) or a gap longer than the schema's heartbeat
// give no point (a gap). Samples of a wrong shape are counted and skipped.
// A failed write is counted, logged (bounded) and returned; the derive
// state moves on, so the next batch is not disturbed.
func (s *Store) Append(batch []Sample) error {
	s.subMu.RLock()
	for _, fn := range s.subs {
		fn(batch)
	}
	s.subMu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return errors.New("time series: not started")
	}
	series, idx, err := s.register(batch)
	if err != nil {
		return err
	}
	pts := s.pts[:0]
	for k, i := range idx {
		s.samples.Add(1)
		pts = s.point(pts, series[k].ID, batch[i].Schema, &batch[i])
	}
	return s.write(pts)
}

// write stores pts, counting and logging (bounded) a failure. s.mu held.
func (s *Store) write(pts []tsdb.Point) error {
	s.pts = pts[:0]
	if err := s.db.Write(pts); err != nil {
		s.writeErrs.Add(1)
		s.rlog.Warn("ts-write", "time series points not written", "points", len(pts), "err", err)
		return err
	}
	return nil
}

// register returns the series of the well-formed samples of batch (their
// indexes in idx), registering new ones in one transaction; samples of a
// wrong shape are counted and skipped. s.mu held.
func (s *Store) register(batch []Sample) (series []*tsdb.Series, idx []int, err error) {
	keys := make([]tsdb.NewSeries, 0, len(batch))
	idx = make([]int, 0, len(batch))
	for i := range batch {
		smp := &batch[i]
		sc := smp.Schema
		if sc == nil || len(smp.Tags) != len(sc.Tags) || len(smp.Values) != len(sc.Metrics) {
			s.rejected.Add(1)
			continue
		}
		keys = append(keys, tsdb.NewSeries{Schema: sc.Name, Tags: sc.key(smp.Tags), Step: sc.Step})
		idx = append(idx, i)
	}
	series, err = s.db.RegisterMany(keys)
	if err != nil {
		s.writeErrs.Add(1)
		s.rlog.Warn("ts-register", "time series not registered", "err", err)
		return nil, nil, err
	}
	return series, idx, nil
}

// AppendMeasured stores samples whose values are already what the store
// keeps (rates measured by their source, such as the SNMP poller, which
// handles counter wraps and device reboots itself): no DERIVE. Counter
// schemas take per-second rates, gauges values.
func (s *Store) AppendMeasured(batch []Sample) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return errors.New("time series: not started")
	}
	series, idx, err := s.register(batch)
	if err != nil {
		return err
	}
	pts := s.pts[:0]
	for k, i := range idx {
		smp := &batch[i]
		p := tsdb.Point{SID: series[k].ID, T: smp.T / smp.Schema.Step * smp.Schema.Step}
		for m := range p.V {
			p.V[m] = math.NaN()
		}
		copy(p.V[:], smp.Values)
		pts = append(pts, p)
		s.samples.Add(1)
	}
	return s.write(pts)
}

// Series returns the tag values (in the schema's tag order) of every
// series of sc written so far.
func (s *Store) Series(sc *Schema) [][]string {
	db := s.database()
	if db == nil {
		return nil
	}
	var out [][]string
	for _, ser := range db.SeriesOf(sc.Name) {
		tags := sc.parseKey(ser.Tags)
		vals := make([]string, len(sc.Tags))
		for i, t := range sc.Tags {
			vals[i] = tags[t]
		}
		out = append(out, vals)
	}
	return out
}

// RawPoint is a stored point at its stamp.
type RawPoint struct {
	T      int64
	Values []float64 // one per metric, NaN for none
}

// Raw returns the raw-tier points of one series stamped in [from, to), in
// time order (the points of the last day as written). A series never
// written has none.
func (s *Store) Raw(ctx context.Context, sc *Schema, tags []string, from, to int64) ([]RawPoint, error) {
	db := s.database()
	if db == nil {
		return nil, errors.New("time series: not started")
	}
	if len(tags) != len(sc.Tags) {
		return nil, fmt.Errorf("%w: schema %s takes %d tags", ErrBadQuery, sc.Name, len(sc.Tags))
	}
	if to-from > MaxRange || to <= from {
		return nil, fmt.Errorf("%w: raw range [%d, %d)", ErrBadQuery, from, to)
	}
	ser := db.Lookup(sc.Name, sc.key(tags))
	if ser == nil {
		return nil, nil
	}
	// Read covers (from-step, to-step]; shift by one step to get stamps in [from, to).
	rows, err := db.ReadRaw(ctx, ser, from-sc.Step, to-sc.Step)
	if err != nil {
		return nil, err
	}
	out := make([]RawPoint, 0, len(rows))
	for _, r := range rows {
		t := r.T + r.Dur // raw rows start a step before their stamp
		if t < from || t >= to {
			continue
		}
		out = append(out, RawPoint{T: t, Values: append([]float64(nil), r.V[:len(sc.Metrics)]...)})
	}
	return out, nil
}

// point appends the point(s) of one sample to pts.
func (s *Store) point(pts []tsdb.Point, sid int64, sc *Schema, smp *Sample) []tsdb.Point {
	at := smp.T / sc.Step * sc.Step
	p := tsdb.Point{SID: sid, T: at, V: [tsdb.MaxMetrics]float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}}
	if sc.Type == Gauge {
		copy(p.V[:], smp.Values)
		return append(pts, p)
	}
	d := s.last[sid]
	if d == nil {
		d = &derive{t: smp.T}
		copy(d.vals[:], smp.Values)
		s.last[sid] = d
		return pts
	}
	dt := smp.T - d.t
	if dt <= 0 {
		s.late.Add(1)
		return pts
	}
	reset := false
	for i, v := range smp.Values {
		if v < d.vals[i] {
			reset = true // p.V[i] stays NaN: unknown, as DERIVE with min 0
		} else {
			p.V[i] = (v - d.vals[i]) / float64(dt)
		}
	}
	if reset {
		s.resets.Add(1)
	}
	prev := d.t / sc.Step * sc.Step
	d.t = smp.T
	copy(d.vals[:], smp.Values)
	if dt > sc.Heartbeat {
		return pts
	}
	// The rate holds for every step since the previous sample's (a late
	// sampler tick leaves no hole and counts the bytes once).
	for t := prev + sc.Step; t <= at; t += sc.Step {
		q := p
		q.T = t
		pts = append(pts, q)
	}
	return pts
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.cfg.Now() }

// Counters returns the store's counters.
func (s *Store) Counters() Counters {
	c := Counters{Samples: s.samples.Load(), Rejected: s.rejected.Load(), Resets: s.resets.Load(),
		Late: s.late.Load(), WriteErrors: s.writeErrs.Load()}
	if db := s.database(); db != nil {
		c.Counters = db.Counters()
	}
	return c
}

func (s *Store) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(s.Counters,
		metrics.Counter("flowgate_timeseries_samples_total", "Time-series samples appended.", func(c *Counters) uint64 { return c.Samples }),
		metrics.Counter("flowgate_timeseries_points_total", "Time-series points written.", func(c *Counters) uint64 { return c.Points }),
		metrics.Counter("flowgate_timeseries_rejected_total", "Samples of a wrong shape, skipped.", func(c *Counters) uint64 { return c.Rejected }),
		metrics.Counter("flowgate_timeseries_resets_total", "Counter resets (gaps) in the sampled series.", func(c *Counters) uint64 { return c.Resets }),
		metrics.Counter("flowgate_timeseries_write_errors_total", "Point batches not stored.", func(c *Counters) uint64 { return c.WriteErrors }),
		metrics.Counter("flowgate_timeseries_rollups_total", "Roll-up statements run.", func(c *Counters) uint64 { return c.Rollups }),
		metrics.Counter("flowgate_timeseries_deleted_total", "Points removed by retention.", func(c *Counters) uint64 { return c.Deleted }),
		metrics.Counter("flowgate_timeseries_maintenance_errors_total", "Failed roll-ups or retention deletes.", func(c *Counters) uint64 { return c.MaintErrors }),
		metrics.Counter("flowgate_timeseries_queries_total", "Time-series reads.", func(c *Counters) uint64 { return c.Queries }),
		metrics.Gauge("flowgate_timeseries_series", "Series registered.", func(c *Counters) float64 { return float64(c.Series) }),
	))
}
