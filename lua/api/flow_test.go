package api

import (
	"net/netip"
	"strconv"
	"testing"

	"flowgate/alerts"
	"flowgate/engine/ndpi"
)

var (
	tlsFlow = flowSpec{src: "192.168.1.10", dst: "8.8.8.8", sport: 51000, dport: 443, proto: 6,
		inB: 1000, outB: 5000, inP: 10, outP: 8, master: 91, app: 126, cliFlags: 0x12, srvFlg: 0x12,
		sni: "www.google.com", retrIn: 3}
	dnsFlow = flowSpec{src: "192.168.1.10", dst: "1.2.4.8", sport: 52000, dport: 53, proto: 17,
		inB: 70, inP: 1, master: 5, dns: "example.com"}
	lanFlow = flowSpec{src: "192.168.1.10", dst: "192.168.1.20", sport: 53000, dport: 22, proto: 6,
		inB: 100, inP: 1, cliFlags: 0x02}
)

func TestFlowGetters(t *testing.T) {
	e := newEnv(t, Deps{GeoIP: testGeoIP(t)})
	e.process(tlsFlow, dnsFlow, lanFlow)
	cases := []struct {
		port uint16
		expr string
		want string
	}{
		{51000, "flow.getBytes()", "6000"},
		{51000, "flow.getBytesSent()", "1000"},
		{51000, "flow.getBytesRcvd()", "5000"},
		{51000, "flow.getPackets()", "18"},
		{51000, "flow.getPacketsSent()", "10"},
		{51000, "flow.getPacketsRcvd()", "8"},
		{51000, "flow.getDuration()", "25"},
		{51000, "flow.getFirstSeen()", strconv.FormatInt(testNow.Unix()-30, 10)},
		{51000, "flow.getnDPIProtocolName()", "TLS.Google"},
		{51000, "flow.getnDPIMasterProtoId()", "91"},
		{51000, "flow.getnDPIAppProtoId()", "126"},
		{51000, "flow.getnDPICategoryName()", ndpi.CategoryOf(126).String()},
		{51000, "flow.getClientKey()", "192.168.1.10@0"},
		{51000, "flow.getServerKey()", "8.8.8.8@0"},
		{51000, "flow.getClientCountry()", "nil"}, // private: unknown is nil
		{51000, "flow.getServerCountry()", "US"},
		{51000, "flow.isLocalToRemote()", "true"},
		{51000, "flow.isLocal()", "false"},
		{51000, "flow.isRemoteToRemote()", "false"},
		{51000, "flow.isTwhOK()", "true"},
		{51000, "flow.isBidirectional()", "true"},
		{51000, "flow.isUnicast()", "true"},
		{51000, "flow.getDnsQuery()", ""},
		{51000, "flow.getClientTCPIssues()", "3"},
		{51000, "flow.getTLSInfo()['protos.tls.client_requested_server_name']", "www.google.com"},
		{51000, "flow.getServerGeolocation()['srv.country']", "US"},
		{51000, "flow.getServerGeolocation()['srv.city']", "Mountain View"},
		{51000, "flow.getServerGeolocation()['srv.asn']", "15169"},
		{51000, "flow.getClientGeolocation()['cli.country']", ""},
		{51000, "flow.getInfo()['cli.ip']", "192.168.1.10"},
		{51000, "flow.getInfo()['proto.l4']", "TCP"},
		{51000, "flow.getFullInfo()['srv.asn']", "15169"},
		{51000, "flow.getFullInfo()['srv.latitude']", "37.4"},
		{51000, "flow.getFullInfo()['cli.localhost']", "true"},
		{51000, "flow.getFullInfo()['srv.key']", "8.8.8.8@0"},
		{51000, "flow.getStatus()", "0"},
		{52000, "flow.getDnsQuery()", "example.com"},
		{52000, "flow.getDNSInfo()['protos.dns.last_query']", "example.com"},
		{52000, "flow.getServerCountry()", "CN"},
		{52000, "flow.isBidirectional()", "false"},
		{52000, "flow.isTwhOK()", "false"},
		{52000, "flow.getnDPIProtocolName()", "DNS"},
		{52000, "flow.getTLSInfo()['protos.tls.client_requested_server_name']", "nil"},
		{53000, "flow.isLocal()", "true"},
		{53000, "flow.isTCPConnecting()", "true"},
		{53000, "flow.getServerCountry()", "nil"},
	}
	for _, c := range cases {
		e.inFlow(t, c.port, func() {
			if got := eval(e.L, c.expr); got != c.want {
				t.Errorf("port %d: %s = %q, want %q", c.port, c.expr, got, c.want)
			}
		})
	}
}

func TestFlowWithoutContext(t *testing.T) {
	e := newEnv(t, Deps{})
	got := eval(e.L, "flow.getBytes()")
	if !contains(got, "without a flow") {
		t.Fatalf("flow.getBytes outside a flow hook: %q, want a clear error", got)
	}
	if got := eval(e.L, "host.getIp()"); !contains(got, "without a host") {
		t.Fatalf("host.getIp outside a host hook: %q", got)
	}
}

func TestUndefinedFunction(t *testing.T) {
	e := newEnv(t, Deps{})
	for _, expr := range []string{"flow.getNoSuchThing()", "ntop.noSuchFunction('x')", "interface.getFlowsInfo()"} {
		got := eval(e.L, expr)
		if !contains(got, "is not provided by flowgate") {
			t.Errorf("%s = %q, want a 'not provided' error", expr, got)
		}
	}
}

// statusDefs mimics what flow_consts gives scripts: 4.2 status_types with
// create(), and a 4.0-style definition table.
const statusDefs = `
local sev = {error = {severity_id = 5}, notice = {severity_id = 3}}
local remote = {status_key = 16, alert_severity = sev.notice, alert_type = {alert_key = 39}}
status_remote_to_remote = remote
function create_remote(params)
  return {status_type = remote, alert_type = remote.alert_type, alert_severity = remote.alert_severity,
          alert_type_params = params}
end
status_blacklisted_40 = {status_id = 1, alert_severity = sev.error, alert_type = {alert_key = 8}}
`

func TestTriggerStatus(t *testing.T) {
	cases := []struct {
		name, call string
		status     int
		typ        int
		sev        alerts.Severity
		param      string // expected inside alert_json
	}{
		{"4.2", `flow.triggerStatus(create_remote({cli="x"}), 50, 10, 10)`, 16, 39, alerts.SeverityNotice, `cli`},
		{"4.0", `flow.triggerStatus(status_blacklisted_40, {why="list"}, 100, 50, 50)`, 1, 8, alerts.SeverityError, `why`},
		{"4.2 C setStatus", `flow.setStatus(26, 20, 5, 5, "udp_unidirectional")`, 26, 51, alerts.SeverityNotice, `udp_unidirectional`},
		{"4.0 setStatus", `flow.setStatus(status_remote_to_remote, 20, 5, 5)`, 16, 39, alerts.SeverityNotice, `ntopng.key`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Deps{})
			e.process(tlsFlow)
			if err := e.L.DoString(statusDefs); err != nil {
				t.Fatal(err)
			}
			e.inFlow(t, 51000, func() {
				if got := eval(e.L, c.call); got != "true" {
					t.Fatalf("%s returned %q", c.call, got)
				}
				if got := eval(e.L, "flow.isStatusSet("+strconv.Itoa(c.status)+")"); got != "true" {
					t.Errorf("isStatusSet = %s", got)
				}
				if got := eval(e.L, "flow.getAlertedStatus()"); got != strconv.Itoa(c.status) {
					t.Errorf("getAlertedStatus = %s, want %d", got, c.status)
				}
				if e.ctx.Flow.Status != 1<<uint(c.status) {
					t.Errorf("engine status bitmap %b", e.ctx.Flow.Status)
				}
				// Setting the same status again is a no-op and stores nothing.
				if got := eval(e.L, c.call); got != "false" {
					t.Errorf("second call returned %s, want false", got)
				}
			})
			rows, n := e.store.List(alerts.Query{})
			if n != 1 {
				t.Fatalf("%d alerts stored, want 1", n)
			}
			a := rows[0]
			if a.Entity != alerts.EntityFlow || a.EntityVal != "flow" || a.Action != alerts.ActionStore {
				t.Errorf("alert entity/action = %v %q %v", a.Entity, a.EntityVal, a.Action)
			}
			if a.Type != c.typ || a.Severity != c.sev {
				t.Errorf("type %d severity %v, want %d %v", a.Type, a.Severity, c.typ, c.sev)
			}
			if a.Flow == nil || a.Flow.Status != c.status || a.Flow.Cli.Addr != "192.168.1.10" || a.Flow.Srv.Port != 443 ||
				a.Flow.ProtoNDPI != "TLS.Google" || !a.Flow.Cli.Localhost {
				t.Errorf("flow fields %+v", a.Flow)
			}
			if !contains(a.JSON, c.param) || !contains(a.JSON, "status_info") {
				t.Errorf("alert_json %s lacks %q", a.JSON, c.param)
			}
		})
	}
}

func TestTriggerStatusHigherScoreReplaces(t *testing.T) {
	e := newEnv(t, Deps{})
	e.process(tlsFlow)
	e.inFlow(t, 51000, func() {
		for _, call := range []string{
			`flow.setStatus(16, 50, 0, 0, "a")`, // alerted
			`flow.setStatus(19, 10, 0, 0, "b")`, // lower score: status only
			`flow.setStatus(4, 100, 0, 0, "c")`, // higher: re-alerted, replace_alert
		} {
			if got := eval(e.L, call); got != "true" {
				t.Fatalf("%s = %s", call, got)
			}
		}
		if got := eval(e.L, "flow.getAlertedStatus()"); got != "4" {
			t.Errorf("alerted status %s, want 4", got)
		}
		if got := eval(e.L, "flow.getStatus()"); got != strconv.Itoa(1<<16|1<<19|1<<4) {
			t.Errorf("status bitmap %s", got)
		}
		if got := eval(e.L, "flow.clearStatus(19)"); got != "true" || e.ctx.Flow.Status&(1<<19) != 0 {
			t.Errorf("clearStatus: %s, bitmap %b", got, e.ctx.Flow.Status)
		}
	})
	rows, n := e.store.List(alerts.Query{SortBy: "id", Asc: true})
	if n != 2 || rows[0].Flow.ReplaceAlert || !rows[1].Flow.ReplaceAlert || rows[1].Flow.Status != 4 {
		t.Fatalf("alerts: %d %+v", n, rows)
	}
}

func TestTriggerStatusBadArgs(t *testing.T) {
	e := newEnv(t, Deps{})
	e.process(tlsFlow)
	e.inFlow(t, 51000, func() {
		if got := eval(e.L, "flow.triggerStatus({foo=1})"); !contains(got, "status") {
			t.Errorf("triggerStatus without a status: %q", got)
		}
		if got := eval(e.L, "flow.setStatus(0, 1, 1, 1, 'x')"); got != "false" {
			t.Errorf("setStatus(0) = %s, want false", got)
		}
	})
}

// TestHostKey: host keys read "address@vlan" as ntopng writes them, for
// every address form.
func TestHostKey(t *testing.T) {
	for _, c := range []struct {
		ip   string
		vlan uint16
		want string
	}{
		{"10.0.0.1", 0, "10.0.0.1@0"}, {"192.168.1.254", 65535, "192.168.1.254@65535"},
		{"2001:db8::1", 7, "2001:db8::1@7"}, {"::ffff:10.1.2.3", 1, "::ffff:10.1.2.3@1"},
		{"fe80::1%a-long-interface-zone-name-that-overflows", 12, "fe80::1%a-long-interface-zone-name-that-overflows@12"},
	} {
		if got := hostKey(netip.MustParseAddr(c.ip), c.vlan); got != c.want {
			t.Errorf("hostKey(%s, %d) = %q, want %q", c.ip, c.vlan, got, c.want)
		}
	}
}
