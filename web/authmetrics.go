package web

import (
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/internal/metrics"
)

// registerAuthMetrics adds the flowgate_http_* authentication families to
// r; they read the same AuthStats snapshot REST callers get.
func (s *Server) registerAuthMetrics(r prometheus.Registerer) {
	metrics.MustRegister(r, metrics.NewCollector(s.AuthStats,
		metrics.Counter("flowgate_http_logins_total", "Successful logins (form, then a session).", func(a *AuthStats) uint64 { return a.LoginsOK }),
		metrics.Counter("flowgate_http_login_failures_total", "Failed logins (form, Basic, Token, TOTP code, malformed Authorization).", func(a *AuthStats) uint64 { return a.LoginsFailed }),
		metrics.Counter("flowgate_http_lockouts_total", "Client addresses locked out after too many failed logins.", func(a *AuthStats) uint64 { return a.Lockouts }),
		metrics.Counter("flowgate_http_locked_refusals_total", "Requests refused because their address was locked out.", func(a *AuthStats) uint64 { return a.LockedRefused }),
		metrics.Gauge("flowgate_http_sessions_active", "Login sessions not yet expired.", func(a *AuthStats) float64 { return float64(a.SessionsActive) }),
		metrics.Counter("flowgate_http_csrf_rejects_total", "Cookie-session requests refused for a missing or wrong CSRF token.", func(a *AuthStats) uint64 { return a.CSRFRejects }),
		metrics.CounterVec("flowgate_http_auth_total", "Requests authenticated, by method and result.", []string{"method", "result"}, func(a *AuthStats, emit func(uint64, ...string)) {
			emit(a.TokenAuths, "token", "ok")
			emit(a.TokenFailed, "token", "failed")
			emit(a.BasicAuths, "basic", "ok")
		}),
		metrics.Counter("flowgate_http_not_granted_total", "Requests refused to a user lacking the privilege.", func(a *AuthStats) uint64 { return a.NotGranted }),
		metrics.Counter("flowgate_http_body_too_large_total", "Requests refused with 413: body over the limit.", func(a *AuthStats) uint64 { return a.BodyTooLarge }),
		metrics.Counter("flowgate_http_bad_bodies_total", "REST requests refused with 400: a malformed JSON body.", func(a *AuthStats) uint64 { return a.BadBodies }),
		metrics.CounterVec("flowgate_http_rest_answers_total", "Answers of the built-in REST endpoints by HTTP status (4xx: bad input, unknown objects, wrong method, conflicts).", []string{"code"}, func(a *AuthStats, emit func(uint64, ...string)) {
			for _, code := range sortedKeys(a.RESTAnswers) {
				emit(a.RESTAnswers[code], code)
			}
		}),
		metrics.Counter("flowgate_http_totp_failures_total", "Wrong TOTP codes at login and when turning TOTP on or off (edit/flowgate/totp.lua).", func(a *AuthStats) uint64 { return a.TOTPFailed }),
		metrics.Counter("flowgate_http_password_rehashes_total", "Imported MD5 password hashes replaced by bcrypt at login.", func(a *AuthStats) uint64 { return a.PasswordRehash }),
	))
}
