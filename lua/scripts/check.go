package scripts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
)

// checkBudget bounds the evaluation of one file by Check (a top level that
// never returns is reported, not waited for).
const checkBudget = 10 * time.Second

// Check loads every script of dir that flowgate would run — flow, host,
// interface, network and system scripts, syslog handlers, SNMP device and
// trap scripts, in the callbacks/ layouts and the 4.0/4.2 plugin trees —
// through the same discovery, Lua state, module path and contract as the
// runtimes (lua/contract), without running hooks, and writes per file what
// would stop it or surprise its author, with file:line where there is one:
//
//   - syntax errors, duplicates, a failing top level;
//   - a `require` of a module neither lua/modules nor the module path
//     provides (wherever the require is: top level or inside a hook);
//   - a missing or empty hooks table, unknown hook names for the kind;
//   - calls to ntop/flow/host/interface/network functions flowgate does not
//     provide, or provides only as an "unavailable" stub;
//   - notes, not counted: skip conditions (packet_interface_only, …) and
//     custom top-level keys.
//
// It returns the number of problems; err is for an unreadable dir.
func Check(dir string, w io.Writer) (problems int, err error) {
	set, err := contract.Discover(dir)
	if err != nil {
		return 0, err
	}
	for _, p := range set.Problems {
		fmt.Fprintf(w, "%v\n", p)
		problems++
	}
	wd := vm.NewWatchdog(0)
	wd.Start()
	defer wd.Stop()
	env := contract.Env{ScriptsDir: dir, ModuleDirs: set.ModuleDirs, Watchdog: wd}
	unavailable := map[string]bool{}
	for _, s := range api.NtopStatuses() {
		if s.Status == api.StatusUnavailable {
			unavailable["ntop."+s.Name] = true
		}
	}
	total := 0
	for _, k := range contract.Kinds() {
		for _, f := range set.Files[k.Name] {
			total++
			lines, bad := checkFile(env, f, unavailable)
			status := "ok"
			if bad > 0 {
				status = fmt.Sprintf("%d problem(s)", bad)
			}
			fmt.Fprintf(w, "%s [%s/%s]: %s\n", f.Path, f.Subdir, f.Key, status)
			for _, l := range lines {
				fmt.Fprintf(w, "  %s\n", l)
			}
			problems += bad
		}
	}
	fmt.Fprintf(w, "%d script(s), %d problem(s)\n", total, problems)
	return problems, nil
}

// checkFile checks one compiled file in a state of its own (so that what
// one script does to package.path or the globals is not blamed on the
// next).
func checkFile(env contract.Env, f *file, unavailable map[string]bool) (lines []string, bad int) {
	report := func(counted bool, format string, a ...any) {
		lines = append(lines, fmt.Sprintf(format, a...))
		if counted {
			bad++
		}
	}
	st := contract.NewState(env, &api.Context{Subdir: f.Subdir, Script: f.Key})
	defer st.Close()

	var loadErr error
	var notes, keys []string
	var skip *skipError
	if isKind(f.Subdir) {
		s, err := evalScript(st, f, checkBudget, true)
		if s != nil {
			notes, keys = s.Notes, s.UnknownKeys
		}
		loadErr = err
	} else {
		s, err := contract.Load(st, f, checkBudget)
		if s != nil {
			notes, keys = s.Notes, s.UnknownKeys
		}
		loadErr = err
	}

	// What the file asks for, checked against the state after its top
	// level ran (a script may extend package.path before requiring).
	reported := map[int]bool{}
	src, err := os.ReadFile(f.Path)
	if err != nil {
		report(true, "unreadable: %v", err)
	}
	uses, _ := contract.Scan(f.Path, src) // it compiled: it parses
	provided := providedSet(st.L)
	for _, r := range uses.Requires {
		if !contract.Resolvable(st.L, r.Name) {
			reported[r.Line] = true
			report(true, "%s:%d: require %q: no such module (neither a flowgate module nor a file on the module path)", f.Path, r.Line, r.Name)
		}
	}
	for _, c := range uses.Calls {
		name := c.Table + "." + c.Func
		switch {
		case unavailable[name]:
			reported[c.Line] = true
			report(true, "%s:%d: %s is unavailable in flowgate (a stub: see docs/ntop-api.md)", f.Path, c.Line, name)
		case !provided[name]:
			reported[c.Line] = true
			report(true, "%s:%d: %s is not provided by flowgate", f.Path, c.Line, name)
		}
	}

	var ve *vm.Error
	switch {
	case errors.As(loadErr, &skip):
		report(false, "note: not run on flowgate: %s", skip.why)
	case errors.As(loadErr, &ve) && ve.File == f.Path && reported[ve.Line]:
		// the top level failed on a line already reported above
	case loadErr != nil:
		report(true, "%v", loadErr)
	}
	for _, n := range notes {
		report(true, "%s: %s", f.Path, n)
	}
	if len(keys) > 0 {
		report(false, "note: custom keys %s", strings.Join(keys, ", "))
	}
	return lines, bad
}

// providedSet lists table.fn for the API tables: what the bindings register
// plus what the modules add in Lua (flow.triggerStatus...), read from a
// state that has both installed.
func providedSet(L *lua.LState) map[string]bool {
	out := map[string]bool{}
	for t, fns := range api.Provided() {
		for _, f := range fns {
			out[t+"."+f] = true
		}
	}
	for _, t := range contract.APITables {
		if tbl, ok := L.GetGlobal(t).(*lua.LTable); ok {
			tbl.ForEach(func(k, v lua.LValue) {
				if _, ok := v.(*lua.LFunction); ok {
					out[t+"."+lua.LVAsString(k)] = true
				}
			})
		}
	}
	return out
}
