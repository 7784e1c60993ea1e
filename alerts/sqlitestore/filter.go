package sqlitestore

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// ErrBadParam is wrapped by every error about a caller's parameter (an
// unknown filter field, operator, sort column, a non-numeric value): REST
// answers them with INVALID_ARGUMENTS.
var ErrBadParam = errors.New("invalid argument")

// BadParamError names the parameter and why it was refused.
type BadParamError struct {
	Param, Value, Reason string
}

func (e *BadParamError) Error() string {
	return fmt.Sprintf("bad %s %q: %s", e.Param, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBadParam) true.
func (e *BadParamError) Unwrap() error { return ErrBadParam }

func badParam(param, value, reason string) error {
	if len(value) > 64 {
		value = value[:64] + "…"
	}
	return &BadParamError{param, value, reason}
}

// Op is one of ntopng's filter operators (tag_utils.tag_operators).
type Op string

// The operators. In and NotIn are ntopng's "contains" and "does not
// contain" (SQL LIKE '%v%'), on text columns only.
const (
	OpEq    Op = "eq"
	OpNeq   Op = "neq"
	OpLt    Op = "lt"
	OpGt    Op = "gt"
	OpGte   Op = "gte"
	OpLte   Op = "lte"
	OpIn    Op = "in"
	OpNotIn Op = "nin"
)

var sqlOps = map[Op]string{OpEq: "=", OpNeq: "!=", OpLt: "<", OpGt: ">", OpGte: ">=", OpLte: "<=",
	OpIn: "LIKE", OpNotIn: "NOT LIKE"}

// Filter is one "value;op" condition on a field.
type Filter struct {
	Field string
	Op    Op
	Value string
}

// maxFilterValue bounds a filter value; maxFilters the conditions of one query.
const (
	maxFilterValue = 256
	maxFilters     = 64
)

// ParseFilters reads a parameter in ntopng's form: "value;op", several
// separated by commas ("5;eq,7;eq"); a value without ";op" means eq.
func ParseFilters(field, raw string) ([]Filter, error) {
	var out []Filter
	for _, part := range strings.Split(raw, ",") {
		if part == "" {
			continue
		}
		v, op := part, OpEq
		if i := strings.LastIndexByte(part, ';'); i >= 0 {
			v, op = part[:i], Op(part[i+1:])
		}
		if _, ok := sqlOps[op]; !ok {
			return nil, badParam(field, raw, "unknown operator "+strconv.Quote(string(op))+" (eq, neq, lt, gt, gte, lte, in, nin)")
		}
		if len(v) > maxFilterValue {
			return nil, badParam(field, raw, "value too long")
		}
		out = append(out, Filter{Field: field, Op: op, Value: v})
	}
	return out, nil
}

// cond is a compiled filter: SQL with its arguments, and the same test on
// an alert's column values (for engaged alerts, which live in memory).
type cond struct {
	sql   string
	args  []any
	match func(v rowVals) bool
}

// rowVals are an alert's column values: int64 or string (nil: NULL).
type rowVals map[string]any

func valuesOf(a *alerts.Alert) (rowVals, *table) {
	t := tableByFamily[FamilyOf(a)]
	v := rowVals{}
	vals := append(commonValues(a), t.values(a)...)
	i := 0
	for _, c := range t.columns() {
		if c.fixed {
			v[c.name] = c.def
			continue
		}
		if c.typ == colReal {
			v[c.name] = vals[i] // a float64: compared as SQLite compares REAL with an integer
		} else {
			v[c.name] = normalize(vals[i])
		}
		i++
	}
	return v, t
}

func normalize(x any) any {
	switch x := x.(type) {
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	return x
}

// fieldAliases are ntopng's filter names that are not plain columns.
var fieldAliases = map[string]string{"row_id": "rowid", "alert_type": "alert_id", "ifid": "interface_id"}

// unfilterable columns hold documents, not values to compare.
var unfilterable = map[string]bool{"json": true, "description": true}

// compileFilters turns the filters into conditions on table t: each field's
// eq and in conditions are OR-ed, its other conditions AND-ed (as ntopng's
// alert_store does with "any" and "all"), and the fields AND-ed.
func compileFilters(t *table, fs []Filter) ([]cond, error) {
	if len(fs) > maxFilters {
		return nil, badParam("filters", strconv.Itoa(len(fs)), "too many conditions")
	}
	var order []string
	groups := map[string][2][]cond{} // [0] any (OR), [1] all (AND)
	for _, f := range fs {
		c, err := compileFilter(t, f)
		if err != nil {
			return nil, err
		}
		g, seen := groups[f.Field]
		if !seen {
			order = append(order, f.Field)
		}
		if f.Op == OpEq || f.Op == OpIn {
			g[0] = append(g[0], c)
		} else {
			g[1] = append(g[1], c)
		}
		groups[f.Field] = g
	}
	var out []cond
	for _, field := range order {
		g := groups[field]
		if len(g[0]) > 0 {
			out = append(out, orConds(g[0]))
		}
		out = append(out, g[1]...)
	}
	return out, nil
}

func orConds(cs []cond) cond {
	if len(cs) == 1 {
		return cs[0]
	}
	var parts []string
	var args []any
	for _, c := range cs {
		parts = append(parts, c.sql)
		args = append(args, c.args...)
	}
	return cond{sql: "(" + strings.Join(parts, " OR ") + ")", args: args, match: func(v rowVals) bool {
		for _, c := range cs {
			if c.match(v) {
				return true
			}
		}
		return false
	}}
}

func compileFilter(t *table, f Filter) (cond, error) {
	field := f.Field
	if a, ok := fieldAliases[field]; ok {
		field = a
	}
	value := f.Value
	switch field {
	case "severity":
		if s, ok := alerts.ParseSeverity(value); ok {
			value = strconv.Itoa(int(s))
		}
	case "alert_id":
		if ti, ok := alerts.TypeByKey(value); ok {
			value = strconv.Itoa(ti.ID)
		}
	case "ip", "cli_ip", "srv_ip", "name", "cli_name", "srv_name":
		// "10.0.0.1@5": the host and its VLAN, as ntopng's hostkey.
		_, hasVLAN := t.column("vlan_id")
		if t.family == FamilyFlow && (field == "ip" || field == "name") {
			pre := "ip"
			if field == "name" {
				pre = "name"
			}
			a, err := columnCond(t, "cli_"+pre, f.Op, hostPart(value, hasVLAN), f.Field)
			if err != nil {
				return cond{}, err
			}
			b, _ := columnCond(t, "srv_"+pre, f.Op, hostPart(value, hasVLAN), f.Field)
			c := eitherCond(a, b, f.Op)
			return withVLAN(t, c, value, f, hasVLAN)
		}
		c, err := columnCond(t, field, f.Op, hostPart(value, hasVLAN), f.Field)
		if err != nil {
			return cond{}, err
		}
		return withVLAN(t, c, value, f, hasVLAN)
	case "l7proto":
		// ntopng: the application or its master protocol.
		if t.family != FamilyFlow {
			break
		}
		a, err := columnCond(t, "l7_proto", f.Op, value, f.Field)
		if err != nil {
			return cond{}, err
		}
		b, _ := columnCond(t, "l7_master_proto", f.Op, value, f.Field)
		return eitherCond(a, b, f.Op), nil
	}
	return columnCond(t, field, f.Op, value, f.Field)
}

// eitherCond is "a or b" for positive operators and "a and b" for
// negative ones (neither side is v).
func eitherCond(a, b cond, op Op) cond {
	j, and := " OR ", false
	if op == OpNeq || op == OpNotIn {
		j, and = " AND ", true
	}
	return cond{sql: "(" + a.sql + j + b.sql + ")", args: append(append([]any{}, a.args...), b.args...),
		match: func(v rowVals) bool {
			if and {
				return a.match(v) && b.match(v)
			}
			return a.match(v) || b.match(v)
		}}
}

func hostPart(v string, hasVLAN bool) string {
	if !hasVLAN {
		return v
	}
	h, _, ok := splitVLAN(v)
	if ok {
		return h
	}
	return v
}

func splitVLAN(v string) (host string, vlan int, ok bool) {
	i := strings.LastIndexByte(v, '@')
	if i < 0 {
		return v, 0, false
	}
	n, err := strconv.Atoi(v[i+1:])
	if err != nil || n < 0 || n > 4095 {
		return v, 0, false
	}
	return v[:i], n, true
}

// withVLAN adds "and vlan_id = n" (or "or vlan_id != n" for neq) when the
// value names a VLAN other than 0, as ntopng does.
func withVLAN(t *table, c cond, value string, f Filter, hasVLAN bool) (cond, error) {
	_, vlan, ok := splitVLAN(value)
	if !hasVLAN || !ok || vlan == 0 {
		return c, nil
	}
	if f.Op != OpEq && f.Op != OpNeq {
		return c, nil
	}
	vc, err := columnCond(t, "vlan_id", f.Op, strconv.Itoa(vlan), f.Field)
	if err != nil {
		return cond{}, err
	}
	if f.Op == OpEq {
		return cond{sql: "(" + c.sql + " AND " + vc.sql + ")", args: append(append([]any{}, c.args...), vc.args...),
			match: func(v rowVals) bool { return c.match(v) && vc.match(v) }}, nil
	}
	return cond{sql: "(" + c.sql + " OR " + vc.sql + ")", args: append(append([]any{}, c.args...), vc.args...),
		match: func(v rowVals) bool { return c.match(v) || vc.match(v) }}, nil
}

// columnCond compares one whitelisted column with a bound value.
func columnCond(t *table, col string, op Op, value, param string) (cond, error) {
	c, ok := t.column(col)
	if !ok || unfilterable[col] {
		return cond{}, badParam(param, value, "no such filter on "+t.name)
	}
	q := quoteIdent(c.name)
	switch c.typ {
	case colInt, colReal:
		if op == OpIn || op == OpNotIn {
			return cond{}, badParam(param, value, "in/nin apply to text fields")
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return cond{}, badParam(param, value, "not an integer")
		}
		return cond{sql: q + " " + sqlOps[op] + " ?", args: []any{n},
			match: func(v rowVals) bool { return cmpOp(compareAny(v[c.name], n), op, v[c.name] == nil) }}, nil
	}
	if op == OpIn || op == OpNotIn {
		pat := "%" + likeEscape(value) + "%"
		neg := op == OpNotIn
		return cond{sql: q + " " + sqlOps[op] + ` ? ESCAPE '\'`, args: []any{pat},
			match: func(v rowVals) bool {
				s, ok := v[c.name].(string)
				if !ok {
					return false // NULL is neither LIKE nor NOT LIKE
				}
				return strings.Contains(s, value) != neg
			}}, nil
	}
	return cond{sql: q + " " + sqlOps[op] + " ?", args: []any{value},
		match: func(v rowVals) bool { return cmpOp(compareAny(v[c.name], value), op, v[c.name] == nil) }}, nil
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// compareAny compares a column value with a filter value of the column's
// type, as SQLite does for same-typed values.
func compareAny(x any, y any) int {
	switch y := y.(type) {
	case int64:
		if xf, ok := x.(float64); ok { // a REAL column
			return cmp.Compare(xf, float64(y))
		}
		xi, _ := x.(int64)
		switch {
		case xi < y:
			return -1
		case xi > y:
			return 1
		}
		return 0
	case string:
		xs, _ := x.(string)
		return strings.Compare(xs, y)
	}
	return 0
}

// cmpOp applies op to a comparison result; comparisons with NULL are
// false, as in SQL.
func cmpOp(c int, op Op, null bool) bool {
	if null {
		return false
	}
	switch op {
	case OpEq:
		return c == 0
	case OpNeq:
		return c != 0
	case OpLt:
		return c < 0
	case OpGt:
		return c > 0
	case OpGte:
		return c >= 0
	case OpLte:
		return c <= 0
	}
	return false
}
