package recipients

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"flowgate/alerts"
)

// hostAlert is a host threshold alert like the example of docs/script-contract.md §5.4; i makes it
// unique (the subtype carries it).
func hostAlert(i int) alerts.Alert {
	return alerts.Alert{ID: uint64(i), IfID: 0, Type: 49, Subtype: "n" + strconv.Itoa(i),
		Severity: alerts.SeverityError, Entity: alerts.EntityHost, EntityVal: "192.168.1.10@0",
		Granularity: 60, Tstamp: 1604311200, TstampEnd: 1604311200, Action: alerts.ActionEngage,
		Script: "bytes", Subdir: "host", Category: 3,
		JSON: `{"metric":"bytes","value":1234567,"operator":"gt","threshold":1000000,"alert_generation":{"script_key":"bytes","subdir":"host","confset_id":0}}`}
}

func flowAlert() alerts.Alert {
	return alerts.Alert{ID: 7, IfID: 1, Type: 8, Severity: alerts.SeverityWarning, Entity: alerts.EntityFlow,
		EntityVal: "flow", Tstamp: 1604311200, TstampEnd: 1604311200, Action: alerts.ActionStore,
		Script: "blacklisted", Subdir: "flow", Category: 1,
		JSON: `{"info":"evil|host=x\\y","status_info":"{}"}`,
		Flow: &alerts.FlowInfo{Status: 5, Score: 100, FirstSeen: 1604311100, VLAN: 0, Proto: 6,
			ProtoNDPI: "TLS.Google", Cli2SrvBytes: 1000, Cli2SrvPkts: 10, Srv2CliBytes: 2000, Srv2CliPkts: 20,
			Cli: alerts.FlowPeer{Addr: "10.0.0.1", Port: 40000, Country: "IT"},
			Srv: alerts.FlowPeer{Addr: "8.8.8.8", Port: 443, Country: "US"}}}
}

// eventOf is the queued form of an alert, as Notify makes it.
func eventOf(a alerts.Alert, id string) *Event {
	n := alerts.Notification{Alert: a}
	return &Event{ID: id, JSON: n.JSON()}
}

var testCtx = &formatCtx{Hostname: "fg1", App: "flowgate", Version: "1.0", Loc: time.UTC,
	IfName: func(int) string { return "eth0" }}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCerts makes a CA and a server certificate for 127.0.0.1/localhost;
// it returns the paths of ca.pem, cert.pem and key.pem.
func writeCerts(t testing.TB, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "flowgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	must(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}), 0o600))
	must(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return ca, cert, key
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newTestManager starts a manager on dir with fast retries.
func newTestManager(t testing.TB, dir string, urls ...string) *Manager {
	t.Helper()
	m := New(Configuration{DataDir: dir, URLs: urls, BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Hostname: "fg1", Location: time.UTC, AllowShell: true})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	return m
}
