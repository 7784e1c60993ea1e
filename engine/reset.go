package engine

// ntop.resetStats is ntopng's "reset the interface statistics": like
// ntopng, flowgate keeps two views, the counters since start and the
// counters since the last reset (interface.getStats().stats_since_reset).
// The counters themselves keep growing, because /metrics counters, the
// DERIVE time series and the REST totals are computed from them; the view
// since reset is the counter less its value at the last reset.

// ResetStats makes the interface's shown counters start again from zero.
// It runs in the interface goroutine (Do), so the base is a consistent
// snapshot of one moment. A shard's tick resets its own part; the base is
// the sum of the parts (shard.go).
func (t *Tables) ResetStats() {
	if t.iface == nil {
		return
	}
	if t.shards != nil {
		for _, s := range t.shards {
			s.ResetStats()
		}
		return
	}
	i := t.iface
	i.resetMu.Lock()
	defer i.resetMu.Unlock()
	i.shards[t.shard].resetBase = *t.Stats()
	base := i.shards[0].resetBase
	for _, s := range i.shards[1:] {
		base.addShard(&s.resetBase)
	}
	i.resetBase.Store(&base)
}

// RequestResetStats asks the interface goroutines to reset their shown
// counters at their next tick (within a second). It never waits, so a
// script running inside any interface's goroutine may ask for every
// interface.
func (i *Interface) RequestResetStats() {
	for _, s := range i.shards {
		s.resetReq.Store(true)
	}
}

// ResetPending reports whether a reset is still waiting for a tick.
func (i *Interface) ResetPending() bool {
	for _, s := range i.shards {
		if s.resetReq.Load() {
			return true
		}
	}
	return false
}

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
