package engine

import (
	"net/netip"
	"time"
)

// LogEvent is one syslog message, normalized at the collector and routed to
// a producer (docs/script-contract.md §2.5). The collector fills it; a LogSink
// (the Lua syslog runtime) consumes it, so collectors need no Lua.
type LogEvent struct {
	Producer string     // handler name: selects <producer>.lua
	Message  string     // content handed to hooks.handleEvent (the whole line when Raw)
	Host     string     // hostname/device or peer IP, as ntopng's "host" argument
	Priority int        // PRI (facility*8 + severity); 0 when the line had none
	Peer     netip.Addr // socket peer
	Device   string     // HOSTNAME field, "" when absent
	App      string     // APP-NAME / TAG, "" when absent
	Time     time.Time  // message timestamp, or the receive time
	Raw      bool       // no parser accepted the line
}

// LogDelivery tells a collector what became of a LogEvent.
type LogDelivery uint8

const (
	LogQueued    LogDelivery = iota // accepted for the producer's handler
	LogNoHandler                    // no handler for that producer
	LogDropped                      // the producer's queue was full
)

// LogSink receives routed log events. Deliver must not block: a slow
// handler drops (and counts) rather than stall the sockets. HasHandler lets
// the collector prefer a producer that has a handler when routing.
type LogSink interface {
	Deliver(ev *LogEvent) LogDelivery
	HasHandler(producer string) bool
}
