package api

import (
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// OfflineMode is ntopng's offline switch: ntop.setOffline/setOnline turn
// it, ntop.isOffline reads it, and while it is on the scripts' HTTP
// requests (ntop.httpGet & co.) reach only this machine and private
// networks, as a box without internet access would. One per process,
// shared by every Lua state (Deps.Offline).
type OfflineMode struct{ on atomic.Bool }

// NewOfflineMode returns the switch, online.
func NewOfflineMode() *OfflineMode { return &OfflineMode{} }

// Offline reports the state.
func (o *OfflineMode) Offline() bool { return o.on.Load() }

// Set turns offline mode on or off.
func (o *OfflineMode) Set(off bool) { o.on.Store(off) }

// allowsURL: offline, only loopback, private and link-local literal
// addresses and "localhost" are reachable.
func (o *OfflineMode) allowsURL(raw string) bool {
	if !o.Offline() {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return false // a name would need DNS and, most likely, the internet
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast()
}

func init() {
	register("ntop", []luaFn{
		fn("isOffline", func(b *binding, L *lua.LState) int { L.Push(lua.LBool(b.deps.Offline.Offline())); return 1 }),
		// flowgate has no --offline option: offline mode is never forced.
		ntopConst("isForcedOffline", false),
		fn("setOffline", func(b *binding, L *lua.LState) int { b.deps.Offline.Set(true); return 0 }),
		fn("setOnline", func(b *binding, L *lua.LState) int { b.deps.Offline.Set(false); return 0 }),
	})
}

// redactURL is what a log line may show of a URL: scheme, host and path,
// never credentials or the query (tokens travel there).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
