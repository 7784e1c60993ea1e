package engine

// Limits returns the interface's flow and host limits (-X, -x). Call it
// inside Interface.Do.
func (t *Tables) Limits() (maxFlows, maxHosts int) { return t.cfg.MaxFlows, t.cfg.MaxHosts }

// SetLimits changes the limits at runtime (ntopng's REST
// edit/ntopng/incr_flows.lua and incr_hosts.lua); values <= 0 keep the
// current one. A limit below the tables' size drops new entries until old
// ones expire, as at startup. Call it inside Interface.Do.
func (t *Tables) SetLimits(maxFlows, maxHosts int) {
	if maxFlows > 0 {
		t.cfg.MaxFlows = maxFlows
	}
	if maxHosts > 0 {
		t.cfg.MaxHosts = maxHosts
	}
	// Sharded: each shard gets ceil(X/N) flows; hosts are one table.
	n := len(t.shards)
	for _, s := range t.shards {
		s.SetLimits((t.cfg.MaxFlows+n-1)/n, t.cfg.MaxHosts)
	}
}
