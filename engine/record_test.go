package engine

import (
	"net/netip"
	"reflect"
	"runtime"
	"testing"

	"flowgate/internal/cputime"
)

// hasPointers reports whether values of t hold pointers the GC scans.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for k := range t.NumField() {
			if hasPointers(t.Field(k).Type) {
				return true
			}
		}
		return false
	}
	return true
}

// TestRecordLayout: Reset clears the fields before SrcIP as plain memory, so
// none of them may hold a pointer, and every field after may (a new field
// without pointers belongs in the prefix).
func TestRecordLayout(t *testing.T) {
	rt := reflect.TypeFor[FlowRecord]()
	for k := range rt.NumField() {
		f := rt.Field(k)
		if f.Offset < scalarBytes && hasPointers(f.Type) {
			t.Errorf("FlowRecord.%s holds pointers but lies in the prefix Reset clears as plain memory", f.Name)
		}
		if f.Offset >= scalarBytes && !hasPointers(f.Type) {
			t.Errorf("FlowRecord.%s has no pointers: move it before SrcIP", f.Name)
		}
	}
}

// setAll gives every field of v (a struct) a non-zero value.
func setAll(t *testing.T, v reflect.Value) {
	for k := range v.NumField() {
		f := v.Field(k)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(uint64(k + 1))
		case reflect.Float32:
			f.SetFloat(float64(k) + 0.5)
		case reflect.String:
			f.SetString("s" + v.Type().Field(k).Name)
		case reflect.Array:
			for j := range f.Len() {
				f.Index(j).SetUint(uint64(j + 1))
			}
		case reflect.Slice:
			f.Set(reflect.ValueOf([]Field{{Key: "57590", Value: "x"}, {Key: "1", Value: "y"}}))
		case reflect.Struct:
			if f.Type() != reflect.TypeFor[netip.Addr]() {
				t.Fatalf("field %s: type %s not handled", v.Type().Field(k).Name, f.Type())
			}
			f.Set(reflect.ValueOf(netip.MustParseAddr("2001:db8::" + string(rune('1'+k%9)))))
		default:
			t.Fatalf("field %s: kind %s not handled", v.Type().Field(k).Name, f.Kind())
		}
	}
}

// TestRecordReset: Reset leaves a record equal to a fresh one (Direction
// unknown, no Additional fields) whatever was set, and keeps Additional's
// storage.
func TestRecordReset(t *testing.T) {
	cases := []struct {
		name string
		set  func(*FlowRecord)
	}{
		{"every field", func(r *FlowRecord) { setAll(t, reflect.ValueOf(r).Elem()) }},
		{"addresses and counters", func(r *FlowRecord) {
			r.SrcIP, r.DstIP = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
			r.InBytes, r.Direction = 100, 0
		}},
		{"empty string with storage", func(r *FlowRecord) { r.HTTPURL = "http://x"[:0] }},
		{"nothing", func(*FlowRecord) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r FlowRecord
			r.Additional = make([]Field, 0, 4)
			c.set(&r)
			addCap := cap(r.Additional)
			r.Reset()
			if cap(r.Additional) != addCap || len(r.Additional) != 0 {
				t.Errorf("Additional len %d cap %d, want 0 and %d", len(r.Additional), cap(r.Additional), addCap)
			}
			want := FlowRecord{Direction: 2}
			got := r
			got.Additional = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after Reset:\n got %+v\nwant %+v", got, want)
			}
			if r.HTTPURL != "" || r.L7Name != "" {
				t.Errorf("strings kept: %q %q", r.HTTPURL, r.L7Name)
			}
		})
	}
}

// BenchmarkRecordReset: resetting a batch's records after a typical nProbe
// TLV update set them (two addresses, protocol name, end reason), with
// Reset and with the whole-record zeroing it replaced, while the GC is idle
// and while a background loop keeps it marking (write barriers on).
// cpu-ns/record is this goroutine's thread CPU time: barriers are paid here.
func BenchmarkRecordReset(b *testing.B) {
	src, dst := netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.2.0.1")
	whole := func(r *FlowRecord) { // FlowRecord.Reset before this layout
		add := r.Additional[:0]
		*r = FlowRecord{}
		r.Additional = add
		r.Direction = 2
	}
	for _, gc := range []string{"gc-idle", "gc-marking"} {
		for _, v := range []struct {
			name  string
			reset func(*FlowRecord)
		}{{"whole", whole}, {"Reset", (*FlowRecord).Reset}} {
			b.Run(gc+"/"+v.name, func(b *testing.B) {
				stop := make(chan struct{})
				done := make(chan struct{})
				var heap []*[4]int // enough to scan that marking lasts
				if gc == "gc-marking" {
					heap = make([]*[4]int, 1<<20)
					for k := range heap {
						heap[k] = new([4]int)
					}
				}
				go func() {
					defer close(done)
					for gc == "gc-marking" {
						select {
						case <-stop:
							return
						default:
							runtime.GC()
						}
					}
				}()
				recs := make([]FlowRecord, firstFlows)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := cputime.Thread()
				for b.Loop() {
					for k := range recs {
						r := &recs[k]
						v.reset(r)
						r.SrcIP, r.DstIP, r.L7Name, r.EndReason = src, dst, "TLS.Google", "idle"
						r.InBytes, r.InPkts = 1500, 2
					}
				}
				b.ReportMetric(cputime.PerOp(cpu0, cputime.Thread, b.N*len(recs)), "cpu-ns/record")
				close(stop)
				<-done
				runtime.KeepAlive(heap)
			})
		}
	}
}
