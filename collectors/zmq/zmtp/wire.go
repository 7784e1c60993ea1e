package zmtp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Frame flag bits (RFC 23 §2.3). The high five bits are reserved.
const (
	flagMore     = 0x01
	flagLong     = 0x02
	flagCommand  = 0x04
	flagReserved = 0xF8
)

// Error classes the sockets count separately.
var (
	// ErrClosed is returned by socket methods after Close.
	ErrClosed = errors.New("zmtp: socket closed")
	// ErrFrameTooLarge means a peer announced a frame above MaxFrameSize.
	ErrFrameTooLarge = errors.New("frame exceeds maximum size")
	// ErrProtocol means a peer broke ZMTP framing or CURVE rules.
	ErrProtocol = errors.New("protocol error")
	// errTruncated means the peer went away inside a frame or message.
	errTruncated = errors.New("connection lost mid-message")
)

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}

// readFrameHeader reads one frame's flags and size without allocating.
func readFrameHeader(r *bufio.Reader) (flags byte, size uint64, err error) {
	flags, err = r.ReadByte()
	if err != nil {
		return 0, 0, err // io.EOF here is a clean boundary
	}
	if flags&flagReserved != 0 {
		return 0, 0, protoErr("reserved frame flag bits set (0x%02x)", flags)
	}
	if flags&flagLong == 0 {
		b, err := r.ReadByte()
		if err != nil {
			return 0, 0, truncated(err)
		}
		return flags, uint64(b), nil
	}
	p, err := r.Peek(8)
	if err != nil {
		return 0, 0, truncated(err)
	}
	size = binary.BigEndian.Uint64(p)
	_, _ = r.Discard(8)
	return flags, size, nil
}

// truncated maps EOF inside a frame to errTruncated so it is counted apart
// from a clean disconnect.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errTruncated
	}
	return err
}

// appendFrameHeader appends the flags and the short or long size.
func appendFrameHeader(dst []byte, flags byte, size int) []byte {
	if size > 255 {
		dst = append(dst, flags|flagLong)
		return binary.BigEndian.AppendUint64(dst, uint64(size))
	}
	return append(dst, flags, byte(size))
}

// appendCommand appends a complete command frame.
func appendCommand(dst []byte, name string, data []byte) []byte {
	dst = appendFrameHeader(dst, flagCommand, 1+len(name)+len(data))
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	return append(dst, data...)
}

// parseCommand splits a command body into its name and data.
func parseCommand(body []byte) (name, data []byte, err error) {
	if len(body) < 1 || int(body[0])+1 > len(body) {
		return nil, nil, protoErr("malformed command name")
	}
	n := int(body[0])
	return body[1 : 1+n], body[1+n:], nil
}

// appendMetadata encodes properties as name-size name value-size value.
func appendMetadata(dst []byte, kv ...string) []byte {
	for i := 0; i+1 < len(kv); i += 2 {
		dst = append(dst, byte(len(kv[i])))
		dst = append(dst, kv[i]...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(kv[i+1])))
		dst = append(dst, kv[i+1]...)
	}
	return dst
}

// parseMetadata decodes properties; names are case-insensitive (RFC 23).
func parseMetadata(b []byte) (map[string]string, error) {
	m := make(map[string]string)
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || 1+n+4 > len(b) {
			return nil, protoErr("malformed metadata name")
		}
		name := strings.ToLower(string(b[1 : 1+n]))
		b = b[1+n:]
		vl := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(vl) > uint64(len(b)) {
			return nil, protoErr("malformed metadata value for %q", name)
		}
		m[name] = string(b[:vl])
		b = b[vl:]
	}
	return m, nil
}

// Greeting (RFC 23 §2.2): signature(10) version(2) mechanism(20) as-server(1) filler(31).
const (
	greetingSize  = 64
	greetingFirst = 11 // signature and major version: enough to refuse a non-ZMTP-3 peer
)

// We announce 3.0 on purpose: libzmq then sends subscriptions as 0x01-prefixed
// messages, which every 3.x peer understands, and never sends 3.1 PINGs.
func makeGreeting(mechanism string, asServer bool) []byte {
	g := make([]byte, greetingSize)
	g[0], g[9] = 0xFF, 0x7F
	g[10], g[11] = 3, 0
	copy(g[12:32], mechanism)
	if asServer {
		g[32] = 1
	}
	return g
}

type greeting struct {
	major, minor byte
	mechanism    string
	asServer     bool
}

// readGreeting reads the peer greeting in two steps so that garbage or an old
// protocol version is refused before waiting for the full 64 bytes.
func readGreeting(r io.Reader, buf []byte) (greeting, error) {
	var g greeting
	buf = buf[:greetingSize]
	if _, err := io.ReadFull(r, buf[:greetingFirst]); err != nil {
		return g, hsErr(reasonIO, fmt.Errorf("read greeting: %w", err))
	}
	if buf[0] != 0xFF || buf[9] != 0x7F {
		return g, hsErr(reasonBadGreeting, fmt.Errorf("bad greeting signature % x", buf[:10]))
	}
	g.major = buf[10]
	if g.major < 3 {
		return g, hsErr(reasonBadVersion, fmt.Errorf("unsupported ZMTP major version %d", g.major))
	}
	if _, err := io.ReadFull(r, buf[greetingFirst:]); err != nil {
		return g, hsErr(reasonIO, fmt.Errorf("read greeting: %w", err))
	}
	g.minor = buf[11]
	mech := buf[12:32]
	end := 0
	for end < len(mech) && mech[end] != 0 {
		end++
	}
	g.mechanism = string(mech[:end])
	g.asServer = buf[32] == 1
	return g, nil
}
