package snmpscripts

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"flowgate/alerts"
	"flowgate/internal/testwait"
	"flowgate/lua/api"
	"flowgate/snmp"
	"flowgate/snmp/snmptest"
)

const (
	oidOperStatus1 = ".1.3.6.1.2.1.2.2.1.8.1"
	oidInErrors1   = ".1.3.6.1.2.1.2.2.1.14.1"
)

// scriptsDir copies the shipped snmp_device scripts and writes a trap script.
func scriptsDir(t *testing.T) string {
	dir := t.TempDir()
	dev := filepath.Join(dir, "callbacks", "system", DeviceSubdir)
	trap := filepath.Join(dir, "callbacks", "system", TrapSubdir)
	for _, d := range []string{dev, trap} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join("..", "..", "deploy", "scripts", "callbacks", "system", DeviceSubdir)
	ents, err := os.ReadDir(src)
	if err != nil || len(ents) < 3 {
		t.Fatalf("shipped scripts: %v", err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dev, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	trapScript := `
local alert_consts = require("alert_consts")
local alerts_api = require("alerts_api")
local s = { hooks = {} }
function s.hooks.trap(trap)
  local vb = trap.varbinds[1]
  local t = alert_consts.alert_types.alert_user_01.create(alert_consts.alert_severities.info,
    { oid = trap.trap_oid, who = trap.community or trap.user, first = vb and (vb.oid .. "=" .. vb.type .. ":" .. vb.value) or "" })
  alerts_api.store(alerts_api.snmpDeviceEntity(trap.source), t)
end
return s
`
	if err := os.WriteFile(filepath.Join(trap, "record.lua"), []byte(trapScript), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDeviceScripts(t *testing.T) {
	a := snmptest.StartAgent(t, "override -rw "+oidOperStatus1+" integer 1", "override -rw "+oidInErrors1+" counter 0")
	store := alerts.NewStore(alerts.Config{})
	p := snmp.New(snmp.Configuration{Interval: time.Hour, Timeout: time.Second}, snmp.Deps{Alerts: store})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	d, err := p.AddDevice(snmp.DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: snmptest.ReadCommunity})
	if err != nil {
		t.Fatal(err)
	}
	// Each run is a minute after the previous one, as the scheduler's are:
	// a run re-confirms alerts by their time.
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { clock = clock.Add(time.Minute); return clock }
	r := New(Configuration{Dir: scriptsDir(t), NoSchedule: true, Now: now}, p, store, api.Deps{})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if c := r.Counters(); c.Device != 3 || c.Trap != 1 {
		t.Fatalf("loaded %+v", c)
	}
	run := func() {
		t.Helper()
		if err := p.PollNow(d.Key()); err != nil {
			t.Fatal(err)
		}
		r.RunDevices("min")
		if c := r.Counters(); c.Errors != 0 {
			t.Fatalf("script errors: %+v", c)
		}
	}
	run()
	entity := d.Key() + "_ifidx1"
	a.Set(t, oidOperStatus1, gosnmp.Integer, 2)
	a.Set(t, oidInErrors1, gosnmp.Counter32, uint32(500))
	run()
	rows, _ := store.List(alerts.Query{})
	var status, errs bool
	for _, al := range rows {
		if al.EntityVal == entity && al.Type == 35 && strings.Contains(al.JSON, `"status":"down"`) {
			status = true
		}
	}
	for _, al := range store.Engaged(-1, alerts.EntitySNMPDevice, entity) {
		if al.Type == 32 && al.Granularity == 60 {
			errs = true
		}
	}
	if !status || !errs {
		t.Fatalf("status alert %v, errors alert %v: %+v / %+v", status, errs, rows, store.Engaged(-1, alerts.EntitySNMPDevice, entity))
	}
	// No new errors: the errors alert is released.
	run()
	if eng := store.Engaged(-1, alerts.EntitySNMPDevice, entity); len(eng) != 0 {
		t.Fatalf("still engaged: %+v", eng)
	}
}

func TestTrapScripts(t *testing.T) {
	store := alerts.NewStore(alerts.Config{})
	r := New(Configuration{Dir: scriptsDir(t), NoSchedule: true}, nil, store, api.Deps{})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	rcv, err := snmp.NewTrapReceiver(snmp.TrapConfiguration{Addr: "127.0.0.1:0"}, snmp.TrapDeps{Alerts: store, OnTrap: r.OnTrap})
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.Start(); err != nil {
		t.Fatal(err)
	}
	defer rcv.Stop()
	if _, err := snmptest.Tool(t, "snmptrap", "-v", "2c", "-c", "public", rcv.Addr(), "", "1.3.6.1.6.3.1.1.5.3",
		"1.3.6.1.2.1.2.2.1.1.9", "i", "9"); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the trap script's alert", func() bool { _, n := store.List(alerts.Query{}); return n == 2 })
	found := false
	for _, al := range func() []alerts.Alert { rows, _ := store.List(alerts.Query{}); return rows }() {
		if al.Type == alerts.UserTypeBase && al.EntityVal == "127.0.0.1" &&
			strings.Contains(al.JSON, `"first":"1.3.6.1.2.1.2.2.1.1.9=Integer:9"`) && strings.Contains(al.JSON, `"who":"public"`) {
			found = true
		}
	}
	if !found || r.Counters().Errors != 0 {
		rows, _ := store.List(alerts.Query{})
		t.Fatalf("no script alert (errors %+v): %+v", r.Counters(), rows)
	}
	_ = strconv.Itoa
}

// user_scripts_config.json overrides: a disabled script does not run, a
// script_conf threshold replaces the default.
func TestDeviceScriptsConfig(t *testing.T) {
	a := snmptest.StartAgent(t, "override -rw "+oidOperStatus1+" integer 1", "override -rw "+oidInErrors1+" counter 0")
	data := t.TempDir()
	conf := `{"snmp_device": {"if_errors": {"all": {"enabled": true, "script_conf": {"threshold": 1000}}},
	                          "if_oper_status_change": {"all": {"enabled": false}}}}`
	if err := os.WriteFile(filepath.Join(data, "user_scripts_config.json"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	store := alerts.NewStore(alerts.Config{})
	p := snmp.New(snmp.Configuration{Interval: time.Hour, Timeout: time.Second}, snmp.Deps{Alerts: store})
	d, err := p.AddDevice(snmp.DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: snmptest.ReadCommunity})
	if err != nil {
		t.Fatal(err)
	}
	r := New(Configuration{Dir: scriptsDir(t), DataDir: data, NoSchedule: true}, p, store, api.Deps{})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	for i := 0; i < 2; i++ {
		if err := p.PollNow(d.Key()); err != nil {
			t.Fatal(err)
		}
		r.RunDevices("min")
		a.Set(t, oidOperStatus1, gosnmp.Integer, 2)
		a.Set(t, oidInErrors1, gosnmp.Counter32, uint32(500))
	}
	if _, n := store.List(alerts.Query{}); n != 0 || r.Counters().Errors != 0 || r.Counters().Calls == 0 {
		rows, _ := store.List(alerts.Query{})
		t.Fatalf("alerts despite the configuration: %+v %+v", rows, r.Counters())
	}
}
