package packet

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"flowgate/engine"
)

// The live test runs two network namespaces joined by a veth pair that the
// test creates: the test binary is started again inside each (helper mode,
// chosen by FG_PACKET_LIVE), one capturing and serving HTTP, one a client.
// No traffic leaves the two namespaces.
const liveEnv = "FG_PACKET_LIVE"

func TestLiveVethCapture(t *testing.T) {
	if os.Getenv(liveEnv) != "" {
		t.Skip("helper process")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root (network namespaces, veth, AF_PACKET)")
	}
	ipCmd, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("live capture test needs iproute2's ip")
	}
	id := os.Getpid() % 100000
	ns1, ns2 := fmt.Sprintf("fgpk%da", id), fmt.Sprintf("fgpk%db", id)
	va, vb := fmt.Sprintf("fgv%da", id), fmt.Sprintf("fgv%db", id)
	subnet := fmt.Sprintf("10.231.%d", id%250)
	run := func(args ...string) error {
		out, err := exec.Command(ipCmd, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("netns", "add", ns1); err != nil {
		t.Skipf("cannot create a network namespace here: %v", err)
	}
	t.Cleanup(func() { _ = run("netns", "del", ns1) })
	if err := run("netns", "add", ns2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run("netns", "del", ns2) })
	for _, args := range [][]string{
		{"link", "add", va, "netns", ns1, "type", "veth", "peer", "name", vb, "netns", ns2},
		{"-n", ns1, "addr", "add", subnet + ".1/24", "dev", va},
		{"-n", ns2, "addr", "add", subnet + ".2/24", "dev", vb},
		{"-n", ns1, "link", "set", va, "up"},
		{"-n", ns2, "link", "set", vb, "up"},
		{"-n", ns1, "link", "set", "lo", "up"},
		{"-n", ns2, "link", "set", "lo", "up"},
	} {
		if err := run(args...); err != nil {
			t.Fatal(err)
		}
	}
	helper := func(ns, mode string) *exec.Cmd {
		cmd := exec.Command(ipCmd, "netns", "exec", ns, os.Args[0], "-test.run=^TestLiveHelper$", "-test.v")
		cmd.Env = append(os.Environ(), liveEnv+"="+mode, "FG_PACKET_IF="+vb, "FG_PACKET_NET="+subnet)
		return cmd
	}

	capt := helper(ns2, "capture")
	stdin, _ := capt.StdinPipe()
	stdout, _ := capt.StdoutPipe()
	capt.Stderr = os.Stderr
	if err := capt.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = capt.Process.Kill(); _ = capt.Wait() }()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(prefix string) string {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("capture helper ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q from the capture helper", prefix)
			}
		}
	}
	waitLine("READY")

	if out, err := helper(ns1, "client").CombinedOutput(); err != nil || !strings.Contains(string(out), "CLIENT-DONE") {
		t.Fatalf("client helper: %v\n%s", err, out)
	}
	stdin.Close() // the capture helper stops and reports
	var flows []string
	for {
		l := waitLine("")
		if strings.HasPrefix(l, "END") {
			break
		}
		if strings.HasPrefix(l, "FLOW ") {
			flows = append(flows, l)
		}
	}
	want := fmt.Sprintf("FLOW 6 %s.1:", subnet)
	var found bool
	for _, f := range flows {
		var proto, l7 int
		var cli, srv string
		var pkts uint64
		var lat bool
		if _, err := fmt.Sscanf(f, "FLOW %d %s %s %d %d %t", &proto, &cli, &srv, &l7, &pkts, &lat); err != nil {
			continue
		}
		if strings.HasPrefix(f, want) && srv == subnet+".2:7000" {
			found = true
			if l7 != ndpiHTTP || pkts < 8 || !lat {
				t.Errorf("live HTTP flow: %s (want L7 7, ≥8 packets, handshake latency)", f)
			}
		}
	}
	if !found {
		t.Errorf("no TCP flow to :7000 among %q", flows)
	}
}

// TestLiveHelper is the body of the helper processes of TestLiveVethCapture.
func TestLiveHelper(t *testing.T) {
	mode := os.Getenv(liveEnv)
	if mode == "" {
		t.Skip("runs only as TestLiveVethCapture's helper")
	}
	subnet := os.Getenv("FG_PACKET_NET")
	switch mode {
	case "client":
		c, err := net.DialTimeout("tcp", subnet+".2:7000", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /live HTTP/1.1\r\nHost: live.test\r\n\r\n")
		if _, err := io.ReadAll(c); err != nil {
			t.Fatal(err)
		}
		c.Close()
		fmt.Println("CLIENT-DONE")
	case "capture":
		ifname := os.Getenv("FG_PACKET_IF")
		eng := engine.New(engine.DefaultConfiguration())
		iface := eng.AddInterface(ifname, "packet")
		if err := eng.Start(); err != nil {
			t.Fatal(err)
		}
		defer eng.Stop()
		col, err := New(Configuration{Source: ifname, ExportInterval: 100 * time.Millisecond}, iface)
		if err != nil {
			t.Fatal(err)
		}
		if err := col.Start(); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", subnet+".2:7000")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				buf := make([]byte, 512)
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_, _ = c.Read(buf)
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
				c.Close()
			}
		}()
		fmt.Println("READY")
		_, _ = io.Copy(io.Discard, os.Stdin)
		ln.Close()
		col.Stop()
		iface.Do(func(tb *engine.Tables) {
			tb.Flows(func(f *engine.Flow) bool {
				fmt.Printf("FLOW %d %s %s %d %d %t\n", f.Proto(),
					net.JoinHostPort(f.Client().String(), itoa(f.ClientPort())), net.JoinHostPort(f.Server().String(), itoa(f.ServerPort())),
					f.L7(), f.Packets(), f.HasLatency == 3)
				return true
			})
		})
		fmt.Printf("END packets=%d malformed=%d\n", col.Stats().Packets.Load(), col.Stats().Malformed.Load())
	}
}
