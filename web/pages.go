package web

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/internal/ratelog"
	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
)

// PagesConfiguration configures Lua pages: a request for /lua/<path>.lua
// runs <ScriptsDir>/lua/<path>.lua (web/README.md, "Lua pages").
type PagesConfiguration struct {
	ScriptsDir string
	// CallBudget stops a page running longer (--lua-page-budget).
	CallBudget time.Duration
	// IdleStates is how many ready Lua states are kept per user between
	// requests, IdleTotal for all users together (a state holds about
	// 1 MB); MaxStateUses how many requests one state serves before it is
	// closed (a state is also closed after any error).
	IdleStates   int
	IdleTotal    int
	MaxStateUses int
	// MaxOutput bounds what a page prints (the answer is buffered so that
	// a failing page answers 500 whatever it printed before).
	MaxOutput int
}

// DefaultPagesConfiguration: ntopng's 100 ms script budget is
// --lua-call-budget's default; 8 idle states per user and 64 in all,
// 10,000 requests per state, 16 MiB of output.
func DefaultPagesConfiguration() PagesConfiguration {
	return PagesConfiguration{CallBudget: 5 * time.Second, IdleStates: 8, IdleTotal: 64, MaxStateUses: 10000, MaxOutput: 16 << 20}
}

// PagesDependencies are what pages reach: the Lua API's dependencies (the
// same every runtime gets) and the alert store alerts_api writes to.
type PagesDependencies struct {
	Lua    api.Deps
	Alerts *alerts.Store
}

// PageStats are the Lua page counters.
type PageStats struct {
	Runs      uint64 `json:"runs"`       // pages that answered
	Errors    uint64 `json:"errors"`     // pages that raised (500)
	Timeouts  uint64 `json:"timeouts"`   // pages stopped at their budget (500)
	BadInput  uint64 `json:"bad_input"`  // malformed query, form or JSON body (400)
	BadPaths  uint64 `json:"bad_paths"`  // paths refused before login (400)
	Overrides int    `json:"overrides"`  // page files shadowing built-in endpoints
	States    uint64 `json:"states"`     // Lua states built
	Pooled    uint64 `json:"pooled"`     // requests served by a pooled state
	TooLarge  uint64 `json:"too_large"`  // pages whose output passed MaxOutput (500)
	NotFound  uint64 `json:"not_found"`  // page paths with no file (left to the routes)
	Compiles  uint64 `json:"compiles"`   // page files compiled (first use or changed)
	SyntaxErr uint64 `json:"syntax_err"` // page files that do not compile (500)
}

type pageCounters struct {
	runs, errors, timeouts, badInput, states, pooled, tooLarge, notFound, compiles, syntaxErr atomic.Uint64
}

// pages runs Lua pages: one compiled prototype per file (recompiled when
// the file changes), Lua states pooled per user and reset between
// requests.
type pages struct {
	srv    *Server // sessions, lockouts and login settings for the §7 functions
	cfg    PagesConfiguration
	deps   PagesDependencies
	eng    *engine.Engine
	log    *slog.Logger
	warn   *ratelog.Limiter
	wd     *vm.Watchdog
	dir    string // <ScriptsDir>/lua
	mods   []string
	c      pageCounters
	mux    *http.ServeMux
	overBy atomic.Int64

	mu        sync.Mutex
	protos    map[string]*pageProto
	idle      map[string][]*pageState // by user name
	idleCount int
	closed    bool
}

type pageProto struct {
	proto *lua.FunctionProto
	fi    os.FileInfo // of the file compiled, checked inside the pages directory
}

// HandleLuaPages turns Lua pages on (before Start): requests for
// /lua/<path>.lua whose file exists under <ScriptsDir>/lua run it, behind
// the same login, CSRF and privileges as the built-in endpoints; a page
// file at a built-in endpoint's path wins over it (Start logs each).
func (s *Server) HandleLuaPages(cfg PagesConfiguration, deps PagesDependencies) {
	def := DefaultPagesConfiguration()
	if cfg.CallBudget <= 0 {
		cfg.CallBudget = def.CallBudget
	}
	if cfg.IdleStates <= 0 {
		cfg.IdleStates = def.IdleStates
	}
	if cfg.IdleTotal <= 0 {
		cfg.IdleTotal = def.IdleTotal
	}
	if cfg.MaxStateUses <= 0 {
		cfg.MaxStateUses = def.MaxStateUses
	}
	if cfg.MaxOutput <= 0 {
		cfg.MaxOutput = def.MaxOutput
	}
	if deps.Lua.Logger == nil {
		deps.Lua.Logger = s.deps.Logger
	}
	dir := filepath.Join(cfg.ScriptsDir, "lua")
	p := &pages{srv: s, cfg: cfg, deps: deps, eng: s.deps.Engine, log: s.deps.Logger,
		warn: ratelog.New(s.deps.Logger, time.Minute), wd: vm.NewWatchdog(0), dir: dir, mux: s.mux.ServeMux,
		protos: map[string]*pageProto{}, idle: map[string][]*pageState{}}
	// Modules a page requires: the scripts' own (as hooks see them) and
	// ntopng's scripts/lua/modules under the pages.
	p.mods = append(contract.ModuleDirs(cfg.ScriptsDir), filepath.Join(dir, "modules"))
	s.pages = p
	if s.deps.Metrics != nil {
		s.registerPageMetrics(s.deps.Metrics)
	}
}

// PageStats returns the Lua page counters (zero without pages).
func (s *Server) PageStats() PageStats {
	p := s.pages
	if p == nil {
		return PageStats{BadPaths: s.badPaths.Load()}
	}
	c := &p.c
	return PageStats{Runs: c.runs.Load(), Errors: c.errors.Load(), Timeouts: c.timeouts.Load(),
		BadInput: c.badInput.Load(), BadPaths: s.badPaths.Load(), Overrides: int(p.overBy.Load()),
		States: c.states.Load(), Pooled: c.pooled.Load(), TooLarge: c.tooLarge.Load(),
		NotFound: c.notFound.Load(), Compiles: c.compiles.Load(), SyntaxErr: c.syntaxErr.Load()}
}

// start starts the budget watchdog and logs every page file that shadows
// a built-in endpoint.
func (p *pages) start() {
	p.wd.Start()
	n := 0
	_ = filepath.WalkDir(p.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".lua") {
			return nil
		}
		rel, err := filepath.Rel(p.dir, path)
		if err != nil {
			return nil
		}
		urlPath := "/lua/" + filepath.ToSlash(rel)
		if pat := p.builtin(urlPath); pat != "" {
			n++
			p.log.Warn("Lua page overrides a built-in endpoint", "path", urlPath, "file", path, "builtin", pat)
		}
		return nil
	})
	p.overBy.Store(int64(n))
	if n == 0 {
		p.log.Info("Lua pages", "dir", p.dir, "overrides", 0)
	}
}

// builtin is the pattern of the built-in handler a path reaches, "" when
// only the catch-all 404s would answer it.
func (p *pages) builtin(urlPath string) string {
	r, err := http.NewRequest(http.MethodGet, urlPath, nil)
	if err != nil {
		return ""
	}
	_, pat := p.mux.Handler(r)
	switch pat {
	case "", "/", "/lua/rest/v2/", "/lua/":
		return ""
	}
	return pat
}

func (p *pages) stop() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle, p.idleCount = map[string][]*pageState{}, 0
	p.mu.Unlock()
	for _, list := range idle {
		for _, ps := range list {
			ps.st.Close()
		}
	}
	p.wd.Stop()
}

// refuseBadPaths answers 400 for paths with "..", "//", backslashes,
// CR/LF or NUL before anything else looks at them.
func (s *Server) refuseBadPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if badPath(r.URL.Path) {
			s.badPaths.Add(1)
			w.Header().Set("X-Content-Type-Options", "nosniff") // as guard sets on every answer
			w.Header().Set("X-Frame-Options", "DENY")
			writeError(w, http.StatusBadRequest, errInvalidArgs, "invalid path")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serve runs the page of the request when its file exists, else hands the
// request to the built-in routes.
func (p *pages) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			if _, ok := p.file("index.lua"); ok {
				http.Redirect(w, r, "/lua/index.lua", http.StatusFound)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		rel, ok := pagePath(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		proto, ok := p.file(rel)
		if !ok {
			p.c.notFound.Add(1)
			next.ServeHTTP(w, r)
			return
		}
		p.run(w, r, rel, proto)
	})
}

// file returns the compiled page rel, compiling it when new or changed;
// a file that does not compile is logged and answered 500 by run.
func (p *pages) file(rel string) (*pageProto, bool) {
	path := filepath.Join(p.dir, filepath.FromSlash(rel))
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	p.mu.Lock()
	pp := p.protos[rel]
	p.mu.Unlock()
	// The same file (device and inode), unchanged: one stat per request.
	if pp != nil && os.SameFile(pp.fi, fi) && pp.fi.ModTime().Equal(fi.ModTime()) && pp.fi.Size() == fi.Size() {
		return pp, true
	}
	// Symbolic links are followed only inside the pages directory.
	if real, err := filepath.EvalSymlinks(path); err != nil || !within(p.dir, real) {
		return nil, false
	}
	p.c.compiles.Add(1)
	proto, err := vm.Compile(path)
	pp = &pageProto{proto: proto, fi: fi}
	if err != nil {
		p.c.syntaxErr.Add(1)
		p.log.Warn("Lua page does not compile", "err", err.Error())
		pp.proto = nil
	}
	p.mu.Lock()
	p.protos[rel] = pp
	p.mu.Unlock()
	return pp, true
}

func within(dir, path string) bool {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	r, err := filepath.Rel(realDir, path)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// run answers one page request.
func (p *pages) run(w http.ResponseWriter, r *http.Request, rel string, pp *pageProto) {
	id, ok := IdentityFrom(r.Context())
	if !ok { // driven without the guard (tests): the no-login administrator
		id = Identity{User: requester(r), Method: AuthNologin}
	}
	if pp.proto == nil {
		writeError(w, http.StatusInternalServerError, errInternal, "the page does not compile: see the server log")
		return
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body) // bounded by the guard's body limit
		if err != nil {
			writeError(w, http.StatusBadRequest, errBadContent, "cannot read the request body")
			return
		}
		body = b
	}
	in, ierr := readPageInput(r, body)
	if ierr != nil {
		p.c.badInput.Add(1)
		writeError(w, 0, ierr.code, ierr.msg)
		return
	}
	ps := p.get(id.User.Username)
	if ps == nil {
		writeError(w, http.StatusServiceUnavailable, errInternal, "shutting down")
		return
	}
	ps.begin(p, id, rel, r)
	_, err := ps.st.Call(p.cfg.CallBudget, ps.chunk(pp.proto, in, id), 0, nil, nil, nil)
	switch {
	case err != nil:
		p.fail(w, r, id, rel, err)
		ps.st.Close()
		return
	case ps.overflow:
		p.c.tooLarge.Add(1)
		p.warn.Warn("page-output:"+rel, "Lua page output over the limit", "page", rel, "limit", p.cfg.MaxOutput)
		writeError(w, http.StatusInternalServerError, errInternal, "the page output is too large")
		ps.st.Close()
		return
	}
	p.c.runs.Add(1)
	h := w.Header()
	for k, v := range ps.header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(ps.status)
	_, _ = w.Write(ps.out.Bytes())
	p.put(ps)
}

// fail answers a page that raised or overran: 500 with the envelope, the
// file and line in the log only.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, id Identity, rel string, err error) {
	var e *vm.Error
	file, line, msg := rel, 0, err.Error()
	if errors.As(err, &e) {
		file, line, msg = e.File, e.Line, e.Msg
	}
	if errors.Is(err, vm.ErrBudget) {
		p.c.timeouts.Add(1)
		p.warn.Warn("page-timeout:"+rel, "Lua page stopped at its budget", "page", rel, "file", file, "line", line,
			"budget", p.cfg.CallBudget.String(), "user", id.User.Username)
		writeError(w, http.StatusInternalServerError, errInternal, "the page ran past its time budget")
		return
	}
	p.c.errors.Add(1)
	p.warn.Warn("page-error:"+rel, "Lua page failed", "page", rel, "file", file, "line", line, "err", msg,
		"user", id.User.Username, "method", r.Method)
	writeError(w, http.StatusInternalServerError, errInternal, "the page failed: see the server log")
}

// get returns a ready state for user: a pooled one or a new one.
func (p *pages) get(user string) *pageState {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	if list := p.idle[user]; len(list) > 0 {
		ps := list[len(list)-1]
		if len(list) == 1 {
			delete(p.idle, user)
		} else {
			p.idle[user] = list[:len(list)-1]
		}
		p.idleCount--
		p.mu.Unlock()
		p.c.pooled.Add(1)
		return ps
	}
	p.mu.Unlock()
	p.c.states.Add(1)
	return newPageState(p, user)
}

// put resets a state and keeps it for its user's next request, unless it
// served its share or the pool is full.
func (p *pages) put(ps *pageState) {
	ps.uses++
	if ps.uses >= p.cfg.MaxStateUses {
		ps.st.Close()
		return
	}
	ps.reset()
	p.mu.Lock()
	if !p.closed && len(p.idle[ps.user]) < p.cfg.IdleStates && p.idleCount < p.cfg.IdleTotal {
		p.idle[ps.user] = append(p.idle[ps.user], ps)
		p.idleCount++
		ps = nil
	}
	p.mu.Unlock()
	if ps != nil {
		ps.st.Close()
	}
}

// pageBuffer is a page's output, bounded.
type pageBuffer struct {
	bytes.Buffer
	max      int
	overflow *bool
}

func (b *pageBuffer) add(s string) {
	if b.Len()+len(s) > b.max {
		*b.overflow = true
		return
	}
	b.WriteString(s)
}
