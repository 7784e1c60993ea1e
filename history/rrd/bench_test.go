package rrd

import (
	"strconv"
	"testing"
)

// BenchmarkStoreUpdate: one ntop.rrd_update through the file (open,
// replay, append, close; a compaction every 64), on an RRD of ntopng's
// usual shape (2 counters, 5-min step, a day at 5 min, a month at 1 h).
func BenchmarkStoreUpdate(b *testing.B) {
	s := New(Configuration{Dir: b.TempDir()})
	if err := s.Create("h.rrd", 300, 1000000200, []string{"DS:sent:DERIVE:600:0:U", "DS:rcvd:DERIVE:600:0:U",
		"RRA:AVERAGE:0.5:1:288", "RRA:AVERAGE:0.5:12:720", "RRA:MAX:0.5:12:720"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := 1000000200 + 300*(i+1)
		if err := s.Update("h.rrd", strconv.Itoa(t)+":"+strconv.Itoa(1000*i)+":"+strconv.Itoa(2000*i)); err != nil {
			b.Fatal(err)
		}
	}
}
