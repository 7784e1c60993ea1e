package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// usersFile holds the password hashes of the HTTP users, in the data dir.
const usersFile = "users.json"

// AdminUser is the user ntopng creates at first start.
const AdminUser = "admin"

type userEntry struct {
	PasswordHash string `json:"password_hash"`
}

// Users checks HTTP basic credentials against bcrypt hashes kept in the data
// dir. Verified credentials are cached (keyed by the hash of user and
// password) so that REST polling does not pay bcrypt's cost on every request.
type Users struct {
	path  string
	mu    sync.Mutex
	users map[string]userEntry
	ok    map[string][32]byte // user -> sha256 of a password already verified
}

// LoadUsers reads the users file of dataDir, creating the admin user when
// the file does not exist. password, when not empty, becomes (or replaces)
// the admin password. When a password had to be generated it is returned,
// so that the caller can print it once.
func LoadUsers(dataDir, password string) (*Users, string, error) {
	u := &Users{path: filepath.Join(dataDir, usersFile), users: map[string]userEntry{}, ok: map[string][32]byte{}}
	raw, err := os.ReadFile(u.path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &u.users); err != nil {
			return nil, "", fmt.Errorf("users %s: %w", u.path, err)
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, "", fmt.Errorf("users: %w", err)
	}
	generated := ""
	if _, exists := u.users[AdminUser]; !exists && password == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return nil, "", err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	}
	if password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return nil, "", err
		}
		u.users[AdminUser] = userEntry{PasswordHash: string(h)}
		if err := u.save(); err != nil {
			return nil, "", err
		}
	}
	return u, generated, nil
}

func (u *Users) save() error {
	raw, err := json.MarshalIndent(u.users, "", "  ")
	if err != nil {
		return err
	}
	tmp := u.path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return os.Rename(tmp, u.path)
}

// Check tells whether user and password are valid.
func (u *Users) Check(user, password string) bool {
	sum := hashCredential(password)
	u.mu.Lock()
	entry, exists := u.users[user]
	cached, isCached := u.ok[user]
	u.mu.Unlock()
	if !exists {
		return false
	}
	if isCached && subtle.ConstantTimeCompare(cached[:], sum[:]) == 1 {
		return true
	}
	if bcrypt.CompareHashAndPassword([]byte(entry.PasswordHash), []byte(password)) != nil {
		return false
	}
	u.mu.Lock()
	u.ok[user] = sum
	u.mu.Unlock()
	return true
}

// requireLogin wraps h with HTTP basic authentication; unauthenticated
// requests get 401 and ntopng's NOT_GRANTED envelope.
func requireLogin(u *Users, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !u.Check(user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="flowgate"`)
			writeError(w, http.StatusUnauthorized, errNotGranted, "authentication required")
			return
		}
		h.ServeHTTP(w, r)
	})
}
