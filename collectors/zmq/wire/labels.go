package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
)

// FieldID is a (PEN, field id) pair a symbolic key resolves to.
type FieldID struct {
	PEN uint32
	ID  uint32
}

// defaultLabels is ntopng's built-in label map (§3.1, filled at init from
// the field tables, read-only afterwards).
var defaultLabels map[string]FieldID

// RequiredTemplateNames are the names ntopng expects a template to define.
var RequiredTemplateNames = [...]string{
	"FIRST_SWITCHED", "LAST_SWITCHED", "L4_SRC_PORT", "L4_DST_PORT", "IP_PROTOCOL_VERSION",
	"PROTOCOL", "IN_BYTES", "IN_PKTS", "OUT_BYTES", "OUT_PKTS",
}

// Labels maps symbolic keys to field ids for one collector: the shared
// default map plus an overlay that `template` messages extend or override.
// It is not safe for concurrent mutation; one collector goroutine owns it.
// Clone copies only the overlay, so copying is cheap.
type Labels struct {
	over    map[string]FieldID
	version uint64 // counts Set calls: decoders drop resolutions memoized before
}

// NewLabels returns a label map holding ntopng's defaults.
func NewLabels() *Labels { return &Labels{} }

// Lookup resolves a symbolic name. A nil *Labels uses the defaults.
func (l *Labels) Lookup(name string) (FieldID, bool) {
	if l != nil && l.over != nil {
		if id, ok := l.over[name]; ok {
			return id, true
		}
	}
	id, ok := defaultLabels[name]
	return id, ok
}

// Set adds or overrides one mapping.
func (l *Labels) Set(name string, id FieldID) {
	if l.over == nil {
		l.over = make(map[string]FieldID)
	}
	l.over[name] = id
	l.version++
}

// Len returns the number of template-defined mappings (overlay size).
func (l *Labels) Len() int { return len(l.over) }

// Clone returns an independent copy.
func (l *Labels) Clone() *Labels {
	if l == nil {
		return NewLabels()
	}
	return &Labels{over: maps.Clone(l.over)}
}

type templateElem struct {
	PEN   *uint32 `json:"PEN"`
	Field *uint32 `json:"field"`
	Name  string  `json:"name"`
}

// ApplyTemplate applies a `template` message (§4.4): a JSON array of
// {"PEN":0,"field":1,"name":"IN_BYTES",...}. Elements without a name or a
// field are skipped. It returns how many mappings were applied and which of
// RequiredTemplateNames this template did not define (ntopng warns once
// about those; the defaults still resolve them).
func (l *Labels) ApplyTemplate(body []byte) (n int, missing []string, err error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return 0, nil, jsonErr("template", err)
	}
	seen := make(map[string]bool, len(elems))
	for i, raw := range elems {
		var e templateElem
		if err := json.Unmarshal(raw, &e); err != nil {
			return n, nil, &Error{Reason: ReasonJSONType, Msg: fmt.Sprintf("template: element %d", i), Err: err}
		}
		if e.Name == "" || e.Field == nil {
			continue
		}
		var pen uint32
		if e.PEN != nil {
			pen = *e.PEN
		}
		l.Set(e.Name, FieldID{PEN: pen, ID: *e.Field})
		seen[e.Name] = true
		n++
	}
	for _, name := range RequiredTemplateNames {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	return n, missing, nil
}

// jsonErr classifies an encoding/json error as syntax or type.
func jsonErr(what string, err error) *Error {
	if _, ok := err.(*json.SyntaxError); ok {
		return &Error{Reason: ReasonJSONSyntax, Msg: what, Err: err}
	}
	if err.Error() == "unexpected end of JSON input" || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Reason: ReasonJSONSyntax, Msg: what, Err: err}
	}
	return &Error{Reason: ReasonJSONType, Msg: what, Err: err}
}
