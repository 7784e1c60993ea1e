package wire

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"

	"flowgate/engine"
)

// TLVWriter serializes TLV exactly like nDPI's serializer (§3.2): numeric
// keys and unsigned values shrunk to the smallest width, int32 shrunk to
// int8/int16, int64 written as int32 when (v & 0xFFFFFFFF) == v, all-digit
// string keys written as numeric keys, float in little-endian. It is for
// the emulator and tests. The zero value is ready; call Begin first.
type TLVWriter struct {
	buf []byte
}

// Begin starts a new message (preamble 01 01), keeping the buffer.
func (w *TLVWriter) Begin() { w.buf = append(w.buf[:0], 1, 1) }

// Bytes returns the message so far (aliases the writer's buffer).
func (w *TLVWriter) Bytes() []byte { return w.buf }

// Len returns the message size so far.
func (w *TLVWriter) Len() int { return len(w.buf) }

// EndRecord ends the current record (0x01).
func (w *TLVWriter) EndRecord() { w.buf = append(w.buf, byte(TLVEndOfRecord)) }

// key writes the type byte and a numeric key shrunk to u8/u16/u32.
func (w *TLVWriter) key(k uint32, vt TLVType) {
	switch {
	case k <= 0xff:
		w.buf = append(w.buf, byte(TLVUint8)<<4|byte(vt), byte(k))
	case k <= 0xffff:
		w.buf = append(w.buf, byte(TLVUint16)<<4|byte(vt))
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(k))
	default:
		w.buf = append(w.buf, byte(TLVUint32)<<4|byte(vt))
		w.buf = binary.BigEndian.AppendUint32(w.buf, k)
	}
}

func (w *TLVWriter) str(s string) {
	if len(s) > 0xffff {
		s = s[:0xffff] // the length field is 16 bits
	}
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(s)))
	w.buf = append(w.buf, s...)
}

// skey writes the type byte and a string key, or a numeric key when the
// name is all digits (nDPI's OPTIMIZE_NUMERIC_KEYS).
func (w *TLVWriter) skey(name string, vt TLVType) {
	if pen, id, ok := parseNumericKey(name); ok && pen == 0 && !hasDot(name) {
		w.key(id, vt)
		return
	}
	w.buf = append(w.buf, byte(TLVString)<<4|byte(vt))
	w.str(name)
}

func hasDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

func uintType(v uint64) TLVType {
	switch {
	case v <= 0xff:
		return TLVUint8
	case v <= 0xffff:
		return TLVUint16
	case v <= 0xffffffff:
		return TLVUint32
	}
	return TLVUint64
}

func (w *TLVWriter) uintVal(t TLVType, v uint64) {
	switch t {
	case TLVUint8:
		w.buf = append(w.buf, byte(v))
	case TLVUint16:
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(v))
	case TLVUint32:
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(v))
	default:
		w.buf = binary.BigEndian.AppendUint64(w.buf, v)
	}
}

// int64Type applies nDPI's signed rules: int64 → int32 when the low 32
// bits hold the whole value (so negative int64 always stays int64, and
// 2^31..2^32-1 wrap to negative int32, as nDPI does); int32 → int8/int16.
func int64Type(v int64) (TLVType, int64) {
	if uint64(v)&0xFFFFFFFF != uint64(v) {
		return TLVInt64, v
	}
	return int32Type(int32(v))
}

func int32Type(v int32) (TLVType, int64) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return TLVInt8, int64(v)
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return TLVInt16, int64(v)
	}
	return TLVInt32, int64(v)
}

func (w *TLVWriter) intVal(t TLVType, v int64) {
	switch t {
	case TLVInt8:
		w.buf = append(w.buf, byte(int8(v)))
	case TLVInt16:
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(int16(v)))
	case TLVInt32:
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(int32(v)))
	default:
		w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(v))
	}
}

// Uint writes an unsigned value (uint32 or uint64 serializer calls).
func (w *TLVWriter) Uint(key uint32, v uint64) {
	t := uintType(v)
	w.key(key, t)
	w.uintVal(t, v)
}

// Int writes a signed value with nDPI's int64 rules.
func (w *TLVWriter) Int(key uint32, v int64) {
	t, n := int64Type(v)
	w.key(key, t)
	w.intVal(t, n)
}

// Int32 writes a signed value with nDPI's int32 rules.
func (w *TLVWriter) Int32(key uint32, v int32) {
	t, n := int32Type(v)
	w.key(key, t)
	w.intVal(t, n)
}

// Float writes a float32 (little-endian, as nDPI on x86).
func (w *TLVWriter) Float(key uint32, v float32) {
	w.key(key, TLVFloat)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(v))
}

// String writes a string value (truncated to 65535 bytes).
func (w *TLVWriter) String(key uint32, s string) {
	w.key(key, TLVString)
	w.str(s)
}

// StringKeyUint writes an unsigned value under a string key.
func (w *TLVWriter) StringKeyUint(name string, v uint64) {
	t := uintType(v)
	w.skey(name, t)
	w.uintVal(t, v)
}

// StringKeyInt writes a signed value under a string key (int64 rules).
func (w *TLVWriter) StringKeyInt(name string, v int64) {
	t, n := int64Type(v)
	w.skey(name, t)
	w.intVal(t, n)
}

// StringKeyInt32 writes a signed value under a string key (int32 rules).
func (w *TLVWriter) StringKeyInt32(name string, v int32) {
	t, n := int32Type(v)
	w.skey(name, t)
	w.intVal(t, n)
}

// StringKeyFloat writes a float under a string key.
func (w *TLVWriter) StringKeyFloat(name string, v float32) {
	w.skey(name, TLVFloat)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(v))
}

// StringKeyString writes a string under a string key.
func (w *TLVWriter) StringKeyString(name, s string) {
	w.skey(name, TLVString)
	w.str(s)
}

// StartBlock / EndBlock / StartList / EndList write the nesting markers
// nDPI can emit (ntopng's flow parser rejects them).
func (w *TLVWriter) StartBlock(name string) {
	w.buf = append(w.buf, byte(TLVStartBlock))
	w.str(name)
}
func (w *TLVWriter) EndBlock() { w.buf = append(w.buf, byte(TLVEndBlock)) }
func (w *TLVWriter) StartList(name string) {
	w.buf = append(w.buf, byte(TLVStartList))
	w.str(name)
}
func (w *TLVWriter) EndList() { w.buf = append(w.buf, byte(TLVEndList)) }

// Field ids the encoders write.
const (
	idInBytes, idInPkts, idProto, idSrcTOS, idTCPFlags, idSrcPort, idSrcIP = 1, 2, 4, 5, 6, 7, 8
	idInIf, idDstPort, idDstIP, idOutIf, idSrcAS, idDstAS                  = 10, 11, 12, 14, 16, 17
	idLast, idFirst, idOutBytes, idOutPkts, idSrcIP6, idDstIP6             = 21, 22, 23, 24, 27, 28
	idDstTOS, idSrcMAC, idDstMAC, idVLAN, idIPVersion, idDirection         = 55, 56, 57, 58, 60, 61
	idExporter4, idInitOctets, idRespOctets, idInitPkts, idRespPkts        = 130, 231, 232, 298, 299
	idClientFlags, idServerFlags, idRetrIn, idRetrOut                      = 57550, 57551, 57581, 57582
	idL7Proto, idL7Name, idCliLat, idSrvLat, idApplLat                     = 57590, 57591, 57595, 57596, 57597
	idHTTPURL, idHTTPRet, idTLSSNI, idDNSQuery, idDNSType, idDNSRet        = 57652, 57653, 57660, 57677, 57679, 57680
	idHTTPMethod, idHTTPSite, idNProbeIP, idL7Info                         = 57832, 57833, 57943, 58011
)

// idL7Risk is L7_PROTO_RISK, nDPI's risk bitmap (docs/zmq-wire.md §5.2).
const idL7Risk = 57981

// flowWriter abstracts the two encodings for encodeFlow.
type flowWriter interface {
	u(id uint32, v uint64)
	f(id uint32, v float32)
	s(id uint32, v string)
	// ip writes an address in text form, as nProbe does, without the
	// string netip.Addr.String allocates: the emulator's sender shares
	// the 2-core machine with the collector it measures.
	ip(id uint32, a netip.Addr)
}

type tlvFlow struct{ w *TLVWriter }

func (t tlvFlow) u(id uint32, v uint64)  { t.w.Uint(id, v) }
func (t tlvFlow) f(id uint32, v float32) { t.w.Float(id, v) }
func (t tlvFlow) s(id uint32, v string)  { t.w.String(id, v) }
func (t tlvFlow) ip(id uint32, a netip.Addr) {
	var text [len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")]byte
	t.w.String(id, bytesString(a.AppendTo(text[:0]))) // String copies it
}

func encodeFlow(w flowWriter, r *engine.FlowRecord) {
	addr := func(v4, v6 uint32, a netip.Addr) {
		if !a.IsValid() {
			return
		}
		if a.Is4() {
			w.ip(v4, a)
		} else {
			w.ip(v6, a)
		}
	}
	addr(idSrcIP, idSrcIP6, r.SrcIP)
	addr(idDstIP, idDstIP6, r.DstIP)
	w.u(idSrcPort, uint64(r.SrcPort))
	w.u(idDstPort, uint64(r.DstPort))
	w.u(idProto, uint64(r.Proto))
	if r.IPVersion != 0 {
		w.u(idIPVersion, uint64(r.IPVersion))
	}
	if r.VLAN != 0 {
		w.u(idVLAN, uint64(r.VLAN))
	}
	if r.Direction != 2 {
		w.u(idDirection, uint64(r.Direction))
	}
	if r.Absolute {
		w.u(idInitOctets, r.InBytes)
		w.u(idInitPkts, r.InPkts)
		w.u(idRespOctets, r.OutBytes)
		w.u(idRespPkts, r.OutPkts)
	} else {
		w.u(idInBytes, r.InBytes)
		w.u(idInPkts, r.InPkts)
		w.u(idOutBytes, r.OutBytes)
		w.u(idOutPkts, r.OutPkts)
	}
	w.u(idFirst, uint64(r.FirstSwitched))
	w.u(idLast, uint64(r.LastSwitched))
	if r.TCPFlags != 0 {
		w.u(idTCPFlags, uint64(r.TCPFlags))
	}
	if r.ClientTCPFlags != 0 {
		w.u(idClientFlags, uint64(r.ClientTCPFlags))
	}
	if r.ServerTCPFlags != 0 {
		w.u(idServerFlags, uint64(r.ServerTCPFlags))
	}
	if r.SrcTOS != 0 {
		w.u(idSrcTOS, uint64(r.SrcTOS))
	}
	if r.DstTOS != 0 {
		w.u(idDstTOS, uint64(r.DstTOS))
	}
	if r.InIfIndex != 0 {
		w.u(idInIf, uint64(r.InIfIndex))
	}
	if r.OutIfIndex != 0 {
		w.u(idOutIf, uint64(r.OutIfIndex))
	}
	if r.SrcAS != 0 {
		w.u(idSrcAS, uint64(r.SrcAS))
	}
	if r.DstAS != 0 {
		w.u(idDstAS, uint64(r.DstAS))
	}
	if r.SrcMAC != ([6]byte{}) {
		w.s(idSrcMAC, macString(r.SrcMAC))
	}
	if r.DstMAC != ([6]byte{}) {
		w.s(idDstMAC, macString(r.DstMAC))
	}
	if r.RetrIn != 0 {
		w.u(idRetrIn, uint64(r.RetrIn))
	}
	if r.RetrOut != 0 {
		w.u(idRetrOut, uint64(r.RetrOut))
	}
	if r.L7Set {
		if r.L7Master != 0 {
			w.s(idL7Proto, strconv.Itoa(int(r.L7Master))+"."+strconv.Itoa(int(r.L7App)))
		} else {
			w.u(idL7Proto, uint64(r.L7App))
		}
	}
	if r.L7Name != "" {
		w.s(idL7Name, r.L7Name)
	}
	if r.HasLatency&1 != 0 {
		w.f(idCliLat, r.ClientLatencyMs)
	}
	if r.HasLatency&2 != 0 {
		w.f(idSrvLat, r.ServerLatencyMs)
	}
	if r.HasLatency&4 != 0 {
		w.f(idApplLat, r.ApplLatencyMs)
	}
	if r.ExporterIP.Is4() {
		w.ip(idExporter4, r.ExporterIP)
	}
	if r.NProbeIP.IsValid() {
		w.ip(idNProbeIP, r.NProbeIP)
	}
	for _, f := range [...]struct {
		id uint32
		s  string
	}{{idDNSQuery, r.DNSQuery}, {idHTTPURL, r.HTTPURL}, {idHTTPSite, r.HTTPSite}, {idHTTPMethod, r.HTTPMethod},
		{idTLSSNI, r.TLSServerName}, {idL7Info, r.L7Info}} {
		if f.s != "" {
			w.s(f.id, f.s)
		}
	}
	if r.DNSQueryType != 0 {
		w.u(idDNSType, uint64(r.DNSQueryType))
	}
	if r.DNSRetCode != 0 {
		w.u(idDNSRet, uint64(r.DNSRetCode))
	}
	if r.HTTPRetCode != 0 {
		w.u(idHTTPRet, uint64(r.HTTPRetCode))
	}
	if r.Risk != 0 {
		w.u(idL7Risk, r.Risk)
	}
}

func macString(m [6]byte) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, c := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return string(b)
}

// EncodeTLVFlow appends r's main fields as one TLV record, EOR included
// (call w.Begin once per message first).
func EncodeTLVFlow(w *TLVWriter, r *engine.FlowRecord) {
	encodeFlow(tlvFlow{w}, r)
	w.EndRecord()
}

type jsonFlow struct {
	dst      []byte
	symbolic bool
	n        int
	keys     *jsonKeys // JSONWriter's; nil: none
}

// jsonKeys caches the text of keys (`"57590":`), direct-mapped by id: a
// record writes twenty of them, and formatting each was a third of the
// emulator's CPU per JSON record. Fibonacci hashing into 512 slots gives
// every id the encoder writes a slot of its own (256 put 130 and 57677
// together: a miss per record).
type jsonKeys [512]struct {
	id       uint32
	symbolic bool
	text     string
}

func (j *jsonFlow) key(id uint32) {
	if j.n > 0 {
		j.dst = append(j.dst, ',')
	}
	j.n++
	if j.keys == nil {
		j.dst = append(j.keyText(j.dst, id), '"', ':')
		return
	}
	e := &j.keys[(id*2654435769)>>23]
	if e.text == "" || e.id != id || e.symbolic != j.symbolic {
		e.id, e.symbolic, e.text = id, j.symbolic, string(j.keyText(nil, id))+`":`
	}
	j.dst = append(j.dst, e.text...)
}

// keyText appends the quote and name (symbolic) or number of id.
func (j *jsonFlow) keyText(dst []byte, id uint32) []byte {
	dst = append(dst, '"')
	if name, ok := j.name(id); ok {
		return append(dst, name...)
	}
	return strconv.AppendUint(dst, uint64(id), 10)
}

// name is the symbolic key of id, looked up only for symbolic output.
func (j *jsonFlow) name(id uint32) (string, bool) {
	if !j.symbolic {
		return "", false
	}
	return FieldName(0, id)
}

func (j *jsonFlow) u(id uint32, v uint64) { j.key(id); j.dst = strconv.AppendUint(j.dst, v, 10) }
func (j *jsonFlow) f(id uint32, v float32) {
	j.key(id)
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		v = 0 // not representable in JSON
	}
	j.dst = strconv.AppendFloat(j.dst, float64(v), 'f', -1, 32)
}
func (j *jsonFlow) s(id uint32, v string) { j.key(id); j.dst = appendJSONString(j.dst, v) }
func (j *jsonFlow) ip(id uint32, a netip.Addr) {
	j.key(id)
	j.dst = append(a.AppendTo(append(j.dst, '"')), '"') // no character of an address needs escaping
}

// appendJSONString quotes s for JSON: quote, backslash and control
// characters escaped, other bytes (UTF-8) kept as they are.
func appendJSONString(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// AppendJSONFlow appends r's main fields as one JSON object, with numeric
// keys or ntopng's symbolic labels. Wrap several in [ ] for a message.
func AppendJSONFlow(dst []byte, r *engine.FlowRecord, symbolic bool) []byte {
	j := jsonFlow{dst: append(dst, '{'), symbolic: symbolic}
	encodeFlow(&j, r)
	return append(j.dst, '}')
}

// JSONWriter is AppendJSONFlow for a sender that encodes many records:
// its state lives in the writer, so that a record costs no allocation
// (AppendJSONFlow's state escapes through the encoder's interface, one
// allocation and its garbage per record).
type JSONWriter struct {
	j    jsonFlow
	keys *jsonKeys
}

// AppendFlow appends r to dst as AppendJSONFlow does.
func (w *JSONWriter) AppendFlow(dst []byte, r *engine.FlowRecord, symbolic bool) []byte {
	if w.keys == nil {
		w.keys = new(jsonKeys)
	}
	w.j = jsonFlow{dst: append(dst, '{'), symbolic: symbolic, keys: w.keys}
	encodeFlow(&w.j, r)
	dst = append(w.j.dst, '}')
	w.j.dst = nil // the caller owns dst
	return dst
}
