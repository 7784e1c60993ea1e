package syslog

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

func (c *Collector) listenUDP() error {
	addr, err := net.ResolveUDPAddr("udp", c.cfg.Addr)
	if err != nil {
		return fmt.Errorf("syslog udp %s: %w", c.cfg.Addr, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return fmt.Errorf("syslog udp %s: %w", c.cfg.Addr, err)
	}
	c.serveUDP(conn)
	return nil
}

// serveUDP starts the readers of a bound socket.
func (c *Collector) serveUDP(conn *net.UDPConn) {
	// A large receive buffer absorbs bursts while the readers catch up;
	// the kernel caps it at net.core.rmem_max (the bench script raises it).
	if err := conn.SetReadBuffer(c.cfg.UDPBuffer); err != nil {
		c.log.Warn("syslog udp: receive buffer not set", "err", err)
	}
	c.udp = conn
	for range c.cfg.UDPReaders {
		c.wg.Add(1)
		go c.readUDP(conn)
	}
}

// bindPair binds UDP and TCP on one port the system picks (an address with
// port 0): the port UDP got may be taken for TCP, so it tries again.
func bindPair(addr string) (*net.UDPConn, net.Listener, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("syslog %s: %w", addr, err)
	}
	for try := 0; ; try++ {
		u, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, nil, fmt.Errorf("syslog udp %s: %w", addr, err)
		}
		l, err := net.Listen("tcp", u.LocalAddr().String())
		if err == nil {
			return u, l, nil
		}
		u.Close()
		if try == 20 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("syslog tcp %s: %w", addr, err)
		}
	}
}

// readUDP is one of several readers of the socket: each datagram is one
// message (docs/script-contract.md §2.5), parsed and routed in this goroutine so that the
// socket is drained by as many cores as there are readers.
func (c *Collector) readUDP(conn *net.UDPConn) {
	defer c.wg.Done()
	r := c.newReceiver()
	// One byte more than the maximum tells an oversized datagram apart.
	buf := make([]byte, max(c.cfg.MaxMessage+1, 2048))
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || c.stopped() {
				return
			}
			c.c.readErrors.Add(1)
			c.rl.Warn("udpread", "syslog udp read", "err", err)
			continue
		}
		c.c.udp.Add(1)
		if n > c.cfg.MaxMessage {
			c.c.received.Add(1)
			c.c.oversized.Add(1)
			continue
		}
		r.handle(buf[:n], from.Addr().Unmap())
	}
}
