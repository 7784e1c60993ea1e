package web

import (
	"net/http"
	"sort"
	"sync"
)

// routeMux is the server's ServeMux, remembering the patterns registered
// on it: the route table the error-path test walks (every served path,
// not a hand list).
type routeMux struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns map[string]bool
}

func newRouteMux() *routeMux {
	return &routeMux{ServeMux: http.NewServeMux(), patterns: map[string]bool{}}
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.record(pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.record(pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

func (m *routeMux) record(pattern string) {
	m.mu.Lock()
	m.patterns[pattern] = true
	m.mu.Unlock()
}

// Routes lists the patterns registered on the server, sorted.
func (s *Server) Routes() []string {
	m := s.mux
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.patterns))
	for p := range m.patterns {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
