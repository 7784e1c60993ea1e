package alerts

import (
	"testing"
	"time"
)

func TestAcknowledgeDeleteRetain(t *testing.T) {
	s := NewStore(Config{HistorySize: 4})
	for i := 0; i < 6; i++ { // 2 dropped by the ring, history ids 3..6
		s.StoreEvent(Alert{Type: 49, Severity: SeverityWarning + Severity(i%2), Entity: EntityHost,
			EntityVal: "10.0.0.1@0", Tstamp: int64(1000 + i*100)})
	}
	if n := s.Acknowledge(Query{MinSeverity: SeverityError}, nil); n != 2 {
		t.Fatalf("acknowledged %d, want 2", n)
	}
	rows, _ := s.List(Query{SortBy: "id", Asc: true})
	if len(rows) != 4 || rows[0].ID != 3 || rows[0].Acknowledged || !rows[1].Acknowledged {
		t.Fatalf("rows: %+v", rows)
	}
	if n := s.Delete(Query{}, []uint64{4}); n != 1 {
		t.Fatalf("deleted %d", n)
	}
	s.StoreEvent(Alert{Type: 49, Severity: SeverityInfo, Entity: EntityHost, EntityVal: "x", Tstamp: 2000})
	rows, _ = s.List(Query{SortBy: "id", Asc: true})
	if len(rows) != 4 || rows[3].ID != 7 {
		t.Fatalf("after delete and append: %+v", rows)
	}
	// Age: ends before 1450 go (ids 3 at 1200); count: keep the newest 2.
	if n := s.Retain(time.Unix(1450+3600, 0), time.Hour, 2); n != 2 {
		t.Fatalf("retained away %d, want 2", n)
	}
	rows, _ = s.List(Query{SortBy: "id", Asc: true})
	if len(rows) != 2 || rows[0].ID != 6 || rows[1].ID != 7 {
		t.Fatalf("after retention: %+v", rows)
	}
	if c := s.OpsCounters(); c.Acknowledged != 2 || c.Deleted != 1 || c.Expired != 2 {
		t.Fatalf("counters %+v", c)
	}
	// The ring keeps working after a rebuild.
	for i := 0; i < 5; i++ {
		s.StoreEvent(Alert{Type: 49, Severity: SeverityInfo, Entity: EntityHost, EntityVal: "y", Tstamp: 3000})
	}
	if rows, _ = s.List(Query{}); len(rows) != 4 {
		t.Fatalf("ring size %d", len(rows))
	}
}
