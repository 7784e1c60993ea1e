// Package web is flowgate's HTTP face: ntopng's REST API v2 paths with
// their {rc, rc_str, rsp} envelope, Prometheus metrics at /metrics, and the
// login ntopng users expect (HTTP basic auth as `curl -u admin:...` sends it).
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/categories"
	"flowgate/engine"
	"flowgate/pools"
	"flowgate/snmp"
	"flowgate/store/kv"
	"flowgate/web/users"
)

// Configuration of the HTTP server.
type Configuration struct {
	Addr          string // [addr]:port, default ":3000"
	DisableHTTP   bool   // -w 0: no plain HTTP (HTTPS only)
	HTTPSAddr     string // -W [addr:]port; empty: no HTTPS
	CertFile      string // --https-cert; empty: a self-signed one in DataDir
	KeyFile       string // --https-key
	DisableLogin  bool
	DataDir       string // where users.db (and the self-signed certificate) live
	AdminPassword string // sets the admin password when not empty

	SessionDuration time.Duration // ntopng's HTTP_SESSION_DURATION: 12 h
	MaxSessions     int
	LockoutAttempts int           // failed logins from one address before it is locked out
	LockoutDuration time.Duration // how long; also the window failures are counted in
	MaxBodyBytes    int64         // POST body limit (ntopng: 512 KiB)
	MaxUsers        int
	// DNSResolve lets get/dns/resolve.lua ask the system resolver for a
	// name the resolver cache lacks (off: no outbound DNS from REST).
	DNSResolve bool
}

// DefaultConfiguration is ntopng's: port 3000, login required, 12-hour
// sessions, 5 failed logins lock an address out for 5 minutes, 512 KiB
// request bodies.
func DefaultConfiguration() Configuration {
	return Configuration{Addr: ":3000", SessionDuration: 12 * time.Hour, MaxSessions: 4096,
		LockoutAttempts: 5, LockoutDuration: 5 * time.Minute, MaxBodyBytes: 512 << 10, MaxUsers: 256}
}

// Dependencies are what the server reads.
type Dependencies struct {
	Engine *engine.Engine
	Logger *slog.Logger
	// Users is the user store, shared with the Lua bindings; nil: the
	// server opens its own in DataDir at Start.
	Users *users.Store
	// Now is the clock of sessions, lockouts and TOTP (tests inject one).
	Now func() time.Time
	// Metrics is the registry served at /metrics: every component
	// registered its families in it when it was built (nil: an empty one).
	Metrics *prometheus.Registry
	// KV is the ntop.*Cache store the REST aliases and notes live in, under
	// ntopng's keys (nil: an in-memory store, lost at restart).
	KV kv.Store
	// Alerts takes trigger/host/alert.lua's alerts (nil: that endpoint
	// answers INTERNAL_ERROR).
	Alerts *alerts.Store
	// Geo names an address's AS and country for get/asn/* (nil: unknown).
	Geo func(netip.Addr) GeoInfo
	// ResolveCached answers get/dns/resolve.lua from the resolver's cache
	// (nil: no cache); outbound DNS only with Configuration.DNSResolve.
	ResolveCached func(name string) (addr string, ok bool)
	// Pools are the host pools of the pool endpoints and of host answers'
	// host_pool_id (nil: an in-memory store, lost at restart).
	Pools *pools.Store
	// Categories are the custom categories and application categories the
	// engine classifies with (nil: an in-memory store, lost at restart).
	Categories *categories.Store
}

// Server serves REST and metrics.
type Server struct {
	cfg       Configuration
	deps      Dependencies
	users     *users.Store
	ownUsers  bool // opened by Start, closed by Stop
	sess      *sessions
	pending   *sessions // logins waiting for their TOTP code
	lock      *lockout
	counters  authCounters
	mux       *routeMux // routes.go
	srv       *http.Server
	ln        net.Listener
	tlsSrv    *http.Server
	tlsLn     net.Listener
	certPrint string
	start     time.Time
	pages     *pages        // Lua pages (HandleLuaPages); nil: none
	badPaths  atomic.Uint64 // requests refused for their path (refuseBadPaths)

	configMods configModules // configuration backup kinds (rest_config.go)

	snmpPoller *snmp.Poller // set by HandleSNMP (before Start); nil: no SNMP
}

// New returns an inert server.
func New(cfg Configuration, deps Dependencies) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultConfiguration().Addr
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.KV == nil {
		deps.KV = kv.NewMemory()
	}
	if deps.Pools == nil {
		deps.Pools = pools.New(pools.DefaultConfiguration())
	}
	if deps.Categories == nil {
		deps.Categories = categories.New(categories.DefaultConfiguration())
	}
	def := DefaultConfiguration()
	if cfg.SessionDuration <= 0 {
		cfg.SessionDuration = def.SessionDuration
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = def.MaxSessions
	}
	if cfg.LockoutAttempts <= 0 {
		cfg.LockoutAttempts = def.LockoutAttempts
	}
	if cfg.LockoutDuration <= 0 {
		cfg.LockoutDuration = def.LockoutDuration
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = def.MaxBodyBytes
	}
	if cfg.MaxUsers <= 0 {
		cfg.MaxUsers = def.MaxUsers
	}
	s := &Server{cfg: cfg, deps: deps, mux: newRouteMux(), users: deps.Users,
		sess:    newSessions(cfg.MaxSessions, deps.Now),
		pending: newSessions(maxPendingLogins, deps.Now),
		lock:    newLockout(cfg.LockoutAttempts, cfg.LockoutDuration, 65536, deps.Now)}
	s.routes()
	s.userRoutes()
	s.accountRoutes()
	s.adminRoutes() // rest_pools.go, rest_categories.go, rest_config.go, pro_rest.go
	if deps.Metrics != nil {
		s.registerAuthMetrics(deps.Metrics)
	}
	return s
}

func (s *Server) now() time.Time { return s.deps.Now() }

// kvStore is the ntop.*Cache store of the REST writes.
func (s *Server) kvStore() kv.Store { return s.deps.KV }

// Users is the user store the server authenticates against (nil before
// Start when the server opens its own).
func (s *Server) Users() *users.Store { return s.users }

// Handle adds a handler behind the same login as the REST API; later
// components (Lua pages, script configuration) register here.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// Start opens the users (creating the admin at first start), listens on
// HTTP and HTTPS and serves in the background.
func (s *Server) Start() error {
	if err := s.openUsers(); err != nil {
		return err
	}
	s.start = time.Now()
	if s.pages != nil {
		s.pages.start()
	}
	h := s.Handler()
	if !s.cfg.DisableHTTP {
		ln, err := net.Listen("tcp", s.cfg.Addr)
		if err != nil {
			s.Stop()
			return fmt.Errorf("http %s: %w", s.cfg.Addr, err)
		}
		s.ln = ln
		s.srv = s.serve(ln, h, "http")
	}
	if s.cfg.HTTPSAddr != "" {
		if err := s.startTLS(h); err != nil {
			s.Stop()
			return err
		}
	}
	return nil
}

// Handler is the whole chain a request passes: paths refused, security
// headers, body limit, login, CSRF, least privilege, then a Lua page when
// its file exists (pages.go), else the routes.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.checkBodies(s.mux)
	if s.pages != nil {
		h = s.pages.serve(h)
	}
	return s.refuseBadPaths(s.guard(h))
}

func (s *Server) serve(ln net.Listener, h http.Handler, what string) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.deps.Logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.deps.Logger.Error(what+" server stopped", "err", err)
		}
	}()
	s.deps.Logger.Info(what+" server listening", "addr", ln.Addr().String(), "login", !s.cfg.DisableLogin)
	return srv
}

func (s *Server) startTLS(h http.Handler) error {
	cert, generated, err := loadCertificate(s.cfg.CertFile, s.cfg.KeyFile, s.cfg.DataDir)
	if err != nil {
		return err
	}
	s.certPrint = Fingerprint(cert.Certificate[0])
	if generated {
		s.deps.Logger.Warn("https: generated a self-signed certificate; pin its fingerprint or give --https-cert/--https-key",
			"cert", filepath.Join(s.cfg.DataDir, selfSignedCert), "sha256", s.certPrint)
	} else {
		s.deps.Logger.Info("https certificate", "sha256", s.certPrint)
	}
	ln, err := net.Listen("tcp", s.cfg.HTTPSAddr)
	if err != nil {
		return fmt.Errorf("https %s: %w", s.cfg.HTTPSAddr, err)
	}
	s.tlsLn = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.tlsSrv = s.serve(s.tlsLn, h, "https")
	return nil
}

// openUsers opens the user store unless one was given, moves an earlier
// version's users.json into it and creates the admin at first start (its
// generated password printed once: only the hash is kept).
func (s *Server) openUsers() error {
	if s.users == nil {
		ucfg := users.DefaultConfiguration()
		ucfg.MaxUsers = s.cfg.MaxUsers
		if s.cfg.DataDir != "" {
			if err := os.MkdirAll(s.cfg.DataDir, 0o750); err != nil {
				return fmt.Errorf("http: data dir: %w", err)
			}
			ucfg.Path = filepath.Join(s.cfg.DataDir, users.FileName)
		} else if !s.cfg.DisableLogin {
			return errors.New("http: login needs a data dir for its users")
		}
		st := users.New(ucfg, users.Dependencies{Now: s.deps.Now})
		if err := st.Start(); err != nil {
			return fmt.Errorf("http: %w", err)
		}
		s.users, s.ownUsers = st, true
	}
	// Deleting a user or replacing its password, from REST or Lua, ends
	// its sessions.
	s.users.OnRevoke(s.sess.removeUser)
	if s.cfg.DataDir != "" {
		n, err := s.users.ImportLegacy(filepath.Join(s.cfg.DataDir, users.LegacyFile))
		if err != nil {
			s.closeUsers()
			return fmt.Errorf("http: %w", err)
		}
		if n > 0 {
			s.deps.Logger.Info("users moved from users.json into the user store", "users", n)
		}
	}
	generated, err := s.users.EnsureAdmin(s.cfg.AdminPassword)
	if err != nil {
		s.closeUsers()
		return fmt.Errorf("http: admin user: %w", err)
	}
	if generated != "" && !s.cfg.DisableLogin {
		fmt.Fprintf(os.Stderr, "flowgate: first start: HTTP user %q, password %q (stored hashed in %s; change it with --admin-password)\n",
			users.AdminUser, generated, s.cfg.DataDir)
	}
	return nil
}

func (s *Server) closeUsers() {
	if s.ownUsers && s.users != nil {
		s.users.Stop()
		s.users, s.ownUsers = nil, false
	}
}

// Addr is the listening address (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// HTTPSAddr is the HTTPS listening address ("" without -W).
func (s *Server) HTTPSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// CertFingerprint is the SHA-256 fingerprint of the HTTPS certificate.
func (s *Server) CertFingerprint() string { return s.certPrint }

// Stop shuts the servers down and closes the user store it opened.
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, srv := range []*http.Server{s.srv, s.tlsSrv} {
		if srv != nil {
			_ = srv.Shutdown(ctx)
		}
	}
	if s.pages != nil {
		s.pages.stop()
	}
	s.closeUsers()
}

// ServeHTTP lets tests drive the handlers without a socket (no login).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.mux.HandleFunc("/lua/rest/v2/get/ntopng/interfaces.lua", s.getInterfaces)
	s.mux.HandleFunc("/lua/rest/v2/get/interface/data.lua", s.getInterfaceData)
	s.mux.HandleFunc("/lua/rest/v2/get/host/active.lua", s.getActiveHosts)
	s.mux.HandleFunc("/lua/rest/v2/get/host/data.lua", s.getHostData)
	s.mux.HandleFunc("/lua/rest/v2/get/flow/active.lua", s.getActiveFlows)
	s.breadthRoutes() // rest_*.go
	s.mux.Handle("/metrics", s.metricsHandler())
	// Profiles for operators chasing a slow path, behind the same login.
	s.mux.HandleFunc("/debug/pprof/", pprof.Index)
	s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	s.mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	s.mux.HandleFunc("/lua/rest/v2/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errNotFound, "unknown REST endpoint "+r.URL.Path)
	})
}
