package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsersFirstStartAndReload(t *testing.T) {
	dir := t.TempDir()
	u, generated, err := LoadUsers(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(generated) < 12 {
		t.Fatalf("generated password %q", generated)
	}
	if !u.Check(AdminUser, generated) || u.Check(AdminUser, "wrong") || u.Check("nobody", generated) {
		t.Error("credentials not checked")
	}
	raw, _ := os.ReadFile(filepath.Join(dir, usersFile))
	if strings.Contains(string(raw), generated) {
		t.Error("password stored in clear")
	}
	if st, _ := os.Stat(filepath.Join(dir, usersFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %v", st.Mode())
	}
	// Second start: the stored hash is used and nothing is printed again.
	u2, again, err := LoadUsers(dir, "")
	if err != nil || again != "" || !u2.Check(AdminUser, generated) {
		t.Errorf("second start: %v %q", err, again)
	}
	// A configured password replaces it.
	u3, _, err := LoadUsers(dir, "n3w")
	if err != nil || !u3.Check(AdminUser, "n3w") || u3.Check(AdminUser, generated) {
		t.Errorf("configured password not applied: %v", err)
	}
	os.WriteFile(filepath.Join(dir, usersFile), []byte("{broken"), 0o600)
	if _, _, err := LoadUsers(dir, ""); err == nil {
		t.Error("a corrupt users file was accepted")
	}
}
