package vm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"

	lua "github.com/yuin/gopher-lua"
)

// The one conversion between Go values and Lua values. Two shapes exist
// because two needs exist:
//
//   - ToLua/ToGo: JSON-like values (configuration, script_conf, REST
//     answers, JSON of a Lua table). A table whose keys are exactly 1..n is
//     a []any, any other table a map[string]any with its keys in string
//     form; numbers are float64; functions, userdata and threads are
//     dropped.
//   - Freeze/Thaw: a faithful copy of a Lua value that can outlive its
//     state and be rebuilt in another (the process-wide Lua cache): key and
//     value types are kept, anything else than nil, booleans, numbers,
//     strings and tables of them is an error.

// maxDepth bounds the nesting converted: deeper values (or cycles) are nil
// in ToGo and an error in Freeze.
const maxDepth = 32

// ToLua converts a Go value to Lua: nil, booleans, strings, every integer
// and float kind, json.Number, and maps with string keys or slices of those
// (any element type, through reflection for the less common ones). A value
// of another type becomes its fmt.Sprint string, so configuration written
// by hand never silently disappears.
func ToLua(L *lua.LState, v any) lua.LValue {
	return toLua(L, v, 0)
}

func toLua(L *lua.LState, v any, depth int) lua.LValue {
	if depth > maxDepth {
		return lua.LNil
	}
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case lua.LValue:
		return x
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case float64:
		return lua.LNumber(x)
	case int:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case uint64:
		return lua.LNumber(x)
	case json.Number:
		f, _ := x.Float64()
		return lua.LNumber(f)
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, e := range x {
			t.RawSetString(k, toLua(L, e, depth+1))
		}
		return t
	case []any:
		t := L.CreateTable(len(x), 0)
		for _, e := range x {
			t.Append(toLua(L, e, depth+1))
		}
		return t
	case []string:
		t := L.CreateTable(len(x), 0)
		for _, e := range x {
			t.Append(lua.LString(e))
		}
		return t
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return lua.LBool(rv.Bool())
	case reflect.String:
		return lua.LString(rv.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return lua.LNumber(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return lua.LNumber(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return lua.LNumber(rv.Float())
	case reflect.Slice, reflect.Array:
		t := L.CreateTable(rv.Len(), 0)
		for i := 0; i < rv.Len(); i++ {
			t.Append(toLua(L, rv.Index(i).Interface(), depth+1))
		}
		return t
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		t := L.CreateTable(0, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			t.RawSetString(it.Key().String(), toLua(L, it.Value().Interface(), depth+1))
		}
		return t
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return lua.LNil
		}
		return toLua(L, rv.Elem().Interface(), depth+1)
	}
	return lua.LString(fmt.Sprint(v))
}

// ToGo converts a Lua value to JSON-able Go: bool, float64 (NaN and
// infinities, which JSON cannot carry, become nil), string, []any for a
// table whose keys are exactly 1..n, map[string]any for any other table
// (an empty table is an empty map). Functions, userdata and threads are
// dropped, from tables too.
func ToGo(v lua.LValue) any {
	return toGo(v, 0)
}

func toGo(v lua.LValue, depth int) any {
	if depth > maxDepth {
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

// Frozen is a faithful, state-independent copy of a Lua value (Freeze).
type Frozen struct{ v any }

type frozenPair struct{ k, v any }

// ErrNotFreezable is returned by Freeze for functions, userdata, threads,
// and tables nested too deep (or cyclic).
var ErrNotFreezable = errors.New("only strings, numbers, booleans and tables of them can be copied out of a Lua state")

// Freeze copies v out of its state, keeping key and value types.
func Freeze(v lua.LValue) (Frozen, error) {
	g, err := freeze(v, 0)
	return Frozen{g}, err
}

func freeze(v lua.LValue, depth int) (any, error) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LString:
		return string(x), nil
	case lua.LNumber:
		return float64(x), nil
	case lua.LBool:
		return bool(x), nil
	case *lua.LTable:
		if depth >= maxDepth {
			return nil, fmt.Errorf("table nested too deep (or cyclic): %w", ErrNotFreezable)
		}
		out := []frozenPair{}
		var err error
		x.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			var gk, gv any
			if gk, err = freeze(k, depth+1); err != nil {
				return
			}
			gv, err = freeze(val, depth+1)
			out = append(out, frozenPair{gk, gv})
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, ErrNotFreezable
}

// Thaw rebuilds the frozen value in L (a new table each time).
func (f Frozen) Thaw(L *lua.LState) lua.LValue { return thaw(L, f.v) }

// IsNil tells whether the frozen value is nil.
func (f Frozen) IsNil() bool { return f.v == nil }

func thaw(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case string:
		return lua.LString(x)
	case float64:
		return lua.LNumber(x)
	case bool:
		return lua.LBool(x)
	case []frozenPair:
		t := L.CreateTable(0, len(x))
		for _, p := range x {
			t.RawSet(thaw(L, p.k), thaw(L, p.v))
		}
		return t
	}
	return lua.LNil
}
