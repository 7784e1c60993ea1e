package api

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/vm"
)

// TestAllowExecReachesSandbox: Deps.AllowExec (--allow-lua-exec) opens
// os.execute and io.popen as well as ntop.execCmd; without it they refuse.
func TestAllowExecReachesSandbox(t *testing.T) {
	for _, tc := range []struct {
		allow bool
		want  string
	}{
		{false, "false false"},
		{true, "true true"},
	} {
		s := vm.New(vm.Options{Install: func(L *lua.LState) { Install(L, &Context{}, Deps{AllowExec: tc.allow}) }})
		p, err := vm.CompileString(`local a = pcall(os.execute, 'true')
local b = pcall(function() local f = io.popen('true'); f:close() end)
return tostring(a) .. " " .. tostring(b)`, "allow.lua")
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.Call(0, s.Load(p), 0, nil, nil, nil)
		s.Close()
		if err != nil || v.String() != tc.want {
			t.Errorf("AllowExec=%v: %v, %v; want %s", tc.allow, v, err, tc.want)
		}
	}
}
