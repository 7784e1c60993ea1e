package users

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238's defaults, which every authenticator app
// reads from the otpauth URI.
const (
	totpIssuer = "flowgate"
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1 // one step either side, for clock drift
)

// GenerateTOTPSecret returns a new base32 secret (160 bits, RFC 4226's
// recommendation), as ntop.generateTOTPSecret does.
func GenerateTOTPSecret() (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: "x", Period: totpPeriod,
		SecretSize: 20, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", fmt.Errorf("totp: %w", err)
	}
	return k.Secret(), nil
}

func validSecret(secret string) error {
	s := strings.ToUpper(strings.TrimRight(secret, "="))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) < 10 || len(b) > 64 {
		return invalid("TOTP secret", "want base32, 80 to 512 bits")
	}
	return nil
}

// EnrolTOTP gives the user a new secret (not yet enabled: the user enables
// TOTP after proving the authenticator app works) and returns it with its
// otpauth:// provisioning URI.
func (s *Store) EnrolTOTP(name string) (secret, uri string, err error) {
	secret, err = GenerateTOTPSecret()
	if err != nil {
		return "", "", err
	}
	if err := s.SetTOTPSecret(name, secret); err != nil {
		return "", "", err
	}
	uri, _ = s.TOTPProvisioningURI(name)
	return secret, uri, nil
}

// SetTOTPSecret stores a user's secret; a new secret disables TOTP until
// it is enabled again.
func (s *Store) SetTOTPSecret(name, secret string) error {
	if err := validSecret(secret); err != nil {
		return err
	}
	secret = strings.ToUpper(strings.TrimRight(secret, "="))
	return s.update(name, func(r *record) error {
		if r.totpSecret != secret {
			r.TOTPEnabled = false
			r.lastStep = 0
		}
		r.totpSecret = secret
		return nil
	})
}

// TOTPSecret returns the user's secret (for ntop.getUserTOTPSecret, admin
// only; never logged nor put in a REST answer).
func (s *Store) TOTPSecret(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.users[name]
	if !ok || r.totpSecret == "" {
		return "", false
	}
	return r.totpSecret, true
}

// SetTOTPEnabled turns the second login step on or off; on needs a secret.
func (s *Store) SetTOTPEnabled(name string, enabled bool) error {
	return s.update(name, func(r *record) error {
		if enabled && r.totpSecret == "" {
			return ErrNoTOTPSecret
		}
		r.TOTPEnabled = enabled
		return nil
	})
}

// TOTPEnabled tells whether the user must give a TOTP code at login.
func (s *Store) TOTPEnabled(name string) bool {
	u, ok := s.Get(name)
	return ok && u.TOTPEnabled
}

// TOTPProvisioningURI is the otpauth:// URI of the user's secret (what an
// authenticator app reads from a QR code).
func (s *Store) TOTPProvisioningURI(name string) (string, bool) {
	secret, ok := s.TOTPSecret(name)
	if !ok {
		return "", false
	}
	k, err := otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&period=%d&digits=%d&algorithm=SHA1",
		totpIssuer, name, secret, totpIssuer, totpPeriod, totpDigits.Length()))
	if err != nil {
		return "", false
	}
	return k.URL(), true
}

// ValidateTOTP checks a 6-digit code against the user's secret at the
// store's clock, one step of drift either side. A code is accepted once:
// the step it belongs to and every earlier one are then spent, so a code
// seen by someone else cannot be replayed.
func (s *Store) ValidateTOTP(name, code string) bool {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() {
		return false
	}
	secret, ok := s.TOTPSecret(name)
	if !ok {
		return false
	}
	now := s.now()
	step := now.Unix() / totpPeriod
	matched := int64(-1)
	for off := int64(-totpSkew); off <= totpSkew; off++ {
		want, err := totp.GenerateCodeCustom(secret, now.Add(time.Duration(off*totpPeriod)*time.Second),
			totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = step + off
		}
	}
	if matched < 0 {
		return false
	}
	accepted := false
	_ = s.update(name, func(r *record) error {
		if r.totpSecret == secret && matched > r.lastStep {
			r.lastStep = matched
			accepted = true
		}
		return nil
	})
	return accepted
}
