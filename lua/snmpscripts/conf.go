package snmpscripts

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/vm"
)

// hookConf is one entry of user_scripts_config.json, the file lua/scripts
// keeps: {subdir: {key: {"all"|hook: {enabled, script_conf}}}}.
type hookConf struct {
	Enabled    *bool          `json:"enabled"`
	ScriptConf map[string]any `json:"script_conf"`
}

// userConf reads the per-script overrides of subdir; a missing or broken
// file means the factory configuration (a broken file is logged).
func (r *Runner) userConf(subdir string) map[string]map[string]hookConf {
	if r.cfg.DataDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(r.cfg.DataDir, "user_scripts_config.json"))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			r.log.Warn("user scripts configuration unreadable", "err", err)
		}
		return nil
	}
	var all map[string]map[string]map[string]hookConf
	if err := json.Unmarshal(b, &all); err != nil {
		r.log.Warn("user scripts configuration unreadable", "err", err)
		return nil
	}
	return all[subdir]
}

// applyConf overrides a loaded script's enabled flag and script_conf from
// the user's configuration ("all" entry, as ntopng for non per-hook types).
// It reports whether the script stays enabled.
func applyConf(L *lua.LState, l *loaded, conf map[string]map[string]hookConf) bool {
	c, ok := conf[l.c.Key]["all"]
	if !ok {
		return true
	}
	if c.Enabled != nil && !*c.Enabled {
		return false
	}
	if c.ScriptConf != nil {
		if t, ok := l.conf.(*lua.LTable); ok {
			sc, _ := t.RawGetString("script_conf").(*lua.LTable)
			if sc == nil {
				sc = L.NewTable()
				t.RawSetString("script_conf", sc)
			}
			for k, v := range c.ScriptConf {
				sc.RawSetString(k, vm.ToLua(L, v))
			}
		}
	}
	return true
}
