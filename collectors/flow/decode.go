package flow

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"
	"github.com/netsampler/goflow2/v2/decoders/sflow"

	"flowgate/engine"
)

// Decoder turns datagrams into engine records. goflow2 parses the wire
// formats; the Decoder picks the parser by the version field, guards it
// against inputs it does not bound, keeps templates, sequence numbers and
// sampling rates per exporter, and maps the fields (mapping.go). One
// Decoder is used by one goroutine; exporters are pinned to it.
type Decoder struct {
	reg   *registry
	dirty *atomic.Bool
	exp   map[netip.Addr]*exporter
	now   func() time.Time
	// vals is the one record's fields handed to the mapping, reused.
	vals []value
	// sets is the fast path's set list, reused (fastpath.go).
	sets []dataSet
	// goflowOnly turns the fast path off (tests compare both paths).
	goflowOnly bool
	// fastDatagrams counts the datagrams the fast path decoded.
	fastDatagrams uint64
}

// exporter is the per-exporter state only the owning Decoder touches.
type exporter struct {
	c        *exporterCounters
	seq      map[uint64]seqState
	sampling map[uint64]uint32 // domain<<32 | sampler id (0: the domain's own rate) → 1-in-N
}

type seqState struct {
	next             uint32 // expected next sequence number
	prev, data, opts uint32 // IPFIX: the last message's number and record counts
}

// NewDecoder returns a Decoder counting into reg; dirty is set when a
// template changes (the collector saves them).
func newDecoder(reg *registry, dirty *atomic.Bool, now func() time.Time) *Decoder {
	if now == nil {
		now = time.Now
	}
	return &Decoder{reg: reg, dirty: dirty, exp: map[netip.Addr]*exporter{}, now: now}
}

// Decode reasons (the decode_errors label values; see README.md).
const (
	reasonShort       = "truncated"
	reasonVersion     = "unknown_version"
	reasonV5Count     = "v5_count"
	reasonTemplate    = "bad_template"
	reasonSet         = "bad_set"
	reasonSFlow       = "sflow_malformed"
	reasonSFlowLimit  = "sflow_too_many_records"
	reasonPanic       = "decoder_panic"
	reasonTooMany     = "too_many_exporters"
	reasonWrongKind   = "wrong_protocol"
	reasonHeader      = "sampled_header"
	reasonTooManyTmpl = "too_many_templates"
)

// decodeErr is a datagram (or part of one) refused, with its reason.
type decodeErr struct {
	reason string
	err    error
}

func (e *decodeErr) Error() string { return e.reason + ": " + e.err.Error() }
func (e *decodeErr) Unwrap() error { return e.err }

func fail(reason string, err error) error { return &decodeErr{reason, err} }

// Reason returns the counted reason of an error Decode returned.
func Reason(err error) string {
	var de *decodeErr
	if errors.As(err, &de) {
		return de.reason
	}
	return "other"
}

func (d *Decoder) exporter(a netip.Addr) *exporter {
	if e := d.exp[a]; e != nil {
		return e
	}
	c := d.reg.get(a)
	if c == nil {
		return nil
	}
	c.initTemplates(d.dirty)
	e := &exporter{c: c, seq: map[uint64]seqState{}, sampling: map[uint64]uint32{}}
	d.exp[a] = e
	return e
}

// Decode decodes one datagram from exporter `from` into b (flows and
// counters appended). sflowPort tells which family the socket serves:
// NetFlow/IPFIX sockets refuse sFlow and the other way round. Records
// decoded before an error in a later set stay in b.
func (d *Decoder) Decode(pkt []byte, from netip.Addr, sflowPort bool, b *engine.Batch) (err error) {
	from = from.Unmap()
	e := d.exporter(from)
	if e == nil {
		d.reg.over.Add(1)
		return fail(reasonTooMany, errors.New("exporter table full"))
	}
	e.c.packets.Add(1)
	e.c.lastSeen.Store(d.now().Unix())
	defer func() {
		if r := recover(); r != nil {
			err = fail(reasonPanic, fmt.Errorf("%v", r))
		}
		if err != nil {
			e.c.fail(Reason(err))
		}
	}()
	if sflowPort {
		if len(pkt) < 4 {
			return fail(reasonShort, fmt.Errorf("%d bytes", len(pkt)))
		}
		if v := binary.BigEndian.Uint32(pkt); v != 5 {
			return fail(reasonVersion, fmt.Errorf("sFlow version %d", v))
		}
		e.c.setProto("sflow_v5")
		return d.sflow(e, from, pkt, b)
	}
	if len(pkt) < 2 {
		return fail(reasonShort, fmt.Errorf("%d bytes", len(pkt)))
	}
	switch v := binary.BigEndian.Uint16(pkt); v {
	case 5:
		e.c.setProto("netflow_v5")
		return d.v5(e, from, pkt, b)
	case 9, 10:
		if v == 9 {
			e.c.setProto("netflow_v9")
		} else {
			e.c.setProto("ipfix")
		}
		return d.v9ipfix(e, from, pkt, b)
	case 0:
		if len(pkt) >= 4 && binary.BigEndian.Uint32(pkt) == 5 {
			return fail(reasonWrongKind, errors.New("sFlow datagram on a NetFlow socket"))
		}
		return fail(reasonVersion, errors.New("version 0"))
	default:
		return fail(reasonVersion, fmt.Errorf("NetFlow version %d", v))
	}
}

// sequence counts a gap when seq is ahead of the expected number; a
// number behind it (reordering, an exporter restart) only resynchronises.
func (e *exporter) sequence(key uint64, seq, advance uint32) {
	s, ok := e.seq[key]
	if ok && seq != s.next {
		if d := seq - s.next; d < 1<<30 {
			e.c.gaps.Add(1)
			e.c.lost.Add(uint64(d))
		}
	}
	e.seq[key] = seqState{next: seq + advance}
}

const (
	v5Header = 24
	v5Record = 48
)

func (d *Decoder) v5(e *exporter, from netip.Addr, pkt []byte, b *engine.Batch) error {
	if len(pkt) < v5Header {
		return fail(reasonShort, fmt.Errorf("v5 header of %d bytes", len(pkt)))
	}
	count := int(binary.BigEndian.Uint16(pkt[2:]))
	// goflow2 allocates count records before reading them: check the
	// datagram holds them all first.
	if count == 0 || len(pkt) < v5Header+count*v5Record {
		return fail(reasonV5Count, fmt.Errorf("v5 count %d in %d bytes", count, len(pkt)))
	}
	var p netflowlegacy.PacketNetFlowV5
	if err := netflowlegacy.DecodeMessageVersion(bytes.NewBuffer(pkt[:v5Header+count*v5Record]), &p); err != nil {
		return fail(reasonShort, err)
	}
	e.sequence(5<<32|uint64(p.EngineType)<<8|uint64(p.EngineId), p.FlowSequence, uint32(len(p.Records)))
	rate := uint32(p.SamplingInterval & 0x3fff) // top 2 bits: sampling mode
	if rate == 0 {
		rate = 1
	}
	e.c.sampling.Store(rate)
	for i := range p.Records {
		mapV5(b.AddFlow(), &p.Records[i], &p, from, rate)
	}
	e.c.records.Add(uint64(len(p.Records)))
	return nil
}

// header is what the mapping needs of a v9/IPFIX datagram header.
type header struct {
	version  uint16
	uptime   uint32 // v9 sysUptime, ms
	unixSecs uint32
	domain   uint32
}

func (d *Decoder) v9ipfix(e *exporter, from netip.Addr, pkt []byte, b *engine.Batch) error {
	if !d.goflowOnly && d.fast(e, from, pkt, b) {
		d.fastDatagrams++
		return nil
	}
	var (
		nf9  netflow.NFv9Packet
		ipfx netflow.IPFIXPacket
		h    header
	)
	buf := bytes.NewBuffer(pkt)
	derr := netflow.DecodeMessageVersion(buf, e.c.tmpl, &nf9, &ipfx)
	var sets []any
	var seqKey uint64
	var seq uint32
	if binary.BigEndian.Uint16(pkt) == 9 {
		if len(pkt) < 20 {
			return fail(reasonShort, fmt.Errorf("v9 header of %d bytes", len(pkt)))
		}
		h = header{version: 9, uptime: nf9.SystemUptime, unixSecs: nf9.UnixSeconds, domain: nf9.SourceId}
		sets, seqKey, seq = nf9.FlowSets, 9<<32|uint64(nf9.SourceId), nf9.SequenceNumber
	} else {
		if len(pkt) < 16 {
			return fail(reasonShort, fmt.Errorf("IPFIX header of %d bytes", len(pkt)))
		}
		h = header{version: 10, unixSecs: ipfx.ExportTime, domain: ipfx.ObservationDomainId}
		sets, seqKey, seq = ipfx.FlowSets, 10<<32|uint64(ipfx.ObservationDomainId), ipfx.SequenceNumber
	}
	n := 0
	for _, s := range sets {
		switch s := s.(type) {
		case netflow.DataFlowSet:
			for i := range s.Records {
				d.vals = fromGoflow(d.vals[:0], s.Records[i].Values)
				if mapDataRecord(b.AddFlow(), d.vals, &h, from, e) {
					n++
				} else {
					b.Flows = b.Flows[:len(b.Flows)-1]
					e.c.fail("record_without_addresses")
				}
			}
		case netflow.OptionsDataFlowSet:
			for i := range s.Records {
				d.option(e, &h, &s.Records[i])
			}
		case netflow.RawFlowSet:
			if s.Id >= 256 {
				e.c.misses.Add(1)
			}
		}
	}
	e.c.records.Add(uint64(n))
	// v9 numbers datagrams; IPFIX numbers data records (RFC 7011 §3.1).
	if h.version == 9 {
		e.sequence(seqKey, seq, 1)
	} else {
		data, opts := countIPFIXRecords(sets)
		e.ipfixSequence(seqKey, seq, data, opts)
	}
	if derr != nil && !onlyTemplateMisses(derr) {
		return fail(netflowReason(derr), derr)
	}
	return nil
}

func countIPFIXRecords(sets []any) (data, options uint32) {
	for _, s := range sets {
		switch s := s.(type) {
		case netflow.DataFlowSet:
			data += uint32(len(s.Records))
		case netflow.OptionsDataFlowSet:
			options += uint32(len(s.Records))
		}
	}
	return data, options
}

// ipfixSequence: RFC 7011 numbers the data records sent before the
// message, options data records included. Exporters differ: softflowd
// 1.1 counts flow records only and includes the message's own. Any of
// those continuations is in order; a gap is measured from the RFC's.
func (e *exporter) ipfixSequence(key uint64, seq, data, opts uint32) {
	s, ok := e.seq[key]
	if ok {
		prev, pd, po := s.prev, s.data, s.opts
		inOrder := seq == prev+pd+po || seq == prev+pd || seq == prev+data || seq == prev+data+opts
		if d := seq - (prev + pd + po); !inOrder && d < 1<<30 {
			e.c.gaps.Add(1)
			e.c.lost.Add(uint64(d))
		}
	}
	e.seq[key] = seqState{next: seq + data + opts, prev: seq, data: data, opts: opts}
}

// onlyTemplateMisses: goflow2 carries on past a data set without a
// template and joins ErrorTemplateNotFound; those are counted as misses.
func onlyTemplateMisses(err error) bool {
	type multi interface{ Unwrap() []error }
	for err != nil {
		if m, ok := err.(multi); ok {
			for _, e := range m.Unwrap() {
				if !onlyTemplateMisses(e) {
					return false
				}
			}
			return true
		}
		if err == netflow.ErrorTemplateNotFound {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

func netflowReason(err error) string {
	switch {
	case errors.Is(err, errTemplateEmpty), errors.Is(err, errTemplateTooLong):
		return reasonTemplate
	case errors.Is(err, errTooManyTemplate):
		return reasonTooManyTmpl
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "header"):
		return reasonShort
	case strings.Contains(s, "Template"):
		return reasonTemplate
	}
	return reasonSet
}

// option applies an options data record: sampling rates (per domain or
// per sampler id) and interface names.
func (d *Decoder) option(e *exporter, h *header, r *netflow.OptionsDataRecord) {
	var sampler, rate, ifIndex uint64
	var name string
	scan := func(fs []netflow.DataField) {
		for _, f := range fs {
			v, _ := f.Value.([]byte)
			if f.PenProvided {
				continue
			}
			switch f.Type {
			case 48, 302: // FLOW_SAMPLER_ID, selectorId
				sampler = be(v)
			case 34, 50, 305: // SAMPLING_INTERVAL, FLOW_SAMPLER_RANDOM_INTERVAL, samplingPacketInterval
				rate = be(v)
			case 10: // ingressInterface as scope
				ifIndex = be(v)
			case 82: // interfaceName
				name = cstring(v)
			case 2: // v9 scope type 2 is "interface" (RFC 3954 §6.1)
				if h.version == 9 {
					ifIndex = be(v)
				}
			}
		}
	}
	scan(r.ScopesValues)
	scan(r.OptionsValues)
	if rate > 0 && rate < 1<<32 {
		e.sampling[uint64(h.domain)<<32|sampler&0xffffffff] = uint32(rate)
	}
	if name != "" && ifIndex < 1<<32 {
		e.c.setIfName(uint32(ifIndex), name)
	}
}

// rateFor is the sampling rate of a record of domain with sampler id.
func (e *exporter) rateFor(domain uint32, sampler uint64, inRecord uint64) uint32 {
	if inRecord > 0 && inRecord < 1<<32 {
		return uint32(inRecord)
	}
	if r := e.sampling[uint64(domain)<<32|sampler&0xffffffff]; r > 0 {
		return r
	}
	if r := e.sampling[uint64(domain)<<32]; r > 0 {
		return r
	}
	return 1
}

func be(v []byte) uint64 {
	if len(v) > 8 {
		v = v[len(v)-8:]
	}
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x
}

func cstring(v []byte) string {
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	if len(v) > 64 {
		v = v[:64]
	}
	return strings.ToValidUTF8(string(v), "?")
}

// sflowCheck walks the datagram's sample and record headers before
// goflow2 does: goflow2 allocates an expanded flow sample's records by the
// announced count without bound.
func sflowCheck(p []byte) error {
	if len(p) < 8 {
		return fail(reasonShort, errors.New("sFlow header"))
	}
	off := 8
	switch binary.BigEndian.Uint32(p[4:]) {
	case 1:
		off += 4
	case 2:
		off += 16
	default:
		return fail(reasonSFlow, errors.New("agent address type"))
	}
	off += 16 // sub agent, sequence, uptime, samples
	if len(p) < off {
		return fail(reasonShort, errors.New("sFlow header"))
	}
	n := binary.BigEndian.Uint32(p[off-4:])
	if n > 1000 {
		return fail(reasonSFlowLimit, fmt.Errorf("%d samples", n))
	}
	for i := uint32(0); i < n; i++ {
		if len(p)-off < 8 {
			return fail(reasonShort, fmt.Errorf("sample %d header", i))
		}
		format, length := binary.BigEndian.Uint32(p[off:]), binary.BigEndian.Uint32(p[off+4:])
		off += 8
		if uint64(length) > uint64(len(p)-off) {
			return fail(reasonShort, fmt.Errorf("sample %d of %d bytes", i, length))
		}
		s := p[off : off+int(length)]
		off += int(length)
		var countAt int
		switch format {
		case 1:
			countAt = 28
		case 3:
			countAt = 40
		case 5:
			countAt = 24
		case 2, 4:
			countAt = -1
		default:
			continue // goflow2 refuses unknown formats itself
		}
		if countAt > 0 && len(s) >= countAt+4 && binary.BigEndian.Uint32(s[countAt:]) > 1000 {
			return fail(reasonSFlowLimit, fmt.Errorf("sample %d announces %d records", i, binary.BigEndian.Uint32(s[countAt:])))
		}
	}
	return nil
}

func (d *Decoder) sflow(e *exporter, from netip.Addr, pkt []byte, b *engine.Batch) error {
	if err := sflowCheck(pkt); err != nil {
		return err
	}
	var p sflow.Packet
	if err := sflow.DecodeMessageVersion(bytes.NewBuffer(pkt), &p); err != nil {
		return fail(reasonSFlow, err)
	}
	agent, _ := netip.AddrFromSlice(p.AgentIP)
	agent = agent.Unmap()
	e.sequence(uint64(p.SubAgentId)|1<<40, p.SequenceNumber, 1)
	flows, counters := 0, 0
	for _, s := range p.Samples {
		switch s := s.(type) {
		case sflow.FlowSample:
			if d.sflowFlow(e, b, from, agent, s.SamplingRate, s.Input, s.Output, s.Records) {
				flows++
			}
		case sflow.ExpandedFlowSample:
			if d.sflowFlow(e, b, from, agent, s.SamplingRate, s.InputIfValue, s.OutputIfValue, s.Records) {
				flows++
			}
		case sflow.CounterSample:
			for _, r := range s.Records {
				if c, ok := r.Data.(sflow.IfCounters); ok {
					b.Counters = append(b.Counters, counterRecord(agent, &s.Header, &c))
					counters++
				}
			}
		}
	}
	e.c.records.Add(uint64(flows))
	e.c.counters.Add(uint64(counters))
	return nil
}
