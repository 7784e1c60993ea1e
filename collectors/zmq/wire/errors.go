package wire

import (
	"errors"
	"fmt"
)

// Error reasons: short, stable snake_case words the collector uses as
// counter labels. Every decode error of this package is an *Error (possibly
// wrapped) carrying one of them.
const (
	ReasonHeaderLength    = "header_length"     // header frame is not 24, 28, 36 or 40 bytes
	ReasonHeaderVersion   = "header_version"    // version byte at offset 16 is > 4
	ReasonEmptyPayload    = "empty_payload"     // payload frame has no bytes
	ReasonPayloadTooLarge = "payload_too_large" // decompressed size exceeds the cap
	ReasonZlib            = "zlib"              // corrupt or truncated zlib stream
	ReasonTLVPreamble     = "tlv_preamble"      // payload does not start with 01 01
	ReasonTLVTruncated    = "tlv_truncated"     // an item runs past the end of the payload
	ReasonTLVKeyType      = "tlv_key_type"      // key type ntopng rejects (u64, signed, float, ...)
	ReasonTLVValueType    = "tlv_value_type"    // block, list, end-of-data or other unsupported value
	ReasonJSONSyntax      = "json_syntax"       // malformed JSON
	ReasonJSONType        = "json_type"         // well-formed JSON of the wrong shape
	ReasonJSONNumber      = "json_number"       // number out of range (integer beyond uint64)
	ReasonJSONDepth       = "json_depth"        // nesting deeper than MaxJSONDepth
	ReasonCounterKey      = "counter_key"       // TLV counter with an unknown string key
)

// Error is a decode error. Reason is one of the Reason* constants.
type Error struct {
	Reason string
	Msg    string // human-readable context
	Err    error  // underlying cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Reason returns the reason label of err: "" for nil, the Reason of the
// *Error it wraps, or "other".
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return "other"
}

func errorf(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Msg: fmt.Sprintf(format, args...)}
}
