// Package chtest runs a real ClickHouse server for tests: Debian's
// clickhouse-server (18.16 in Debian 12) with a temporary configuration and
// data dir on free loopback ports. A missing server skips the test, or fails
// it under FLOWGATE_REQUIRE_PEERS=1 (internal/testpeer).
package chtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// Password of the test server's default user.
const Password = "flowgate-test"

// Server is one clickhouse-server process.
type Server struct {
	Addr string // native protocol host:port
	bin  string
	dir  string
	cmd  *exec.Cmd
	exit chan struct{}
}

// Start launches a server and waits until it answers; it is stopped when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testpeer.Command(t, "clickhouse-server", "clickhouse-server")
	s := &Server{bin: bin, dir: t.TempDir(), Addr: "127.0.0.1:" + freePort(t)}
	httpPort := freePort(t)
	conf := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/err.log</errorlog></logger>
  <tcp_port>%[2]s</tcp_port>
  <http_port>%[3]s</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/uf/</user_files_path>
  <format_schema_path>%[1]s/fs/</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
  <uncompressed_cache_size>104857600</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
</yandex>
`, s.dir, portOf(s.Addr), httpPort)
	users := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password>%s</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`, Password)
	for name, body := range map[string]string{"config.xml": conf, "users.xml": users} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.Restart(t)
	t.Cleanup(s.Kill)
	return s
}

// Restart starts the server again (same data, same port) after Kill.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Dir = s.dir
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(s.dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("clickhouse-server: %v", err)
	}
	s.exit = make(chan struct{})
	go func(c *exec.Cmd, exit chan struct{}) { _ = c.Wait(); out.Close(); close(exit) }(s.cmd, s.exit)
	conn := s.Conn(t)
	defer conn.Close()
	testwait.Until(t, 60*time.Second, "clickhouse-server answering on "+s.Addr, func() bool {
		select {
		case <-s.exit:
			b, _ := os.ReadFile(filepath.Join(s.dir, "err.log"))
			t.Fatalf("clickhouse-server exited: %s", b)
		default:
		}
		return conn.Ping(context.Background()) == nil
	})
}

// Kill stops the server at once (SIGKILL), as a crash or a pulled cable
// would, and waits for it to exit.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exit
	s.cmd = nil
}

// Conn is a client of the server.
func (s *Server) Conn(t testing.TB) driver.Conn {
	t.Helper()
	c, err := ch.Open(&ch.Options{Addr: []string{s.Addr}, Auth: ch.Auth{Database: "default", Username: "default", Password: Password},
		DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return portOf(l.Addr().String())
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
