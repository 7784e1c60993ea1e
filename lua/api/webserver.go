package api

import (
	"time"

	lua "github.com/yuin/gopher-lua"
)

// WebServer is the web layer as the §7 login functions see it; the web
// server implements it and the wiring puts it in Services.Web. Lua pages
// override the per-request ones (the page's user and client).
type WebServer interface {
	// LoginDisabled: --disable-login.
	LoginDisabled() bool
	// GUIAccessRestricted: the server listens on chosen addresses rather
	// than on every address (ntopng's rule for its binding options).
	GUIAccessRestricted() bool
	// CreateSession opens a session for an existing user and returns its
	// id; d <= 0 is the configured session duration.
	CreateSession(user string, d time.Duration) (string, error)
}

// NologinUser is ntopng's user name of requests when login is disabled.
const NologinUser = "nologin"

// allNets is ntopng's "every network" in its allowed-networks form.
const allNets = "0.0.0.0/0,::/0"

// The §7 functions about the current user and the login, as scripts see
// them: scripts run with the process's rights (ntop.isAdministrator() is
// true), so they may see every network and download pcaps; they have no
// HTTP client, so no client of theirs is locked out. Lua pages replace
// these with the request's user (web/pages_state.go).
func init() {
	register("ntop", []luaFn{
		fn("getNologinUser", func(b *binding, L *lua.LState) int { L.Push(lua.LString(NologinUser)); return 1 }),
		fn("getAllowedNetworks", func(b *binding, L *lua.LState) int { L.Push(lua.LString(allNets)); return 1 }),
		ntopConst("isPcapDownloadAllowed", true),
		ntopConst("isLoginBlacklisted", false),
		// ntop.httpRedirect needs an HTTP answer to redirect.
		fn("httpRedirect", func(b *binding, L *lua.LState) int {
			L.RaiseError("ntop.httpRedirect: only a Lua page can redirect (this is a %s script)", b.ctx.Subdir)
			return 0
		}),
	})
	web := func(name string, f func(L *lua.LState, w WebServer) int) {
		RegisterNtopWith(name, func(d Deps) lua.LGFunction {
			var w WebServer
			if d.Services != nil {
				w = d.Services.Web
			}
			return func(L *lua.LState) int {
				if w == nil {
					L.RaiseError("ntop.%s: no web server in this process", name)
					return 0
				}
				return f(L, w)
			}
		}, StatusImplemented)
	}
	web("isLoginDisabled", func(L *lua.LState, w WebServer) int { L.Push(lua.LBool(w.LoginDisabled())); return 1 })
	web("isGuiAccessRestricted", func(L *lua.LState, w WebServer) int { L.Push(lua.LBool(w.GUIAccessRestricted())); return 1 })
	// ntop.createUserSession(username [, duration seconds]) → session id,
	// or nil for an unknown user or a bad duration (the reason is logged).
	web("createUserSession", func(L *lua.LState, w WebServer) int {
		user := L.CheckString(1)
		secs := L.OptInt64(2, 0)
		if secs < 0 {
			L.ArgError(2, "duration must be >= 0 seconds")
		}
		id, err := w.CreateSession(user, time.Duration(secs)*time.Second)
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(err.Error()))
			return 2
		}
		L.Push(lua.LString(id))
		return 1
	})
}
