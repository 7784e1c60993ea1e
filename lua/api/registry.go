package api

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Status values of an ntop.* function, as docs/ntop-api.md shows them.
// A partial one is "partial: <what is missing>".
const (
	StatusImplemented = "implemented"
	StatusUnavailable = "unavailable"
)

// NtopFunc is one ntop.* function registered from another package (SNMP,
// recipients, …) with RegisterNtop or RegisterNtopWith.
type NtopFunc struct {
	Name   string
	Status string
	// Make builds the function for one Lua state from the process's Deps;
	// nil for an "unavailable" name, which Install turns into a function that
	// raises a clear error.
	Make func(d Deps) lua.LGFunction
}

// The registry is filled by init functions of the packages that provide
// ntop.* functions, before any Lua state exists; the mutex only guards
// against registration from tests running in parallel.
var (
	ntopRegMu sync.RWMutex
	ntopReg   = map[string]NtopFunc{}
)

// RegisterNtop adds ntop.<name> to every Lua state Install sets up. status is
// "implemented", "partial: …" or "unavailable" (fn may then be nil). It is
// meant for init functions: registering a name twice panics, except that a
// real function may replace an "unavailable" stub.
func RegisterNtop(name string, fn lua.LGFunction, status string) {
	var mk func(Deps) lua.LGFunction
	if fn != nil {
		mk = func(Deps) lua.LGFunction { return fn }
	}
	RegisterNtopWith(name, mk, status)
}

// RegisterNtopWith is RegisterNtop for a function that needs the process's
// services: make is called once per Lua state with Install's Deps (whose
// Services carry the SNMP poller, the trap receiver and the recipients).
func RegisterNtopWith(name string, make func(d Deps) lua.LGFunction, status string) {
	if err := checkStatus(status); err != nil {
		panic(fmt.Sprintf("api.RegisterNtop(%q): %v", name, err))
	}
	if name == "" || strings.ContainsAny(name, ". \t") {
		panic(fmt.Sprintf("api.RegisterNtop(%q): bad function name", name))
	}
	if make == nil && status != StatusUnavailable {
		panic(fmt.Sprintf("api.RegisterNtop(%q): nil function with status %q", name, status))
	}
	ntopRegMu.Lock()
	defer ntopRegMu.Unlock()
	if old, dup := ntopReg[name]; dup && old.Status != StatusUnavailable {
		panic(fmt.Sprintf("api.RegisterNtop(%q): registered twice", name))
	}
	ntopReg[name] = NtopFunc{Name: name, Status: status, Make: make}
}

func checkStatus(s string) error {
	switch {
	case s == StatusImplemented, s == StatusUnavailable:
		return nil
	case strings.HasPrefix(s, "partial: ") && len(s) > len("partial: "):
		return nil
	}
	return fmt.Errorf("status %q is not \"implemented\", \"partial: …\" or \"unavailable\"", s)
}

// RegisteredNtop lists the registered ntop.* functions, sorted by name.
func RegisteredNtop() []NtopFunc {
	ntopRegMu.RLock()
	defer ntopRegMu.RUnlock()
	out := make([]NtopFunc, 0, len(ntopReg))
	for _, f := range ntopReg {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// installRegistered sets the registered functions in the ntop table; they
// win over a same-named built-in. An "unavailable" registration without a
// function gets the same stub as an unprovided seed function.
func installRegistered(L *lua.LState, tbl *lua.LTable, b *binding) {
	for _, f := range RegisteredNtop() {
		var g lua.LGFunction
		if f.Make != nil {
			g = f.Make(b.deps)
		}
		if g == nil {
			g = b.unavailable(f.Name)
		}
		L.SetField(tbl, f.Name, L.NewFunction(g))
	}
}
