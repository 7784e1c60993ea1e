package modules

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The JSON codec behind require("dkjson") and require("json"). It follows
// dkjson 2.5's rules where scripts can tell the difference: a table whose
// keys are 1..n (holes allowed up to dkjson's limit) is an array, so {}
// encodes as []; a __jsontype metafield ("object"/"array") overrides that;
// a __tojson metamethod supplies the text (json.null uses it); decoded
// objects and arrays carry the __jsontype metatables so that they encode
// back the same; decode reports errors as (nil, pos, msg). Object keys are
// written sorted so that output is stable.

type jsonCodec struct {
	null    *lua.LTable // json.null
	objMeta *lua.LTable // {__jsontype="object"}
	arrMeta *lua.LTable // {__jsontype="array"}
	scratch []kv
	members []member              // decode: the members of the objects being decoded
	elems   []lua.LValue          // decode: the elements of the arrays being decoded
	keys    map[string]lua.LValue // decode: object keys seen, boxed once (fillObject)
}

type member struct {
	k string
	v lua.LValue
}

type kv struct {
	k lua.LValue
	v lua.LValue
}

func newJSONCodec(L *lua.LState) *jsonCodec {
	c := &jsonCodec{null: L.NewTable(), objMeta: L.NewTable(), arrMeta: L.NewTable()}
	c.objMeta.RawSetString("__jsontype", lua.LString("object"))
	c.arrMeta.RawSetString("__jsontype", lua.LString("array"))
	nm := L.NewTable()
	nm.RawSetString("__tojson", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("null"))
		return 1
	}))
	nm.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("null"))
		return 1
	}))
	L.SetMetatable(c.null, nm)
	return c
}

// module builds the dkjson table.
func (c *jsonCodec) module(L *lua.LState) *lua.LTable {
	m := L.NewTable()
	m.RawSetString("version", lua.LString("dkjson 2.5 (flowgate)"))
	m.RawSetString("null", c.null)
	m.RawSetString("encode", L.NewFunction(c.luaEncode))
	m.RawSetString("decode", L.NewFunction(c.luaDecode))
	m.RawSetString("quotestring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(appendJSONString(nil, L.CheckString(1))))
		return 1
	}))
	m.RawSetString("addnewline", L.NewFunction(func(L *lua.LState) int { return 0 }))
	m.RawSetString("use_lpeg", L.NewFunction(func(L *lua.LState) int {
		L.Push(m)
		return 1
	}))
	return m
}

type encState struct {
	L      *lua.LState
	c      *jsonCodec
	buf    []byte
	indent bool
	keyord []lua.LValue
	stack  []*lua.LTable // tables being encoded, for cycle detection
	state  lua.LValue
}

func (c *jsonCodec) luaEncode(L *lua.LState) int {
	e := encState{L: L, c: c, buf: make([]byte, 0, 256)}
	level := 0
	if st, ok := L.Get(2).(*lua.LTable); ok {
		e.state = st
		e.indent = lua.LVAsBool(st.RawGetString("indent"))
		if n, ok := st.RawGetString("level").(lua.LNumber); ok {
			level = int(n)
		}
		if ko, ok := st.RawGetString("keyorder").(*lua.LTable); ok {
			for i := 1; i <= ko.Len(); i++ {
				e.keyord = append(e.keyord, ko.RawGetInt(i))
			}
		}
	}
	if err := e.value(L.Get(1), level); err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LString(e.buf))
	return 1
}

// Encode encodes v as dkjson would; Go callers (the alerts bridge) use it.
func (c *jsonCodec) Encode(L *lua.LState, v lua.LValue) (string, error) {
	e := encState{L: L, c: c, buf: make([]byte, 0, 128)}
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	return string(e.buf), nil
}

func (e *encState) newline(level int) {
	if e.indent {
		e.buf = append(e.buf, '\n')
		for i := 0; i < level; i++ {
			e.buf = append(e.buf, ' ', ' ')
		}
	}
}

func (e *encState) value(v lua.LValue, level int) error {
	switch x := v.(type) {
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case lua.LBool:
		e.buf = strconv.AppendBool(e.buf, bool(x))
	case lua.LNumber:
		e.buf = appendNumber(e.buf, float64(x))
	case lua.LString:
		e.buf = appendJSONString(e.buf, string(x))
	case *lua.LTable:
		return e.table(x, level)
	default:
		return fmt.Errorf("type '%s' is not supported by JSON", v.Type().String())
	}
	return nil
}

func appendNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(b, "null"...) // what dkjson writes
	case f == math.Trunc(f) && math.Abs(f) <= 1<<53:
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

func (e *encState) table(t *lua.LTable, level int) error {
	var jsontype string
	if mt, ok := t.Metatable.(*lua.LTable); ok {
		if fn, ok := mt.RawGetString("__tojson").(*lua.LFunction); ok {
			st := e.state
			if st == nil {
				st = lua.LNil
			}
			if err := e.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, t, st); err != nil {
				return fmt.Errorf("__tojson: %w", err)
			}
			r := e.L.Get(-1)
			e.L.Pop(1)
			s, ok := r.(lua.LString)
			if !ok {
				return fmt.Errorf("__tojson returned %s, not a string", r.Type().String())
			}
			e.buf = append(e.buf, s...)
			return nil
		}
		if s, ok := mt.RawGetString("__jsontype").(lua.LString); ok {
			jsontype = string(s)
		}
	}
	// Nesting is shallow: a scan of the ancestors is cheaper than a map.
	for _, a := range e.stack {
		if a == t {
			return fmt.Errorf("reference cycle")
		}
	}
	e.stack = append(e.stack, t)
	// Collect the pairs once; the scratch slice is shared down the
	// recursion by slicing off the tail.
	base := len(e.c.scratch)
	// Next walks the table's own boxed keys; ForEach would box every string
	// key again (one allocation per member).
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		e.c.scratch = append(e.c.scratch, kv{k, v})
	}
	err := e.tableBody(t, e.c.scratch[base:], jsontype, level)
	clear(e.c.scratch[base:])
	e.c.scratch = e.c.scratch[:base]
	e.stack = e.stack[:len(e.stack)-1]
	return err
}

func (e *encState) tableBody(t *lua.LTable, pairs []kv, jsontype string, level int) error {

	isArr, max := false, 0
	switch jsontype {
	case "array":
		isArr, max = true, t.Len()
	case "object":
	default:
		isArr, max = isArray(pairs)
	}
	if isArr {
		e.buf = append(e.buf, '[')
		for i := 1; i <= max; i++ {
			if i > 1 {
				e.buf = append(e.buf, ',')
			}
			e.newline(level + 1)
			if err := e.value(t.RawGetInt(i), level+1); err != nil {
				return err
			}
		}
		if max > 0 {
			e.newline(level)
		}
		e.buf = append(e.buf, ']')
		return nil
	}
	e.buf = append(e.buf, '{')
	first := true
	done := map[string]bool(nil)
	if len(e.keyord) > 0 {
		done = map[string]bool{}
		for _, k := range e.keyord {
			ks, ok := keyString(k)
			if !ok || done[ks] {
				continue
			}
			v := t.RawGet(k)
			if v == lua.LNil {
				continue
			}
			done[ks] = true
			if err := e.member(ks, v, level, &first); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(pairs, func(a, b kv) int {
		if lessKey(a.k, b.k) {
			return -1
		}
		if lessKey(b.k, a.k) {
			return 1
		}
		return 0
	})
	for _, p := range pairs {
		ks, ok := keyString(p.k)
		if !ok {
			return fmt.Errorf("type '%s' is not supported as a key by JSON", p.k.Type().String())
		}
		if done[ks] {
			continue
		}
		if err := e.member(ks, p.v, level, &first); err != nil {
			return err
		}
	}
	if !first {
		e.newline(level)
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encState) member(k string, v lua.LValue, level int, first *bool) error {
	if !*first {
		e.buf = append(e.buf, ',')
	}
	*first = false
	e.newline(level + 1)
	e.buf = appendJSONString(e.buf, k)
	e.buf = append(e.buf, ':')
	return e.value(v, level+1)
}

func keyString(k lua.LValue) (string, bool) {
	switch x := k.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return string(appendNumber(nil, float64(x))), true
	}
	return "", false
}

// lessKey orders numbers before strings, each in natural order.
func lessKey(a, b lua.LValue) bool {
	as, aStr := a.(lua.LString)
	bs, bStr := b.(lua.LString)
	switch {
	case aStr && bStr:
		return as < bs
	case aStr != bStr:
		return !aStr
	}
	an, _ := a.(lua.LNumber)
	bn, _ := b.(lua.LNumber)
	return an < bn
}

// isArray is dkjson's rule: only positive integer keys (and a numeric "n"),
// and not too sparse.
func isArray(pairs []kv) (bool, int) {
	max, n, arraylen := 0, 0, 0
	for _, p := range pairs {
		if s, ok := p.k.(lua.LString); ok && s == "n" {
			if num, ok := p.v.(lua.LNumber); ok {
				arraylen = int(num)
				if arraylen > max {
					max = arraylen
				}
				continue
			}
		}
		num, ok := p.k.(lua.LNumber)
		if !ok || num < 1 || float64(num) != math.Floor(float64(num)) {
			return false, 0
		}
		if int(num) > max {
			max = int(num)
		}
		n++
	}
	if max > 10 && max > arraylen && max > n*2 {
		return false, 0
	}
	return true, max
}

// appendJSONString escapes like dkjson: quotes, backslash, control
// characters and the characters JavaScript treats as line ends; other bytes,
// including non-UTF-8 ones, pass through.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// ---- decoding ----

type decoder struct {
	L       *lua.LState
	c       *jsonCodec
	s       string
	pos     int
	nullval lua.LValue
	objMeta lua.LValue
	arrMeta lua.LValue
	depth   int
}

type jsonError struct {
	msg string
	pos int
}

func (c *jsonCodec) luaDecode(L *lua.LState) int {
	s := L.CheckString(1)
	pos := L.OptInt(2, 1)
	d := decoder{L: L, c: c, s: s, pos: pos - 1, nullval: L.Get(3), objMeta: c.objMeta, arrMeta: c.arrMeta}
	if L.GetTop() >= 4 {
		d.objMeta = L.Get(4)
	}
	if L.GetTop() >= 5 {
		d.arrMeta = L.Get(5)
	}
	if d.pos < 0 {
		d.pos = 0
	}
	v, err := d.decode()
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LNumber(err.pos + 1))
		L.Push(lua.LString(err.msg + " at " + d.where(err.pos)))
		return 3
	}
	L.Push(v)
	L.Push(lua.LNumber(d.pos + 1))
	return 2
}

// where is dkjson's "line L, column C" of a 0-based offset.
func (d *decoder) where(p int) string {
	line, col := 1, 1
	for i := 0; i < p && i < len(d.s); i++ {
		if d.s[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
}

func (d *decoder) skipWhite() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		case '/':
			// dkjson accepts /* */ and // comments.
			if d.pos+1 < len(d.s) && d.s[d.pos+1] == '*' {
				end := indexFrom(d.s, "*/", d.pos+2)
				if end < 0 {
					return
				}
				d.pos = end + 2
			} else if d.pos+1 < len(d.s) && d.s[d.pos+1] == '/' {
				end := indexFrom(d.s, "\n", d.pos+2)
				if end < 0 {
					d.pos = len(d.s)
				} else {
					d.pos = end + 1
				}
			} else {
				return
			}
		default:
			return
		}
	}
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func (d *decoder) decode() (lua.LValue, *jsonError) {
	d.skipWhite()
	if d.pos >= len(d.s) {
		return nil, &jsonError{"no valid JSON value (reached the end)", d.pos}
	}
	if d.depth > 1000 {
		return nil, &jsonError{"too deeply nested", d.pos}
	}
	switch c := d.s[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		return lua.LString(s), err
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		for _, lit := range [...]struct {
			w string
			v lua.LValue
		}{{"true", lua.LTrue}, {"false", lua.LFalse}, {"null", nil}} {
			if len(d.s)-d.pos >= len(lit.w) && d.s[d.pos:d.pos+len(lit.w)] == lit.w {
				d.pos += len(lit.w)
				if lit.v == nil {
					return d.nullval, nil
				}
				return lit.v, nil
			}
		}
	}
	return nil, &jsonError{"unexpected character '" + string(d.s[d.pos]) + "'", d.pos}
}

func (d *decoder) setMeta(t *lua.LTable, m lua.LValue) {
	if m != lua.LNil && m != nil {
		t.Metatable = m
	}
}

func (d *decoder) object() (lua.LValue, *jsonError) {
	start := d.pos
	d.pos++
	d.depth++
	// The members are gathered on a stack shared by the whole decode, then
	// set into a table created at its final size: gopher-lua's NewTable
	// reserves a 32-slot array and a 32-entry map, which for the small
	// objects of event records (EVE, nProbe) was most of the allocation.
	base := len(d.c.members)
	err := d.objectMembers(start)
	n := len(d.c.members) - base
	var t *lua.LTable
	if err == nil {
		if n > 0 && tableLayout.ok {
			t = d.L.CreateTable(0, 0)
			d.c.fillObject(t, d.c.members[base:])
		} else {
			t = d.L.CreateTable(0, n)
			for _, m := range d.c.members[base:] {
				t.RawSetString(m.k, m.v)
			}
		}
		d.setMeta(t, d.objMeta)
	}
	clear(d.c.members[base:])
	d.c.members = d.c.members[:base]
	d.depth--
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (d *decoder) objectMembers(start int) *jsonError {
	d.skipWhite()
	if d.pos < len(d.s) && d.s[d.pos] == '}' {
		d.pos++
		return nil
	}
	for {
		d.skipWhite()
		if d.pos >= len(d.s) {
			return &jsonError{"unterminated object", start}
		}
		if d.s[d.pos] != '"' {
			return &jsonError{"expected a string key", d.pos}
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		d.skipWhite()
		if d.pos >= len(d.s) || d.s[d.pos] != ':' {
			return &jsonError{"colon expected", d.pos}
		}
		d.pos++
		v, err := d.decode()
		if err != nil {
			return err
		}
		if v != lua.LNil && v != nil {
			d.c.members = append(d.c.members, member{k, v})
		}
		d.skipWhite()
		if d.pos >= len(d.s) {
			return &jsonError{"unterminated object", start}
		}
		switch d.s[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return &jsonError{"'}' or ',' expected", d.pos}
		}
	}
}

func (d *decoder) array() (lua.LValue, *jsonError) {
	start := d.pos
	d.pos++
	d.depth++
	base := len(d.c.elems)
	err := d.arrayElems(start)
	n := len(d.c.elems) - base
	var t *lua.LTable
	if err == nil {
		t = d.L.CreateTable(n, 0)
		d.setMeta(t, d.arrMeta)
		for i, v := range d.c.elems[base:] {
			if v != nil && v != lua.LNil {
				t.RawSetInt(i+1, v)
			}
		}
	}
	clear(d.c.elems[base:])
	d.c.elems = d.c.elems[:base]
	d.depth--
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (d *decoder) arrayElems(start int) *jsonError {
	d.skipWhite()
	if d.pos < len(d.s) && d.s[d.pos] == ']' {
		d.pos++
		return nil
	}
	for {
		v, err := d.decode()
		if err != nil {
			return err
		}
		d.c.elems = append(d.c.elems, v)
		d.skipWhite()
		if d.pos >= len(d.s) {
			return &jsonError{"unterminated array", start}
		}
		switch d.s[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return &jsonError{"']' or ',' expected", d.pos}
		}
	}
}

func (d *decoder) number() (lua.LValue, *jsonError) {
	start := d.pos
	// Fast path: a plain non-negative integer (ports, counters, ids) is
	// summed directly, and small ones come pre-boxed (no allocation).
	n, i := uint64(0), d.pos
	for i < len(d.s) && i-start < 15 {
		c := d.s[i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
		i++
	}
	if i > start && (i == len(d.s) || !numChar(d.s[i])) && (d.s[start] != '0' || i == start+1) {
		d.pos = i
		if n < uint64(len(smallInts)) {
			return smallInts[n], nil
		}
		return lua.LNumber(n), nil
	}
	for d.pos < len(d.s) && numChar(d.s[d.pos]) {
		d.pos++
	}
	f, err := strconv.ParseFloat(d.s[start:d.pos], 64)
	if err != nil {
		return nil, &jsonError{"invalid number '" + d.s[start:d.pos] + "'", start}
	}
	return lua.LNumber(f), nil
}

func numChar(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// smallInts are the boxed numbers 0..4095, shared by every decode.
var smallInts = func() (t [4096]lua.LValue) {
	for i := range t {
		t[i] = lua.LNumber(i)
	}
	return t
}()

func (d *decoder) str() (string, *jsonError) {
	start := d.pos
	d.pos++
	// Fast path: no escapes.
	for i := d.pos; i < len(d.s); i++ {
		c := d.s[i]
		if c == '"' {
			s := d.s[d.pos:i]
			d.pos = i + 1
			return s, nil
		}
		if c == '\\' {
			break
		}
	}
	var b []byte
	for d.pos < len(d.s) {
		c := d.s[d.pos]
		switch c {
		case '"':
			d.pos++
			return string(b), nil
		case '\\':
			if d.pos+1 >= len(d.s) {
				return "", &jsonError{"unterminated string", start}
			}
			e := d.s[d.pos+1]
			d.pos += 2
			switch e {
			case 'n':
				b = append(b, '\n')
			case 't':
				b = append(b, '\t')
			case 'r':
				b = append(b, '\r')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", &jsonError{"invalid \\u escape", d.pos - 2}
				}
				if utf16.IsSurrogate(r) {
					if d.pos+1 < len(d.s) && d.s[d.pos] == '\\' && d.s[d.pos+1] == 'u' {
						d.pos += 2
						r2, ok := d.hex4()
						if !ok {
							return "", &jsonError{"invalid \\u escape", d.pos - 2}
						}
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default: // \" \\ \/ and dkjson's leniency for others
				b = append(b, e)
			}
		default:
			b = append(b, c)
			d.pos++
		}
	}
	return "", &jsonError{"unterminated string", start}
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.pos:d.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.pos += 4
	return rune(n), true
}

// ---- filling decoded objects ----
//
// gopher-lua's RawSetString indexes a new string key three times (strdict,
// the k2i map and the keys slice that Next walks), boxing the key twice and
// growing k2i and keys from empty: about three allocations per member,
// most of the cost of decoding an event record. fillObject builds the same
// three structures directly, sized once, with keys boxed once per codec
// (object keys repeat from record to record). It writes LTable's unexported
// fields, located by name and type through reflect at start-up; if the
// pinned gopher-lua ever lays LTable out differently, tableLayout.ok is
// false and decoding falls back to RawSetString (TestJSONTableLayout
// reports it).

var tableLayout = func() (l struct {
	ok                 bool
	strdict, keys, k2i uintptr
}) {
	t := reflect.TypeFor[lua.LTable]()
	field := func(name string, typ reflect.Type) (uintptr, bool) {
		f, ok := t.FieldByName(name)
		return f.Offset, ok && f.Type == typ && len(f.Index) == 1
	}
	var ok1, ok2, ok3 bool
	l.strdict, ok1 = field("strdict", reflect.TypeFor[map[string]lua.LValue]())
	l.keys, ok2 = field("keys", reflect.TypeFor[[]lua.LValue]())
	l.k2i, ok3 = field("k2i", reflect.TypeFor[map[lua.LValue]int]())
	l.ok = ok1 && ok2 && ok3
	return l
}()

// maxInternedKeys bounds the per-codec key cache (a state decoding
// documents with ever-new keys stops adding to it).
const maxInternedKeys = 4096

// internKey returns k boxed, from the cache when it was seen before; a
// cached key is a copy, so it does not pin the decoded text.
func (c *jsonCodec) internKey(k string) lua.LValue {
	if lk, ok := c.keys[k]; ok {
		return lk
	}
	if len(k) > 64 || len(c.keys) >= maxInternedKeys {
		return lua.LString(k)
	}
	if c.keys == nil {
		c.keys = make(map[string]lua.LValue, 64)
	}
	lk := lua.LValue(lua.LString(strings.Clone(k)))
	c.keys[string(lk.(lua.LString))] = lk
	return lk
}

// fillObject sets ms into the empty table t as RawSetString would, in
// order (a repeated key keeps its first position and takes the last value).
func (c *jsonCodec) fillObject(t *lua.LTable, ms []member) {
	p := unsafe.Pointer(t)
	sd := (*map[string]lua.LValue)(unsafe.Add(p, tableLayout.strdict))
	keys := (*[]lua.LValue)(unsafe.Add(p, tableLayout.keys))
	k2i := (*map[lua.LValue]int)(unsafe.Add(p, tableLayout.k2i))
	strdict := make(map[string]lua.LValue, len(ms))
	ks := make([]lua.LValue, 0, len(ms))
	idx := make(map[lua.LValue]int, len(ms))
	for _, m := range ms {
		lk := c.internKey(m.k)
		k := string(lk.(lua.LString))
		n := len(strdict)
		strdict[k] = m.v
		if len(strdict) > n {
			idx[lk] = len(ks)
			ks = append(ks, lk)
		}
	}
	*sd, *keys, *k2i = strdict, ks, idx
}
