package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"flowgate/history/tsdb"
)

// ErrBadQuery wraps every error of a query's parameters (the REST answers
// invalid_args for them).
var ErrBadQuery = errors.New("bad time-series query")

// Query bounds.
const (
	MaxPoints = 10000       // a limit above this is refused
	MaxRange  = 400 * 86400 // a range longer than this is refused (the longest tier keeps a year)
	minEpoch  = 946684800   // 2000-01-01: earlier epochs are refused
	maxEpoch  = 4102444800  // 2100-01-01
	topMax    = 100         // top-k bound
	defPoints = 180         // points when no limit is given
	aggAvg    = "avg"       // ts_aggregation values
	aggMax    = "max"       //
	aggMin    = "min"       //
	topPrefix = "top:"      // ts_schema prefix of top-k queries
	tagSep    = ","         // ts_query separator ("ifid:1,host:10.0.0.1")
	tagKV     = ":"         //
	maxQuery  = 512         // bytes of ts_query
	maxTags   = 8           // tags in ts_query
)

// Query is one ts.lua request.
type Query struct {
	Schema      string
	Tags        map[string]string
	Begin, End  int64
	Limit       int    // points wanted (0: 180)
	Aggregation string // avg (default), max or min
	TopK        int    // top: queries, 0: 10
}

// ParseTags reads a ts_query ("ifid:1,host:10.0.0.1"). An IPv6 host
// value keeps its colons: only the first colon of an item separates.
func ParseTags(q string) (map[string]string, error) {
	if len(q) > maxQuery {
		return nil, fmt.Errorf("%w: ts_query longer than %d bytes", ErrBadQuery, maxQuery)
	}
	out := map[string]string{}
	if strings.TrimSpace(q) == "" {
		return out, nil
	}
	items := strings.FieldsFunc(q, func(r rune) bool { return r == ',' || r == ';' })
	if len(items) > maxTags {
		return nil, fmt.Errorf("%w: more than %d tags", ErrBadQuery, maxTags)
	}
	for _, it := range items {
		k, v, ok := strings.Cut(it, tagKV)
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%w: ts_query item %q is not tag:value", ErrBadQuery, it)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: tag %q given twice", ErrBadQuery, k)
		}
		if err := CheckTagValue(v); err != nil {
			return nil, fmt.Errorf("%w: tag %s: %v", ErrBadQuery, k, err)
		}
		out[k] = v
	}
	return out, nil
}

// Stats are ntopng's per-series statistics.
type Stats struct {
	Total   float64 `json:"total"`
	Average float64 `json:"average"`
	P95     float64 `json:"95th_percentile"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
}

// SeriesData is one metric (or one top-k entry) of a result: its points
// (NaN for no data) and statistics.
type SeriesData struct {
	ID    string
	Tags  map[string]string // top-k entries: the entry's tags
	Data  []float64
	Stats Stats
}

// Result is ts.lua's answer before JSON.
type Result struct {
	Schema     string
	Query      string
	Begin, End int64
	Step       int64 // seconds per point
	Points     int
	Tier       string // the tier read (raw, 1m, 1h, 1d)
	Series     []SeriesData
}

func (q *Query) check() (*Schema, error) {
	name := strings.TrimPrefix(q.Schema, topPrefix)
	sc := Lookup(name)
	if sc == nil {
		return nil, fmt.Errorf("%w: unknown schema %q", ErrBadQuery, q.Schema)
	}
	if q.Begin < minEpoch || q.End > maxEpoch || q.Begin >= q.End {
		return nil, fmt.Errorf("%w: epoch range [%d, %d] is empty, reversed or out of bounds", ErrBadQuery, q.Begin, q.End)
	}
	if q.End-q.Begin > MaxRange {
		return nil, fmt.Errorf("%w: epoch range of %d s is longer than %d s", ErrBadQuery, q.End-q.Begin, MaxRange)
	}
	if q.Limit == 0 {
		q.Limit = defPoints
	}
	if q.Limit < 1 || q.Limit > MaxPoints {
		return nil, fmt.Errorf("%w: limit %d not in [1, %d]", ErrBadQuery, q.Limit, MaxPoints)
	}
	switch q.Aggregation {
	case "":
		q.Aggregation = aggAvg
	case aggAvg, aggMax, aggMin:
	default:
		return nil, fmt.Errorf("%w: ts_aggregation %q: want avg, max or min", ErrBadQuery, q.Aggregation)
	}
	if q.TopK == 0 {
		q.TopK = 10
	}
	if q.TopK < 1 || q.TopK > topMax {
		return nil, fmt.Errorf("%w: topk %d not in [1, %d]", ErrBadQuery, q.TopK, topMax)
	}
	return sc, nil
}

// width is the seconds per consolidated point: a whole number of steps,
// at most limit points over the range.
func width(sc *Schema, begin, end int64, limit int) int64 {
	steps := (end - begin + sc.Step - 1) / sc.Step
	per := (steps + int64(limit) - 1) / int64(limit)
	return max(per, 1) * sc.Step
}

// Query answers one series query: each metric of the series consolidated
// to at most Limit points, with statistics. A series never written gives
// points without data (ntopng answers the same for an empty RRD).
func (s *Store) Query(ctx context.Context, q Query) (*Result, error) {
	sc, err := q.check()
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(q.Schema, topPrefix) {
		return s.top(ctx, sc, q)
	}
	return s.series(ctx, sc, q)
}

// series reads one series of sc for a checked query (Query, and
// Scripts.Query for the schemas scripts define).
func (s *Store) series(ctx context.Context, sc *Schema, q Query) (*Result, error) {
	vals, err := sc.TagValues(q.Tags)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadQuery, err)
	}
	db := s.database()
	if db == nil {
		return nil, errors.New("time series: not started")
	}
	begin := q.Begin / sc.Step * sc.Step
	w := width(sc, begin, q.End, q.Limit)
	res := &Result{Schema: q.Schema, Query: formatTags(sc, q.Tags), Begin: begin, End: q.End, Step: w}
	res.Points = int((q.End - begin + w - 1) / w)
	var rows []tsdb.Row
	if series := db.Lookup(sc.Name, sc.key(vals)); series != nil {
		rows, _, err = db.Read(ctx, series, begin, q.End, w, s.cfg.Now())
		if err != nil {
			return nil, err
		}
	}
	for m, name := range sc.Metrics {
		sd := SeriesData{ID: name}
		sd.Data, sd.Stats = consolidate(rows, m, begin, q.End, w, res.Points, q.Aggregation, sc.Type)
		res.Series = append(res.Series, sd)
	}
	return res, nil
}

func formatTags(sc *Schema, tags map[string]string) string {
	var parts []string
	for _, t := range sc.Tags {
		if v, ok := tags[t]; ok {
			parts = append(parts, t+tagKV+v)
		}
	}
	return strings.Join(parts, tagSep)
}

// consolidate folds rows (metric m) into n points of w seconds from
// begin: each point is the time-weighted average of the rows it overlaps
// (or their max/min). The total is the integral of a counter's rate (the
// bytes of a traffic series) or the sum of a gauge's points.
func consolidate(rows []tsdb.Row, m int, begin, end, w int64, n int, agg string, typ MetricType) ([]float64, Stats) {
	sum := make([]float64, n)
	cov := make([]float64, n)
	ext := make([]float64, n)
	for i := range ext {
		ext[i] = math.NaN()
	}
	var integral float64
	for _, r := range rows {
		v := r.V[m]
		if math.IsNaN(v) {
			continue
		}
		lo, hi := max(r.T, begin), min(r.T+r.Dur, end)
		for lo < hi {
			i := (lo - begin) / w
			if i >= int64(n) {
				break
			}
			bEnd := min(begin+(i+1)*w, hi)
			d := float64(bEnd - lo)
			sum[i] += v * d
			cov[i] += d
			integral += v * d
			if math.IsNaN(ext[i]) || (agg == aggMax && v > ext[i]) || (agg == aggMin && v < ext[i]) {
				ext[i] = v
			}
			lo = bEnd
		}
	}
	data := make([]float64, n)
	var present []float64
	for i := range data {
		switch {
		case cov[i] == 0:
			data[i] = math.NaN()
			continue
		case agg == aggAvg:
			data[i] = sum[i] / cov[i]
		default:
			data[i] = ext[i]
		}
		present = append(present, data[i])
	}
	st := Stats{}
	if len(present) == 0 {
		return data, st
	}
	sorted := append([]float64(nil), present...)
	sort.Float64s(sorted)
	var tot float64
	for _, v := range present {
		tot += v
	}
	st.Average = tot / float64(len(present))
	st.Min, st.Max = sorted[0], sorted[len(sorted)-1]
	st.P95 = sorted[max(int(math.Ceil(0.95*float64(len(sorted))))-1, 0)]
	if typ == Counter {
		st.Total = integral
	} else {
		st.Total = tot
	}
	return data, st
}

// top answers "top:<schema>": the series of the schema matching the given
// tags, ranked by the integral of all their metrics over the range (the
// top talkers, the top protocols), the first TopK with their points
// summed over metrics. The tags not given name each entry.
func (s *Store) top(ctx context.Context, sc *Schema, q Query) (*Result, error) {
	for k, v := range q.Tags {
		if !sc.HasTag(k) {
			return nil, fmt.Errorf("%w: schema %s has no tag %q", ErrBadQuery, sc.Name, k)
		}
		if err := CheckTagValue(v); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadQuery, err)
		}
	}
	var free []string
	for _, t := range sc.Tags {
		if _, ok := q.Tags[t]; !ok {
			free = append(free, t)
		}
	}
	if len(free) == 0 {
		return nil, fmt.Errorf("%w: a top query leaves a tag of %s out (e.g. host)", ErrBadQuery, sc.Name)
	}
	db := s.database()
	if db == nil {
		return nil, errors.New("time series: not started")
	}
	begin := q.Begin / sc.Step * sc.Step
	sums, err := db.Sums(ctx, sc.Name, sc.Step, begin, q.End, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	type cand struct {
		series *tsdb.Series
		tags   map[string]string
		total  float64
	}
	var cands []cand
	for _, sm := range sums {
		ser := db.SeriesByID(sm.SID)
		if ser == nil {
			continue
		}
		tags := sc.parseKey(ser.Tags)
		match := true
		for k, v := range q.Tags {
			if tags[k] != v {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		var tot float64
		for m := range sc.Metrics {
			tot += sm.V[m]
		}
		cands = append(cands, cand{ser, tags, tot})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].total != cands[j].total {
			return cands[i].total > cands[j].total
		}
		return cands[i].series.ID < cands[j].series.ID
	})
	if len(cands) > q.TopK {
		cands = cands[:q.TopK]
	}
	w := width(sc, begin, q.End, q.Limit)
	res := &Result{Schema: q.Schema, Query: formatTags(sc, q.Tags), Begin: begin, End: q.End, Step: w}
	res.Points = int((q.End - begin + w - 1) / w)
	for _, c := range cands {
		rows, _, err := db.Read(ctx, c.series, begin, q.End, w, s.cfg.Now())
		if err != nil {
			return nil, err
		}
		// One series per entry: its metrics summed per row.
		for i := range rows {
			var v float64
			any := false
			for m := range sc.Metrics {
				if !math.IsNaN(rows[i].V[m]) {
					v += rows[i].V[m]
					any = true
				}
			}
			rows[i].V[0] = math.NaN()
			if any {
				rows[i].V[0] = v
			}
		}
		var id []string
		for _, t := range free {
			id = append(id, c.tags[t])
		}
		sd := SeriesData{ID: strings.Join(id, tagSep), Tags: c.tags}
		sd.Data, sd.Stats = consolidate(rows, 0, begin, q.End, w, res.Points, q.Aggregation, sc.Type)
		res.Series = append(res.Series, sd)
	}
	return res, nil
}
