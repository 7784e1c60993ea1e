package snmp

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"flowgate/alerts"
	"flowgate/snmp/snmptest"
)

// v2cTrap is one encoded v2c trap with a few varbinds, as agents send them.
func v2cTrap(b testing.TB) []byte {
	p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.SNMPv2Trap, RequestID: 1,
		Variables: []gosnmp.SnmpPDU{
			{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(12345)},
			{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.6.3.1.1.5.3"},
			{Name: ".1.3.6.1.2.1.2.2.1.1.3", Type: gosnmp.Integer, Value: 3},
			{Name: ".1.3.6.1.2.1.2.2.1.7.3", Type: gosnmp.Integer, Value: 1},
			{Name: ".1.3.6.1.2.1.2.2.1.8.3", Type: gosnmp.Integer, Value: 2},
		}}
	out, err := p.MarshalMsg()
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func benchReceiver(b *testing.B) (*TrapReceiver, net.Conn) {
	store := alerts.NewStore(alerts.Config{})
	r, err := NewTrapReceiver(TrapConfiguration{Addr: "127.0.0.1:0", Communities: []string{"public"}}, TrapDeps{Alerts: store})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.Stop)
	c, err := net.Dial("udp", r.Addr())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return r, c
}

// waitTraps waits until want traps arrived or none arrived for 200 ms, and
// returns when the last one was seen.
func waitTraps(r *TrapReceiver, want uint64) time.Time {
	last, lastAt := r.Counters().Traps, time.Now()
	for last < want && time.Since(lastAt) < 200*time.Millisecond {
		time.Sleep(2 * time.Millisecond)
		if n := r.Counters().Traps; n != last {
			last, lastAt = n, time.Now()
		}
	}
	return lastAt
}

// BenchmarkTrapReceiverPaced sends b.N v2c traps at 25,000/s (bursts of 25
// every millisecond) and reports the traps lost (0 is the goal): the
// receiver must keep up with 20,000 traps/s, alert store included.
func BenchmarkTrapReceiverPaced(b *testing.B) {
	r, c := benchReceiver(b)
	msg := v2cTrap(b)
	b.ResetTimer()
	start := time.Now()
	const perMs = 25
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if i%perMs == perMs-1 {
			next := start.Add(time.Duration(i/perMs+1) * time.Millisecond)
			for time.Now().Before(next) {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	el := waitTraps(r, uint64(b.N)).Sub(start)
	b.StopTimer()
	got := r.Counters().Traps
	b.ReportMetric(float64(uint64(b.N)-got), "lost")
	b.ReportMetric(float64(got)/el.Seconds(), "traps/s")
}

// BenchmarkTrapReceiverFlood sends as fast as the socket takes and reports
// the rate the receiver decoded and stored, and the loss.
func BenchmarkTrapReceiverFlood(b *testing.B) {
	r, c := benchReceiver(b)
	msg := v2cTrap(b)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	el := waitTraps(r, uint64(b.N)).Sub(start)
	b.StopTimer()
	got := r.Counters().Traps
	b.ReportMetric(100*float64(uint64(b.N)-got)/float64(b.N), "lost%")
	b.ReportMetric(float64(got)/el.Seconds(), "traps/s")
}

// BenchmarkPollVsBulkwalk polls an agent's interfaces (ifXTable HC octet
// counters and names, as one multi-column walk) and walks the same columns
// with net-snmp's snmpbulkwalk, and reports both times and their ratio
// (flowgate/net-snmp; ≤ 1 is the goal). The agent is started here; run
// inside a network namespace with 1,000 interfaces (bench/snmp.sh) for
// the figure. FLOWGATE_SNMP_EXPECT_IFACES=N checks the count.
func BenchmarkPollVsBulkwalk(b *testing.B) {
	a := snmptest.StartAgent(b)
	target := "127.0.0.1:" + strconv.Itoa(a.Port)
	cols := []string{oidIfXEntry + "1.", oidIfXEntry + "6.", oidIfXEntry + "10."}
	d := DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: "public"}
	_ = d.normalize()
	walk := func() (int, map[string]bool) {
		g := d.client(5*time.Second, 1)
		if err := g.Connect(); err != nil {
			b.Fatal(err)
		}
		defer g.Conn.Close()
		n := 0
		names := map[string]bool{}
		if _, err := walkColumns(g, cols, 25, func(col int, _ string, v gosnmp.SnmpPDU) bool {
			n++
			if col == 0 {
				var s string
				str(&s, v)
				names[s] = true
			}
			return true
		}); err != nil {
			b.Fatal(err)
		}
		return n, names
	}
	n, names := walk()
	rows := n / len(cols)
	if want := os.Getenv("FLOWGATE_SNMP_EXPECT_IFACES"); want != "" {
		w, _ := strconv.Atoi(want)
		if rows < w {
			b.Fatalf("%d interfaces polled, want at least %d", rows, w)
		}
		for i := 0; i < w-1; i++ {
			if !names[fmt.Sprintf("fgd%d", i)] {
				b.Fatalf("interface fgd%d missing from the names", i)
			}
		}
	}
	bin, err := exec.LookPath("snmpbulkwalk")
	if err != nil {
		b.Skip("snmpbulkwalk not installed (apt-get install snmp)")
	}
	bulkwalk := func() int {
		total := 0
		for _, c := range cols {
			cmd := exec.Command(bin, "-v2c", "-c", "public", "-Cr25", "-On", "-Oq", target, strings.TrimSuffix(c, "."))
			cmd.Env = append(os.Environ(), "MIBS=", "SNMPCONFPATH=/nonexistent")
			out, err := cmd.Output()
			if err != nil {
				b.Fatal(err)
			}
			total += strings.Count(string(out), "\n")
		}
		return total
	}
	if got := bulkwalk(); got != n {
		b.Logf("snmpbulkwalk saw %d values, flowgate %d", got, n)
	}
	b.ResetTimer()
	var ours, theirs time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		walk()
		t1 := time.Now()
		bulkwalk()
		ours += t1.Sub(t0)
		theirs += time.Since(t1)
	}
	b.StopTimer()
	b.ReportMetric(float64(rows), "ifaces")
	b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "flowgate-ms")
	b.ReportMetric(float64(theirs.Milliseconds())/float64(b.N), "bulkwalk-ms")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "ratio")
}

// BenchmarkFullPoll is one whole device poll (system group, ifTable and
// ifXTable columns) of the agent.
func BenchmarkFullPoll(b *testing.B) {
	a := snmptest.StartAgent(b)
	p := New(Configuration{Interval: time.Hour, Timeout: 5 * time.Second}, Deps{})
	d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: "public"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.PollNow(d.Key()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st, _ := p.Device(d.Key())
	b.ReportMetric(float64(st.NumIfaces), "ifaces")
	b.ReportMetric(float64(st.Requests)/float64(st.Polls), "reqs/poll")
}
