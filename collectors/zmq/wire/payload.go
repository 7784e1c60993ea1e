package wire

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"sync"
)

// Format is the encoding of an opened payload.
type Format uint8

const (
	FormatJSON Format = iota
	FormatTLV
)

func (f Format) String() string {
	if f == FormatTLV {
		return "tlv"
	}
	return "json"
}

// DefaultMaxDecompressed caps a decompressed payload when OpenPayload is
// given no limit. ntopng's own buffers are far smaller (43690 B legacy).
const DefaultMaxDecompressed = 16 << 20

// inflater is a reusable raw-deflate reader. zlib framing (RFC 1950) is
// handled here rather than by compress/zlib, whose Reset allocates a new
// adler32 hash per message.
type inflater struct {
	br bytes.Reader
	fr io.ReadCloser
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// OpenPayload returns the bytes to parse and their format, following §2.4:
// for a 36-byte header with version 4 the flags decide (TLV 0x02, bare zlib
// 0x04); a 24/28-byte header with version 4 carries plain JSON; otherwise
// version 3 means TLV, a leading 0x00 means zlib-compressed JSON from
// payload[1:], and anything else is plain JSON.
//
// Decompressed output goes to buf (grown if needed; pass the previous result
// to reuse it). body aliases payload when nothing was compressed. A stream
// inflating past limit (DefaultMaxDecompressed if limit <= 0) is an error,
// never a silent truncation.
func OpenPayload(h Header, payload []byte, buf []byte, limit int) (body []byte, f Format, err error) {
	if len(payload) == 0 {
		return nil, FormatJSON, errorf(ReasonEmptyPayload, "payload: empty (topic %q)", h.Topic)
	}
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	if h.Version == VersionV3 {
		if h.Len != HeaderV3Len {
			return payload, FormatJSON, nil
		}
		if h.Flags&FlagTLV != 0 {
			f = FormatTLV
		}
		if h.Flags&FlagCompressed == 0 {
			return payload, f, nil
		}
		hint := int(h.UncompressedSize)
		body, err = inflate(payload, buf, limit, hint)
		return body, f, err
	}
	if h.Version == VersionTLV {
		return payload, FormatTLV, nil
	}
	if payload[0] == 0 {
		body, err = inflate(payload[1:], buf, limit, 0)
		return body, FormatJSON, err
	}
	return payload, FormatJSON, nil
}

func zlibErr(msg string, err error) *Error {
	return &Error{Reason: ReasonZlib, Msg: "payload: zlib: " + msg, Err: err}
}

func inflate(src, buf []byte, limit, hint int) ([]byte, error) {
	if len(src) < 2 {
		return nil, zlibErr("stream shorter than its header", nil)
	}
	cmf, flg := src[0], src[1]
	switch {
	case cmf&0x0f != 8 || cmf>>4 > 7:
		return nil, zlibErr(fmt.Sprintf("not a deflate stream (CMF 0x%02x)", cmf), nil)
	case (uint16(cmf)<<8|uint16(flg))%31 != 0:
		return nil, zlibErr("header checksum mismatch", nil)
	case flg&0x20 != 0:
		return nil, zlibErr("preset dictionary not supported", nil)
	}
	inf := inflaters.Get().(*inflater)
	defer inflaters.Put(inf)
	inf.br.Reset(src[2:])
	if inf.fr == nil {
		inf.fr = flate.NewReader(&inf.br)
	} else if err := inf.fr.(flate.Resetter).Reset(&inf.br, nil); err != nil {
		return nil, zlibErr("reset", err)
	}
	out := buf[:0]
	if hint > 0 && hint <= limit && cap(out) < hint+1 {
		out = make([]byte, 0, hint+1) // +1 to see EOF without regrowing
	}
	for {
		if len(out) == cap(out) {
			n := min(max(2*cap(out), 4096), limit+1)
			if n <= cap(out) {
				n = cap(out) + 1
			}
			grown := make([]byte, len(out), n)
			copy(grown, out)
			out = grown
		}
		n, rerr := inf.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if len(out) > limit {
			return nil, errorf(ReasonPayloadTooLarge, "payload: decompressed size exceeds %d bytes", limit)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if errors.Is(rerr, io.ErrUnexpectedEOF) {
				return nil, zlibErr("stream truncated", rerr)
			}
			return nil, zlibErr("corrupt stream", rerr)
		}
	}
	// flate reads byte by byte from an io.ByteReader, so what is left is
	// exactly the adler32 trailer.
	var sum uint32
	for range 4 {
		c, err := inf.br.ReadByte()
		if err != nil {
			return nil, zlibErr("stream truncated (missing checksum)", nil)
		}
		sum = sum<<8 | uint32(c)
	}
	if sum != adler32.Checksum(out) {
		return nil, zlibErr("checksum mismatch", nil)
	}
	return out, nil
}
