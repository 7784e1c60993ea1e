package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

var errOversized = errors.New("octet count over the maximum message size")

// framer splits a TCP stream into messages with both RFC 6587 framings,
// chosen per frame as rsyslog does: a frame starting with digits and a
// space is octet-counted ("LEN SP MSG"), anything else ends at LF
// (non-transparent framing). Its buffer starts small and grows to the
// maximum only for connections that need it, so thousands of idle
// connections cost little memory.
type framer struct {
	r      io.Reader
	max    int
	buf    []byte
	start  int // first unread byte
	end    int // end of read bytes
	skip   bool
	readEr error
}

const framerInitial = 4 << 10

func newFramer(r io.Reader, maxMsg int) *framer {
	return &framer{r: r, max: maxMsg, buf: make([]byte, framerInitial)}
}

// fill reads more bytes, compacting or growing the buffer first. It returns
// false when the buffer is full at the maximum size.
func (f *framer) fill() error {
	if f.readEr != nil {
		return f.readEr
	}
	if f.start > 0 && (f.end == len(f.buf) || f.start == f.end) {
		n := copy(f.buf, f.buf[f.start:f.end])
		f.start, f.end = 0, n
	}
	if f.end == len(f.buf) {
		limit := f.max + 16 // room for the octet count prefix
		if len(f.buf) >= limit {
			return errFull
		}
		nb := make([]byte, min(len(f.buf)*2, limit))
		copy(nb, f.buf[:f.end])
		f.buf = nb
	}
	n, err := f.r.Read(f.buf[f.end:])
	f.end += n
	if err != nil && n == 0 {
		f.readEr = err
		return err
	}
	return nil
}

var errFull = errors.New("frame buffer full")

// next returns the next message (valid until the following call), nil for
// an oversized newline-framed message that was skipped, or an error (io.EOF
// at a clean end; errOversized for an announced count over the maximum).
func (f *framer) next() ([]byte, error) {
	for {
		data := f.buf[f.start:f.end]
		if f.skip {
			// Discarding the rest of an oversized line.
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				f.start += i + 1
				f.skip = false
				return nil, nil
			}
			f.start = f.end
			if err := f.fill(); err != nil {
				return nil, err
			}
			continue
		}
		// Skip blank separators between frames.
		for len(data) > 0 && (data[0] == '\n' || data[0] == '\r' || data[0] == 0) {
			f.start++
			data = data[1:]
		}
		if len(data) > 0 && data[0] >= '1' && data[0] <= '9' {
			n, hdr, state := octetHeader(data)
			switch state {
			case hdrOK:
				if n > f.max {
					return nil, fmt.Errorf("%w: %d > %d", errOversized, n, f.max)
				}
				if len(data) >= hdr+n {
					f.start += hdr + n
					return data[hdr : hdr+n], nil
				}
				if err := f.fillOrEOF(); err != nil {
					return nil, err
				}
				continue
			case hdrMore:
				if err := f.fillOrEOF(); err != nil {
					return nil, err
				}
				continue
			}
			// hdrNo: a newline-framed line starting with a digit.
		}
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			f.start += i + 1
			if i > f.max {
				return nil, nil
			}
			return data[:i], nil
		}
		if len(data) > f.max {
			f.skip = true
			f.start = f.end
			continue
		}
		if err := f.fill(); err != nil {
			if errors.Is(err, io.EOF) && len(data) > 0 {
				// Last line without a trailing LF.
				f.start = f.end
				return data, nil
			}
			return nil, err
		}
	}
}

// fillOrEOF reads more of an incomplete octet-counted frame; a stream that
// ends inside one is an error, not a clean EOF.
func (f *framer) fillOrEOF() error {
	err := f.fill()
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

const (
	hdrOK = iota
	hdrMore
	hdrNo
)

// octetHeader reads "LEN SP": up to 10 digits then a space.
func octetHeader(b []byte) (n, hdr, state int) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if i >= 10 {
				return 0, 0, hdrNo
			}
			n = n*10 + int(c-'0')
		case c == ' ' && i > 0:
			return n, i + 1, hdrOK
		default:
			return 0, 0, hdrNo
		}
	}
	return 0, 0, hdrMore
}
