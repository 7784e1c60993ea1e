package zmtp

import (
	"bufio"
	"context"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPayload is the byte pattern testdata/peer.py uses too.
func testPayload(i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte((i*31 + j*7) % 251)
	}
	return b
}

func testHeader(topic string, i int) []byte {
	h := make([]byte, 36)
	copy(h, topic)
	h[32], h[33], h[34], h[35] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return h
}

// checkLeaks fails the test if goroutines of this package's sockets
// outlive it. Other libraries' goroutines (zmq4 leaks one per PUB) are not ours to judge.
func checkLeaks(t testing.TB) {
	t.Cleanup(func() {
		var n int
		var dump string
		if !testwait.Wait(testwait.Timeout, func() bool { n, dump = ownGoroutines(); return n == 0 }) {
			t.Errorf("goroutine leak: %d goroutines of zmtp sockets still running\n%s", n, dump)
		}
	})
}

func ownGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var dump strings.Builder
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "collectors/zmq/zmtp.(*") {
			n++
			dump.WriteString(g + "\n\n")
		}
	}
	return n, dump.String()
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var (
	pyOnce  sync.Once
	pyErr   string
	pyCurve bool
)

const python = "/usr/bin/python3"

// needPython skips unless python3-zmq (libzmq) is installed.
func needPython(t testing.TB, curve bool) {
	t.Helper()
	pyOnce.Do(func() {
		out, err := exec.Command(python, "-c", "import zmq; print(zmq.has('curve'))").CombinedOutput()
		if err != nil {
			pyErr = strings.TrimSpace(string(out)) + ": " + err.Error()
			return
		}
		pyCurve = strings.TrimSpace(string(out)) == "True"
	})
	if pyErr != "" {
		testpeer.PythonZMQ(t) // skips, or fails under FLOWGATE_REQUIRE_PEERS=1
		t.Skip("python3-zmq not usable: " + pyErr)
	}
	if curve && !pyCurve {
		if os.Getenv("FLOWGATE_REQUIRE_PEERS") == "1" {
			t.Fatal("python3-zmq's libzmq has no CURVE")
		}
		t.Skip("python3-zmq libzmq built without CURVE")
	}
}

// pyPeer is a running testdata/peer.py.
type pyPeer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan error
}

func startPy(t testing.TB, args ...string) *pyPeer {
	t.Helper()
	cmd := exec.Command(python, append([]string{"testdata/peer.py"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &pyPeer{cmd: cmd, stdin: stdin, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-p.done:
		case <-time.After(testwait.Timeout):
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("peer.py stderr:\n%s", stderr.String())
		}
	})
	return p
}

func (p *pyPeer) line(t testing.TB, ctx context.Context) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatal("peer.py exited early")
		}
		return l
	case <-ctx.Done():
		t.Fatal("timed out waiting for peer.py")
	}
	return ""
}

// endpoint reads the "ENDPOINT tcp://..." line of a binding peer.
func (p *pyPeer) endpoint(t testing.TB, ctx context.Context) string {
	l := p.line(t, ctx)
	ep, ok := strings.CutPrefix(l, "ENDPOINT ")
	if !ok {
		t.Fatalf("peer.py: want ENDPOINT line, got %q", l)
	}
	return ep
}
