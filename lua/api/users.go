package api

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// UserInfo is a user as the ntop.* user functions show it (no password
// hash, API token or TOTP secret).
type UserInfo struct {
	Username      string
	FullName      string
	Group         string // "administrator" or "unprivileged"
	AllowedNets   string // ntopng's comma list of CIDRs
	AllowedIfname string
	Language      string
	Capabilities  []string // ntopng's capability names the user holds
	TOTPEnabled   bool
}

// NewUser is ntop.addUser's arguments.
type NewUser struct {
	Username, FullName, Password, Group, AllowedNets, AllowedIfname, Language string
	Capabilities                                                              []string
}

// UserStore is what ntop.* user management and TOTP drive
// (docs/users-api.md). The web layer's user store satisfies it through an
// adapter the wiring puts in Services.Users; this package does not import
// the web layer.
type UserStore interface {
	Users() []UserInfo
	AddUser(u NewUser) error
	DeleteUser(name string) error
	// ResetPassword sets a new password; with checkOld the old one must be
	// right (a user changing its own).
	ResetPassword(name, oldPassword, newPassword string, checkOld bool) error
	ChangeRole(name, group string) error
	ChangeAllowedNets(name, nets string) error
	ChangeAllowedIfname(name, ifname string) error
	ChangeFullName(name, full string) error
	ChangeLanguage(name, lang string) error
	SetCapability(name, capability string, allow bool) error
	CreateAPIToken(name string) (string, error)
	APIToken(name string) (string, bool)

	GenerateTOTPSecret() (string, error)
	SetTOTPSecret(name, secret string) error
	TOTPSecret(name string) (string, bool)
	TOTPEnabled(name string) bool
	SetTOTPEnabled(name string, on bool) error
	ValidateTOTP(name, code string) bool
	TOTPProvisioningURI(name string) (string, bool)
}

// The user functions of docs/ntop-api.md §7 and §8. They run with the
// process's rights, as every script does today (ntop.isAdministrator() is
// true); the Lua page runner gates the admin-only ones by _SESSION.
// Failures answer false or nil, as ntopng's do; the reason goes to the log.
func init() {
	reg := func(name string, fn func(L *lua.LState, u UserStore) int) {
		RegisterNtopWith(name, func(d Deps) lua.LGFunction {
			var u UserStore
			if d.Services != nil {
				u = d.Services.Users
			}
			logger := d.Logger
			return func(L *lua.LState) int {
				if u == nil {
					L.RaiseError("ntop.%s: no user store in this process", name)
					return 0
				}
				n := fn(L, u)
				if n < 0 { // the function failed with an error to log
					if logger != nil {
						logger.Warn("ntop."+name+" failed", "err", L.Get(-1).String())
					}
					L.Pop(1)
					L.Push(lua.LFalse)
					return 1
				}
				return n
			}
		}, StatusImplemented)
	}
	boolResult := func(L *lua.LState, err error) int {
		if err != nil {
			L.Push(lua.LString(err.Error()))
			return -1
		}
		L.Push(lua.LTrue)
		return 1
	}
	optString := func(L *lua.LState, v string, ok bool) int {
		if !ok {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(v))
		}
		return 1
	}
	setter := func(name string, set func(u UserStore, user, v string) error) {
		reg(name, func(L *lua.LState, u UserStore) int {
			return boolResult(L, set(u, L.CheckString(1), L.CheckString(2)))
		})
	}
	permission := func(name, capability string) {
		reg(name, func(L *lua.LState, u UserStore) int {
			return boolResult(L, u.SetCapability(L.CheckString(1), capability, L.ToBool(2)))
		})
	}

	reg("getUsers", func(L *lua.LState, u UserStore) int {
		out := L.NewTable()
		for _, x := range u.Users() {
			t := L.NewTable()
			L.SetField(t, "full_name", lua.LString(x.FullName))
			L.SetField(t, "group", lua.LString(x.Group))
			L.SetField(t, "allowed_nets", lua.LString(x.AllowedNets))
			L.SetField(t, "allowed_ifname", lua.LString(x.AllowedIfname))
			L.SetField(t, "language", lua.LString(x.Language))
			L.SetField(t, "totp_enabled", lua.LBool(x.TOTPEnabled))
			caps := L.NewTable()
			for _, c := range x.Capabilities {
				caps.Append(lua.LString(c))
			}
			L.SetField(t, "capabilities", caps)
			has := func(c string) lua.LBool {
				for _, y := range x.Capabilities {
					if y == c {
						return true
					}
				}
				return x.Group == "administrator"
			}
			L.SetField(t, "allow_pcap_download", has("pcap_download"))
			L.SetField(t, "allow_historical_flows", has("historical_flows"))
			L.SetField(t, "allow_alerts", has("alerts"))
			out.RawSetString(x.Username, t)
		}
		L.Push(out)
		return 1
	})
	// ntop.addUser(username, full_name, password, role, allowed_nets,
	// allowed_ifname [, host_pool, lang, pcap, history, alerts]).
	reg("addUser", func(L *lua.LState, u UserStore) int {
		nu := NewUser{Username: L.CheckString(1), FullName: L.OptString(2, ""), Password: L.CheckString(3),
			Group: L.CheckString(4), AllowedNets: L.OptString(5, ""), AllowedIfname: L.OptString(6, ""),
			Language: L.OptString(8, "")}
		for i, c := range []string{"pcap_download", "historical_flows", "alerts"} {
			if L.ToBool(9 + i) {
				nu.Capabilities = append(nu.Capabilities, c)
			}
		}
		return boolResult(L, u.AddUser(nu))
	})
	reg("deleteUser", func(L *lua.LState, u UserStore) int {
		return boolResult(L, u.DeleteUser(L.CheckString(1)))
	})
	// ntop.resetUserPassword(who, username, old, new): an administrator
	// (who ~= username, or who is an admin) needs no old password.
	reg("resetUserPassword", func(L *lua.LState, u UserStore) int {
		who, name := L.CheckString(1), L.CheckString(2)
		old, pw := L.OptString(3, ""), L.CheckString(4)
		checkOld := who == name && !isAdminName(u, who)
		return boolResult(L, u.ResetPassword(name, old, pw, checkOld))
	})
	setter("changeUserRole", UserStore.ChangeRole)
	setter("changeAllowedNets", UserStore.ChangeAllowedNets)
	setter("changeAllowedIfname", UserStore.ChangeAllowedIfname)
	setter("changeUserFullName", UserStore.ChangeFullName)
	setter("changeUserLanguage", UserStore.ChangeLanguage)
	permission("changePcapDownloadPermission", "pcap_download")
	permission("changeHistoricalFlowPermission", "historical_flows")
	permission("changeAlertsPermission", "alerts")
	reg("createUserAPIToken", func(L *lua.LState, u UserStore) int {
		tok, err := u.CreateAPIToken(L.CheckString(1))
		if err != nil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LString(tok))
		return 1
	})
	reg("getUserAPIToken", func(L *lua.LState, u UserStore) int {
		tok, ok := u.APIToken(L.CheckString(1))
		return optString(L, tok, ok)
	})

	reg("generateTOTPSecret", func(L *lua.LState, u UserStore) int {
		s, err := u.GenerateTOTPSecret()
		return optString(L, s, err == nil)
	})
	setter("setUserTOTPSecret", UserStore.SetTOTPSecret)
	reg("getUserTOTPSecret", func(L *lua.LState, u UserStore) int {
		s, ok := u.TOTPSecret(L.CheckString(1))
		return optString(L, s, ok)
	})
	reg("isTOTPEnabled", func(L *lua.LState, u UserStore) int {
		L.Push(lua.LBool(u.TOTPEnabled(L.CheckString(1))))
		return 1
	})
	reg("setUserTOTPEnabled", func(L *lua.LState, u UserStore) int {
		return boolResult(L, u.SetTOTPEnabled(L.CheckString(1), L.ToBool(2)))
	})
	reg("validateTOTP", func(L *lua.LState, u UserStore) int {
		L.Push(lua.LBool(u.ValidateTOTP(L.CheckString(1), strings.TrimSpace(L.CheckString(2)))))
		return 1
	})
	reg("getTOTPProvisioningUri", func(L *lua.LState, u UserStore) int {
		s, ok := u.TOTPProvisioningURI(L.CheckString(1))
		return optString(L, s, ok)
	})
}

func isAdminName(u UserStore, name string) bool {
	for _, x := range u.Users() {
		if x.Username == name {
			return x.Group == "administrator"
		}
	}
	return false
}
