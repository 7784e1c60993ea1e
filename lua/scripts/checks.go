package scripts

import (
	"sort"

	"flowgate/lua/api"
)

// The runtime seen as ntopng's checks (ntop.reloadFlowChecks,
// getFlowChecksStats, getFlowCheckInfo and their host twins): in flowgate a
// flow check is a user script of the flow subdir and a host check one of
// the host subdir (docs/ntop-api.md §31).

// RequestReload asks for the scripts directory to be reloaded by the
// runtime's own goroutine and returns at once, as ntopng's reload flags
// do: a script asking from inside a hook (or from its top level, while a
// reload is evaluating it) must not wait for a reload of itself. A request
// made while one is pending is the same request.
func (r *Runtime) RequestReload() {
	select {
	case r.reloadReq <- struct{}{}:
	default:
	}
}

// CheckStats lists the counters of the loaded scripts of one subdir.
func (r *Runtime) CheckStats(subdir string) []api.CheckStats {
	var out []api.CheckStats
	for _, s := range r.Stats() {
		if s.Subdir != subdir || r.conf.info(subdir, s.Key) == nil {
			continue // not (or no longer) loaded
		}
		out = append(out, api.CheckStats{Key: s.Key, Enabled: r.enabled(subdir, s.Key),
			Calls: s.Calls, Errors: s.Errors, Timeouts: s.Timeouts, MissingAPI: s.MissingAPI})
	}
	return out
}

// CheckInfo describes one loaded script of a subdir.
func (r *Runtime) CheckInfo(subdir, key string) (api.CheckInfo, bool) {
	in := r.conf.info(subdir, key)
	if in == nil {
		return api.CheckInfo{}, false
	}
	hooks := append([]string(nil), in.Hooks...)
	sort.Strings(hooks)
	return api.CheckInfo{Key: key, Title: in.Title, Description: in.Description, Path: in.Path,
		Hooks: hooks, Enabled: r.enabled(subdir, key)}, true
}

// enabled: a script configured per hook is enabled when any hook is.
func (r *Runtime) enabled(subdir, key string) bool {
	if !perHook(subdir) {
		return r.conf.get(subdir, key, "all").Enabled
	}
	in := r.conf.info(subdir, key)
	if in == nil {
		return false
	}
	for _, h := range in.Hooks {
		if r.conf.get(subdir, key, h).Enabled {
			return true
		}
	}
	return false
}
