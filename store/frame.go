package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Frame format (little-endian), the one flowgate's logs have always used:
//
//	u32 payload length | u32 CRC-32C (Castagnoli) of the payload | payload
//
// A zero length or one over the log's record bound is a corrupt frame.
const FrameHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C flowgate's frames and dumps carry.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Errors of the record log, comparable with errors.Is.
var (
	ErrTooLarge  = errors.New("record over the log's size bound")
	ErrEmpty     = errors.New("empty record")
	ErrLocked    = errors.New("log is in use by another process")
	ErrClosed    = errors.New("log closed")
	ErrBadRecord = errors.New("bad record")
)

// AppendFrame appends rec framed at the end of b.
func AppendFrame(b, rec []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rec)))
	b = binary.LittleEndian.AppendUint32(b, Checksum(rec))
	return append(b, rec...)
}

// Replay reads frames from r, calling fn with each record's payload in
// order (the slice is valid only during the call: it may point into the
// reader's buffer). It stops at the first
// torn or corrupt frame, or when fn returns an error wrapping ErrBadRecord
// (a record whose CRC is right but whose content the caller rejects), and
// returns the length of the valid prefix and the number of records in it.
// Any other error from fn or from r is returned as is.
func Replay(r io.Reader, maxRecord int, fn func(rec []byte) error) (valid int64, records int, err error) {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecord
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	var buf []byte
	for {
		hdr, err := br.Peek(FrameHeader)
		if err != nil {
			return valid, records, eofIsTail(err)
		}
		n := binary.LittleEndian.Uint32(hdr[:4])
		sum := binary.LittleEndian.Uint32(hdr[4:])
		if n == 0 || uint64(n) > uint64(maxRecord) {
			return valid, records, nil
		}
		var rec []byte
		inPlace := int(n) <= br.Size()-FrameHeader
		if inPlace {
			// the common case: the frame fits the reader's buffer, read
			// it in place without a copy
			fr, err := br.Peek(FrameHeader + int(n))
			if err != nil {
				return valid, records, eofIsTail(err)
			}
			rec = fr[FrameHeader:]
		} else {
			_, _ = br.Discard(FrameHeader)
			if buf, err = readN(br, buf[:0], int(n)); err != nil {
				return valid, records, eofIsTail(err)
			}
			rec = buf
		}
		if Checksum(rec) != sum {
			return valid, records, nil
		}
		if fn != nil {
			if err := fn(rec); err != nil {
				if errors.Is(err, ErrBadRecord) {
					return valid, records, nil
				}
				return valid, records, err
			}
		}
		if inPlace {
			_, _ = br.Discard(FrameHeader + int(n))
		}
		valid += FrameHeader + int64(n)
		records++
	}
}

// readN reads n bytes into buf, growing it as the data arrives, so that a
// corrupt length near the bound costs memory only for bytes that exist.
func readN(r io.Reader, buf []byte, n int) ([]byte, error) {
	const step = 1 << 20
	for len(buf) < n {
		k := min(n-len(buf), step)
		if cap(buf)-len(buf) < k {
			nb := make([]byte, len(buf), len(buf)+k)
			copy(nb, buf)
			buf = nb
		}
		got, err := io.ReadFull(r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+got]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// eofIsTail turns the end of the data (clean or mid-frame) into no error:
// a torn tail is the expected shape of a log after a crash.
func eofIsTail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// LogInfo describes what reading a log found.
type LogInfo struct {
	Records int   // valid records
	Valid   int64 // bytes of the valid prefix
	Size    int64 // bytes in the file
}

// ReadLog replays the log at path without changing it (a look at a log a
// running process may hold). A missing file reads as empty.
func ReadLog(path string, maxRecord int, fn func(rec []byte) error) (LogInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return LogInfo{}, nil
	}
	if err != nil {
		return LogInfo{}, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	valid, n, err := Replay(f, maxRecord, fn)
	if err != nil {
		return LogInfo{}, fmt.Errorf("store: replaying %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return LogInfo{}, fmt.Errorf("store: %w", err)
	}
	return LogInfo{Records: n, Valid: valid, Size: st.Size()}, nil
}
