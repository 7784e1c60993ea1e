// Package web is flowgate's HTTP face: ntopng's REST API v2 paths with
// their {rc, rc_str, rsp} envelope, Prometheus metrics at /metrics, and the
// login ntopng users expect (HTTP basic auth as `curl -u admin:...` sends it).
package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"flowgate/engine"
)

// Configuration of the HTTP server.
type Configuration struct {
	Addr          string // [addr]:port, default ":3000"
	DisableLogin  bool
	DataDir       string // where users.json lives
	AdminPassword string // sets the admin password when not empty
}

// DefaultConfiguration is ntopng's: port 3000, login required.
func DefaultConfiguration() Configuration {
	return Configuration{Addr: ":3000"}
}

// Dependencies are what the server reads.
type Dependencies struct {
	Engine *engine.Engine
	Logger *slog.Logger
	// Metrics writes extra Prometheus lines (collectors' transport counters,
	// ...), so that this package need not import them.
	Metrics []func(w io.Writer)
}

// Server serves REST and metrics.
type Server struct {
	cfg   Configuration
	deps  Dependencies
	users *Users
	mux   *http.ServeMux
	srv   *http.Server
	ln    net.Listener
	start time.Time
}

// New returns an inert server.
func New(cfg Configuration, deps Dependencies) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultConfiguration().Addr
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, deps: deps, mux: http.NewServeMux()}
	s.routes()
	return s
}

// Handle adds a handler behind the same login as the REST API; later
// components (Lua pages, script configuration) register here.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// Start loads the users, listens and serves in the background.
func (s *Server) Start() error {
	if !s.cfg.DisableLogin {
		if err := os.MkdirAll(s.cfg.DataDir, 0o750); err != nil {
			return fmt.Errorf("http: data dir: %w", err)
		}
		users, generated, err := LoadUsers(s.cfg.DataDir, s.cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		s.users = users
		if generated != "" {
			// Printed once: only the hash is stored.
			fmt.Fprintf(os.Stderr, "flowgate: first start: HTTP user %q, password %q (stored hashed in %s; change it with --admin-password)\n",
				AdminUser, generated, s.cfg.DataDir)
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.start = time.Now()
	var h http.Handler = s.mux
	if !s.cfg.DisableLogin {
		h = requireLogin(s.users, h)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.deps.Logger.Error("http server stopped", "err", err)
		}
	}()
	s.deps.Logger.Info("http server listening", "addr", ln.Addr().String(), "login", !s.cfg.DisableLogin)
	return nil
}

// Addr is the listening address (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop shuts the server down.
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// ServeHTTP lets tests drive the handlers without a socket (no login).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.mux.HandleFunc("/lua/rest/v2/get/ntopng/interfaces.lua", s.getInterfaces)
	s.mux.HandleFunc("/lua/rest/v2/get/interface/data.lua", s.getInterfaceData)
	s.mux.HandleFunc("/lua/rest/v2/get/host/active.lua", s.getActiveHosts)
	s.mux.HandleFunc("/lua/rest/v2/get/host/data.lua", s.getHostData)
	s.mux.HandleFunc("/lua/rest/v2/get/flow/active.lua", s.getActiveFlows)
	s.mux.HandleFunc("/metrics", s.metrics)
	// Profiles for operators chasing a slow path, behind the same login.
	s.mux.HandleFunc("/debug/pprof/", pprof.Index)
	s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	s.mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	s.mux.HandleFunc("/lua/rest/v2/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errNotFound, "unknown REST endpoint "+r.URL.Path)
	})
}
