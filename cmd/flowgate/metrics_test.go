package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
	"flowgate/snmp/snmptest"
)

// scrape is one GET /metrics: the text and its series ("name{labels}",
// labels as client_golang prints them: sorted) with their values.
type scrape struct {
	text   string
	series map[string]float64
}

func getMetrics(t *testing.T, base string) scrape {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: HTTP %d %v\n%s", resp.StatusCode, err, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics Content-Type %q", ct)
	}
	s := scrape{text: string(raw), series: map[string]float64{}}
	for _, l := range strings.Split(s.text, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics: bad line %q", l)
		}
		s.series[l[:i]] = v
	}
	return s
}

// has reports whether series exists with at least value min.
func (s scrape) has(series string, min float64) bool {
	v, ok := s.series[series]
	return ok && v >= min
}

// withPrefix lists the series starting with p.
func (s scrape) withPrefix(p string) []string {
	var out []string
	for k := range s.series {
		if strings.HasPrefix(k, p) {
			out = append(out, k)
		}
	}
	return out
}

// waitMetrics scrapes until every series in want has at least its value.
func waitMetrics(t *testing.T, base string, want map[string]float64) scrape {
	t.Helper()
	var s scrape
	testwait.ForState(t, "metrics", func() (any, bool) {
		s = getMetrics(t, base)
		var missing []string
		for k, v := range want {
			if !s.has(k, v) {
				missing = append(missing, fmt.Sprintf("%s >= %g (have %v)", k, v, s.series[k]))
			}
		}
		return missing, len(missing) == 0
	})
	return s
}

// writePcap writes a capture with one UDP packet 10.1.0.5:5000 ->
// 10.1.0.6:53 and, when truncated is set, one Ethernet frame whose IPv4
// header is cut short (a decode error, reason packet_ipv4).
func writePcap(t *testing.T, truncated bool) string {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(10, 1, 0, 5), DstIP: net.IPv4(10, 1, 0, 6)}
	udp := &layers.UDP{SrcPort: 5000, DstPort: 53}
	_ = udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload("flowgate")); err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{buf.Bytes()}
	if truncated {
		bad := append([]byte(nil), buf.Bytes()[:14]...) // the Ethernet header
		frames = append(frames, append(bad, 0x45, 0, 0, 40, 0, 0))
	}
	path := filepath.Join(t.TempDir(), "traffic.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for _, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// sendFlow publishes one flow to a collector-mode ZMQ interface, as nProbe
// --zmq-probe-mode would.
func sendFlow(t *testing.T, port int) {
	t.Helper()
	if _, err := emulator.Run(context.Background(), emulator.Config{
		Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", port), ProbeMode: true, Header: 3, TLV: true,
		Batch: 1, Total: 1, Hosts: 2, Flows: 1,
	}); err != nil {
		t.Fatal(err)
	}
}

func sendSyslog(t *testing.T, port int, msg string) {
	t.Helper()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "<134>Nov 22 00:30:00 fw app[1]: %s", msg); err != nil {
		t.Fatal(err)
	}
}

// TestMetricsPromtool: flowgate with every kind of input (two syslog
// interfaces, a ZMQ collector, a trap receiver, a pcap file, an SNMP
// device, a recipient), each fed a little traffic; /metrics passes
// `promtool check metrics`, and what it reports is what the REST reports.
func TestMetricsPromtool(t *testing.T) {
	promtool := testpeer.Command(t, "promtool", "prometheus")
	agent := snmptest.StartAgent(t)
	s1, s2, zport, tport := freeUDPPort(t), freeUDPPort(t), freePort(t), freeUDPPort(t)
	pcap := writePcap(t, true)
	alerts := filepath.Join(t.TempDir(), "alerts.jsonl")
	// ifids: syslog 0, zmq 1, syslog 2, pcap 3 (the trap receiver has no
	// engine interface).
	a := launch(t, "-d", t.TempDir(), "-m", "10.1.0.0/16",
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", s1),
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport),
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", s2),
		"-i", fmt.Sprintf("snmptrap://127.0.0.1:%d", tport),
		"-i", pcap,
		"--snmp-device", fmt.Sprintf("snmp://%s@127.0.0.1:%d?version=2c", snmptest.ReadCommunity, agent.Port),
		"--recipient", "file://"+alerts)
	base := "http://" + a.httpAddr()

	sendFlow(t, zport)
	sendSyslog(t, s1, "to the first syslog interface")
	sendSyslog(t, s2, "to the second syslog interface")
	if _, err := snmptest.Tool(t, "snmptrap", "-v", "2c", "-c", "public", fmt.Sprintf("127.0.0.1:%d", tport), "",
		"1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7"); err != nil {
		t.Fatal(err)
	}
	m := waitMetrics(t, base, map[string]float64{
		`flowgate_zmq_messages_total{ifid="1",ifname="tcp://127.0.0.1:` + strconv.Itoa(zport) + `c"}`:           1,
		`flowgate_zmtp_connections_total{ifid="1",kind="accepted"}`:                                             1,
		`flowgate_interface_flow_records_total{ifid="1",ifname="tcp://127.0.0.1:` + strconv.Itoa(zport) + `c"}`: 1,
		`flowgate_syslog_received_total{ifid="0"}`:                                                              1,
		`flowgate_syslog_received_total{ifid="2"}`:                                                              1,
		`flowgate_snmp_traps_total`:                                                                             1,
		`flowgate_snmp_polls_total`:                                                                             1,
		`flowgate_packet_packets_total{ifid="3"}`:                                                               2,
		`flowgate_packet_decode_errors_total{ifid="3",reason="packet_ipv4"}`:                                    1,
		`flowgate_recipient_sent_total{endpoint="file",recipient="` + recipientName(t, base) + `"}`:             1,
		`go_goroutines`:                 1,
		`process_resident_memory_bytes`: 1,
	})

	// promtool reads the exposition as Prometheus would and lints it
	// (HELP on every family, counter names, units).
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(m.text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	// docs/metrics.md lists every family flowgate serves.
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(m.text, "\n") {
		if f, ok := strings.CutPrefix(l, "# TYPE flowgate_"); ok {
			name := "flowgate_" + strings.Fields(f)[0]
			if !strings.Contains(string(doc), "| `"+name+"` |") {
				t.Errorf("docs/metrics.md does not list %s", name)
			}
		}
	}
	// One HELP and TYPE per family, whatever the number of interfaces.
	for _, f := range []string{"flowgate_syslog_received_total", "flowgate_syslog_producer_received_total", "flowgate_interface_bytes_total"} {
		if n := strings.Count(m.text, "# TYPE "+f+" "); n != 1 {
			t.Errorf("%d TYPE lines for %s", n, f)
		}
	}

	// A single unit of truth: the REST reads the counters /metrics reads
	// (the traffic has stopped, so both readings agree).
	m = getMetrics(t, base)
	c := &client{t: t, base: base}
	zmqStats := c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=1")["zmqRecvStats"].(map[string]any)
	if rest, prom := num(zmqStats["zmq_msg_rcvd"]), m.series[`flowgate_zmq_messages_total{ifid="1",ifname="tcp://127.0.0.1:`+strconv.Itoa(zport)+`c"}`]; rest != uint64(prom) {
		t.Errorf("zmq messages: REST %d, /metrics %g", rest, prom)
	}
	for _, ifid := range []int{0, 2} {
		l := c.rsp(fmt.Sprintf("/lua/rest/v2/get/syslog/stats.lua?ifid=%d", ifid))["listener"].(map[string]any)
		if rest, prom := num(l["received"]), m.series[fmt.Sprintf(`flowgate_syslog_received_total{ifid="%d"}`, ifid)]; rest != uint64(prom) || rest != 1 {
			t.Errorf("syslog ifid %d received: REST %d, /metrics %g, want 1", ifid, rest, prom)
		}
	}
	d := c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=3")
	if rest, prom := num(d["bytes"]), m.series[`flowgate_interface_bytes_total{ifid="3",ifname="`+pcap+`"}`]; rest != uint64(prom) || rest == 0 {
		t.Errorf("pcap interface bytes: REST %d, /metrics %g", rest, prom)
	}
}

// recipientName is the name flowgate gave the --recipient (from REST).
func recipientName(t *testing.T, base string) string {
	t.Helper()
	env, _ := (&client{t: t, base: base}).get("/lua/rest/v2/get/recipient/list.lua")
	list, _ := env["rsp"].([]any)
	if len(list) != 1 {
		t.Fatalf("recipients: %v", env)
	}
	return list[0].(map[string]any)["name"].(string)
}

// TestMetricsInterfaceLabels: the ifid of the ZMTP and ZMQ families is the
// engine interface id the REST uses, also when a syslog -i comes first;
// packet decode errors are in the packet family of the pcap interface,
// never in the ZMQ one.
func TestMetricsInterfaceLabels(t *testing.T) {
	zport := freePort(t)
	pcap := writePcap(t, true)
	a := launch(t, "-d", t.TempDir(),
		"-i", fmt.Sprintf("syslog://127.0.0.1:%d@udp", freeUDPPort(t)),
		"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport),
		"-i", pcap)
	base := "http://" + a.httpAddr()
	c := &client{t: t, base: base}
	if d := c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=1"); d["ifname"] != fmt.Sprintf("tcp://127.0.0.1:%dc", zport) {
		t.Fatalf("ifid 1 is %v, want the ZMQ interface", d["ifname"])
	}
	sendFlow(t, zport)
	m := waitMetrics(t, base, map[string]float64{
		`flowgate_zmtp_connections_total{ifid="1",kind="accepted"}`:          1,
		`flowgate_zmtp_handshakes_total{ifid="1"}`:                           1,
		`flowgate_packet_decode_errors_total{ifid="2",reason="packet_ipv4"}`: 1,
		`flowgate_packet_packets_total{ifid="2"}`:                            2,
	})
	for _, p := range []string{"flowgate_zmtp_", "flowgate_zmq_"} {
		for _, s := range m.withPrefix(p) {
			if !strings.Contains(s, `ifid="1"`) {
				t.Errorf("%s is not labelled with the ZMQ interface's ifid 1", s)
			}
		}
	}
	if got := m.withPrefix("flowgate_packet_decode_errors_total"); len(got) != 1 {
		t.Errorf("packet decode error series %v, want the one packet_ipv4 of ifid 2", got)
	}
	for _, s := range m.withPrefix("flowgate_packet_") {
		if !strings.Contains(s, `ifid="2"`) {
			t.Errorf("%s is not labelled with the pcap interface's ifid 2", s)
		}
	}
	// The REST's per-interface decode errors are the same counters.
	d := c.rsp("/lua/rest/v2/get/interface/data.lua?ifid=2")
	if errs, _ := d["decode_errors"].(map[string]any); num(errs["packet_ipv4"]) != 1 || len(errs) != 1 {
		t.Errorf("REST decode_errors of the pcap interface: %v", d["decode_errors"])
	}
	if strings.Contains(m.text, `flowgate_zmq_decode_errors_total{ifid="2"`) {
		t.Error("packet decode errors counted as ZMQ decode errors")
	}
}
