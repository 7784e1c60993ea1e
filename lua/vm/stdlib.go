package vm

import (
	"math"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"
)

func openLibs(L *lua.LState) {
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.OsLibName, lua.OpenOs},
		{lua.IoLibName, lua.OpenIo},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
}

// sandbox removes what a monitoring script has no business doing inside
// the collector: running programs, leaving the process, renaming or
// deleting files. io keeps open/read/write/lines (ntopng's flow_logger
// appends to a file); io.popen goes.
func sandbox(L *lua.LState) {
	if os, ok := L.GetGlobal("os").(*lua.LTable); ok {
		for _, k := range []string{"execute", "exit", "remove", "rename", "tmpname", "setenv"} {
			os.RawSetString(k, lua.LNil)
		}
	}
	if io, ok := L.GetGlobal("io").(*lua.LTable); ok {
		io.RawSetString("popen", lua.LNil)
	}
}

// addHelpers adds the Lua 5.2/5.3 functions ntopng 4.x (Lua 5.3.5) scripts
// and modules use and gopher-lua (5.1) lacks.
func addHelpers(L *lua.LState) {
	tbl := L.GetGlobal("table").(*lua.LTable)
	tbl.RawSetString("unpack", L.GetGlobal("unpack"))
	tbl.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		t := L.CreateTable(n, 1)
		for i := 1; i <= n; i++ {
			t.RawSetInt(i, L.Get(i))
		}
		t.RawSetString("n", lua.LNumber(n))
		L.Push(t)
		return 1
	}))
	m := L.GetGlobal("math").(*lua.LTable)
	m.RawSetString("tointeger", L.NewFunction(func(L *lua.LState) int {
		n, ok := L.Get(1).(lua.LNumber)
		if !ok || float64(n) != math.Trunc(float64(n)) {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(n)
		return 1
	}))
	m.RawSetString("type", L.NewFunction(func(L *lua.LState) int {
		n, ok := L.Get(1).(lua.LNumber)
		switch {
		case !ok:
			L.Push(lua.LNil)
		case float64(n) == math.Trunc(float64(n)) && !math.IsInf(float64(n), 0):
			L.Push(lua.LString("integer"))
		default:
			L.Push(lua.LString("float"))
		}
		return 1
	}))
	m.RawSetString("maxinteger", lua.LNumber(1<<53))
	m.RawSetString("mininteger", lua.LNumber(-(1 << 53)))
	m.RawSetString("ult", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(uint64(L.CheckInt64(1)) < uint64(L.CheckInt64(2))))
		return 1
	}))
	// Lua 5.2 renamed loadstring to load (with a string argument).
	base := L.Get(lua.GlobalsIndex).(*lua.LTable)
	load := base.RawGetString("load")
	loadstring := base.RawGetString("loadstring")
	base.RawSetString("load", L.NewFunction(func(L *lua.LState) int {
		f := load
		if _, ok := L.Get(1).(lua.LString); ok {
			f = loadstring
		}
		top := L.GetTop()
		L.Push(f)
		for i := 1; i <= top && i <= 2; i++ {
			L.Push(L.Get(i))
		}
		L.Call(min(top, 2), 2)
		return 2
	}))
}

// setDirs defines the `dirs` global ntopng's examples build package.path
// from, and a package.path that finds the scripts' own modules.
// flowgate's own modules are preloaded (package.preload), so they resolve
// whatever a script prepends to package.path.
func setDirs(L *lua.LState, o Options) {
	d := L.NewTable()
	install := o.InstallDir
	if install == "" {
		install = o.ScriptsDir
	}
	d.RawSetString("installdir", lua.LString(install))
	d.RawSetString("workingdir", lua.LString(o.DataDir))
	d.RawSetString("scriptdir", lua.LString(o.ScriptsDir))
	d.RawSetString("callbacksdir", lua.LString(filepath.Join(o.ScriptsDir, "callbacks")))
	d.RawSetString("httpdocsdir", lua.LString(filepath.Join(install, "httpdocs")))
	d.RawSetString("pcapdir", lua.LString(o.DataDir))
	L.SetGlobal("dirs", d)
	pkg := L.GetGlobal("package").(*lua.LTable)
	pkg.RawSetString("path", lua.LString(""))
	pkg.RawSetString("cpath", lua.LString(""))
	for i := len(o.ModuleDirs) - 1; i >= 0; i-- {
		addPath(L, o.ModuleDirs[i])
	}
	if o.ScriptsDir != "" {
		addPath(L, filepath.Join(o.ScriptsDir, "scripts", "lua", "modules"))
		addPath(L, filepath.Join(o.ScriptsDir, "modules"))
		addPath(L, o.ScriptsDir)
	}
}
