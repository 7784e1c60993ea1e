// Package rrd is a round-robin database with rrdtool's semantics, for the
// ntop.rrd_* functions scripts call: data sources of type GAUGE, COUNTER
// (with 32- and 64-bit wrap), DERIVE and ABSOLUTE, a heartbeat after which
// a value is unknown, min/max bounds, primary data points (PDPs) of one
// step consolidated into archives (RRAs) with AVERAGE, MAX, MIN or LAST
// and an xff. The arithmetic is rrdtool's (docs/rrd.md lists the rules
// with the worked examples the tests check). Files are flowgate's own
// format (Store), not rrdtool's: an .rrd written by rrdtool does not open.
package rrd

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrBadArg wraps every error of an argument (a DS or RRA spec, an update
// string, a CF, a time range).
var ErrBadArg = errors.New("rrd: bad argument")

// Bounds of one RRD (every write is bounded).
const (
	MaxDS    = 64
	MaxRRA   = 32
	MaxCells = 4 << 20 // rows × data sources over all archives
	maxName  = 19      // rrdtool's DS name length
)

// Data-source types.
const (
	Gauge    = "GAUGE"
	Counter  = "COUNTER"
	Derive   = "DERIVE"
	Absolute = "ABSOLUTE"
)

// Consolidation functions.
const (
	Average = "AVERAGE"
	Max     = "MAX"
	Min     = "MIN"
	Last    = "LAST"
)

// DS is a data source and its PDP in progress.
type DS struct {
	Name      string
	Type      string
	Heartbeat int64
	Min, Max  float64 // NaN: no bound (rrdtool's U)
	LastDS    string  // the last value given ("U" when unknown)
	Value     float64 // value × seconds accumulated in the current PDP (NaN: none known)
	UnknownS  int64   // unknown seconds in the current PDP
}

// CDP is the consolidation in progress of one archive for one DS.
type CDP struct {
	Value   float64 // running sum (AVERAGE), max, min or last; NaN: none yet
	Known   int64   // known PDPs in the row
	Unknown int64   // unknown PDPs in the row
}

// RRA is an archive: Rows rows of PDPs consolidated PDPs at a time.
type RRA struct {
	CF      string
	XFF     float64
	PDPs    int64 // PDPs per row
	Rows    int64
	Data    []float64 // Rows × len(DS), row at time T in slot (T/rowStep)%Rows
	LastRow int64     // time of the newest row written (0: none)
	CDP     []CDP     // one per DS
}

// RRD is one round-robin database.
type RRD struct {
	Step       int64
	LastUpdate int64
	DS         []DS
	RRA        []RRA
}

// Create builds an RRD from rrdtool's create arguments
// ("DS:name:TYPE:heartbeat:min:max", "RRA:CF:xff:steps:rows") with its
// last update at start.
func Create(step, start int64, specs []string) (*RRD, error) {
	if step < 1 || step > 86400*365 {
		return nil, fmt.Errorf("%w: step %d", ErrBadArg, step)
	}
	if start < 0 {
		return nil, fmt.Errorf("%w: start %d", ErrBadArg, start)
	}
	r := &RRD{Step: step, LastUpdate: start}
	for _, s := range specs {
		f := strings.Split(s, ":")
		switch f[0] {
		case "DS":
			d, err := parseDS(f)
			if err != nil {
				return nil, err
			}
			for _, o := range r.DS {
				if o.Name == d.Name {
					return nil, fmt.Errorf("%w: data source %q twice", ErrBadArg, d.Name)
				}
			}
			// A PDP begun before start counts as unknown up to start.
			d.UnknownS = start % step
			d.Value = 0
			r.DS = append(r.DS, d)
		case "RRA":
			a, err := parseRRA(f)
			if err != nil {
				return nil, err
			}
			r.RRA = append(r.RRA, a)
		default:
			return nil, fmt.Errorf("%w: %q is neither a DS nor an RRA", ErrBadArg, s)
		}
	}
	if len(r.DS) == 0 || len(r.RRA) == 0 {
		return nil, fmt.Errorf("%w: an RRD needs at least one DS and one RRA", ErrBadArg)
	}
	if len(r.DS) > MaxDS || len(r.RRA) > MaxRRA {
		return nil, fmt.Errorf("%w: more than %d data sources or %d archives", ErrBadArg, MaxDS, MaxRRA)
	}
	var cells int64
	for i := range r.RRA {
		cells += r.RRA[i].Rows * int64(len(r.DS))
		if cells > MaxCells {
			return nil, fmt.Errorf("%w: more than %d cells", ErrBadArg, MaxCells)
		}
	}
	for i := range r.RRA {
		a := &r.RRA[i]
		a.Data = make([]float64, a.Rows*int64(len(r.DS)))
		for j := range a.Data {
			a.Data[j] = math.NaN()
		}
		a.CDP = make([]CDP, len(r.DS))
		// The PDPs of the current row before start are unknown (rrdtool).
		pre := (start - start%step) % (step * a.PDPs) / step
		for j := range a.CDP {
			a.CDP[j] = CDP{Value: math.NaN(), Unknown: pre}
		}
	}
	return r, nil
}

func parseBound(s string) (float64, error) {
	if s == "U" {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("%w: bound %q", ErrBadArg, s)
	}
	return v, nil
}

func validName(n string) bool {
	if n == "" || len(n) > maxName {
		return false
	}
	for _, c := range n {
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func parseDS(f []string) (DS, error) {
	if len(f) != 6 {
		return DS{}, fmt.Errorf("%w: %q is not DS:name:TYPE:heartbeat:min:max", ErrBadArg, strings.Join(f, ":"))
	}
	d := DS{Name: f[1], Type: f[2], LastDS: "U"}
	if !validName(d.Name) {
		return DS{}, fmt.Errorf("%w: data source name %q (1-19 of [A-Za-z0-9_-])", ErrBadArg, d.Name)
	}
	switch d.Type {
	case Gauge, Counter, Derive, Absolute:
	default:
		return DS{}, fmt.Errorf("%w: data source type %q", ErrBadArg, d.Type)
	}
	hb, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || hb < 1 {
		return DS{}, fmt.Errorf("%w: heartbeat %q", ErrBadArg, f[3])
	}
	d.Heartbeat = hb
	if d.Min, err = parseBound(f[4]); err != nil {
		return DS{}, err
	}
	if d.Max, err = parseBound(f[5]); err != nil {
		return DS{}, err
	}
	if !math.IsNaN(d.Min) && !math.IsNaN(d.Max) && d.Min >= d.Max {
		return DS{}, fmt.Errorf("%w: min %v not below max %v", ErrBadArg, d.Min, d.Max)
	}
	return d, nil
}

func parseRRA(f []string) (RRA, error) {
	if len(f) != 5 {
		return RRA{}, fmt.Errorf("%w: %q is not RRA:CF:xff:steps:rows", ErrBadArg, strings.Join(f, ":"))
	}
	a := RRA{CF: f[1]}
	if !validCF(a.CF) {
		return RRA{}, fmt.Errorf("%w: consolidation function %q", ErrBadArg, a.CF)
	}
	var err error
	if a.XFF, err = strconv.ParseFloat(f[2], 64); err != nil || !(a.XFF >= 0 && a.XFF < 1) {
		return RRA{}, fmt.Errorf("%w: xff %q (0 <= xff < 1)", ErrBadArg, f[2])
	}
	if a.PDPs, err = strconv.ParseInt(f[3], 10, 64); err != nil || a.PDPs < 1 || a.PDPs > 1<<20 {
		return RRA{}, fmt.Errorf("%w: steps %q", ErrBadArg, f[3])
	}
	if a.Rows, err = strconv.ParseInt(f[4], 10, 64); err != nil || a.Rows < 1 || a.Rows > MaxCells {
		return RRA{}, fmt.Errorf("%w: rows %q", ErrBadArg, f[4])
	}
	return a, nil
}

func validCF(cf string) bool {
	switch cf {
	case Average, Max, Min, Last:
		return true
	}
	return false
}

// ParseUpdate reads rrdtool's update argument "N:v1:v2" or "T:v1:v2" ("U"
// for unknown values); N is now.
func ParseUpdate(arg string, now int64) (int64, []string, error) {
	f := strings.Split(arg, ":")
	if len(f) < 2 {
		return 0, nil, fmt.Errorf("%w: update %q is not time:value[:value...]", ErrBadArg, arg)
	}
	t := now
	if f[0] != "N" {
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || v < 0 || v > 1<<40 {
			return 0, nil, fmt.Errorf("%w: update time %q", ErrBadArg, f[0])
		}
		t = int64(v)
	}
	for _, v := range f[1:] {
		if v == "U" {
			continue
		}
		if x, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, nil, fmt.Errorf("%w: update value %q", ErrBadArg, v)
		}
	}
	return t, f[1:], nil
}

// Update applies one update at t: vals are the values of the data sources
// in order (strings as rrdtool takes them, "U" for unknown).
func (r *RRD) Update(t int64, vals []string) error {
	if len(vals) != len(r.DS) {
		return fmt.Errorf("%w: %d values for %d data sources", ErrBadArg, len(vals), len(r.DS))
	}
	if t <= r.LastUpdate {
		return fmt.Errorf("%w: illegal attempt to update using time %d when last update time is %d (minimum one second step)", ErrBadArg, t, r.LastUpdate)
	}
	interval := t - r.LastUpdate
	fi := float64(interval)
	pdpNew := make([]float64, len(r.DS))
	for i := range r.DS {
		d := &r.DS[i]
		pdpNew[i] = math.NaN()
		if interval <= d.Heartbeat && vals[i] != "U" {
			v, _ := strconv.ParseFloat(vals[i], 64)
			switch d.Type {
			case Gauge:
				pdpNew[i] = v * fi
			case Absolute:
				pdpNew[i] = v
			case Counter, Derive:
				if d.LastDS != "U" {
					last, _ := strconv.ParseFloat(d.LastDS, 64)
					delta := v - last
					if d.Type == Counter && delta < 0 {
						delta += 4294967296 // a 32-bit counter wrapped
						if delta < 0 {
							delta += 18446744069414584320 // a 64-bit one (2^64 - 2^32)
						}
					}
					pdpNew[i] = delta
				}
			}
			if rate := pdpNew[i] / fi; !math.IsNaN(rate) &&
				(!math.IsNaN(d.Min) && rate < d.Min || !math.IsNaN(d.Max) && rate > d.Max) {
				pdpNew[i] = math.NaN()
			}
		}
		d.LastDS = vals[i]
	}
	step := r.Step
	proc := r.LastUpdate - r.LastUpdate%step
	occu := t - t%step
	if occu <= proc {
		for i := range r.DS {
			d := &r.DS[i]
			if math.IsNaN(pdpNew[i]) {
				d.UnknownS += interval
			} else {
				if math.IsNaN(d.Value) {
					d.Value = 0
				}
				d.Value += pdpNew[i]
			}
		}
		r.LastUpdate = t
		return nil
	}
	pre, post := occu-r.LastUpdate, t-occu
	pdp := make([]float64, len(r.DS))
	for i := range r.DS {
		d := &r.DS[i]
		var preUnknown int64
		if math.IsNaN(pdpNew[i]) {
			preUnknown = pre
		} else {
			if math.IsNaN(d.Value) {
				d.Value = 0
			}
			d.Value += pdpNew[i] / fi * float64(pre)
		}
		// More than half a step unknown, or a gap over the heartbeat:
		// the PDP is unknown.
		if interval > d.Heartbeat || float64(step)/2 < float64(d.UnknownS+preUnknown) {
			pdp[i] = math.NaN()
		} else {
			pdp[i] = d.Value / float64(occu-proc-d.UnknownS-preUnknown)
		}
		if math.IsNaN(pdpNew[i]) {
			d.UnknownS, d.Value = post, math.NaN()
		} else {
			d.UnknownS, d.Value = 0, pdpNew[i]/fi*float64(post)
		}
	}
	// Every PDP from proc to occu gets the same value (rrdtool).
	for k := range r.RRA {
		r.RRA[k].feed(step, len(r.DS), proc, occu, pdp)
	}
	r.LastUpdate = t
	return nil
}

// feed consolidates the PDPs ending at proc+step ... occu, all of value
// pdp, into the archive. A gap longer than the archive restarts at a row
// boundary: only the last Rows+1 rows can stay in it.
func (a *RRA) feed(step int64, nds int, proc, occu int64, pdp []float64) {
	rstep := step * a.PDPs
	first := proc + step
	if span := (a.Rows + 1) * rstep; occu-first > span {
		first = (occu - span) / rstep * rstep
		for j := range a.CDP {
			a.CDP[j] = CDP{Value: math.NaN()}
		}
		first += step
	}
	for pt := first; pt <= occu; pt += step {
		for j := range a.CDP {
			c := &a.CDP[j]
			v := pdp[j]
			if math.IsNaN(v) {
				c.Unknown++
				continue
			}
			c.Known++
			switch {
			case math.IsNaN(c.Value):
				c.Value = v
			case a.CF == Average:
				c.Value += v
			case a.CF == Max:
				c.Value = math.Max(c.Value, v)
			case a.CF == Min:
				c.Value = math.Min(c.Value, v)
			case a.CF == Last:
				c.Value = v
			}
		}
		if pt%rstep != 0 {
			continue
		}
		slot := (pt / rstep) % a.Rows * int64(nds)
		for j := range a.CDP {
			c := &a.CDP[j]
			v := math.NaN()
			if float64(c.Unknown) <= float64(a.PDPs)*a.XFF && c.Known > 0 {
				v = c.Value
				if a.CF == Average {
					v /= float64(c.Known)
				}
			}
			a.Data[slot+int64(j)] = v
			*c = CDP{Value: math.NaN()}
		}
		a.LastRow = pt
	}
}

// Fetched is what rrd_fetch answers: rows of the archive's step from
// Start (exclusive) to End (inclusive), row i ending at Start+(i+1)×Step.
type Fetched struct {
	Start, End, Step int64
	Names            []string
	Rows             [][]float64 // NaN: unknown
}

// Fetch reads the archive of cf that best covers [start, end] at the
// resolution closest to res (0: the finest), as rrdtool's fetch picks it:
// the archive covering the whole range with the resolution nearest to the
// one asked, else the one covering most of it. start and end are aligned
// to the archive's step (end upwards).
func (r *RRD) Fetch(cf string, start, end, res int64) (*Fetched, error) {
	if !validCF(cf) {
		return nil, fmt.Errorf("%w: consolidation function %q", ErrBadArg, cf)
	}
	if start >= end || start < 0 {
		return nil, fmt.Errorf("%w: start %d not before end %d", ErrBadArg, start, end)
	}
	if res <= 0 {
		res = r.Step
	}
	best, bestPartial := -1, -1
	var bestDiff, bestCover int64
	for i := range r.RRA {
		a := &r.RRA[i]
		if a.CF != cf {
			continue
		}
		rstep := a.PDPs * r.Step
		calEnd := r.LastUpdate - r.LastUpdate%rstep
		calStart := calEnd - rstep*a.Rows
		diff := rstep - res
		if diff < 0 {
			diff = -diff
		}
		if calStart <= start && calEnd >= end {
			if best < 0 || diff < bestDiff {
				best, bestDiff = i, diff
			}
			continue
		}
		cover := min(calEnd, end) - max(calStart, start)
		if bestPartial < 0 || cover > bestCover {
			bestPartial, bestCover = i, cover
		}
	}
	if best < 0 {
		best = bestPartial
	}
	if best < 0 {
		return nil, fmt.Errorf("%w: no %s archive", ErrBadArg, cf)
	}
	a := &r.RRA[best]
	rstep := a.PDPs * r.Step
	start -= start % rstep
	if m := end % rstep; m != 0 {
		end += rstep - m
	}
	n := (end - start) / rstep
	if n > MaxCells {
		return nil, fmt.Errorf("%w: %d rows asked", ErrBadArg, n)
	}
	nds := len(r.DS)
	out := &Fetched{Start: start, End: end, Step: rstep, Rows: make([][]float64, n)}
	for _, d := range r.DS {
		out.Names = append(out.Names, d.Name)
	}
	oldest := a.LastRow - (a.Rows-1)*rstep
	for i := range out.Rows {
		t := start + int64(i+1)*rstep
		row := make([]float64, nds)
		for j := range row {
			row[j] = math.NaN()
		}
		if a.LastRow > 0 && t >= oldest && t <= a.LastRow {
			slot := (t / rstep) % a.Rows * int64(nds)
			copy(row, a.Data[slot:slot+int64(nds)])
		}
		out.Rows[i] = row
	}
	return out, nil
}

// Tune applies rrdtool tune options: -h/--heartbeat ds:hb, -i/--minimum
// ds:min, -a/--maximum ds:max, -d/--data-source-type ds:TYPE,
// -r/--data-source-rename old:new. Nothing changes when one is wrong.
func (r *RRD) Tune(args []string) error {
	ds := append([]DS(nil), r.DS...)
	find := func(name string) (*DS, error) {
		for i := range ds {
			if ds[i].Name == name {
				return &ds[i], nil
			}
		}
		return nil, fmt.Errorf("%w: unknown data source %q", ErrBadArg, name)
	}
	if len(args)%2 != 0 {
		return fmt.Errorf("%w: tune options come in pairs (option, ds:value)", ErrBadArg)
	}
	for i := 0; i < len(args); i += 2 {
		opt := args[i]
		name, val, ok := strings.Cut(args[i+1], ":")
		if !ok {
			return fmt.Errorf("%w: %q is not ds:value", ErrBadArg, args[i+1])
		}
		d, err := find(name)
		if err != nil {
			return err
		}
		switch opt {
		case "-h", "--heartbeat":
			hb, err := strconv.ParseInt(val, 10, 64)
			if err != nil || hb < 1 {
				return fmt.Errorf("%w: heartbeat %q", ErrBadArg, val)
			}
			d.Heartbeat = hb
		case "-i", "--minimum":
			if d.Min, err = parseBound(val); err != nil {
				return err
			}
		case "-a", "--maximum":
			if d.Max, err = parseBound(val); err != nil {
				return err
			}
		case "-d", "--data-source-type":
			switch val {
			case Gauge, Counter, Derive, Absolute:
				d.Type = val
			default:
				return fmt.Errorf("%w: data source type %q", ErrBadArg, val)
			}
		case "-r", "--data-source-rename":
			if !validName(val) {
				return fmt.Errorf("%w: data source name %q", ErrBadArg, val)
			}
			if _, err := find(val); err == nil {
				return fmt.Errorf("%w: data source %q exists", ErrBadArg, val)
			}
			d.Name = val
		default:
			return fmt.Errorf("%w: tune option %q", ErrBadArg, opt)
		}
	}
	r.DS = ds
	return nil
}

// clone is a deep copy.
func (r *RRD) clone() *RRD {
	c := *r
	c.DS = append([]DS(nil), r.DS...)
	c.RRA = make([]RRA, len(r.RRA))
	for i, a := range r.RRA {
		a.Data = append([]float64(nil), a.Data...)
		a.CDP = append([]CDP(nil), a.CDP...)
		c.RRA[i] = a
	}
	return &c
}
