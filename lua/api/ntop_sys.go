package api

import (
	"bufio"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
)

// docs/ntop-api.md §3 (system & information) and §4 (file system) beyond ntop.go's.

func init() {
	register("ntop", []luaFn{
		fn("systemHostStat", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(0, 8)
			if load, ok := cpuLoad(); ok {
				t.RawSetString("cpu_load", lua.LNumber(load))
			}
			total, avail := memInfo()
			t.RawSetString("mem_total", lua.LNumber(total))
			t.RawSetString("mem_free", lua.LNumber(avail))
			t.RawSetString("mem_used", lua.LNumber(total-avail))
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			t.RawSetString("mem_ntopng_resident", lua.LNumber(ms.Sys/1024))
			t.RawSetString("mem_ntopng_virtual", lua.LNumber(ms.Sys/1024))
			t.RawSetString("alerts_queries", lua.LNumber(0))
			t.RawSetString("written_alerts", lua.LNumber(0))
			t.RawSetString("dropped_alerts", lua.LNumber(0))
			L.Push(t)
			return 1
		}),
		fn("threadsInfo", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(0, 2)
			t.RawSetString("goroutines", lua.LNumber(runtime.NumGoroutine()))
			t.RawSetString("cpus", lua.LNumber(runtime.NumCPU()))
			L.Push(t)
			return 1
		}),
		fn("refreshCPULoad", func(b *binding, L *lua.LState) int {
			if load, ok := cpuLoad(); ok {
				L.Push(lua.LNumber(load))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}),
		// There is no license: the check succeeds, as on ntopng community.
		fn("checkLicense", func(b *binding, L *lua.LState) int { b.pushI(L, 1); return 1 }),
		fn("getSystemAlertsStats", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(0, 5)
			var c alerts.Counters
			if b.ctx.Alerts != nil {
				c = b.ctx.Alerts.Counters()
			}
			t.RawSetString("engaged_alerts", lua.LNumber(c.Engaged))
			t.RawSetString("triggered_alerts", lua.LNumber(c.Triggered))
			t.RawSetString("released_alerts", lua.LNumber(c.Released))
			t.RawSetString("written_alerts", lua.LNumber(c.Stored))
			t.RawSetString("dropped_alerts", lua.LNumber(c.Dropped))
			L.Push(t)
			return 1
		}),
		fn("getCookieAttributes", func(b *binding, L *lua.LState) int {
			L.Push(lua.LString("; SameSite=lax"))
			return 1
		}),
		fn("getAllPaths", ntopGetAllPaths),
		fn("getStaticFileEpoch", func(b *binding, L *lua.LState) int { b.pushI(L, processStart.Unix()); return 1 }),
		fn("httpPurifyParam", func(b *binding, L *lua.LState) int {
			L.Push(lua.LString(html.EscapeString(argKey(L, "httpPurifyParam", 1, "param"))))
			return 1
		}),
		// Go's scheduler shares the cores; nothing to throttle per thread.
		fn("limitResourcesUsage", func(b *binding, L *lua.LState) int { return 0 }),
		fn("getDropPoolInfo", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(0, 2)
			t.RawSetString("num_dropped_flows", lua.LNumber(0))
			L.Push(t)
			return 1
		}),

		// §4
		fn("mkdir", func(b *binding, L *lua.LState) int {
			err := os.MkdirAll(argKey(L, "mkdir", 1, "path"), 0o755)
			L.Push(lua.LBool(err == nil))
			return 1
		}),
		fn("notEmptyFile", func(b *binding, L *lua.LState) int {
			st, err := os.Stat(argKey(L, "notEmptyFile", 1, "path"))
			L.Push(lua.LBool(err == nil && st.Mode().IsRegular() && st.Size() > 0))
			return 1
		}),
		fn("fileLastChange", func(b *binding, L *lua.LState) int {
			st, err := os.Stat(argKey(L, "fileLastChange", 1, "path"))
			if err != nil {
				b.pushI(L, -1)
			} else {
				b.pushI(L, st.ModTime().Unix())
			}
			return 1
		}),
		fn("rmdir", func(b *binding, L *lua.LState) int {
			p := argKey(L, "rmdir", 1, "path")
			if st, err := os.Stat(p); err != nil || !st.IsDir() || isRootish(p) {
				L.Push(lua.LFalse)
				return 1
			}
			L.Push(lua.LBool(os.RemoveAll(p) == nil))
			return 1
		}),
		fn("unlink", func(b *binding, L *lua.LState) int {
			p := argKey(L, "unlink", 1, "path")
			if st, err := os.Lstat(p); err != nil || st.IsDir() {
				L.Push(lua.LFalse)
				return 1
			}
			L.Push(lua.LBool(os.Remove(p) == nil))
			return 1
		}),
		fn("dumpFile", func(b *binding, L *lua.LState) int { return dumpFile(b, L, "dumpFile") }),
		fn("dumpBinaryFile", func(b *binding, L *lua.LState) int { return dumpFile(b, L, "dumpBinaryFile") }),
		fn("listReports", func(b *binding, L *lua.LState) int {
			t := L.NewTable()
			dir := filepath.Join(b.deps.DataDir, "reports")
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if !e.IsDir() {
					t.RawSetString(e.Name(), lua.LString(filepath.Join(dir, e.Name())))
				}
			}
			L.Push(t)
			return 1
		}),
		fn("setDefaultFilePermissions", func(b *binding, L *lua.LState) int {
			p := argKey(L, "setDefaultFilePermissions", 1, "path")
			st, err := os.Stat(p)
			if err == nil {
				mode := os.FileMode(0o640)
				if st.IsDir() {
					mode = 0o750
				}
				err = os.Chmod(p, mode)
			}
			L.Push(lua.LBool(err == nil))
			return 1
		}),
	})
}

// isRootish refuses rmdir of "/" and of top-level directories: a script's
// bug should not wipe a system.
func isRootish(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return true
	}
	return strings.Count(filepath.Clean(abs), string(filepath.Separator)) < 2
}

// dumpFile writes a file's content through the Lua `print` of the state
// (a Lua page's response writer, or stdout under `flowgate lua`): there is
// no other response here. True when the file was read.
func dumpFile(b *binding, L *lua.LState, fname string) int {
	data, err := os.ReadFile(argKey(L, fname, 1, "path"))
	if err != nil {
		L.Push(lua.LFalse)
		return 1
	}
	if pr, ok := L.GetGlobal("print").(*lua.LFunction); ok {
		s := strings.TrimSuffix(string(data), "\n") // print adds one
		if err := L.CallByParam(lua.P{Fn: pr, NRet: 0, Protect: true}, lua.LString(s)); err != nil {
			L.Push(lua.LFalse)
			return 1
		}
	}
	L.Push(lua.LTrue)
	return 1
}

// ntopGetAllPaths is getAllPaths(path[, pattern]): files under path whose
// name matches the Go regular expression pattern, as {path = true}.
func ntopGetAllPaths(b *binding, L *lua.LState) int {
	root := argKey(L, "getAllPaths", 1, "path")
	var re *regexp.Regexp
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		var err error
		if re, err = regexp.Compile(argKey(L, "getAllPaths", 2, "pattern")); err != nil {
			L.RaiseError("ntop.getAllPaths: argument #2 (pattern): %v", err)
		}
	}
	t := L.NewTable()
	n := 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if re == nil || re.MatchString(d.Name()) {
			t.RawSetString(p, lua.LTrue)
			if n++; n >= 100000 {
				return filepath.SkipAll
			}
		}
		return nil
	})
	L.Push(t)
	return 1
}

// cpuLoad is the 1-minute load average over the core count (Linux).
func cpuLoad() (float64, bool) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

// memInfo returns total and available memory in KiB (Linux; zeros elsewhere).
func memInfo() (total, avail float64) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "MemTotal":
			total = n
		case "MemAvailable":
			avail = n
		}
	}
	return total, avail
}
