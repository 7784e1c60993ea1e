package testpeer

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"flowgate/internal/testwait"
)

// Influxd is a real InfluxDB 1.x (Debian's influxdb) in a temporary
// directory, stopped at the test's end. Stop and Start restart it on the
// same ports and data (a server that goes away mid-run).
type Influxd struct {
	t        testing.TB
	Addr     string // host:port of its HTTP API
	bin, cfg string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// StartInfluxd starts influxd on free loopback ports and waits for /ping.
func StartInfluxd(t testing.TB) *Influxd {
	t.Helper()
	dir := t.TempDir()
	d := &Influxd{t: t, Addr: freeAddr(t), bin: Command(t, "influxd", "influxdb"), cfg: filepath.Join(dir, "influxdb.conf")}
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = %q
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[http]
  enabled = true
  bind-address = %q
  log-enabled = false
`, freeAddr(t), filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), d.Addr)
	if err := os.WriteFile(d.cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d.Start()
	t.Cleanup(d.Stop)
	return d
}

// Start (re)starts the server and waits until it answers /ping.
func (d *Influxd) Start() {
	d.t.Helper()
	log, err := os.OpenFile(filepath.Join(filepath.Dir(d.cfg), "influxd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	d.cmd = exec.Command(d.bin, "-config", d.cfg)
	d.cmd.Stdout, d.cmd.Stderr = log, log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatalf("starting influxd: %v", err)
	}
	cmd, exited := d.cmd, make(chan struct{})
	d.exited = exited
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	testwait.For(d.t, "influxd answering /ping", func() bool {
		resp, err := http.Get("http://" + d.Addr + "/ping")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent
	})
}

// Stop ends the server (SIGTERM, then SIGKILL) and waits for it; a
// stopped server is left alone.
func (d *Influxd) Stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(testwait.Timeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	d.cmd = nil
}

// Query runs an InfluxQL statement (db may be empty) and returns the
// series of its first result: name, tags, columns and rows.
func (d *Influxd) Query(db, q string) ([]Series, error) {
	v := url.Values{"q": {q}}
	if db != "" {
		v.Set("db", db)
	}
	resp, err := http.PostForm("http://"+d.Addr+"/query", v)
	if err != nil {
		return nil, fmt.Errorf("influxd query: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct {
			Series []Series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("influxd query %q: %w", q, err)
	}
	if out.Error != "" {
		return nil, fmt.Errorf("influxd query %q: %s", q, out.Error)
	}
	if len(out.Results) == 0 {
		return nil, nil
	}
	if out.Results[0].Error != "" {
		return nil, fmt.Errorf("influxd query %q: %s", q, out.Results[0].Error)
	}
	return out.Results[0].Series, nil
}

// Series is one series of an InfluxQL answer.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
