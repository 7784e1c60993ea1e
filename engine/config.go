package engine

import (
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine/ndpi"
)

// Configuration sets the engine's limits and timers. Zero fields take the defaults
// of DefaultConfiguration when passed to New.
type Configuration struct {
	LocalNetworks  []netip.Prefix // -m: hosts inside are "local"
	MaxFlows       int            // per interface (-X); beyond, records are dropped and counted
	MaxHosts       int            // per interface (-x); beyond, records are dropped and counted
	FlowIdle       time.Duration  // flow max idle before any probe event (§6.5)
	HostIdle       time.Duration  // idle time of a host with no active flow before purge
	QueueLen       int            // batches per shard queue (see DefaultConfiguration)
	PeriodicUpdate time.Duration  // FlowPeriodicUpdate period for active flows
	// Shards is the number of goroutines each interface's flows are split
	// over (--engine-shards; 1, the default, is one goroutine; at most 64).
	Shards int
	Now    func() time.Time
	// Metrics, when set, gets the per-interface families (see metrics.go);
	// New registers them.
	Metrics prometheus.Registerer
	// Categories, when set, overrides nDPI's category of a flow when its
	// application is detected: the custom categories and application
	// categories of ntopng's category/application REST (package
	// categories). It runs in the interface goroutine: no blocking.
	Categories Categorizer
	// Blacklists, when set, matches every new flow's client, server and
	// server name against ntopng's category lists (package lists): a match
	// sets the flow's Category and, for Malware lists, its Blacklist bits.
	// It runs in the interface goroutine: no blocking.
	Blacklists Blacklister
}

// Blacklister matches a flow's peers and server name against category
// lists; sides has bit 1 client, 2 server, 4 server name for each one a
// Malware list matched.
type Blacklister interface {
	MatchFlow(cli, srv netip.Addr, name string) (cat ndpi.Category, sides uint8, ok bool)
}

// Categorizer names a flow's category from its application, its server
// and the server name the probe saw (TLS SNI, HTTP site or DNS query);
// ok false keeps nDPI's category.
type Categorizer interface {
	FlowCategory(master, app uint16, server netip.Addr, name string) (cat ndpi.Category, ok bool)
}

// DefaultConfiguration returns ntopng's defaults: 60 s flow idle, 300 s host idle,
// 30 s periodic update, 131072 flows and hosts per interface.
//
// The queue holds 128 batches, ~8.5 MB of queued records (664 B each) per
// shard; 1024 kept ~70 MB resident once a closed-loop sender had filled it,
// with no throughput gain (docs/ingest-scaling.md §5). Collectors that wait
// leave the backlog in the transport; those that drop (syslog, packet) start
// dropping after 12,800 queued records instead of 102,400.
func DefaultConfiguration() Configuration {
	return Configuration{
		MaxFlows:       131072,
		MaxHosts:       131072,
		FlowIdle:       60 * time.Second,
		HostIdle:       300 * time.Second,
		QueueLen:       128,
		PeriodicUpdate: 30 * time.Second,
		Shards:         1,
		Now:            time.Now,
	}
}

func (c Configuration) withDefaults() Configuration {
	d := DefaultConfiguration()
	if c.MaxFlows <= 0 {
		c.MaxFlows = d.MaxFlows
	}
	if c.MaxHosts <= 0 {
		c.MaxHosts = d.MaxHosts
	}
	if c.FlowIdle <= 0 {
		c.FlowIdle = d.FlowIdle
	}
	if c.HostIdle <= 0 {
		c.HostIdle = d.HostIdle
	}
	if c.QueueLen <= 0 {
		c.QueueLen = d.QueueLen
	}
	if c.PeriodicUpdate <= 0 {
		c.PeriodicUpdate = d.PeriodicUpdate
	}
	c.Shards = min(max(c.Shards, 1), maxShards)
	if c.Now == nil {
		c.Now = d.Now
	}
	nets := make([]netip.Prefix, 0, len(c.LocalNetworks))
	for _, p := range c.LocalNetworks {
		if p.IsValid() {
			nets = append(nets, p.Masked())
		}
	}
	c.LocalNetworks = nets
	return c
}
