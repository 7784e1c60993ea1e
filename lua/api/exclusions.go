package api

import (
	"fmt"
	"log/slog"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
)

// ReloadAlertExclusions reads ntopng's alert exclusions from the cache
// (alerts.ExclusionsKey, written by ntopng's alert_exclusions module or a
// script) and makes st apply them; it returns how many there are. A
// malformed document is an error and st keeps its previous exclusions.
func ReloadAlertExclusions(c *Cache, st *alerts.Store) (int, error) {
	if c == nil || st == nil {
		return 0, fmt.Errorf("alert exclusions: no cache or no alert store")
	}
	doc, _ := c.Get(alerts.ExclusionsKey)
	ex, err := alerts.ParseExclusions([]byte(doc))
	if err != nil {
		return 0, err
	}
	st.SetExclusions(ex)
	return ex.Len(), nil
}

func init() {
	register("ntop", []luaFn{
		// ntop.reloadAlertExclusions() → true, or false and the reason
		// (ntopng answers nil and logs; the reason is more useful).
		fn("reloadAlertExclusions", func(b *binding, L *lua.LState) int {
			if _, err := ReloadAlertExclusions(b.deps.Cache, b.ctx.Alerts); err != nil {
				b.log(slog.LevelWarn, "ntop.reloadAlertExclusions: "+err.Error())
				L.Push(lua.LFalse)
				L.Push(lua.LString(err.Error()))
				return 2
			}
			L.Push(lua.LTrue)
			return 1
		}),
	})
}
