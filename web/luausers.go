package web

import (
	"fmt"

	"flowgate/lua/api"
	"flowgate/web/users"
)

// LuaUsers adapts the user store to the ntop.* user functions
// (api.UserStore, docs/users-api.md); the wiring puts it in
// api.Services.Users.
func LuaUsers(st *users.Store) api.UserStore { return luaUsers{st} }

type luaUsers struct{ st *users.Store }

func luaUser(u users.User) api.UserInfo {
	var caps []string
	for c := users.CapPools; c <= users.CapPcapDownload; c++ {
		if u.Capabilities&c.Bit() != 0 {
			caps = append(caps, c.String())
		}
	}
	return api.UserInfo{Username: u.Username, FullName: u.FullName, Group: u.Group,
		AllowedNets: u.AllowedNetsString(), AllowedIfname: u.AllowedIfname, Language: u.Language,
		Capabilities: caps, TOTPEnabled: u.TOTPEnabled}
}

func capBits(names []string) (uint64, error) {
	var bits uint64
	for _, n := range names {
		c, ok := users.CapabilityByName(n)
		if !ok {
			return 0, fmt.Errorf("unknown capability %q: %w", n, users.ErrInvalid)
		}
		bits |= c.Bit()
	}
	return bits, nil
}

func (l luaUsers) Users() []api.UserInfo {
	list := l.st.List()
	out := make([]api.UserInfo, len(list))
	for i, u := range list {
		out[i] = luaUser(u)
	}
	return out
}

func (l luaUsers) AddUser(u api.NewUser) error {
	bits, err := capBits(u.Capabilities)
	if err != nil {
		return err
	}
	return l.st.Add(users.Spec{Username: u.Username, FullName: u.FullName, Password: u.Password, Group: u.Group,
		AllowedNets: u.AllowedNets, AllowedIfname: u.AllowedIfname, Language: u.Language, Capabilities: bits})
}

func (l luaUsers) DeleteUser(name string) error { return l.st.Delete(name) }

func (l luaUsers) ResetPassword(name, old, pw string, checkOld bool) error {
	if checkOld {
		return l.st.ChangePassword(name, old, pw)
	}
	return l.st.SetPassword(name, pw)
}

func (l luaUsers) ChangeRole(name, g string) error          { return l.st.ChangeRole(name, g) }
func (l luaUsers) ChangeAllowedNets(name, n string) error   { return l.st.ChangeAllowedNets(name, n) }
func (l luaUsers) ChangeAllowedIfname(name, i string) error { return l.st.ChangeAllowedIfname(name, i) }
func (l luaUsers) ChangeFullName(name, f string) error      { return l.st.ChangeFullName(name, f) }
func (l luaUsers) ChangeLanguage(name, lang string) error   { return l.st.ChangeLanguage(name, lang) }

func (l luaUsers) SetCapability(name, capability string, allow bool) error {
	c, ok := users.CapabilityByName(capability)
	if !ok {
		return fmt.Errorf("unknown capability %q: %w", capability, users.ErrInvalid)
	}
	return l.st.SetCapability(name, c, allow)
}

func (l luaUsers) CreateAPIToken(name string) (string, error) { return l.st.CreateAPIToken(name) }
func (l luaUsers) APIToken(name string) (string, bool)        { return l.st.APIToken(name) }
func (l luaUsers) GenerateTOTPSecret() (string, error)        { return users.GenerateTOTPSecret() }
func (l luaUsers) SetTOTPSecret(name, s string) error         { return l.st.SetTOTPSecret(name, s) }
func (l luaUsers) TOTPSecret(name string) (string, bool)      { return l.st.TOTPSecret(name) }
func (l luaUsers) TOTPEnabled(name string) bool               { return l.st.TOTPEnabled(name) }
func (l luaUsers) SetTOTPEnabled(name string, on bool) error  { return l.st.SetTOTPEnabled(name, on) }
func (l luaUsers) ValidateTOTP(name, code string) bool        { return l.st.ValidateTOTP(name, code) }
func (l luaUsers) TOTPProvisioningURI(name string) (string, bool) {
	return l.st.TOTPProvisioningURI(name)
}
