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
	"testing"

	"flowgate/internal/testwait"
)

// Influxd is a real InfluxDB 1.x (Debian's influxdb) in a temporary
// directory, stopped at the test's end.
type Influxd struct {
	t    testing.TB
	Addr string // host:port of its HTTP API
}

// StartInfluxd starts influxd on free loopback ports and waits for /ping.
func StartInfluxd(t testing.TB) *Influxd {
	t.Helper()
	bin := Command(t, "influxd", "influxdb")
	dir := t.TempDir()
	d := &Influxd{t: t, Addr: freeAddr(t)}
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
	cfg := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "influxd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting influxd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	testwait.For(t, "influxd answering /ping", func() bool {
		resp, err := http.Get("http://" + d.Addr + "/ping")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent
	})
	return d
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
