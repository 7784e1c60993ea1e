package zmtp

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// security selects the mechanism of one side of a connection.
type security struct {
	curveServer *CurveKeyPair // we are the CURVE server with this long-term key
	serverKey   *[32]byte     // we are a CURVE client of this server key
	clientKey   *CurveKeyPair // our long-term client key when a CURVE client
}

func (s *security) mechanism() string {
	if s.curveServer != nil || s.serverKey != nil {
		return "CURVE"
	}
	return "NULL"
}

// limits bound what a peer may make us allocate.
type limits struct {
	maxFrame  uint64
	maxFrames int
}

// Handshake commands and metadata are small; anything bigger is hostile.
const maxCommandSize = 64 << 10

// Bytes a CURVE MESSAGE adds to a frame: "\x07MESSAGE", nonce, MAC, flags.
const curveOverhead = 8 + 8 + box.Overhead + 1

// Frames whose scratch buffer would exceed this are read into a one-off
// buffer so one huge frame does not pin memory for the connection's life.
const keepScratch = 1 << 20

// CURVE MESSAGE inner flags (libzmq: more, command).
const (
	curveMore    = 0x01
	curveCommand = 0x02
)

var msgCommand = []byte("\x07MESSAGE")

type curveState struct {
	shared     [32]byte // precomputed box key of the two short-term keys
	sendPrefix string
	recvPrefix string
	sendNonce  uint64
	recvNonce  uint64 // last nonce seen from the peer; must increase
}

// conn is one ZMTP connection. After the handshake, reads happen in one
// goroutine and writes in one goroutine (or under the owner's lock).
type conn struct {
	nc       net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	sockType string
	peerType string
	curve    *curveState
	rbuf     []byte // command bodies and ciphertext being read
	pbuf     []byte // plaintext being sealed
	wbuf     []byte // sealed output
	hdr      [9]byte
}

func newConn(nc net.Conn, sockType string, readBuf, writeBuf int) *conn {
	return &conn{
		nc:       nc,
		r:        bufio.NewReaderSize(nc, readBuf),
		w:        bufio.NewWriterSize(nc, writeBuf),
		sockType: sockType,
		rbuf:     make([]byte, 0, 4096),
	}
}

func compatible(mine, peer string) bool {
	switch mine {
	case "SUB":
		return peer == "PUB" || peer == "XPUB"
	case "PUB":
		return peer == "SUB" || peer == "XSUB"
	}
	return false
}

func (c *conn) handshake(sec *security) error {
	mech := sec.mechanism()
	if _, err := c.w.Write(makeGreeting(mech, sec.curveServer != nil)); err != nil {
		return hsErr(reasonIO, err)
	}
	if err := c.w.Flush(); err != nil {
		return hsErr(reasonIO, err)
	}
	g, err := readGreeting(c.r, c.rbuf[:0:cap(c.rbuf)])
	if err != nil {
		return err
	}
	if g.mechanism != mech {
		return hsErr(reasonMechanism, fmt.Errorf("peer mechanism %q, want %q", g.mechanism, mech))
	}
	switch {
	case sec.curveServer != nil:
		return c.curveServerHandshake(sec.curveServer)
	case sec.serverKey != nil:
		return c.curveClientHandshake(sec.serverKey, sec.clientKey)
	}
	return c.nullHandshake()
}

func (c *conn) writeCommand(name string, data []byte) error {
	buf := appendCommand(c.wbuf[:0], name, data)
	c.wbuf = buf[:0]
	if _, err := c.w.Write(buf); err != nil {
		return hsErr(reasonIO, err)
	}
	if err := c.w.Flush(); err != nil {
		return hsErr(reasonIO, err)
	}
	return nil
}

// readCommand reads one handshake command; a peer ERROR ends the handshake.
func (c *conn) readCommand(want string) ([]byte, error) {
	flags, size, err := readFrameHeader(c.r)
	if err != nil {
		if errors.Is(err, ErrProtocol) {
			return nil, hsErr(reasonProtocol, err)
		}
		return nil, hsErr(reasonIO, fmt.Errorf("waiting for %s: %w", want, err))
	}
	if flags&flagCommand == 0 || flags&flagMore != 0 || size > maxCommandSize {
		return nil, hsErr(reasonProtocol, fmt.Errorf("waiting for %s: bad frame (flags 0x%02x, %d bytes)", want, flags, size))
	}
	body, err := c.readBody(size)
	if err != nil {
		return nil, hsErr(reasonIO, fmt.Errorf("waiting for %s: %w", want, err))
	}
	name, data, err := parseCommand(body)
	if err != nil {
		return nil, hsErr(reasonProtocol, err)
	}
	if string(name) == "ERROR" {
		reason := ""
		if len(data) > 0 && int(data[0]) < len(data) {
			reason = string(data[1 : 1+int(data[0])])
		}
		return nil, hsErr(reasonProtocol, fmt.Errorf("peer sent ERROR %q", reason))
	}
	if string(name) != want {
		return nil, hsErr(reasonProtocol, fmt.Errorf("got %q command, want %s", name, want))
	}
	return data, nil
}

func (c *conn) checkMetadata(md []byte) error {
	m, err := parseMetadata(md)
	if err != nil {
		return hsErr(reasonProtocol, err)
	}
	c.peerType = strings.ToUpper(m["socket-type"])
	if !compatible(c.sockType, c.peerType) {
		return hsErr(reasonSocketType, fmt.Errorf("peer socket type %q cannot talk to %s", c.peerType, c.sockType))
	}
	return nil
}

func (c *conn) nullHandshake() error {
	if err := c.writeCommand("READY", appendMetadata(nil, "Socket-Type", c.sockType)); err != nil {
		return err
	}
	data, err := c.readCommand("READY")
	if err != nil {
		return err
	}
	return c.checkMetadata(data)
}

func nonce24(prefix string, tail []byte) *[24]byte {
	var n [24]byte
	copy(n[:], prefix)
	copy(n[len(prefix):], tail)
	return &n
}

func nonceCounter(prefix string, v uint64) *[24]byte {
	var n [24]byte
	copy(n[:16], prefix)
	binary.BigEndian.PutUint64(n[16:], v)
	return &n
}

func randomNonce(prefix string) (*[24]byte, error) {
	var n [24]byte
	copy(n[:8], prefix)
	if _, err := rand.Read(n[8:]); err != nil {
		return nil, hsErr(reasonIO, err)
	}
	return &n, nil
}

var errCurveAuth = errors.New("CURVE authentication failed")

func curveAuth(what string) error {
	return hsErr(reasonCurveAuth, fmt.Errorf("%w: %s", errCurveAuth, what))
}

// curveServerHandshake runs HELLO, WELCOME, INITIATE, READY (RFC 26) as server.
func (c *conn) curveServerHandshake(kp *CurveKeyPair) error {
	hello, err := c.readCommand("HELLO")
	if err != nil {
		return err
	}
	// version(2) padding(72) C'(32) nonce(8) box(80)
	if len(hello) != 194 || hello[0] != 1 || hello[1] != 0 {
		return hsErr(reasonProtocol, fmt.Errorf("malformed CURVE HELLO (%d bytes)", len(hello)))
	}
	var clientShort [32]byte
	copy(clientShort[:], hello[74:106])
	helloNonce := binary.BigEndian.Uint64(hello[106:114])
	if _, ok := box.Open(nil, hello[114:194], nonce24("CurveZMQHELLO---", hello[106:114]), &clientShort, &kp.Secret); !ok {
		return curveAuth("HELLO box did not open (client uses another server public key)")
	}

	serverShortPub, serverShortSec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return hsErr(reasonIO, err)
	}
	// The cookie lets a stateless server recover C' and s'; we keep them
	// anyway, but still verify the cookie the client echoes.
	var cookieKey [32]byte
	if _, err := rand.Read(cookieKey[:]); err != nil {
		return hsErr(reasonIO, err)
	}
	cn, err := randomNonce("COOKIE--")
	if err != nil {
		return err
	}
	cookiePlain := append(clientShort[:32:32], serverShortSec[:]...)
	cookie := secretbox.Seal(append([]byte(nil), cn[8:]...), cookiePlain, cn, &cookieKey)
	wn, err := randomNonce("WELCOME-")
	if err != nil {
		return err
	}
	welcome := box.Seal(append([]byte(nil), wn[8:]...), append(serverShortPub[:32:32], cookie...), wn, &clientShort, &kp.Secret)
	if err := c.writeCommand("WELCOME", welcome); err != nil {
		return err
	}

	init, err := c.readCommand("INITIATE")
	if err != nil {
		return err
	}
	// cookie(96) nonce(8) box(C(32) vouch(96) metadata)
	if len(init) < 96+8+box.Overhead+32+96 {
		return hsErr(reasonProtocol, fmt.Errorf("malformed CURVE INITIATE (%d bytes)", len(init)))
	}
	got, ok := secretbox.Open(nil, init[16:96], nonce24("COOKIE--", init[:16]), &cookieKey)
	if !ok || subtle.ConstantTimeCompare(got, cookiePlain) != 1 {
		return curveAuth("INITIATE cookie invalid")
	}
	initNonce := binary.BigEndian.Uint64(init[96:104])
	if initNonce <= helloNonce {
		return hsErr(reasonProtocol, fmt.Errorf("INITIATE nonce %d not above HELLO nonce %d", initNonce, helloNonce))
	}
	plain, ok := box.Open(nil, init[104:], nonce24("CurveZMQINITIATE", init[96:104]), &clientShort, serverShortSec)
	if !ok {
		return curveAuth("INITIATE box did not open")
	}
	var clientLong [32]byte
	copy(clientLong[:], plain[:32])
	vouch := plain[32:128]
	vplain, ok := box.Open(nil, vouch[16:], nonce24("VOUCH---", vouch[:16]), &clientLong, serverShortSec)
	if !ok || len(vplain) != 64 ||
		subtle.ConstantTimeCompare(vplain[:32], clientShort[:]) != 1 ||
		subtle.ConstantTimeCompare(vplain[32:], kp.Public[:]) != 1 {
		return curveAuth("vouch invalid")
	}
	if err := c.checkMetadata(plain[128:]); err != nil {
		return err
	}

	cs := &curveState{sendPrefix: "CurveZMQMESSAGES", recvPrefix: "CurveZMQMESSAGEC", sendNonce: 1, recvNonce: initNonce}
	box.Precompute(&cs.shared, &clientShort, serverShortSec)
	ready := binary.BigEndian.AppendUint64(nil, cs.sendNonce)
	ready = box.SealAfterPrecomputation(ready, appendMetadata(nil, "Socket-Type", c.sockType),
		nonceCounter("CurveZMQREADY---", cs.sendNonce), &cs.shared)
	cs.sendNonce++
	if err := c.writeCommand("READY", ready); err != nil {
		return err
	}
	c.curve = cs
	return nil
}

// curveClientHandshake runs the client side with an ephemeral short-term key.
func (c *conn) curveClientHandshake(serverKey *[32]byte, long *CurveKeyPair) error {
	shortPub, shortSec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return hsErr(reasonIO, err)
	}
	hello := make([]byte, 2+72, 194)
	hello[0] = 1
	hello = append(hello, shortPub[:]...)
	hello = binary.BigEndian.AppendUint64(hello, 1)
	hello = box.Seal(hello, make([]byte, 64), nonceCounter("CurveZMQHELLO---", 1), serverKey, shortSec)
	if err := c.writeCommand("HELLO", hello); err != nil {
		return err
	}

	welcome, err := c.readCommand("WELCOME")
	if err != nil {
		return err
	}
	if len(welcome) != 16+32+96+box.Overhead {
		return hsErr(reasonProtocol, fmt.Errorf("malformed CURVE WELCOME (%d bytes)", len(welcome)))
	}
	wplain, ok := box.Open(nil, welcome[16:], nonce24("WELCOME-", welcome[:16]), serverKey, shortSec)
	if !ok {
		return curveAuth("WELCOME box did not open (wrong server public key?)")
	}
	var serverShort [32]byte
	copy(serverShort[:], wplain[:32])
	cookie := wplain[32:128]

	vn, err := randomNonce("VOUCH---")
	if err != nil {
		return err
	}
	vouch := box.Seal(append([]byte(nil), vn[8:]...), append(shortPub[:32:32], serverKey[:]...), vn, &serverShort, &long.Secret)
	iplain := append(long.Public[:32:32], vouch...)
	iplain = appendMetadata(iplain, "Socket-Type", c.sockType)
	init := append(append([]byte(nil), cookie...), 0, 0, 0, 0, 0, 0, 0, 2)
	init = box.Seal(init, iplain, nonceCounter("CurveZMQINITIATE", 2), &serverShort, shortSec)
	if err := c.writeCommand("INITIATE", init); err != nil {
		return err
	}

	ready, err := c.readCommand("READY")
	if err != nil {
		return err
	}
	if len(ready) < 8+box.Overhead {
		return hsErr(reasonProtocol, fmt.Errorf("malformed CURVE READY (%d bytes)", len(ready)))
	}
	cs := &curveState{sendPrefix: "CurveZMQMESSAGEC", recvPrefix: "CurveZMQMESSAGES", sendNonce: 3,
		recvNonce: binary.BigEndian.Uint64(ready[:8])}
	box.Precompute(&cs.shared, &serverShort, shortSec)
	md, ok := box.OpenAfterPrecomputation(nil, ready[8:], nonce24("CurveZMQREADY---", ready[:8]), &cs.shared)
	if !ok {
		return curveAuth("READY box did not open")
	}
	if err := c.checkMetadata(md); err != nil {
		return err
	}
	c.curve = cs
	return nil
}

// writeMessage buffers one multipart message; the caller flushes.
func (c *conn) writeMessage(frames [][]byte) error {
	for i, f := range frames {
		more := i < len(frames)-1
		if c.curve != nil {
			if err := c.writeSealed(f, more, false); err != nil {
				return err
			}
			continue
		}
		var flags byte
		if more {
			flags = flagMore
		}
		if _, err := c.w.Write(appendFrameHeader(c.hdr[:0], flags, len(f))); err != nil {
			return err
		}
		if _, err := c.w.Write(f); err != nil {
			return err
		}
	}
	return nil
}

// writeSealed writes one frame as a CURVE MESSAGE. Like libzmq, the outer
// frame carries no flags: MORE and COMMAND travel inside the box.
func (c *conn) writeSealed(data []byte, more, command bool) error {
	cs := c.curve
	var inner byte
	if more {
		inner |= curveMore
	}
	if command {
		inner |= curveCommand
	}
	pt := append(c.pbuf[:0], inner)
	pt = append(pt, data...)
	out := append(c.wbuf[:0], msgCommand...)
	out = binary.BigEndian.AppendUint64(out, cs.sendNonce)
	out = box.SealAfterPrecomputation(out, pt, nonceCounter(cs.sendPrefix, cs.sendNonce), &cs.shared)
	cs.sendNonce++
	if cap(pt) <= keepScratch {
		c.pbuf = pt[:0]
	}
	if cap(out) <= keepScratch {
		c.wbuf = out[:0]
	}
	if _, err := c.w.Write(appendFrameHeader(c.hdr[:0], 0, len(out))); err != nil {
		return err
	}
	_, err := c.w.Write(out)
	return err
}

// readBody reads size bytes into the scratch buffer (or a one-off buffer
// for huge bodies).
func (c *conn) readBody(size uint64) ([]byte, error) {
	var b []byte
	if size <= uint64(cap(c.rbuf)) {
		b = c.rbuf[:size]
	} else if size <= keepScratch {
		c.rbuf = make([]byte, size)
		b = c.rbuf
	} else {
		b = make([]byte, size)
	}
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, truncated(err)
	}
	return b, nil
}

// commandFunc handles a command met between messages (SUBSCRIBE, PING...).
type commandFunc func(name, data []byte) error

// msgBuf is the storage one received message's frames are read into, so
// that a SUB reusing it (SubSocket.Release) allocates nothing per message.
// Frame i lives in bufs[i], sized to what that frame needed (plus slack),
// so a kept buffer costs about what its message did.
type msgBuf struct {
	bufs   [][]byte // storage of frame i
	frames [][]byte // the message's frames
	size   int      // total capacity of bufs
	allocs int      // arrays allocated while reading the last message
}

// alloc returns n bytes of storage for frame i: bufs[i] when large enough,
// otherwise a new array with 1/8 slack (payload sizes vary from message to
// message) that becomes bufs[i]. A frame above keepScratch gets a one-off
// array. A nil m allocates every frame.
func (m *msgBuf) alloc(i, n int) []byte {
	if m == nil {
		return make([]byte, n)
	}
	for len(m.bufs) <= i {
		m.bufs = append(m.bufs, nil)
	}
	if cap(m.bufs[i]) < n {
		m.allocs++
		if n > keepScratch {
			return make([]byte, n)
		}
		m.size -= cap(m.bufs[i])
		m.bufs[i] = make([]byte, n+n/8)
		m.size += cap(m.bufs[i])
	}
	return m.bufs[i][:n:n]
}

// readMessage reads one whole multipart message. Frames go to mb's storage
// (reset first), or to one allocation each when mb is nil. io.EOF means the
// peer left cleanly between messages.
func (c *conn) readMessage(lim limits, onCommand commandFunc, mb *msgBuf) ([][]byte, int, error) {
	var frames [][]byte
	if mb != nil {
		mb.frames, mb.allocs = mb.frames[:0], 0
		frames = mb.frames
	}
	total := 0
	for {
		flags, size, err := readFrameHeader(c.r)
		if err != nil {
			if err == io.EOF && len(frames) > 0 {
				err = errTruncated
			}
			return nil, 0, err
		}
		if c.curve == nil && flags&flagCommand != 0 {
			if len(frames) > 0 || flags&flagMore != 0 {
				return nil, 0, protoErr("command frame inside a multipart message")
			}
			if size > maxCommandSize {
				return nil, 0, protoErr("command of %d bytes", size)
			}
			body, err := c.readBody(size)
			if err != nil {
				return nil, 0, err
			}
			if err := c.dispatchCommand(body, onCommand); err != nil {
				return nil, 0, err
			}
			continue
		}
		if len(frames) >= lim.maxFrames {
			return nil, 0, protoErr("message has more than %d frames", lim.maxFrames)
		}
		var frame []byte
		var more bool
		if c.curve != nil {
			if size > lim.maxFrame+curveOverhead {
				return nil, 0, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, size-curveOverhead)
			}
			body, err := c.readBody(size)
			if err != nil {
				return nil, 0, err
			}
			inner, data, err := c.open(body, mb, len(frames))
			if err != nil {
				return nil, 0, err
			}
			if inner&curveCommand != 0 {
				if len(frames) > 0 {
					return nil, 0, protoErr("command frame inside a multipart message")
				}
				if err := c.dispatchCommand(data, onCommand); err != nil {
					return nil, 0, err
				}
				continue
			}
			frame, more = data, inner&curveMore != 0
		} else {
			if size > lim.maxFrame {
				return nil, 0, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, size)
			}
			frame = mb.alloc(len(frames), int(size))
			if _, err := io.ReadFull(c.r, frame); err != nil {
				return nil, 0, truncated(err)
			}
			more = flags&flagMore != 0
		}
		frames = append(frames, frame)
		total += len(frame)
		if !more {
			if mb != nil {
				mb.frames = frames
			}
			return frames, total, nil
		}
	}
}

// open decrypts one CURVE MESSAGE into mb's storage for frame i (a fresh
// buffer when mb is nil) and returns the inner flags and the frame.
func (c *conn) open(body []byte, mb *msgBuf, i int) (byte, []byte, error) {
	cs := c.curve
	if len(body) < curveOverhead || !bytes.Equal(body[:8], msgCommand) {
		return 0, nil, protoErr("expected CURVE MESSAGE")
	}
	n := binary.BigEndian.Uint64(body[8:16])
	if n <= cs.recvNonce {
		return 0, nil, protoErr("CURVE nonce %d not above %d", n, cs.recvNonce)
	}
	pt, ok := box.OpenAfterPrecomputation(mb.alloc(i, len(body)-16-box.Overhead)[:0], body[16:],
		nonceCounter(cs.recvPrefix, n), &cs.shared)
	if !ok {
		return 0, nil, protoErr("CURVE MESSAGE box did not open")
	}
	cs.recvNonce = n
	return pt[0], pt[1:], nil
}

func (c *conn) dispatchCommand(body []byte, onCommand commandFunc) error {
	name, data, err := parseCommand(body)
	if err != nil {
		return err
	}
	if string(name) == "ERROR" {
		return protoErr("peer sent ERROR")
	}
	if onCommand != nil {
		return onCommand(name, data)
	}
	return nil
}
