package web

import (
	"strings"
	"testing"

	"flowgate/engine"
	"flowgate/web/users"
)

// TestSyslogScope: the syslog REST reads ifid as the other per-interface
// endpoints: an unknown or non-syslog interface is INVALID_INTERFACE, and
// a user restricted to another interface is NOT_GRANTED.
func TestSyslogScope(t *testing.T) {
	eng := engine.New(engine.DefaultConfiguration())
	eng.AddInterface("eth0", "zmq")
	sys := eng.AddInterface("syslog://127.0.0.1:5140", "syslog")
	s := New(DefaultConfiguration(), Dependencies{Engine: eng})
	s.HandleSyslog(SyslogEndpoint{Ifid: sys.ID(), Producers: func() map[string]string { return map[string]string{"fw1": "fwlog"} },
		SetProducer: func(string, string) error { return nil }})
	admin := users.User{Username: "admin", Group: users.Administrator}
	eth0Only := users.User{Username: "u", Group: users.Unprivileged, AllowedIfname: "eth0"}
	sysOnly := users.User{Username: "v", Group: users.Unprivileged, AllowedIfname: sys.Name()}
	for _, tc := range []struct {
		name, query string
		user        users.User
		want        string // in the answer
	}{
		{"administrator", "ifid=1", admin, `"producer":"fwlog"`},
		{"its interface's user", "ifid=1", sysOnly, `"producer":"fwlog"`},
		{"another interface's user", "ifid=1", eth0Only, `"rc_str":"NOT_GRANTED"`},
		{"not a syslog interface", "ifid=0", admin, `"rc_str":"INVALID_INTERFACE"`},
		{"unknown interface", "ifid=7", admin, `"rc_str":"INVALID_INTERFACE"`},
		{"no interface", "", admin, `"rc_str":"INVALID_INTERFACE"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serveAs(s, tc.user, "/lua/rest/v2/get/syslog/producers.lua?"+tc.query)
			if !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("%d %s, want %s", w.Code, w.Body, tc.want)
			}
		})
	}
}
