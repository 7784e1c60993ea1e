package zmtp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"

	"flowgate/store"
)

// CurveKeyPair is a long-term CURVE (Curve25519) key pair.
type CurveKeyPair struct {
	Public [32]byte
	Secret [32]byte
}

// File names ntopng uses under its data directory (docs/zmq-wire.md §1.6).
const (
	PublicKeyFile = "zmq-key.pub"
	SecretKeyFile = "zmq-key.priv"
)

// GenerateKeyPair returns a fresh random key pair.
func GenerateKeyPair() (CurveKeyPair, error) {
	pub, sec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return CurveKeyPair{}, fmt.Errorf("curve keypair: %w", err)
	}
	return CurveKeyPair{Public: *pub, Secret: *sec}, nil
}

// KeyPairFromSecret derives the public key, as zmq_curve_public does.
func KeyPairFromSecret(secret [32]byte) CurveKeyPair {
	kp := CurveKeyPair{Secret: secret}
	// X25519 with the base point only fails for an all-zero result, which a
	// clamped scalar cannot produce.
	pub, err := curve25519.X25519(secret[:], curve25519.Basepoint)
	if err != nil {
		panic("zmtp: curve25519 base point multiplication failed: " + err.Error())
	}
	copy(kp.Public[:], pub)
	return kp
}

// PublicZ85 is the 40-character Z85 text of the public key.
func (kp CurveKeyPair) PublicZ85() string { s, _ := Z85Encode(kp.Public[:]); return s }

// SecretZ85 is the 40-character Z85 text of the secret key.
func (kp CurveKeyPair) SecretZ85() string { s, _ := Z85Encode(kp.Secret[:]); return s }

// PublicKeyHex is the public key as ntopng shows it: uppercase hex of the
// Z85 text (80 characters), which survives shells and config files.
func PublicKeyHex(kp CurveKeyPair) string {
	return strings.ToUpper(hex.EncodeToString([]byte(kp.PublicZ85())))
}

// ParseServerKey accepts a CURVE public key as 40-char Z85 or as the
// 80-char hex-of-Z85 form ntopng prints.
func ParseServerKey(s string) ([32]byte, error) {
	k, err := parseKey(s)
	if err != nil {
		return k, fmt.Errorf("curve server key: %w", err)
	}
	return k, nil
}

// ParseSecretKey accepts a CURVE secret key in the same two forms.
func ParseSecretKey(s string) ([32]byte, error) {
	k, err := parseKey(s)
	if err != nil {
		return k, fmt.Errorf("curve secret key: %w", err)
	}
	return k, nil
}

func parseKey(s string) ([32]byte, error) {
	var k [32]byte
	s = strings.TrimSpace(s)
	switch len(s) {
	case 40:
	case 80:
		raw, err := hex.DecodeString(s)
		if err != nil {
			return k, fmt.Errorf("80-char key is not hex: %w", err)
		}
		s = string(raw)
	default:
		return k, fmt.Errorf("want 40 (Z85) or 80 (hex of Z85) characters, got %d", len(s))
	}
	b, err := Z85Decode(s)
	if err != nil {
		return k, err
	}
	copy(k[:], b)
	return k, nil
}

// LoadOrCreateKeyPair reads <dir>/zmq-key.pub and <dir>/zmq-key.priv (40-char
// Z85, no newline, like ntopng), creating both when neither exists. created
// reports whether a new pair was generated. A missing public file is
// re-derived from the secret; a public key that does not match the secret is
// an error rather than a silent mismatch with what users configured in probes.
func LoadOrCreateKeyPair(dir string) (kp CurveKeyPair, created bool, err error) {
	pubPath := filepath.Join(dir, PublicKeyFile)
	secPath := filepath.Join(dir, SecretKeyFile)
	secText, err := os.ReadFile(secPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, perr := os.Stat(pubPath); perr == nil {
			return kp, false, fmt.Errorf("curve keys: %s exists without %s", pubPath, secPath)
		}
		if kp, err = GenerateKeyPair(); err != nil {
			return kp, false, err
		}
		if err = writeKeyFile(secPath, kp.SecretZ85(), 0o600); err != nil {
			return kp, false, err
		}
		if err = writeKeyFile(pubPath, kp.PublicZ85(), 0o644); err != nil {
			return kp, false, err
		}
		return kp, true, nil
	case err != nil:
		return kp, false, fmt.Errorf("curve keys: %w", err)
	}
	sec, err := parseKey(string(secText))
	if err != nil {
		return kp, false, fmt.Errorf("curve keys: %s: %w", secPath, err)
	}
	kp = KeyPairFromSecret(sec)
	pubText, err := os.ReadFile(pubPath)
	if errors.Is(err, fs.ErrNotExist) {
		return kp, false, writeKeyFile(pubPath, kp.PublicZ85(), 0o644)
	}
	if err != nil {
		return kp, false, fmt.Errorf("curve keys: %w", err)
	}
	pub, err := parseKey(string(pubText))
	if err != nil {
		return kp, false, fmt.Errorf("curve keys: %s: %w", pubPath, err)
	}
	if !bytes.Equal(pub[:], kp.Public[:]) {
		return kp, false, fmt.Errorf("curve keys: %s does not match %s", pubPath, secPath)
	}
	return kp, false, nil
}

// writeKeyFile creates a key file that must not exist yet, atomically
// (store.CreateFile: temp file, fsync, link, fsync of the directory), so a
// crash never leaves half a key that would fail the next start.
func writeKeyFile(path, text string, mode os.FileMode) error {
	if err := store.CreateFile(path, []byte(text), mode); err != nil {
		return fmt.Errorf("curve keys: %w", err)
	}
	return nil
}
