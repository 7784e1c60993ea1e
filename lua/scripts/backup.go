package scripts

import (
	"fmt"
)

// ScriptsConfig is the user's script configuration as ntopng's checks
// export holds it: {"<subdir>": {"<script key>": {"<hook or all>":
// {enabled, script_conf}}}}, the overrides only (defaults stay the
// scripts').
type ScriptsConfig map[string]map[string]map[string]HookConfig

// ExportConfig is a copy of the overrides.
func (r *Runtime) ExportConfig() ScriptsConfig {
	c := r.conf
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := ScriptsConfig{}
	for sub, keys := range c.over {
		out[sub] = map[string]map[string]HookConfig{}
		for k, hooks := range keys {
			out[sub][k] = map[string]HookConfig{}
			for h, hc := range hooks {
				out[sub][k][h] = hc
			}
		}
	}
	return out
}

// ValidateConfig checks every entry names a loaded script and one of its
// hooks ("all" for scripts configured as a whole), changing nothing.
func (r *Runtime) ValidateConfig(in ScriptsConfig) error {
	c := r.conf
	c.mu.RLock()
	defer c.mu.RUnlock()
	for sub, keys := range in {
		for k, hooks := range keys {
			def := c.defs[sub][k]
			if def == nil {
				return fmt.Errorf("%s/%s: %w", sub, k, errNotFound)
			}
			for h := range hooks {
				ok := h == "all"
				for _, dh := range def.Hooks {
					ok = ok || (perHook(sub) && dh == h)
				}
				if !ok {
					return fmt.Errorf("%s/%s hook %q: %w", sub, k, h, errBadHook)
				}
			}
		}
	}
	return nil
}

// ImportConfig validates in, then replaces every override with it.
func (r *Runtime) ImportConfig(in ScriptsConfig) error {
	if err := r.ValidateConfig(in); err != nil {
		return err
	}
	return r.replaceConfig(in)
}

// ResetConfig drops every override: each script runs with its defaults.
func (r *Runtime) ResetConfig() error { return r.replaceConfig(ScriptsConfig{}) }

func (r *Runtime) replaceConfig(in ScriptsConfig) error {
	c := r.conf
	c.mu.Lock()
	prev := c.over
	c.over = map[string]map[string]map[string]HookConfig(in)
	err := c.saveLocked()
	if err != nil {
		c.over = prev
	}
	c.mu.Unlock()
	c.gen.Add(1)
	return err
}
