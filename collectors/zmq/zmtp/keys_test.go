package zmtp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestZ85(t *testing.T) {
	// RFC 32 test vector.
	raw := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	s, err := Z85Encode(raw)
	if err != nil || s != "HelloWorld" {
		t.Fatalf("Z85Encode = %q, %v; want HelloWorld", s, err)
	}
	b, err := Z85Decode("HelloWorld")
	if err != nil || !bytes.Equal(b, raw) {
		t.Fatalf("Z85Decode = % x, %v", b, err)
	}
	for n := 0; n <= 64; n += 4 {
		in := make([]byte, n)
		rand.Read(in)
		enc, err := Z85Encode(in)
		if err != nil || len(enc) != n/4*5 {
			t.Fatalf("encode %d bytes: %q, %v", n, enc, err)
		}
		dec, err := Z85Decode(enc)
		if err != nil || !bytes.Equal(dec, in) {
			t.Fatalf("round trip of %d bytes failed: %v", n, err)
		}
	}
	bad := []struct{ name, in string }{
		{"length", "Hello"[:4]},
		{"character", "Hell~World"},
		{"overflow", "#####"}, // 85^5-1 > 2^32-1
	}
	for _, tc := range bad {
		if _, err := Z85Decode(tc.in); err == nil {
			t.Errorf("Z85Decode(%s %q) succeeded", tc.name, tc.in)
		}
	}
	if _, err := Z85Encode([]byte{1, 2, 3}); err == nil {
		t.Error("Z85Encode of 3 bytes succeeded")
	}
}

func TestKeyDerivation(t *testing.T) {
	// The zmq_curve_keypair(3) example pair; libzmq's zmq_curve_public agrees.
	sec, err := ParseSecretKey("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs")
	if err != nil {
		t.Fatal(err)
	}
	if got := KeyPairFromSecret(sec).PublicZ85(); got != "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID" {
		t.Errorf("public key %q does not match libzmq", got)
	}
	kp, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if KeyPairFromSecret(kp.Secret) != kp {
		t.Error("KeyPairFromSecret does not reproduce the generated public key")
	}
}

func TestParseServerKey(t *testing.T) {
	kp, _ := GenerateKeyPair()
	hexKey := PublicKeyHex(kp)
	if len(hexKey) != 80 || hexKey != strings.ToUpper(hexKey) {
		t.Fatalf("PublicKeyHex = %q: want 80 uppercase hex chars", hexKey)
	}
	if raw, _ := hex.DecodeString(hexKey); string(raw) != kp.PublicZ85() {
		t.Fatalf("PublicKeyHex is not hex of the Z85 text")
	}
	for _, in := range []string{kp.PublicZ85(), hexKey, strings.ToLower(hexKey), " " + kp.PublicZ85() + "\n"} {
		k, err := ParseServerKey(in)
		if err != nil || k != kp.Public {
			t.Errorf("ParseServerKey(%q) = %x, %v", in, k, err)
		}
	}
	for _, in := range []string{"", kp.PublicZ85()[:39], "zz" + hexKey[2:], strings.Repeat("~", 40)} {
		if _, err := ParseServerKey(in); err == nil {
			t.Errorf("ParseServerKey(%q) succeeded", in)
		}
	}
}

func TestLoadOrCreateKeyPair(t *testing.T) {
	dir := t.TempDir()
	kp, created, err := LoadOrCreateKeyPair(dir)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v", created, err)
	}
	sec, _ := os.ReadFile(filepath.Join(dir, SecretKeyFile))
	pub, _ := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if string(sec) != kp.SecretZ85() || string(pub) != kp.PublicZ85() {
		t.Fatalf("files hold %q / %q, want the 40-char Z85 keys without newline", sec, pub)
	}
	if fi, _ := os.Stat(filepath.Join(dir, SecretKeyFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("secret key mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := LoadOrCreateKeyPair(dir)
	if err != nil || created || again != kp {
		t.Fatalf("second call: created=%v err=%v same=%v", created, err, again == kp)
	}

	// A lost public file is re-derived; a mismatching one is an error.
	os.Remove(filepath.Join(dir, PublicKeyFile))
	if again, _, err = LoadOrCreateKeyPair(dir); err != nil || again != kp {
		t.Fatalf("re-deriving public key: %v", err)
	}
	other, _ := GenerateKeyPair()
	os.WriteFile(filepath.Join(dir, PublicKeyFile), []byte(other.PublicZ85()), 0o644)
	if _, _, err = LoadOrCreateKeyPair(dir); err == nil {
		t.Error("mismatching public key accepted")
	}
	// A public key without its secret cannot be used.
	os.Remove(filepath.Join(dir, SecretKeyFile))
	if _, _, err = LoadOrCreateKeyPair(dir); err == nil {
		t.Error("public key without secret accepted")
	}
}

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		ep   string
		bind bool
		want string // "" means error
	}{
		{"tcp://*:5556", true, ":5556"},
		{"tcp://127.0.0.1:5556", true, "127.0.0.1:5556"},
		{"tcp://[::1]:5556", true, "[::1]:5556"},
		{"tcp://*:*", true, ":0"},
		{"tcp://probe.example:5556", false, "probe.example:5556"},
		{"tcp://[::1]:5556", false, "[::1]:5556"},
		{"tcp://*:5556", false, ""},
		{"tcp://host:0", false, ""},
		{"ipc:///tmp/x", true, ""},
		{"tcp://nohost", true, ""},
		{"tcp://host:", false, ""},
	}
	for _, tc := range cases {
		got, err := parseEndpoint(tc.ep, tc.bind)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("parseEndpoint(%q, bind=%v) = %q, %v; want %q", tc.ep, tc.bind, got, err, tc.want)
		}
	}
}
