package packet

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"flowgate/engine/ndpi"
)

// TestNDPIAgreementReport prints, per protocol, how often flowgate's
// classification agrees with Debian's ndpiReader (nDPI 4.2) on the same
// captures. It asserts nothing: it is a report, run by bench/packet.sh
// (FG_PACKET_NDPI_REPORT=1; extra captures in FG_PACKET_NDPI_FILES, comma
// separated).
func TestNDPIAgreementReport(t *testing.T) {
	if os.Getenv("FG_PACKET_NDPI_REPORT") == "" {
		t.Skip("report only: set FG_PACKET_NDPI_REPORT=1 (bench/packet.sh does)")
	}
	reader, err := exec.LookPath("ndpiReader")
	if err != nil {
		t.Skip("ndpiReader not installed (apt-get install libndpi-bin)")
	}
	dir := os.Getenv("FG_PACKET_NDPI_DUMP") // keep the generated captures there
	if dir == "" {
		dir = t.TempDir()
	}
	files := []string{filepath.Join("testdata", "gopacket_tls.pcapng")}
	for name, c := range map[string]*capture{"mixed.pcap": mixedCapture(t), "bench.pcap": benchCapture(t)} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.pcap(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	if extra := os.Getenv("FG_PACKET_NDPI_FILES"); extra != "" {
		files = append(files, strings.Split(extra, ",")...)
	}
	type tally struct{ agree, total int }
	per := map[string]*tally{}
	var agree, total int
	for _, f := range files {
		theirs := ndpiReaderFlows(t, reader, f)
		ours := ourFlows(t, f)
		for k, name := range theirs {
			tl := per[name]
			if tl == nil {
				tl = &tally{}
				per[name] = tl
			}
			tl.total++
			total++
			if ours[k] == name {
				tl.agree++
				agree++
			} else if testing.Verbose() && ours[k] != "" {
				t.Logf("%s: %s: ndpiReader %s, flowgate %s", filepath.Base(f), k, name, ours[k])
			}
		}
	}
	names := make([]string, 0, len(per))
	for n := range per {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("nDPI agreement (master protocol, ndpiReader %s):\n", ndpiVersion(reader))
	for _, n := range names {
		fmt.Printf("  %-12s %5d / %5d flows  %6.1f %%\n", n, per[n].agree, per[n].total, 100*float64(per[n].agree)/float64(per[n].total))
	}
	if total > 0 {
		fmt.Printf("  %-12s %5d / %5d flows  %6.1f %%\n", "all", agree, total, 100*float64(agree)/float64(total))
	}
}

func ndpiVersion(reader string) string {
	out, _ := exec.Command(reader, "-h").CombinedOutput()
	if m := regexp.MustCompile(`nDPI (\d+\.\d+\.\d+)`).FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return "?"
}

// flowKey names a conversation independently of direction.
func flowKey(proto, a, b string) string {
	if a > b {
		a, b = b, a
	}
	return proto + " " + a + " " + b
}

var ndpiLine = regexp.MustCompile(`^\s*\d+\s+(TCP|UDP)\s+(\S+)\s+<?->\s+(\S+)\s+.*?\[proto: ([0-9.]+)/([^\]]+)\]`)

// ndpiReaderFlows maps each TCP/UDP flow to nDPI's master protocol name.
func ndpiReaderFlows(t *testing.T, reader, file string) map[string]string {
	out, err := exec.Command(reader, "-i", file, "-v", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("ndpiReader %s: %v\n%s", file, err, out)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		g := ndpiLine.FindStringSubmatch(l)
		if g == nil {
			continue
		}
		name, _, _ := strings.Cut(g[5], ".") // TLS.Google → TLS
		m[flowKey(g[1], g[2], g[3])] = name
	}
	return m
}

// ourFlows maps each flow of file to flowgate's protocol name (the
// dissectors', else the port guess the engine applies).
func ourFlows(t *testing.T, file string) map[string]string {
	src, err := openFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer src.close()
	first, _ := linkLayer(src.linkType())
	ms := &memSink{keep: true}
	tr := newTracker(Configuration{}.withDefaults(), &Stats{}, ms)
	d := newDecoder(first)
	var p pkt
	for {
		data, ci, err := src.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if ok, _ := d.decode(data, &p); !ok {
			continue
		}
		p.ts, p.wireLen = ci.Timestamp.UnixNano(), uint64(ci.Length)
		tr.packet(&p)
	}
	tr.flushAll()
	m := map[string]string{}
	for i := range ms.recs {
		r := &ms.recs[i]
		if r.Proto != 6 && r.Proto != 17 {
			continue
		}
		proto := "TCP"
		if r.Proto == 17 {
			proto = "UDP"
		}
		id := r.L7App
		if !r.L7Set {
			id = ndpi.Guess(r.Proto, r.SrcPort, r.DstPort)
		}
		k := flowKey(proto, hostPort(r.SrcIP.String(), r.SrcPort), hostPort(r.DstIP.String(), r.DstPort))
		if _, seen := m[k]; !seen || r.L7Set {
			m[k] = ndpi.Name(id)
		}
	}
	return m
}

func hostPort(ip string, port uint16) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + itoa(port)
	}
	return ip + ":" + itoa(port)
}
