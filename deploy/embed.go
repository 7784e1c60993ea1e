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

	"flowgate/store"
)

//go:embed scripts
var scripts embed.FS

// InstallScripts copies the shipped scripts into dir when dir does not
// exist yet, so that a user's own scripts directory is never changed. It
// reports whether it installed them. The copy is built beside dir and
// renamed into place, so a crash never leaves a half-installed directory
// (which, existing, would never be completed).
func InstallScripts(dir string) (bool, error) {
	if _, err := os.Stat(dir); err == nil {
		return false, nil
	} else if !os.IsNotExist(err) {
		return false, fmt.Errorf("scripts dir: %w", err)
	}
	tmp := dir + ".installing"
	if err := os.RemoveAll(tmp); err != nil { // left by an interrupted install
		return false, fmt.Errorf("scripts dir: %w", err)
	}
	err := fs.WalkDir(scripts, "scripts", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("scripts", path)
		dst := filepath.Join(tmp, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		raw, err := scripts.ReadFile(path)
		if err != nil {
			return err
		}
		return store.WriteFile(dst, raw, store.ModePublic)
	})
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err == nil {
		err = store.SyncDir(filepath.Dir(dir))
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return false, fmt.Errorf("installing the shipped scripts into %s: %w", dir, err)
	}
	return true, nil
}
