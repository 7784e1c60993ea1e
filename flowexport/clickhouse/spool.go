package clickhouse

import (
	"encoding/binary"
	"errors"
	"fmt"

	"flowgate/flowexport"
	"flowgate/store"
)

// spool is the on-disk overflow: a store record log whose records are
// chunks of encoded rows (uvarint count, then the rows). Only the writer
// goroutine uses it. The rows stay on disk: memory holds only the totals.
type spool struct {
	log         *store.Log
	path        string
	rows, bytes int64
}

const (
	spoolMaxRecord = 16 << 20
	spoolChunk     = 8 << 20 // a record is cut after this many bytes of rows
)

func openSpool(path string) (*spool, error) {
	s := &spool{path: path}
	l, err := store.OpenLog(path, store.LogOptions{MaxRecord: spoolMaxRecord, Lock: true}, func(rec []byte) error {
		n, k := binary.Uvarint(rec)
		if k <= 0 {
			return fmt.Errorf("%w: no row count", store.ErrBadRecord)
		}
		s.rows += int64(n)
		s.bytes += int64(len(rec)) + 8
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log = l
	return s, nil
}

// add appends rows in chunks and fsyncs; it returns how many were written.
func (s *spool) add(rows []flowexport.Row) (int, error) {
	written := 0
	var buf []byte
	for written < len(rows) {
		buf = buf[:0]
		n := 0
		var body []byte
		for written+n < len(rows) && len(body) < spoolChunk {
			body = rows[written+n].AppendBinary(body)
			n++
		}
		buf = binary.AppendUvarint(buf, uint64(n))
		buf = append(buf, body...)
		if err := s.log.Append(buf); err != nil {
			return written, err
		}
		written += n
		s.rows += int64(n)
		s.bytes += int64(len(buf)) + 8
	}
	return written, s.log.Sync()
}

// errStopDrain ends a drain early (a send failed).
var errStopDrain = errors.New("stop drain")

// drain hands each spooled chunk to send, oldest first, and removes what
// was sent. It returns the rows sent and the send error that stopped it.
func (s *spool) drain(send func([]flowexport.Row) error) (int64, error) {
	if s.rows == 0 {
		return 0, nil
	}
	var sent, sentRecs int64
	var sendErr error
	var rows []flowexport.Row
	_, err := store.ReadLog(s.path, spoolMaxRecord, func(rec []byte) error {
		var err error
		if rows, err = decodeChunk(rec, rows[:0]); err != nil {
			// A chunk this release cannot read is skipped (counted by
			// the caller as dropped) rather than block the spool.
			sentRecs++
			return nil
		}
		if err := send(rows); err != nil {
			sendErr = err
			return errStopDrain
		}
		sent += int64(len(rows))
		sentRecs++
		return nil
	})
	if err != nil && !errors.Is(err, errStopDrain) {
		return sent, err
	}
	if sentRecs == 0 {
		return 0, sendErr
	}
	// Keep the records after the sent ones.
	var keepRows, keepBytes int64
	rerr := s.log.Rewrite(func(add func([]byte) error) error {
		var i int64
		_, err := store.ReadLog(s.path, spoolMaxRecord, func(rec []byte) error {
			i++
			if i <= sentRecs {
				return nil
			}
			n, _ := binary.Uvarint(rec)
			keepRows += int64(n)
			keepBytes += int64(len(rec)) + 8
			return add(rec)
		})
		return err
	})
	if rerr != nil {
		return sent, fmt.Errorf("clickhouse spool rewrite: %w", rerr)
	}
	s.rows, s.bytes = keepRows, keepBytes
	return sent, sendErr
}

func decodeChunk(rec []byte, rows []flowexport.Row) ([]flowexport.Row, error) {
	n, k := binary.Uvarint(rec)
	if k <= 0 || n > uint64(len(rec)) {
		return rows, fmt.Errorf("%w: chunk header", flowexport.ErrBadRow)
	}
	b := rec[k:]
	for i := uint64(0); i < n; i++ {
		var r flowexport.Row
		var err error
		if b, err = r.DecodeBinary(b); err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func (s *spool) close() error { return s.log.Close() }
