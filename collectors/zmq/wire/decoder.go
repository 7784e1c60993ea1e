package wire

import (
	"strconv"
	"unsafe"

	"flowgate/engine"
)

// Config configures a Decoder.
type Config struct {
	// Labels resolves symbolic keys; nil means a fresh NewLabels(). The
	// Decoder uses (and template messages should update) this very map.
	Labels *Labels
	// MaxAdditional caps the additional fields kept per record (default 64);
	// more are dropped, so a hostile record cannot grow memory unboundedly.
	MaxAdditional int
}

// DefaultMaxAdditional is the default Config.MaxAdditional.
const DefaultMaxAdditional = 64

// Decoder decodes flow payloads. It owns a reusable record and scratch
// space, so it is meant for one goroutine.
type Decoder struct {
	labels *Labels
	maxAdd int
	rec    engine.FlowRecord // the record built when no target is set
	val    value             // current field value (a field so it never escapes per call)
	item   TLVItem           // current TLV item, likewise
	// arena holds every string a record keeps (copied from the payload,
	// unescaped, or formatted): records never alias the payload, so the
	// caller may reuse it once a decode call returns. Bytes below len are
	// never written again; a full chunk is replaced by a fresh one and left
	// to the GC with the records that point into it.
	arena []byte

	// memo[i] is how the textual key at position i of the last record
	// resolved (memoVer: the labels' version then).
	memo    []keyMemo
	memoVer uint64

	// Records are built in place in what next returns (see SetTarget), or
	// in rec; cur is the record being built, emitted whether it was emitted.
	next    func() *engine.FlowRecord
	cur     *engine.FlowRecord
	emitted bool
}

// SetTarget makes the decoder build each record directly in a record next
// returns (reset, ready to fill), so that a collector batching records
// needs no copy. A record started but not emitted (a decode error, the end
// of the message) is left in the last slot next gave: the caller keeps only
// as many records as the decode call reports.
func (d *Decoder) SetTarget(next func() *engine.FlowRecord) { d.next = next }

// NewDecoder returns a Decoder; it does no I/O.
func NewDecoder(cfg Config) *Decoder {
	if cfg.Labels == nil {
		cfg.Labels = NewLabels()
	}
	if cfg.MaxAdditional <= 0 {
		cfg.MaxAdditional = DefaultMaxAdditional
	}
	return &Decoder{labels: cfg.Labels, maxAdd: cfg.MaxAdditional}
}

// Labels returns the label map the decoder resolves symbolic keys with.
func (d *Decoder) Labels() *Labels { return d.labels }

func (d *Decoder) resetRecord() {
	switch {
	case d.next == nil:
		d.rec.Reset()
		d.cur = &d.rec
	case d.cur != nil && !d.emitted:
		d.cur.Reset() // a record started and given up: reuse its slot
	default:
		d.cur = d.next()
	}
	d.emitted = false
}

// emitRecord hands the current record to emit.
func (d *Decoder) emitRecord(emit func(*engine.FlowRecord)) {
	d.emitted = true
	emit(d.cur)
}

// newMessage starts a message.
func (d *Decoder) newMessage() {
	d.cur, d.emitted = nil, false
	if d.memoVer != d.labels.version { // a template changed the labels
		d.memo, d.memoVer = d.memo[:0], d.labels.version
	}
}

// arenaChunk is the size of one arena allocation: the strings of a few
// hundred records, one allocation without pointers for all of them.
const arenaChunk = 32 << 10

// reserve makes room for n more arena bytes, starting a fresh chunk when
// the current one is full (strings already made keep the old chunk).
func (d *Decoder) reserve(n int) {
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]byte, 0, max(arenaChunk, n))
	}
}

// arenaString turns arena[start:] into a string without copying. The bytes
// are never modified afterwards: the arena only grows (when append moves
// it, old strings stay on the old array).
func (d *Decoder) arenaString(start int) string {
	if start == len(d.arena) {
		return ""
	}
	return unsafe.String(&d.arena[start], len(d.arena)-start)
}

// own returns s copied into the arena, unless it is there already (an
// unescaped JSON string): what a record keeps must not alias the payload.
func (d *Decoder) own(s string) string {
	if len(s) == 0 {
		return ""
	}
	if base := unsafe.SliceData(d.arena); base != nil {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		if b := uintptr(unsafe.Pointer(base)); p >= b && p < b+uintptr(len(d.arena)) {
			return s
		}
	}
	d.reserve(len(s))
	start := len(d.arena)
	d.arena = append(d.arena, s...)
	return d.arenaString(start)
}

// bytesString aliases b as a string (b must not change while it is used).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// field applies one resolved field; unconsumed ones become additional
// fields keyed as received (key, or the decimal id when key is "").
func (d *Decoder) field(pen, id uint32, key string, v *value) {
	if apply(d, d.cur, pen, id, v) {
		return
	}
	d.additional(pen, id, key, v)
}

func (d *Decoder) additional(pen, id uint32, key string, v *value) {
	r := d.cur
	if len(r.Additional) >= d.maxAdd {
		return
	}
	if key == "" {
		d.reserve(21) // "pen.id" (append would move the chunk otherwise)
		start := len(d.arena)
		if pen != 0 {
			d.arena = strconv.AppendUint(d.arena, uint64(pen), 10)
			d.arena = append(d.arena, '.')
		}
		d.arena = strconv.AppendUint(d.arena, uint64(id), 10)
		key = d.arenaString(start)
	} else {
		key = d.own(key)
	}
	var val string
	if v.kind == kindString || v.kind == kindRaw {
		val = d.own(v.s)
	} else {
		d.reserve(32) // a formatted number
		start := len(d.arena)
		d.arena = v.appendText(d.arena)
		val = d.arenaString(start)
	}
	r.Additional = append(r.Additional, engine.Field{Key: key, Value: val})
}

// parseNumericKey classifies a textual key: all digits → numeric id, "PEN.ID" →
// dotted, otherwise symbolic. ok is false for digits overflowing uint32.
func parseNumericKey(k string) (pen, id uint32, numeric bool) {
	if len(k) == 0 || len(k) > 21 {
		return 0, 0, false
	}
	var a, b uint64
	dot := false
	nd := 0
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= '0' && c <= '9':
			if dot {
				b = b*10 + uint64(c-'0')
			} else {
				a = a*10 + uint64(c-'0')
			}
			nd++
			if a > 0xFFFFFFFF || b > 0xFFFFFFFF {
				return 0, 0, false
			}
		case c == '.' && !dot && nd > 0:
			dot, nd = true, 0
		default:
			return 0, 0, false
		}
	}
	if nd == 0 {
		return 0, 0, false
	}
	if dot {
		return uint32(a), uint32(b), true
	}
	return 0, uint32(a), true
}

// keyMemo is one memoized key resolution. The key is kept in a fixed array
// (no allocation, whatever a sender varies); longer keys are not memoized.
type keyMemo struct {
	n       uint8
	key     [maxMemoKey]byte
	pen, id uint32
	ok      bool
}

const (
	maxMemoKey = 40  // longer than any field name ntopng knows
	maxMemo    = 128 // positions memoized per record
)

// resolveAt is resolveKey for the textual key at position pos of a record.
// A probe sends its fields in the same order in every record, so the
// symbolic key at a position is nearly always the one the previous record
// had there: a byte comparison then replaces the label map lookup.
// Callers resolve a key starting with a digit with resolveKey instead
// (numericKey): a decimal id parses faster than a memo compares.
func (d *Decoder) resolveAt(pos int, k string) (pen, id uint32, ok bool) {
	if pos < len(d.memo) {
		if m := &d.memo[pos]; int(m.n) == len(k) && len(k) <= maxMemoKey && string(m.key[:m.n]) == k {
			return m.pen, m.id, m.ok
		}
	}
	pen, id, ok = d.resolveKey(k)
	if pos < maxMemo && len(k) <= maxMemoKey {
		for len(d.memo) <= pos {
			d.memo = append(d.memo, keyMemo{n: maxMemoKey + 1}) // matches no key
		}
		m := &d.memo[pos]
		m.n = uint8(copy(m.key[:], k))
		m.pen, m.id, m.ok = pen, id, ok
	}
	return pen, id, ok
}

// numericKey reports whether k starts like a decimal or dotted id.
func numericKey(k string) bool { return len(k) > 0 && k[0]-'0' <= 9 }

// resolveKey resolves a textual key (JSON key or TLV string key) per §3.4.
func (d *Decoder) resolveKey(k string) (pen, id uint32, ok bool) {
	if pen, id, ok = parseNumericKey(k); ok {
		return pen, id, true
	}
	if f, found := d.labels.Lookup(k); found {
		return f.PEN, f.ID, true
	}
	return 0, 0, false
}
