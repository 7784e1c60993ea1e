package recipients

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"time"

	"context"
)

// endpoint is one transport. send delivers a batch in order; nil means the
// receiver accepted every event of it. Endpoints connect lazily in send, so
// an unreachable host shows up in the recipient's stats, never at start.
// Only the recipient's worker calls send (and Test, which may overlap it:
// endpoints lock what they share).
type endpoint interface {
	send(ctx context.Context, batch []*Event, f formatter) error
	close() error
	batch() int            // default batch size
	linger() time.Duration // default wait for a fuller batch
}

func newEndpoint(sp *Spec, m *Manager) (endpoint, error) {
	switch sp.Kind {
	case "syslog":
		return newSyslog(sp, m)
	case "webhook":
		return newWebhook(sp, m)
	case "file":
		return newFileEndpoint(sp, m)
	case "smtp":
		return newSMTP(sp, m)
	case "nats":
		return newNATS(sp, m)
	case "shell":
		return newShell(sp, m)
	}
	return nil, fmt.Errorf("recipient %s: no endpoint kind %q", sp.Name, sp.Kind)
}

func parseLuaURL(name string) (*url.URL, error) { return url.Parse("lua:" + name) }

// tlsConfig builds a client TLS configuration from ca=, cert=, key=,
// insecure= and server_name=.
func tlsConfig(sp *Spec, host string) (*tls.Config, error) {
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if n := sp.Params.Get("server_name"); n != "" {
		c.ServerName = n
	}
	if ca := sp.Params.Get("ca"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("recipient %s: ca: %w", sp.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("recipient %s: ca %s: no PEM certificate", sp.Name, ca)
		}
		c.RootCAs = pool
	}
	if cert := sp.Params.Get("cert"); cert != "" {
		kp, err := tls.LoadX509KeyPair(cert, sp.Params.Get("key"))
		if err != nil {
			return nil, fmt.Errorf("recipient %s: client certificate: %w", sp.Name, err)
		}
		c.Certificates = []tls.Certificate{kp}
	}
	c.InsecureSkipVerify = sp.boolParam("insecure", false)
	return c, nil
}
