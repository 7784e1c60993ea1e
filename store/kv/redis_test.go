package kv

import (
	"testing"

	"flowgate/store/kv/kvtest"
)

// TestRedisAuthDBShared: the -r password and db forms work, and two
// stores (two flowgate instances) on one Redis db share their data while
// another db stays apart.
func TestRedisAuthDBShared(t *testing.T) {
	addr := kvtest.StartRedis(t, "s3cret")
	if _, err := Open(Config{Redis: addr}); err == nil {
		t.Fatal("connected without the password")
	}
	a, err := Open(Config{Redis: addr + ":s3cret@3"})
	must(t, err)
	defer a.Close()
	b, err := Open(Config{Redis: addr + ":s3cret@3"})
	must(t, err)
	defer b.Close()
	other, err := Open(Config{Redis: addr + ":s3cret@4"})
	must(t, err)
	defer other.Close()
	must(t, a.Set("ntopng.prefs.shared", "yes", 0))
	v, _, _ := b.Get("ntopng.prefs.shared")
	eq(t, "shared", v, "yes")
	_, ok, _ := other.Get("ntopng.prefs.shared")
	eq(t, "other db", ok, false)
	if st := a.Stats(); st["backend"] != "redis" || st["keys"] != int64(1) {
		t.Fatalf("stats %v", st)
	}
	must(t, a.Close())
	if err := a.Set("x", "y", 0); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
}
