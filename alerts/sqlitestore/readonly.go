package sqlitestore

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// MaxSelectRows bounds the rows a user SELECT returns.
const MaxSelectRows = 10_000

// Select runs one read-only SELECT on the alert tables for
// ntop.alert_store_query and returns its rows as column -> value maps
// (int64, float64, string or nil), at most MaxSelectRows.
//
// Two locks guard it: the text must be a single SELECT whose FROM and
// JOIN clauses name only alert tables (no ATTACH, PRAGMA, DML or DDL
// keyword anywhere, no sqlite_ schema tables), and it runs on a
// connection opened read-only with PRAGMA query_only, so a statement
// that slipped past the first check still cannot write.
func (d *DB) Select(ctx context.Context, query string, args ...any) ([]map[string]any, error) {
	if err := CheckSelect(query); err != nil {
		return nil, err
	}
	if err := d.Flush(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadTimeout)
	defer cancel()
	rows, err := d.ro.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("alert store query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		if len(out) == MaxSelectRows {
			return nil, badParam("query", query, fmt.Sprintf("more than %d rows: add a LIMIT", MaxSelectRows))
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok {
				vals[i] = string(b)
			}
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// forbidden are keywords that have no place in a read-only query.
var forbidden = map[string]bool{"ATTACH": true, "DETACH": true, "PRAGMA": true, "INSERT": true, "UPDATE": true,
	"DELETE": true, "REPLACE": true, "CREATE": true, "DROP": true, "ALTER": true, "VACUUM": true, "REINDEX": true,
	"ANALYZE": true, "BEGIN": true, "COMMIT": true, "ROLLBACK": true, "SAVEPOINT": true, "RELEASE": true,
	"UPSERT": true, "LOAD_EXTENSION": true, "READFILE": true, "WRITEFILE": true, "EDIT": true, "FTS3_TOKENIZER": true}

// clauseEnd are the keywords after which a FROM list has ended.
var clauseEnd = map[string]bool{"WHERE": true, "GROUP": true, "ORDER": true, "LIMIT": true, "HAVING": true,
	"UNION": true, "EXCEPT": true, "INTERSECT": true, "WINDOW": true, "ON": true, "USING": true}

// CheckSelect refuses anything but a single SELECT over the alert tables.
func CheckSelect(query string) error {
	toks, err := tokenize(query)
	if err != nil {
		return badParam("query", query, err.Error())
	}
	for len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 || !strings.EqualFold(toks[0].text, "SELECT") {
		return badParam("query", query, "only SELECT is allowed")
	}
	// inFrom[depth]: the tokens at depth are a FROM/JOIN list, expecting
	// a table name next (expect) or after a comma.
	type state struct{ inFrom, expect bool }
	stack := []state{{}}
	for _, t := range toks {
		top := &stack[len(stack)-1]
		up := strings.ToUpper(t.text)
		switch {
		case t.text == ";":
			return badParam("query", query, "one statement only")
		case t.kind == tokWord && forbidden[up]:
			return badParam("query", query, up+" is not allowed")
		case (t.kind == tokWord || t.kind == tokQuoted) && strings.HasPrefix(strings.ToLower(t.ident()), "sqlite_"):
			return badParam("query", query, "schema tables are not allowed")
		case t.text == "(":
			// A subquery in a FROM list stands for a table: its own FROM
			// is checked inside.
			top.expect = false
			stack = append(stack, state{})
			continue
		case t.text == ")":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		case t.kind == tokWord && (up == "FROM" || up == "JOIN"):
			top.inFrom, top.expect = true, true
			continue
		case t.kind == tokWord && clauseEnd[up]:
			top.inFrom, top.expect = false, false
			continue
		case t.text == "," && top.inFrom:
			top.expect = true
			continue
		}
		if top.expect {
			if t.kind != tokWord && t.kind != tokQuoted {
				return badParam("query", query, "FROM must name an alert table")
			}
			if tableByName[strings.ToLower(t.ident())] == nil {
				return badParam("query", query, fmt.Sprintf("%q is not an alert table", t.ident()))
			}
			top.expect = false
		}
	}
	return nil
}

type tokKind int

const (
	tokWord tokKind = iota
	tokQuoted
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind tokKind
	text string
}

// ident is the name a word or quoted identifier stands for.
func (t token) ident() string {
	if t.kind == tokQuoted && len(t.text) >= 2 {
		return strings.ReplaceAll(t.text[1:len(t.text)-1], `""`, `"`)
	}
	return t.text
}

// tokenize splits SQL into words, quoted identifiers, strings, numbers and
// punctuation, dropping comments.
func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out, nil
			}
			i += j + 1
		case strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += j + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == end {
					if end != ']' && j+1 < len(s) && s[j+1] == end {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated quote")
			}
			text := s[i : j+1]
			kind := tokQuoted
			if c == '\'' {
				kind = tokString
			} else if c != '"' {
				text = `"` + strings.ReplaceAll(text[1:len(text)-1], `"`, `""`) + `"`
			}
			out = append(out, token{kind, text})
			i = j + 1
		case c == '_' || unicode.IsLetter(rune(c)) || c >= 0x80:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 0x80 || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, token{tokWord, s[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] == '.' || s[j] == 'x' || s[j] == 'X' || unicode.IsDigit(rune(s[j])) || (s[j] >= 'a' && s[j] <= 'f') || (s[j] >= 'A' && s[j] <= 'F')) {
				j++
			}
			out = append(out, token{tokNumber, s[i:j]})
			i = j
		default:
			out = append(out, token{tokPunct, string(c)})
			i++
		}
	}
	return out, nil
}
