// Package kvtest starts a throwaway redis-server for tests of the Redis
// backend and of code running on it.
package kvtest

import (
	"bufio"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/internal/testpeer"
)

// StartRedis runs redis-server on a free loopback port with persistence
// off, in a temp dir, and stops it when the test ends. It returns the
// address. A password, when given, is required by the server.
func StartRedis(t testing.TB, password string) string {
	t.Helper()
	bin := testpeer.Command(t, "redis-server", "redis-server")
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", t.TempDir(), "--protected-mode", "no"}
		if password != "" {
			args = append(args, "--requirepass", password)
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if waitPing(addr, password, exited) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return addr
		}
		_ = cmd.Process.Kill()
		<-exited // lost the port race or failed: try another port
	}
	t.Fatal("redis-server did not start")
	return ""
}

// waitPing polls until the server answers PING (or exits, or 10 s pass).
func waitPing(addr, password string, exited chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			req := "PING\r\n"
			if password != "" {
				req = "AUTH " + password + "\r\n" + req
			}
			_, _ = c.Write([]byte(req))
			r := bufio.NewReader(c)
			line, _ := r.ReadString('\n')
			if password != "" && strings.HasPrefix(line, "+OK") {
				line, _ = r.ReadString('\n')
			}
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
