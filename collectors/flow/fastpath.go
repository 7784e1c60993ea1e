package flow

import (
	"encoding/binary"
	"net/netip"

	"github.com/netsampler/goflow2/v2/decoders/netflow"

	"flowgate/engine"
)

// The v9/IPFIX fast path. Most datagrams of a steady export carry only
// data sets whose template is already known. goflow2 decodes each field
// of those into a DataField whose []byte is boxed in an interface (an
// allocation per field, ~14 per record: most of the decode time, see
// README.md). fast decodes such datagrams without goflow2: the fields are
// slices of the datagram handed to the mapping in a reused slice. It
// walks the datagram with goflow2's own bounds (set loop, record loop,
// variable-length fields) and gives up, leaving everything as it was,
// on anything else: a template or options set, a data set without a
// known data template, a malformed set or record. goflow2 then decodes
// the datagram as before, so templates, options, errors and their
// counters have one implementation. FuzzFastPath checks that both paths
// give the same flows and counters.

// value is one field of a data record: its element id, enterprise and
// bytes (a slice of the datagram).
type value struct {
	typ    uint16
	hasPen bool
	pen    uint32
	b      []byte
}

// fromGoflow appends goflow2's decoded fields to vals.
func fromGoflow(vals []value, fs []netflow.DataField) []value {
	for i := range fs {
		v, _ := fs[i].Value.([]byte)
		vals = append(vals, value{typ: fs[i].Type, hasPen: fs[i].PenProvided, pen: fs[i].Pen, b: v})
	}
	return vals
}

// dataSet is one data set of a datagram with its template's fields.
type dataSet struct {
	fields []netflow.Field
	fixed  int // the template's fixed-length bytes (goflow2's GetTemplateSize)
	body   []byte
}

// fast decodes pkt into b when it holds only data sets of known data
// templates, and reports whether it did. When it returns false, b, the
// counters and the sequence state are unchanged.
func (d *Decoder) fast(e *exporter, from netip.Addr, pkt []byte, b *engine.Batch) bool {
	var h header
	var seq uint32
	var rest []byte
	var maxSets int // v9: the header's count bounds the sets read
	var size uint16 // IPFIX: the message length bounds the bytes read
	switch binary.BigEndian.Uint16(pkt) {
	case 9:
		if len(pkt) < 20 {
			return false
		}
		maxSets = int(binary.BigEndian.Uint16(pkt[2:]))
		h = header{version: 9, uptime: binary.BigEndian.Uint32(pkt[4:]), unixSecs: binary.BigEndian.Uint32(pkt[8:]), domain: binary.BigEndian.Uint32(pkt[16:])}
		seq, rest = binary.BigEndian.Uint32(pkt[12:]), pkt[20:]
	case 10:
		if len(pkt) < 16 {
			return false
		}
		size = binary.BigEndian.Uint16(pkt[2:]) - 16 // wraps as goflow2's does
		h = header{version: 10, unixSecs: binary.BigEndian.Uint32(pkt[4:]), domain: binary.BigEndian.Uint32(pkt[12:])}
		seq, rest = binary.BigEndian.Uint32(pkt[8:]), pkt[16:]
	default:
		return false
	}
	// Walk the set headers first: the datagram qualifies only if every
	// set is a data set with a data template.
	d.sets = d.sets[:0]
	start := len(rest)
	for i := 0; (h.version == 10 && uint16(start-len(rest)) < size || h.version == 9 && i < maxSets) && len(rest) > 0; i++ {
		if len(rest) < 4 {
			return false
		}
		id, l := binary.BigEndian.Uint16(rest), int(binary.BigEndian.Uint16(rest[2:]))-4
		if id < 256 || l < 0 {
			return false
		}
		rest = rest[4:]
		body := rest[:min(l, len(rest))]
		rest = rest[len(body):]
		t, err := e.c.tmpl.GetTemplate(h.version, h.domain, id)
		if err != nil {
			return false
		}
		tr, ok := t.(netflow.TemplateRecord)
		if !ok {
			return false
		}
		d.sets = append(d.sets, dataSet{fields: tr.Fields, fixed: netflow.GetTemplateSize(h.version, tr.Fields), body: body})
	}
	first, rate := len(b.Flows), e.c.sampling.Load() // the mapping sets the rate gauge
	n, noAddr := 0, 0
	for _, s := range d.sets {
		body := s.body
		for len(body) >= s.fixed {
			vals, tail, ok := splitRecord(d.vals[:0], body, s.fields)
			d.vals = vals
			if !ok { // goflow2 refuses this set: let it count the error
				b.Flows = b.Flows[:first]
				e.c.sampling.Store(rate)
				return false
			}
			body = tail
			if mapDataRecord(b.AddFlow(), vals, &h, from, e) {
				n++
			} else {
				b.Flows = b.Flows[:len(b.Flows)-1]
				noAddr++
			}
		}
	}
	for range noAddr {
		e.c.fail("record_without_addresses")
	}
	e.c.records.Add(uint64(n))
	if h.version == 9 {
		e.sequence(9<<32|uint64(h.domain), seq, 1)
	} else {
		e.ipfixSequence(10<<32|uint64(h.domain), seq, uint32(n+noAddr), 0)
	}
	return true
}

// splitRecord splits one data record off p as goflow2's
// DecodeDataSetUsingFields does (a short value takes what is left; a
// variable length without its length bytes is an error: ok false).
func splitRecord(vals []value, p []byte, fields []netflow.Field) (_ []value, rest []byte, ok bool) {
	for i := range fields {
		f := &fields[i]
		n := int(f.Length)
		if f.Length == 0xffff {
			if len(p) < 1 {
				return vals, p, false
			}
			n, p = int(p[0]), p[1:]
			if n == 0xff {
				if len(p) < 2 {
					return vals, p, false
				}
				n, p = int(binary.BigEndian.Uint16(p)), p[2:]
			}
		}
		n = min(n, len(p))
		vals = append(vals, value{typ: f.Type, hasPen: f.PenProvided, pen: f.Pen, b: p[:n:n]})
		p = p[n:]
	}
	return vals, p, true
}
