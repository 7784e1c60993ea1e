// Package vm builds the Lua states flowgate runs user scripts in: gopher-lua
// (Lua 5.1) with the standard libraries scripts use, the 5.2/5.3 helpers
// ntopng 4.x scripts assume, a sandboxed os/io, ntopng's `dirs` and
// package.path conventions, a per-call time budget enforced by a Watchdog,
// and errors classified (runtime, missing API, budget) with file and line.
package vm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Options configure a State. Zero values are usable.
type Options struct {
	// ScriptsDir is the user-scripts root: dirs.scriptdir, and the first
	// entries of package.path (its own modules are require-able).
	ScriptsDir string
	// ModuleDirs are further directories whose *.lua files are require-able.
	ModuleDirs []string
	// InstallDir and DataDir are dirs.installdir and dirs.workingdir.
	InstallDir, DataDir string
	// Watchdog enforces per-call budgets; nil means calls are unlimited.
	Watchdog *Watchdog
	// Install runs after the standard libraries, to add globals and
	// package.preload entries (the ntop/flow/... bindings, the modules).
	Install func(L *lua.LState)
}

// State is one Lua state with its budget context. It belongs to the
// goroutine that created it.
type State struct {
	L    *lua.LState
	ctx  *budgetCtx
	opts Options
}

// New builds a state: standard libraries, sandbox, helpers, then
// opts.Install. It does no I/O.
func New(opts Options) *State {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, RegistrySize: 1024 * 16, RegistryMaxSize: 1024 * 1024})
	s := &State{L: L, opts: opts}
	openLibs(L)
	sandbox(L)
	addHelpers(L)
	setDirs(L, opts)
	if opts.Install != nil {
		opts.Install(L)
	}
	if opts.Watchdog != nil {
		s.ctx = newBudgetCtx(opts.Watchdog)
		opts.Watchdog.add(s.ctx)
		L.SetContext(s.ctx)
	}
	return s
}

// Close releases the state.
func (s *State) Close() {
	if s.ctx != nil {
		s.opts.Watchdog.remove(s.ctx)
	}
	s.L.Close()
}

// Load returns a function value of a compiled chunk in this state.
func (s *State) Load(p *lua.FunctionProto) *lua.LFunction {
	return s.L.NewFunctionFromProto(p)
}

// Call calls fn with up to three arguments (nil LValues are passed as nil
// only up to nargs) and returns its first result. budget <= 0 is unlimited.
// The returned error is an *Error.
func (s *State) Call(budget time.Duration, fn lua.LValue, nargs int, a, b, c lua.LValue) (lua.LValue, error) {
	L := s.L
	L.Push(fn)
	switch nargs {
	case 3:
		L.Push(a)
		L.Push(b)
		L.Push(c)
	case 2:
		L.Push(a)
		L.Push(b)
	case 1:
		L.Push(a)
	}
	if s.ctx != nil {
		s.ctx.begin(budget)
	}
	err := L.PCall(nargs, 1, nil)
	timedOut := s.ctx != nil && budget > 0 && s.ctx.end()
	if err != nil {
		return lua.LNil, s.classify(err, timedOut)
	}
	ret := L.Get(-1)
	L.Pop(1)
	return ret, nil
}

// Call0 is the allocation-free fast path for hooks whose result is ignored:
// fn(a, b).
func (s *State) Call2(budget time.Duration, fn *lua.LFunction, a, b lua.LValue) error {
	L := s.L
	L.Push(fn)
	L.Push(a)
	L.Push(b)
	if s.ctx != nil {
		s.ctx.begin(budget)
	}
	err := L.PCall(2, 0, nil)
	if s.ctx != nil && budget > 0 && s.ctx.end() {
		if err == nil {
			return nil // finished just as the watchdog fired
		}
		return s.classify(err, true)
	}
	if err != nil {
		return s.classify(err, false)
	}
	return nil
}

// Kind is the class of a script failure.
type Kind int

const (
	// KindRuntime is a Lua error raised by the script or a binding.
	KindRuntime Kind = iota
	// KindMissingAPI is a call to a function flowgate does not provide.
	KindMissingAPI
	// KindTimeout is a call stopped because it overran its budget.
	KindTimeout
	// KindSyntax is a compile error.
	KindSyntax
)

func (k Kind) String() string {
	switch k {
	case KindMissingAPI:
		return "missing_api"
	case KindTimeout:
		return "timeout"
	case KindSyntax:
		return "syntax"
	}
	return "error"
}

// Error is a failed call or compile, located in a script file.
type Error struct {
	Kind Kind
	File string // script file of the innermost Lua frame ("" if unknown)
	Line int
	Msg  string // message without the location prefix
}

func (e *Error) Error() string {
	if e.File == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap makes errors.Is(err, ErrBudget) true for timeouts.
func (e *Error) Unwrap() error {
	if e.Kind == KindTimeout {
		return ErrBudget
	}
	return nil
}

var locRe = regexp.MustCompile(`([^\s:\t]+\.lua):(\d+):`)

func (s *State) classify(err error, timedOut bool) *Error {
	var ae *lua.ApiError
	msg := err.Error()
	trace := ""
	if errors.As(err, &ae) {
		msg = ae.Object.String()
		trace = ae.StackTrace
	}
	e := &Error{Kind: KindRuntime}
	// The location is the first Lua frame: the message prefix when the
	// error came from Lua, else the stack trace (errors raised in Go).
	if m := locRe.FindStringSubmatchIndex(msg); m != nil && m[0] == 0 {
		e.File = msg[m[2]:m[3]]
		e.Line, _ = strconv.Atoi(msg[m[4]:m[5]])
		msg = strings.TrimSpace(msg[m[1]:])
	} else if m := locRe.FindStringSubmatch(trace); m != nil {
		e.File = m[1]
		e.Line, _ = strconv.Atoi(m[2])
	}
	e.Msg = msg
	switch {
	case timedOut || strings.Contains(msg, ErrBudget.Error()):
		e.Kind = KindTimeout
	case strings.Contains(msg, "is not provided by flowgate"):
		e.Kind = KindMissingAPI
	case strings.Contains(msg, "attempt to call a non-function object") || strings.Contains(msg, "attempt to call a nil value"):
		if name := s.missingCallee(e.File, e.Line); name != "" {
			e.Kind = KindMissingAPI
			e.Msg = fmt.Sprintf("%s is not provided by flowgate (%s)", name, msg)
		}
	}
	return e
}

var calleeRe = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*(?:[.:][A-Za-z_][A-Za-z0-9_]*)*)\s*\(`)

// missingCallee finds, on the failing source line, a dotted name called as
// a function whose value is nil in the state's globals: the API the script
// expected. gopher-lua's message does not name it.
func (s *State) missingCallee(file string, line int) string {
	if file == "" || line <= 0 {
		return ""
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(src), "\n")
	if line > len(lines) {
		return ""
	}
	for _, m := range calleeRe.FindAllStringSubmatch(lines[line-1], -1) {
		name := m[1]
		if isKeyword(name) {
			continue
		}
		if s.lookup(strings.ReplaceAll(name, ":", ".")) == lua.LNil {
			return name
		}
	}
	return ""
}

func isKeyword(s string) bool {
	switch s {
	case "function", "if", "elseif", "while", "until", "return", "and", "or", "not", "local", "for", "in":
		return true
	}
	return false
}

// lookup resolves a dotted global name without invoking metamethods.
func (s *State) lookup(name string) lua.LValue {
	parts := strings.Split(name, ".")
	v := s.L.GetGlobal(parts[0])
	if v == lua.LNil && len(parts) > 1 {
		return lua.LString("") // a local table: not ours to judge
	}
	for _, p := range parts[1:] {
		t, ok := v.(*lua.LTable)
		if !ok {
			return lua.LString("")
		}
		v = t.RawGetString(p)
	}
	return v
}

// Compile parses and compiles a Lua file; the chunk name is path, so errors
// carry it. Errors are *Error of KindSyntax.
func Compile(path string) (*lua.FunctionProto, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lua compile %s: %w", path, err)
	}
	return CompileString(string(src), path)
}

var parseLineRe = regexp.MustCompile(`line:(\d+)`)

// CompileString compiles src under the chunk name name.
func CompileString(src, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		e := &Error{Kind: KindSyntax, File: name, Msg: err.Error()}
		if m := parseLineRe.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
		}
		e.Msg = strings.TrimSpace(strings.TrimPrefix(e.Msg, name))
		return nil, e
	}
	p, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, &Error{Kind: KindSyntax, File: name, Msg: err.Error()}
	}
	return p, nil
}

// AddModuleDir makes *.lua files in dir require-able by their base name.
func (s *State) AddModuleDir(dir string) {
	addPath(s.L, dir)
}

func addPath(L *lua.LState, dir string) {
	pkg, ok := L.GetGlobal("package").(*lua.LTable)
	if !ok {
		return
	}
	cur := lua.LVAsString(pkg.RawGetString("path"))
	entry := filepath.Join(dir, "?.lua")
	for _, p := range strings.Split(cur, ";") {
		if p == entry {
			return
		}
	}
	if cur == "" {
		pkg.RawSetString("path", lua.LString(entry))
		return
	}
	pkg.RawSetString("path", lua.LString(entry+";"+cur))
}
