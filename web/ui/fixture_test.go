package ui

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/alerts/recipients"
	"flowgate/alerts/sqlitestore"
	"flowgate/engine"
	"flowgate/history"
	"flowgate/history/snmpseries"
	"flowgate/lua/api"
	"flowgate/lua/scripts"
	"flowgate/snmp"
	"flowgate/snmp/snmptest"
	"flowgate/web"
	"flowgate/web/users"
)

// The fixture's credentials and data.
const (
	adminPass = "admin-pass-1"
	viewer    = "viewer"
	viewPass  = "viewer-pass-1"
	// xss is what an attacker puts where a name or a message is shown:
	// rendered as markup it would create an <img> element.
	xss = `<img src=x onerror="document.title='pwned'">`
)

// fixture is a whole server as cmd/flowgate wires it, with login on, an
// engine holding hosts and flows of local network 10.1.0.0/16, time series
// of the interface and a host, engaged and stored alerts, recipients.
type fixture struct {
	srv   *web.Server
	ui    *UI
	eng   *engine.Engine
	db    *sqlitestore.DB
	store *alerts.Store
	users *users.Store
	rt    *scripts.Runtime
	base  string
	// The polled SNMP device and its interfaces.
	snmpKey string
	snmpIfs []snmp.Interface
}

// localHosts and remoteHosts are the addresses the flows connect.
var (
	localHosts  = []string{"10.1.0.5", "10.1.0.6", "10.1.0.7"}
	remoteHosts = []string{"192.0.2.9", "198.51.100.7"}
)

// vlanLocal and vlanRemote talk on VLAN 10.
const (
	vlanLocal  = "10.1.0.8"
	vlanRemote = "203.0.113.5"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	ecfg := engine.DefaultConfiguration()
	ecfg.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	eng := engine.New(ecfg)
	i := eng.AddInterface("tcp://*:5556c", "zmq")
	now := time.Now()
	b := i.NewBatch()
	n := 0
	for li, l := range localHosts {
		for ri, r := range remoteHosts {
			f := b.AddFlow()
			f.SrcIP, f.DstIP, f.SrcPort, f.DstPort, f.Proto = netip.MustParseAddr(l), netip.MustParseAddr(r), uint16(40000+n), 443, 6
			f.InBytes, f.InPkts = uint64(1000*(li+1)*(ri+1)), 10
			f.OutBytes, f.OutPkts = uint64(500*(li+1)), 5
			f.FirstSwitched, f.LastSwitched = uint32(now.Unix())-5, uint32(now.Unix())
			f.L7Set, f.L7App = true, 91 // TLS
			if ri == 1 {
				f.Proto, f.DstPort, f.L7App = 17, 53, 5 // DNS
			}
			if n == 0 { // 10.1.0.5 → 192.0.2.9 exported by the polled snmpd below, entering on lo (ifIndex 1)
				f.ExporterIP, f.InIfIndex = netip.MustParseAddr("127.0.0.1"), 1
			}
			n++
		}
	}
	// One flow on VLAN 10, for the hosts page's filters.
	vf := b.AddFlow()
	vf.SrcIP, vf.DstIP, vf.SrcPort, vf.DstPort, vf.Proto, vf.VLAN = netip.MustParseAddr(vlanLocal), netip.MustParseAddr(vlanRemote), 41000, 22, 6, 10
	vf.InBytes, vf.InPkts, vf.OutBytes, vf.OutPkts = 700, 7, 300, 3
	vf.FirstSwitched, vf.LastSwitched = uint32(now.Unix())-5, uint32(now.Unix())
	b.Events = append(b.Events, engine.ProbeEvent{SourceID: 7, IfName: "eth1", IfIP: "10.1.0.1", Version: "10.2.1",
		ProbeIP: "10.1.0.1", Edition: "Enterprise", UUID: "u-1", Packets: 1234, NumFlowExports: 3})
	i.Process(b)

	ucfg := users.DefaultConfiguration()
	ucfg.Path = filepath.Join(dir, users.FileName)
	us := users.New(ucfg, users.Dependencies{})
	if err := us.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(us.Stop)
	if err := us.Add(users.Spec{Username: viewer, Password: viewPass, Group: users.Unprivileged, FullName: xss}); err != nil {
		t.Fatal(err)
	}
	db := sqlitestore.New(sqlitestore.Configuration{DataDir: dir})
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop)
	st := alerts.NewStore(alerts.Config{History: db.History()})
	hcfg := history.DefaultConfiguration()
	hcfg.Path, hcfg.MaintainEvery = filepath.Join(dir, history.FileName), time.Hour
	ts := history.New(hcfg)
	if err := ts.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Stop)
	appendSeries(t, ts, now)
	appendSubnetSeries(t, ts, now) // fixture_syslog_test.go
	// A real SNMP agent, polled once: its interfaces and an hour of their
	// traffic series.
	agent := snmptest.StartAgent(t)
	poller := snmp.New(snmp.Configuration{}, snmp.Deps{Series: snmpseries.New(ts)})
	if err := poller.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poller.Stop)
	dev, err := poller.AddDevice(snmp.DeviceConfig{Address: "127.0.0.1", Port: agent.Port, Version: "2c", Community: snmptest.ReadCommunity})
	if err != nil {
		t.Fatal(err)
	}
	snmpKey := fmt.Sprintf("127.0.0.1:%d", dev.Port)
	if err := poller.PollNow(snmpKey); err != nil {
		t.Fatalf("poll snmpd: %v", err)
	}
	ifs, _ := poller.Interfaces(snmpKey)
	if len(ifs) == 0 {
		t.Fatal("snmpd answered no interface")
	}
	appendSNMPSeries(t, ts, now, snmpKey, ifs)
	// The roll-ups that ranked (top:) queries over an hour and more read.
	if err := ts.Maintain(now); err != nil {
		t.Fatal(err)
	}
	rm := recipients.New(recipients.Configuration{DataDir: dir})
	if err := rm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rm.Stop)

	s := web.New(web.Configuration{Addr: "127.0.0.1:0", DataDir: dir, AdminPassword: adminPass},
		web.Dependencies{Engine: eng, Alerts: st, Users: us})
	s.HandleAlertStore(db, st)
	s.HandleTimeseries(ts)
	s.HandleRecipients(rm)
	s.HandleSNMP(poller, startTraps(t)) // the trap receiver: fixture_syslog_test.go
	// Interface 1: syslog (fixture_syslog_test.go).
	startSyslog(t, eng, s)
	// User scripts, mounted as cmd/flowgate does.
	// The host_bytes script is lua/modules' test copy, laid out as a hook.
	scriptsDir := t.TempDir()
	hostDir := filepath.Join(scriptsDir, "callbacks", "interface", "host")
	src, err := os.ReadFile("../../lua/modules/testdata/host_bytes.lua")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hostDir, "host_bytes.lua"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	addGUIScripts(t, scriptsDir) // an items_list flow check, fixture_admin_test.go
	rt := scripts.New(scripts.Configuration{Dir: scriptsDir, PollInterval: -1}, eng, st, api.Deps{})
	if err := rt.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	for _, p := range []string{"/lua/rest/v2/get/user_script/", "/lua/rest/v2/edit/user_script/", "/lua/rest/v2/enable/", "/lua/rest/v2/disable/"} {
		s.Handle(p, rt.Handler())
	}
	u := New()
	u.Mount(s)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)

	// An engaged alert on a host, and two stored ones (one whose JSON
	// carries markup) that the alerts page lists as historical.
	st.Trigger(alerts.Alert{IfID: 0, Type: 49, Severity: alerts.SeverityError, Entity: alerts.EntityHost,
		EntityVal: "10.1.0.5@0", Granularity: 60, Tstamp: now.Unix(), TstampEnd: now.Unix(),
		JSON: `{"threshold":10,"value":42,"metric":"bytes"}`, Script: "host_bytes", Subdir: "host"})
	for k, js := range []string{`{"msg":"disk full"}`, `{"msg":` + jsonString(xss) + `}`} {
		st.StoreEvent(alerts.Alert{IfID: 0, Type: 49, Severity: alerts.SeverityWarning, Entity: alerts.EntityHost,
			EntityVal: localHosts[k+1] + "@0", Tstamp: now.Unix() - int64(60*(k+1)), TstampEnd: now.Unix() - int64(60*(k+1)),
			JSON: js, Script: "host_log", Subdir: "host"})
	}
	f := &fixture{srv: s, ui: u, eng: eng, db: db, store: st, users: us, rt: rt, base: "http://" + s.Addr(), snmpKey: snmpKey, snmpIfs: ifs}
	f.waitStored(t, 2)
	return f
}

// waitStored waits until the alert store's writer committed n historical
// host alerts (the writer is asynchronous).
func (f *fixture) waitStored(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		q := sqlitestore.ListQuery{Family: sqlitestore.FamilyHost, Status: sqlitestore.StatusHistorical, Length: 100}
		_, total, err := f.db.List(context.Background(), q, nil)
		if err == nil && total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("alert store holds %d historical alerts (err %v), want %d", total, err, n)
		}
		time.Sleep(10 * time.Millisecond) // polling the exact condition, bounded by the deadline
	}
}

// appendSeries writes an hour of interface and host traffic (counters,
// stored as rates) ending at now.
func appendSeries(t *testing.T, ts *history.Store, now time.Time) {
	t.Helper()
	iface, host := history.Lookup("iface:traffic"), history.Lookup("host:traffic")
	ifaceApps, hostApps := history.Lookup("iface:ndpi"), history.Lookup("host:ndpi")
	var batch []history.Sample
	end := now.Unix()
	var total float64
	for at := end - 3600; at <= end; at += 10 {
		total += 1e6 + float64(at%300)*5e3
		batch = append(batch, history.Sample{Schema: iface, Tags: []string{"0"}, Values: []float64{total}, T: at})
	}
	// Per application: TLS twice DNS, on the interface and on 10.1.0.5.
	// (counters, at each schema's step).
	for at := end - 3600; at <= end; at += 60 {
		k := float64(at-end+3600) * 1e3
		batch = append(batch,
			history.Sample{Schema: ifaceApps, Tags: []string{"0", "TLS"}, Values: []float64{k * 2}, T: at},
			history.Sample{Schema: ifaceApps, Tags: []string{"0", "DNS"}, Values: []float64{k}, T: at})
		if (at-end)%300 == 0 {
			batch = append(batch,
				history.Sample{Schema: hostApps, Tags: []string{"0", "10.1.0.5", "TLS"}, Values: []float64{k, k}, T: at},
				history.Sample{Schema: hostApps, Tags: []string{"0", "10.1.0.5", "DNS"}, Values: []float64{k / 2, k / 2}, T: at})
		}
	}
	for at := end - 3600; at <= end; at += 300 {
		k := float64(at-end+3600) * 1e3
		batch = append(batch, history.Sample{Schema: host, Tags: []string{"0", "10.1.0.5"}, Values: []float64{k * 2, k}, T: at})
	}
	if err := ts.Append(batch); err != nil {
		t.Fatal(err)
	}
}

// appendSNMPSeries writes an hour of snmp_if:traffic for each interface
// (interface k carrying k times the first's traffic).
func appendSNMPSeries(t *testing.T, ts *history.Store, now time.Time, key string, ifs []snmp.Interface) {
	t.Helper()
	var batch []history.Sample
	end := now.Unix()
	for k, i := range ifs {
		var sent, rcvd float64
		for at := end - 3600; at <= end; at += 300 {
			sent += float64(k+1) * 3e7
			rcvd += float64(k+1) * 1e7
			batch = append(batch, history.Sample{Schema: history.SNMPIfTraffic, Tags: []string{snmpseries.SystemIfID, key, strconv.Itoa(int(i.Index))},
				Values: []float64{sent, rcvd}, T: at})
		}
	}
	if err := ts.Append(batch); err != nil {
		t.Fatal(err)
	}
}

func jsonString(s string) string {
	out := []byte{'"'}
	for _, c := range []byte(s) {
		if c == '"' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return string(append(out, '"'))
}
