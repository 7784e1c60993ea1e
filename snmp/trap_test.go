package snmp

import (
	"net"
	"strings"
	"sync"
	"testing"

	"flowgate/alerts"
	"flowgate/internal/testwait"
	"flowgate/snmp/snmptest"
)

func startReceiver(t *testing.T, store *alerts.Store, onTrap func(Trap)) *TrapReceiver {
	t.Helper()
	r, err := NewTrapReceiver(TrapConfiguration{Addr: "127.0.0.1:0", Communities: []string{"public"},
		Users: []TrapUser{
			{User: testV3User, AuthProtocol: "SHA", AuthPassword: testV3Auth, PrivProtocol: "AES", PrivPassword: testV3Priv},
			{User: "other", AuthProtocol: "MD5", AuthPassword: "otherpass1"},
		}}, TrapDeps{Alerts: store, OnTrap: onTrap})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func netsnmp(t *testing.T, tool string, args ...string) error {
	t.Helper()
	_, err := snmptest.Tool(t, tool, args...)
	return err
}

func TestTrapsFromNetSNMP(t *testing.T) {
	store := alerts.NewStore(alerts.Config{})
	var mu sync.Mutex
	var got []Trap
	r := startReceiver(t, store, func(tr Trap) { mu.Lock(); got = append(got, tr); mu.Unlock() })
	to := r.Addr()
	v3 := []string{"-v", "3", "-u", testV3User, "-l", "authPriv", "-a", "SHA", "-A", testV3Auth, "-x", "AES", "-X", testV3Priv}
	cases := []struct {
		name string
		args []string
		want Trap
	}{
		{"v1", []string{"-v", "1", "-c", "public", to, "1.3.6.1.4.1.8072.2.3", "127.0.0.1", "6", "17", "", "1.3.6.1.2.1.1.5.0", "s", "hello"},
			Trap{Version: "1", Community: "public", TrapOID: "1.3.6.1.4.1.8072.2.3.0.17"}},
		{"v1generic", []string{"-v", "1", "-c", "public", to, "1.3.6.1.4.1.8072.2.3", "127.0.0.1", "2", "0", "", "1.3.6.1.2.1.2.2.1.1.3", "i", "3"},
			Trap{Version: "1", Community: "public", TrapOID: "1.3.6.1.6.3.1.1.5.3"}},
		{"v2c", []string{"-v", "2c", "-c", "public", to, "", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.2.1.2.2.1.1.7", "i", "7"},
			Trap{Version: "2c", Community: "public", TrapOID: "1.3.6.1.6.3.1.1.5.4"}},
		{"v2cInform", []string{"-Ci", "-t", "2", "-r", "1", "-v", "2c", "-c", "public", to, "", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.2", "i", "2"},
			Trap{Version: "2c", Community: "public", TrapOID: "1.3.6.1.6.3.1.1.5.3", Inform: true}},
		{"v3", append(append([]string{}, v3...), "-e", "0x80001f8804666774657374", to, "", "1.3.6.1.4.1.99.0.1", "1.3.6.1.4.1.99.1", "s", "v3 trap"),
			Trap{Version: "3", User: testV3User, TrapOID: "1.3.6.1.4.1.99.0.1"}},
		{"v3Inform", append(append([]string{"-Ci", "-t", "2", "-r", "1"}, v3...), to, "", "1.3.6.1.4.1.99.0.2", "1.3.6.1.4.1.99.1", "s", "v3 inform"),
			Trap{Version: "3", User: testV3User, TrapOID: "1.3.6.1.4.1.99.0.2", Inform: true}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := netsnmp(t, "snmptrap", tc.args...); err != nil {
				t.Fatal(err)
			}
			testwait.For(t, "trap "+tc.name, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > i })
			mu.Lock()
			tr := got[i]
			mu.Unlock()
			if tr.Version != tc.want.Version || tr.Community != tc.want.Community || tr.User != tc.want.User ||
				tr.TrapOID != tc.want.TrapOID || tr.Inform != tc.want.Inform || tr.Source != "127.0.0.1" || len(tr.Varbinds) == 0 {
				t.Fatalf("got %+v want %+v", tr, tc.want)
			}
		})
	}
	c := r.Counters()
	if c.Traps != uint64(len(cases)) || c.Informs != 2 || c.Sources != 1 {
		t.Fatalf("counters %+v", c)
	}
	rows, total := store.List(alerts.Query{})
	if total != len(cases) || rows[0].Entity != alerts.EntitySNMPDevice || !strings.Contains(rows[0].JSON, "trap_oid") {
		t.Fatalf("alerts %d %+v", total, rows)
	}
}

func TestTrapBadInput(t *testing.T) {
	store := alerts.NewStore(alerts.Config{})
	r := startReceiver(t, store, nil)
	to := r.Addr()
	// Wrong community and an unknown v3 user: counted, dropped.
	_ = netsnmp(t, "snmptrap", "-v", "2c", "-c", "nope", to, "", "1.3.6.1.6.3.1.1.5.4")
	_ = netsnmp(t, "snmptrap", "-v", "3", "-u", "mallory", "-l", "authNoPriv", "-a", "SHA", "-A", "whatever12",
		"-e", "0x80001f8804666774657374", to, "", "1.3.6.1.6.3.1.1.5.4")
	_ = netsnmp(t, "snmptrap", "-v", "3", "-u", testV3User, "-l", "authPriv", "-a", "SHA", "-A", "wrongpass1", "-x", "AES", "-X", testV3Priv,
		"-e", "0x80001f8804666774657374", to, "", "1.3.6.1.6.3.1.1.5.4")
	c, err := net.Dial("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A valid v2c trap, then garbage and every truncation of it.
	ok := []byte{0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa7, 0x1c, 0x02, 0x01, 0x01,
		0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x11, 0x30, 0x0f, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x06, 0x03, 0x01,
		0x01, 0x04, 0x01, 0x00, 0x06, 0x01, 0x2b}
	bad := [][]byte{[]byte("hello world"), {0x30}, {0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, {0x30, 0x03, 0x02, 0x01, 0x03}}
	for n := 1; n < len(ok); n++ {
		bad = append(bad, ok[:n])
	}
	// Wrong types: version as a string, community as an integer.
	wt := append([]byte{}, ok...)
	wt[2] = 0x04
	bad = append(bad, wt)
	wt2 := append([]byte{}, ok...)
	wt2[5] = 0x02
	bad = append(bad, wt2)
	for _, b := range bad {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Write(ok); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the valid trap after the garbage", func() bool { return r.Counters().Traps == 1 })
	cn := r.Counters()
	if cn.BadCommunity < 1 || cn.UnknownUser < 2 || cn.DecodeErrors+cn.NotTrap+cn.BadCommunity+cn.UnknownUser < uint64(len(bad)) {
		t.Fatalf("counters %+v (bad sent %d)", cn, len(bad))
	}
	t.Logf("counters %+v", cn)
}

func TestParseTrapEndpointAndUser(t *testing.T) {
	for in, want := range map[string]string{"snmptrap://127.0.0.1": "127.0.0.1:162", "snmptrap://0.0.0.0:1162": "0.0.0.0:1162",
		"snmptrap://[::1]:2000": "[::1]:2000", "snmptrap://*:162": ":162"} {
		if got, err := ParseTrapEndpoint(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"udp://1.2.3.4", "snmptrap://1.2.3.4:0", "snmptrap://"} {
		if _, err := ParseTrapEndpoint(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if u, err := ParseTrapUser("ops:SHA:secret123:AES:secret456"); err != nil || u.PrivProtocol != "AES" {
		t.Fatalf("%+v %v", u, err)
	}
	for _, bad := range []string{"ops:SHA", "ops:SHA:short", "ops:XYZ:secret123"} {
		if _, err := ParseTrapUser(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestTrapCollectionToggle(t *testing.T) {
	r := startReceiver(t, nil, nil)
	c, err := net.Dial("udp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := v2cTrap(t)
	r.SetEnabled(false)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the ignored trap", func() bool { return r.Counters().Ignored == 1 })
	r.SetEnabled(true)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the trap", func() bool { return r.Counters().Traps == 1 })
	if s := r.Sources(); len(s) != 1 || s[0].Traps != 1 {
		t.Fatalf("sources %+v", s)
	}
}
