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
	for _, s := range t.shards {
		s.SetLimits(shardMaxFlows(t.cfg.MaxFlows, len(t.shards)), t.cfg.MaxHosts)
	}
}

// shardMaxFlows is each of n shards' part of an interface's flow limit
// (-X): ceil(X/n). Hosts are one table, their limit is not divided.
func shardMaxFlows(maxFlows, n int) int { return (maxFlows + n - 1) / n }
