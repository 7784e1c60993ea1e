package scripts

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSeedActiveHostsExport(t *testing.T) {
	var mu sync.Mutex
	var posts [][]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var doc struct {
			When  int64    `json:"when"`
			Hosts []string `json:"hosts"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Errorf("bad body %q: %v", b, err)
		}
		sort.Strings(doc.Hosts)
		mu.Lock()
		posts = append(posts, doc.Hosts)
		mu.Unlock()
	}))
	defer srv.Close()
	dir := copyTree(t, "seed_hosts")
	p := filepath.Join(dir, "callbacks/interface/host/test.lua")
	src, _ := os.ReadFile(p)
	writeFile(t, p, strings.ReplaceAll(string(src), "@URL@", srv.URL))

	fx := newFixture(t, dir, nil)
	base := time.Date(2024, 3, 10, 10, 0, 30, 0, time.UTC)
	fx.clk.Set(base)
	fx.flow("10.0.0.1", "10.0.0.2", 40000, 80, 6, 0)
	fx.flow("10.0.0.3", "192.0.2.9", 40000, 443, 6, 0)
	fx.rt.tick(base)
	for m := 1; m <= 2; m++ {
		now := base.Add(time.Duration(m) * time.Minute)
		fx.clk.Set(now)
		fx.rt.tick(now)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want one per minute run (2): %v", len(posts), posts)
	}
	want := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "192.0.2.9"}
	for _, p := range posts {
		if strings.Join(p, ",") != strings.Join(want, ",") {
			t.Errorf("posted hosts %v, want %v", p, want)
		}
	}
	if s := fx.stats("test"); s.Errors != 0 {
		t.Errorf("errors: %+v", s)
	}
}
