package zmtp

import "errors"

// hsReason classifies handshake failures for the counters.
type hsReason int

const (
	reasonIO          hsReason = iota // peer vanished or timed out
	reasonBadGreeting                 // not ZMTP at all
	reasonBadVersion                  // ZMTP older than 3.0
	reasonMechanism                   // mechanism differs from ours
	reasonCurveAuth                   // CURVE box did not open: wrong keys
	reasonSocketType                  // peer socket type cannot talk to ours
	reasonProtocol                    // malformed handshake command, or peer ERROR
)

type handshakeError struct {
	reason hsReason
	err    error
}

func (e *handshakeError) Error() string { return "handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

func hsErr(r hsReason, err error) error { return &handshakeError{reason: r, err: err} }

func hsReasonOf(err error) hsReason {
	var he *handshakeError
	if errors.As(err, &he) {
		return he.reason
	}
	return reasonIO
}
