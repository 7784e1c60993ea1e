package flow

import (
	"net"
	"strconv"
	"strings"
)

// probePort returns a UDP port free at the time of the call.
func (*Collector) probePort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func udpBound(port int) bool { return udpLine(port) != nil }

// udpQueue is the receive queue (bytes) of the socket bound to port.
func udpQueue(port int) int64 {
	fs := udpLine(port)
	if fs == nil {
		return -1
	}
	q := strings.SplitN(fs[4], ":", 2)
	if len(q) != 2 {
		return -1
	}
	n, _ := strconv.ParseInt(q[1], 16, 64)
	return n
}
