package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"flowgate/web/users"
)

// TestNetworksScope: networks.lua shows a user restricted to some
// networks only the local networks inside them, with their figures.
func TestNetworksScope(t *testing.T) {
	s := walkServer(t) // local network 10.1.0.0/16, its host 10.1.0.5
	for _, tc := range []struct {
		name string
		user users.User
		want int // networks listed
	}{
		{"administrator", users.User{Username: "admin", Group: users.Administrator}, 1},
		{"all networks", users.User{Username: "u", Group: users.Unprivileged}, 1},
		{"a wider network", users.User{Username: "u", Group: users.Unprivileged, AllowedNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, 1},
		{"the network itself", users.User{Username: "u", Group: users.Unprivileged, AllowedNets: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}, 1},
		{"a part of it", users.User{Username: "u", Group: users.Unprivileged, AllowedNets: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24")}}, 0},
		{"elsewhere", users.User{Username: "u", Group: users.Unprivileged, AllowedNets: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fd00::/8")}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serveAs(s, tc.user, "/lua/rest/v2/get/network/networks.lua?ifid=0")
			var env struct {
				RC  int `json:"rc"`
				Rsp []struct {
					ID       string            `json:"id"`
					Hosts    int               `json:"num_hosts"`
					Bytes    map[string]uint64 `json:"bytes"`
					Network  int               `json:"network_id"`
					Throughp *float64          `json:"throughput_bps"`
				} `json:"rsp"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.RC != 0 || len(env.Rsp) != tc.want {
				t.Fatalf("%d %s: want %d networks", w.Code, w.Body, tc.want)
			}
			for _, n := range env.Rsp {
				// 10.1.0.5 and 10.1.255.255 (walkServer's flows).
				b := n.Bytes
				if n.ID != "10.1.0.0/16" || n.Network != 0 || n.Hosts != 2 || n.Throughp == nil ||
					b["total"] == 0 || b["total"] != b["ingress"]+b["egress"]+b["inner"] {
					t.Errorf("network %+v", n)
				}
			}
		})
	}
}

// serveAs has h answer a GET of target as the given user (the identity
// the login middleware would have set).
func serveAs(h http.Handler, u users.User, target string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r = r.WithContext(WithIdentity(r.Context(), Identity{User: u}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
