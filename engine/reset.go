package engine

// ntop.resetStats is ntopng's "reset the interface statistics": like
// ntopng, flowgate keeps two views, the counters since start and the
// counters since the last reset (interface.getStats().stats_since_reset).
// The counters themselves keep growing, because /metrics counters, the
// DERIVE time series and the REST totals are computed from them; the view
// since reset is the counter less its value at the last reset.

// ResetStats makes the interface's shown counters start again from zero.
// It runs in the interface goroutine (Do), so the base is a consistent
// snapshot of one moment.
func (t *Tables) ResetStats() {
	if t.iface == nil {
		return
	}
	base := *t.Stats()
	t.iface.resetBase.Store(&base)
}

// RequestResetStats asks the interface goroutine to reset its shown
// counters at its next tick (within a second). It never waits, so a script
// running inside any interface's goroutine may ask for every interface.
// On a sharded interface the reset is a Do over every shard, from its own
// goroutine (a shard's tick cannot wait for the others).
func (i *Interface) RequestResetStats() {
	if i.resetReq.Swap(true) || i.view == nil {
		return
	}
	go func() {
		i.Do(func(t *Tables) { t.ResetStats() })
		i.resetReq.Store(false)
	}()
}

// Resets reports whether a reset is still waiting for its tick.
func (i *Interface) ResetPending() bool { return i.resetReq.Load() }

// Shown is s since the last reset: its cumulative counters less those at the last
// ResetStats (s itself when there was none). Gauges (active flows, hosts,
// throughput, probe figures) are not counters and are left as they are.
func (i *Interface) Shown(s InterfaceStats) InterfaceStats {
	b := i.resetBase.Load()
	if b == nil {
		return s
	}
	sub := func(v *uint64, base uint64) {
		if *v >= base {
			*v -= base
		} else {
			*v = 0
		}
	}
	sub(&s.Bytes, b.Bytes)
	sub(&s.Packets, b.Packets)
	sub(&s.BytesUpload, b.BytesUpload)
	sub(&s.BytesDownload, b.BytesDownload)
	sub(&s.PacketsUpload, b.PacketsUpload)
	sub(&s.PacketsDownload, b.PacketsDownload)
	sub(&s.Local2Remote, b.Local2Remote)
	sub(&s.Remote2Local, b.Remote2Local)
	sub(&s.TotalFlows, b.TotalFlows)
	sub(&s.FlowRecords, b.FlowRecords)
	sub(&s.Events, b.Events)
	sub(&s.Counters, b.Counters)
	sub(&s.TCPRetransmissions, b.TCPRetransmissions)
	sub(&s.TCPOutOfOrder, b.TCPOutOfOrder)
	sub(&s.TCPLost, b.TCPLost)
	sub(&s.DropsMaxFlows, b.DropsMaxFlows)
	sub(&s.DropsMaxHosts, b.DropsMaxHosts)
	sub(&s.DropsIPMismatch, b.DropsIPMismatch)
	sub(&s.DropsQueueFull, b.DropsQueueFull)
	sub(&s.QueueFullBatches, b.QueueFullBatches)
	sub(&s.QueueWaits, b.QueueWaits)
	sub(&s.FlowsExpired, b.FlowsExpired)
	sub(&s.HostsExpired, b.HostsExpired)
	if s.QueueWaitTime >= b.QueueWaitTime {
		s.QueueWaitTime -= b.QueueWaitTime
	}
	s.sumDrops()
	return s
}
