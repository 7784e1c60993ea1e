package syslog

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// util-linux logger over every transport and format it offers.
func TestLogger(t *testing.T) {
	logger := testpeer.Command(t, "logger", "bsdutils")
	sink := newSink("fgtest")
	c := startCollector(t, Configuration{}, sink)
	_, port, _ := net.SplitHostPort(c.UDPAddr())
	runs := []struct {
		name string
		args []string
		pri  int
	}{
		{"udp 5424", []string{"-d", "--rfc5424", "-p", "user.err"}, 11},
		{"udp 3164", []string{"-d", "--rfc3164", "-p", "local0.info"}, 134},
		{"tcp 5424", []string{"-T", "--rfc5424", "-p", "auth.warning"}, 36},
		{"tcp 3164", []string{"-T", "--rfc3164", "-p", "daemon.notice"}, 29},
		{"tcp octet-count", []string{"-T", "--octet-count", "--rfc5424", "-p", "user.debug"}, 15},
		{"tcp octet-count 3164", []string{"-T", "--octet-count", "--rfc3164", "-p", "mail.crit"}, 18},
	}
	for i, r := range runs {
		args := append([]string{"-n", "127.0.0.1", "-P", port, "-t", "fgtest", "--id=4242"}, r.args...)
		args = append(args, fmt.Sprintf("message %d: %s", i, r.name))
		if out, err := exec.Command(logger, args...).CombinedOutput(); err != nil {
			t.Fatalf("logger %v: %v %s", args, err, out)
		}
	}
	testwait.For(t, "all logger messages", func() bool { return len(sink.get()) == len(runs) })
	for _, e := range sink.get() {
		var i int
		if _, err := fmt.Sscanf(e.Message, "message %d:", &i); err != nil {
			t.Fatalf("unexpected message %q", e.Message)
		}
		r := runs[i]
		if e.Producer != "fgtest" || e.App != "fgtest" || e.Priority != r.pri || !strings.HasSuffix(e.Message, r.name) || e.Peer != netip.MustParseAddr("127.0.0.1") {
			t.Errorf("%s: event %+v", r.name, e)
		}
		if e.Host == "" || e.Device == "" {
			t.Errorf("%s: no host in %+v", r.name, e)
		}
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// rsyslog forwarding with omfwd over TCP, both framings and both formats.
func TestRsyslogForwarding(t *testing.T) {
	rsyslogd := testpeer.Command(t, "rsyslogd", "rsyslog")
	logger := testpeer.Command(t, "logger", "bsdutils")
	sink := newSink("fgrelay")
	c := startCollector(t, Configuration{Transport: TCP}, sink)
	_, fport, _ := net.SplitHostPort(c.TCPAddr())
	dir := t.TempDir()
	in := freePort(t)
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port=%q)
action(type="omfwd" target="127.0.0.1" port=%q protocol="tcp" template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted")
action(type="omfwd" target="127.0.0.1" port=%q protocol="tcp" template="RSYSLOG_ForwardFormat")
`, dir, in, fport, fport)
	cf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rsyslogd, "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	testwait.For(t, "rsyslogd listening", func() bool {
		cn, err := net.Dial("tcp", "127.0.0.1:"+in)
		if err == nil {
			cn.Close()
		}
		return err == nil
	})
	// logger speaks 3164 to rsyslog: a 5424 input has no "tag:" for
	// rsyslog's traditional forward format to write, and a line without a
	// tag can only be routed by the producer map.
	const n = 20
	for i := range n {
		out, err := exec.Command(logger, "-n", "127.0.0.1", "-P", in, "-T", "--rfc3164", "-t", "fgrelay", "-p", "local3.warning",
			fmt.Sprintf("relayed %02d", i)).CombinedOutput()
		if err != nil {
			t.Fatalf("logger: %v %s", err, out)
		}
	}
	testwait.For(t, "relayed messages (two actions)", func() bool { return len(sink.get()) == 2*n })
	var msgs []string
	for _, e := range sink.get() {
		if e.Priority != 19*8+4 || e.Producer != "fgrelay" {
			t.Fatalf("event %+v", e)
		}
		msgs = append(msgs, strings.TrimSpace(e.Message))
	}
	sort.Strings(msgs)
	for i := range n {
		want := fmt.Sprintf("relayed %02d", i)
		if msgs[2*i] != want || msgs[2*i+1] != want {
			t.Fatalf("messages %q", msgs)
		}
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool trusting the certificate.
func selfSigned(t testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "flowgate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	if err := New(Configuration{Addr: "127.0.0.1:0", Transport: TLS}, newSink()).Start(); err == nil {
		t.Fatal("TLS without certificate accepted")
	}
	sink := newSink("secure")
	c := startCollector(t, Configuration{Transport: TLS, CertFile: certFile, KeyFile: keyFile}, sink)
	if c.UDPAddr() != "" {
		t.Fatal("TLS listener opened UDP")
	}
	conn, err := tls.Dial("tcp", c.TCPAddr(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		msg := fmt.Sprintf("<38>1 2026-11-22T00:30:00Z relay secure - - - over tls %d", i)
		fmt.Fprintf(conn, "%d %s", len(msg), msg)
	}
	conn.Close()
	testwait.For(t, "TLS messages", func() bool { return len(sink.get()) == 10 })
	// A plain-text client on the TLS port fails the handshake: counted.
	plain, err := net.Dial("tcp", c.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(plain, "<13>Nov 22 00:30:00 h secure: not tls\n")
	testwait.For(t, "handshake error", func() bool { return c.Stats().ConnErrors == 1 })
	plain.Close()
	if n := len(sink.get()); n != 10 {
		t.Fatalf("%d events", n)
	}
}
