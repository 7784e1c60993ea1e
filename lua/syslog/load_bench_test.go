package syslog

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	collector "flowgate/collectors/syslog"
	"flowgate/engine"
)

const countHandler = `
local n = 0
local s = { hooks = {} }
function s.hooks.handleEvent(conf, msg, host, prio) n = n + 1 end
return s
`

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// udpRcvbufErrors reads the kernel's UDP receive-buffer drop counter.
func udpRcvbufErrors() uint64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var hdr []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "Udp: ") {
			continue
		}
		f := strings.Fields(l)
		if hdr == nil {
			hdr = f
			continue
		}
		for i, h := range hdr {
			if h == "RcvbufErrors" && i < len(f) {
				n, _ := strconv.ParseUint(f[i], 10, 64)
				return n
			}
		}
	}
	return 0
}

// BenchmarkLoad is the end-to-end load run bench/syslog.sh drives: a sender
// over loopback, the collector, the Lua runtime and a handler (a counter, or
// flowgate's suricata.lua on EVE flow records), for
// FLOWGATE_SYSLOG_DURATION (default 2s). FLOWGATE_SYSLOG_TRANSPORT is tcp
// (octet-counted; as fast as it goes, or paced at FLOWGATE_SYSLOG_RATE
// when set) or udp (paced at FLOWGATE_SYSLOG_RATE msgs/s, default 300000,
// to show zero loss at the socket); FLOWGATE_SYSLOG_HANDLER is count or suricata.
func BenchmarkLoad(b *testing.B) {
	dur, err := time.ParseDuration(envOr("FLOWGATE_SYSLOG_DURATION", "2s"))
	if err != nil {
		b.Fatal(err)
	}
	transport := envOr("FLOWGATE_SYSLOG_TRANSPORT", "tcp")
	handlerName := envOr("FLOWGATE_SYSLOG_HANDLER", "count")
	rate, _ := strconv.Atoi(envOr("FLOWGATE_SYSLOG_RATE", "300000"))
	tcpRate := 0 // unpaced unless asked
	if v := os.Getenv("FLOWGATE_SYSLOG_RATE"); v != "" {
		tcpRate = rate
	}

	var dir, line string
	switch handlerName {
	case "count":
		dir = writeScripts(b, map[string]string{"loadtest": countHandler})
		line = "<14>Nov 22 00:30:00 host01 loadtest[42]: user alice logged in from 192.0.2.10 port 52211 ssh2"
	case "suricata":
		dir = copyScripts(b, "../../deploy/scripts/callbacks/syslog/suricata.lua")
		line = ""
	default:
		b.Fatalf("handler %q", handlerName)
	}
	readers, _ := strconv.Atoi(envOr("FLOWGATE_SYSLOG_UDP_READERS", "0"))
	ccfg := collector.Configuration{Transport: transport, UDPBuffer: 32 << 20, UDPReaders: readers}
	workers, _ := strconv.Atoi(envOr("FLOWGATE_SYSLOG_WORKERS", "1"))
	f, col := startPipeline(b, dir, Configuration{QueueSize: 1 << 18, Workers: workers}, ccfg)
	_ = f
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000") + "+0000"
	msg := func(i int) string {
		if line != "" {
			return line
		}
		// Distinct 5-tuples over a bounded set, like a real IDS feed.
		return fmt.Sprintf(`<14>Nov 22 00:30:00 ids01 suricata[3121]: {"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"10.%d.%d.%d","src_port":%d,"dest_ip":"192.0.2.%d","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":10,"pkts_toclient":12,"bytes_toserver":1500,"bytes_toclient":9000,"start":"%s","end":"%s"}}`,
			now, i, (i>>16)&255, (i>>8)&255, i&255, 1024+i%50000, i%200, now, now)
	}
	// Pre-render a ring of messages so the sender is cheap.
	ring := make([][]byte, 4096)
	for i := range ring {
		ring[i] = []byte(msg(i))
	}
	drops0 := udpRcvbufErrors()
	var sent atomic.Uint64
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		deadline := start.Add(dur)
		switch transport {
		case "tcp":
			conn, err := net.Dial("tcp", col.TCPAddr())
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriterSize(conn, 256<<10)
			perSlice := max(tcpRate/1000, 1)
			next := time.Now()
			for i := 0; ; i++ {
				if i&1023 == 0 && time.Now().After(deadline) {
					break
				}
				m := ring[i&4095]
				w.WriteString(strconv.Itoa(len(m)))
				w.WriteByte(' ')
				w.Write(m)
				sent.Add(1)
				if tcpRate > 0 && i%perSlice == perSlice-1 {
					// Paced: flush a 1 ms slice, then wait for the next.
					w.Flush()
					next = next.Add(time.Millisecond)
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
				}
			}
			w.Flush()
			conn.Close()
		case "udp":
			conn, err := net.Dial("udp", col.UDPAddr())
			if err != nil {
				b.Fatal(err)
			}
			// Paced in 1 ms slices.
			perSlice := max(rate/1000, 1)
			next := time.Now()
			for i := 0; time.Now().Before(deadline); {
				for j := 0; j < perSlice; j++ {
					if _, err := conn.Write(ring[i&4095]); err == nil {
						sent.Add(1)
					}
					i++
				}
				next = next.Add(time.Millisecond)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
			}
			conn.Close()
		default:
			b.Fatalf("transport %q", transport)
		}
	}
	sendDone := time.Since(start)
	// Wait for the socket to drain and the handlers to finish.
	want := sent.Load()
	drainDeadline := time.Now().Add(30 * time.Second)
	for col.Stats().Received < want && time.Now().Before(drainDeadline) {
		time.Sleep(5 * time.Millisecond)
	}
	f.rt.WaitIdle(60 * time.Second)
	total := time.Since(start)
	b.StopTimer()
	cs := col.Stats()
	t := f.rt.Totals()
	b.ReportMetric(float64(cs.Received)/total.Seconds(), "msgs/s")
	b.ReportMetric(float64(want)/sendDone.Seconds(), "sent/s")
	b.ReportMetric(float64(want-min(cs.Received, want)), "socket_lost")
	b.ReportMetric(float64(udpRcvbufErrors()-drops0), "kernel_rcvbuf_drops")
	b.ReportMetric(float64(t.Dropped), "queue_dropped")
	b.ReportMetric(float64(t.Handled), "handled")
	b.ReportMetric(float64(t.Flows), "flows")
	b.ReportMetric(float64(t.Errors), "errors")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkHandlerSuricata is the handler side alone: events delivered
// straight to the runtime, flowgate's suricata.lua decoding EVE flow
// records and calling interface.processFlow (ns/op per event).
func BenchmarkHandlerSuricata(b *testing.B) {
	dir := copyScripts(b, "../../deploy/scripts/callbacks/syslog/suricata.lua")
	f := newFixture(b, dir, Configuration{QueueSize: 1 << 16})
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000") + "+0000"
	evs := make([]engine.LogEvent, 1024)
	for i := range evs {
		evs[i] = engine.LogEvent{Producer: "suricata", Host: "ids01", Priority: 14, Message: fmt.Sprintf(
			`{"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"10.0.%d.%d","src_port":%d,"dest_ip":"192.0.2.%d","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":10,"pkts_toclient":12,"bytes_toserver":1500,"bytes_toclient":9000,"start":"%s","end":"%s"}}`,
			now, i, i>>8, i&255, 1024+i, i%200, now, now)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for f.rt.Deliver(&evs[i&1023]) == engine.LogDropped {
			time.Sleep(10 * time.Microsecond)
		}
	}
	f.rt.WaitIdle(time.Minute)
}

// BenchmarkHandlerCount: the same with a handler that only counts.
func BenchmarkHandlerCount(b *testing.B) {
	dir := writeScripts(b, map[string]string{"loadtest": countHandler})
	f := newFixture(b, dir, Configuration{QueueSize: 1 << 16})
	ev := engine.LogEvent{Producer: "loadtest", Host: "h", Priority: 14, Message: "user alice logged in"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for f.rt.Deliver(&ev) == engine.LogDropped {
			time.Sleep(10 * time.Microsecond)
		}
	}
	f.rt.WaitIdle(time.Minute)
}
