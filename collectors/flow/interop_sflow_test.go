package flow

import (
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// TestInteropPmacctSFlow: pmacct's pmacctd with its sfprobe plugin turns a
// pcap into sFlow v5; the datagrams are captured once and replayed to
// pmacct's sfacctd (print plugin, CSV) and to flowgate, whose interface
// packets and bytes must equal sfacctd's for the same export.
func TestInteropPmacctSFlow(t *testing.T) {
	pmacctd := testpeer.Command(t, "pmacctd", "pmacct")
	sfacctd := testpeer.Command(t, "sfacctd", "pmacct")
	dir := t.TempDir()
	pcap := writeTestPcap(t, 100)

	// 1. Capture pmacctd's export.
	capture, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer capture.Close()
	cport := capture.LocalAddr().(*net.UDPAddr).Port
	_ = capture.(*net.UDPConn).SetReadBuffer(16 << 20)
	conf := filepath.Join(dir, "pmacctd.conf")
	writeConf(t, conf, "daemonize: false", "pcap_savefile: "+pcap, "plugins: sfprobe",
		fmt.Sprintf("sfprobe_receiver: 127.0.0.1:%d", cport), "sampling_rate: 1", "sfprobe_agentip: 192.0.2.50")
	if out, err := exec.Command(pmacctd, "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("pmacctd: %v\n%s", err, out)
	}
	var datagrams [][]byte
	buf := make([]byte, 65536)
	for udpQueue(cport) > 0 { // pmacctd has exited: everything it sent is queued
		n, _, err := capture.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		datagrams = append(datagrams, append([]byte(nil), buf[:n]...))
	}
	if len(datagrams) == 0 {
		t.Fatal("pmacctd exported nothing")
	}
	if d := kernelDrops(cport); d != 0 {
		t.Fatalf("capture socket dropped %d datagrams", d)
	}

	// 2. flowgate.
	iface, c := startCollector(t, "sflow", "sflow", func(cfg *Configuration) {
		cfg.Addrs, cfg.SFlow = []string{"127.0.0.1:0"}, true
	})
	send(t, c.Addr(), datagrams...)
	testwait.For(t, "flowgate read every datagram", func() bool {
		ex := c.Exporters()
		return len(ex) == 1 && ex[0].Packets == uint64(len(datagrams))
	})
	ex := c.Exporters()[0]
	if len(ex.Errors) != 0 || ex.SequenceGaps != 0 || ex.Records == 0 {
		t.Fatalf("flowgate exporter %+v", ex)
	}
	var fg totals
	testwait.ForState(t, "engine has every sample", func() (any, bool) {
		s := iface.Snapshot()
		fg = totals{s.FlowRecords, s.Bytes, s.Packets}
		return fg, s.FlowRecords == ex.Records
	})

	// 3. sfacctd.
	sport, err := (&Collector{}).probePort()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sfacctd.csv")
	sconf := filepath.Join(dir, "sfacctd.conf")
	writeConf(t, sconf, "daemonize: false", fmt.Sprintf("sfacctd_port: %d", sport), "sfacctd_ip: 127.0.0.1", "sfacctd_pipe_size: 8388608",
		"plugins: print", "aggregate: src_host, dst_host, src_port, dst_port, proto", "print_output: csv",
		"print_output_file: "+out, "print_output_file_append: true", "print_refresh_time: 1", "plugin_buffer_size: 512", "plugin_pipe_size: 1048576")
	cmd := exec.Command(sfacctd, "-f", sconf)
	logf, _ := os.Create(filepath.Join(dir, "sfacctd.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("sfacctd log:\n%s", b)
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGINT); _ = cmd.Wait() }()
	testwait.For(t, "sfacctd bound", func() bool { return udpBound(sport) })
	// Replayed in chunks, each once sfacctd has read the previous one:
	// its socket buffer is the kernel's default.
	for i := 0; i < len(datagrams); i += 16 {
		testwait.For(t, "sfacctd read its socket", func() bool { return udpQueue(sport) == 0 })
		send(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sport}, datagrams[i:min(i+16, len(datagrams))]...)
	}
	// sfacctd's core hands records to its plugin in buffers sent when
	// full (plugin_buffer_size): filler samples from 203.0.113.1, left out
	// of the sums, push the last of the replayed records through.
	var filler [][]byte
	for i := 0; i < 8; i++ {
		filler = append(filler, sflowFlowSample(uint32(i+1), 1, 1, 2, sampledHeader(60, ethFrame("203.0.113.1", "203.0.113.2", 1, 2, 0, 2))))
	}
	seq := uint32(1)
	var sf totals
	testwait.ForState(t, "sfacctd wrote flowgate's packets", func() (any, bool) {
		seq++
		send(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sport}, sflowPacket("203.0.113.1", seq, filler...))
		sf = sfacctdTotals(out, "203.0.113.1")
		return sf, sf.packets >= fg.packets
	})
	t.Logf("pmacctd sFlow, %d datagrams: sfacctd %d packets %d bytes; flowgate %d samples, %d packets, %d bytes",
		len(datagrams), sf.packets, sf.bytes, fg.records, fg.packets, fg.bytes)
	if sf.packets != fg.packets || sf.bytes != fg.bytes {
		t.Errorf("sfacctd %+v, flowgate %+v", sf, fg)
	}
}

func writeConf(t *testing.T, path string, lines ...string) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		b = append(b, l+"\n"...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sfacctdTotals sums the PACKETS and BYTES columns of sfacctd's CSV
// (appended: a header line per refresh).
func sfacctdTotals(path, skipSrc string) totals {
	f, err := os.Open(path)
	if err != nil {
		return totals{}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, _ := r.ReadAll()
	var tot totals
	col := map[string]int{}
	for _, row := range rows {
		if len(row) > 0 && row[0] == "SRC_IP" {
			for i, h := range row {
				col[h] = i
			}
			continue
		}
		if i, ok := col["SRC_IP"]; ok && i < len(row) && row[i] == skipSrc {
			continue
		}
		p, okp := col["PACKETS"]
		b, okb := col["BYTES"]
		if !okp || !okb || len(row) <= p || len(row) <= b {
			continue
		}
		np, _ := strconv.ParseUint(row[p], 10, 64)
		nb, _ := strconv.ParseUint(row[b], 10, 64)
		tot.records++
		tot.packets += np
		tot.bytes += nb
	}
	return tot
}
