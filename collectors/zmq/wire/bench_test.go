package wire

import (
	"runtime"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/internal/cputime"
)

const benchFlows = 100

// perFlow reports ns/flow (wall) and cpu-ns/flow: the decoding thread's CPU
// time, which a loaded machine does not inflate with its scheduling delays.
// Call it right after the b.Loop() loop, with cpu0 taken before it (the
// goroutine locked to its thread).
func perFlow(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(cputime.PerOp(cpu0, cputime.Thread, b.N*benchFlows), "cpu-ns/flow")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchFlows), "ns/flow")
}

func BenchmarkDecodeTLVFlows(b *testing.B) {
	var w TLVWriter
	w.Begin()
	flows := realisticFlows(benchFlows)
	for i := range flows {
		EncodeTLVFlow(&w, &flows[i])
	}
	body := w.Bytes()
	d := NewDecoder(Config{})
	emit := func(*engine.FlowRecord) {}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := cputime.Thread()
	for b.Loop() {
		if n, err := d.DecodeTLVFlows(body, emit); n != benchFlows || err != nil {
			b.Fatal(n, err)
		}
	}
	perFlow(b, cpu0)
}

func benchJSON(b *testing.B, symbolic, sameFields bool) {
	flows := realisticFlows(benchFlows)
	if sameFields { // every record with the same fields in the same order, as a probe's template gives
		all := realisticFlows(4 * benchFlows)
		for i := range flows {
			flows[i] = all[4*i]
		}
	}
	body := []byte{'['}
	for i := range flows {
		if i > 0 {
			body = append(body, ',')
		}
		body = AppendJSONFlow(body, &flows[i], symbolic)
	}
	body = append(body, ']')
	d := NewDecoder(Config{})
	emit := func(*engine.FlowRecord) {}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := cputime.Thread()
	for b.Loop() {
		if n, err := d.DecodeJSONFlows(body, emit); n != benchFlows || err != nil {
			b.Fatal(n, err)
		}
	}
	perFlow(b, cpu0)
}

func BenchmarkDecodeJSONFlows(b *testing.B) {
	b.Run("numeric", func(b *testing.B) { benchJSON(b, false, false) })
	b.Run("symbolic", func(b *testing.B) { benchJSON(b, true, false) })
	b.Run("symbolic-same-fields", func(b *testing.B) { benchJSON(b, true, true) })
}

func BenchmarkOpenPayloadZlib(b *testing.B) {
	var w TLVWriter
	w.Begin()
	flows := realisticFlows(benchFlows)
	for i := range flows {
		EncodeTLVFlow(&w, &flows[i])
	}
	z := zlibBytes(b, w.Bytes())
	h := Header{Len: HeaderV3Len, Version: VersionV3, Flags: FlagTLV | FlagCompressed}
	var buf []byte
	b.SetBytes(int64(len(z)))
	b.ReportAllocs()
	for b.Loop() {
		body, _, err := OpenPayload(h, z, buf, 0)
		if err != nil {
			b.Fatal(err)
		}
		buf = body
	}
}

func BenchmarkParseHeader(b *testing.B) {
	hdr := AppendHeaderV3(nil, "flow", FlagTLV, 0, 0, 1, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHeader(hdr); err != nil {
			b.Fatal(err)
		}
	}
}
