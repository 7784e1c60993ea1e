package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testwait"
	"flowgate/snmp/snmptest"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type client struct {
	t    *testing.T
	base string
	user string
	pass string
}

// get returns the decoded envelope and the HTTP status.
func (c *client) get(path string) (map[string]any, int) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &env); err != nil {
			c.t.Fatalf("%s: %v\n%s", path, err, raw)
		}
	} else {
		env = map[string]any{"text": string(raw)}
	}
	return env, resp.StatusCode
}

func (c *client) rsp(path string) map[string]any {
	c.t.Helper()
	env, code := c.get(path)
	if code != 200 || env["rc"].(float64) != 0 {
		c.t.Fatalf("%s: HTTP %d %v", path, code, env)
	}
	return env["rsp"].(map[string]any)
}

func num(v any) uint64 { f, _ := v.(float64); return uint64(f) }

// startApp runs flowgate with the given extra arguments on free ports.
func startApp(t *testing.T, extra ...string) (*app, int) {
	t.Helper()
	zport := freePort(t)
	args := append([]string{
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport),
		"-w", "127.0.0.1:0",
		"-d", t.TempDir(),
		"-m", "10.1.0.0/16",
	}, extra...)
	opts, err := parseArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.stop)
	return a, zport
}

// TestEndToEnd: the emulator publishes over ZMQ; the REST totals equal what
// it reports having sent, before and after idle expiry of the flows, with
// one engine goroutine and with the interface split over two shards.
func TestEndToEnd(t *testing.T) {
	for _, shards := range []string{"1", "2"} {
		t.Run(shards+" shards", func(t *testing.T) { endToEnd(t, shards) })
	}
}

func endToEnd(t *testing.T, shards string) {
	a, zport := startApp(t, "--disable-login", "--flow-idle-timeout", "1", "--engine-shards", shards)
	c := &client{t: t, base: "http://" + a.http.Addr()}
	send := func(first uint32, churn float64, total int64) emulator.Report {
		rep, err := emulator.Run(context.Background(), emulator.Config{
			Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
			Batch: 100, Total: total, Hosts: 20, Flows: 500, Churn: churn, FirstMsgID: first,
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	waitRecords := func(n uint64) map[string]any {
		var d map[string]any
		testwait.Wait(testwait.Timeout, func() bool {
			d = c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=0")
			return num(d["zmqRecvStats"].(map[string]any)["flows"]) >= n
		})
		return d
	}
	rep := send(1, 0, 2000) // 500 flows updated 4 times
	d := waitRecords(rep.Flows)
	if num(d["bytes"]) != rep.Bytes || num(d["packets"]) != rep.Packets {
		t.Fatalf("interface bytes/packets %d/%d, emulator sent %d/%d", num(d["bytes"]), num(d["packets"]), rep.Bytes, rep.Packets)
	}
	if num(d["num_flows"]) != rep.DistinctFlows || num(d["num_hosts"]) != uint64(rep.Hosts) || num(d["num_local_hosts"]) != uint64(rep.Hosts) {
		t.Fatalf("flows %v hosts %v local %v, emulator: %d flows %d hosts", d["num_flows"], d["num_hosts"], d["num_local_hosts"], rep.DistinctFlows, rep.Hosts)
	}
	zs := d["zmqRecvStats"].(map[string]any)
	if num(zs["zmq_msg_rcvd"]) != rep.Messages || num(zs["zmq_msg_drops"]) != 0 || num(zs["dropped_flows"]) != 0 {
		t.Errorf("zmqRecvStats %v, emulator sent %d messages", zs, rep.Messages)
	}

	// Host totals add up to the same bytes (each byte is sent by one host
	// and received by another).
	hostTotals := func(when string) {
		hosts := c.rsp("/lua/rest/v2/get/host/active.lua?ifid=0&perPage=1000")
		var sent, rcvd uint64
		for _, h := range hosts["data"].([]any) {
			b := h.(map[string]any)["bytes"].(map[string]any)
			sent += num(b["sent"])
			rcvd += num(b["recvd"])
		}
		if sent != rep.Bytes || rcvd != rep.Bytes || num(hosts["totalRows"]) != uint64(rep.Hosts) {
			t.Errorf("%s: hosts sent %d received %d rows %v; want %d each, %d rows", when, sent, rcvd, hosts["totalRows"], rep.Bytes, rep.Hosts)
		}
	}
	hostTotals("active flows")
	flows := c.rsp("/lua/rest/v2/get/flow/active.lua?ifid=0&perPage=5&sortColumn=bytes")
	if num(flows["totalRows"]) != rep.DistinctFlows || len(flows["data"].([]any)) != 5 {
		t.Errorf("flow list totalRows %v, %d rows", flows["totalRows"], len(flows["data"].([]any)))
	}

	// Idle expiry: the flows end, the totals stay.
	testwait.Wait(testwait.Timeout, func() bool {
		d = c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=0")
		return num(d["num_flows"]) == 0
	})
	if num(d["num_flows"]) != 0 {
		t.Fatalf("flows did not expire: %v", d["num_flows"])
	}
	if num(d["bytes"]) != rep.Bytes || num(d["packets"]) != rep.Packets || num(d["num_hosts"]) != uint64(rep.Hosts) {
		t.Errorf("after expiry: bytes %d packets %d hosts %d, want %d %d %d", num(d["bytes"]), num(d["packets"]), num(d["num_hosts"]), rep.Bytes, rep.Packets, rep.Hosts)
	}
	hostTotals("flows expired") // hosts outlive their flows (host idle 300 s)
	// A second run with new flows: the interface keeps adding up.
	rep2 := send(uint32(rep.Messages)+1, 100, 1000)
	d = waitRecords(rep.Flows + rep2.Flows)
	if num(d["bytes"]) != rep.Bytes+rep2.Bytes || num(d["num_flows"]) != rep2.DistinctFlows {
		t.Errorf("after second run: bytes %d want %d, flows %v want %d", num(d["bytes"]), rep.Bytes+rep2.Bytes, d["num_flows"], rep2.DistinctFlows)
	}
	host := c.rsp("/lua/rest/v2/get/host/data.lua?ifid=0&host=10.1.0.1")
	if host["ip"] != "10.1.0.1" || host["localhost"] != true || num(host["bytes.sent"]) == 0 {
		t.Errorf("host data %v", host)
	}
	// The emulator sends DNS over UDP and HTTP/TLS over TCP: the per-L4
	// split adds up to the host's totals.
	for _, dir := range []string{"sent", "rcvd"} {
		l4 := num(host["tcp.bytes."+dir]) + num(host["udp.bytes."+dir]) + num(host["icmp.bytes."+dir]) + num(host["other_ip.bytes."+dir])
		if l4 != num(host["bytes."+dir]) || num(host["tcp.bytes."+dir]) == 0 || num(host["udp.bytes."+dir]) == 0 {
			t.Errorf("per-L4 bytes %s: tcp %v udp %v sum %d, total %v", dir, host["tcp.bytes."+dir], host["udp.bytes."+dir], l4, host["bytes."+dir])
		}
	}
	m, _ := c.get("/metrics")
	if text := m["text"].(string); !strings.Contains(text, `flowgate_interface_flow_records_total{ifid="0"`) || !strings.Contains(text, "flowgate_zmtp_connections_total") {
		t.Errorf("metrics:\n%s", text)
	}
}

func TestRESTErrorsAndLogin(t *testing.T) {
	a, _ := startApp(t, "--admin-password", "s3cret")
	base := "http://" + a.http.Addr()
	anon := &client{t: t, base: base}
	env, code := anon.get("/lua/rest/v2/get/ntopng/interfaces.lua")
	if code != 401 || env["rc_str"] != "NOT_GRANTED" {
		t.Errorf("no credentials: HTTP %d %v", code, env)
	}
	bad := &client{t: t, base: base, user: "admin", pass: "wrong"}
	if _, code := bad.get("/lua/rest/v2/get/ntopng/interfaces.lua"); code != 401 {
		t.Errorf("wrong password: HTTP %d", code)
	}
	c := &client{t: t, base: base, user: "admin", pass: "s3cret"}
	env, code = c.get("/lua/rest/v2/get/ntopng/interfaces.lua")
	if code != 200 {
		t.Fatalf("login: HTTP %d %v", code, env)
	}
	ifs := env["rsp"].([]any)
	if len(ifs) != 1 || num(ifs[0].(map[string]any)["ifid"]) != 0 {
		t.Errorf("interfaces %v", ifs)
	}
	for _, tc := range []struct{ path, rc string }{
		{"/lua/rest/v2/get/interface/data.lua?ifid=7", "INVALID_INTERFACE"},
		{"/lua/rest/v2/get/interface/data.lua", "INVALID_INTERFACE"},
		{"/lua/rest/v2/get/host/active.lua?ifid=x", "INVALID_INTERFACE"},
		{"/lua/rest/v2/get/host/data.lua?ifid=0&host=10.9.9.9", "INVALID_HOST"},
		{"/lua/rest/v2/get/host/data.lua?ifid=0&host=not-an-ip", "INVALID_HOST"},
		{"/lua/rest/v2/get/host/active.lua?ifid=0&sortColumn=bogus", "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/flow/active.lua?ifid=0&currentPage=0", "INVALID_ARGUMENTS"},
		{"/lua/rest/v2/get/no/such.lua", "NOT_FOUND"},
	} {
		env, code := c.get(tc.path)
		if env["rc_str"] != tc.rc || code == 200 {
			t.Errorf("%s: HTTP %d %v, want %s", tc.path, code, env, tc.rc)
		}
	}
}

// TestPcapInterface: `-i FILE.pcapng` replays a capture into the same
// engine and REST as ZMQ flows, beside a ZMQ interface.
func TestPcapInterface(t *testing.T) {
	a, _ := startApp(t, "--disable-login", "-i", "../../collectors/packet/testdata/gopacket_tls.pcapng")
	c := &client{t: t, base: "http://" + a.http.Addr()}
	env, _ := c.get("/lua/rest/v2/get/ntopng/interfaces.lua")
	if ifs := env["rsp"].([]any); len(ifs) != 2 {
		t.Fatalf("interfaces %v", ifs)
	}
	var flows map[string]any
	testwait.Wait(testwait.Timeout, func() bool {
		flows = c.rsp("/lua/rest/v2/get/flow/active.lua?ifid=1")
		return num(flows["totalRows"]) > 0
	})
	rows, _ := flows["data"].([]any)
	if len(rows) == 0 {
		t.Fatal("no flow from the capture")
	}
	f := rows[0].(map[string]any)
	if p := f["protocol"].(map[string]any); p["l7"] != "TLS" || f["server"].(map[string]any)["port"] != float64(443) {
		t.Errorf("flow %v", f)
	}
}

// TestSyslogSuricata: `-i syslog://…` with the Suricata handler flowgate
// installs into a new scripts dir; an EVE flow record sent over UDP becomes
// a flow of the syslog interface, visible over REST.
func TestSyslogSuricata(t *testing.T) {
	port := freePort(t)
	a, _ := startApp(t, "--disable-login", "-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", port), "--syslog-producers", "*=suricata")
	c := &client{t: t, base: "http://" + a.http.Addr()}
	conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	eve := `{"timestamp":"2026-11-22T00:30:00.000100+0000","flow_id":1001,"event_type":"flow","src_ip":"192.168.10.5","src_port":51514,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1800,"bytes_toclient":9200,"start":"2026-11-22T00:29:50.000000+0000","end":"2026-11-22T00:29:59.000000+0000","age":9,"state":"closed","reason":"timeout"}}`
	var flows map[string]any
	testwait.Wait(testwait.Timeout, func() bool {
		// UDP: resend until the listener has it (the first datagram may
		// arrive before the handler state exists only in theory; the
		// flow is merged, not duplicated, on a resend).
		fmt.Fprintf(conn, "<134>Nov 22 00:30:00 ids suricata[123]: %s", eve)
		flows = c.rsp("/lua/rest/v2/get/flow/active.lua?ifid=1")
		return num(flows["totalRows"]) > 0
	})
	rows, _ := flows["data"].([]any)
	if len(rows) != 1 {
		st, _ := c.get("/lua/rest/v2/get/syslog/stats.lua")
		t.Fatalf("syslog interface flows: %v (syslog stats %v)", flows, st)
	}
	f := rows[0].(map[string]any)
	if f["client"].(map[string]any)["ip"] != "192.168.10.5" || f["server"].(map[string]any)["port"] != float64(443) {
		t.Errorf("flow %v", f)
	}
}

// TestSNMPDevice: `--snmp-device` polls a real snmpd; the device shows
// reachable, with its system group, over REST.
func TestSNMPDevice(t *testing.T) {
	agent := snmptest.StartAgent(t)
	a, _ := startApp(t, "--disable-login", "--snmp-device",
		fmt.Sprintf("snmp://%s@127.0.0.1:%d?version=2c", snmptest.ReadCommunity, agent.Port))
	c := &client{t: t, base: "http://" + a.http.Addr()}
	var dev map[string]any
	testwait.Wait(testwait.Timeout, func() bool {
		env, _ := c.get("/lua/rest/v2/get/snmp/device/list.lua")
		if list, ok := env["rsp"].([]any); ok && len(list) == 1 {
			dev = list[0].(map[string]any)
		}
		return dev != nil && dev["reachable"] == true
	})
	if dev == nil || dev["reachable"] != true {
		t.Fatalf("device %v", dev)
	}
	if b, _ := json.Marshal(dev); !strings.Contains(string(b), snmptest.SysName) {
		t.Errorf("system group not polled: %s", b)
	}
}
