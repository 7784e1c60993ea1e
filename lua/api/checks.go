package api

import lua "github.com/yuin/gopher-lua"

// Checks is the user-script runtime seen as ntopng's flow and host checks
// (docs/ntop-api.md §31): a flow check is a script of the flow subdir, a
// host check one of the host subdir. lua/scripts' Runtime implements it.
type Checks interface {
	// RequestReload reloads the scripts directory soon, in the runtime's
	// goroutine (never in the caller's: the caller may be a script).
	RequestReload()
	CheckStats(subdir string) []CheckStats
	CheckInfo(subdir, key string) (CheckInfo, bool)
}

// CheckStats are one loaded check's counters.
type CheckStats struct {
	Key                                 string
	Enabled                             bool
	Calls, Errors, Timeouts, MissingAPI uint64
}

// CheckInfo describes one loaded check.
type CheckInfo struct {
	Key, Title, Description, Path string
	Hooks                         []string
	Enabled                       bool
}

func init() {
	reg := func(name string, fn func(L *lua.LState, c Checks) int) {
		RegisterNtopWith(name, func(d Deps) lua.LGFunction {
			var c Checks
			if d.Services != nil {
				c = d.Services.Checks
			}
			return func(L *lua.LState) int {
				if c == nil {
					L.RaiseError("ntop.%s: no user-script runtime in this process", name)
					return 0
				}
				return fn(L, c)
			}
		}, StatusImplemented)
	}
	// ntop.reloadFlowChecks/reloadHostChecks: one reload covers every
	// subdir (the runtime compiles the directory as a whole).
	reload := func(L *lua.LState, c Checks) int { c.RequestReload(); return 0 }
	reg("reloadFlowChecks", reload)
	reg("reloadHostChecks", reload)
	// ntop.getFlowChecksStats(): {<check key> = {enabled, num_calls,
	// num_errors, num_timeouts, num_missing_api}} for the flow checks.
	reg("getFlowChecksStats", func(L *lua.LState, c Checks) int {
		t := L.NewTable()
		for _, s := range c.CheckStats("flow") {
			e := L.NewTable()
			e.RawSetString("enabled", lua.LBool(s.Enabled))
			e.RawSetString("num_calls", lua.LNumber(s.Calls))
			e.RawSetString("num_errors", lua.LNumber(s.Errors))
			e.RawSetString("num_timeouts", lua.LNumber(s.Timeouts))
			e.RawSetString("num_missing_api", lua.LNumber(s.MissingAPI))
			t.RawSetString(s.Key, e)
		}
		L.Push(t)
		return 1
	})
	// ntop.getFlowCheckInfo(name)/getHostCheckInfo(name): ntopng's
	// {edition, key} plus what flowgate knows of the script; nil for an
	// unknown check, as ntopng answers.
	info := func(subdir string) func(L *lua.LState, c Checks) int {
		return func(L *lua.LState, c Checks) int {
			in, ok := c.CheckInfo(subdir, L.CheckString(1))
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			t := L.NewTable()
			t.RawSetString("edition", lua.LString("community"))
			t.RawSetString("key", lua.LString(in.Key))
			t.RawSetString("title", lua.LString(in.Title))
			t.RawSetString("description", lua.LString(in.Description))
			t.RawSetString("path", lua.LString(in.Path))
			t.RawSetString("enabled", lua.LBool(in.Enabled))
			hooks := L.CreateTable(len(in.Hooks), 0)
			for _, h := range in.Hooks {
				hooks.Append(lua.LString(h))
			}
			t.RawSetString("hooks", hooks)
			L.Push(t)
			return 1
		}
	}
	reg("getFlowCheckInfo", info("flow"))
	reg("getHostCheckInfo", info("host"))
}
