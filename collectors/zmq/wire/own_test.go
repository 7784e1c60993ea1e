package wire

import (
	"reflect"
	"strings"
	"testing"

	"flowgate/engine"
)

// TestRecordsOutliveBody: records keep no byte of the payload (strings,
// escaped strings, string keys and raw values in Additional), so a
// collector may reuse the payload's buffer as soon as a decode call
// returns, while the records wait in the engine's queue. The records of
// many messages (crossing arena chunks) stay intact after every payload
// was overwritten.
func TestRecordsOutliveBody(t *testing.T) {
	flows := realisticFlows(100)
	for i := range flows {
		flows[i].Additional = []engine.Field{{Key: "57999", Value: "extra-" + strings.Repeat("v", i%40)}}
	}
	var w TLVWriter
	w.Begin()
	for i := range flows {
		EncodeTLVFlow(&w, &flows[i])
	}
	w.StringKeyString("MY_STRING_KEY", "string key value") // a record of one unknown string key
	w.EndRecord()
	tlv := w.Bytes()
	json := []byte{'['}
	for i := range flows {
		json = AppendJSONFlow(json, &flows[i], i%2 == 0)
		json = append(json, ',')
	}
	json = append(json, `{"HTTP_URL":"/a\"b\u00e9","MY_KEY":{"raw":[1,2]},"UNKNOWN_STR":"plain","57999":1.5}]`...)

	for _, tc := range []struct {
		name   string
		format Format
		body   []byte
	}{
		{"tlv", FormatTLV, tlv},
		{"json", FormatJSON, json},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Config{})
			var batch []engine.FlowRecord // in place, like the collector
			d.SetTarget(func() *engine.FlowRecord {
				batch = append(batch, engine.FlowRecord{})
				r := &batch[len(batch)-1]
				r.Reset()
				return r
			})
			// The reference: deep copies taken while the body is intact.
			want, err := decodeAll(t, NewDecoder(Config{}), tc.format, tc.body)
			if err != nil || len(want) != len(flows)+1 {
				t.Fatalf("reference decode: %d records, %v", len(want), err)
			}
			const messages = 40 // about 4 arena chunks of strings
			var kept [][]engine.FlowRecord
			for range messages {
				body := append([]byte(nil), tc.body...)
				batch = make([]engine.FlowRecord, 0, len(want)+1)
				var n int
				if tc.format == FormatTLV {
					n, err = d.DecodeTLVFlows(body, keep)
				} else {
					n, err = d.DecodeJSONFlows(body, keep)
				}
				if err != nil || n != len(want) {
					t.Fatalf("decode: %d records, %v", n, err)
				}
				clear(body) // the collector reuses the buffer for the next message
				kept = append(kept, batch[:n])
			}
			for m, recs := range kept {
				for i := range recs {
					if got := recs[i]; !reflect.DeepEqual(got, want[i]) {
						t.Fatalf("message %d record %d changed after its payload was overwritten:\n got %+v\nwant %+v", m, i, got, want[i])
					}
				}
			}
		})
	}
}

func keep(*engine.FlowRecord) {}
