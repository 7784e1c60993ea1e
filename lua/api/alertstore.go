package api

import (
	"context"
	"fmt"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// AlertQuerier runs one read-only SELECT on the alert-store tables
// (docs/alert-store.md); alerts/sqlitestore.DB satisfies it.
type AlertQuerier interface {
	Select(ctx context.Context, query string, args ...any) ([]map[string]any, error)
}

// Row bounds of ntop.alert_store_query: limit_rows asks for ntopng's page
// bound; no query returns more than maxAlertQueryRows, so a script cannot
// pull the whole store into one Lua state.
const (
	alertQueryPageRows = 10000
	maxAlertQueryRows  = 100000
)

// ntop.alert_store_query(query [, ifid, limit_rows]) answers the rows of a
// SELECT on the alert tables as an array of {column = value} tables. As in
// ntopng's SQLite store, every value is a string (nil for NULL), so scripts
// written for ntopng (tonumber(row.count)) work unchanged. Anything but a
// single SELECT on the alert tables is refused with nil and a logged reason.
func init() {
	RegisterNtopWith("alert_store_query", func(d Deps) lua.LGFunction {
		var q AlertQuerier
		if d.Services != nil {
			q = d.Services.AlertStore
		}
		logger := d.Logger
		return func(L *lua.LState) int {
			query := L.CheckString(1)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				L.CheckInt(2) // ifid: one store holds every interface (interface_id column)
			}
			limit := maxAlertQueryRows
			if L.ToBool(3) {
				limit = alertQueryPageRows
			}
			if q == nil {
				L.RaiseError("ntop.alert_store_query: no alert store in this process")
				return 0
			}
			rows, err := q.Select(context.Background(), query)
			if err != nil {
				if logger != nil {
					logger.Warn("ntop.alert_store_query refused", "err", err)
				}
				L.Push(lua.LNil)
				return 1
			}
			out := L.CreateTable(min(len(rows), limit), 0)
			for i, r := range rows {
				if i == limit {
					break
				}
				t := L.CreateTable(0, len(r))
				for k, v := range r {
					if v != nil {
						t.RawSetString(k, lua.LString(sqlText(v)))
					}
				}
				out.Append(t)
			}
			L.Push(out)
			return 1
		}
	}, StatusImplemented)
}

// sqlText renders a column value as SQLite's text conversion does.
func sqlText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	default:
		return fmt.Sprint(x)
	}
}
