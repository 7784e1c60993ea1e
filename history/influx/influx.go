// Package influx exports the time-series samples to an InfluxDB 1.x
// server (or anything speaking its write API, such as VictoriaMetrics) as
// ntopng's InfluxDB driver writes them: line protocol over HTTP POST
// /write?db=DB&precision=s, measurement = the schema name
// ("iface:traffic"), tags = the schema's tags, fields = its metrics
// (counters as the counter's value, not a rate: dashboards made for
// ntopng take their DERIVATIVE), in batches. While the server is down the
// batches go to a bounded on-disk spool (a store record log) and are sent,
// oldest first, when it answers again; what does not fit is counted as
// dropped. docs/timeseries.md describes the option (--ts-influxdb).
package influx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/history"
	"flowgate/internal/metrics"
	"flowgate/internal/ratelog"
	"flowgate/store"
)

// SpoolFile is the spool's file in the data dir.
const SpoolFile = "influxdb-spool.log"

// Configuration of the exporter.
type Configuration struct {
	// URL is http(s)://[user:password@]host:port/database.
	URL string
	// Instance, when set, is the value of an `instance` tag on every
	// point: several flowgate instances writing one database stay apart.
	Instance string
	// DataDir holds the spool (SpoolFile); empty: no spool (batches
	// are dropped, counted, while the server is down).
	DataDir string
	// BatchLines is the most lines per POST (5000).
	BatchLines int
	// FlushEvery is how often pending lines are sent (1 s).
	FlushEvery time.Duration
	// RetryMin and RetryMax bound the back-off after a failure (1 s, 30 s).
	RetryMin, RetryMax time.Duration
	// SpoolBytes bounds the spool (64 MiB); PendingLines the lines held
	// in memory between flushes (100,000: more go to the spool at once).
	SpoolBytes   int64
	PendingLines int
	// Timeout of one HTTP request (10 s).
	Timeout time.Duration
	Logger  *slog.Logger
	Metrics prometheus.Registerer
}

// DefaultConfiguration is what --ts-influxdb uses.
func DefaultConfiguration() Configuration {
	return Configuration{BatchLines: 5000, FlushEvery: time.Second, RetryMin: time.Second, RetryMax: 30 * time.Second,
		SpoolBytes: 64 << 20, PendingLines: 100000, Timeout: 10 * time.Second}
}

// Counters of the exporter.
type Counters struct {
	Points        uint64 `json:"points"`         // points accepted from the store
	Sent          uint64 `json:"sent"`           // points the server acknowledged
	Batches       uint64 `json:"batches"`        // successful POSTs
	SendErrors    uint64 `json:"send_errors"`    // failed POSTs (server down, 5xx)
	Rejected      uint64 `json:"rejected"`       // points in batches the server refused (4xx): not retried
	Spooled       uint64 `json:"spooled"`        // points written to the spool
	Dropped       uint64 `json:"dropped"`        // points lost: the spool was full (or absent)
	SpoolErrors   uint64 `json:"spool_errors"`   // failed spool writes
	SpoolPoints   uint64 `json:"spool_points"`   // points in the spool now
	SpoolBytes    uint64 `json:"spool_bytes"`    // bytes in the spool now
	PendingPoints uint64 `json:"pending_points"` // points in memory waiting for the next flush
}

// Exporter sends samples to InfluxDB. Write is what the store's Subscribe
// takes.
type Exporter struct {
	cfg      Configuration
	writeURL string
	user     string
	pass     string
	redacted string
	client   *http.Client
	log      *slog.Logger
	rlog     *ratelog.Limiter

	mu        sync.Mutex
	pending   []byte // lines, each ending in '\n'
	pendingN  int
	spool     []batch // mirror of the spool log's records, oldest first
	spoolSize int64
	spoolLog  *store.Log

	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	points, sent, batches, sendErrs, rejected, spooled, dropped, spoolErrs atomic.Uint64
}

// batch is one spool record: lines and their count.
type batch struct {
	n     int
	lines []byte
}

// New checks the configuration and returns an inert exporter.
func New(cfg Configuration) (*Exporter, error) {
	def := DefaultConfiguration()
	if cfg.BatchLines <= 0 {
		cfg.BatchLines = def.BatchLines
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = def.FlushEvery
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = def.RetryMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(def.RetryMax, cfg.RetryMin)
	}
	if cfg.SpoolBytes <= 0 {
		cfg.SpoolBytes = def.SpoolBytes
	}
	if cfg.PendingLines <= 0 {
		cfg.PendingLines = def.PendingLines
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("influxdb: URL %q: want http(s)://host:port/database", redact(cfg.URL))
	}
	db := strings.Trim(u.Path, "/")
	if db == "" || strings.ContainsAny(db, "/?#&") {
		return nil, fmt.Errorf("influxdb: URL %s: the path must be the database name", redact(cfg.URL))
	}
	e := &Exporter{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}, log: cfg.Logger,
		rlog: ratelog.New(cfg.Logger, 30*time.Second)}
	if u.User != nil {
		e.user = u.User.Username()
		e.pass, _ = u.User.Password()
	}
	q := url.Values{"db": {db}, "precision": {"s"}}
	w := url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/write", RawQuery: q.Encode()}
	e.writeURL = w.String()
	e.redacted = redact(cfg.URL)
	e.registerMetrics(cfg.Metrics)
	return e, nil
}

// redact removes a password from a URL for logs and errors.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil {
			return "(unparsable URL)"
		}
		return s
	}
	return u.Redacted()
}

// Start opens the spool (replaying what a previous run left) and starts
// the sender.
func (e *Exporter) Start() error {
	if e.cfg.DataDir != "" {
		var recs []batch
		var size int64
		l, err := store.OpenLog(filepath.Join(e.cfg.DataDir, SpoolFile), store.LogOptions{MaxRecord: 16 << 20},
			func(rec []byte) error {
				n := bytes.Count(rec, []byte{'\n'})
				if n == 0 || rec[len(rec)-1] != '\n' {
					return fmt.Errorf("%w: not line protocol", store.ErrBadRecord)
				}
				recs = append(recs, batch{n: n, lines: append([]byte(nil), rec...)})
				size += int64(len(rec)) + 8
				return nil
			})
		if err != nil {
			return fmt.Errorf("influxdb spool: %w", err)
		}
		e.mu.Lock()
		e.spoolLog, e.spool, e.spoolSize = l, recs, size
		e.mu.Unlock()
	}
	e.kick = make(chan struct{}, 1)
	e.stop, e.done = make(chan struct{}), make(chan struct{})
	go e.loop()
	return nil
}

// Stop sends nothing more: pending lines go to the spool (sent at the
// next start), and the spool is closed.
func (e *Exporter) Stop() {
	if e.stop == nil {
		return
	}
	close(e.stop)
	<-e.done
	e.stop = nil
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pendingN > 0 {
		e.spoolLocked(batch{n: e.pendingN, lines: e.pending})
		e.pending, e.pendingN = nil, 0
	}
	if e.spoolLog != nil {
		if err := e.spoolLog.Close(); err != nil {
			e.log.Warn("influxdb spool: close", "err", err)
		}
		e.spoolLog = nil
	}
}

// Write formats a batch of samples as line protocol and queues it. It is
// the store's subscriber: it only appends to memory (or, past
// PendingLines, to the spool) and never blocks on the network.
func (e *Exporter) Write(samples []history.Sample) {
	var buf []byte
	n := 0
	for i := range samples {
		var ok bool
		if buf, ok = AppendLine(buf, &samples[i], e.cfg.Instance); ok {
			n++
		}
	}
	if n == 0 {
		return
	}
	e.points.Add(uint64(n))
	e.mu.Lock()
	e.pending = append(e.pending, buf...)
	e.pendingN += n
	full := e.pendingN >= e.cfg.BatchLines
	if e.pendingN >= e.cfg.PendingLines {
		// The sender is far behind (the server is slow or down): keep
		// memory bounded.
		e.spoolLocked(batch{n: e.pendingN, lines: e.pending})
		e.pending, e.pendingN = nil, 0
	}
	e.mu.Unlock()
	if full && e.kick != nil {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
}

// AppendLine appends the line of one sample: measurement = schema name,
// tags in name order (with instance, when not empty, as the tag
// `instance`), fields = metrics as floats, time in seconds. A sample of
// the wrong shape or without a finite value is skipped.
func AppendLine(b []byte, s *history.Sample, instance string) ([]byte, bool) {
	sc := s.Schema
	if sc == nil || len(s.Tags) != len(sc.Tags) || len(s.Values) != len(sc.Metrics) {
		return b, false
	}
	start := len(b)
	b = appendEscaped(b, sc.Name, ",  ")
	idx := make([]int, len(sc.Tags))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return sc.Tags[idx[i]] < sc.Tags[idx[j]] })
	for _, t := range sc.Tags {
		if t == instanceTag {
			instance = "" // the schema's own tag wins
		}
	}
	for _, i := range idx {
		if instance != "" && sc.Tags[i] > instanceTag {
			b = appendTag(b, instanceTag, instance)
			instance = ""
		}
		if s.Tags[i] == "" {
			continue // line protocol has no empty tag values
		}
		b = append(b, ',')
		b = appendEscaped(b, sc.Tags[i], ",= ")
		b = append(b, '=')
		b = appendEscaped(b, s.Tags[i], ",= ")
	}
	if instance != "" {
		b = appendTag(b, instanceTag, instance)
	}
	nf := 0
	for i, m := range sc.Metrics {
		v := s.Values[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if nf == 0 {
			b = append(b, ' ')
		} else {
			b = append(b, ',')
		}
		b = appendEscaped(b, m, ",= ")
		b = append(b, '=')
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		nf++
	}
	if nf == 0 {
		return b[:start], false
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.T, 10)
	return append(b, '\n'), true
}

func appendEscaped(b []byte, s, special string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\r' {
			c = ' ' // a newline would end the line
		}
		if c == '\\' || strings.IndexByte(special, c) >= 0 {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return b
}

// spoolLocked keeps a batch for later: in the spool when it fits, else
// dropped (counted, logged with a bound).
func (e *Exporter) spoolLocked(bt batch) {
	size := int64(len(bt.lines)) + 8
	if e.spoolLog == nil || e.spoolSize+size > e.cfg.SpoolBytes {
		e.dropped.Add(uint64(bt.n))
		e.rlog.Warn("influx-drop", "influxdb: spool full or absent, points dropped", "points", bt.n, "spool_bytes", e.spoolSize)
		return
	}
	if err := e.spoolLog.Append(bt.lines); err != nil {
		e.spoolErrs.Add(1)
		e.dropped.Add(uint64(bt.n))
		e.rlog.Warn("influx-spool", "influxdb: spool write failed, points dropped", "points", bt.n, "err", err)
		return
	}
	e.spool = append(e.spool, bt)
	e.spoolSize += size
	e.spooled.Add(uint64(bt.n))
}

func (e *Exporter) loop() {
	defer close(e.done)
	t := time.NewTimer(e.cfg.FlushEvery)
	defer t.Stop()
	backoff := time.Duration(0)
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		case <-e.kick:
			if backoff > 0 {
				continue // failing: wait for the timer
			}
		}
		if e.round() {
			backoff = 0
		} else {
			backoff = min(max(2*backoff, e.cfg.RetryMin), e.cfg.RetryMax)
		}
		next := e.cfg.FlushEvery
		if backoff > 0 {
			next = backoff
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(next)
	}
}

// round sends the spool (oldest first) then the pending lines; it reports
// false when the server could not be reached (what was not sent is in the
// spool).
func (e *Exporter) round() bool {
	ok := e.drain()
	e.mu.Lock()
	p := e.pending
	e.pending, e.pendingN = nil, 0
	e.mu.Unlock()
	for len(p) > 0 {
		part, rest, k := split(p, e.cfg.BatchLines)
		if ok {
			ok = e.send(part, k)
		}
		if !ok {
			e.mu.Lock()
			e.spoolLocked(batch{n: k, lines: part})
			e.mu.Unlock()
		}
		p = rest
	}
	return ok
}

// split cuts at most max lines off the front of p.
func split(p []byte, maxLines int) (part, rest []byte, n int) {
	i := 0
	for n < maxLines && i < len(p) {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			i = len(p)
		} else {
			i += j + 1
		}
		n++
	}
	return p[:i], p[i:], n
}

// drain sends the spooled batches; when all are sent the spool file is
// emptied (a crash before that resends them: InfluxDB keeps one point per
// series and time, so a resent point overwrites itself).
func (e *Exporter) drain() bool {
	for {
		e.mu.Lock()
		if len(e.spool) == 0 {
			e.mu.Unlock()
			return true
		}
		bt := e.spool[0]
		e.mu.Unlock()
		if !e.send(bt.lines, bt.n) {
			return false
		}
		e.mu.Lock()
		e.spool = e.spool[1:]
		e.spoolSize -= int64(len(bt.lines)) + 8
		if len(e.spool) == 0 && e.spoolLog != nil {
			if err := e.spoolLog.Rewrite(func(func([]byte) error) error { return nil }); err != nil {
				e.spoolErrs.Add(1)
				e.rlog.Warn("influx-spool", "influxdb: spool truncation failed (batches will be resent)", "err", err)
			}
			e.spoolSize = 0
		}
		e.mu.Unlock()
	}
}

// send POSTs lines; true when they need not be retried (sent, or refused
// as malformed: retrying would not help).
func (e *Exporter) send(lines []byte, n int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.writeURL, bytes.NewReader(lines))
	if err != nil {
		e.sendErrs.Add(1)
		return false
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if e.user != "" {
		req.SetBasicAuth(e.user, e.pass)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.sendErrs.Add(1)
		// url.Error carries the URL without the password (it is in the
		// header, not the URL).
		e.rlog.Warn("influx-send", "influxdb: write failed, spooling", "server", e.redacted, "err", errors.Unwrap(err))
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		e.sent.Add(uint64(n))
		e.batches.Add(1)
		return true
	case resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout:
		// Bad lines, unknown database, bad credentials: resending the
		// same bytes cannot succeed.
		e.rejected.Add(uint64(n))
		e.rlog.Warn("influx-reject", "influxdb: batch refused, dropped", "server", e.redacted, "status", resp.StatusCode, "points", n, "body", strings.TrimSpace(string(body)))
		return true
	default:
		e.sendErrs.Add(1)
		e.rlog.Warn("influx-send", "influxdb: write failed, spooling", "server", e.redacted, "status", resp.StatusCode)
		return false
	}
}

// Counters returns the exporter's counters.
func (e *Exporter) Counters() Counters {
	c := Counters{Points: e.points.Load(), Sent: e.sent.Load(), Batches: e.batches.Load(), SendErrors: e.sendErrs.Load(),
		Rejected: e.rejected.Load(), Spooled: e.spooled.Load(), Dropped: e.dropped.Load(), SpoolErrors: e.spoolErrs.Load()}
	e.mu.Lock()
	for _, b := range e.spool {
		c.SpoolPoints += uint64(b.n)
	}
	c.SpoolBytes = uint64(e.spoolSize)
	c.PendingPoints = uint64(e.pendingN)
	e.mu.Unlock()
	return c
}

func (e *Exporter) registerMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(e.Counters,
		metrics.Counter("flowgate_influxdb_points_total", "Time-series points queued for InfluxDB.", func(c *Counters) uint64 { return c.Points }),
		metrics.Counter("flowgate_influxdb_sent_points_total", "Points InfluxDB acknowledged.", func(c *Counters) uint64 { return c.Sent }),
		metrics.Counter("flowgate_influxdb_batches_total", "Successful writes to InfluxDB.", func(c *Counters) uint64 { return c.Batches }),
		metrics.Counter("flowgate_influxdb_send_errors_total", "Failed writes (server down or 5xx), retried from the spool.", func(c *Counters) uint64 { return c.SendErrors }),
		metrics.Counter("flowgate_influxdb_rejected_points_total", "Points in batches InfluxDB refused (4xx), not retried.", func(c *Counters) uint64 { return c.Rejected }),
		metrics.Counter("flowgate_influxdb_spooled_points_total", "Points written to the on-disk spool.", func(c *Counters) uint64 { return c.Spooled }),
		metrics.Counter("flowgate_influxdb_dropped_points_total", "Points lost: the spool was full.", func(c *Counters) uint64 { return c.Dropped }),
		metrics.Counter("flowgate_influxdb_spool_errors_total", "Failed spool writes.", func(c *Counters) uint64 { return c.SpoolErrors }),
		metrics.Gauge("flowgate_influxdb_spool_points", "Points in the spool.", func(c *Counters) float64 { return float64(c.SpoolPoints) }),
		metrics.Gauge("flowgate_influxdb_spool_bytes", "Bytes in the spool.", func(c *Counters) float64 { return float64(c.SpoolBytes) }),
	))
}

// instanceTag is the tag naming the flowgate instance (Configuration.Instance).
const instanceTag = "instance"

func appendTag(b []byte, k, v string) []byte {
	b = append(b, ',')
	b = appendEscaped(b, k, ",= ")
	b = append(b, '=')
	return appendEscaped(b, v, ",= ")
}
