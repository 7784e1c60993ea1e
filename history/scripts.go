package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"flowgate/history/tsdb"
)

// Scripts is the store as ts_utils shows it to user scripts: the
// registry's schemas plus those scripts define (ts_utils.newSchema, kept
// by this value, not in the init-time registry), appends of one sample
// and queries by schema name.
type Scripts struct {
	store *Store

	mu      sync.RWMutex
	defined map[string]*Schema
}

// MaxScriptSchemas bounds the schemas scripts may define.
const MaxScriptSchemas = 1024

// ErrSchema wraps the errors of a script's schema or sample.
var ErrSchema = errors.New("time-series schema")

// NewScripts returns the ts_utils side of s.
func NewScripts(s *Store) *Scripts {
	return &Scripts{store: s, defined: map[string]*Schema{}}
}

// Schema returns the schema called name (registered or defined), or nil.
func (x *Scripts) Schema(name string) *Schema {
	if sc := Lookup(name); sc != nil {
		return sc
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.defined[name]
}

func validIdent(s string, colon bool) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || colon && c == ':') {
			return false
		}
	}
	return true
}

func sameShape(a *Schema, step int64, typ MetricType, tags, metrics []string) bool {
	eq := func(x, y []string) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return a.Step == step && a.Type == typ && eq(a.Tags, tags) && eq(a.Metrics, metrics)
}

// Define adds a script's schema. Defining the same schema again (the
// scripts of every run do) is a no-op; a registered or defined name with
// another shape is refused.
func (x *Scripts) Define(name string, step int64, typ MetricType, tags, metrics []string) (*Schema, error) {
	if !validIdent(name, true) {
		return nil, fmt.Errorf("%w: name %q (1-64 of [A-Za-z0-9_:])", ErrSchema, name)
	}
	if step < 1 || step > 86400 {
		return nil, fmt.Errorf("%w %s: step %d not in [1, 86400]", ErrSchema, name, step)
	}
	if len(metrics) == 0 || len(metrics) > tsdb.MaxMetrics || len(tags) > maxTags {
		return nil, fmt.Errorf("%w %s: 1 to %d metrics and at most %d tags", ErrSchema, name, tsdb.MaxMetrics, maxTags)
	}
	seen := map[string]bool{}
	for _, n := range append(append([]string(nil), tags...), metrics...) {
		if !validIdent(n, false) || seen[n] {
			return nil, fmt.Errorf("%w %s: tag or metric name %q invalid or repeated", ErrSchema, name, n)
		}
		seen[n] = true
	}
	if sc := x.Schema(name); sc != nil {
		if !sameShape(sc, step, typ, tags, metrics) {
			return nil, fmt.Errorf("%w %s: already defined with other step, type, tags or metrics", ErrSchema, name)
		}
		return sc, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if sc := x.defined[name]; sc != nil { // defined meanwhile
		if !sameShape(sc, step, typ, tags, metrics) {
			return nil, fmt.Errorf("%w %s: already defined with other step, type, tags or metrics", ErrSchema, name)
		}
		return sc, nil
	}
	if len(x.defined) >= MaxScriptSchemas {
		return nil, fmt.Errorf("%w %s: more than %d script schemas", ErrSchema, name, MaxScriptSchemas)
	}
	sc := &Schema{Name: name, Step: step, Type: typ, Tags: append([]string(nil), tags...),
		Metrics: append([]string(nil), metrics...), Heartbeat: max(2*step, 10), Source: "script"}
	x.defined[name] = sc
	return sc, nil
}

// Append stores one sample of the schema called name (ts_utils.append):
// every tag and every metric of the schema, nothing else.
func (x *Scripts) Append(name string, tags map[string]string, metrics map[string]float64, when int64) error {
	sc := x.Schema(name)
	if sc == nil {
		return fmt.Errorf("%w: unknown schema %q", ErrSchema, name)
	}
	if when < minEpoch || when > maxEpoch {
		return fmt.Errorf("%w %s: time %d out of bounds", ErrSchema, name, when)
	}
	tv, err := sc.TagValues(tags)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	vals := make([]float64, len(sc.Metrics))
	for i, m := range sc.Metrics {
		v, ok := metrics[m]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w %s: metric %s missing or not a number", ErrSchema, name, m)
		}
		vals[i] = v
	}
	for m := range metrics {
		if !contains(sc.Metrics, m) {
			return fmt.Errorf("%w %s has no metric %q", ErrSchema, name, m)
		}
	}
	return x.store.Append([]Sample{{Schema: sc, Tags: tv, Values: vals, T: when}})
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Query answers ts_utils.query: every metric of one series over [begin,
// end], consolidated to at most limit points (0: 180).
func (x *Scripts) Query(ctx context.Context, name string, tags map[string]string, begin, end int64, limit int) (*Result, error) {
	if strings.HasPrefix(name, topPrefix) {
		return nil, fmt.Errorf("%w: top queries are ts.lua's", ErrBadQuery)
	}
	q := Query{Schema: name, Tags: tags, Begin: begin, End: end, Limit: limit}
	if Lookup(name) != nil {
		return x.store.Query(ctx, q)
	}
	x.mu.RLock()
	sc := x.defined[name]
	x.mu.RUnlock()
	if sc == nil {
		return nil, fmt.Errorf("%w: unknown schema %q", ErrBadQuery, name)
	}
	return x.store.querySchema(ctx, sc, q)
}

// querySchema is Query for a schema outside the registry: Query.check's
// bounds without the registry lookup, then the same read.
func (s *Store) querySchema(ctx context.Context, sc *Schema, q Query) (*Result, error) {
	if q.Begin < minEpoch || q.End > maxEpoch || q.Begin >= q.End || q.End-q.Begin > MaxRange {
		return nil, fmt.Errorf("%w: epoch range [%d, %d] is empty, reversed, too long or out of bounds", ErrBadQuery, q.Begin, q.End)
	}
	if q.Limit == 0 {
		q.Limit = defPoints
	}
	if q.Limit < 1 || q.Limit > MaxPoints {
		return nil, fmt.Errorf("%w: limit %d not in [1, %d]", ErrBadQuery, q.Limit, MaxPoints)
	}
	q.Aggregation = aggAvg
	return s.series(ctx, sc, q)
}
