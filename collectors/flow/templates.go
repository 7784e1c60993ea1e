package flow

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// Template errors are told apart by the decode error reasons.
var (
	errTemplateEmpty   = errors.New("template without fields or of zero length")
	errTemplateTooLong = errors.New("template records longer than a datagram")
	errTooManyTemplate = errors.New("too many templates for one exporter")
)

const (
	// maxRecordLen: a fixed-size record longer than this cannot fit in a
	// UDP datagram, so its template is refused as absurd.
	maxRecordLen = 65535 - 8 - 20 - 16 - 4
	// maxTemplates bounds the templates kept per exporter.
	maxTemplates = 4096
	// rfc5103PEN is the enterprise number of IPFIX reverse (biflow) fields.
	rfc5103PEN = 29305
)

// templates is one exporter's template set, keyed by version, observation
// domain (v9 source id) and template id, as goflow2's decoder asks for
// them. It refuses templates no data set could use (zero length: the data
// set loop would not advance; longer than a datagram) and counts what it
// learns. It is used by the exporter's decode goroutine and read by the
// saver, hence the lock.
type templates struct {
	mu    sync.Mutex
	m     map[uint64]any
	c     *exporterCounters
	dirty *atomic.Bool // the collector's "something to save"
}

func newTemplates(c *exporterCounters, dirty *atomic.Bool) *templates {
	return &templates{m: map[uint64]any{}, c: c, dirty: dirty}
}

func tkey(version uint16, domain uint32, id uint16) uint64 {
	return uint64(version)<<48 | uint64(domain)<<16 | uint64(id)
}

func fieldsSize(fs []netflow.Field) (size int, variable bool) {
	for _, f := range fs {
		if f.Length == 0xffff {
			variable = true
			continue
		}
		size += int(f.Length)
	}
	return size, variable
}

// check validates a template before goflow2's data set loop ever uses it.
func check(t any) (unknownPEN int, err error) {
	var fs []netflow.Field
	switch t := t.(type) {
	case netflow.TemplateRecord:
		fs = t.Fields
	case netflow.NFv9OptionsTemplateRecord:
		fs = append(append(fs, t.Scopes...), t.Options...)
	case netflow.IPFIXOptionsTemplateRecord:
		fs = append(append(fs, t.Scopes...), t.Options...)
	default:
		return 0, fmt.Errorf("template of type %T", t)
	}
	size, variable := fieldsSize(fs)
	if len(fs) == 0 || (size == 0 && !variable) {
		return 0, errTemplateEmpty
	}
	if size > maxRecordLen {
		return 0, errTemplateTooLong
	}
	for _, f := range fs {
		if f.PenProvided && f.Pen != rfc5103PEN {
			unknownPEN++
		}
	}
	return unknownPEN, nil
}

func (ts *templates) AddTemplate(version uint16, domain uint32, id uint16, t any) error {
	pens, err := check(t)
	if err != nil {
		return err
	}
	k := tkey(version, domain, id)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	old, had := ts.m[k]
	if had && reflect.DeepEqual(old, t) {
		return nil // refreshed, as exporters resend them periodically
	}
	if !had && len(ts.m) >= maxTemplates {
		return errTooManyTemplate
	}
	ts.m[k] = t
	if had {
		// An exporter that restarted and reuses the id with other fields.
		ts.c.redefined.Add(1)
	} else {
		ts.c.templates.Add(1)
	}
	for range pens {
		ts.c.fail("unknown_enterprise_field")
	}
	if ts.dirty != nil {
		ts.dirty.Store(true)
	}
	return nil
}

func (ts *templates) GetTemplate(version uint16, domain uint32, id uint16) (any, error) {
	ts.mu.Lock()
	t, ok := ts.m[tkey(version, domain, id)]
	ts.mu.Unlock()
	if !ok {
		return nil, netflow.ErrorTemplateNotFound
	}
	return t, nil
}

func (ts *templates) RemoveTemplate(version uint16, domain uint32, id uint16) (any, error) {
	k := tkey(version, domain, id)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.m[k]
	if !ok {
		return nil, netflow.ErrorTemplateNotFound
	}
	delete(ts.m, k)
	return t, nil
}

// savedTemplate is the on-disk form of one template (templates.json).
type savedTemplate struct {
	Version uint16          `json:"version"`
	Domain  uint32          `json:"domain"`
	ID      uint16          `json:"id"`
	Kind    string          `json:"kind"` // data, v9_options, ipfix_options
	Fields  []netflow.Field `json:"fields,omitempty"`
	Scopes  []netflow.Field `json:"scopes,omitempty"`
	Options []netflow.Field `json:"options,omitempty"`
}

func (ts *templates) save() []savedTemplate {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make([]savedTemplate, 0, len(ts.m))
	for k, t := range ts.m {
		s := savedTemplate{Version: uint16(k >> 48), Domain: uint32(k >> 16), ID: uint16(k)}
		switch t := t.(type) {
		case netflow.TemplateRecord:
			s.Kind, s.Fields = "data", t.Fields
		case netflow.NFv9OptionsTemplateRecord:
			s.Kind, s.Scopes, s.Options = "v9_options", t.Scopes, t.Options
		case netflow.IPFIXOptionsTemplateRecord:
			s.Kind, s.Scopes, s.Options = "ipfix_options", t.Scopes, t.Options
		}
		out = append(out, s)
	}
	return out
}

// load restores templates saved by save; invalid entries are skipped.
func (ts *templates) load(saved []savedTemplate) {
	for _, s := range saved {
		var t any
		switch s.Kind {
		case "data":
			t = netflow.TemplateRecord{TemplateId: s.ID, FieldCount: uint16(len(s.Fields)), Fields: s.Fields}
		case "v9_options":
			t = netflow.NFv9OptionsTemplateRecord{TemplateId: s.ID, ScopeLength: uint16(4 * len(s.Scopes)), OptionLength: uint16(4 * len(s.Options)), Scopes: s.Scopes, Options: s.Options}
		case "ipfix_options":
			t = netflow.IPFIXOptionsTemplateRecord{TemplateId: s.ID, FieldCount: uint16(len(s.Scopes) + len(s.Options)), ScopeFieldCount: uint16(len(s.Scopes)), Scopes: s.Scopes, Options: s.Options}
		default:
			continue
		}
		if _, err := check(t); err != nil {
			continue
		}
		ts.mu.Lock()
		if len(ts.m) < maxTemplates {
			ts.m[tkey(s.Version, s.Domain, s.ID)] = t
		}
		ts.mu.Unlock()
	}
}

// templateFile is the whole saved state: exporter address → templates.
type templateFile struct {
	Exporters map[string][]savedTemplate `json:"exporters"`
}

func decodeTemplateFile(b []byte) (templateFile, error) {
	var f templateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("templates file: %w", err)
	}
	return f, nil
}
