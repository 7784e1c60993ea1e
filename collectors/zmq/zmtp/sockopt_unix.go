//go:build unix

package zmtp

import "syscall"

// setRcvBuf sets SO_RCVBUF before listen/connect so the TCP window scale
// is negotiated for it; accepted sockets inherit the listener's value.
func setRcvBuf(size int) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		if size <= 0 {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		})
		if err != nil {
			return err
		}
		return serr
	}
}
