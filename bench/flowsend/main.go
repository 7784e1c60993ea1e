// Command flowsend is the NetFlow v9 / IPFIX / sFlow v5 load generator of
// bench/netflow.sh. It pre-encodes datagrams (v9/IPFIX: 24 records of 13
// fields; sFlow: 8 flow samples with 128-byte sampled headers), then
// replays them from several exporters (one socket each, bound to its own
// loopback address, sendmmsg batches) at a target rate, patching the
// sequence numbers. With -metrics it closes the loop: after the run it
// waits for the collector's counters to settle and reports what flowgate
// decoded, what the kernel and queues dropped and, with -pid, the
// collector's CPU seconds per record. -search raises the rate step by
// step until records are lost and reports the highest lossless step.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

type options struct {
	to        string
	proto     string
	rate      int
	dur       time.Duration
	exporters int
	metrics   string
	pid       int
}

// result is one run's figures (printed as JSON).
type result struct {
	Proto         string  `json:"proto"`
	Exporters     int     `json:"exporters"`
	TargetRate    int     `json:"target_rate"`
	Seconds       float64 `json:"seconds"`
	Sent          uint64  `json:"sent_records"`
	SentRate      float64 `json:"sent_records_per_s"`
	Datagrams     uint64  `json:"sent_datagrams"`
	Decoded       uint64  `json:"decoded_records,omitempty"`
	Accepted      uint64  `json:"engine_records,omitempty"`
	KernelDrops   uint64  `json:"kernel_drop_datagrams"`
	QueueDrops    uint64  `json:"queue_drop_datagrams"`
	Lost          int64   `json:"lost_records"`
	CPUSeconds    float64 `json:"collector_cpu_s,omitempty"`
	CPUNsPerRec   float64 `json:"collector_cpu_ns_per_record,omitempty"`
	LoadAverage1m string  `json:"loadavg_1m"`
}

func main() {
	var o options
	flag.StringVar(&o.to, "to", "127.0.0.1:2055", "collector address")
	flag.StringVar(&o.proto, "proto", "v9", "v9, ipfix or sflow")
	flag.IntVar(&o.rate, "rate", 500000, "records (sFlow: samples) per second, all exporters together; 0: as fast as possible")
	flag.DurationVar(&o.dur, "d", 10*time.Second, "duration of a run")
	flag.IntVar(&o.exporters, "exporters", 4, "exporters (sockets bound to 127.0.0.10, .11, ...)")
	flag.StringVar(&o.metrics, "metrics", "", "flowgate /metrics URL: report decoded records and drops")
	flag.IntVar(&o.pid, "pid", 0, "collector process id: report its CPU seconds per record")
	search := flag.Bool("search", false, "from -rate up by 15% per run until records are lost")
	warmup := flag.Duration("warmup", 0, "send at -rate this long first, unmeasured (the collector's flow table fills)")
	flag.Parse()
	if o.proto != "v9" && o.proto != "ipfix" && o.proto != "sflow" {
		fail(fmt.Errorf("-proto %q: v9, ipfix or sflow", o.proto))
	}
	if o.exporters < 1 || o.exporters > 200 {
		fail(fmt.Errorf("-exporters %d: 1..200", o.exporters))
	}
	if *warmup > 0 {
		w := o
		w.dur, w.metrics, w.pid = *warmup, "", 0
		if _, err := run(w); err != nil {
			fail(err)
		}
	}
	if o.metrics != "" {
		// Each measured run starts once the collector has drained what
		// was sent before (socket buffers hold up to ~1 M records), so
		// its counters cover this run's records only.
		if err := settle(o.metrics); err != nil {
			fail(err)
		}
	}
	if !*search {
		r, err := run(o)
		if err != nil {
			fail(err)
		}
		print(r)
		return
	}
	if o.metrics == "" || o.rate <= 0 {
		fail(fmt.Errorf("-search needs -metrics and a starting -rate"))
	}
	var best *result
	for {
		r, err := run(o)
		if err != nil {
			fail(err)
		}
		print(r)
		if r.Lost > 0 || r.SentRate < 0.95*float64(o.rate) {
			break // lost records, or the sender cannot keep up
		}
		best = &r
		o.rate = int(float64(o.rate) * 1.15)
		if err := settle(o.metrics); err != nil {
			fail(err)
		}
	}
	if best != nil {
		fmt.Printf("highest lossless: %.0f records/s (%s, %d exporters)\n", best.SentRate, best.Proto, best.Exporters)
	} else {
		fmt.Println("highest lossless: none (lost records at the starting rate)")
	}
}

func print(r result) {
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "flowsend:", err)
	os.Exit(1)
}

// counters are the collector's totals read from /metrics.
type counters struct{ records, accepted, kernel, queue uint64 }

func scrape(url string) (counters, error) {
	var c counters
	resp, err := http.Get(url)
	if err != nil {
		return c, fmt.Errorf("metrics %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("metrics %s: %s", url, resp.Status)
	}
	// sFlow flow samples are counted as records too.
	const recName = "flowgate_flow_exporter_records_total"
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			name, rest, _ = strings.Cut(line, " ")
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		switch name {
		case recName:
			c.records += uint64(v)
		case "flowgate_interface_flow_records_total":
			c.accepted += uint64(v)
		case "flowgate_flow_kernel_drops_total":
			c.kernel += uint64(v)
		case "flowgate_flow_queue_drops_total":
			c.queue += uint64(v)
		}
	}
	return c, sc.Err()
}

// settle waits until the collector's counters have not moved for 3 s (an
// engine descheduled on a loaded machine can pause for more than 1 s)
// (at most 60 s).
func settle(url string) error {
	last, still, deadline := counters{}, time.Now(), time.Now().Add(60*time.Second)
	for time.Now().Before(deadline) {
		c, err := scrape(url)
		if err != nil {
			return err
		}
		if c != last {
			last, still = c, time.Now()
		} else if time.Since(still) > 3*time.Second {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("metrics %s: counters still moving after 60 s", url)
}

// cpuSeconds is the user+system time of pid (/proc/PID/stat, clock ticks
// of 1/100 s as on every Linux configuration Go supports here).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("collector cpu: %w", err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("collector cpu: short /proc/%d/stat", pid)
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100, nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func run(o options) (result, error) {
	r := result{Proto: o.proto, Exporters: o.exporters, TargetRate: o.rate}
	var before counters
	var cpu0 float64
	var err error
	if o.metrics != "" {
		if before, err = scrape(o.metrics); err != nil {
			return r, err
		}
	}
	if o.pid > 0 {
		if cpu0, err = cpuSeconds(o.pid); err != nil {
			return r, err
		}
	}
	var sent, datagrams atomic.Uint64
	var wg sync.WaitGroup
	errs := make(chan error, o.exporters)
	start := time.Now()
	for i := 0; i < o.exporters; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n, d, err := exporter(o, i)
			sent.Add(n)
			datagrams.Add(d)
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	r.Seconds = time.Since(start).Seconds()
	close(errs)
	if err := <-errs; err != nil {
		return r, err
	}
	r.Sent, r.Datagrams = sent.Load(), datagrams.Load()
	r.SentRate = float64(r.Sent) / r.Seconds
	r.LoadAverage1m = loadavg()
	if o.metrics == "" {
		return r, nil
	}
	// Closed loop: wait until every record is decoded or counted as
	// dropped, or the counters stop moving for 5 s.
	per := uint64(perDatagram(o.proto))
	var after counters
	last, still := uint64(math.MaxUint64), time.Now()
	for {
		if after, err = scrape(o.metrics); err != nil {
			return r, err
		}
		got := after.accepted - before.accepted + (after.kernel-before.kernel+after.queue-before.queue)*per
		if got >= r.Sent || time.Since(still) > 5*time.Second {
			break
		}
		if got != last {
			last, still = got, time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.Decoded, r.Accepted = after.records-before.records, after.accepted-before.accepted
	r.KernelDrops, r.QueueDrops = after.kernel-before.kernel, after.queue-before.queue
	r.Lost = int64(r.Sent) - int64(r.Accepted) // what did not reach the engine's tables
	if o.pid > 0 {
		cpu1, err := cpuSeconds(o.pid)
		if err != nil {
			return r, err
		}
		r.CPUSeconds = cpu1 - cpu0
		if r.Accepted > 0 {
			r.CPUNsPerRec = r.CPUSeconds * 1e9 / float64(r.Accepted)
		}
	}
	return r, nil
}

// exporter sends exporter i's share of the rate for o.dur; it returns
// the records and datagrams sent.
func exporter(o options, i int) (records, datagrams uint64, err error) {
	local := &net.UDPAddr{IP: net.IPv4(127, 0, 0, byte(10+i))}
	raddr, err := net.ResolveUDPAddr("udp", o.to)
	if err != nil {
		return 0, 0, fmt.Errorf("address %s: %w", o.to, err)
	}
	conn, err := net.DialUDP("udp", local, raddr)
	if err != nil {
		return 0, 0, fmt.Errorf("exporter %s: %w", local.IP, err)
	}
	defer conn.Close()
	_ = conn.SetWriteBuffer(4 << 20)
	pc := ipv4.NewPacketConn(conn)
	g := newGenerator(o.proto, local.IP.To4(), uint32(i))
	if t := g.template(); t != nil {
		if _, err := conn.Write(t); err != nil {
			return 0, 0, fmt.Errorf("template: %w", err)
		}
	}
	per := perDatagram(o.proto)
	const batch = 32
	msgs := make([]ipv4.Message, batch)
	var gap time.Duration // per datagram of this exporter
	if o.rate > 0 {
		gap = time.Duration(float64(time.Second) * float64(per) * float64(o.exporters) / float64(o.rate))
	}
	start := time.Now()
	end := start.Add(o.dur)
	lastTemplate := start
	var n uint64
	for {
		now := time.Now()
		if now.After(end) {
			break
		}
		if now.Sub(lastTemplate) > time.Second { // exporters resend templates
			if t := g.template(); t != nil {
				if _, err := conn.Write(t); err != nil {
					return n * uint64(per), n, fmt.Errorf("template: %w", err)
				}
			}
			lastTemplate = now
		}
		k := batch
		if gap > 0 {
			due := uint64(now.Sub(start) / gap)
			if due <= n {
				time.Sleep(time.Until(start.Add(time.Duration(n+1) * gap)))
				continue
			}
			k = int(min(due-n, batch))
		}
		for j := 0; j < k; j++ {
			msgs[j].Buffers = [][]byte{g.next()}
		}
		w, err := pc.WriteBatch(msgs[:k], 0)
		n += uint64(w)
		if err != nil {
			if strings.Contains(err.Error(), "connection refused") {
				continue // ICMP of an earlier datagram: the collector restarts
			}
			return n * uint64(per), n, fmt.Errorf("send: %w", err)
		}
	}
	return n * uint64(per), n, nil
}

func perDatagram(proto string) int {
	if proto == "sflow" {
		return sflowSamples
	}
	return recordsPerDatagram
}

const (
	recordsPerDatagram = 24
	sflowSamples       = 8
	variants           = 1024 // pre-encoded datagrams per exporter (distinct flows)
)

// generator hands out pre-encoded datagrams with their sequence numbers
// patched.
type generator struct {
	proto string
	agent []byte
	id    uint32
	pkts  [][]byte
	i     int
	seq   uint32
}

func newGenerator(proto string, agent net.IP, id uint32) *generator {
	g := &generator{proto: proto, agent: agent, id: id}
	for v := 0; v < variants; v++ {
		g.pkts = append(g.pkts, g.encode(v))
	}
	return g
}

// fields is the data template (element id, length): addresses, ports,
// protocol, flags, bytes, packets, ifIndexes, first/last switched, VLAN.
var fields = [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {1, 4}, {2, 4}, {10, 2}, {14, 2}, {22, 4}, {21, 4}, {58, 2}}

const templateID = 256

func (g *generator) template() []byte {
	if g.proto == "sflow" {
		return nil
	}
	var body []byte
	body = binary.BigEndian.AppendUint16(body, templateID)
	body = binary.BigEndian.AppendUint16(body, uint16(len(fields)))
	for _, f := range fields {
		body = binary.BigEndian.AppendUint16(body, f[0])
		body = binary.BigEndian.AppendUint16(body, f[1])
	}
	setID := uint16(0)
	if g.proto == "ipfix" {
		setID = 2
	}
	return g.message(setID, body, 1)
}

// message wraps one set in a v9 or IPFIX header (sequence patched later).
func (g *generator) message(setID uint16, body []byte, count uint16) []byte {
	set := binary.BigEndian.AppendUint16(nil, setID)
	set = binary.BigEndian.AppendUint16(set, uint16(4+len(body)))
	set = append(set, body...)
	now := uint32(time.Now().Unix())
	var p []byte
	if g.proto == "v9" {
		p = binary.BigEndian.AppendUint16(p, 9)
		p = binary.BigEndian.AppendUint16(p, count)
		p = binary.BigEndian.AppendUint32(p, 3600000) // sysUptime ms
		p = binary.BigEndian.AppendUint32(p, now)
		p = binary.BigEndian.AppendUint32(p, 0) // sequence
		p = binary.BigEndian.AppendUint32(p, g.id)
	} else {
		p = binary.BigEndian.AppendUint16(p, 10)
		p = binary.BigEndian.AppendUint16(p, uint16(16+len(set)))
		p = binary.BigEndian.AppendUint32(p, now)
		p = binary.BigEndian.AppendUint32(p, 0) // sequence
		p = binary.BigEndian.AppendUint32(p, g.id)
	}
	return append(p, set...)
}

func (g *generator) encode(v int) []byte {
	if g.proto == "sflow" {
		return g.sflow(v)
	}
	var body []byte
	for j := 0; j < recordsPerDatagram; j++ {
		k := v*recordsPerDatagram + j
		body = append(body, 10, byte(g.id), byte(k>>8), byte(k)) // src 10.<exporter>.x.y
		body = append(body, 10, 200, byte(k>>16), byte(k))
		body = binary.BigEndian.AppendUint16(body, uint16(1024+k%50000))
		body = binary.BigEndian.AppendUint16(body, 443)
		body = append(body, 6, 0x1b)
		body = binary.BigEndian.AppendUint32(body, 1500)
		body = binary.BigEndian.AppendUint32(body, 3)
		body = binary.BigEndian.AppendUint16(body, 1)
		body = binary.BigEndian.AppendUint16(body, 2)
		body = binary.BigEndian.AppendUint32(body, 3590000)
		body = binary.BigEndian.AppendUint32(body, 3599000)
		body = binary.BigEndian.AppendUint16(body, 10)
	}
	return g.message(templateID, body, 1)
}

// sflow encodes a datagram of flow samples (format 1, one raw packet
// header record of an Ethernet/IPv4/TCP frame padded to 128 bytes).
func (g *generator) sflow(v int) []byte {
	var p []byte
	p = binary.BigEndian.AppendUint32(p, 5)
	p = binary.BigEndian.AppendUint32(p, 1) // agent IPv4
	p = append(p, g.agent...)
	p = binary.BigEndian.AppendUint32(p, 0) // sub agent
	p = binary.BigEndian.AppendUint32(p, 0) // sequence (patched)
	p = binary.BigEndian.AppendUint32(p, 3600000)
	p = binary.BigEndian.AppendUint32(p, sflowSamples)
	for j := 0; j < sflowSamples; j++ {
		k := v*sflowSamples + j
		frame := make([]byte, 128)
		copy(frame[0:6], []byte{0, 1, 2, 3, 4, 5})
		copy(frame[6:12], []byte{0, 1, 2, 3, 4, 6})
		binary.BigEndian.PutUint16(frame[12:], 0x0800)
		ip := frame[14:]
		ip[0], ip[9] = 0x45, 6
		binary.BigEndian.PutUint16(ip[2:], 1500)
		copy(ip[12:16], []byte{10, byte(g.id), byte(k >> 8), byte(k)})
		copy(ip[16:20], []byte{10, 200, byte(k >> 16), byte(k)})
		tcp := ip[20:]
		binary.BigEndian.PutUint16(tcp[0:], uint16(1024+k%50000))
		binary.BigEndian.PutUint16(tcp[2:], 443)
		tcp[12], tcp[13] = 0x50, 0x18
		var rec []byte
		rec = binary.BigEndian.AppendUint32(rec, 1)    // header protocol: Ethernet
		rec = binary.BigEndian.AppendUint32(rec, 1514) // frame length
		rec = binary.BigEndian.AppendUint32(rec, 4)    // stripped
		rec = binary.BigEndian.AppendUint32(rec, uint32(len(frame)))
		rec = append(rec, frame...)
		var s []byte
		s = binary.BigEndian.AppendUint32(s, uint32(k)) // sample sequence
		s = binary.BigEndian.AppendUint32(s, 1)         // source id
		s = binary.BigEndian.AppendUint32(s, 1000)      // 1-in-1000
		s = binary.BigEndian.AppendUint32(s, uint32(k)*1000)
		s = binary.BigEndian.AppendUint32(s, 0) // drops
		s = binary.BigEndian.AppendUint32(s, 1)
		s = binary.BigEndian.AppendUint32(s, 2)
		s = binary.BigEndian.AppendUint32(s, 1) // records
		s = binary.BigEndian.AppendUint32(s, 1) // raw packet header
		s = binary.BigEndian.AppendUint32(s, uint32(len(rec)))
		s = append(s, rec...)
		p = binary.BigEndian.AppendUint32(p, 1) // flow sample
		p = binary.BigEndian.AppendUint32(p, uint32(len(s)))
		p = append(p, s...)
	}
	return p
}

// next returns the next datagram with its sequence number set: v9 counts
// datagrams, IPFIX data records before the message, sFlow datagrams.
func (g *generator) next() []byte {
	p := g.pkts[g.i]
	g.i = (g.i + 1) % len(g.pkts)
	switch g.proto {
	case "v9":
		binary.BigEndian.PutUint32(p[12:], g.seq)
		g.seq++
	case "ipfix":
		binary.BigEndian.PutUint32(p[8:], g.seq)
		g.seq += recordsPerDatagram
	default:
		binary.BigEndian.PutUint32(p[16:], g.seq)
		g.seq++
	}
	return p
}
