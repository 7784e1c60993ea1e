package web

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flowgate/web/users"
)

// pinnedClient trusts exactly the certificate whose SHA-256 is print.
func pinnedClient(print string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 || Fingerprint(raw[0]) != print {
					return errors.New("certificate fingerprint mismatch")
				}
				return nil
			}}}}
}

func fileFingerprint(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(raw)
	if b == nil {
		t.Fatalf("%s: no PEM", path)
	}
	return Fingerprint(b.Bytes)
}

func TestHTTPSSelfSigned(t *testing.T) {
	f := newFixture(t, func(c *Configuration) { c.DisableHTTP = true; c.HTTPSAddr = "127.0.0.1:0" })
	if f.s.Addr() != "" {
		t.Fatal("plain HTTP listening with DisableHTTP")
	}
	certFile := filepath.Join(f.dir, selfSignedCert)
	print := fileFingerprint(t, certFile)
	if print != f.s.CertFingerprint() || !strings.Contains(f.log.String(), print) {
		t.Fatalf("fingerprint %s, server %s, not logged", print, f.s.CertFingerprint())
	}
	for _, name := range []string{selfSignedCert, selfSignedKey} {
		if st, err := os.Stat(filepath.Join(f.dir, name)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, st, err)
		}
	}
	base := "https://" + f.s.HTTPSAddr()
	c := pinnedClient(print)
	a := do(t, c, http.MethodGet, base+ifacesPath, nil, basic(users.AdminUser, adminPW))
	if a.Code != 200 || a.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("HTTPS: %d %v", a.Code, a.Header)
	}
	body, h := form("user", users.AdminUser, "password", adminPW, "referer", "/")
	a = do(t, c, http.MethodPost, base+authorizePath, body, h)
	if a.Code != http.StatusFound || !strings.Contains(a.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("HTTPS login cookie %q", a.Header.Get("Set-Cookie"))
	}
	// Another certificate is refused by the pinning client.
	if _, err := pinnedClient(strings.Repeat("00:", 31) + "00").Get(base + loginPath); err == nil {
		t.Error("the pin did not hold")
	}
	// A restart keeps the certificate.
	f.s.Stop()
	s2 := New(f.s.cfg, f.s.deps)
	if err := s2.Start(); err != nil {
		t.Fatal(err)
	}
	defer s2.Stop()
	if s2.CertFingerprint() != print {
		t.Error("certificate regenerated at restart")
	}
	if _, err := pinnedClient(print).Get("https://" + s2.HTTPSAddr() + loginPath); err != nil {
		t.Error(err)
	}
}

func TestHTTPSGivenCertificate(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := selfSign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cf, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(cf, certPEM, 0o600)
	os.WriteFile(kf, keyPEM, 0o600)
	f := newFixture(t, func(c *Configuration) { c.HTTPSAddr = "127.0.0.1:0"; c.CertFile = cf; c.KeyFile = kf })
	if f.s.CertFingerprint() != fileFingerprint(t, cf) {
		t.Error("not the given certificate")
	}
	if _, err := os.Stat(filepath.Join(f.dir, selfSignedCert)); err == nil {
		t.Error("a self-signed certificate was generated beside the given one")
	}
	if f.s.Addr() == "" {
		t.Error("plain HTTP off without DisableHTTP")
	}
	for _, bad := range []struct{ cert, key string }{{cf, ""}, {"", kf}, {cf, cf}, {filepath.Join(dir, "none"), kf}} {
		if _, _, err := loadCertificate(bad.cert, bad.key, dir); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestCurlLoginAndToken drives the login form and a token with curl, as
// operators do.
func TestCurlLoginAndToken(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is needed (Debian package curl)")
	}
	f := newFixture(t, nil)
	jar := filepath.Join(t.TempDir(), "jar")
	run := func(args ...string) string {
		out, err := exec.Command(curl, append([]string{"-s", "-S", "--max-time", "10"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v %s", args, err, out)
		}
		return string(out)
	}
	out := run("-c", jar, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
		"-d", "user=admin", "--data-urlencode", "password="+adminPW, "-d", "referer="+ifacesPath, f.base+authorizePath)
	if out != "302 "+f.base+ifacesPath {
		t.Fatalf("curl login: %q", out)
	}
	if out = run("-b", jar, f.base+ifacesPath); !strings.Contains(out, `"rc":0`) || !strings.Contains(out, `"eth0"`) {
		t.Fatalf("curl with the session: %s", out)
	}
	out = run("-u", "admin:"+adminPW, "-X", "POST", f.base+"/lua/rest/v2/create/ntopng/api_token.lua")
	tok := between(out, `"api_token":"`, `"`)
	if len(tok) != 32 {
		t.Fatalf("token answer %s", out)
	}
	if out = run("-H", "Authorization: Token "+tok, f.base+ifacesPath); !strings.Contains(out, `"rc":0`) {
		t.Fatalf("curl with the token: %s", out)
	}
	if out = run("-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Token "+strings.Repeat("f", 32), f.base+ifacesPath); out != "401" {
		t.Errorf("curl with a wrong token: %s", out)
	}
}
