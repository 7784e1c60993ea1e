package recipients

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// rsyslogOSSL is rsyslog's OpenSSL stream driver (Debian rsyslog-openssl).
const rsyslogOSSL = "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so"

// TestRsyslog sends CEF over TCP (octet counting) and RFC 5424 over TLS to
// a real rsyslogd and checks what it wrote to its file.
func TestRsyslog(t *testing.T) {
	rsyslogd := testpeer.Command(t, "rsyslogd", "rsyslog")
	if _, err := os.Stat(rsyslogOSSL); err != nil {
		if os.Getenv("FLOWGATE_REQUIRE_PEERS") == "1" {
			t.Fatal("rsyslog's TLS driver is not available (install: apt-get install rsyslog-openssl); FLOWGATE_REQUIRE_PEERS=1 forbids skipping")
		}
		t.Skip("rsyslog's TLS driver is not available (install: apt-get install rsyslog-openssl)")
	}
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	// The untrusted client gets a TLS input of its own: rsyslog 8.2302
	// sometimes loses the epoll registration of a listener after a failed
	// handshake ("epoll_ctl failed ... Bad file descriptor"), which must not
	// take the trusted client's listener with it.
	tcpPort, tlsPort, untrustedPort := freePort(t), freePort(t), freePort(t)
	out := filepath.Join(dir, "out.log")
	conf := fmt.Sprintf(`global(workDirectory=%q defaultNetstreamDriverCAFile=%q defaultNetstreamDriverCertFile=%q defaultNetstreamDriverKeyFile=%q)
module(load="imtcp")
template(name="raw" type="string" string="%%msg%%|%%structured-data%%\n")
ruleset(name="out") { action(type="omfile" file=%q template="raw") }
input(type="imtcp" address="127.0.0.1" port="%d" ruleset="out")
input(type="imtcp" address="127.0.0.1" port="%d" ruleset="out" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="%d" ruleset="out" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
`, dir, ca, cert, key, out, tcpPort, tlsPort, untrustedPort)
	confPath := filepath.Join(dir, "rsyslog.conf")
	must(t, os.WriteFile(confPath, []byte(conf), 0o600))
	cmd := exec.Command(rsyslogd, "-n", "-f", confPath, "-i", filepath.Join(dir, "rsyslog.pid"))
	var stderr strings.Builder // the untrusted client makes rsyslogd complain
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	defer func() {
		if t.Failed() {
			t.Log("rsyslogd: " + stderr.String())
		}
	}()
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Send only once rsyslogd listens on both ports: otherwise the workers'
	// backoff, not rsyslog, decides how long the test waits.
	testwait.Until(t, 30*time.Second, "rsyslogd listening", func() bool {
		for _, p := range []int{tcpPort, tlsPort, untrustedPort} {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), time.Second)
			if err != nil {
				return false
			}
			c.Close()
		}
		return true
	})

	m := newTestManager(t, t.TempDir(),
		"syslog+tcp://127.0.0.1:"+strconv.Itoa(tcpPort)+"?format=cef&name=tcp",
		"syslog+tls://127.0.0.1:"+strconv.Itoa(tlsPort)+"?format=rfc5424&name=tls&ca="+ca,
		"syslog+tls://127.0.0.1:"+strconv.Itoa(untrustedPort)+"?name=untrusted", // no ca=: must fail verification
	)
	defer m.Stop()
	const n = 30
	for i := 0; i < n; i++ {
		m.Notify(alerts.Notification{Alert: hostAlert(i)})
	}
	// rsyslogd may still be starting: the workers retry until it listens.
	var lines []string
	if !testwait.Wait(30*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return len(lines) >= 2*n
	}) {
		tcp, _ := m.Get("tcp")
		tls, _ := m.Get("tls")
		t.Fatalf("timed out after 30s waiting for rsyslog output: %d lines of %d; tcp %+v; tls %+v", len(lines), 2*n, tcp, tls)
	}
	cef, sd := 0, 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "CEF:0|ntop|flowgate|1.0|49|Threshold Cross|7|") && strings.Contains(l, "cs3=n"):
			cef++
		case strings.Contains(l, `[flowgate@32473 id="fg-`) && strings.Contains(l, `type="alert_threshold_cross"`):
			sd++
		default:
			t.Errorf("unexpected line: %s", l)
		}
	}
	if cef != n || sd != n {
		t.Fatalf("cef %d, rfc5424 %d, want %d each", cef, sd, n)
	}
	testwait.For(t, "certificate error", func() bool {
		s, _ := m.Get("untrusted")
		return strings.Contains(s.LastError, "certificate")
	})
	if s, _ := m.Get("untrusted"); s.Sent != 0 || s.QueueLen != n {
		t.Fatalf("untrusted: %+v", s)
	}
}
