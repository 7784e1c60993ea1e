package api

import (
	"encoding/json"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/vm"
)

// luaJSON encodes v as JSON ("" for nil), as dkjson would: tables with only
// keys 1..n are arrays, others objects (vm.ToGo).
func luaJSON(v lua.LValue) string {
	if v == nil || v == lua.LNil {
		return ""
	}
	out, err := json.Marshal(vm.ToGo(v))
	if err != nil {
		return ""
	}
	return string(out)
}
