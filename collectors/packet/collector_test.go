package packet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/engine"
	"flowgate/internal/testpeer"
)

// mixedCapture has many TCP and UDP conversations, L7 ones included.
func mixedCapture(t testing.TB) *capture {
	c, _ := l7Capture(t)
	for i := range 40 {
		cv := &conv{c: c, cli: fmt.Sprintf("10.1.%d.%d", i/200, 1+i%200), srv: "10.9.0.1", cport: uint16(30000 + i), sport: uint16(1000 + i%7),
			cliSeq: uint32(i * 1000), srvSeq: 77, rtt: time.Millisecond}
		if i%5 == 0 {
			cv.vlan = 10
		}
		cv.open()
		cv.send(true, []byte("ping"))
		cv.send(false, []byte("pong!"))
		if i%2 == 0 {
			cv.close()
		}
		c.wait(10 * time.Millisecond)
	}
	for i := range 25 {
		c.udp(fmt.Sprintf("10.2.0.%d", 1+i), "10.9.0.2", uint16(20000+i), 5000, []byte("q"))
		c.udp("10.9.0.2", fmt.Sprintf("10.2.0.%d", 1+i), 5000, uint16(20000+i), []byte("r"))
	}
	for i := range 5 {
		c.udp(fmt.Sprintf("2001:db8::%d", 1+i), "2001:db8::ff", uint16(21000+i), 6000, []byte("v6"))
	}
	v6 := &conv{c: c, cli: "2001:db8::a", srv: "2001:db8::b", cport: 45000, sport: 80, cliSeq: 9, srvSeq: 99, v6: true, rtt: time.Millisecond}
	v6.open()
	v6.send(true, []byte("GET / HTTP/1.1\r\nHost: v6.example\r\n\r\n"))
	v6.send(false, []byte("HTTP/1.1 200 OK\r\n\r\n"))
	v6.close()
	return c
}

func runFile(t *testing.T, cfg Configuration) (*Collector, *engine.Interface, *engine.Engine) {
	t.Helper()
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface(filepath.Base(cfg.Source), "pcap")
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	cfg.File = true
	col, err := New(cfg, iface)
	if err != nil {
		t.Fatal(err)
	}
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-col.Done():
	case <-time.After(60 * time.Second):
		t.Fatal("replay did not end")
	}
	col.Stop()
	return col, iface, eng
}

type engFlow struct {
	proto        uint8
	l7           uint16
	pkts, bytes  uint64
	latency      bool
	sni, httpURL string
}

func engineFlows(iface *engine.Interface) map[string]engFlow {
	m := map[string]engFlow{}
	iface.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			k := fmt.Sprintf("%d %s:%d %s:%d", f.Proto(), f.Client(), f.ClientPort(), f.Server(), f.ServerPort())
			m[k] = engFlow{proto: f.Proto(), l7: f.L7(), pkts: f.Packets(), bytes: f.Bytes(), latency: f.HasLatency == 3,
				sni: f.TLSServerName(), httpURL: f.HTTPURL()}
			return true
		})
	})
	return m
}

// tsharkConversations counts the TCP and UDP conversations tshark sees.
func tsharkConversations(t *testing.T, path string) (tcp, udp int) {
	tshark := testpeer.Command(t, "tshark", "tshark")
	out, err := exec.Command(tshark, "-r", path, "-q", "-z", "conv,tcp", "-z", "conv,udp").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	section := ""
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "TCP Conversations"):
			section = "tcp"
		case strings.HasPrefix(l, "UDP Conversations"):
			section = "udp"
		case strings.Contains(l, "<->"):
			if section == "tcp" {
				tcp++
			} else if section == "udp" {
				udp++
			}
		}
	}
	return tcp, udp
}

func TestFileReplayMatchesTshark(t *testing.T) {
	c := mixedCapture(t)
	for _, ng := range []bool{false, true} {
		name := "mixed.pcap"
		if ng {
			name = "mixed.pcapng"
		}
		t.Run(name, func(t *testing.T) {
			path := c.file(name, ng)
			wantTCP, wantUDP := tsharkConversations(t, path)
			col, iface, _ := runFile(t, Configuration{Source: path})
			flows := engineFlows(iface)
			var tcp, udp int
			var pkts, bytes uint64
			for _, f := range flows {
				switch f.proto {
				case 6:
					tcp++
				case 17:
					udp++
				}
				pkts += f.pkts
				bytes += f.bytes
			}
			if tcp != wantTCP || udp != wantUDP {
				t.Errorf("engine has %d TCP / %d UDP flows, tshark %d / %d", tcp, udp, wantTCP, wantUDP)
			}
			var wireBytes uint64
			for _, p := range c.pkts {
				wireBytes += uint64(len(p))
			}
			if pkts != uint64(len(c.pkts)) || bytes != wireBytes {
				t.Errorf("engine counted %d packets %d bytes, capture has %d / %d", pkts, bytes, len(c.pkts), wireBytes)
			}
			st := col.Stats()
			if st.Packets.Load() != uint64(len(c.pkts)) || st.Malformed.Load() != 0 {
				t.Errorf("stats packets %d malformed %d", st.Packets.Load(), st.Malformed.Load())
			}
			if f := flows["6 10.0.0.1:40001 10.0.0.80:8081"]; f.l7 != ndpiHTTP || f.httpURL != "/index.html?q=1" || !f.latency {
				t.Errorf("http flow in engine: %+v", f)
			}
			if f := flows["6 2001:db8::a:45000 2001:db8::b:80"]; f.l7 != ndpiHTTP || !f.latency || f.pkts != 8 {
				t.Errorf("ipv6 http flow in engine: %+v", f)
			}
			if f := flows["6 10.0.0.1:40002 10.0.0.43:8443"]; f.l7 != ndpiTLS || f.sni != "tls.example.net" {
				t.Errorf("tls flow in engine: %+v", f)
			}
			if iface.Collector().FlowRecords.Load() == 0 {
				t.Error("collector stats: no flow records")
			}
		})
	}
}

func TestFilter(t *testing.T) {
	c := mixedCapture(t)
	path := c.file("f.pcap", false)
	col, iface, _ := runFile(t, Configuration{Source: path, Filter: "udp and not (port 53 or ip6)"})
	for k, f := range engineFlows(iface) {
		if f.proto != 17 || strings.Contains(k, ":53 ") || strings.HasSuffix(k, ":53") || strings.Contains(k, "2001:") {
			t.Errorf("flow %s passed the filter", k)
		}
	}
	if col.Stats().Filtered.Load() == 0 {
		t.Error("nothing filtered")
	}
}

func TestPacedReplay(t *testing.T) {
	c := newCapture(t)
	for range 3 {
		c.udp("10.0.0.1", "10.0.0.2", 1, 2, nil)
		c.wait(20 * time.Millisecond)
	}
	col, iface, _ := runFile(t, Configuration{Source: c.file("p.pcap", false), Pace: true})
	if f := engineFlows(iface)["17 10.0.0.1:1 10.0.0.2:2"]; f.pkts != 3 || col.Err() != nil {
		t.Errorf("paced replay: %+v err %v", f, col.Err())
	}
}

func TestCaptureErrors(t *testing.T) {
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface("x", "packet")
	dir := t.TempDir()

	col, err := New(Configuration{Source: "fgnosuchif0"}, iface)
	if err != nil {
		t.Fatal(err)
	}
	never, _ := New(Configuration{Source: "lo"}, iface)
	never.Stop() // never started: returns at once
	if err := col.Start(); err == nil || !strings.Contains(err.Error(), "no network interface") {
		t.Errorf("missing interface: %v", err)
	}
	col.Stop() // safe after a failed Start

	notCap := filepath.Join(dir, "notes.pcap")
	_ = os.WriteFile(notCap, []byte("this is not a capture file at all"), 0o644)
	col, _ = New(Configuration{Source: notCap, File: true}, iface)
	if err := col.Start(); err == nil || !strings.Contains(err.Error(), "not a pcap or pcapng capture") {
		t.Errorf("not a capture: %v", err)
	}
	col, _ = New(Configuration{Source: filepath.Join(dir, "missing.pcap"), File: true}, iface)
	if err := col.Start(); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := New(Configuration{Source: "eth0", Filter: "port banana"}, iface); err == nil {
		t.Error("bad filter accepted")
	}
	if iface.Collector().DecodeErrors()["open"] != 3 {
		t.Errorf("open errors %v", iface.Collector().DecodeErrors())
	}

	// A capture cut in the middle of a packet: what was read is kept.
	c := mixedCapture(t)
	data := c.pcap()
	trunc := filepath.Join(dir, "trunc.pcap")
	_ = os.WriteFile(trunc, data[:len(data)-30], 0o644)
	col, iface2, _ := runFile(t, Configuration{Source: trunc})
	if col.Err() == nil || col.Stats().ReadErrors.Load() != 1 {
		t.Errorf("truncated capture: err %v read errors %d", col.Err(), col.Stats().ReadErrors.Load())
	}
	if n := len(engineFlows(iface2)); n < 70 {
		t.Errorf("truncated capture kept %d flows", n)
	}
}

func TestIsCaptureFile(t *testing.T) {
	for s, want := range map[string]bool{"eth1": false, "a.pcap": true, "/x/B.PCAPNG": true, "x.cap": true, "tcp://*:5556c": false} {
		if IsCaptureFile(s) != want {
			t.Errorf("IsCaptureFile(%q) != %v", s, want)
		}
	}
}

// TestRealCapture replays a real capture (a TLS download from 2022 that
// gopacket ships in its pcapng tests, BSD licence): tshark sees one TCP
// conversation with SNI www.baidu.com and JA3 f436b941...; ndpiReader says TLS.
func TestRealCapture(t *testing.T) {
	path := filepath.Join("testdata", "gopacket_tls.pcapng")
	wantTCP, wantUDP := tsharkConversations(t, path)
	col, iface, _ := runFile(t, Configuration{Source: path})
	flows := engineFlows(iface)
	if len(flows) != wantTCP+wantUDP || wantTCP != 1 {
		t.Fatalf("flows %v, tshark %d TCP %d UDP", flows, wantTCP, wantUDP)
	}
	f, ok := flows["6 172.16.71.4:46664 112.80.248.76:443"]
	if !ok || f.l7 != ndpiTLS || f.sni != "www.baidu.com" || f.pkts != 276 || !f.latency {
		t.Errorf("flow %+v", f)
	}
	var ja3 string
	iface.Do(func(tb *engine.Tables) {
		tb.Flows(func(f *engine.Flow) bool { ja3 = f.JA3C(); return false })
	})
	if ja3 != "f436b9416f37d134cadd04886327d3e8" {
		t.Errorf("ja3 %q", ja3)
	}
	if col.Stats().Malformed.Load() != 0 || col.Err() != nil {
		t.Errorf("malformed %v err %v", col.Stats().MalformedByReason(), col.Err())
	}
}
