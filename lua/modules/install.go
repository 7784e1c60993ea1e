package modules

import (
	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
)

func install(L *lua.LState, ctx *api.Context) {}
