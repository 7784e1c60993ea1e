// Package api holds the Lua bindings user scripts call: flow.*, host.*,
// network.*, interface.* and the ntop.* subset scripts use. Bindings read
// the engine through a Context that the hook runner points at the entity a
// hook is about before each call; a Lua state and its Context never leave
// the goroutine that owns them.
package api

import (
	"net/netip"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
)

// Context is what the running hook is about. The runner sets the fields
// before every hook call and clears the entity fields after it.
type Context struct {
	Engine *engine.Engine
	Iface  *engine.Interface // the selected interface (interface.select changes it)
	Tables *engine.Tables    // valid only inside the owner goroutine, during a call

	Flow    *engine.Flow         // flow hooks
	Host    *engine.Host         // host hooks
	Network *engine.NetworkStats // network hooks

	Now         time.Time
	Granularity string // "min", "5mins", "hour", "day"; "" for flow hooks
	Script      string // key of the script being run (file name without .lua)
	Subdir      string // "flow", "host", "interface", "network", "system"

	Alerts *alerts.Store

	// Visible, when set, limits the hosts interface.* shows: a Lua page run
	// for an unprivileged user sees only its allowed networks. nil: all.
	Visible func(netip.Addr) bool
}
