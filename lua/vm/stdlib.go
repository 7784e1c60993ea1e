package vm

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

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

// The sandbox policy (docs/lua-sandbox.md): scripts get Lua's standard
// library as ntopng gives it to them, with the privileges of the flowgate
// process (whose confinement is the service manager's job: deploy/'s unit
// limits the writable paths). Three things differ:
//   - os.execute and io.popen run commands only when the operator allows it
//     (--allow-lua-exec, api.Deps.AllowExec, which calls AllowExec); until
//     then os.execute() answers false (no shell) and a call with a command,
//     like io.popen, raises an error naming the option;
//   - os.exit raises an error: a script cannot stop the collector;
//   - os.setenv (a gopher-lua addition absent from Lua 5.3) is absent: it
//     would change the environment of the whole process.
// os.remove, os.rename, os.tmpname, os.time, os.date, os.clock,
// os.difftime, os.getenv and io.open/lines/read/write/close work as in Lua.

// execRefused is the message a script gets when it runs a command without
// --allow-lua-exec.
const execRefused = "%s is disabled: start flowgate with --allow-lua-exec to let scripts run commands"

// registry key of the original io.popen, restored by AllowExec.
const popenKey = "flowgate.vm.io.popen"

func sandbox(L *lua.LState) {
	if os, ok := L.GetGlobal("os").(*lua.LTable); ok {
		os.RawSetString("setenv", lua.LNil)
		os.RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("os.exit is not allowed: a script cannot stop flowgate (return from the hook instead)")
			return 0
		}))
		os.RawSetString("tmpname", L.NewFunction(osTmpname))
		os.RawSetString("execute", L.NewFunction(func(L *lua.LState) int {
			if L.GetTop() == 0 || L.Get(1) == lua.LNil {
				// Lua: os.execute() tells whether a shell is available.
				L.Push(lua.LFalse)
				return 1
			}
			L.RaiseError(execRefused, "os.execute")
			return 0
		}))
	}
	if io, ok := L.GetGlobal("io").(*lua.LTable); ok {
		if reg, ok := L.Get(lua.RegistryIndex).(*lua.LTable); ok {
			reg.RawSetString(popenKey, io.RawGetString("popen"))
		}
		io.RawSetString("popen", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError(execRefused, "io.popen")
			return 0
		}))
	}
}

// AllowExec lets scripts of L run commands: os.execute (with Lua 5.3's
// results) and io.popen through /bin/sh. A command still running when the
// call's budget runs out is killed with the call. api.Install calls it when
// the operator gave --allow-lua-exec.
func AllowExec(L *lua.LState) {
	if os, ok := L.GetGlobal("os").(*lua.LTable); ok {
		os.RawSetString("execute", L.NewFunction(osExecute))
	}
	io, ok := L.GetGlobal("io").(*lua.LTable)
	if !ok {
		return
	}
	if reg, ok := L.Get(lua.RegistryIndex).(*lua.LTable); ok {
		if p, ok := reg.RawGetString(popenKey).(*lua.LFunction); ok {
			io.RawSetString("popen", p)
		}
	}
}

// osExecute is Lua 5.3's os.execute: with no command, whether a shell
// exists; else true|nil, "exit"|"signal", code. The command inherits the
// process's standard output and error, as in Lua.
func osExecute(L *lua.LState) int {
	if L.GetTop() == 0 || L.Get(1) == lua.LNil {
		_, err := os.Stat("/bin/sh")
		L.Push(lua.LBool(err == nil))
		return 1
	}
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", L.CheckString(1))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// The command and whatever it starts form one process group, killed
	// together when the budget ends, so that no child outlives the call.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		L.Push(lua.LTrue)
		L.Push(lua.LString("exit"))
		L.Push(lua.LNumber(0))
	case errors.As(err, &ee):
		L.Push(lua.LNil)
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			L.Push(lua.LString("signal"))
			L.Push(lua.LNumber(ws.Signal()))
		} else {
			L.Push(lua.LString("exit"))
			L.Push(lua.LNumber(ee.ExitCode()))
		}
	default:
		// The shell could not start: as a C shell's "command not found".
		L.Push(lua.LNil)
		L.Push(lua.LString("exit"))
		L.Push(lua.LNumber(127))
	}
	return 3
}

// osTmpname is Lua 5.3's os.tmpname: it creates an empty file only this
// user can read (mkstemp) and returns its name; the script removes it.
// gopher-lua's removes the file it names, leaving the name free for anyone.
func osTmpname(L *lua.LState) int {
	f, err := os.CreateTemp("", "lua_")
	if err != nil {
		L.RaiseError("os.tmpname: unable to generate a unique filename: %v", err)
		return 0
	}
	name := f.Name()
	f.Close()
	L.Push(lua.LString(name))
	return 1
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
