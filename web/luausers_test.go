package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"
	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/lua/api"
)

// TestLuaUserFunctions drives the ntop.* user and TOTP functions from Lua
// over the server's store, then logs in over HTTP as the user they made.
func TestLuaUserFunctions(t *testing.T) {
	f := newFixture(t, nil)
	L := lua.NewState()
	defer L.Close()
	api.Install(L, &api.Context{Engine: engine.New(engine.DefaultConfiguration())},
		api.Deps{Services: &api.Services{Users: LuaUsers(f.users)}})
	script := `
		assert(ntop.addUser("analyst", "Jane Analyst", "s3cr3t", "unprivileged", "192.168.1.0/24", "eth0", nil, "en", false, true, true))
		assert(not ntop.addUser("analyst", "again", "x", "unprivileged", "", ""), "duplicate accepted")
		assert(not ntop.addUser("bad name", "", "x", "unprivileged", "", ""), "bad name accepted")
		local u = ntop.getUsers()["analyst"]
		assert(u.full_name == "Jane Analyst" and u.group == "unprivileged" and u.allowed_nets == "192.168.1.0/24", "getUsers")
		assert(u.allow_alerts and u.allow_historical_flows and not u.allow_pcap_download, "permissions")
		assert(ntop.changeAllowedNets("analyst", "10.1.0.0/16"))
		assert(ntop.changeAllowedIfname("analyst", "eth0"))
		assert(ntop.changeUserFullName("analyst", "Jane A."))
		assert(ntop.changePcapDownloadPermission("analyst", true))
		assert(not ntop.changeUserRole("analyst", "root"), "bad role accepted")
		assert(ntop.getUserAPIToken("analyst") == nil)
		local tok = ntop.createUserAPIToken("analyst")
		assert(#tok == 32 and ntop.getUserAPIToken("analyst") == tok)
		assert(not ntop.resetUserPassword("analyst", "analyst", "wrong", "n3w"), "old password not checked")
		assert(ntop.resetUserPassword("analyst", "analyst", "s3cr3t", "n3w-pw"))
		local secret = ntop.generateTOTPSecret()
		assert(#secret >= 16)
		assert(ntop.setUserTOTPSecret("analyst", secret))
		assert(ntop.getUserTOTPSecret("analyst") == secret)
		assert(not ntop.isTOTPEnabled("analyst"))
		assert(ntop.getTOTPProvisioningUri("analyst"):find("^otpauth://totp/"))
		assert(not ntop.validateTOTP("analyst", "000000") or true)
		assert(ntop.deleteUser("nobody") == false)
		token, secret_out = tok, secret
	`
	if err := L.DoString(script); err != nil {
		t.Fatal(err)
	}
	tok := L.GetGlobal("token").String()
	secret := L.GetGlobal("secret_out").String()
	code, _ := totp.GenerateCode(secret, f.clock.now())
	L.SetGlobal("code", lua.LString(code))
	if err := L.DoString(`assert(ntop.validateTOTP("analyst", code)); assert(not ntop.validateTOTP("analyst", code), "replay")`); err != nil {
		t.Fatal(err)
	}
	u, _ := f.users.Get("analyst")
	if u.FullName != "Jane A." || u.AllowedNetsString() != "10.1.0.0/16" || u.Capabilities == 0 {
		t.Errorf("store after Lua: %+v", u)
	}
	c := newClient(t)
	if a := f.login(t, c, "analyst", "n3w-pw", ifacesPath); a.Code != http.StatusFound || a.Header.Get("Location") != ifacesPath {
		t.Fatalf("login of the Lua-made user: %d %q", a.Code, a.Header.Get("Location"))
	}
	a := do(t, c, "GET", f.base+"/lua/rest/v2/get/host/active.lua?ifid=0", nil, nil)
	if a.Code != 200 || !strings.Contains(a.Body, "10.1.0.5") || strings.Contains(a.Body, "192.168.1.5") {
		t.Errorf("analyst's hosts: %s", a.Body)
	}
	if a := do(t, newClient(t), "GET", f.base+ifacesPath, nil, map[string]string{"Authorization": "Token " + tok}); a.Code != 200 {
		t.Errorf("token from ntop.createUserAPIToken: %d", a.Code)
	}
	if err := L.DoString(`assert(ntop.deleteUser("analyst"))`); err != nil {
		t.Fatal(err)
	}
}

func TestLuaUserFunctionsWithoutStore(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	api.Install(L, &api.Context{Engine: engine.New(engine.DefaultConfiguration())}, api.Deps{})
	err := L.DoString(`ntop.getUsers()`)
	if err == nil || !strings.Contains(err.Error(), "no user store") {
		t.Errorf("got %v", err)
	}
}
