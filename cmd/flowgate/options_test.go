package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, o Options)
	}{
		{"defaults", nil, func(t *testing.T, o Options) {
			if !reflect.DeepEqual(o.Interfaces, []string{defaultInterface}) || o.HTTPAddr != ":3000" || o.DataDir != "/var/lib/flowgate" {
				t.Errorf("defaults: %+v", o)
			}
			if o.ScriptsDir != "/var/lib/flowgate/scripts" {
				t.Errorf("scripts dir %q", o.ScriptsDir)
			}
		}},
		{"repeatable -i in order", []string{"-i", "tcp://127.0.0.1:5556", "--interface=tcp://*:5557c", "-itcp://*:5558c"}, func(t *testing.T, o Options) {
			want := []string{"tcp://127.0.0.1:5556", "tcp://*:5557c", "tcp://*:5558c"}
			if !reflect.DeepEqual(o.Interfaces, want) {
				t.Errorf("interfaces %q", o.Interfaces)
			}
		}},
		{"collector mode with a space", []string{"-i", "tcp://*:5556", "c"}, func(t *testing.T, o Options) {
			if o.Interfaces[0] != "tcp://*:5556c" {
				t.Errorf("interfaces %q", o.Interfaces)
			}
		}},
		{"networks v4 and v6", []string{"-m", "10.1.0.0/16, 192.168.1.7/24,fd00::/8"}, func(t *testing.T, o Options) {
			want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("fd00::/8")}
			if !reflect.DeepEqual(o.LocalNetworks, want) {
				t.Errorf("networks %v", o.LocalNetworks)
			}
		}},
		{"http port forms", []string{"-w", "127.0.0.1:3001"}, func(t *testing.T, o Options) {
			if o.HTTPAddr != "127.0.0.1:3001" {
				t.Errorf("addr %q", o.HTTPAddr)
			}
		}},
		{"https and -w 0", []string{"-w", "0", "-W", "3443", "--http-session-duration", "3600"}, func(t *testing.T, o Options) {
			if o.HTTPAddr != "" || o.HTTPSAddr != ":3443" || o.SessionDuration != time.Hour {
				t.Errorf("http %q https %q session %v", o.HTTPAddr, o.HTTPSAddr, o.SessionDuration)
			}
		}},
		{"limits and flags", []string{"-x", "100", "-X=200", "--disable-login", "--zmq-encryption", "-d", "/tmp/fg"}, func(t *testing.T, o Options) {
			if o.MaxHosts != 100 || o.MaxFlows != 200 || !o.DisableLogin || !o.ZMQEncryption || o.DataDir != "/tmp/fg" || o.ScriptsDir != "/tmp/fg/scripts" {
				t.Errorf("%+v", o)
			}
		}},
		{"key implies encryption", []string{"--zmq-encryption-key-priv", strings.Repeat("a", 40)}, func(t *testing.T, o Options) {
			if !o.ZMQEncryption {
				t.Error("encryption not enabled")
			}
		}},
		{"engine shards", []string{"--engine-shards", "4"}, func(t *testing.T, o Options) {
			if o.EngineShards != 4 {
				t.Errorf("shards %d", o.EngineShards)
			}
		}},
		{"flow idle", []string{"--flow-idle-timeout=120"}, func(t *testing.T, o Options) {
			if o.FlowIdle != 120*time.Second {
				t.Errorf("idle %v", o.FlowIdle)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := parseArgs(c.args)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, o)
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	cases := [][]string{
		{"-i"},
		{"--no-such-option"},
		{"-q"},
		{"-m", "10.0.0.0/33"},
		{"-m", "bogus"},
		{"-w", "70000"},
		{"-w", "host:port"},
		{"-x", "0"},
		{"-X", "many"},
		{"--engine-shards", "0"},
		{"--engine-shards", "65"},
		{"--disable-login=yes"},
		{"--zmq-encryption-key-priv", "short"},
		{"stray", "argument"},
		{"--config", "/nonexistent/flowgate.conf"},
		{"-W", "70000"},
		{"--https-cert", "/etc/hostname"},
		{"--https-cert", "/nonexistent/c.pem", "--https-key", "/nonexistent/k.pem"},
		{"--http-session-duration", "0"},
	}
	for _, args := range cases {
		if _, err := parseArgs(args); err == nil {
			t.Errorf("%q: no error", args)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is not one line: %q", args, err)
		}
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "ntopng.conf")
	body := `# an ntopng.conf
-i=tcp://127.0.0.1:5556
--interface="tcp://*:5557c"

-m=10.0.0.0/8
--http-port 3005
--disable-login
`
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{conf}, {"--config", conf}, {"--config=" + conf}} {
		o, err := parseArgs(args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !reflect.DeepEqual(o.Interfaces, []string{"tcp://127.0.0.1:5556", "tcp://*:5557c"}) || o.HTTPAddr != ":3005" || !o.DisableLogin || len(o.LocalNetworks) != 1 {
			t.Errorf("%q: %+v", args, o)
		}
	}
	// The command line comes after the file and wins for single values.
	o, err := parseArgs([]string{"--config", conf, "-w", "4000"})
	if err != nil || o.HTTPAddr != ":4000" {
		t.Errorf("override: %v %q", err, o.HTTPAddr)
	}
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("-i=tcp://x:1\nnot an option\n"), 0o644)
	if _, err := parseArgs([]string{bad}); err == nil || !strings.Contains(err.Error(), "bad.conf:2") {
		t.Errorf("bad file: %v", err)
	}
}

// TestSampleConfig: the commented sample configuration shipped in deploy/
// is valid as it stands.
func TestSampleConfig(t *testing.T) {
	o, err := parseArgs([]string{"../../deploy/flowgate.conf"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Interfaces) != 1 || o.Interfaces[0] != "tcp://*:5556c" || len(o.LocalNetworks) != 4 || o.HTTPAddr != ":3000" {
		t.Errorf("sample config read as %+v", o)
	}
}
