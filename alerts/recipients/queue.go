package recipients

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"flowgate/store"
)

// Queue is a recipient's persistent FIFO: an append-only log of segment
// files plus a "head" file holding the first sequence number not yet
// acknowledged. Every push is written to the log before Push returns, so a
// kill -9 loses nothing (the kernel keeps written pages); fsync, for power
// loss, happens on Sync (the manager calls it periodically) and on Close.
// The pending records are also kept in memory, so delivery never reads the
// disk except when the queue is opened again.
//
// Each segment is a store.Log (frame: u32 length, u32 CRC-32C, body) whose
// record body is u64 seq, u16 id length, id, payload. A torn record at the
// tail (a crash mid-write) ends the log; store cuts it off when the queue
// is opened and TornBytes counts it.
type Queue struct {
	dir string
	max int

	mu       sync.Mutex
	items    []*Event // pending, oldest first, from off
	off      int
	nextSeq  uint64
	head     uint64 // first unacknowledged seq (persisted)
	segs     []segment
	cur      *store.Log
	headFile *os.File
	buf      []byte
	dirty    bool
	dropped  uint64
	torn     uint64 // bytes of torn tail cut at open
	notify   chan struct{}
	closed   bool
}

type segment struct {
	first uint64
	path  string
}

// segmentSize is where a new segment file starts.
const segmentSize = 32 << 20

// MaxAlertSize bounds one queued record (id and notification JSON).
const MaxAlertSize = 16 << 20

// bodyHeader is a record's seq and id length.
const bodyHeader = 10

var logOptions = store.LogOptions{Mode: store.ModePrivate, MaxRecord: MaxAlertSize, Sync: store.SyncBatch}

// ErrQueueClosed is returned by operations on a closed queue.
var ErrQueueClosed = errors.New("recipient queue closed")

// OpenQueue opens (creating it if needed) the queue in dir, keeping at most
// max pending records (the oldest are dropped beyond it).
func OpenQueue(dir string, max int) (*Queue, error) {
	if max <= 0 {
		max = DefaultQueueSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("queue %s: %w", dir, err)
	}
	q := &Queue{dir: dir, max: max, notify: make(chan struct{}, 1), nextSeq: 1}
	hf, err := os.OpenFile(filepath.Join(dir, "head"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", dir, err)
	}
	q.headFile = hf
	var hb [8]byte
	if n, _ := hf.ReadAt(hb[:], 0); n == 8 {
		q.head = binary.LittleEndian.Uint64(hb[:])
	}
	if q.head == 0 {
		q.head = 1
	}
	q.nextSeq = q.head
	if err := q.load(); err != nil {
		hf.Close()
		return nil, err
	}
	return q, nil
}

func (q *Queue) load() error {
	ents, err := os.ReadDir(q.dir)
	if err != nil {
		return fmt.Errorf("queue %s: %w", q.dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "seg-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "seg-"), ".log"), 16, 64)
		if err != nil {
			continue
		}
		q.segs = append(q.segs, segment{first, filepath.Join(q.dir, name)})
	}
	sort.Slice(q.segs, func(i, j int) bool { return q.segs[i].first < q.segs[j].first })
	for i, s := range q.segs {
		if i < len(q.segs)-1 {
			if _, err := store.ReadLog(s.path, MaxAlertSize, q.readRecord); err != nil {
				return fmt.Errorf("queue %s: %w", q.dir, err)
			}
			continue
		}
		// The last segment takes the appends: store cuts a torn tail so
		// that new records follow valid ones.
		l, err := store.OpenLog(s.path, logOptions, q.readRecord)
		if err != nil {
			return fmt.Errorf("queue %s: %w", q.dir, err)
		}
		q.cur, q.torn = l, l.Stats().DroppedBytes
	}
	// Beyond the bound (the size was lowered): drop the oldest.
	for len(q.items)-q.off > q.max {
		q.off++
		q.dropped++
	}
	if q.off > 0 {
		q.head = q.items[q.off].Seq
		q.dirty = true
		q.compact()
	}
	q.gcSegments()
	return nil
}

// readRecord loads one record of a segment; one too short for its header
// ends the segment like a corrupt frame.
func (q *Queue) readRecord(body []byte) error {
	if len(body) < bodyHeader {
		return fmt.Errorf("queue record of %d bytes: %w", len(body), store.ErrBadRecord)
	}
	seq := binary.LittleEndian.Uint64(body)
	idLen := int(binary.LittleEndian.Uint16(body[8:]))
	if bodyHeader+idLen > len(body) {
		return fmt.Errorf("queue record id overruns it: %w", store.ErrBadRecord)
	}
	if seq >= q.head {
		q.items = append(q.items, &Event{Seq: seq, ID: string(body[bodyHeader : bodyHeader+idLen]),
			JSON: append([]byte(nil), body[bodyHeader+idLen:]...)})
	}
	if seq >= q.nextSeq {
		q.nextSeq = seq + 1
	}
	return nil
}

// Push appends a record and returns how many old records it pushed out.
// doc, when known, spares the worker decoding payload again.
func (q *Queue) Push(id string, payload []byte, doc *Doc) (dropped int, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, ErrQueueClosed
	}
	if len(id) > 0xffff {
		id = id[:0xffff]
	}
	seq := q.nextSeq
	b := q.buf[:0]
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(id)))
	b = append(b, id...)
	b = append(b, payload...)
	if len(b) > MaxAlertSize {
		return 0, fmt.Errorf("queue %s: alert of %d bytes: %w", q.dir, len(b), store.ErrTooLarge)
	}
	if cap(b) <= 1<<20 {
		q.buf = b
	}
	if q.cur == nil || q.cur.Size()+int64(len(b)) > segmentSize {
		if err := q.rotate(seq); err != nil {
			return 0, err
		}
	}
	if err := q.cur.Append(b); err != nil {
		// store cut any partial write; the record is not queued and
		// the caller counts the failure.
		return 0, fmt.Errorf("queue %s: %w", q.dir, err)
	}
	q.nextSeq++
	q.dirty = true
	ev := &Event{Seq: seq, ID: id, JSON: append([]byte(nil), payload...)}
	if doc != nil {
		ev.SetDoc(doc)
	}
	q.items = append(q.items, ev)
	for len(q.items)-q.off > q.max {
		q.items[q.off] = nil
		q.off++
		dropped++
	}
	if dropped > 0 {
		q.dropped += uint64(dropped)
		q.setHead(q.items[q.off].Seq)
	}
	q.compact()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return dropped, nil
}

func (q *Queue) rotate(first uint64) error {
	if q.cur != nil {
		// Close fsyncs: a full segment is durable before the next starts.
		if err := q.cur.Close(); err != nil {
			return fmt.Errorf("queue %s: %w", q.dir, err)
		}
		q.cur = nil
	}
	path := filepath.Join(q.dir, fmt.Sprintf("seg-%016x.log", first))
	l, err := store.OpenLog(path, logOptions, nil)
	if err != nil {
		return fmt.Errorf("queue %s: %w", q.dir, err)
	}
	q.cur = l
	q.segs = append(q.segs, segment{first, path})
	if err := store.SyncDir(q.dir); err != nil {
		return fmt.Errorf("queue %s: %w", q.dir, err)
	}
	return nil
}

func (q *Queue) compact() {
	if q.off > 1024 && q.off*2 > len(q.items) {
		n := copy(q.items, q.items[q.off:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.off = 0
	}
}

// setHead persists the head: a pwrite of 8 bytes survives kill -9.
func (q *Queue) setHead(seq uint64) {
	q.head = seq
	var hb [8]byte
	binary.LittleEndian.PutUint64(hb[:], seq)
	_, _ = q.headFile.WriteAt(hb[:], 0)
	q.dirty = true
	q.gcSegments()
}

// gcSegments deletes segments whose records are all acknowledged.
func (q *Queue) gcSegments() {
	for len(q.segs) > 1 && q.segs[1].first <= q.head {
		_ = os.Remove(q.segs[0].path)
		q.segs = q.segs[1:]
	}
}

// Peek returns up to n pending events, oldest first, without removing them.
func (q *Queue) Peek(n int) []*Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	avail := len(q.items) - q.off
	if n > avail {
		n = avail
	}
	out := make([]*Event, n)
	for i := range out {
		out[i] = q.items[q.off+i]
	}
	return out
}

// Ack removes every pending event up to and including seq: the endpoint
// accepted them. Events dropped meanwhile for the bound are not affected.
func (q *Queue) Ack(seq uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	n := 0
	for q.off < len(q.items) && q.items[q.off].Seq <= seq {
		q.items[q.off] = nil
		q.off++
		n++
	}
	if n == 0 {
		return
	}
	next := q.nextSeq
	if q.off < len(q.items) {
		next = q.items[q.off].Seq
	}
	q.setHead(next)
	q.compact()
}

// Pop removes and returns the oldest event (ntop.recipient_dequeue).
func (q *Queue) Pop() (*Event, bool) {
	ev := q.Peek(1)
	if len(ev) == 0 {
		return nil, false
	}
	q.Ack(ev[0].Seq)
	return ev[0], true
}

// Len is the number of pending events.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.off
}

// Dropped is how many events the bound pushed out since the queue opened.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// TornBytes is how many bytes of torn or corrupt tail were cut from the
// queue's last segment when it was opened (a crash mid-write).
func (q *Queue) TornBytes() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.torn
}

// Ready is signalled after a push.
func (q *Queue) Ready() <-chan struct{} { return q.notify }

// Sync flushes the log and head to stable storage if they changed.
func (q *Queue) Sync() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.syncLocked()
}

func (q *Queue) syncLocked() error {
	if !q.dirty || q.closed {
		return nil
	}
	q.dirty = false
	if q.cur != nil {
		if err := q.cur.Sync(); err != nil {
			q.dirty = true
			return fmt.Errorf("queue %s: %w", q.dir, err)
		}
	}
	if err := q.headFile.Sync(); err != nil {
		return fmt.Errorf("queue %s: sync head: %w", q.dir, err)
	}
	return nil
}

// Close syncs and closes the files.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	err := q.syncLocked()
	q.closed = true
	if q.cur != nil {
		if cerr := q.cur.Close(); err == nil {
			err = cerr
		}
	}
	q.headFile.Close()
	return err
}

// removeQueue deletes a queue's directory (a recipient was deleted).
func removeQueue(dir string) error {
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("remove queue %s: %w", dir, err)
	}
	return nil
}
