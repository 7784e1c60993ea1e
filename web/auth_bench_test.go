package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"flowgate/engine"
	"flowgate/web/users"
)

// BenchmarkAuth measures the whole middleware chain (headers, login,
// least privilege) in front of a small REST answer, per method.
func BenchmarkAuth(b *testing.B) {
	eng := engine.New(engine.DefaultConfiguration())
	eng.AddInterface("eth0", "zmq")
	st := users.New(users.DefaultConfiguration(), users.Dependencies{})
	if err := st.Start(); err != nil {
		b.Fatal(err)
	}
	defer st.Stop()
	s := New(Configuration{AdminPassword: adminPW}, Dependencies{Engine: eng, Users: st})
	if err := s.openUsers(); err != nil {
		b.Fatal(err)
	}
	tok, _ := st.CreateAPIToken(users.AdminUser)
	ss, _ := s.sess.create(users.AdminUser, s.cfg.SessionDuration, "")
	h := s.Handler()
	for _, bc := range []struct {
		name string
		set  func(r *http.Request)
	}{
		{"token", func(r *http.Request) { r.Header.Set("Authorization", "Token "+tok) }},
		{"basic-cached", func(r *http.Request) { r.SetBasicAuth(users.AdminUser, adminPW) }},
		{"session", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.id}) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, ifacesPath, nil)
			r.RemoteAddr = "127.0.0.1:1234"
			bc.set(r)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
