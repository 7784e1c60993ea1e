package wire

import (
	"math"
	"strconv"
	"unicode/utf8"

	"flowgate/engine"
)

// MaxJSONDepth bounds the nesting of values inside a flow object (nested
// values are kept raw in Additional).
const MaxJSONDepth = 64

// jscan is a small strict scanner for the flat objects of JSON flow
// payloads. encoding/json is several times slower for this shape.
type jscan struct {
	b []byte
	i int
	d *Decoder
}

func (s *jscan) syntax(format string, args ...any) *Error {
	e := errorf(ReasonJSONSyntax, format, args...)
	e.Msg = "json: offset " + strconv.Itoa(s.i) + ": " + e.Msg
	return e
}

func (s *jscan) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return // the common case: no whitespace at all
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// DecodeJSONFlows decodes a JSON flow payload (§3.1): an array of flow
// objects or a single object. Keys are a decimal id, "PEN.ID" or a symbolic
// name (resolved with the decoder's Labels); integer, float and string
// values are typed per field, booleans/null/objects/arrays go to Additional
// as raw JSON text.
//
// The record passed to emit is reused (copy it, including its Additional
// slice); its strings are the decoder's own copies (body may be reused once
// the call returns).
//
// Invalid JSON gives a json_syntax error (json_type for a non-object
// element, json_number for an integer beyond uint64); records before the
// error stay emitted. Trailing NUL bytes (C producers) are tolerated.
func (d *Decoder) DecodeJSONFlows(body []byte, emit func(*engine.FlowRecord)) (int, error) {
	d.newMessage()
	s := jscan{b: body, d: d}
	s.ws()
	records := 0
	switch s.peek() {
	case '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			break
		}
		for {
			if s.peek() != '{' {
				return records, s.notObject(records)
			}
			if err := s.object(); err != nil {
				return records, err
			}
			d.emitRecord(emit)
			records++
			s.ws()
			c := s.peek()
			s.i++
			if c == ']' {
				break
			}
			if c != ',' {
				s.i--
				return records, s.syntax("expected ',' or ']' after element %d", records)
			}
			s.ws()
		}
	case '{':
		if err := s.object(); err != nil {
			return 0, err
		}
		d.emitRecord(emit)
		records++
	case 0:
		if s.i >= len(s.b) {
			return 0, s.syntax("no JSON value")
		}
		return 0, s.syntax("unexpected byte 0x00")
	default:
		return 0, s.notObject(0)
	}
	s.ws()
	for s.i < len(s.b) && s.b[s.i] == 0 {
		s.i++
	}
	if s.i != len(s.b) {
		return records, s.syntax("trailing data after JSON value")
	}
	return records, nil
}

// notObject reports a non-object where a flow was expected: json_type if it
// is otherwise a valid value, json_syntax if not.
func (s *jscan) notObject(n int) error {
	if err := s.skip(0); err != nil {
		return err
	}
	return errorf(ReasonJSONType, "json: element %d is not an object", n)
}

// object parses one flat flow object into d.cur (after resetting it).
func (s *jscan) object() error {
	d := s.d
	d.resetRecord()
	s.i++ // '{'
	s.ws()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	v := &d.val
	for pos := 0; ; pos++ {
		if s.peek() != '"' {
			return s.syntax("expected object key")
		}
		id, key, numeric := s.idKey()
		if !numeric {
			var err error
			if key, err = s.str(); err != nil {
				return err
			}
		}
		s.ws()
		if s.peek() != ':' {
			return s.syntax("expected ':' after key %q", key)
		}
		s.i++
		s.ws()
		if err := s.value(v); err != nil {
			return err
		}
		if numeric {
			d.field(0, id, key, v)
		} else {
			d.stringKeyField(pos, key, v)
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return nil
		default:
			return s.syntax("expected ',' or '}' in object")
		}
	}
}

// value parses any JSON value at s.i into v.
func (s *jscan) value(v *value) error {
	switch c := s.peek(); {
	case c == '"':
		str, err := s.str()
		*v = value{kind: kindString, s: str}
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(v)
	default:
		start := s.i
		if err := s.skip(0); err != nil {
			return err
		}
		*v = value{kind: kindRaw, s: bytesString(s.b[start:s.i])}
		return nil
	}
}

// number parses a JSON number: integers as int64 (uint64 above MaxInt64),
// anything with a fraction or exponent as float64.
func (s *jscan) number(v *value) error {
	b := s.b
	start := s.i
	neg := b[s.i] == '-'
	if neg {
		s.i++
	}
	if s.i >= len(b) {
		return s.syntax("truncated number")
	}
	var u uint64
	overflow := false
	switch c := b[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		digits := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			u = u*10 + uint64(b[s.i]-'0')
			s.i++
		}
		// 19 digits always fit in a uint64; only longer ones are checked.
		if s.i-digits > 19 {
			u, overflow = 0, false
			for _, c := range b[digits:s.i] {
				d := uint64(c - '0')
				if u > (math.MaxUint64-d)/10 {
					overflow = true
				}
				u = u*10 + d
			}
		}
	default:
		return s.syntax("invalid number")
	}
	isFloat := false
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return s.syntax("invalid number fraction")
		}
		isFloat = true
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return s.syntax("invalid number exponent")
		}
		isFloat = true
	}
	if isFloat {
		f, err := strconv.ParseFloat(bytesString(b[start:s.i]), 64)
		if err != nil {
			return errorf(ReasonJSONNumber, "json: offset %d: number %s out of range", start, b[start:s.i])
		}
		*v = value{kind: kindFloat, f: f}
		return nil
	}
	switch {
	case overflow:
		return errorf(ReasonJSONNumber, "json: offset %d: integer %s out of range", start, b[start:s.i])
	case neg && u > 1<<63:
		return errorf(ReasonJSONNumber, "json: offset %d: integer %s out of range", start, b[start:s.i])
	case neg:
		*v = value{kind: kindInt, i: -int64(u)}
	case u > math.MaxInt64:
		*v = value{kind: kindUint, u: u}
	default:
		*v = value{kind: kindInt, i: int64(u)}
	}
	return nil
}

func (s *jscan) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// idKey reads a key of 1 to 10 decimal digits whose value fits 32 bits
// ("8", "57590": nProbe's numeric keys, all of a JSON flow's keys unless
// it runs with symbolic names) in one pass, as the id it is; anything
// else (a name, "PEN.ID", an escape) leaves s.i on the quote for str and
// stringKeyField, which resolve such a key to the same (0, id).
func (s *jscan) idKey() (id uint32, key string, ok bool) {
	b := s.b
	start := s.i + 1
	var n uint64
	j := start
	for ; j < len(b) && j-start < 10 && b[j]-'0' <= 9; j++ {
		n = n*10 + uint64(b[j]-'0')
	}
	if j == start || j >= len(b) || b[j] != '"' || n > math.MaxUint32 {
		return 0, "", false
	}
	s.i = j + 1
	return uint32(n), bytesString(b[start:j]), true
}

// str parses a string at s.i (on the opening quote). Without escapes the
// result aliases the input; otherwise it is unescaped into the arena.
func (s *jscan) str() (string, error) {
	b := s.b
	start := s.i + 1
	for j := start; j < len(b); j++ {
		c := b[j]
		if c == '"' {
			s.i = j + 1
			return bytesString(b[start:j]), nil
		}
		if c == '\\' {
			return s.strSlow(start, j)
		}
		if c < 0x20 {
			s.i = j
			return "", s.syntax("control character 0x%02x in string", c)
		}
	}
	s.i = len(b)
	return "", s.syntax("unterminated string")
}

func (s *jscan) strSlow(start, j int) (string, error) {
	d := s.d
	b := s.b
	d.reserve(j - start + 64) // a longer string moves the chunk as it grows
	astart := len(d.arena)
	d.arena = append(d.arena, b[start:j]...)
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			s.i = j + 1
			return d.arenaString(astart), nil
		case c < 0x20:
			s.i = j
			return "", s.syntax("control character 0x%02x in string", c)
		case c != '\\':
			d.arena = append(d.arena, c)
			j++
			continue
		}
		if j+1 >= len(b) {
			break
		}
		e := b[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			d.arena = append(d.arena, e)
		case 'b':
			d.arena = append(d.arena, '\b')
		case 'f':
			d.arena = append(d.arena, '\f')
		case 'n':
			d.arena = append(d.arena, '\n')
		case 'r':
			d.arena = append(d.arena, '\r')
		case 't':
			d.arena = append(d.arena, '\t')
		case 'u':
			r, ok := hex4(b, j)
			if !ok {
				s.i = j
				return "", s.syntax("invalid \\u escape")
			}
			j += 4
			if r >= 0xD800 && r < 0xDC00 {
				// High surrogate: combine with a following low one.
				if j+6 <= len(b) && b[j] == '\\' && b[j+1] == 'u' {
					if r2, ok := hex4(b, j+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
						j += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			} else if r >= 0xDC00 && r < 0xE000 {
				r = utf8.RuneError // lone low surrogate
			}
			d.arena = utf8.AppendRune(d.arena, r)
		default:
			s.i = j - 1
			return "", s.syntax("invalid escape \\%c", e)
		}
	}
	s.i = len(b)
	return "", s.syntax("unterminated string")
}

func hex4(b []byte, j int) (rune, bool) {
	if j+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[j : j+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skipString validates a string without unescaping it.
func (s *jscan) skipString() error {
	b := s.b
	for j := s.i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return nil
		case c < 0x20:
			s.i = j
			return s.syntax("control character 0x%02x in string", c)
		case c == '\\':
			if j+1 >= len(b) {
				s.i = j
				return s.syntax("unterminated string")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if _, ok := hex4(b, j+2); !ok {
					s.i = j
					return s.syntax("invalid \\u escape")
				}
				j += 5
			default:
				s.i = j
				return s.syntax("invalid escape")
			}
		}
	}
	s.i = len(b)
	return s.syntax("unterminated string")
}

// skip validates and skips any JSON value.
func (s *jscan) skip(depth int) error {
	if depth > MaxJSONDepth {
		return errorf(ReasonJSONDepth, "json: offset %d: nesting deeper than %d", s.i, MaxJSONDepth)
	}
	switch c := s.peek(); c {
	case '"':
		return s.skipString()
	case '{':
		s.i++
		s.ws()
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			if s.peek() != '"' {
				return s.syntax("expected object key")
			}
			if err := s.skipString(); err != nil {
				return err
			}
			s.ws()
			if s.peek() != ':' {
				return s.syntax("expected ':'")
			}
			s.i++
			s.ws()
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
				s.ws()
			case '}':
				s.i++
				return nil
			default:
				return s.syntax("expected ',' or '}' in object")
			}
		}
	case '[':
		s.i++
		s.ws()
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
				s.ws()
			case ']':
				s.i++
				return nil
			default:
				return s.syntax("expected ',' or ']' in array")
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			var v value
			return s.number(&v)
		}
		if s.i >= len(s.b) {
			return s.syntax("unexpected end of input")
		}
		return s.syntax("unexpected character %q", c)
	}
}

func (s *jscan) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.syntax("invalid literal")
	}
	s.i += len(lit)
	return nil
}
