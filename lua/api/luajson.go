package api

import (
	"encoding/json"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// toGo converts a Lua value to what encoding/json marshals like dkjson
// does: tables with only keys 1..n become arrays, other tables objects
// (non-string keys as their string form); functions and userdata are
// dropped. depth guards against cyclic tables.
func toGo(v lua.LValue, depth int) any {
	if depth > 32 {
		return nil
	}
	switch x := v.(type) {
	case lua.LBool:
		return bool(x)
	case lua.LNumber:
		f := float64(x)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return f
	case lua.LString:
		return string(x)
	case *lua.LTable:
		n := x.Len()
		count := 0
		x.ForEach(func(lua.LValue, lua.LValue) { count++ })
		if n > 0 && count == n {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				arr = append(arr, toGo(x.RawGetInt(i), depth+1))
			}
			return arr
		}
		m := make(map[string]any, count)
		x.ForEach(func(k, val lua.LValue) {
			switch val.(type) {
			case *lua.LFunction, *lua.LUserData, *lua.LState:
				return
			}
			m[k.String()] = toGo(val, depth+1)
		})
		return m
	}
	return nil
}

// luaJSON encodes v as JSON ("" for nil).
func luaJSON(v lua.LValue) string {
	if v == nil || v == lua.LNil {
		return ""
	}
	out, err := json.Marshal(toGo(v, 0))
	if err != nil {
		return ""
	}
	return string(out)
}
