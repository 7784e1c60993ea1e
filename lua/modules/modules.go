// Package modules makes the ntopng 4.2 Lua modules user scripts require
// available in a gopher-lua state: user_scripts, alerts_api, alert_consts,
// flow_consts, lua_utils, flow_utils, dkjson/json and a few small ones. The
// Lua parts are embedded files; the JSON codec and the bridge from
// alerts_api to the Go alert store are Go.
package modules

import (
	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
)

// Install makes every module require-able in L through package.preload,
// whatever package.path says, and loads lua_utils (its globals, as ntopng's
// runners do before any script). Modules that read the running hook (the
// alerts bridge) read ctx at call time, so one Install per state suffices.
func Install(L *lua.LState, ctx *api.Context) {
	install(L, ctx)
}
