package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestOfflineMode: ntop.setOffline is seen by every state sharing the
// switch, and while offline a script's HTTP request leaves only for this
// machine or a private network; setOnline lifts it.
func TestOfflineMode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("pong")) }))
	defer srv.Close()
	off := NewOfflineMode()
	a := newEnv(t, Deps{Offline: off, Logger: quietLog()})
	b := newEnv(t, Deps{Offline: off, Logger: quietLog()})
	checkExprs(t, a.L, []exprCase{
		{"ntop.isOffline()", "false"},
		{"ntop.isForcedOffline()", "false"},
	})
	if err := a.L.DoString(`ntop.setOffline()`); err != nil {
		t.Fatal(err)
	}
	checkExprs(t, b.L, []exprCase{
		{"ntop.isOffline()", "true"},
		// loopback is this machine: still reachable
		{"ntop.httpGet('" + srv.URL + "/x', nil, nil, 5, true).CONTENT", "pong"},
		// a public address or a name is not
		{"ntop.httpGet('http://192.0.2.1:9/x', nil, nil, 1)", "nil"},
		{"ntop.httpGet('https://user:secret@example.com/x?token=abc', nil, nil, 1)", "nil"},
	})
	if err := b.L.DoString(`ntop.setOnline()`); err != nil {
		t.Fatal(err)
	}
	checkExprs(t, a.L, []exprCase{{"ntop.isOffline()", "false"}})
	if got := redactURL("https://user:secret@example.com/x?token=abc"); got != "https://example.com/x" {
		t.Fatalf("redacted: %s", got)
	}
}
