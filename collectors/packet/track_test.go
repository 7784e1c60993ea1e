package packet

import (
	"math"
	"testing"
	"time"
)

func TestTCPFlowStateAndCounters(t *testing.T) {
	c := newCapture(t)
	cv := &conv{c: c, cli: "10.0.0.1", srv: "192.0.2.10", cport: 40000, sport: 8080, cliSeq: 1000, srvSeq: 5000, rtt: 10 * time.Millisecond}
	cv.open()
	cv.send(true, []byte("hello"))
	// Retransmission of the same 5 bytes.
	cv.seg(tcpSeg{fromCli: true, flags: tcpACK | tcpPSH, seq: cv.cliSeq - 5, ack: cv.srvSeq, payload: []byte("hello")})
	// Server skips 10 bytes (a gap), then fills it: out of order.
	cv.seg(tcpSeg{flags: tcpACK, seq: cv.srvSeq + 10, ack: cv.cliSeq, payload: make([]byte, 10)})
	cv.seg(tcpSeg{flags: tcpACK, seq: cv.srvSeq, ack: cv.cliSeq, payload: make([]byte, 10)})
	cv.srvSeq += 20
	// Zero window from the client.
	cv.seg(tcpSeg{fromCli: true, flags: tcpACK, seq: cv.cliSeq, ack: cv.srvSeq, win: 0xffff})
	cv.close()
	c.wait(5 * time.Second) // past CloseGrace
	cv2 := &conv{c: c, cli: "10.0.0.2", srv: "192.0.2.10", cport: 40001, sport: 22, cliSeq: 1, srvSeq: 1}
	cv2.open()

	ms, st := runTracker(t, c, Configuration{})
	sums := sumFlows(ms.recs)
	s := sums["10.0.0.1:40000>192.0.2.10:8080"]
	if s == nil {
		t.Fatalf("flow missing; have %v", keys(sums))
	}
	// Client: SYN, ACK, data, retrans, zero-window ACK, FIN, last ACK = 7; server: SYN/ACK, 2 data, FIN = 4.
	if s.inP != 7 || s.outP != 4 {
		t.Errorf("packets in/out = %d/%d, want 7/4", s.inP, s.outP)
	}
	if s.cliFlags != tcpSYN|tcpACK|tcpPSH|tcpFIN || s.srvFlags != tcpSYN|tcpACK|tcpFIN {
		t.Errorf("flags cli %#x srv %#x", s.cliFlags, s.srvFlags)
	}
	if s.retrIn != 1 || s.retrOut != 0 || s.oooOut != 1 || s.oooIn != 0 {
		t.Errorf("retr %d/%d ooo %d/%d, want 1/0 0/1", s.retrIn, s.retrOut, s.oooIn, s.oooOut)
	}
	if s.hasLatency != 3 || math.Abs(float64(s.latency[0]-10)) > 0.01 || math.Abs(float64(s.latency[1]-10)) > 0.01 {
		t.Errorf("latency %v (has %d), want 10 ms each side", s.latency, s.hasLatency)
	}
	if s.endReason != "tcp_fin" {
		t.Errorf("end reason %q", s.endReason)
	}
	if st.TCPZeroWindow.Load() != 1 {
		t.Errorf("zero window count %d", st.TCPZeroWindow.Load())
	}
	if st.FlowsCreated.Load() != 2 || st.FlowsEnded.Load() != 1 {
		t.Errorf("flows created %d ended %d", st.FlowsCreated.Load(), st.FlowsEnded.Load())
	}
	if s2 := sums["10.0.0.2:40001>192.0.2.10:22"]; s2 == nil || s2.inP != 2 || s2.outP != 1 {
		t.Errorf("second flow: %+v", s2)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPeriodicDeltasAndTimeouts(t *testing.T) {
	c := newCapture(t)
	// A UDP flow with one packet a second for 5 s: deltas add up to the total.
	for range 5 {
		c.udp("10.0.0.1", "10.0.0.2", 50000, 9999, []byte("x"))
		c.udp("10.0.0.2", "10.0.0.1", 9999, 50000, []byte("yy"))
		c.wait(time.Second)
	}
	// 40 s of silence, then another flow's packet moves the clock: idle end.
	c.wait(40 * time.Second)
	c.udp("10.0.0.3", "10.0.0.4", 1, 2, nil)
	ms, _ := runTracker(t, c, Configuration{DetectTimeout: time.Second})
	s := sumFlows(ms.recs)["10.0.0.1:50000>10.0.0.2:9999"]
	if s == nil || s.inP != 5 || s.outP != 5 {
		t.Fatalf("udp flow %+v", s)
	}
	if s.records < 3 {
		t.Errorf("%d records, want periodic updates", s.records)
	}
	if s.endReason != "idle" {
		t.Errorf("end %q, want idle", s.endReason)
	}
	if s.inB != 5*60 { // frames padded to the Ethernet minimum
		t.Errorf("in bytes %d", s.inB)
	}
}

func TestActiveTimeoutAndTableFull(t *testing.T) {
	c := newCapture(t)
	for range 10 {
		c.udp("10.0.0.1", "10.0.0.2", 50000, 9999, []byte("x"))
		c.wait(time.Second)
	}
	c.udp("10.0.0.5", "10.0.0.6", 1000, 2000, nil) // table full
	ms, st := runTracker(t, c, Configuration{ActiveTimeout: 3 * time.Second, MaxFlows: 1})
	var ends int
	for _, r := range ms.recs {
		if r.EndReason == "active" {
			ends++
		}
	}
	if ends < 2 {
		t.Errorf("%d active-timeout ends, want ≥2", ends)
	}
	if st.TableFull.Load() == 0 {
		t.Errorf("table full not counted")
	}
}

func TestClientServerRules(t *testing.T) {
	c := newCapture(t)
	// A flow seen from its SYN/ACK: the sender is the server.
	cv := &conv{c: c, cli: "10.0.0.1", srv: "10.0.0.2", cport: 33000, sport: 443, cliSeq: 1, srvSeq: 1}
	cv.seg(tcpSeg{flags: tcpSYN | tcpACK, seq: 1, ack: 1})
	// A UDP reply from a well-known port seen first.
	c.udp("10.0.0.9", "10.0.0.8", 53, 40000, nil)
	ms, _ := runTracker(t, c, Configuration{})
	sums := sumFlows(ms.recs)
	if sums["10.0.0.1:33000>10.0.0.2:443"] == nil || sums["10.0.0.8:40000>10.0.0.9:53"] == nil {
		t.Errorf("orientation: %v", keys(sums))
	}
}
