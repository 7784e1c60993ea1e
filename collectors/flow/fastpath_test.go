package flow

import (
	"reflect"
	"testing"

	"flowgate/engine"
)

// Templates learned before the datagrams of the fast-path tests: a v9
// data template, an IPFIX one with a reverse (RFC 5103) counter and a
// variable-length name, an IPFIX options template.
func fastSetup() [][]byte {
	return [][]byte{
		v9packet(0, 60000, 1700000000, 5, 2, set(0, templateBody(9, 256, basicFields...)), set(0, templateBody(9, 258, tfield{7, 2, 0}, tfield{11, 2, 0}))),
		ipfixPacket(0, 1700000020, 1,
			set(2, templateBody(10, 400, tfield{8, 4, 0}, tfield{12, 4, 0}, tfield{1, 8, 0}, tfield{2, 8, rfc5103PEN}, tfield{82, 0xffff, 0})),
			set(3, wbuf{}.u16(500).u16(2).u16(1).u16(10).u16(4).u16(34).u16(4))),
	}
}

func ipfixVarRecord(src string, name string) []byte {
	return append(wbuf{}.ip(src).ip("10.1.0.2").u32(0).u32(100).u32(0).u32(2).u8(uint8(len(name))), name...)
}

// decodeBoth decodes pkts after the setup with the fast path on and off
// and fails when flows, errors or exporter counters differ. It returns
// the flows and how many datagrams the fast path took.
func decodeBoth(t testing.TB, pkts ...[]byte) (flows []engine.FlowRecord, fastTaken uint64) {
	t.Helper()
	type result struct {
		flows []engine.FlowRecord
		errs  []string
		stats []ExporterStats
	}
	var results [2]result
	for i, goflowOnly := range []bool{false, true} {
		d, reg := newTestDecoder()
		d.goflowOnly = goflowOnly
		b := &engine.Batch{}
		for _, p := range fastSetup() {
			if err := d.Decode(p, exp, false, b); err != nil {
				t.Fatal(err)
			}
		}
		r := &results[i]
		for _, p := range pkts {
			n := len(b.Flows)
			err := d.Decode(p, exp, false, b)
			if len(b.Flows) < n {
				t.Fatalf("flows of earlier datagrams lost")
			}
			r.errs = append(r.errs, "")
			if err != nil {
				r.errs[len(r.errs)-1] = Reason(err)
			}
		}
		r.flows, r.stats = b.Flows, reg.list()
		if len(r.flows) == 0 {
			r.flows = nil // a rolled-back fast attempt leaves capacity, not records
		}
		if !goflowOnly {
			fastTaken = d.fastDatagrams
		}
	}
	if !reflect.DeepEqual(results[0].flows, results[1].flows) {
		t.Fatalf("flows differ:\nfast:   %+v\ngoflow: %+v", results[0].flows, results[1].flows)
	}
	if !reflect.DeepEqual(results[0].errs, results[1].errs) {
		t.Fatalf("errors differ: fast %q, goflow %q", results[0].errs, results[1].errs)
	}
	if !reflect.DeepEqual(results[0].stats, results[1].stats) {
		t.Fatalf("exporter counters differ:\nfast:   %+v\ngoflow: %+v", results[0].stats, results[1].stats)
	}
	return results[0].flows, fastTaken
}

func TestFastPath(t *testing.T) {
	rec := basicRecord("10.0.0.1", "10.0.0.2", 1234, 80, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)
	for _, tc := range []struct {
		name  string
		pkts  [][]byte
		flows int
		fast  uint64 // datagrams the fast path must take
	}{
		{"v9 data", [][]byte{v9packet(1, 60000, 1700000000, 5, 2, set(256, append(rec, rec...)), set(256, rec))}, 3, 1},
		{"v9 sequence gap", [][]byte{v9packet(1, 60000, 1700000000, 5, 1, set(256, rec)), v9packet(5, 60000, 1700000000, 5, 1, set(256, rec))}, 2, 2},
		{"v9 count bounds the sets", [][]byte{v9packet(1, 60000, 1700000000, 5, 1, set(256, rec), set(256, rec))}, 1, 1},
		{"v9 padding after the records", [][]byte{v9packet(1, 60000, 1700000000, 5, 1, set(256, append(rec, 0, 0, 0)))}, 1, 1},
		{"v9 set longer than the datagram", [][]byte{v9packet(1, 60000, 1700000000, 5, 1, set(256, rec))[:20+4+len(rec)-1]}, 0, 1},
		{"v9 template with data: goflow2", [][]byte{v9packet(1, 60000, 1700000000, 5, 2, set(0, templateBody(9, 257, basicFields...)), set(257, rec))}, 1, 0},
		{"v9 unknown template: goflow2", [][]byte{v9packet(1, 60000, 1700000000, 5, 2, set(256, rec), set(300, rec))}, 1, 0},
		{"v9 zero-length set: goflow2", [][]byte{v9packet(1, 60000, 1700000000, 5, 2, set(256, rec), []byte{1, 0, 0, 0})}, 1, 0},
		{"v9 record without addresses", [][]byte{v9packet(1, 60000, 1700000000, 5, 1, set(258, wbuf{}.u16(1).u16(2)))}, 0, 1},
		{"ipfix variable length", [][]byte{ipfixPacket(7, 1700000020, 1, set(400, append(ipfixVarRecord("10.1.0.1", "abc"), ipfixVarRecord("10.1.0.3", "")...)))}, 2, 1},
		{"ipfix sequence", [][]byte{ipfixPacket(7, 1700000020, 1, set(400, ipfixVarRecord("10.1.0.1", "a"))), ipfixPacket(8, 1700000020, 1, set(400, ipfixVarRecord("10.1.0.1", "a"))), ipfixPacket(20, 1700000020, 1, set(400, ipfixVarRecord("10.1.0.1", "a")))}, 3, 3},
		{"ipfix long variable length", [][]byte{ipfixPacket(7, 1700000020, 1, set(400, append(append(ipfixVarRecord("10.1.0.1", "")[:24], 0xff, 0, 3), "xyz"...)))}, 1, 1},
		{"ipfix variable length cut: goflow2", [][]byte{ipfixPacket(7, 1700000020, 1, set(400, append(ipfixVarRecord("10.1.0.1", "")[:24], 0xff, 0)))}, 0, 0},
		{"ipfix options data: goflow2", [][]byte{ipfixPacket(7, 1700000020, 1, set(500, wbuf{}.u32(3).u32(100)), set(400, ipfixVarRecord("10.1.0.1", "a")))}, 1, 0},
		{"ipfix message length bounds the sets", [][]byte{func() []byte {
			p := ipfixPacket(7, 1700000020, 1, set(400, ipfixVarRecord("10.1.0.1", "a")), set(400, ipfixVarRecord("10.1.0.9", "b")))
			p[3] = byte(16 + 4 + len(ipfixVarRecord("10.1.0.1", "a")))
			return p
		}()}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flows, fast := decodeBoth(t, tc.pkts...)
			if len(flows) != tc.flows || fast != tc.fast {
				t.Fatalf("%d flows, fast path %d datagrams; want %d, %d", len(flows), fast, tc.flows, tc.fast)
			}
		})
	}
}

// FuzzFastPath: on any datagram the fast path gives what goflow2 gives
// (flows, errors, counters), after the same templates.
func FuzzFastPath(f *testing.F) {
	for _, s := range netflowSeeds() {
		f.Add(s)
	}
	rec := basicRecord("10.0.0.1", "10.0.0.2", 1234, 80, 6, 0x1b, 1500, 3, 7, 8, 50000, 59000, 42)
	f.Add(v9packet(1, 60000, 1700000000, 5, 2, set(256, append(rec, rec...)), set(256, rec)))
	f.Add(ipfixPacket(7, 1700000020, 1, set(400, append(ipfixVarRecord("10.1.0.1", "abc"), ipfixVarRecord("10.1.0.3", "")...))))
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) < 2 {
			return
		}
		decodeBoth(t, p, p)
	})
}
