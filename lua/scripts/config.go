package scripts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"

	"flowgate/store"
)

// HookConfig is the configuration of one hook of one script: ntopng's
// configset entry {enabled, script_conf}.
type HookConfig struct {
	Enabled    bool           `json:"enabled"`
	ScriptConf map[string]any `json:"script_conf"`
}

// info is what flowgate knows of a script without running it: its hooks
// and factory configuration (from default_enabled and default_value).
type info struct {
	Subdir, Key, Path, Title, Description string
	Hooks                                 []string
	Default                               HookConfig
	GUI                                   GUI // gui.go
}

// confStore holds the user's overrides, persisted as JSON in the data dir:
// {"<subdir>": {"<key>": {"<hook or all>": {enabled, script_conf}}}}.
// Host, interface, network and system scripts are configured per hook, the
// others under "all" (docs/script-contract.md §1.6).
type confStore struct {
	path string
	gen  atomic.Uint64

	mu   sync.RWMutex
	over map[string]map[string]map[string]HookConfig
	defs map[string]map[string]*info // from the loaded scripts
}

func newConfStore(path string) *confStore {
	return &confStore{path: path, over: map[string]map[string]map[string]HookConfig{}, defs: map[string]map[string]*info{}}
}

func perHook(subdir string) bool {
	switch subdir {
	case "host", "interface", "network", "system":
		return true
	}
	return false
}

func (c *confStore) load() error {
	if c.path == "" {
		return nil
	}
	b, err := os.ReadFile(c.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("user script config %s: %w", c.path, err)
	}
	var over map[string]map[string]map[string]HookConfig
	if err := json.Unmarshal(b, &over); err != nil {
		return fmt.Errorf("user script config %s: %w", c.path, err)
	}
	c.mu.Lock()
	if over != nil {
		c.over = over
	}
	c.mu.Unlock()
	c.gen.Add(1)
	return nil
}

// saveLocked writes atomically (store.WriteFile: temp file, fsync, rename,
// fsync of the directory).
func (c *confStore) saveLocked() error {
	if c.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(c.over, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("user script config %s: %w", c.path, err)
	}
	if err := store.WriteFile(c.path, b, store.ModePublic); err != nil {
		return fmt.Errorf("user script config: %w", err)
	}
	return nil
}

func (c *confStore) setDefs(defs map[string]map[string]*info) {
	c.mu.Lock()
	c.defs = defs
	c.mu.Unlock()
	c.gen.Add(1)
}

func (c *confStore) info(subdir, key string) *info {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.defs[subdir][key]
}

// get returns the effective configuration of one hook: the override, else
// the factory default.
func (c *confStore) get(subdir, key, hook string) HookConfig {
	if !perHook(subdir) {
		hook = "all"
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if hc, ok := c.over[subdir][key][hook]; ok {
		return hc
	}
	if hc, ok := c.over[subdir][key]["all"]; ok {
		return hc
	}
	if in := c.defs[subdir][key]; in != nil {
		return in.Default
	}
	return HookConfig{Enabled: true}
}

// set changes the configuration of the given hook, or of every hook when
// hook is "". enabled/conf nil keep the current value.
func (c *confStore) set(subdir, key, hook string, enabled *bool, conf map[string]any) error {
	c.mu.Lock()
	in := c.defs[subdir][key]
	if in == nil {
		c.mu.Unlock()
		return errNotFound
	}
	if conf != nil {
		var err error
		if conf, err = validateConf(in.GUI, conf); err != nil {
			c.mu.Unlock()
			return err
		}
	}
	hooks := in.Hooks
	if !perHook(subdir) {
		hooks = []string{"all"}
	} else if hook != "" {
		ok := false
		for _, h := range in.Hooks {
			ok = ok || h == hook
		}
		if !ok {
			c.mu.Unlock()
			return errBadHook
		}
		hooks = []string{hook}
	}
	if c.over[subdir] == nil {
		c.over[subdir] = map[string]map[string]HookConfig{}
	}
	if c.over[subdir][key] == nil {
		c.over[subdir][key] = map[string]HookConfig{}
	}
	for _, h := range hooks {
		cur, ok := c.over[subdir][key][h]
		if !ok {
			cur = in.Default
		}
		if enabled != nil {
			cur.Enabled = *enabled
		}
		if conf != nil {
			cur.ScriptConf = conf
		}
		c.over[subdir][key][h] = cur
	}
	err := c.saveLocked()
	c.mu.Unlock()
	c.gen.Add(1)
	return err
}

// view is the REST representation of one script's configuration.
type view struct {
	Subdir      string                `json:"script_subdir"`
	Key         string                `json:"script_key"`
	Title       string                `json:"title"`
	Description string                `json:"description"`
	Path        string                `json:"path"`
	Hooks       map[string]HookConfig `json:"hooks"`
	GUI         GUI                   `json:"gui"` // how the UI edits script_conf
}

func (c *confStore) view(subdir, key string) *view {
	in := c.info(subdir, key)
	if in == nil {
		return nil
	}
	v := &view{Subdir: subdir, Key: key, Title: in.Title, Description: in.Description, Path: in.Path, Hooks: map[string]HookConfig{}, GUI: in.GUI}
	hooks := in.Hooks
	if !perHook(subdir) {
		hooks = []string{"all"}
	}
	for _, h := range hooks {
		hc := c.get(subdir, key, h)
		if hc.ScriptConf == nil {
			hc.ScriptConf = map[string]any{}
		}
		v.Hooks[h] = hc
	}
	return v
}

func (c *confStore) list(subdir string) []*view {
	c.mu.RLock()
	var ids [][2]string
	for sd, m := range c.defs {
		if subdir != "" && sd != subdir {
			continue
		}
		for k := range m {
			ids = append(ids, [2]string{sd, k})
		}
	}
	c.mu.RUnlock()
	sort.Slice(ids, func(i, j int) bool {
		if ids[i][0] != ids[j][0] {
			return ids[i][0] < ids[j][0]
		}
		return ids[i][1] < ids[j][1]
	})
	out := make([]*view, 0, len(ids))
	for _, id := range ids {
		if v := c.view(id[0], id[1]); v != nil {
			out = append(out, v)
		}
	}
	return out
}
