package recipients

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

// smtpSink is a small SMTP server: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
// DATA, QUIT. It records the mails and whether they came over TLS with the
// right credentials.
type smtpSink struct {
	ln    net.Listener
	tls   *tls.Config
	mu    sync.Mutex
	mails []string
	authd []bool
	tlsOn []bool
}

func newSMTPSink(t *testing.T, certFile, keyFile string) *smtpSink {
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s := &smtpSink{ln: ln, tls: &tls.Config{Certificates: []tls.Certificate{kp}}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { _, _ = c.Write([]byte(l + "\r\n")) }
	say("220 sink ESMTP")
	secure, authed := false, false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if secure {
				say("250-sink\r\n250 AUTH PLAIN")
			} else {
				say("250-sink\r\n250 STARTTLS")
			}
		case cmd == "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
		case strings.HasPrefix(cmd, "AUTH PLAIN"):
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(line)[len("AUTH PLAIN "):])
			if string(raw) == "\x00alice\x00pw" {
				authed = true
				say("235 ok")
			} else {
				say("535 bad credentials")
			}
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go")
			var body strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				body.WriteString(l)
			}
			s.mu.Lock()
			s.mails = append(s.mails, body.String())
			s.authd = append(s.authd, authed)
			s.tlsOn = append(s.tlsOn, secure)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestSMTPDigestOverSTARTTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	sink := newSMTPSink(t, cert, key)
	defer sink.ln.Close()
	port := sink.ln.Addr().(*net.TCPAddr).Port
	m := newTestManager(t, dir, "smtp://alice:pw@localhost:"+strconv.Itoa(port)+
		"?to=soc@example.org&from=fg@example.org&starttls=1&ca="+ca+"&linger=200ms&batch=10&name=mail")
	defer m.Stop()
	for i := 0; i < 10; i++ {
		m.Notify(alerts.Notification{Alert: hostAlert(i)})
	}
	testwait.For(t, "digest mail", func() bool { s, _ := m.Get("mail"); return s.Sent == 10 })
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.mails) != 1 || !sink.authd[0] || !sink.tlsOn[0] {
		t.Fatalf("mails %d auth %v tls %v", len(sink.mails), sink.authd, sink.tlsOn)
	}
	mail := sink.mails[0]
	if !strings.Contains(mail, "Subject: [flowgate] 10 alerts") || strings.Count(mail, "[Threshold Cross][Host]") != 10 ||
		strings.Count(mail, "id: fg-") != 10 {
		t.Fatalf("digest:\n%s", mail)
	}
}
