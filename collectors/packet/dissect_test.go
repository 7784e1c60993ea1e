package packet

import (
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"flowgate/engine/ndpi"
	"flowgate/internal/testpeer"
)

// clientHelloBytes returns the TLS records Go's crypto/tls sends first.
func clientHelloBytes(t testing.TB, sni string, alpn []string) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		c := tls.Client(a, &tls.Config{ServerName: sni, NextProtos: alpn, InsecureSkipVerify: true})
		_ = c.Handshake()
	}()
	_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(b, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(b, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr, body...)
}

// dnsMsg builds a DNS query or response for name.
func dnsMsg(id uint16, name string, qtype uint16, resp bool, rcode uint16) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b, id)
	flags := uint16(0x0100)
	if resp {
		flags |= 0x8000 | rcode
	}
	binary.BigEndian.PutUint16(b[2:], flags)
	binary.BigEndian.PutUint16(b[4:], 1)
	for _, l := range strings.Split(name, ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0, byte(qtype>>8), byte(qtype), 0, 1)
	return b
}

func quicInitial() []byte {
	b := make([]byte, 1250)
	b[0] = 0xc3
	binary.BigEndian.PutUint32(b[1:], 1)
	return b
}

// l7Capture holds one conversation per dissector.
func l7Capture(t testing.TB) (*capture, []byte) {
	c := newCapture(t)
	c.udp("10.0.0.1", "10.0.0.53", 40000, 53, dnsMsg(1, "www.example.org", 1, false, 0))
	c.udp("10.0.0.53", "10.0.0.1", 53, 40000, dnsMsg(1, "www.example.org", 1, true, 3))

	h := &conv{c: c, cli: "10.0.0.1", srv: "10.0.0.80", cport: 40001, sport: 8081, cliSeq: 1, srvSeq: 1}
	h.open()
	h.send(true, []byte("GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n"))
	h.send(false, []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
	h.close()

	hello := clientHelloBytes(t, "tls.example.net", []string{"h2", "http/1.1"})
	s := &conv{c: c, cli: "10.0.0.1", srv: "10.0.0.43", cport: 40002, sport: 8443, cliSeq: 1, srvSeq: 1}
	s.open()
	// Split the hello over two segments, as large hellos are.
	half := len(hello) / 2
	s.send(true, hello[:half])
	s.send(true, hello[half:])
	s.close()

	c.udp("10.0.0.1", "10.0.0.44", 40003, 443, quicInitial())
	return c, hello
}

func TestDissectors(t *testing.T) {
	c, hello := l7Capture(t)
	ms, st := runTracker(t, c, Configuration{})
	sums := sumFlows(ms.recs)

	dns := sums["10.0.0.1:40000>10.0.0.53:53"]
	if dns == nil || dns.l7 != ndpiDNS || dns.last.DNSQuery != "www.example.org" || dns.last.DNSQueryType != 1 || dns.last.DNSRetCode != 3 {
		t.Errorf("dns: %+v", dns)
	}
	http := sums["10.0.0.1:40001>10.0.0.80:8081"]
	if http == nil || http.l7 != ndpiHTTP {
		t.Fatalf("http: %+v", http)
	}
	if r := http.last; r.HTTPMethod != "GET" || r.HTTPURL != "/index.html?q=1" || r.HTTPSite != "www.example.com" || r.HTTPUserAgent != "curl/8.0" || r.HTTPRetCode != 404 {
		t.Errorf("http fields: %q %q %q %q %d", r.HTTPMethod, r.HTTPURL, r.HTTPSite, r.HTTPUserAgent, r.HTTPRetCode)
	}
	tl := sums["10.0.0.1:40002>10.0.0.43:8443"]
	if tl == nil || tl.l7 != ndpiTLS || tl.last.TLSServerName != "tls.example.net" {
		t.Fatalf("tls: %+v", tl)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(tl.last.JA3C) {
		t.Errorf("ja3 %q", tl.last.JA3C)
	}
	// Go offers TLS 1.3 with SNI, h2 first and last ALPN "h2" → "h2";
	// the ALPN list's first value is what JA4 uses.
	if !regexp.MustCompile(`^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$`).MatchString(tl.last.JA4C) {
		t.Errorf("ja4 %q", tl.last.JA4C)
	}
	q := sums["10.0.0.1:40003>10.0.0.44:443"]
	if q == nil || q.l7 != ndpiQUIC {
		t.Errorf("quic: %+v", q)
	}
	if st.L7DNS.Load() != 1 || st.L7HTTP.Load() != 1 || st.L7TLS.Load() != 1 || st.L7QUIC.Load() != 1 {
		t.Errorf("l7 counters %d %d %d %d", st.L7DNS.Load(), st.L7HTTP.Load(), st.L7TLS.Load(), st.L7QUIC.Load())
	}

	// The same hello in one segment gives the same fingerprints.
	var h clientHello
	if !parseClientHello(hello[9:], &h) {
		t.Fatal("parse hello")
	}
	if h.ja3() != tl.last.JA3C || h.ja4(false) != tl.last.JA4C {
		t.Errorf("fingerprints differ between one and two segments")
	}
}

// TestJA3AgainstTshark compares the JA3 hash with Wireshark's dissector.
func TestJA3AgainstTshark(t *testing.T) {
	tshark := testpeer.Command(t, "tshark", "tshark")
	c, _ := l7Capture(t)
	path := c.file("tls.pcap", false)
	out, err := exec.Command(tshark, "-r", path, "-o", "tls.desegment_ssl_records:TRUE", "-d", "tcp.port==8443,tls",
		"-Y", "tls.handshake.type==1", "-T", "fields", "-e", "tls.handshake.ja3", "-e", "tls.handshake.extensions_server_name").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		t.Fatalf("tshark output %q", out)
	}
	ms, _ := runTracker(t, c, Configuration{})
	tl := sumFlows(ms.recs)["10.0.0.1:40002>10.0.0.43:8443"]
	if tl == nil || tl.last.JA3C != fields[0] || tl.last.TLSServerName != fields[1] {
		t.Errorf("ja3/sni %q %q, tshark says %q %q", tl.last.JA3C, tl.last.TLSServerName, fields[0], fields[1])
	}
}

func TestGREASE(t *testing.T) {
	for _, x := range []uint16{0x0a0a, 0x1a1a, 0xfafa} {
		if !isGREASE(x) {
			t.Errorf("%#x not GREASE", x)
		}
	}
	for _, x := range []uint16{0x0a1a, 0x1301, 0x0000} {
		if isGREASE(x) {
			t.Errorf("%#x GREASE", x)
		}
	}
}

// TestJA4Vector checks JA4 on a published browser fingerprint: the values
// of a Chrome 143 ClientHello (ciphers, extensions, signature algorithms in
// wire order) and its JA4 and JA3 as reported by a fingerprinting service.
func TestJA4Vector(t *testing.T) {
	h := clientHello{version: 0x0303, maxVer: 0x0304, sni: []byte("tls.browserleaks.com"), alpn: []byte("h2")}
	for _, c := range []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035} {
		h.ciphers.add(c)
	}
	for _, e := range []uint16{0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a, 0x002b, 0xff01, 0x0023, 0x0012, 0x0005, 0x000d, 0x001b} {
		h.exts.add(e)
	}
	for _, s := range []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601} {
		h.sigAlgs.add(s)
	}
	if got, want := h.ja4(false), "t13d1516h2_8daaf6152771_d8a2da3f94cd"; got != want {
		t.Errorf("ja4 %s, want %s", got, want)
	}
	for _, g := range []uint16{4588, 29, 23, 24} {
		h.groups.add(g)
	}
	h.pointFmts.add(0)
	if got, want := h.ja3(), "98487aa16281980e7d1120d399efb6a4"; got != want {
		t.Errorf("ja3 %s, want %s", got, want)
	}
}

// TestTLSMissingSNIRisk: a TLS ClientHello without SNI (Go's client with no
// ServerName) gives the flow nDPI's TLS_MISSING_SNI risk; one with SNI none.
func TestTLSMissingSNIRisk(t *testing.T) {
	c := newCapture(t)
	for i, sni := range []string{"", "tls.example.net"} {
		hello := clientHelloBytes(t, sni, nil)
		s := &conv{c: c, cli: "10.0.0.1", srv: "10.0.0.43", cport: uint16(41000 + i), sport: 443, cliSeq: 1, srvSeq: 1}
		s.open()
		s.send(true, hello)
		s.close()
	}
	ms, _ := runTracker(t, c, Configuration{})
	sums := sumFlows(ms.recs)
	bare, named := sums["10.0.0.1:41000>10.0.0.43:443"], sums["10.0.0.1:41001>10.0.0.43:443"]
	if bare == nil || named == nil {
		t.Fatalf("flows: %v", sums)
	}
	if bare.l7 != ndpiTLS || bare.last.TLSServerName != "" || bare.last.Risk != 1<<riskTLSMissingSNI {
		t.Errorf("no SNI: l7 %d sni %q risk %x, want TLS, none, bit %d", bare.l7, bare.last.TLSServerName, bare.last.Risk, riskTLSMissingSNI)
	}
	if named.last.Risk != 0 {
		t.Errorf("with SNI: risk %x, want none", named.last.Risk)
	}
	if got := ndpi.RiskName(riskTLSMissingSNI); got != "Missing SNI TLS Extn" {
		t.Errorf("risk %d is %q in nDPI's table", riskTLSMissingSNI, got)
	}
}
