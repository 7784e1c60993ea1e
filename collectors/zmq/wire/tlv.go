package wire

import (
	"encoding/binary"
	"math"
	"strconv"

	"flowgate/engine"
)

// TLVType is an nDPI serializer type code (§3.2).
type TLVType uint8

const (
	TLVUnknown     TLVType = 0 // no key / end of data
	TLVEndOfRecord TLVType = 1
	TLVUint8       TLVType = 2
	TLVUint16      TLVType = 3
	TLVUint32      TLVType = 4
	TLVUint64      TLVType = 5
	TLVInt8        TLVType = 6
	TLVInt16       TLVType = 7
	TLVInt32       TLVType = 8
	TLVInt64       TLVType = 9
	TLVFloat       TLVType = 10
	TLVString      TLVType = 11
	TLVStartBlock  TLVType = 12
	TLVEndBlock    TLVType = 13
	TLVStartList   TLVType = 14
	TLVEndList     TLVType = 15
)

var tlvTypeNames = [...]string{"unknown", "end_of_record", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
	"int32", "int64", "float", "string", "start_of_block", "end_of_block", "start_of_list", "end_of_list"}

func (t TLVType) String() string {
	if int(t) < len(tlvTypeNames) {
		return tlvTypeNames[t]
	}
	return "type_" + strconv.Itoa(int(t))
}

// TLVItem is one decoded item. Strings alias the input buffer.
type TLVItem struct {
	KeyType   TLVType // TLVUnknown (no key), TLVUint8/16/32/64 or TLVString
	Key       uint32  // numeric key (uint64 keys are truncated)
	KeyString string  // string key
	Type      TLVType // value type
	Uint      uint64  // TLVUint*
	Int       int64   // TLVInt*
	Float     float32 // TLVFloat (little-endian on the wire)
	String    string  // TLVString value, or block/list name
}

// IsUint reports whether the value is an unsigned integer.
func (it *TLVItem) IsUint() bool { return it.Type >= TLVUint8 && it.Type <= TLVUint64 }

// tlvPreamble checks the 01 01 message preamble.
func tlvPreamble(b []byte) error {
	if len(b) < 2 {
		return errorf(ReasonTLVPreamble, "tlv: payload of %d bytes has no preamble", len(b))
	}
	if b[0] != 1 || b[1] != 1 {
		return errorf(ReasonTLVPreamble, "tlv: preamble %02x %02x, want 01 01 (version 1, format tlv)", b[0], b[1])
	}
	return nil
}

func stringWhat(t TLVType) string {
	if t == TLVUnknown {
		return "string key"
	}
	return t.String() + " value"
}

func truncated(what string, need, have int) *Error {
	return errorf(ReasonTLVTruncated, "truncated %s (need %d bytes, have %d)", what, need, have)
}

// readTLVString reads a u16-BE length and the bytes. t is the value type,
// or TLVUnknown for a string key (only used in errors).
func readTLVString(b []byte, off int, t TLVType) (string, int, *Error) {
	if len(b)-off < 2 {
		return "", off, truncated(stringWhat(t)+" length", 2, len(b)-off)
	}
	n := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	if len(b)-off < n {
		return "", off, truncated(stringWhat(t), n, len(b)-off)
	}
	return bytesString(b[off : off+n]), off + n, nil
}

// readTLV decodes the item at b[off:] and returns the offset after it. The
// error (with a tlv_* reason) has no record/item context; callers add it.
func readTLV(b []byte, off int, it *TLVItem) (next int, err *Error) {
	*it = TLVItem{}
	if off >= len(b) {
		return off, truncated("item type", 1, 0)
	}
	t := b[off]
	off++
	it.KeyType, it.Type = TLVType(t>>4), TLVType(t&0x0f)
	have := len(b) - off
	switch it.KeyType {
	case TLVUnknown:
	case TLVUint8:
		if have < 1 {
			return off, truncated("uint8 key", 1, have)
		}
		it.Key = uint32(b[off])
		off++
	case TLVUint16:
		if have < 2 {
			return off, truncated("uint16 key", 2, have)
		}
		it.Key = uint32(binary.BigEndian.Uint16(b[off:]))
		off += 2
	case TLVUint32:
		if have < 4 {
			return off, truncated("uint32 key", 4, have)
		}
		it.Key = binary.BigEndian.Uint32(b[off:])
		off += 4
	case TLVUint64:
		if have < 8 {
			return off, truncated("uint64 key", 8, have)
		}
		it.Key = uint32(binary.BigEndian.Uint64(b[off:]))
		off += 8
	case TLVString:
		var e *Error
		if it.KeyString, off, e = readTLVString(b, off, TLVUnknown); e != nil {
			return off, e
		}
	default:
		return off, errorf(ReasonTLVKeyType, "unsupported key type %s (0x%02x)", it.KeyType, t)
	}
	have = len(b) - off
	need := 0
	switch it.Type {
	case TLVUnknown, TLVEndOfRecord, TLVEndBlock, TLVEndList:
		return off, nil
	case TLVUint8, TLVInt8:
		need = 1
	case TLVUint16, TLVInt16:
		need = 2
	case TLVUint32, TLVInt32, TLVFloat:
		need = 4
	case TLVUint64, TLVInt64:
		need = 8
	case TLVString, TLVStartBlock, TLVStartList:
		var e *Error
		it.String, off, e = readTLVString(b, off, it.Type)
		return off, e
	}
	if have < need {
		return off, truncated(it.Type.String()+" value", need, have)
	}
	switch it.Type {
	case TLVUint8:
		it.Uint = uint64(b[off])
	case TLVUint16:
		it.Uint = uint64(binary.BigEndian.Uint16(b[off:]))
	case TLVUint32:
		it.Uint = uint64(binary.BigEndian.Uint32(b[off:]))
	case TLVUint64:
		it.Uint = binary.BigEndian.Uint64(b[off:])
	case TLVInt8:
		it.Int = int64(int8(b[off]))
	case TLVInt16:
		it.Int = int64(int16(binary.BigEndian.Uint16(b[off:])))
	case TLVInt32:
		it.Int = int64(int32(binary.BigEndian.Uint32(b[off:])))
	case TLVInt64:
		it.Int = int64(binary.BigEndian.Uint64(b[off:]))
	case TLVFloat:
		// Native order in nDPI; LE on every producer that exists (§3.2).
		it.Float = math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
	}
	return off + need, nil
}

// TLVIterator walks the items of a TLV payload after its preamble,
// counting records (ended by end_of_record items) and items for error
// context.
type TLVIterator struct {
	b      []byte
	off    int
	record int // 1-based record number of the next item
	item   int // 1-based item number within the record
	err    error
}

// NewTLVIterator checks the 01 01 preamble and returns an iterator.
func NewTLVIterator(body []byte) (*TLVIterator, error) {
	it := &TLVIterator{}
	if err := it.reset(body); err != nil {
		return nil, err
	}
	return it, nil
}

func (t *TLVIterator) reset(body []byte) error {
	*t = TLVIterator{b: body, off: 2, record: 1}
	if err := tlvPreamble(body); err != nil {
		t.err = err
		return err
	}
	return nil
}

// Next returns the next item; ok is false at the end of the payload or on
// error (see Err).
func (t *TLVIterator) Next() (item TLVItem, ok bool) {
	ok = t.next(&item)
	return item, ok
}

func (t *TLVIterator) next(item *TLVItem) bool {
	if t.err != nil || t.off >= len(t.b) {
		return false
	}
	t.item++
	next, err := readTLV(t.b, t.off, item)
	if err != nil {
		err.Msg = "tlv: record " + strconv.Itoa(t.record) + " item " + strconv.Itoa(t.item) + ": " + err.Msg
		t.err = err
		return false
	}
	t.off = next
	if item.Type == TLVEndOfRecord {
		t.record++
		t.item = 0
	}
	return true
}

// Err returns the error that stopped iteration, if any.
func (t *TLVIterator) Err() error { return t.err }

// fail records a decoder-level error with the iterator's position.
func (t *TLVIterator) fail(reason, format string, args ...any) error {
	e := errorf(reason, format, args...)
	e.Msg = "tlv: record " + strconv.Itoa(t.record) + " item " + strconv.Itoa(t.item) + ": " + e.Msg
	t.err = e
	return e
}

// DecodeTLVFlows decodes a TLV flow payload (§3.2): records ended by
// end_of_record, an empty record skipped. Each record is passed to emit.
//
// The *engine.FlowRecord is reused between calls (copy it, including its
// Additional slice); its strings are the decoder's own copies (body may be
// reused once the call returns).
//
// Like ntopng, a block, list, end-of-data or other unsupported value type,
// or a key that is not uint8/16/32 or a string, drops the REST of the
// message (the record in progress included) and returns an error; records
// already emitted stay emitted.
func (d *Decoder) DecodeTLVFlows(body []byte, emit func(*engine.FlowRecord)) (records int, err error) {
	d.newMessage()
	if err := tlvPreamble(body); err != nil {
		return 0, err
	}
	d.resetRecord()
	b := body
	v := &d.val
	off, record, item, items := 2, 1, 0, 0
	for off < len(b) {
		// The fast path reads the items nProbe sends (a uint8/16/32 or
		// string key, an integer, float or string value, end of record)
		// with locals only; anything else, including every truncation, goes
		// through the generic reader below (tlvItem), which gives the exact
		// error. Its value reads repeat readTLV's on purpose: one helper for
		// both, not inlined, took BenchmarkDecodeTLVFlows from 221 to 291
		// cpu-ns per flow.
		t := b[off]
		p := off + 1
		var key uint32
		var skey string
		kt, vt := TLVType(t>>4), TLVType(t&0x0f)
		switch kt {
		case TLVUint8:
			if p >= len(b) {
				goto slow
			}
			key = uint32(b[p])
			p++
		case TLVUint16:
			if len(b)-p < 2 {
				goto slow
			}
			key = uint32(binary.BigEndian.Uint16(b[p:]))
			p += 2
		case TLVUint32:
			if len(b)-p < 4 {
				goto slow
			}
			key = binary.BigEndian.Uint32(b[p:])
			p += 4
		case TLVString:
			if len(b)-p < 2 {
				goto slow
			}
			n := int(binary.BigEndian.Uint16(b[p:]))
			if len(b)-p-2 < n {
				goto slow
			}
			skey = bytesString(b[p+2 : p+2+n])
			p += 2 + n
		case TLVUnknown:
			if vt != TLVEndOfRecord {
				goto slow
			}
		default:
			goto slow
		}
		switch vt {
		case TLVEndOfRecord:
			off = p
			if items > 0 {
				d.emitRecord(emit)
				records++
				d.resetRecord()
			}
			record, item, items = record+1, 0, 0
			continue
		case TLVUint8:
			if p >= len(b) {
				goto slow
			}
			*v = value{kind: kindUint, u: uint64(b[p])}
			p++
		case TLVUint16:
			if len(b)-p < 2 {
				goto slow
			}
			*v = value{kind: kindUint, u: uint64(binary.BigEndian.Uint16(b[p:]))}
			p += 2
		case TLVUint32:
			if len(b)-p < 4 {
				goto slow
			}
			*v = value{kind: kindUint, u: uint64(binary.BigEndian.Uint32(b[p:]))}
			p += 4
		case TLVUint64:
			if len(b)-p < 8 {
				goto slow
			}
			*v = value{kind: kindUint, u: binary.BigEndian.Uint64(b[p:])}
			p += 8
		case TLVString:
			if len(b)-p < 2 {
				goto slow
			}
			n := int(binary.BigEndian.Uint16(b[p:]))
			if len(b)-p-2 < n {
				goto slow
			}
			*v = value{kind: kindString, s: bytesString(b[p+2 : p+2+n])}
			p += 2 + n
		case TLVInt8:
			if p >= len(b) {
				goto slow
			}
			*v = value{kind: kindInt, i: int64(int8(b[p]))}
			p++
		case TLVInt16:
			if len(b)-p < 2 {
				goto slow
			}
			*v = value{kind: kindInt, i: int64(int16(binary.BigEndian.Uint16(b[p:])))}
			p += 2
		case TLVInt32:
			if len(b)-p < 4 {
				goto slow
			}
			*v = value{kind: kindInt, i: int64(int32(binary.BigEndian.Uint32(b[p:])))}
			p += 4
		case TLVInt64:
			if len(b)-p < 8 {
				goto slow
			}
			*v = value{kind: kindInt, i: int64(binary.BigEndian.Uint64(b[p:]))}
			p += 8
		case TLVFloat: // little-endian, as readTLV
			if len(b)-p < 4 {
				goto slow
			}
			*v = value{kind: kindFloat, f: float64(math.Float32frombits(binary.LittleEndian.Uint32(b[p:]))), f32: true}
			p += 4
		default: // blocks, lists, end of data: the generic reader's errors
			goto slow
		}
		off = p
		item++
		items++
		if kt == TLVString {
			d.stringKeyField(items-1, skey, v)
		} else if !applyKey(d, d.cur, key, v) {
			d.additional(0, key, "", v)
		}
		continue
	slow:
		{
			it := TLVIterator{b: b, off: off, record: record, item: item}
			var done bool
			if done, err = d.tlvItem(&it, &items, &records, emit); done {
				return records, err
			}
			off, record, item = it.off, it.record, it.item
		}
	}
	// Items after the last end_of_record are an unterminated record: ntopng
	// never processes it, so neither do we.
	return records, nil
}

// stringKeyField applies a field with a string key (a symbolic name or a
// decimal/dotted id) at position pos of its record; an unknown name is an
// additional field.
func (d *Decoder) stringKeyField(pos int, k string, v *value) {
	var pen, id uint32
	var ok bool
	if numericKey(k) {
		pen, id, ok = d.resolveKey(k)
	} else {
		pen, id, ok = d.resolveAt(pos, k)
	}
	if ok {
		d.field(pen, id, k, v)
	} else {
		d.additional(0, 0, k, v)
	}
}

// tlvItem decodes one item at it's offset with the generic reader and
// applies it. done is true when decoding must stop (with err).
func (d *Decoder) tlvItem(it *TLVIterator, items, records *int, emit func(*engine.FlowRecord)) (done bool, err error) {
	item := &d.item
	v := &d.val
	if !it.next(item) {
		return true, it.Err()
	}
	switch item.Type {
	case TLVEndOfRecord:
		if *items > 0 {
			d.emitRecord(emit)
			*records++
			d.resetRecord()
		}
		*items = 0
		return false, nil
	case TLVUint8, TLVUint16, TLVUint32, TLVUint64:
		*v = value{kind: kindUint, u: item.Uint}
	case TLVInt8, TLVInt16, TLVInt32, TLVInt64:
		*v = value{kind: kindInt, i: item.Int}
	case TLVFloat:
		*v = value{kind: kindFloat, f: float64(item.Float), f32: true}
	case TLVString:
		*v = value{kind: kindString, s: item.String}
	default:
		return true, it.fail(ReasonTLVValueType, "unsupported value type %s: rest of message dropped", item.Type)
	}
	*items++
	switch item.KeyType {
	case TLVUint8, TLVUint16, TLVUint32:
		d.field(0, item.Key, "", v)
	case TLVString:
		d.stringKeyField(*items-1, item.KeyString, v)
	default:
		return true, it.fail(ReasonTLVKeyType, "unsupported key type %s: rest of message dropped", item.KeyType)
	}
	return false, nil
}

// Counter field ids (§4.3) and their names.
var counterNames = [...]string{"deviceIP", "samplesGenerated", "ifIndex", "ifName", "ifType", "ifSpeed",
	"ifDirection", "ifAdminStatus", "ifOperStatus", "ifInOctets", "ifInPackets", "ifInErrors",
	"ifOutOctets", "ifOutPackets", "ifOutErrors", "ifPromiscuousMode"}

func counterID(name string) (int, bool) {
	for i, n := range counterNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// setCounter applies counter field id to c. v is a uint or string value.
func setCounter(c *engine.CounterRecord, id int, v *value) {
	switch id {
	case 0:
		if a, ok := v.addr(); ok {
			c.DeviceIP = a
		}
	case 1:
		c.SamplesGenerated = uint32(v.intOrAtoi())
	case 2:
		c.IfIndex = uint32(v.intOrAtoi())
	case 3:
		if v.kind == kindString {
			c.IfName = v.s
		}
	case 4:
		c.IfType = uint32(v.intOrAtoi())
	case 5:
		c.IfSpeed = v.intOrAtoi()
	case 6:
		c.FullDuplex = v.kind == kindString && v.s == "Full"
	case 7:
		c.AdminUp = v.kind == kindString && v.s == "Up"
	case 8:
		c.OperUp = v.kind == kindString && v.s == "Up"
	case 9:
		c.InOctets = v.intOrAtoi()
	case 10:
		c.InPkts = v.intOrAtoi()
	case 11:
		c.InErrors = v.intOrAtoi()
	case 12:
		c.OutOctets = v.intOrAtoi()
	case 13:
		c.OutPkts = v.intOrAtoi()
	case 14:
		c.OutErrors = v.intOrAtoi()
	case 15:
		c.Promisc = v.intOrAtoi() == 1
	}
}

// DecodeTLVCounter decodes a TLV `counter` payload (§4.3): one record of
// uint or string values keyed by id 0-15 or by name. An unknown string key
// or a signed/float/block value aborts it; an unknown numeric key is
// ignored.
//
// flowgate is more liberal than ntopng here: ntopng rejects a trailing
// end_of_record (and so loses the whole sample); we accept it and stop
// there. IfName is copied, so the record does not alias body.
func DecodeTLVCounter(body []byte) (engine.CounterRecord, error) {
	var c engine.CounterRecord
	var it TLVIterator
	if err := it.reset(body); err != nil {
		return c, err
	}
	var v value
	for {
		item, ok := it.Next()
		if !ok {
			break
		}
		switch {
		case item.Type == TLVEndOfRecord:
			c.IfName = string([]byte(c.IfName))
			return c, nil
		case item.IsUint():
			v = value{kind: kindUint, u: item.Uint}
		case item.Type == TLVString:
			v = value{kind: kindString, s: item.String}
		default:
			return c, it.fail(ReasonTLVValueType, "counter: unsupported value type %s", item.Type)
		}
		id := -1
		switch item.KeyType {
		case TLVUint8, TLVUint16, TLVUint32:
			if item.Key < uint32(len(counterNames)) {
				id = int(item.Key)
			}
		case TLVString:
			n, ok := counterID(item.KeyString)
			if !ok {
				if _, num, isNum := parseNumericKey(item.KeyString); isNum {
					if num < uint32(len(counterNames)) {
						id = int(num)
					}
					break
				}
				return c, it.fail(ReasonCounterKey, "counter: unknown key %q", item.KeyString)
			}
			id = n
		default:
			return c, it.fail(ReasonTLVKeyType, "counter: unsupported key type %s", item.KeyType)
		}
		if id >= 0 {
			setCounter(&c, id, &v)
		}
	}
	if err := it.Err(); err != nil {
		return c, err
	}
	c.IfName = string([]byte(c.IfName))
	return c, nil
}
