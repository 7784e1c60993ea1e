package recipients

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"flowgate/store"
)

func TestQueuePersistsAndDropsOldest(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, 5)
	must(t, err)
	for i := 0; i < 7; i++ {
		if _, err := q.Push("id"+strconv.Itoa(i), []byte(`{"n":`+strconv.Itoa(i)+`}`), nil); err != nil {
			t.Fatal(err)
		}
	}
	if q.Len() != 5 || q.Dropped() != 2 {
		t.Fatalf("len %d dropped %d, want 5 and 2", q.Len(), q.Dropped())
	}
	b := q.Peek(2)
	if b[0].ID != "id2" || b[1].ID != "id3" {
		t.Fatalf("oldest kept: %s %s", b[0].ID, b[1].ID)
	}
	q.Ack(b[1].Seq)
	must(t, q.Close())

	q, err = OpenQueue(dir, 5)
	must(t, err)
	defer q.Close()
	b = q.Peek(10)
	if len(b) != 3 || b[0].ID != "id4" || string(b[2].JSON) != `{"n":6}` {
		t.Fatalf("after reopen: %d events, first %v", len(b), b)
	}
	// Sequence numbers go on after a reopen.
	_, _ = q.Push("id7", []byte("{}"), nil)
	if got := q.Peek(10); got[3].Seq != got[2].Seq+1 {
		t.Fatalf("seq after reopen: %d then %d", got[2].Seq, got[3].Seq)
	}
}

func TestQueueTornTail(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQueue(dir, 100)
	must(t, err)
	for i := 0; i < 3; i++ {
		_, _ = q.Push("id", []byte("{}"), nil)
	}
	must(t, q.Close())
	segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	// A crash in the middle of a write leaves half a record.
	f, _ := os.OpenFile(segs[0], os.O_WRONLY|os.O_APPEND, 0)
	_, _ = f.Write([]byte{40, 0, 0, 0, 1, 2})
	f.Close()
	q, err = OpenQueue(dir, 100)
	must(t, err)
	if q.Len() != 3 || q.TornBytes() != 6 {
		t.Fatalf("len %d, torn bytes %d; want 3 and 6", q.Len(), q.TornBytes())
	}
	_, _ = q.Push("after", []byte("{}"), nil)
	must(t, q.Close())
	q, err = OpenQueue(dir, 100)
	must(t, err)
	defer q.Close()
	if b := q.Peek(10); len(b) != 4 || b[3].ID != "after" {
		t.Fatalf("record after a torn tail lost: %d", len(b))
	}
}

func TestQueueLuaPop(t *testing.T) {
	m := newTestManager(t, t.TempDir())
	defer m.Stop()
	must(t, m.RegisterQueue("lua1"))
	must(t, m.Enqueue("lua1", []byte(`{"a":1}`)))
	if err := m.Enqueue("lua1", []byte(`{bad`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
	b, ok, err := m.Dequeue("lua1")
	if err != nil || !ok || string(b) != `{"a":1}` {
		t.Fatalf("dequeue: %s %v %v", b, ok, err)
	}
	if _, ok, _ := m.Dequeue("lua1"); ok {
		t.Fatal("empty queue returned something")
	}
	must(t, m.IncStat("lua1", "x"))
	if s, _ := m.Get("lua1"); s.Custom["x"] != 1 || s.Sent != 1 || s.LastUse == 0 {
		t.Fatalf("stats: %+v", s)
	}
}

// TestQueueLoadsV1: a queue directory written by the previous release
// (testdata/queue-v1, written by the queue of commit 0ca3b1e: ten pushes,
// the first three acknowledged) opens with the seven pending events, in
// order, and goes on numbering after them.
func TestQueueLoadsV1(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"head", "seg-0000000000000001.log"} {
		b, err := os.ReadFile(filepath.Join("testdata", "queue-v1", name))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, name), b, 0o640))
	}
	q, err := OpenQueue(dir, 100)
	must(t, err)
	defer q.Close()
	evs := q.Peek(100)
	if len(evs) != 7 || q.TornBytes() != 0 {
		t.Fatalf("%d pending, %d torn bytes; want 7 and 0", len(evs), q.TornBytes())
	}
	for i, ev := range evs {
		n := i + 3
		if ev.Seq != uint64(n+1) || ev.ID != "id"+strconv.Itoa(n) || string(ev.JSON) != fmt.Sprintf(`{"n":%d}`, n) {
			t.Fatalf("event %d: seq %d id %s %s", i, ev.Seq, ev.ID, ev.JSON)
		}
	}
	_, err = q.Push("new", []byte("{}"), nil)
	must(t, err)
	if evs = q.Peek(100); evs[7].Seq != 11 {
		t.Fatalf("seq after the v1 records: %d", evs[7].Seq)
	}
}

// TestQueueRecordBound: an alert over MaxAlertSize is refused with
// store.ErrTooLarge and queues nothing; the queue goes on.
func TestQueueRecordBound(t *testing.T) {
	q, err := OpenQueue(t.TempDir(), 10)
	must(t, err)
	defer q.Close()
	if _, err := q.Push("big", make([]byte, MaxAlertSize), nil); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("oversized push: %v", err)
	}
	_, err = q.Push("ok", []byte("{}"), nil)
	must(t, err)
	if q.Len() != 1 {
		t.Fatalf("len %d", q.Len())
	}
}
