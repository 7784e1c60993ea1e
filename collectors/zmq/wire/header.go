package wire

import (
	"bytes"
	"encoding/binary"
)

// Header lengths; the version of a header is told by its frame length.
const (
	HeaderV0Len = 40
	HeaderV1Len = 24
	HeaderV2Len = 28
	HeaderV3Len = 36
)

// Publisher versions (the version byte/word of the header).
const (
	VersionCompat = 1 // msg_id read raw, source_id 0
	VersionJSON   = 2
	VersionTLV    = 3 // TLV payload, never compressed
	VersionV3     = 4 // flags-driven (36-byte header) or plain JSON (24/28)
)

// Header flags (36-byte v3 header only).
const (
	FlagTLV        = 0x02
	FlagCompressed = 0x04
)

// MaxPayloadFrame is ntopng's payload frame limit; ntopng discards longer
// payloads. The decoders here do not enforce it: the collector decides.
const MaxPayloadFrame = 131072

// Topic is what a message is about, decided like ntopng on the first
// character of the topic string only.
type Topic uint8

const (
	TopicOther Topic = iota
	TopicFlow
	TopicEvent
	TopicCounter
	TopicTemplate
	TopicOption
	TopicHello
	TopicListeningPorts
	TopicSNMPIfaces
)

var topicNames = [...]string{"other", "flow", "event", "counter", "template", "option", "hello", "listening-ports", "snmp-ifaces"}

func (t Topic) String() string {
	if int(t) < len(topicNames) {
		return topicNames[t]
	}
	return "other"
}

// TopicOf dispatches on the first character, as ntopng's switch on url[0].
func TopicOf(topic string) Topic {
	if topic == "" {
		return TopicOther
	}
	switch topic[0] {
	case 'f':
		return TopicFlow
	case 'e':
		return TopicEvent
	case 'c':
		return TopicCounter
	case 't':
		return TopicTemplate
	case 'o':
		return TopicOption
	case 'h':
		return TopicHello
	case 'l':
		return TopicListeningPorts
	case 's':
		return TopicSNMPIfaces
	}
	return TopicOther
}

// Header is a decoded ZMQ header frame, with the values ntopng would use.
type Header struct {
	Topic     string // url, NUL-trimmed
	TopicKind Topic
	Len       int    // frame length: 40, 24, 28 or 36
	Version   uint32 // publisher_version; 0 for a 36-byte header whose version is not 4
	Flags     uint8  // 36-byte header with version 4 only
	MsgID     uint32
	SourceID  uint32
	// Size fields of the 36-byte header, read little-endian. ntopng's use of
	// them is buggy (§2.4); decoders here ignore them except as a buffer hint.
	UncompressedSize, CompressedSize uint32
}

// topicString returns the NUL-trimmed url without allocating for the
// subscribed topic names.
func topicString(url []byte) string {
	if i := bytes.IndexByte(url, 0); i >= 0 {
		url = url[:i]
	}
	for _, n := range knownTopics {
		if string(url) == n {
			return n
		}
	}
	return string(url)
}

var knownTopics = [...]string{"flow", "event", "counter", "template", "option", "hello", "listening-ports", "snmp-ifaces", "message"}

// ParseHeader decodes a header frame. It follows ntopng's collect_flows:
// the version is chosen by length, byte-order rules per §2.2 and the branch
// order of §2.3.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	switch len(b) {
	case HeaderV0Len:
		h.Len = HeaderV0Len
		h.Topic = topicString(b[:32])
		h.TopicKind = TopicOf(h.Topic)
		h.Version = binary.LittleEndian.Uint32(b[32:])
		return h, nil
	case HeaderV1Len, HeaderV2Len, HeaderV3Len:
	default:
		return h, errorf(ReasonHeaderLength, "header: length %d, want 24, 28, 36 or 40", len(b))
	}
	if b[16] > VersionV3 {
		return h, errorf(ReasonHeaderVersion, "header: unsupported publisher version %d (len %d)", b[16], len(b))
	}
	h.Len = len(b)
	h.Topic = topicString(b[:16])
	h.TopicKind = TopicOf(h.Topic)
	h.Version = uint32(b[16])
	switch {
	case b[16] == VersionCompat:
		// Read raw, i.e. host order: LE on the x86 producers that exist.
		h.MsgID = binary.LittleEndian.Uint32(b[20:])
	case len(b) == HeaderV1Len:
		h.SourceID = uint32(b[17])
		h.MsgID = binary.BigEndian.Uint32(b[20:])
	case len(b) == HeaderV2Len:
		h.SourceID = binary.LittleEndian.Uint32(b[24:])
		h.MsgID = binary.BigEndian.Uint32(b[20:])
	case b[16] == VersionV3:
		h.Flags = b[17]
		h.UncompressedSize = binary.LittleEndian.Uint32(b[20:])
		h.CompressedSize = binary.LittleEndian.Uint32(b[24:])
		h.MsgID = binary.BigEndian.Uint32(b[28:])
		h.SourceID = binary.LittleEndian.Uint32(b[32:])
	default:
		// 36 bytes with version != 4 matches no branch in ntopng.
		h.Version = 0
	}
	return h, nil
}

func appendURL(dst []byte, topic string, n int) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	copy(dst[start:start+n], topic) // longer topics are cut, like strncpy
	return dst
}

// AppendHeaderV0 appends a 40-byte legacy header (version LE, size LE).
func AppendHeaderV0(dst []byte, topic string, version, size uint32) []byte {
	dst = appendURL(dst, topic, 32)
	dst = binary.LittleEndian.AppendUint32(dst, version)
	return binary.LittleEndian.AppendUint32(dst, size)
}

// AppendHeaderV1 appends a 24-byte header. msg_id is written BE as ntopng
// reads it, except for version 1 where ntopng reads it raw (LE).
func AppendHeaderV1(dst []byte, topic string, version, sourceID uint8, size uint16, msgID uint32) []byte {
	dst = appendURL(dst, topic, 16)
	dst = append(dst, version, sourceID)
	dst = binary.LittleEndian.AppendUint16(dst, size)
	if version == VersionCompat {
		return binary.LittleEndian.AppendUint32(dst, msgID)
	}
	return binary.BigEndian.AppendUint32(dst, msgID)
}

// AppendHeaderV2 appends a 28-byte header: msg_id BE, source_id LE (ntopng
// reads it raw on x86).
func AppendHeaderV2(dst []byte, topic string, version uint8, size uint16, msgID, sourceID uint32) []byte {
	dst = appendURL(dst, topic, 16)
	dst = append(dst, version, 0)
	dst = binary.LittleEndian.AppendUint16(dst, size)
	if version == VersionCompat {
		dst = binary.LittleEndian.AppendUint32(dst, msgID)
	} else {
		dst = binary.BigEndian.AppendUint32(dst, msgID)
	}
	return binary.LittleEndian.AppendUint32(dst, sourceID)
}

// AppendHeaderV3 appends a 36-byte header with version 4: sizes LE, msg_id
// BE, source_id LE (raw host order, as ntopng reads it).
func AppendHeaderV3(dst []byte, topic string, flags uint8, uncompressed, compressed, msgID, sourceID uint32) []byte {
	dst = appendURL(dst, topic, 16)
	dst = append(dst, VersionV3, flags, 0, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uncompressed)
	dst = binary.LittleEndian.AppendUint32(dst, compressed)
	dst = binary.BigEndian.AppendUint32(dst, msgID)
	return binary.LittleEndian.AppendUint32(dst, sourceID)
}
