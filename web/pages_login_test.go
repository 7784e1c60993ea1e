package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"flowgate/web/users"
)

// TestPageLoginFunctions: the §7 functions answer for the page's user and
// client: allowed networks and the pcap capability per user, the login
// settings of this server, sessions created by an administrator only (and
// usable), and ntop.httpRedirect's 302 with a checked target.
func TestPageLoginFunctions(t *testing.T) {
	f := newPageFixture(t, time.Second, nil)
	c := newClient(t)
	admin := basic("admin", adminPW)
	if err := f.users.Add(users.Spec{Username: "carol", Password: "carol-Passw0rd", Group: users.Unprivileged,
		AllowedNets: "10.1.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	carol := basic("carol", "carol-Passw0rd")
	writePage(t, f.scripts, "rest/v2/get/example/login_funcs.lua", `
		local rest_utils = require("rest_utils")
		rest_utils.answer(rest_utils.consts.success.ok, {
			nets = ntop.getAllowedNetworks(),
			pcap = ntop.isPcapDownloadAllowed(),
			disabled = ntop.isLoginDisabled(),
			restricted = ntop.isGuiAccessRestricted(),
			blacklisted = ntop.isLoginBlacklisted(),
			nologin = ntop.getNologinUser(),
			session = ntop.createUserSession("carol", 60) or false,
			no_user = ntop.createUserSession("nobody") or false,
		})`)
	get := func(hdr map[string]string) map[string]any {
		return rspMap(t, env(t, do(t, c, "GET", f.base+ex+"login_funcs.lua", nil, hdr), 200, "OK"))
	}
	a := get(admin)
	// The fixture listens on 127.0.0.1 only: a restricted GUI in ntopng's terms.
	if a["nets"] != "0.0.0.0/0,::/0" || a["pcap"] != true || a["disabled"] != false || a["restricted"] != true ||
		a["blacklisted"] != false || a["nologin"] != "nologin" || a["no_user"] != false {
		t.Fatalf("admin: %v", a)
	}
	sid, _ := a["session"].(string)
	if len(sid) < 16 {
		t.Fatalf("admin's createUserSession: %v", a["session"])
	}
	// The session works: it is carol's.
	echo := do(t, c, "GET", f.base+ex+"echo.lua", nil, map[string]string{"Cookie": SessionCookie + "=" + sid})
	var e struct {
		Rsp struct {
			Session map[string]any `json:"session"`
		} `json:"rsp"`
	}
	if err := json.Unmarshal([]byte(echo.Body), &e); err != nil || e.Rsp.Session["user"] != "carol" {
		t.Fatalf("created session: %d %s", echo.Code, echo.Body)
	}

	m := get(carol)
	if m["nets"] != "10.1.0.0/16" || m["pcap"] != false || m["session"] != false {
		t.Fatalf("carol: %v", m)
	}
	if err := f.users.SetCapability("carol", users.CapPcapDownload, true); err != nil {
		t.Fatal(err)
	}
	if m := get(carol); m["pcap"] != true {
		t.Fatalf("carol with pcap_download: %v", m)
	}

	// httpRedirect: a 302 to a path or an http(s) URL; anything else fails the page.
	for _, tc := range []struct {
		target string
		code   int
	}{
		{"/lua/rest/v2/get/example/echo.lua", http.StatusFound},
		{"https://ntop.example/lua/index.lua", http.StatusFound},
		{"//evil.example/", http.StatusInternalServerError},
		{"javascript:alert(1)", http.StatusInternalServerError},
		{"/x\r\nSet-Cookie: a=b", http.StatusInternalServerError},
	} {
		writePage(t, f.scripts, "rest/v2/get/example/redirect.lua", `ntop.httpRedirect(_GET["to"])`)
		r := do(t, c, "GET", f.base+ex+"redirect.lua?to="+url.QueryEscape(tc.target), nil, admin)
		if r.Code != tc.code {
			t.Fatalf("redirect to %q: %d %s", tc.target, r.Code, r.Body)
		}
		if tc.code == http.StatusFound && r.Header.Get("Location") != tc.target {
			t.Fatalf("redirect to %q: Location %q", tc.target, r.Header.Get("Location"))
		}
		if r.Header.Get("Set-Cookie") != "" && tc.code != http.StatusFound {
			t.Fatalf("a refused redirect set a cookie: %v", r.Header)
		}
	}
}
