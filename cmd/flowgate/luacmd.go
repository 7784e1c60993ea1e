package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
	"flowgate/store/kv"
)

// runLua is `flowgate lua [-d DIR] [-r REDIS] [-i NAME]... [--geoip-dir DIR]
// FILE [ARGS]`: run one script with the whole API — the cache store of
// the data dir (or Redis with -r), the data and scripts dirs, engine
// interfaces named by -i (empty, selectable with interface.select) — print
// what it prints and exit with its status: 0, the number the script's
// chunk returns, or 1 when it raises (the error on stderr). `-` reads the
// script from standard input. ARGS are the global `arg` (arg[0] is FILE)
// and the chunk's `...`.
func runLua(args []string, stdout, stderr io.Writer) int {
	return runLuaIn(args, os.Stdin, stdout, stderr)
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runLuaIn(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flowgate lua", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("d", defaultOptions().DataDir, "data directory (the embedded cache store lives here)")
	redis := fs.String("r", "", "Redis `host[:port[:password]][@db]` instead of the embedded store")
	geoip := fs.String("geoip-dir", "", "directory with GeoLite2 .mmdb files")
	scriptsDir := fs.String("scripts-dir", "", "user scripts directory (default DATADIR/scripts)")
	verbose := fs.Bool("v", false, "log at debug level")
	var ifaces stringList
	fs.Var(&ifaces, "i", "engine interface `name` to create (repeatable; default one named \"lua\")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: flowgate lua [-d DIR] [-r REDIS] [-i NAME]... [--geoip-dir DIR] FILE|- [ARGS]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return 2
	}
	file, scriptArgs := fs.Arg(0), fs.Args()[1:]
	if *scriptsDir == "" {
		*scriptsDir = filepath.Join(*dataDir, "scripts")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var src []byte
	var err error
	if file == "-" {
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(file)
	}
	if err != nil {
		fmt.Fprintf(stderr, "flowgate lua: %v\n", err)
		return 1
	}
	proto, err := vm.CompileString(string(src), file)
	if err != nil {
		fmt.Fprintf(stderr, "flowgate lua: %v\n", err)
		return 1
	}

	store, err := openLuaStore(*dataDir, *redis, log)
	if err != nil {
		fmt.Fprintf(stderr, "flowgate lua: %v\n", err)
		return 1
	}
	defer store.Close()
	deps := api.Deps{
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Cache:      api.NewCacheOn(store),
		Logger:     log,
		ScriptsDir: *scriptsDir,
		DataDir:    *dataDir,
		Version:    version,
	}
	if *geoip != "" {
		g, err := api.OpenGeoIP(*geoip)
		if err != nil {
			fmt.Fprintf(stderr, "flowgate lua: --geoip-dir: %v\n", err)
			return 1
		}
		deps.GeoIP = g
	}

	eng := engine.New(engine.DefaultConfiguration())
	if len(ifaces) == 0 {
		ifaces = stringList{"lua"}
	}
	for _, n := range ifaces {
		eng.AddInterface(n, "zmq")
	}
	if err := eng.Start(); err != nil {
		fmt.Fprintf(stderr, "flowgate lua: %v\n", err)
		return 1
	}
	defer eng.Stop()
	ctx := &api.Context{Engine: eng, Iface: eng.Interfaces()[0], Now: time.Now(), Script: strings.TrimSuffix(filepath.Base(file), ".lua"),
		Subdir: "system", Alerts: alerts.NewStore(alerts.Config{})}

	// The same state, module path included, as the runtimes give a script
	// of the scripts directory.
	st := contract.NewState(contract.Env{ScriptsDir: *scriptsDir, DataDir: *dataDir, ModuleDirs: contract.ModuleDirs(*scriptsDir), Deps: deps}, ctx)
	defer st.Close()
	L := st.L
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		for i := 1; i <= n; i++ {
			if i > 1 {
				io.WriteString(stdout, "\t")
			}
			io.WriteString(stdout, L.ToStringMeta(L.Get(i)).String())
		}
		io.WriteString(stdout, "\n")
		return 0
	}))
	argt := L.NewTable()
	argt.RawSetInt(0, lua.LString(file))
	for i, a := range scriptArgs {
		argt.RawSetInt(i+1, lua.LString(a))
	}
	L.SetGlobal("arg", argt)

	L.Push(st.Load(proto))
	for _, a := range scriptArgs {
		L.Push(lua.LString(a))
	}
	if err := L.PCall(len(scriptArgs), 1, nil); err != nil {
		var le *lua.ApiError
		msg := err.Error()
		if errors.As(err, &le) {
			msg = le.Object.String()
			if le.StackTrace != "" {
				msg += "\n" + le.StackTrace
			}
		}
		fmt.Fprintf(stderr, "flowgate lua: %s\n", msg)
		return 1
	}
	ret := L.Get(-1)
	L.Pop(1)
	switch v := ret.(type) {
	case lua.LNumber:
		return int(v) & 0xff
	case lua.LBool:
		if !bool(v) {
			return 1
		}
	}
	return 0
}

// openLuaStore opens the store a `flowgate lua` run uses: Redis with -r,
// else the data dir's embedded store; when a running flowgate holds that
// one, a read-only snapshot of it (writes are not kept, and the user is
// told so).
func openLuaStore(dataDir, redis string, log *slog.Logger) (kv.Store, error) {
	if redis != "" {
		return kv.Open(kv.Config{Redis: redis})
	}
	s, err := kv.OpenEmbedded(kv.Config{Dir: dataDir})
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, kv.ErrLocked) {
		return nil, err
	}
	snap, serr := kv.OpenSnapshot(dataDir)
	if serr != nil {
		return nil, serr
	}
	log.Warn("the data dir's cache store is in use by a running flowgate: using a snapshot, writes will not be kept (use -r to share a Redis)", "dir", dataDir)
	return snap, nil
}
