package syslog

import (
	"errors"
	"fmt"
	"net"
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
	return nil
}

// readUDP is one of several readers of the socket: each datagram is one
// message (spec §2.5), parsed and routed in this goroutine so that the
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
