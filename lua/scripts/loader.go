package scripts

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"flowgate/lua/contract"
)

// kinds are the script kinds this runtime runs (syslog handlers and SNMP
// scripts have their own runtimes, on the same contract).
var kinds = []string{contract.Flow, contract.Host, contract.Interface, contract.Network, contract.System}

// isKind tells whether subdir is a kind this runtime runs.
func isKind(subdir string) bool {
	for _, k := range kinds {
		if k == subdir {
			return true
		}
	}
	return false
}

// file is one discovered and compiled script; protos are shared by every
// Lua state.
type file = contract.File

// scriptSet is one generation of the scripts directory.
type scriptSet struct {
	gen uint64
	*contract.Set
}

// compileSet discovers and compiles the runtime's kinds; files that do not
// compile are dropped and reported in Problems.
func compileSet(dir string, gen uint64) (*scriptSet, error) {
	set, err := contract.Discover(dir, kinds...)
	if err != nil {
		return nil, err
	}
	return &scriptSet{gen: gen, Set: set}, nil
}

// fingerprint summarizes the *.lua files under dir (path, size, mtime) so
// the poller notices added, removed and edited scripts.
func fingerprint(dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".lua") {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(&b, "%s|%d|%d\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}
