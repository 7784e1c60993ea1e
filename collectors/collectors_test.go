package collectors

import (
	"strings"
	"testing"
)

func TestParseKinds(t *testing.T) {
	for _, tc := range []struct {
		value, kind string
	}{
		{"tcp://127.0.0.1:5556", "zmq"},
		{"tcp://*:5556c", "zmq"},
		{"tcp://a:5556,tcp://b:5556", "zmq"},
		{"probe1@tcp://127.0.0.1:5556", "zmq"},
		{"syslog://0.0.0.0:5140", "syslog"},
		{"syslog://suricata@127.0.0.1:5140@tcp", "syslog"},
		{"SNMPTRAP://127.0.0.1:1162", "snmptrap"},
		{"snmptrap://127.0.0.1", "snmptrap"},
		{"eth1", "packet"},
		{"capture.pcapng", "packet"},
		{"netflow://:2055", "netflow"},
		{"netflow://[::1]:2055", "netflow"},
		{"sflow://0.0.0.0:6343", "sflow"},
		{"netflow://:2055,netflow://127.0.0.1:9995", "netflow"},
		{"netflow://:2055,:9995", "netflow"},
	} {
		specs, err := Parse([]string{tc.value}, Settings{})
		if err != nil {
			t.Errorf("%s: %v", tc.value, err)
			continue
		}
		if len(specs) != 1 || specs[0].Kind.Name != tc.kind || specs[0].Value != tc.value {
			t.Errorf("%s: specs %+v, want one of kind %s", tc.value, specs, tc.kind)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		values []string
		s      Settings
		want   string
	}{
		{[]string{"ftp://x:1"}, Settings{}, `unknown scheme "ftp"`},
		{[]string{"tcp://127.0.0.1"}, Settings{}, "tcp://127.0.0.1"},
		{[]string{"syslog://127.0.0.1"}, Settings{}, "syslog://127.0.0.1"},
		{[]string{"syslog://127.0.0.1:99999"}, Settings{}, "port"},
		{[]string{"syslog://127.0.0.1:5140@tls"}, Settings{}, "--syslog-tls-key"},
		{[]string{"syslog://127.0.0.1:5140"}, Settings{SyslogProducers: []string{"nonsense"}}, "--syslog-producers"},
		{[]string{"snmptrap://127.0.0.1:1", "snmptrap://127.0.0.1:2"}, Settings{}, "only one snmptrap"},
		{[]string{"snmptrap://127.0.0.1:1"}, Settings{TrapUsers: []string{"u:MD9:pw"}}, "snmptrap://127.0.0.1:1"},
		{[]string{"eth0"}, Settings{PacketFilter: "tcp port"}, "eth0"},
		{[]string{"tcp://127.0.0.1:1", "bogus://"}, Settings{}, "bogus"},
		{[]string{"netflow://127.0.0.1"}, Settings{}, "netflow://[addr]:port"},
		{[]string{"netflow://127.0.0.1:99999"}, Settings{}, "port"},
		{[]string{"sflow://example.com:6343"}, Settings{}, "bad address"},
		{[]string{"netflow://:2055,sflow://:6343"}, Settings{}, "netflow:// values only"},
		{[]string{"netflow://:2055,:2055"}, Settings{}, "listed twice"},
	} {
		specs, err := Parse(tc.values, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: specs %v error %v, want an error naming %q", tc.values, specs, err, tc.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	s := Schemes()
	for _, want := range []string{"syslog://", "snmptrap://", "tcp://"} {
		if !strings.Contains(s, want) {
			t.Errorf("Schemes() = %q, missing %s", s, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("registering tcp:// twice did not panic")
		}
	}()
	Register(Kind{Name: "dup", Schemes: []string{"tcp"}})
}
