package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"flowgate/store"
)

// The self-signed certificate's files in the data dir.
const (
	selfSignedCert = "https-cert.pem"
	selfSignedKey  = "https-key.pem"
)

// Fingerprint is the SHA-256 of a certificate's DER, in the colon-separated
// hex browsers show.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// loadCertificate loads --https-cert/--https-key, or the data dir's
// self-signed certificate, generating it at first start. generated tells
// the caller to log it.
func loadCertificate(certFile, keyFile, dataDir string) (cert tls.Certificate, generated bool, err error) {
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return cert, false, errors.New("https: give both --https-cert and --https-key")
		}
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return cert, false, fmt.Errorf("https: %w", err)
		}
		return cert, false, nil
	}
	if dataDir == "" {
		return cert, false, errors.New("https: no certificate given and no data dir to keep a self-signed one")
	}
	cf, kf := filepath.Join(dataDir, selfSignedCert), filepath.Join(dataDir, selfSignedKey)
	cert, err = tls.LoadX509KeyPair(cf, kf)
	if err == nil {
		return cert, false, nil
	}
	if _, statErr := os.Stat(cf); !errors.Is(statErr, fs.ErrNotExist) {
		return cert, false, fmt.Errorf("https: %s: %w", cf, err)
	}
	certPEM, keyPEM, err := selfSign(time.Now())
	if err != nil {
		return cert, false, err
	}
	// Key first: a certificate file without its key would block the next
	// start instead of regenerating.
	if err := writeFileAtomic(kf, keyPEM); err != nil {
		return cert, false, err
	}
	if err := writeFileAtomic(cf, certPEM); err != nil {
		return cert, false, err
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return cert, false, fmt.Errorf("https: %w", err)
	}
	return cert, true, nil
}

// selfSign makes an ECDSA P-256 certificate for this host, valid ten years.
func selfSign(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("https: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("https: serial: %w", err)
	}
	host, _ := os.Hostname()
	names := []string{"localhost"}
	if host != "" && host != "localhost" {
		names = append(names, host)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "flowgate", Organization: []string{"flowgate self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("https: certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("https: key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// writeFileAtomic writes a 0600 file atomically (store.WriteFile: temp
// file, fsync, rename, fsync of the directory).
func writeFileAtomic(path string, data []byte) error {
	return store.WriteFile(path, data, store.ModeSecret)
}
