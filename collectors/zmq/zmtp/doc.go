// Package zmtp is a small pure-Go implementation of ZMTP 3.x (RFC 23/37) for
// the two socket types flowgate needs: SUB (the collector side) and PUB (the
// nProbe emulator and tests), with the NULL and CURVE (RFC 26) mechanisms.
//
// It exists because go-zeromq/zmq4 has no CURVE and its Security interface
// cannot carry per-connection state, while ntopng-compatible collectors must
// act as the CURVE server.
package zmtp
