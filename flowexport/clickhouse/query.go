package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"

	"flowgate/flowexport"
)

// The historical-flows REST (ntopng Pro's get/db/flows.lua and friends)
// takes SQL-like clauses. They are parsed here into a small AST whose
// column names come from flowexport.Columns and whose values become
// query parameters: nothing the client sends is pasted into the SQL.

// ErrBadClause is a clause the parser refuses (ntopng's invalid_args).
var ErrBadClause = errors.New("bad clause")

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadClause, fmt.Sprintf(format, args...))
}

// aggregates are the functions select, order and top-k clauses may use.
var aggregates = map[string]string{"SUM": "sum", "COUNT": "count", "MIN": "min", "MAX": "max", "AVG": "avg"}

// Query is a parsed flows query.
type Query struct {
	SQL   string
	Args  []any
	Names []string // answer key of each selected item
	Kinds []string // column name of a bare column item (for formatting), "" for an aggregate
}

// FlowsRequest is get/db/flows.lua's parameters.
type FlowsRequest struct {
	Ifid                        int
	Begin, End                  int64
	Select, Where, Group, Order string
	MaxHits                     int
}

// ParseFlows builds the SQL of a flows.lua request over db.table.
func ParseFlows(db, table string, r FlowsRequest) (*Query, error) {
	q := &Query{}
	items, err := parseSelect(r.Select)
	if err != nil {
		return nil, err
	}
	groups, err := parseColumnList(r.Group, "group_by_clause")
	if err != nil {
		return nil, err
	}
	if len(groups) > 0 {
		gs := map[string]bool{}
		for _, g := range groups {
			gs[g] = true
		}
		for _, it := range items {
			if it.star {
				return nil, badf("select_clause *: not with group_by_clause")
			}
			if it.agg == "" && !gs[it.col] {
				return nil, badf("select_clause %s: not in group_by_clause", it.col)
			}
		}
	}
	var sel []string
	for i, it := range items {
		if it.star {
			for _, c := range flowexport.Columns {
				sel = append(sel, c.Name)
				q.Names, q.Kinds = append(q.Names, c.Name), append(q.Kinds, c.Name)
			}
			continue
		}
		sel = append(sel, q.item(it, i))
	}
	var b strings.Builder
	if err := q.selectWhere(&b, sel, db, table, r.Ifid, r.Begin, r.End, r.Where); err != nil {
		return nil, err
	}
	if len(groups) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(groups, ", "))
	}
	if strings.TrimSpace(r.Order) != "" {
		ord, err := parseOrder(r.Order, items)
		if err != nil {
			return nil, err
		}
		b.WriteString(" ORDER BY " + ord)
	}
	fmt.Fprintf(&b, " LIMIT %d", r.MaxHits) // an int the caller bounded
	q.SQL = b.String()
	return q, nil
}

// item adds it, the i-th selected item, to q's names and kinds (the column
// for a plain one, "" for an aggregate) and returns its select expression.
func (q *Query) item(it selItem, i int) string {
	q.Names = append(q.Names, it.name())
	q.Kinds = append(q.Kinds, map[bool]string{true: it.col, false: ""}[it.agg == ""])
	return fmt.Sprintf("%s AS _c%d", it.sql(), i)
}

// selectWhere writes "SELECT sel FROM db.table WHERE" the interface and
// time bounds and, if not blank, the parsed where clause, adding their
// arguments to q.
func (q *Query) selectWhere(b *strings.Builder, sel []string, db, table string, ifid int, begin, end int64, where string) error {
	fmt.Fprintf(b, "SELECT %s FROM %s.%s WHERE INTERFACE_ID = ? AND FIRST_SEEN >= toDateTime(?) AND LAST_SEEN <= toDateTime(?)",
		strings.Join(sel, ", "), db, table)
	q.Args = append(q.Args, uint16(ifid), begin, end)
	if strings.TrimSpace(where) == "" {
		return nil
	}
	p := &whereParser{}
	var err error
	if p.toks, err = tokenize(where); err != nil {
		return err
	}
	expr, err := p.parse()
	if err != nil {
		return err
	}
	b.WriteString(" AND (" + expr + ")")
	q.Args = append(q.Args, p.args...)
	return nil
}

// TopKRequest is get/db/topk_flows.lua's parameters.
type TopKRequest struct {
	Ifid        int
	Begin, End  int64
	Keys, Value string
	Where, TopK string
	MaxHits     int
}

// ParseTopK builds a top-k query: keys, AGG(value) as "value", largest first.
func ParseTopK(db, table string, r TopKRequest) (*Query, error) {
	keysClause := r.Keys
	if strings.TrimSpace(keysClause) == "" {
		keysClause = "IPV4_SRC_ADDR,IPV4_DST_ADDR,L7_PROTO"
	}
	keys, err := parseColumnList(keysClause, "select_keys_clause")
	if err != nil {
		return nil, err
	}
	value := strings.ToUpper(strings.TrimSpace(r.Value))
	switch value {
	case "", "BYTES":
		value = "TOTAL_BYTES"
	case "FLOWS":
		value = "FLOW_ID"
	}
	if _, ok := flowexport.ColumnIndex[value]; !ok || !numeric(value) {
		return nil, badf("select_values_clause %q: want BYTES, PACKETS or a numeric column", r.Value)
	}
	fn := strings.ToUpper(strings.TrimSpace(r.TopK))
	if fn == "" {
		fn = "SUM"
	}
	agg, ok := aggregates[fn]
	if !ok {
		return nil, badf("topk_clause %q: want SUM, COUNT, MIN, MAX or AVG", r.TopK)
	}
	items := make([]selItem, 0, len(keys)+1)
	for _, k := range keys {
		items = append(items, selItem{col: k})
	}
	items = append(items, selItem{agg: agg, col: value, alias: "value"})
	sel := make([]string, len(items))
	q := &Query{}
	for i, it := range items {
		sel[i] = q.item(it, i)
	}
	var b strings.Builder
	if err := q.selectWhere(&b, sel, db, table, r.Ifid, r.Begin, r.End, r.Where); err != nil {
		return nil, err
	}
	fmt.Fprintf(&b, " GROUP BY %s ORDER BY _c%d DESC LIMIT %d", strings.Join(keys, ", "), len(items)-1, r.MaxHits)
	q.SQL = b.String()
	return q, nil
}

// Filter is one condition of historical_db_search.lua: column, operator
// (eq, neq, lt, gt, in, nin) and a value checked against the column.
type Filter struct {
	Columns []string // several: either may match (the "ip" filter)
	Op      string
	Value   string
}

// SearchRequest is get/db/historical_db_search.lua's parameters.
type SearchRequest struct {
	Ifid          int
	Begin, End    int64
	Start, Length int
	Filters       []Filter
	Order         string // a column, "" for LAST_SEEN
	Desc          bool
}

// ParseSearch builds the rows query and the count query of a search.
func ParseSearch(db, table string, r SearchRequest) (rows, total *Query, err error) {
	var where strings.Builder
	args := []any{uint16(r.Ifid), r.Begin, r.End}
	where.WriteString("INTERFACE_ID = ? AND FIRST_SEEN >= toDateTime(?) AND LAST_SEEN <= toDateTime(?)")
	for _, f := range r.Filters {
		var ors []string
		for _, col := range f.Columns {
			op, ok := map[string]string{"eq": "=", "neq": "!=", "lt": "<", "gt": ">", "lte": "<=", "gte": ">="}[f.Op]
			if f.Op == "in" || f.Op == "nin" {
				if typeOf(col) != "String" {
					return nil, nil, badf("%s: operator %s only applies to text", col, f.Op)
				}
				s := "positionCaseInsensitive(" + col + ", ?) > 0"
				if f.Op == "nin" {
					s = "positionCaseInsensitive(" + col + ", ?) = 0"
				}
				ors = append(ors, s)
				args = append(args, f.Value)
				continue
			}
			if !ok {
				return nil, nil, badf("operator %q: want eq, neq, lt, gt, lte, gte, in or nin", f.Op)
			}
			lhs, v, err := operand(col, token{kind: tkString, text: f.Value})
			if err != nil {
				return nil, nil, err
			}
			ors = append(ors, lhs+" "+op+" "+v.placeholder)
			args = append(args, v.arg)
		}
		joiner := " OR "
		if f.Op == "neq" || f.Op == "nin" {
			joiner = " AND " // "ip != x": neither side is x
		}
		where.WriteString(" AND (" + strings.Join(ors, joiner) + ")")
	}
	order := "LAST_SEEN"
	if r.Order != "" {
		if _, ok := flowexport.ColumnIndex[r.Order]; !ok {
			return nil, nil, badf("sort column %q: unknown", r.Order)
		}
		order = r.Order
	}
	dir := "ASC"
	if r.Desc {
		dir = "DESC"
	}
	names := make([]string, len(flowexport.Columns))
	for i, c := range flowexport.Columns {
		names[i] = c.Name
	}
	rows = &Query{Names: names, Kinds: names, Args: args,
		SQL: fmt.Sprintf("SELECT %s FROM %s.%s WHERE %s ORDER BY %s %s LIMIT %d, %d", strings.Join(names, ", "), db, table, where.String(), order, dir, r.Start, r.Length)}
	total = &Query{Names: []string{"count"}, Kinds: []string{""}, Args: args,
		SQL: fmt.Sprintf("SELECT count() FROM %s.%s WHERE %s", db, table, where.String())}
	return rows, total, nil
}

func typeOf(col string) string {
	if i, ok := flowexport.ColumnIndex[col]; ok {
		return flowexport.Columns[i].Type
	}
	return ""
}

func numeric(col string) bool {
	return strings.HasPrefix(typeOf(col), "UInt")
}

// selItem is one select_clause item: *, COLUMN, AGG(COLUMN) or COUNT(*),
// with an optional AS alias.
type selItem struct {
	star     bool
	agg, col string // agg is ClickHouse's function name
	alias    string
}

func (it selItem) sql() string {
	switch {
	case it.agg == "":
		return it.col
	case it.col == "*":
		return "count()"
	}
	return it.agg + "(" + it.col + ")"
}

func (it selItem) name() string {
	switch {
	case it.alias != "":
		return it.alias
	case it.agg == "":
		return it.col
	case it.col == "*":
		return "COUNT(*)"
	}
	return strings.ToUpper(it.agg) + "(" + it.col + ")"
}

func parseSelect(s string) ([]selItem, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return []selItem{{star: true}}, nil
	}
	var out []selItem
	for _, part := range splitTop(s) {
		it, err := parseItem(part)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if len(out) > len(flowexport.Columns)*2 {
		return nil, badf("select_clause: too many items")
	}
	return out, nil
}

func parseItem(part string) (selItem, error) {
	part = strings.TrimSpace(part)
	var it selItem
	if i := strings.Index(strings.ToUpper(part), " AS "); i >= 0 {
		it.alias = strings.TrimSpace(part[i+4:])
		part = strings.TrimSpace(part[:i])
		if !identRE.MatchString(it.alias) {
			return it, badf("alias %q: want letters, digits and _", it.alias)
		}
	}
	if part == "*" {
		if it.alias != "" {
			return it, badf("* cannot have an alias")
		}
		return selItem{star: true}, nil
	}
	if open := strings.IndexByte(part, '('); open > 0 && strings.HasSuffix(part, ")") {
		fn := strings.ToUpper(strings.TrimSpace(part[:open]))
		agg, ok := aggregates[fn]
		if !ok {
			return it, badf("function %q: want SUM, COUNT, MIN, MAX or AVG", fn)
		}
		col := strings.TrimSpace(part[open+1 : len(part)-1])
		if col == "*" && fn == "COUNT" {
			it.agg, it.col = agg, "*"
			return it, nil
		}
		if _, ok := flowexport.ColumnIndex[col]; !ok {
			return it, badf("column %q: unknown", col)
		}
		if fn != "COUNT" && !numeric(col) && !strings.HasPrefix(typeOf(col), "DateTime") {
			return it, badf("%s(%s): not a numeric column", fn, col)
		}
		it.agg, it.col = agg, col
		return it, nil
	}
	if _, ok := flowexport.ColumnIndex[part]; !ok {
		return it, badf("column %q: unknown", part)
	}
	it.col = part
	return it, nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseColumnList(s, what string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if _, ok := flowexport.ColumnIndex[c]; !ok {
			return nil, badf("%s: column %q unknown", what, c)
		}
		out = append(out, c)
	}
	return out, nil
}

// parseOrder takes "item [ASC|DESC], ...", an item being a column, a
// select alias or a select aggregate.
func parseOrder(s string, items []selItem) (string, error) {
	var out []string
	for _, part := range splitTop(s) {
		f := strings.Fields(strings.TrimSpace(part))
		if len(f) == 0 || len(f) > 2 {
			return "", badf("order_by_clause %q", part)
		}
		dir := "ASC"
		if len(f) == 2 {
			switch strings.ToUpper(f[1]) {
			case "ASC":
			case "DESC":
				dir = "DESC"
			default:
				return "", badf("order_by_clause direction %q: want ASC or DESC", f[1])
			}
		}
		target := ""
		for i, it := range items {
			if !it.star && (f[0] == it.alias || strings.EqualFold(f[0], it.name())) {
				target = fmt.Sprintf("_c%d", i)
			}
		}
		if target == "" {
			if _, ok := flowexport.ColumnIndex[f[0]]; !ok {
				return "", badf("order_by_clause: %q is neither a column nor a selected item", f[0])
			}
			target = f[0]
		}
		out = append(out, target+" "+dir)
	}
	return strings.Join(out, ", "), nil
}

// where_clause grammar:
//
//	expr := term { OR term }      term := factor { AND factor }
//	factor := NOT factor | '(' expr ')' | COLUMN op value
//	op := = | != | <> | < | <= | > | >= | LIKE
//	value := number | 'text' | "text" | an IP | '(' value ')'
//
// ntopng writes IPs quoted inside parentheses (IPV4_SRC_ADDR = ("10.0.0.1"))
// or bare (IPV4_SRC_ADDR = 10.0.0.1): both are taken.

type tokKind int

const (
	tkIdent tokKind = iota
	tkNumber
	tkString
	tkOp
	tkLParen
	tkRParen
)

type token struct {
	kind tokKind
	text string
}

func tokenize(s string) ([]token, error) {
	if len(s) > 4096 {
		return nil, badf("where_clause longer than 4096 bytes")
	}
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tkLParen, "("})
			i++
		case c == ')':
			out = append(out, token{tkRParen, ")"})
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, badf("where_clause: unterminated string")
			}
			out = append(out, token{tkString, s[i+1 : i+1+j]})
			i += j + 2
		case strings.IndexByte("=!<>", c) >= 0:
			j := i + 1
			if j < len(s) && strings.IndexByte("=>", s[j]) >= 0 {
				j++
			}
			op := s[i:j]
			switch op {
			case "=", "!=", "<>", "<", "<=", ">", ">=", "==":
			default:
				return nil, badf("where_clause: operator %q", op)
			}
			out = append(out, token{tkOp, op})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			w := s[i:j]
			kind := tkIdent
			if c >= '0' && c <= '9' || strings.ContainsAny(w, ".:") {
				kind = tkNumber // numbers and bare addresses
			}
			out = append(out, token{kind, w})
			i = j
		default:
			return nil, badf("where_clause: unexpected %q", c)
		}
	}
	if len(out) > 512 {
		return nil, badf("where_clause: too many terms")
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-'
}

type whereParser struct {
	toks  []token
	pos   int
	depth int
	args  []any
}

func (p *whereParser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *whereParser) keyword(k string) bool {
	if t := p.peek(); t != nil && t.kind == tkIdent && strings.EqualFold(t.text, k) {
		p.pos++
		return true
	}
	return false
}

func (p *whereParser) parse() (string, error) {
	s, err := p.expr()
	if err != nil {
		return "", err
	}
	if p.pos != len(p.toks) {
		return "", badf("where_clause: unexpected %q", p.toks[p.pos].text)
	}
	return s, nil
}

func (p *whereParser) expr() (string, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 32 {
		return "", badf("where_clause: nested too deep")
	}
	return p.chain("OR", p.term)
}

func (p *whereParser) term() (string, error) {
	return p.chain("AND", p.factor)
}

// chain parses operand (kw operand)*, joined by kw.
func (p *whereParser) chain(kw string, operand func() (string, error)) (string, error) {
	l, err := operand()
	if err != nil {
		return "", err
	}
	for p.keyword(kw) {
		r, err := operand()
		if err != nil {
			return "", err
		}
		l = l + " " + kw + " " + r
	}
	return l, nil
}

func (p *whereParser) factor() (string, error) {
	if p.keyword("NOT") {
		f, err := p.factor()
		return "NOT " + f, err
	}
	t := p.peek()
	if t == nil {
		return "", badf("where_clause: incomplete")
	}
	if t.kind == tkLParen {
		p.pos++
		e, err := p.expr()
		if err != nil {
			return "", err
		}
		if t := p.peek(); t == nil || t.kind != tkRParen {
			return "", badf("where_clause: missing )")
		}
		p.pos++
		return "(" + e + ")", nil
	}
	if t.kind != tkIdent {
		return "", badf("where_clause: expected a column, got %q", t.text)
	}
	col := t.text
	if _, ok := flowexport.ColumnIndex[col]; !ok {
		return "", badf("where_clause: column %q unknown", col)
	}
	p.pos++
	opTok := p.peek()
	op := ""
	switch {
	case opTok != nil && opTok.kind == tkOp:
		op = opTok.text
		if op == "==" {
			op = "="
		}
	case opTok != nil && opTok.kind == tkIdent && strings.EqualFold(opTok.text, "LIKE"):
		if typeOf(col) != "String" {
			return "", badf("where_clause: LIKE on %s, not a text column", col)
		}
		op = "LIKE"
	default:
		return "", badf("where_clause: expected an operator after %s", col)
	}
	p.pos++
	// The value, possibly in parentheses.
	parens := 0
	for t := p.peek(); t != nil && t.kind == tkLParen; t = p.peek() {
		parens++
		p.pos++
	}
	vt := p.peek()
	if vt == nil || (vt.kind != tkNumber && vt.kind != tkString) {
		return "", badf("where_clause: expected a value after %s %s", col, op)
	}
	p.pos++
	for ; parens > 0; parens-- {
		if t := p.peek(); t == nil || t.kind != tkRParen {
			return "", badf("where_clause: missing )")
		}
		p.pos++
	}
	lhs, v, err := operand(col, *vt)
	if err != nil {
		return "", err
	}
	p.args = append(p.args, v.arg)
	return lhs + " " + op + " " + v.placeholder, nil
}

type value struct {
	placeholder string
	arg         any
}

// operand checks a value against its column's type and returns the column
// expression and the parameter to compare it with.
func operand(col string, t token) (string, value, error) {
	typ := typeOf(col)
	switch {
	case strings.HasPrefix(col, "IPV4_") || col == "PROBE_IP":
		a, err := netip.ParseAddr(t.text)
		if err != nil || !a.Is4() {
			if n, err2 := strconv.ParseUint(t.text, 10, 32); err2 == nil {
				return col, value{"?", uint32(n)}, nil
			}
			return "", value{}, badf("%s: %q is not an IPv4 address", col, t.text)
		}
		b := a.As4()
		return col, value{"?", uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])}, nil
	case strings.HasPrefix(col, "IPV6_"):
		a, err := netip.ParseAddr(t.text)
		if err != nil || !a.Is6() {
			return "", value{}, badf("%s: %q is not an IPv6 address", col, t.text)
		}
		// Text both server generations compare the same way.
		return "IPv6NumToString(" + col + ")", value{"?", a.String()}, nil
	case typ == "DateTime":
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil || n < 0 {
			return "", value{}, badf("%s: %q is not an epoch", col, t.text)
		}
		return col, value{"toDateTime(?)", n}, nil
	case strings.HasPrefix(typ, "UInt"):
		bits, _ := strconv.Atoi(strings.TrimPrefix(typ, "UInt"))
		n, err := strconv.ParseUint(t.text, 10, bits)
		if err != nil {
			return "", value{}, badf("%s: %q is not a %s", col, t.text, typ)
		}
		return col, value{"?", n}, nil
	case typ == "String":
		if len(t.text) > 1024 {
			return "", value{}, badf("%s: value too long", col)
		}
		return col, value{"?", t.text}, nil
	}
	return "", value{}, badf("%s: cannot filter on it", col)
}

// Table is the database and table the writer fills.
func (w *Writer) Table() (db, table string) { return w.cfg.Database, w.cfg.Table }

// Select runs a parsed query and returns its rows as ntopng returns them:
// one object per row, every value as text, addresses and times readable.
func (w *Writer) Select(ctx context.Context, q *Query) ([]map[string]string, error) {
	if w.conn == nil {
		return nil, errors.New("clickhouse: not started")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := w.conn.Query(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse query: %w", err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	if len(types) != len(q.Names) {
		return nil, fmt.Errorf("clickhouse query: %d columns, expected %d", len(types), len(q.Names))
	}
	out := []map[string]string{}
	dest := make([]any, len(types))
	for rows.Next() {
		for i, t := range types {
			dest[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("clickhouse scan: %w", err)
		}
		m := make(map[string]string, len(dest))
		for i, d := range dest {
			m[q.Names[i]] = formatValue(q.Kinds[i], reflect.ValueOf(d).Elem().Interface())
		}
		out = append(out, m)
		if len(out) > 100000 {
			return nil, errors.New("clickhouse query: more than 100,000 rows")
		}
	}
	return out, rows.Err()
}

func formatValue(col string, v any) string {
	switch x := v.(type) {
	case uint32:
		if strings.HasPrefix(col, "IPV4_") || col == "PROBE_IP" {
			return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}).String()
		}
	case string:
		if strings.HasPrefix(col, "IPV6_") && len(x) == 16 {
			return netip.AddrFrom16([16]byte([]byte(x))).String()
		}
		return x
	case netip.Addr:
		return x.String()
	case time.Time:
		return strconv.FormatInt(x.Unix(), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
