package flow

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"flowgate/engine"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

type totals struct{ records, bytes, packets uint64 }

// TestInteropSoftflowdNfdump exports the same pcap with Debian's softflowd
// (NetFlow v5, v9, IPFIX) to nfdump's nfcapd and to flowgate, and checks
// flowgate's interface totals against what nfdump reports.
func TestInteropSoftflowdNfdump(t *testing.T) {
	softflowd := testpeer.Command(t, "softflowd", "softflowd")
	nfcapd := testpeer.Command(t, "nfcapd", "nfdump")
	nfdump := testpeer.Command(t, "nfdump", "nfdump")
	pcap := writeTestPcap(t, 300)
	for _, v := range []string{"5", "9", "10"} {
		t.Run("v"+v, func(t *testing.T) {
			want := nfdumpTotals(t, nfcapd, nfdump, softflowd, pcap, v)
			if want.records == 0 || want.bytes == 0 {
				t.Fatalf("nfdump saw nothing: %+v", want)
			}
			got := flowgateTotals(t, softflowd, pcap, v, want.records)
			t.Logf("softflowd -v %s: nfdump %+v, flowgate %+v", v, want, got)
			if got != want {
				t.Errorf("flowgate %+v, nfdump %+v", got, want)
			}
		})
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	c, err := (&Collector{}).probePort()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// export runs softflowd over pcap to 127.0.0.1:port and waits for it to
// end (it exports every flow at the end of the file).
func export(t *testing.T, softflowd, pcap, version string, port int) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(softflowd, "-d", "-r", pcap, "-n", fmt.Sprintf("127.0.0.1:%d", port), "-v", version,
		"-c", "none", "-p", filepath.Join(dir, "pid"), "-t", "maxlife=3600")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("softflowd: %v\n%s", err, out)
	}
}

func nfdumpTotals(t *testing.T, nfcapd, nfdump, softflowd, pcap, version string) totals {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(nfcapd, "-B", "8388608", "-b", "127.0.0.1", "-p", strconv.Itoa(port), "-w", dir, "-t", "3600")
	logf, _ := os.Create(filepath.Join(dir, "..", "nfcapd.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// nfcapd is ready when its socket is bound.
	testwait.For(t, "nfcapd bound", func() bool { return udpBound(port) })
	export(t, softflowd, pcap, version, port)
	// The datagrams sit in nfcapd's socket buffer or are processed; a
	// SIGTERM makes it drain what it read and write the file. Give it the
	// datagrams first: wait until its receive queue is empty.
	testwait.For(t, "nfcapd read its queue", func() bool { return udpQueue(port) == 0 })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "..", "nfcapd.log"))
		t.Fatalf("nfcapd: %v\n%s", err, b)
	}
	out, err := exec.Command(nfdump, "-R", dir, "-o", "csv").CombinedOutput()
	if err != nil {
		t.Fatalf("nfdump: %v\n%s", err, out)
	}
	return parseNfdumpCSV(t, string(out))
}

// parseNfdumpCSV sums the records of `nfdump -o csv` (header line with
// ipkt, ibyt, opkt, obyt columns).
func parseNfdumpCSV(t *testing.T, out string) totals {
	t.Helper()
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("nfdump csv: %v\n%s", err, out)
	}
	col := map[string]int{}
	var tot totals
	for _, row := range rows {
		if len(col) == 0 {
			for i, h := range row {
				col[h] = i
			}
			if _, ok := col["ibyt"]; !ok {
				t.Fatalf("nfdump csv header without ibyt: %v", row)
			}
			continue
		}
		if len(row) <= col["ibyt"] || row[0] == "" || strings.HasPrefix(row[0], "Summary") || row[0] == "ts" {
			continue
		}
		n := func(c string) uint64 {
			i, ok := col[c]
			if !ok || i >= len(row) {
				return 0
			}
			v, _ := strconv.ParseUint(strings.TrimSpace(row[i]), 10, 64)
			return v
		}
		tot.records++
		tot.bytes += n("ibyt") + n("obyt")
		tot.packets += n("ipkt") + n("opkt")
	}
	return tot
}

func flowgateTotals(t *testing.T, softflowd, pcap, version string, records uint64) totals {
	t.Helper()
	eng := engine.New(engine.DefaultConfiguration())
	iface := eng.AddInterface("netflow://127.0.0.1:0", "netflow")
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	cfg := DefaultConfiguration()
	cfg.Addrs = []string{"127.0.0.1:0"}
	c, err := New(cfg, iface)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	export(t, softflowd, pcap, version, c.ports[0])
	var got totals
	testwait.ForState(t, "flowgate has nfdump's records", func() (any, bool) {
		s := iface.Snapshot()
		got = totals{s.FlowRecords, s.Bytes, s.Packets}
		return got, got.records >= records
	})
	if tt := c.Totals(); tt.QueueDrops != 0 || tt.KernelDrops != 0 {
		t.Errorf("drops %+v", tt)
	}
	for _, e := range c.Exporters() {
		if len(e.Errors) != 0 || e.TemplateMisses != 0 || e.SequenceGaps != 0 {
			t.Errorf("exporter %+v", e)
		}
	}
	return got
}
