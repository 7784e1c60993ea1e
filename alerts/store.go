// Package alerts is flowgate's alert store with ntopng 4.2 semantics:
// engaged alerts keyed per interface, entity, granularity, type and subtype,
// one-shot stored events (flow alerts are of this kind), a bounded in-memory
// history, and the engage/release/store notifications recipients consume.
package alerts

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Action is what a notification reports about an alert.
type Action string

// The three 4.2 notification actions.
const (
	ActionEngage  Action = "engage"
	ActionRelease Action = "release"
	ActionStore   Action = "store"
)

// Alert is one alert, engaged or historical (4.2 AlertableEntity::luaAlert
// fields plus what notifications carry).
type Alert struct {
	ID          uint64 // assigned by the store, increasing; REST row id
	IfID        int
	Type        int    // alert_keys.ntopng id (49 = alert_threshold_cross)
	Subtype     string // "" or e.g. the script key
	Severity    Severity
	Entity      EntityType
	EntityVal   string // "192.168.1.10@0", "0", "10.0.0.0/8", "flow"
	Granularity int    // seconds: 0 (aperiodic), 60, 300, 3600, 86400
	Tstamp      int64  // epoch of engagement (or of the event)
	TstampEnd   int64  // last confirmation, release time, or = Tstamp for events
	JSON        string // alert_json: the type parameters plus alert_generation
	Action      Action
	Script      string // key of the script that raised it
	Subdir      string // "host", "interface", "network", "flow", "syslog", ...
	Category    int    // user_scripts.script_categories id of the script
	PoolID      int
	Flow        *FlowInfo // set for flow alerts only
	// Acknowledged is set by Store.Acknowledge (ops.go): a user has seen it.
	Acknowledged bool
	// UserLabel is the note given when acknowledging (ntopng's user_label).
	UserLabel string
}

// FlowInfo is what a flow alert notification carries about the flow
// (4.2 Flow::flow2alertJson).
type FlowInfo struct {
	Status       int // flow status key
	Score        int
	FirstSeen    int64
	VLAN         int
	Proto        int    // L4 number
	ProtoNDPI    string // "TLS.Google"
	L7Master     int
	L7Proto      int
	Cli2SrvBytes uint64
	Cli2SrvPkts  uint64
	Srv2CliBytes uint64
	Srv2CliPkts  uint64
	Cli, Srv     FlowPeer
	Info         string // the flow info ("" when none)
	ReplaceAlert bool   // the flow had already been alerted
}

// FlowPeer is one side of an alerted flow.
type FlowPeer struct {
	Addr        string
	Port        int
	Blacklisted bool
	Country     string
	OS          string
	ASN         uint32
	Localhost   bool
}

// Key identifies an engaged alert: one per entity, granularity, type and
// subtype on an interface (ntopng's "<alert_key>@<subtype>" per entity and
// granularity).
type Key struct {
	IfID        int
	Entity      EntityType
	EntityVal   string
	Granularity int
	Type        int
	Subtype     string
}

// Key returns the engaged-alert key of a.
func (a *Alert) Key() Key {
	return Key{a.IfID, a.Entity, a.EntityVal, a.Granularity, a.Type, a.Subtype}
}

// Duration is how long the alert lasted (engaged: so far).
func (a *Alert) Duration() int64 {
	if a.TstampEnd < a.Tstamp {
		return 0
	}
	return a.TstampEnd - a.Tstamp
}

// Config of a Store.
type Config struct {
	// HistorySize bounds the released and stored alerts kept in memory;
	// the oldest are dropped (and counted) beyond it. Default 100,000.
	HistorySize int
	// Now is the clock used when an alert carries no time. Default time.Now.
	Now func() time.Time
	// History, when set, keeps the released and stored alerts instead of
	// the in-memory ring (HistorySize is then unused): the store hands
	// each one to History.Append and reads them back through it.
	History History
	// PoolOf, when set, gives an alert raised without a pool (PoolID 0)
	// the host pool of its entity, which recipient filters select on
	// (pools.AlertPool). It runs in the raising goroutine: no blocking.
	PoolOf func(a *Alert) int
}

// History is a durable home for released and stored alerts (the SQLite
// store of alerts/sqlitestore). Append runs in the goroutine that raised
// the alert, possibly the engine's, so it must never block: a history
// that cannot keep up drops and counts. Query sees every alert appended
// before it was called.
type History interface {
	Append(a Alert)
	Query(q Query) (rows []Alert, total int, err error)
	Acknowledge(q Query, ids []uint64, label string) (int, error)
	Delete(q Query, ids []uint64) (int, error)
	Retain(now time.Time, maxAge time.Duration, maxCount int) (int, error)
	// MaxID is the largest alert ID stored, so that IDs stay unique
	// across restarts.
	MaxID() uint64
}

// DefaultHistorySize is the default bound of the history.
const DefaultHistorySize = 100_000

// Counters are the store's running totals.
type Counters struct {
	Engaged   int    // engaged now
	Triggered uint64 // new engagements
	Released  uint64
	Stored    uint64 // one-shot events
	Dropped   uint64 // history entries dropped for the size bound
	Excluded  uint64 // not raised: an alert exclusion matched (exclusions.go)
}

// Store holds engaged alerts and the history. It is safe for concurrent use:
// periodic hooks of several interfaces write while REST readers list.
type Store struct {
	cfg Config

	mu      sync.RWMutex
	engaged map[Key]*Alert
	hist    []Alert // ring buffer of cap HistorySize
	head    int     // index of the oldest entry when full
	full    bool
	nextID  uint64
	idBase  bool // nextID has been raised above History.MaxID

	subsMu sync.RWMutex
	subs   []func(Notification)

	triggered, released, stored, dropped atomic.Uint64
	excl                                 atomic.Pointer[Exclusions] // exclusions.go
	excluded                             atomic.Uint64
	acked, deleted, expired              atomic.Uint64 // ops.go
}

// NewStore returns an empty store.
func NewStore(cfg Config) *Store {
	if cfg.HistorySize <= 0 {
		cfg.HistorySize = DefaultHistorySize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{cfg: cfg, engaged: map[Key]*Alert{}}
}

// Subscribe registers fn to receive every notification. fn runs in the
// goroutine that changed the store, after the store's lock is released, so
// it must be quick (recipients enqueue and return).
func (s *Store) Subscribe(fn func(Notification)) {
	s.subsMu.Lock()
	s.subs = append(s.subs, fn)
	s.subsMu.Unlock()
}

func (s *Store) notify(a Alert) {
	s.subsMu.RLock()
	subs := s.subs
	s.subsMu.RUnlock()
	for _, fn := range subs {
		fn(Notification{Alert: a})
	}
}

func (s *Store) now() int64 { return s.cfg.Now().Unix() }

func (s *Store) setPool(a *Alert) {
	if a.PoolID == 0 && s.cfg.PoolOf != nil {
		a.PoolID = s.cfg.PoolOf(a)
	}
}

// Trigger engages a. A new engagement is recorded and notified with action
// "engage" and Trigger returns true. Re-triggering an engaged alert refreshes
// its TstampEnd, severity and JSON without a notification and returns false.
func (s *Store) Trigger(a Alert) (new bool) {
	if a.Tstamp == 0 {
		a.Tstamp = s.now()
	}
	if s.excludes(&a) {
		return false
	}
	s.setPool(&a)
	k := a.Key()
	s.mu.Lock()
	if cur, ok := s.engaged[k]; ok {
		if a.Tstamp > cur.TstampEnd {
			cur.TstampEnd = a.Tstamp
		}
		cur.Severity = a.Severity
		if a.JSON != "" {
			cur.JSON = a.JSON
		}
		s.mu.Unlock()
		return false
	}
	a.ID = s.newIDLocked()
	a.TstampEnd = a.Tstamp
	a.Action = ActionEngage
	c := a
	s.engaged[k] = &c
	s.mu.Unlock()
	s.triggered.Add(1)
	s.notify(a)
	return true
}

// Release ends the engaged alert with a's key, moving it to the history
// with action "release" and notifying it. a.TstampEnd (or a.Tstamp) is the
// release time, now when both are zero. It returns false when no such alert
// is engaged.
func (s *Store) Release(a Alert) bool {
	when := a.TstampEnd
	if when == 0 {
		when = a.Tstamp
	}
	if when == 0 {
		when = s.now()
	}
	s.mu.Lock()
	cur, ok := s.engaged[a.Key()]
	if !ok {
		s.mu.Unlock()
		return false
	}
	rel := s.releaseLocked(cur, when)
	s.mu.Unlock()
	s.notify(rel)
	return true
}

func (s *Store) releaseLocked(cur *Alert, when int64) Alert {
	delete(s.engaged, cur.Key())
	rel := *cur
	if when > rel.TstampEnd {
		rel.TstampEnd = when
	}
	rel.Action = ActionRelease
	s.appendLocked(rel)
	s.released.Add(1)
	return rel
}

// StoreEvent records a one-shot alert (action "store", TstampEnd =
// Tstamp) in the history and notifies it. Flow alerts are stored events.
func (s *Store) StoreEvent(a Alert) {
	if a.Tstamp == 0 {
		a.Tstamp = s.now()
	}
	if s.excludes(&a) {
		return
	}
	s.setPool(&a)
	a.TstampEnd = a.Tstamp
	a.Action = ActionStore
	s.mu.Lock()
	a.ID = s.newIDLocked()
	s.appendLocked(a)
	s.mu.Unlock()
	s.stored.Add(1)
	s.notify(a)
}

// newIDLocked returns the next alert ID. With a History the first one
// follows the largest ID it holds, read lazily because the history is
// opened (Start) after the store is built.
func (s *Store) newIDLocked() uint64 {
	if !s.idBase && s.cfg.History != nil {
		s.idBase = true
		if m := s.cfg.History.MaxID(); m > s.nextID {
			s.nextID = m
		}
	}
	s.nextID++
	return s.nextID
}

func (s *Store) appendLocked(a Alert) {
	if h := s.cfg.History; h != nil {
		h.Append(a)
		return
	}
	if !s.full {
		s.hist = append(s.hist, a)
		if len(s.hist) == s.cfg.HistorySize {
			s.full = true
		}
		return
	}
	s.hist[s.head] = a
	s.head = (s.head + 1) % len(s.hist)
	s.dropped.Add(1)
}

// Engaged returns the alerts engaged on one entity of an interface, oldest
// first (what host.getAlerts and friends return, as params.cur_alerts).
func (s *Store) Engaged(ifid int, entity EntityType, val string) []Alert {
	s.mu.RLock()
	var out []Alert
	for k, a := range s.engaged {
		if k.IfID == ifid && k.Entity == entity && k.EntityVal == val {
			out = append(out, *a)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// EngagedAll returns every engaged alert, oldest first (the engaged
// status of the alert lists).
func (s *Store) EngagedAll() []Alert {
	s.mu.RLock()
	out := make([]Alert, 0, len(s.engaged))
	for _, a := range s.engaged {
		out = append(out, *a)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ReleaseStale releases the alerts engaged on interface ifid at the given
// granularity (seconds) for which confirmed returns false, as ntopng does at
// the end of a periodic run with the cur_alerts no script re-confirmed. A
// re-trigger at the run's time sets TstampEnd to it, so a runner can pass
// func(a Alert) bool { return a.TstampEnd >= runStart }.
func (s *Store) ReleaseStale(ifid int, granularity int, confirmed func(Alert) bool) {
	now := s.now()
	var rels []Alert
	s.mu.Lock()
	for k, a := range s.engaged {
		if k.IfID != ifid || k.Granularity != granularity || confirmed(*a) {
			continue
		}
		rels = append(rels, s.releaseLocked(a, now))
	}
	s.mu.Unlock()
	sort.Slice(rels, func(i, j int) bool { return rels[i].ID < rels[j].ID })
	for _, r := range rels {
		s.notify(r)
	}
}

// Counters returns the running totals.
func (s *Store) Counters() Counters {
	s.mu.RLock()
	n := len(s.engaged)
	s.mu.RUnlock()
	return Counters{Engaged: n, Triggered: s.triggered.Load(), Released: s.released.Load(),
		Stored: s.stored.Load(), Dropped: s.dropped.Load(), Excluded: s.excluded.Load()}
}

// Status selects engaged or historical alerts in a Query.
type Status int

// Query statuses.
const (
	StatusAny        Status = iota
	StatusEngaged           // engaged now
	StatusHistorical        // released or stored
)

// Query filters, sorts and pages List. Nil pointers and zero values mean
// "any".
type Query struct {
	IfID        *int
	Entity      *EntityType
	EntityVal   string
	MinSeverity Severity // severity >= MinSeverity
	Type        *int
	Subtype     string
	From, To    int64 // epoch range the alert overlaps; 0 = open
	Status      Status

	SortBy string // "tstamp" (default), "severity", "type", "duration", "entity_val", "id"
	Asc    bool   // default newest/highest first
	Offset int
	Limit  int // 0 = all
}

// Ptr returns a pointer to v, for Query fields.
func Ptr[T any](v T) *T { return &v }

func (q *Query) match(a *Alert) bool {
	switch {
	case q.IfID != nil && a.IfID != *q.IfID,
		q.Entity != nil && a.Entity != *q.Entity,
		q.EntityVal != "" && a.EntityVal != q.EntityVal,
		a.Severity < q.MinSeverity,
		q.Type != nil && a.Type != *q.Type,
		q.Subtype != "" && a.Subtype != q.Subtype,
		q.From != 0 && a.TstampEnd < q.From,
		q.To != 0 && a.Tstamp > q.To:
		return false
	}
	return true
}

var sorters = map[string]func(a, b *Alert) int{
	"tstamp":     func(a, b *Alert) int { return cmp(a.Tstamp, b.Tstamp) },
	"severity":   func(a, b *Alert) int { return cmp(int64(a.Severity), int64(b.Severity)) },
	"type":       func(a, b *Alert) int { return cmp(int64(a.Type), int64(b.Type)) },
	"duration":   func(a, b *Alert) int { return cmp(a.Duration(), b.Duration()) },
	"entity_val": func(a, b *Alert) int { return strCmp(a.EntityVal, b.EntityVal) },
	"id":         func(a, b *Alert) int { return cmp(int64(a.ID), int64(b.ID)) },
}

func cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func strCmp(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// List returns one page of the alerts matching q and how many matched in
// all. Ties are broken by ID so that pages are stable. A History error
// yields what memory holds (Query reports it).
func (s *Store) List(q Query) (rows []Alert, total int) {
	rows, total, _ = s.Query(q)
	return rows, total
}

// Query is List with the History's error.
func (s *Store) Query(q Query) (rows []Alert, total int, err error) {
	h := s.cfg.History
	s.mu.RLock()
	if q.Status != StatusHistorical {
		for _, a := range s.engaged {
			if q.match(a) {
				rows = append(rows, *a)
			}
		}
	}
	if q.Status != StatusEngaged && h == nil {
		for i := range s.hist {
			if a := &s.hist[i]; q.match(a) {
				rows = append(rows, *a)
			}
		}
	}
	s.mu.RUnlock()
	extra := 0
	if q.Status != StatusEngaged && h != nil {
		// The page of the merged list lies within the history's first
		// Offset+Limit rows in the same order.
		hq := q
		hq.Status = StatusHistorical
		hq.Offset = 0
		if q.Limit > 0 {
			hq.Limit = max(q.Offset, 0) + q.Limit
		}
		var hrows []Alert
		hrows, extra, err = h.Query(hq)
		if err != nil {
			extra = 0
		}
		rows = append(rows, hrows...)
		extra -= len(hrows)
	}
	by := sorters[q.SortBy]
	if by == nil {
		by = sorters["tstamp"]
	}
	sort.Slice(rows, func(i, j int) bool {
		c := by(&rows[i], &rows[j])
		if c == 0 {
			c = cmp(int64(rows[i].ID), int64(rows[j].ID))
		}
		if q.Asc {
			return c < 0
		}
		return c > 0
	})
	total = len(rows) + extra
	from := q.Offset
	if from > len(rows) {
		from = len(rows)
	}
	if from < 0 {
		from = 0
	}
	to := len(rows)
	if q.Limit > 0 && from+q.Limit < to {
		to = from + q.Limit
	}
	return rows[from:to], total, err
}

func itoa(i int) string { return strconv.Itoa(i) }
