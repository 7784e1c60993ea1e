package scripts

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/vm"
)

// Subdirs are the script types flowgate runs, with their hooks.
var subdirHooks = map[string][]string{
	"flow":      {"protocolDetected", "statusChanged", "periodicUpdate", "flowEnd"},
	"host":      periodicHooks,
	"interface": periodicHooks,
	"network":   periodicHooks,
	"system":    periodicHooks,
}

var periodicHooks = []string{"min", "5mins", "hour", "day"}

// subdirParent is the callbacks/<parent>/<subdir> layout of ntopng.
var subdirParent = map[string]string{
	"flow": "interface", "host": "interface", "interface": "interface", "network": "interface",
	"system": "system",
}

// file is one discovered and compiled script; protos are shared by every
// Lua state.
type file struct {
	Key    string
	Subdir string
	Path   string
	Plugin string
	Proto  *lua.FunctionProto
}

// scriptSet is one generation of the scripts directory.
type scriptSet struct {
	gen      uint64
	files    map[string][]*file // subdir -> files sorted by key
	modDirs  []string           // directories holding the scripts (require-able)
	problems []string           // compile errors and duplicates, for logs
}

// discover lists the script files under dir in every layout flowgate
// accepts, keyed by subdir. The first file of a (subdir, key) wins, as in
// ntopng (duplicates are reported).
//
//	<dir>/callbacks/interface/{flow,host,interface,network}/*.lua
//	<dir>/callbacks/system/system/*.lua
//	<dir>/callbacks/interface/{host,interface,network}/alerts/*.lua   (dev-2019)
//	<dir>/plugins/<group>/<plugin>/user_scripts/<subdir>/*.lua          (4.2)
//	<dir>/plugins/<plugin>/user_scripts/<subdir>/*.lua                  (4.0)
func discover(dir string) (map[string][]*file, []string, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("scripts %s: %w", dir, err)
	}
	out := map[string][]*file{}
	seen := map[string]string{}
	var problems []string
	add := func(subdir, path, plugin string) {
		key := strings.TrimSuffix(filepath.Base(path), ".lua")
		id := subdir + "/" + key
		if prev, dup := seen[id]; dup {
			problems = append(problems, fmt.Sprintf("%s: duplicate %s script %q (already %s): ignored", path, subdir, key, prev))
			return
		}
		seen[id] = path
		out[subdir] = append(out[subdir], &file{Key: key, Subdir: subdir, Path: path, Plugin: plugin})
	}
	luaFiles := func(d string) []string {
		ents, err := os.ReadDir(d)
		if err != nil {
			return nil
		}
		var l []string
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".lua") {
				l = append(l, filepath.Join(d, e.Name()))
			}
		}
		sort.Strings(l)
		return l
	}
	subs := make([]string, 0, len(subdirParent))
	for s := range subdirParent {
		subs = append(subs, s)
	}
	sort.Strings(subs)
	for _, s := range subs {
		base := filepath.Join(dir, "callbacks", subdirParent[s], s)
		for _, p := range luaFiles(base) {
			add(s, p, "")
		}
		if s != "flow" && s != "system" {
			for _, p := range luaFiles(filepath.Join(base, "alerts")) {
				add(s, p, "")
			}
		}
	}
	// Plugins, 4.2 (grouped) and 4.0 (flat): any .../user_scripts/<subdir>.
	plugins := filepath.Join(dir, "plugins")
	if _, err := os.Stat(plugins); err == nil {
		var usDirs []string
		_ = filepath.WalkDir(plugins, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && d.Name() == "user_scripts" {
				usDirs = append(usDirs, p)
				return filepath.SkipDir
			}
			return nil
		})
		sort.Strings(usDirs)
		for _, us := range usDirs {
			plugin := filepath.Base(filepath.Dir(us))
			for _, s := range subs {
				for _, p := range luaFiles(filepath.Join(us, s)) {
					add(s, p, plugin)
				}
			}
		}
	}
	for _, l := range out {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Key < l[j].Key })
	}
	return out, problems, nil
}

// compileSet discovers and compiles; files that do not compile are dropped
// and reported.
func compileSet(dir string, gen uint64) (*scriptSet, error) {
	files, problems, err := discover(dir)
	if err != nil {
		return nil, err
	}
	set := &scriptSet{gen: gen, files: map[string][]*file{}, problems: problems}
	dirs := map[string]bool{}
	for sub, l := range files {
		for _, f := range l {
			p, err := vm.Compile(f.Path)
			if err != nil {
				set.problems = append(set.problems, err.Error()+": script skipped")
				continue
			}
			f.Proto = p
			set.files[sub] = append(set.files[sub], f)
			dirs[filepath.Dir(f.Path)] = true
		}
	}
	for d := range dirs {
		set.modDirs = append(set.modDirs, d)
	}
	sort.Strings(set.modDirs)
	return set, nil
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

var _ = time.Second
