package web

import (
	"bytes"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
	"flowgate/lua/contract"
	"flowgate/lua/vm"
	"flowgate/web/users"
)

// pageState is one Lua state serving pages of one user, one request at a
// time. Each request's chunk runs in its own global environment (a fresh
// table reading through to the state's globals), so what a page defines is
// gone with the request; the state's globals, the loaded-modules table and
// the string metatable are also put back as built (tableSnap) in case a
// page wrote them directly (_G.x, rawset, a module it required). What a
// page changes inside the API or module tables stays with the state, which
// never serves another user.
type pageState struct {
	p       *pages
	st      *vm.State
	ctx     *api.Context
	user    string
	uses    int
	snap    []tableSnap
	envMeta *lua.LTable // {__index = the state's globals}

	// The request being served.
	id       Identity
	client   netip.Addr // the peer, as lockouts count it
	out      pageBuffer
	overflow bool
	status   int
	header   http.Header
}

func newPageState(p *pages, user string) *pageState {
	ps := &pageState{p: p, user: user, ctx: &api.Context{Engine: p.eng, Alerts: p.deps.Alerts, Subdir: "page"}}
	ps.out.max, ps.out.overflow = p.cfg.MaxOutput, &ps.overflow
	ps.st = contract.NewState(contract.Env{ScriptsDir: p.cfg.ScriptsDir, DataDir: p.deps.Lua.DataDir,
		ModuleDirs: p.mods, Watchdog: p.wd, Deps: p.deps.Lua, Install: ps.install}, ps.ctx)
	L := ps.st.L
	ps.snap = snapshot(L)
	ps.envMeta = L.CreateTable(0, 1)
	ps.envMeta.RawSetString("__index", L.G.Global)
	return ps
}

// chunk is the page's compiled file as a function of this state, running
// in a new environment holding _GET, _POST, _SERVER and _SESSION.
func (ps *pageState) chunk(proto *lua.FunctionProto, in pageInput, id Identity) *lua.LFunction {
	L := ps.st.L
	env := L.CreateTable(0, 8)
	L.SetMetatable(env, ps.envMeta)
	env.RawSetString("_GET", strTable(L, in.get))
	env.RawSetString("_POST", strTable(L, in.post))
	env.RawSetString("_SERVER", strTable(L, in.server))
	env.RawSetString("_SESSION", strTable(L, map[string]string{
		"user": id.User.Username, "group": id.User.Group, "session": id.Session, "csrf": id.CSRF,
		"localization": id.User.Language,
	}))
	fn := ps.st.Load(proto)
	fn.Env = env
	return fn
}

// begin points the state at a request: its identity, a fresh output, the
// interface the user starts on and the hosts it may see.
func (ps *pageState) begin(p *pages, id Identity, rel string, r *http.Request) {
	ps.id = id
	ps.client = clientAddr(r)
	ps.status = http.StatusOK
	ps.header = http.Header{}
	ps.out.Reset()
	ps.overflow = false
	c := ps.ctx
	c.Tables, c.Flow, c.Host, c.Network = nil, nil, nil, nil
	c.Now, c.Script, c.Granularity = time.Now(), strings.TrimSuffix(rel, ".lua"), ""
	c.Iface = nil
	if p.eng != nil {
		for _, i := range p.eng.Interfaces() {
			if id.User.AllowsIfname(i.Name()) {
				c.Iface = i
				break
			}
		}
	}
	c.Visible = nil
	if u := id.User; !u.IsAdmin() && len(u.AllowedNets) > 0 {
		c.Visible = u.AllowsAddr // web/users: the filter the REST lists use
	}
}

func strTable(L *lua.LState, m map[string]string) *lua.LTable {
	t := L.CreateTable(0, len(m))
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}

// reset puts the state back as it was built.
func (ps *pageState) reset() {
	L := ps.st.L
	L.SetTop(0)
	restore(L, ps.snap)
	ps.id = Identity{}
	ps.client = netip.Addr{}
	ps.header = nil
	ps.out.Reset()
	if ps.out.Cap() > 1<<20 {
		ps.out.Buffer = bytes.Buffer{} // a big answer's memory is not kept with the pooled state
	}
	ps.ctx.Visible, ps.ctx.Iface = nil, nil
}

// install adds what a page has beyond a hook's state: print and io.write
// into the answer, ntopng's sendHTTP*Header functions, and the ntop.* and
// interface.* functions that follow the user of the request.
func (ps *pageState) install(L *lua.LState, _ *api.Context) {
	// print is ntopng's HTTP print: its first argument as text, no
	// newline (print(s, "blob") writes s's first byte).
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if L.GetTop() >= 2 && strings.HasPrefix(L.Get(2).String(), "blob") {
			if s := L.CheckString(1); len(s) > 0 {
				ps.out.add(s[:1])
			}
			return 0
		}
		ps.out.add(L.ToStringMeta(v).String())
		return 0
	}))
	if io, ok := L.GetGlobal("io").(*lua.LTable); ok {
		io.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
			for i := 1; i <= L.GetTop(); i++ {
				ps.out.add(L.ToStringMeta(L.Get(i)).String())
			}
			return 0
		}))
	}
	// sendHTTPHeader(mime, content_disposition, extra_headers)
	L.SetGlobal("sendHTTPHeader", L.NewFunction(func(L *lua.LState) int {
		ps.sendHeader(L, L.OptString(1, ""), L.OptString(2, ""), "", L.Get(3), lua.LNil)
		return 0
	}))
	// sendHTTPHeaderIfName(mime, ifname, maxage, content_disposition, extra_headers, status_code)
	L.SetGlobal("sendHTTPHeaderIfName", L.NewFunction(func(L *lua.LState) int {
		ps.sendHeader(L, L.OptString(1, ""), L.OptString(4, ""), "", L.Get(5), L.Get(6))
		return 0
	}))
	// sendHTTPHeaderLogout(mime, content_disposition)
	L.SetGlobal("sendHTTPHeaderLogout", L.NewFunction(func(L *lua.LState) int {
		ps.sendHeader(L, L.OptString(1, ""), L.OptString(2, ""), "", lua.LNil, lua.LNil)
		return 0
	}))
	// sendHTTPContentTypeHeader(content_type, content_disposition, charset, extra_headers, status_code)
	L.SetGlobal("sendHTTPContentTypeHeader", L.NewFunction(func(L *lua.LState) int {
		ps.sendHeader(L, L.OptString(1, ""), L.OptString(2, ""), L.OptString(3, ""), L.Get(4), L.Get(5))
		return 0
	}))
	ps.installUserFuncs(L)
	// The modules nearly every page requires, loaded once per state.
	for _, m := range []string{"dkjson", "rest_utils"} {
		if err := L.CallByParam(lua.P{Fn: L.GetGlobal("require"), NRet: 0, Protect: true}, lua.LString(m)); err != nil {
			ps.p.log.Error("Lua pages: module does not load", "module", m, "err", err)
		}
	}
}

// sendHeader sets the answer's content type, disposition, extra headers
// and status as ntopng's sendHTTP*Header functions do. A header name or
// value that could split the answer is an error of the page.
func (ps *pageState) sendHeader(L *lua.LState, ctype, disposition, charset string, extra, status lua.LValue) {
	if ctype != "" {
		if charset != "" {
			ctype += "; charset=" + charset
		}
		ps.setHeader(L, "Content-Type", ctype)
	}
	if disposition != "" {
		ps.setHeader(L, "Content-Disposition", disposition)
	}
	if t, ok := extra.(*lua.LTable); ok {
		t.ForEach(func(k, v lua.LValue) { ps.setHeader(L, k.String(), v.String()) })
	}
	if n, ok := status.(lua.LNumber); ok {
		code := int(n)
		if float64(code) != float64(n) || code < 100 || code > 599 {
			L.RaiseError("invalid HTTP status %v", n)
		}
		ps.status = code
	}
}

func (ps *pageState) setHeader(L *lua.LState, name, value string) {
	if !validHeaderName(name) || strings.ContainsAny(value, "\r\n\x00") {
		L.RaiseError("invalid HTTP header %q", name)
	}
	ps.header.Set(name, value)
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// The ntop.* user functions a non-administrator may call about itself
// only (argument 1 is the user name); the others are for administrators.
var (
	selfUserFuncs = []string{"changeUserFullName", "changeUserLanguage", "createUserAPIToken", "getUserAPIToken",
		"getUserTOTPSecret", "setUserTOTPSecret", "isTOTPEnabled", "setUserTOTPEnabled", "validateTOTP",
		"getTOTPProvisioningUri"}
	adminUserFuncs = []string{"getUsers", "addUser", "deleteUser", "changeUserRole", "changeAllowedNets",
		"changeAllowedIfname", "changePcapDownloadPermission", "changeHistoricalFlowPermission", "changeAlertsPermission",
		"createUserSession"}
)

// installUserFuncs makes the privilege functions follow the request's
// user, as ntopng's do for the HTTP session: ntop.isAdministrator,
// getRandomCSRFValue (the session's token), isAllowedInterface,
// isAllowedNetwork, the user-management functions, interface.select.
func (ps *pageState) installUserFuncs(L *lua.LState) {
	ntop, ok := L.GetGlobal("ntop").(*lua.LTable)
	if !ok {
		return
	}
	set := func(t *lua.LTable, name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	set(ntop, "isAdministrator", func(L *lua.LState) int { L.Push(lua.LBool(ps.id.User.IsAdmin())); return 1 })
	randomCSRF := ntop.RawGetString("getRandomCSRFValue")
	set(ntop, "getRandomCSRFValue", func(L *lua.LState) int {
		if ps.id.CSRF != "" {
			L.Push(lua.LString(ps.id.CSRF))
			return 1
		}
		return callOrig(L, randomCSRF) // Basic or Token: no session, a one-off value
	})
	set(ntop, "isAllowedInterface", func(L *lua.LState) int {
		ok := false
		if ps.p.eng != nil {
			if i := ps.p.eng.Interface(L.CheckInt(1)); i != nil {
				ok = ps.id.User.AllowsIfname(i.Name())
			}
		}
		L.Push(lua.LBool(ok))
		return 1
	})
	set(ntop, "isAllowedNetwork", func(L *lua.LState) int {
		L.Push(lua.LBool(allowsNet(ps.id.User, L.CheckString(1))))
		return 1
	})
	set(ntop, "getAllowedNetworks", func(L *lua.LState) int {
		L.Push(lua.LString(ps.id.User.AllowedNetsString()))
		return 1
	})
	set(ntop, "isPcapDownloadAllowed", func(L *lua.LState) int {
		L.Push(lua.LBool(ps.id.User.Can(users.CapPcapDownload)))
		return 1
	})
	// isLoginBlacklisted: whether the page's client is locked out for
	// failed logins (lockouts count by address, as ntopng's do).
	set(ntop, "isLoginBlacklisted", func(L *lua.LState) int {
		L.Push(lua.LBool(ps.client.IsValid() && ps.p.srv.lock.locked(ps.client)))
		return 1
	})
	// httpRedirect(url): the answer becomes a 302 to url, a path on this
	// server or an http(s) URL; the page's output is still sent as body.
	set(ntop, "httpRedirect", func(L *lua.LState) int {
		u := L.CheckString(1)
		if !redirectTarget(u) {
			L.ArgError(1, "not a path or an http(s) URL")
		}
		ps.setHeader(L, "Location", u)
		ps.status = http.StatusFound
		return 0
	})
	for _, name := range adminUserFuncs {
		orig := ntop.RawGetString(name)
		set(ntop, name, func(L *lua.LState) int {
			if !ps.id.User.IsAdmin() {
				ps.p.log.Warn("Lua page: user function refused to a non-administrator", "function", "ntop."+name, "user", ps.id.User.Username)
				L.Push(lua.LNil)
				return 1
			}
			return callOrig(L, orig)
		})
	}
	for _, name := range selfUserFuncs {
		orig := ntop.RawGetString(name)
		set(ntop, name, func(L *lua.LState) int {
			if !ps.id.User.IsAdmin() && L.CheckString(1) != ps.id.User.Username {
				L.Push(lua.LNil)
				return 1
			}
			return callOrig(L, orig)
		})
	}
	// resetUserPassword(who, username, old, new): who is the page's user,
	// whatever the page passes, so that only an administrator skips the
	// old password; a non-administrator changes only its own.
	reset := ntop.RawGetString("resetUserPassword")
	set(ntop, "resetUserPassword", func(L *lua.LState) int {
		if !ps.id.User.IsAdmin() && L.CheckString(2) != ps.id.User.Username {
			L.Push(lua.LFalse)
			return 1
		}
		L.Replace(1, lua.LString(ps.id.User.Username))
		return callOrig(L, reset)
	})

	// interface.select of an interface the user may not see selects none,
	// as ntopng's does (the next interface.* call fails).
	if iface, ok := L.GetGlobal("interface").(*lua.LTable); ok {
		for _, name := range []string{"select", "setActiveInterfaceId"} {
			orig := iface.RawGetString(name)
			set(iface, name, func(L *lua.LState) int {
				if ps.p.eng != nil {
					arg := L.CheckAny(1).String()
					for _, i := range ps.p.eng.Interfaces() {
						if (arg == strconv.Itoa(i.ID()) || arg == i.Name()) && !ps.id.User.AllowsIfname(i.Name()) {
							ps.ctx.Iface = nil
							L.Push(lua.LNil)
							return 1
						}
					}
				}
				return callOrig(L, orig)
			})
		}
	}
}

// callOrig calls fn with the current arguments and returns its results.
func callOrig(L *lua.LState, fn lua.LValue) int {
	if fn == lua.LNil {
		return 0
	}
	top := L.GetTop()
	L.Push(fn)
	for i := 1; i <= top; i++ {
		L.Push(L.Get(i))
	}
	L.Call(top, lua.MultRet)
	return L.GetTop() - top
}

// allowsNet: a CIDR (or address) lies inside the user's allowed networks.
func allowsNet(u users.User, s string) bool {
	if u.IsAdmin() || len(u.AllowedNets) == 0 {
		return true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return u.AllowsPrefix(p)
}

// tableSnap is a table's keys and values (and metatable) when the state
// was built.
type tableSnap struct {
	t  *lua.LTable
	kv map[lua.LValue]lua.LValue
	mt lua.LValue
}

// snapshot records the globals, the loaded-modules table and the string
// metatable: what restore puts back between requests.
func snapshot(L *lua.LState) []tableSnap {
	seen := map[*lua.LTable]bool{}
	var out []tableSnap
	add := func(v lua.LValue) {
		t, ok := v.(*lua.LTable)
		if !ok || seen[t] {
			return
		}
		seen[t] = true
		s := tableSnap{t: t, kv: map[lua.LValue]lua.LValue{}, mt: L.GetMetatable(t)}
		t.ForEach(func(k, v lua.LValue) { s.kv[k] = v })
		out = append(out, s)
	}
	add(L.G.Global)
	add(L.GetField(L.GetGlobal("package"), "loaded"))
	add(L.GetMetatable(lua.LString("")))
	return out
}

// restore puts every snapshotted table back: keys added removed, values
// changed or removed set again, metatables as they were.
func restore(L *lua.LState, snaps []tableSnap) {
	var extra []lua.LValue
	for i := range snaps {
		s := &snaps[i]
		extra = extra[:0]
		same := 0
		dirty := false
		s.t.ForEach(func(k, v lua.LValue) {
			old, ok := s.kv[k]
			switch {
			case !ok:
				extra = append(extra, k)
			case old != v:
				dirty = true
			default:
				same++
			}
		})
		for _, k := range extra {
			s.t.RawSet(k, lua.LNil)
		}
		if dirty || same != len(s.kv) {
			for k, v := range s.kv {
				if s.t.RawGet(k) != v {
					s.t.RawSet(k, v)
				}
			}
		}
		if L.GetMetatable(s.t) != s.mt {
			L.SetMetatable(s.t, s.mt)
		}
	}
}
