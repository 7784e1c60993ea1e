// Package deploy holds what flowgate installs beside itself: the scripts it
// ships (Suricata and host-log syslog handlers, SNMP device checks), which
// are copied into a new scripts directory at first start.
package deploy

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed scripts
var scripts embed.FS

// InstallScripts copies the shipped scripts into dir when dir does not
// exist yet, so that a user's own scripts directory is never changed. It
// reports whether it installed them.
func InstallScripts(dir string) (bool, error) {
	if _, err := os.Stat(dir); err == nil {
		return false, nil
	} else if !os.IsNotExist(err) {
		return false, fmt.Errorf("scripts dir: %w", err)
	}
	err := fs.WalkDir(scripts, "scripts", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("scripts", path)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		raw, err := scripts.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, raw, 0o644)
	})
	if err != nil {
		return false, fmt.Errorf("installing the shipped scripts into %s: %w", dir, err)
	}
	return true, nil
}
