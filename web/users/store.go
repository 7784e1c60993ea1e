package users

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// FileName is the store's file in the data dir.
const FileName = "users.db"

// Configuration of the store.
type Configuration struct {
	// Path of the SQLite file; ":memory:" keeps the users in memory only
	// (--disable-login without a data dir, tests).
	Path     string
	MaxUsers int
	// BcryptCost of new hashes; bcrypt.DefaultCost unless set.
	BcryptCost int
}

// DefaultConfiguration keeps at most 256 users, in memory until a Path is set.
func DefaultConfiguration() Configuration {
	return Configuration{Path: ":memory:", MaxUsers: 256, BcryptCost: bcrypt.DefaultCost}
}

// Dependencies of the store.
type Dependencies struct {
	Now func() time.Time // the clock TOTP codes are checked against
}

// record is a user as stored, secrets included.
type record struct {
	User
	hash       string // bcrypt, or "md5:<hex>" imported from ntopng until the next login
	token      string
	totpSecret string
	lastStep   int64 // last TOTP time step accepted: a code is good once
}

// Store is the user store: every user in memory (bounded by MaxUsers),
// written through to SQLite on each change.
type Store struct {
	cfg  Configuration
	deps Dependencies
	db   *sql.DB

	mu      sync.RWMutex
	users   map[string]*record
	byToken map[string]string   // API token -> username
	ok      map[string][32]byte // username -> keyed sum of a password bcrypt already accepted
	okKey   [32]byte

	rehashed atomic.Uint64

	revokeMu sync.Mutex
	revoke   []func(username string)
}

// OnRevoke registers fn to run after a user is deleted or its password
// replaced, whoever did it (REST, Lua): the web server ends that user's
// sessions there.
func (s *Store) OnRevoke(fn func(username string)) {
	s.revokeMu.Lock()
	s.revoke = append(s.revoke, fn)
	s.revokeMu.Unlock()
}

func (s *Store) revoked(name string) {
	s.revokeMu.Lock()
	fns := append([]func(string){}, s.revoke...)
	s.revokeMu.Unlock()
	for _, fn := range fns {
		fn(name)
	}
}

// New returns an inert store; Start opens it.
func New(cfg Configuration, deps Dependencies) *Store {
	def := DefaultConfiguration()
	if cfg.Path == "" {
		cfg.Path = def.Path
	}
	if cfg.MaxUsers <= 0 {
		cfg.MaxUsers = def.MaxUsers
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = def.BcryptCost
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Store{cfg: cfg, deps: deps, users: map[string]*record{}, byToken: map[string]string{}, ok: map[string][32]byte{}}
}

const schema = `
CREATE TABLE IF NOT EXISTS users (
	username       TEXT PRIMARY KEY,
	full_name      TEXT NOT NULL DEFAULT '',
	password_hash  TEXT NOT NULL,
	user_group     TEXT NOT NULL,
	allowed_nets   TEXT NOT NULL DEFAULT '',
	allowed_ifname TEXT NOT NULL DEFAULT '',
	capabilities   INTEGER NOT NULL DEFAULT 0,
	language       TEXT NOT NULL DEFAULT 'en',
	api_token      TEXT NOT NULL DEFAULT '',
	totp_secret    TEXT NOT NULL DEFAULT '',
	totp_enabled   INTEGER NOT NULL DEFAULT 0
);
PRAGMA user_version = 1;
`

// Start opens (creating when missing) the SQLite file in WAL mode and
// loads the users.
func (s *Store) Start() error {
	if _, err := rand.Read(s.okKey[:]); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	dsn := "file::memory:"
	if s.cfg.Path != ":memory:" {
		// Created 0600 before SQLite opens it: SQLite gives its -wal and
		// -shm files the database file's mode.
		if err := os.MkdirAll(filepath.Dir(s.cfg.Path), 0o750); err != nil {
			return fmt.Errorf("users %s: %w", s.cfg.Path, err)
		}
		f, err := os.OpenFile(s.cfg.Path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return fmt.Errorf("users %s: %w", s.cfg.Path, err)
		}
		f.Close()
		if err := os.Chmod(s.cfg.Path, 0o600); err != nil {
			return fmt.Errorf("users %s: %w", s.cfg.Path, err)
		}
		dsn = "file:" + s.cfg.Path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("users %s: %w", s.cfg.Path, err)
	}
	db.SetMaxOpenConns(1) // one writer; an in-memory database lives in its one connection
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return fmt.Errorf("users %s: schema: %w", s.cfg.Path, err)
	}
	s.db = db
	if err := s.load(); err != nil {
		db.Close()
		s.db = nil
		return fmt.Errorf("users %s: %w", s.cfg.Path, err)
	}
	return nil
}

// Stop closes the database.
func (s *Store) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
}

func (s *Store) load() error {
	rows, err := s.db.Query(`SELECT username, full_name, password_hash, user_group, allowed_nets, allowed_ifname,
		capabilities, language, api_token, totp_secret, totp_enabled FROM users`)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for rows.Next() {
		r := &record{}
		var nets string
		var caps int64
		var totp int
		if err := rows.Scan(&r.Username, &r.FullName, &r.hash, &r.Group, &nets, &r.AllowedIfname,
			&caps, &r.Language, &r.token, &r.totpSecret, &totp); err != nil {
			return err
		}
		if r.AllowedNets, err = ParseAllowedNets(nets); err != nil {
			return fmt.Errorf("user %q: %w", r.Username, err)
		}
		r.Capabilities = uint64(caps)
		r.TOTPEnabled = totp != 0
		r.HasAPIToken = r.token != ""
		s.users[r.Username] = r
		if r.token != "" {
			s.byToken[r.token] = r.Username
		}
	}
	return rows.Err()
}

// save writes r's row; the caller holds s.mu.
func (s *Store) save(r *record) error {
	if s.db == nil {
		return errors.New("users: store not started")
	}
	nets := ""
	if len(r.AllowedNets) > 0 {
		nets = r.AllowedNetsString()
	}
	totp := 0
	if r.TOTPEnabled {
		totp = 1
	}
	_, err := s.db.ExecContext(context.Background(), `INSERT INTO users (username, full_name, password_hash, user_group,
		allowed_nets, allowed_ifname, capabilities, language, api_token, totp_secret, totp_enabled)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(username) DO UPDATE SET full_name=excluded.full_name, password_hash=excluded.password_hash,
		user_group=excluded.user_group, allowed_nets=excluded.allowed_nets, allowed_ifname=excluded.allowed_ifname,
		capabilities=excluded.capabilities, language=excluded.language, api_token=excluded.api_token,
		totp_secret=excluded.totp_secret, totp_enabled=excluded.totp_enabled`,
		r.Username, r.FullName, r.hash, r.Group, nets, r.AllowedIfname, int64(r.Capabilities), r.Language,
		r.token, r.totpSecret, totp)
	if err != nil {
		return fmt.Errorf("users: save %q: %w", r.Username, err)
	}
	return nil
}

// Spec describes a new user, as ntop.addUser and add/ntopng/user.lua give it.
type Spec struct {
	Username      string
	FullName      string
	Password      string
	Group         string
	AllowedNets   string // ntopng's comma list; empty: all
	AllowedIfname string
	Language      string // empty: en
	Capabilities  uint64
}

func (s *Store) recordFor(spec Spec) (*record, error) {
	if err := ValidUsername(spec.Username); err != nil {
		return nil, err
	}
	if err := validText("full name", spec.FullName, MaxFullNameLen); err != nil {
		return nil, err
	}
	if err := ValidGroup(spec.Group); err != nil {
		return nil, err
	}
	nets, err := ParseAllowedNets(spec.AllowedNets)
	if err != nil {
		return nil, err
	}
	if err := validText("allowed interface", spec.AllowedIfname, MaxIfnameLen); err != nil {
		return nil, err
	}
	if spec.Language == "" {
		spec.Language = DefaultLanguage
	}
	if err := validLanguage(spec.Language); err != nil {
		return nil, err
	}
	if spec.Capabilities&^AllCapabilities != 0 {
		return nil, invalid("capabilities", "unknown bit")
	}
	return &record{User: User{Username: spec.Username, FullName: spec.FullName, Group: spec.Group,
		AllowedNets: nets, AllowedIfname: spec.AllowedIfname, Capabilities: spec.Capabilities, Language: spec.Language}}, nil
}

// Add creates a user.
func (s *Store) Add(spec Spec) error {
	if err := ValidPassword(spec.Password); err != nil {
		return err
	}
	r, err := s.recordFor(spec)
	if err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(spec.Password), s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("users: hash: %w", err)
	}
	r.hash = string(h)
	return s.insert(r)
}

// Import creates a user with an existing password hash: a bcrypt hash, or
// ntopng's MD5 hex digest, which is replaced by bcrypt at the user's next
// successful login.
func (s *Store) Import(spec Spec, hash string) error {
	r, err := s.recordFor(spec)
	if err != nil {
		return err
	}
	switch {
	case isBcrypt(hash):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return invalid("password hash", "bad bcrypt hash")
		}
		r.hash = hash
	case isMD5Hex(hash):
		r.hash = "md5:" + strings.ToLower(hash)
	default:
		return invalid("password hash", "want bcrypt or ntopng's MD5 hex")
	}
	return s.insert(r)
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

func isMD5Hex(h string) bool {
	if len(h) != 32 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

func (s *Store) insert(r *record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.users[r.Username]; exists {
		return fmt.Errorf("add %q: %w", r.Username, ErrExists)
	}
	if len(s.users) >= s.cfg.MaxUsers {
		return fmt.Errorf("add %q: %w (%d)", r.Username, ErrTooMany, s.cfg.MaxUsers)
	}
	if err := s.save(r); err != nil {
		return err
	}
	s.users[r.Username] = r
	return nil
}

// Delete removes a user; the last administrator stays.
func (s *Store) Delete(name string) error {
	if err := s.delete(name); err != nil {
		return err
	}
	s.revoked(name) // outside s.mu: a callback may read the store
	return nil
}

func (s *Store) delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[name]
	if !ok {
		return fmt.Errorf("delete %q: %w", name, ErrNotFound)
	}
	if r.IsAdmin() && s.admins() == 1 {
		return fmt.Errorf("delete %q: %w", name, ErrLastAdmin)
	}
	if s.db == nil {
		return errors.New("users: store not started")
	}
	if _, err := s.db.Exec(`DELETE FROM users WHERE username = ?`, name); err != nil {
		return fmt.Errorf("users: delete %q: %w", name, err)
	}
	delete(s.users, name)
	delete(s.byToken, r.token)
	delete(s.ok, name)
	return nil
}

func (s *Store) admins() int {
	n := 0
	for _, r := range s.users {
		if r.IsAdmin() {
			n++
		}
	}
	return n
}

// Get returns a user.
func (s *Store) Get(name string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.users[name]
	if !ok {
		return User{}, false
	}
	return r.public(), true
}

func (r *record) public() User {
	u := r.User
	u.AllowedNets = append([]netip.Prefix(nil), r.AllowedNets...)
	return u
}

// List returns every user, by name.
func (s *Store) List() []User {
	s.mu.RLock()
	out := make([]User, 0, len(s.users))
	for _, r := range s.users {
		out = append(out, r.public())
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

// Len is the number of users.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.users)
}

// update applies change to a copy of name's record and stores it; the
// in-memory user changes only once the row is written.
func (s *Store) update(name string, change func(r *record) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.users[name]
	if !ok {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	next := *cur
	next.AllowedNets = append([]netip.Prefix(nil), cur.AllowedNets...)
	if err := change(&next); err != nil {
		return fmt.Errorf("user %q: %w", name, err)
	}
	if cur.IsAdmin() && !next.IsAdmin() && s.admins() == 1 {
		return fmt.Errorf("user %q: %w", name, ErrLastAdmin)
	}
	if err := s.save(&next); err != nil {
		return err
	}
	if cur.token != next.token {
		delete(s.byToken, cur.token)
		if next.token != "" {
			s.byToken[next.token] = name
		}
	}
	if cur.hash != next.hash {
		delete(s.ok, name)
	}
	s.users[name] = &next
	return nil
}

// SetPassword replaces a user's password (admin reset).
func (s *Store) SetPassword(name, password string) error {
	if err := ValidPassword(password); err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("users: hash: %w", err)
	}
	if err := s.update(name, func(r *record) error { r.hash = string(h); return nil }); err != nil {
		return err
	}
	s.revoked(name)
	return nil
}

// ChangePassword replaces a user's password after checking the old one,
// as ntop.resetUserPassword does when users change their own.
func (s *Store) ChangePassword(name, old, password string) error {
	if _, err := s.Authenticate(name, old); err != nil {
		return err
	}
	return s.SetPassword(name, password)
}

// ChangeRole sets the group.
func (s *Store) ChangeRole(name, group string) error {
	if err := ValidGroup(group); err != nil {
		return err
	}
	return s.update(name, func(r *record) error { r.Group = group; return nil })
}

// ChangeAllowedNets sets the allowed networks (ntopng's comma list).
func (s *Store) ChangeAllowedNets(name, nets string) error {
	p, err := ParseAllowedNets(nets)
	if err != nil {
		return err
	}
	return s.update(name, func(r *record) error { r.AllowedNets = p; return nil })
}

// ChangeAllowedIfname sets the allowed interface (empty: all).
func (s *Store) ChangeAllowedIfname(name, ifname string) error {
	if err := validText("allowed interface", ifname, MaxIfnameLen); err != nil {
		return err
	}
	return s.update(name, func(r *record) error { r.AllowedIfname = ifname; return nil })
}

// ChangeFullName sets the full name.
func (s *Store) ChangeFullName(name, full string) error {
	if err := validText("full name", full, MaxFullNameLen); err != nil {
		return err
	}
	return s.update(name, func(r *record) error { r.FullName = full; return nil })
}

// ChangeLanguage sets the UI language.
func (s *Store) ChangeLanguage(name, lang string) error {
	if err := validLanguage(lang); err != nil {
		return err
	}
	return s.update(name, func(r *record) error { r.Language = lang; return nil })
}

// SetCapability grants or revokes one capability.
func (s *Store) SetCapability(name string, c Capability, allow bool) error {
	if c >= numCapabilities {
		return invalid("capability", c.String())
	}
	return s.update(name, func(r *record) error {
		if allow {
			r.Capabilities |= c.Bit()
		} else {
			r.Capabilities &^= c.Bit()
		}
		return nil
	})
}

// SetCapabilities replaces the capability bitmap.
func (s *Store) SetCapabilities(name string, caps uint64) error {
	if caps&^AllCapabilities != 0 {
		return invalid("capabilities", "unknown bit")
	}
	return s.update(name, func(r *record) error { r.Capabilities = caps; return nil })
}

// dummyHash is compared against when the user does not exist, so that an
// unknown user costs what a wrong password costs.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("flowgate-no-such-user"), bcrypt.DefaultCost)

// Authenticate checks a username and password. A password bcrypt accepted
// once is remembered (as a keyed SHA-256) so that Basic-auth polling does
// not pay bcrypt on every request. An MD5 hash imported from ntopng is
// replaced by bcrypt here.
func (s *Store) Authenticate(name, password string) (User, error) {
	if len(password) > MaxPasswordLen || len(name) > MaxUsernameLen {
		return User{}, ErrBadCredentials
	}
	sum := s.credentialSum(name, password)
	s.mu.RLock()
	r, exists := s.users[name]
	cached, isCached := s.ok[name]
	var hash string
	if exists {
		hash = r.hash
	}
	s.mu.RUnlock()
	if !exists {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	if isCached && subtle.ConstantTimeCompare(cached[:], sum[:]) == 1 {
		return s.getOr(name)
	}
	if md5hex, ok := strings.CutPrefix(hash, "md5:"); ok {
		got := md5.Sum([]byte(password))
		want, _ := hex.DecodeString(md5hex)
		if subtle.ConstantTimeCompare(got[:], want) != 1 {
			return User{}, ErrBadCredentials
		}
		if err := s.rehash(name, hash, password); err != nil {
			return User{}, err
		}
		s.rehashed.Add(1)
	} else if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	s.mu.Lock()
	if cur, ok := s.users[name]; ok && (cur.hash == hash || strings.HasPrefix(hash, "md5:")) {
		s.ok[name] = sum
	}
	s.mu.Unlock()
	return s.getOr(name)
}

func (s *Store) getOr(name string) (User, error) {
	u, ok := s.Get(name)
	if !ok {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// rehash replaces an imported MD5 hash by bcrypt, unless the password
// changed meanwhile.
func (s *Store) rehash(name, old, password string) error {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("users: hash: %w", err)
	}
	return s.update(name, func(r *record) error {
		if r.hash == old {
			r.hash = string(h)
		}
		return nil
	})
}

// Rehashed counts MD5 hashes replaced by bcrypt.
func (s *Store) Rehashed() uint64 { return s.rehashed.Load() }

func (s *Store) credentialSum(name, password string) [32]byte {
	h := sha256.New()
	h.Write(s.okKey[:])
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(password))
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// CreateAPIToken gives the user a new API token (replacing any previous
// one) and returns it.
func (s *Store) CreateAPIToken(name string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("users: token: %w", err)
	}
	tok := hex.EncodeToString(b) // 32 hex digits, the shape of ntopng's tokens
	err := s.update(name, func(r *record) error { r.token = tok; r.HasAPIToken = true; return nil })
	if err != nil {
		return "", err
	}
	return tok, nil
}

// APIToken returns the user's API token, if any.
func (s *Store) APIToken(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.users[name]
	if !ok || r.token == "" {
		return "", false
	}
	return r.token, true
}

// ByToken returns the user an API token belongs to.
func (s *Store) ByToken(token string) (User, bool) {
	if len(token) != 32 {
		return User{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, ok := s.byToken[token]
	if !ok {
		return User{}, false
	}
	r := s.users[name]
	if r == nil || subtle.ConstantTimeCompare([]byte(r.token), []byte(token)) != 1 {
		return User{}, false
	}
	return r.public(), true
}

// EnsureAdmin creates the admin user at first start, with password when
// given or a generated one (returned so that the caller prints it once);
// a given password replaces the admin's password on every start, as
// --admin-password promises.
func (s *Store) EnsureAdmin(password string) (generated string, err error) {
	if _, exists := s.Get(AdminUser); exists {
		if password == "" {
			return "", nil
		}
		return "", s.SetPassword(AdminUser, password)
	}
	if password == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	}
	err = s.Add(Spec{Username: AdminUser, FullName: "ntopng Administrator", Password: password, Group: Administrator})
	if err != nil {
		return "", err
	}
	return generated, nil
}

// now is the store's clock.
func (s *Store) now() time.Time { return s.deps.Now() }
