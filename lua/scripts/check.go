package scripts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
	"flowgate/lua/modules"
	"flowgate/lua/vm"
)

var apiCallRe = regexp.MustCompile(`\b(ntop|flow|host|interface|network)\s*[.:]\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(`)

// Check loads every script of dir without running hooks and writes, per
// file, what would stop it or surprise its author on flowgate: syntax
// errors (file:line), a failing top level, a missing or empty hooks table,
// unknown hook names, calls to ntop/flow/host/interface/network functions
// flowgate does not provide, and skip conditions. Unknown top-level keys
// are listed as notes (scripts may carry custom keys) and not counted.
// It returns the number of problems; err is for an unreadable dir.
func Check(dir string, w io.Writer) (problems int, err error) {
	files, dups, err := discover(dir)
	if err != nil {
		return 0, err
	}
	for _, d := range dups {
		fmt.Fprintf(w, "%s\n", d)
		problems++
	}
	ctx := &api.Context{}
	var modDirs []string
	for _, l := range files {
		for _, f := range l {
			modDirs = append(modDirs, dirOf(f.Path))
		}
	}
	wd := vm.NewWatchdog(0)
	wd.Start()
	defer wd.Stop()
	st := vm.New(vm.Options{ScriptsDir: dir, ModuleDirs: modDirs, Watchdog: wd, Install: func(L *lua.LState) {
		api.Install(L, ctx, api.Deps{ScriptsDir: dir})
		modules.Install(L, ctx)
	}})
	defer st.Close()
	provided := providedSet(st.L)

	subs := make([]string, 0, len(files))
	for s := range files {
		subs = append(subs, s)
	}
	sort.Strings(subs)
	total := 0
	for _, sub := range subs {
		for _, f := range files[sub] {
			total++
			var lines []string
			bad := 0
			report := func(counted bool, format string, a ...any) {
				lines = append(lines, fmt.Sprintf(format, a...))
				if counted {
					bad++
				}
			}
			src, rerr := os.ReadFile(f.Path)
			if rerr != nil {
				report(true, "unreadable: %v", rerr)
			}
			for n, line := range strings.Split(string(src), "\n") {
				code := stripComment(line)
				for _, m := range apiCallRe.FindAllStringSubmatch(code, -1) {
					if !provided[m[1]+"."+m[2]] {
						report(true, "%s:%d: %s.%s is not provided by flowgate", f.Path, n+1, m[1], m[2])
					}
				}
			}
			p, cerr := vm.Compile(f.Path)
			if cerr != nil {
				report(true, "%v", cerr)
			} else {
				f.Proto = p
				s, eerr := evalScript(st, f, 0, true)
				var skip *skipError
				switch {
				case errors.As(eerr, &skip):
					report(false, "note: not run on flowgate: %s", skip.why)
				case eerr != nil:
					report(true, "%v", eerr)
				default:
					for _, n := range s.notes {
						report(true, "%s: %s", f.Path, n)
					}
					if len(s.unknownKeys) > 0 {
						report(false, "note: custom keys %s", strings.Join(s.unknownKeys, ", "))
					}
				}
			}
			status := "ok"
			if bad > 0 {
				status = fmt.Sprintf("%d problem(s)", bad)
			}
			fmt.Fprintf(w, "%s [%s/%s]: %s\n", f.Path, sub, f.Key, status)
			for _, l := range lines {
				fmt.Fprintf(w, "  %s\n", l)
			}
			problems += bad
		}
	}
	fmt.Fprintf(w, "%d script(s), %d problem(s)\n", total, problems)
	return problems, nil
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "."
}

// stripComment drops a trailing -- comment (good enough for a scan: a "--"
// inside a string only hides the rest of that line).
func stripComment(line string) string {
	if i := strings.Index(line, "--"); i >= 0 {
		return line[:i]
	}
	return line
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
	for _, t := range []string{"ntop", "flow", "host", "interface", "network"} {
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
