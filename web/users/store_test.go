package users

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"
)

func open(t *testing.T, path string, now func() time.Time) *Store {
	t.Helper()
	cfg := DefaultConfiguration()
	cfg.Path = path
	cfg.BcryptCost = bcrypt.MinCost
	cfg.MaxUsers = 5
	s := New(cfg, Dependencies{Now: now})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestAddValidation(t *testing.T) {
	s := open(t, ":memory:", nil)
	good := Spec{Username: "analyst", FullName: "Jane Analyst", Password: "s3cr3t", Group: Unprivileged,
		AllowedNets: "192.168.1.0/24", AllowedIfname: "eth0", Language: "en"}
	for _, tc := range []struct {
		name   string
		change func(*Spec)
	}{
		{"empty username", func(s *Spec) { s.Username = "" }},
		{"long username", func(s *Spec) { s.Username = strings.Repeat("a", MaxUsernameLen+1) }},
		{"bad username", func(s *Spec) { s.Username = "a b" }},
		{"unicode username", func(s *Spec) { s.Username = "é" }},
		{"reserved username", func(s *Spec) { s.Username = NologinUser }},
		{"empty password", func(s *Spec) { s.Password = "" }},
		{"long password", func(s *Spec) { s.Password = strings.Repeat("p", MaxPasswordLen+1) }},
		{"long full name", func(s *Spec) { s.FullName = strings.Repeat("n", MaxFullNameLen+1) }},
		{"control in full name", func(s *Spec) { s.FullName = "a\nb" }},
		{"bad group", func(s *Spec) { s.Group = "root" }},
		{"bad nets", func(s *Spec) { s.AllowedNets = "10.0.0.0/33" }},
		{"too many nets", func(s *Spec) { s.AllowedNets = strings.Repeat("10.0.0.0/8,", MaxAllowedNets+1) }},
		{"bad language", func(s *Spec) { s.Language = "en;drop" }},
		{"unknown capability", func(s *Spec) { s.Capabilities = 1 << 40 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := good
			tc.change(&spec)
			if err := s.Add(spec); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
	if s.Len() != 0 {
		t.Fatalf("%d users after invalid adds", s.Len())
	}
	if err := s.Add(good); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(good); !errors.Is(err, ErrExists) {
		t.Errorf("second add: %v", err)
	}
	u, ok := s.Get("analyst")
	if !ok || u.FullName != "Jane Analyst" || u.IsAdmin() || u.AllowedNetsString() != "192.168.1.0/24" || u.AllowedIfname != "eth0" {
		t.Fatalf("got %+v", u)
	}
	if !u.AllowsAddr(netip.MustParseAddr("192.168.1.7")) || u.AllowsAddr(netip.MustParseAddr("10.0.0.1")) {
		t.Error("allowed networks not applied")
	}
	if u.Can(CapAlerts) {
		t.Error("capability granted by default")
	}
}

func TestMaxUsersAndLastAdmin(t *testing.T) {
	s := open(t, ":memory:", nil)
	if _, err := s.EnsureAdmin("pw"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if err := s.Add(Spec{Username: "u" + string(rune('a'+i)), Password: "pw", Group: Unprivileged}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Add(Spec{Username: "extra", Password: "pw", Group: Unprivileged}); !errors.Is(err, ErrTooMany) {
		t.Errorf("sixth user: %v", err)
	}
	if err := s.Delete(AdminUser); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("delete last admin: %v", err)
	}
	if err := s.ChangeRole(AdminUser, Unprivileged); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demote last admin: %v", err)
	}
	if err := s.ChangeRole("ua", Administrator); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(AdminUser); err != nil {
		t.Errorf("delete one of two admins: %v", err)
	}
	if err := s.Delete("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete unknown: %v", err)
	}
}

func TestPersistenceAndSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s := open(t, path, nil)
	gen, err := s.EnsureAdmin("")
	if err != nil || len(gen) < 12 {
		t.Fatalf("generated %q: %v", gen, err)
	}
	if err := s.Add(Spec{Username: "bob", FullName: "Bob", Password: "hunter2", Group: Unprivileged, AllowedNets: "10.1.0.0/16", Language: "it"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCapability("bob", CapAlerts, true); err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateAPIToken("bob")
	if err != nil || len(tok) != 32 {
		t.Fatalf("token %q: %v", tok, err)
	}
	s.Stop()

	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode: %v %v", st, err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), gen) || strings.Contains(string(raw), "hunter2") {
		t.Error("a password is stored in clear")
	}

	s2 := open(t, path, nil)
	if again, err := s2.EnsureAdmin(""); err != nil || again != "" {
		t.Errorf("second start generated %q: %v", again, err)
	}
	if _, err := s2.Authenticate(AdminUser, gen); err != nil {
		t.Errorf("admin after restart: %v", err)
	}
	u, err := s2.Authenticate("bob", "hunter2")
	if err != nil || u.Language != "it" || !u.Can(CapAlerts) || u.Can(CapSNMP) || !u.HasAPIToken {
		t.Fatalf("bob after restart: %+v %v", u, err)
	}
	if got, ok := s2.ByToken(tok); !ok || got.Username != "bob" {
		t.Error("token lost across restart")
	}
	for _, bad := range []string{"", "x", strings.Repeat("0", 32), tok[:31] + "z"} {
		if _, ok := s2.ByToken(bad); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	// A new token replaces the old one.
	tok2, _ := s2.CreateAPIToken("bob")
	if _, ok := s2.ByToken(tok); ok || tok2 == tok {
		t.Error("old token still valid")
	}
	// --admin-password replaces the password on each start.
	if _, err := s2.EnsureAdmin("n3w"); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Authenticate(AdminUser, gen); !errors.Is(err, ErrBadCredentials) {
		t.Error("old admin password still accepted")
	}
	if _, err := s2.Authenticate(AdminUser, "n3w"); err != nil {
		t.Error(err)
	}
}

func TestAuthenticate(t *testing.T) {
	s := open(t, ":memory:", nil)
	if err := s.Add(Spec{Username: "bob", Password: "hunter2", Group: Unprivileged}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ user, pw string }{
		{"bob", "hunter3"}, {"bob", ""}, {"nobody", "hunter2"}, {"bob", strings.Repeat("x", 1000)}, {"", ""},
	} {
		if _, err := s.Authenticate(tc.user, tc.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%q/%q: %v", tc.user, tc.pw, err)
		}
	}
	// Twice: the second answer comes from the verified cache.
	for i := 0; i < 2; i++ {
		if _, err := s.Authenticate("bob", "hunter2"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ChangePassword("bob", "wrong", "next"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("change with a wrong old password: %v", err)
	}
	if err := s.ChangePassword("bob", "hunter2", "next"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate("bob", "hunter2"); err == nil {
		t.Error("the cache kept the old password")
	}
}

func TestMD5ImportRehash(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := open(t, path, nil)
	sum := md5.Sum([]byte("admin"))
	if err := s.Import(Spec{Username: "old", Group: Administrator}, hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "plain", strings.Repeat("g", 32), "$2a$broken"} {
		if err := s.Import(Spec{Username: "x", Group: Unprivileged}, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("hash %q: %v", bad, err)
		}
	}
	if _, err := s.Authenticate("old", "wrong"); err == nil || s.Rehashed() != 0 {
		t.Fatal("wrong password accepted or rehashed")
	}
	if _, err := s.Authenticate("old", "admin"); err != nil {
		t.Fatal(err)
	}
	if s.Rehashed() != 1 {
		t.Errorf("rehashed %d", s.Rehashed())
	}
	s.Stop()
	s2 := open(t, path, nil)
	s2.mu.RLock()
	h := s2.users["old"].hash
	s2.mu.RUnlock()
	if !isBcrypt(h) {
		t.Fatalf("stored hash after login is %q...", h[:4])
	}
	if _, err := s2.Authenticate("old", "admin"); err != nil {
		t.Error(err)
	}
}

func TestTOTP(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := open(t, ":memory:", func() time.Time { return now })
	if err := s.Add(Spec{Username: "bob", Password: "pw", Group: Unprivileged}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTOTPEnabled("bob", true); !errors.Is(err, ErrNoTOTPSecret) {
		t.Errorf("enable without secret: %v", err)
	}
	secret, uri, err := s.EnrolTOTP("bob")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) || !strings.Contains(uri, "issuer=flowgate") {
		t.Errorf("uri %q", uri)
	}
	if s.TOTPEnabled("bob") {
		t.Error("enrolment enabled TOTP")
	}
	code, _ := totp.GenerateCode(secret, now)
	if !s.ValidateTOTP("bob", code) {
		t.Fatal("current code refused")
	}
	if s.ValidateTOTP("bob", code) {
		t.Error("code replayed")
	}
	now = now.Add(30 * time.Second)
	prev := code
	code, _ = totp.GenerateCode(secret, now)
	for _, bad := range []string{"", "12345", "1234567", "abcdef", prev} {
		if s.ValidateTOTP("bob", bad) {
			t.Errorf("code %q accepted", bad)
		}
	}
	old, _ := totp.GenerateCode(secret, now.Add(-5*time.Minute))
	if s.ValidateTOTP("bob", old) {
		t.Error("a five-minute-old code accepted")
	}
	if !s.ValidateTOTP("bob", code) {
		t.Error("next code refused")
	}
	if err := s.SetTOTPSecret("bob", "not base32!"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad secret: %v", err)
	}
	if err := s.SetTOTPEnabled("bob", true); err != nil || !s.TOTPEnabled("bob") {
		t.Errorf("enable: %v", err)
	}
	if s.ValidateTOTP("nobody", code) {
		t.Error("unknown user validated")
	}
}

func TestImportLegacy(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, LegacyFile)
	h, _ := bcrypt.GenerateFromPassword([]byte("oldpw"), bcrypt.MinCost)
	os.WriteFile(legacy, []byte(`{"admin":{"password_hash":"`+string(h)+`"}}`), 0o600)
	s := open(t, filepath.Join(dir, FileName), nil)
	n, err := s.ImportLegacy(legacy)
	if err != nil || n != 1 {
		t.Fatalf("imported %d: %v", n, err)
	}
	if u, err := s.Authenticate(AdminUser, "oldpw"); err != nil || !u.IsAdmin() {
		t.Errorf("migrated admin: %+v %v", u, err)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Error("legacy file left in place")
	}
	if n, err := s.ImportLegacy(legacy); n != 0 || err != nil {
		t.Errorf("second import: %d %v", n, err)
	}
	os.WriteFile(legacy, []byte("{broken"), 0o600)
	if _, err := s.ImportLegacy(legacy); err == nil {
		t.Error("a corrupt legacy file was accepted")
	}
}

func TestCapabilities(t *testing.T) {
	want := []string{"pools", "notifications", "snmp", "active_monitoring", "preferences", "developer",
		"checks", "flowdevices", "alerts", "historical_flows", "pcap_download"}
	for i, n := range want {
		c, ok := CapabilityByName(n)
		if !ok || int(c) != i || c.String() != n || c.Bit() != 1<<i {
			t.Errorf("%s: bit %d, want %d", n, c, i)
		}
	}
	if _, ok := CapabilityByName("root"); ok {
		t.Error("unknown capability resolved")
	}
	admin := User{Group: Administrator}
	if !admin.Can(CapPcapDownload) {
		t.Error("admins hold every capability")
	}
}
