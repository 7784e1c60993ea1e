package kv

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"flowgate/internal/testwait"
	"flowgate/store/kv/kvtest"
)

// backends opens a fresh, empty store of each kind for a test.
func backends(t *testing.T) map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"embedded": func(t *testing.T) Store {
			s, err := OpenEmbedded(Config{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"redis": func(t *testing.T) Store {
			s, err := Open(Config{Redis: redisAddr(t)})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.FlushAll(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

var sharedRedis string

// redisAddr starts one redis-server for the package's tests (the first
// caller's cleanup would stop it, so it is started by TestMain-less lazy
// init tied to the top-level test).
func redisAddr(t *testing.T) string {
	if sharedRedis == "" {
		t.Fatal("redis not started")
	}
	return sharedRedis
}

// TestConformance runs one suite against both backends: the embedded store
// must behave as Redis does for every call ntop.* makes.
func TestConformance(t *testing.T) {
	sharedRedis = kvtest.StartRedis(t, "")
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range conformanceCases {
				t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %#v, want %#v", what, got, want)
	}
}

// waitGone waits until key is gone (expiry).
func waitGone(t *testing.T, s Store, key string) {
	t.Helper()
	testwait.For(t, key+" to expire", func() bool { ttl, err := s.TTL(key); return err == nil && ttl == -2 })
}

var conformanceCases = []struct {
	name string
	fn   func(t *testing.T, s Store)
}{
	{"strings", func(t *testing.T, s Store) {
		v, ok, err := s.Get("nope")
		must(t, err)
		eq(t, "missing", v+strconv.FormatBool(ok), "false")
		must(t, s.Set("a", "1", 0))
		must(t, s.Set("a", "2", 0))
		v, ok, _ = s.Get("a")
		eq(t, "get", v+strconv.FormatBool(ok), "2true")
		ok, err = s.SetNX("a", "3")
		must(t, err)
		eq(t, "setnx existing", ok, false)
		ok, _ = s.SetNX("b", "x")
		eq(t, "setnx new", ok, true)
		must(t, s.Del("b"))
		must(t, s.Del("b")) // deleting a missing key is fine
		_, ok, _ = s.Get("b")
		eq(t, "deleted", ok, false)
		must(t, s.Set("empty", "", 0))
		v, ok, _ = s.Get("empty")
		eq(t, "empty value", v+strconv.FormatBool(ok), "true")
		bin := "a\x00b\r\n\xff"
		must(t, s.Set("bin", bin, 0))
		v, _, _ = s.Get("bin")
		eq(t, "binary", v, bin)
	}},
	{"rename", func(t *testing.T, s Store) {
		must(t, s.Set("old", "v", time.Hour))
		must(t, s.Rename("old", "new"))
		v, _, _ := s.Get("new")
		eq(t, "renamed", v, "v")
		ttl, _ := s.TTL("new")
		if ttl <= 0 {
			t.Fatalf("rename lost the TTL: %v", ttl)
		}
		if err := s.Rename("absent", "x"); !errors.Is(err, ErrNoKey) {
			t.Fatalf("rename of a missing key: %v", err)
		}
	}},
	{"incr", func(t *testing.T, s Store) {
		n, err := s.Incr("c", 1)
		must(t, err)
		eq(t, "first incr", n, int64(1))
		n, _ = s.Incr("c", 41)
		eq(t, "incr by", n, int64(42))
		n, _ = s.Incr("c", -50)
		eq(t, "decr", n, int64(-8))
		must(t, s.Set("s", "abc", 0))
		if _, err := s.Incr("s", 1); !errors.Is(err, ErrNotInt) {
			t.Fatalf("incr of text: %v", err)
		}
		must(t, s.Set("t", "5", time.Hour))
		_, _ = s.Incr("t", 1)
		if ttl, _ := s.TTL("t"); ttl <= 0 {
			t.Fatalf("incr dropped the TTL: %v", ttl)
		}
		must(t, s.Set("big", strconv.FormatInt(maxInt64, 10), 0))
		if _, err := s.Incr("big", 1); !errors.Is(err, ErrNotInt) {
			t.Fatalf("overflow: %v", err)
		}
	}},
	{"ttl", func(t *testing.T, s Store) {
		d, _ := s.TTL("none")
		eq(t, "ttl missing", d, time.Duration(-2))
		must(t, s.Set("p", "v", 0))
		d, _ = s.TTL("p")
		eq(t, "ttl persistent", d, time.Duration(-1))
		// The TTL read back is checked on an hour (a short one could run
		// out before TTL is asked on a loaded machine), then replaced by a
		// short one that must expire.
		must(t, s.Set("e", "v", time.Hour))
		d, _ = s.TTL("e")
		if d <= 0 || d > time.Hour {
			t.Fatalf("ttl = %v", d)
		}
		must(t, s.Set("e", "v", 30*time.Millisecond))
		waitGone(t, s, "e")
		_, ok, _ := s.Get("e")
		eq(t, "expired get", ok, false)
		keys, _ := s.Keys("e*")
		eq(t, "expired keys", keys, []string{})
		must(t, s.Set("q", "v", time.Hour))
		must(t, s.Set("q", "w", 0)) // a plain SET clears the TTL
		d, _ = s.TTL("q")
		eq(t, "set clears ttl", d, time.Duration(-1))
		ok, _ = s.Expire("q", time.Hour)
		eq(t, "expire", ok, true)
		ok, _ = s.Expire("zz", time.Hour)
		eq(t, "expire missing", ok, false)
		must(t, s.HSet("h", "f", "v"))
		_, _ = s.Expire("h", 20*time.Millisecond)
		waitGone(t, s, "h")
		m, _ := s.HGetAll("h")
		eq(t, "expired hash", m, map[string]string{})
	}},
	{"keys", func(t *testing.T, s Store) {
		for _, k := range []string{"ntopng.prefs.a", "ntopng.prefs.b", "ntopng.user.admin.x", "other", "a/b", "x1", "x2", "y1"} {
			must(t, s.Set(k, "1", 0))
		}
		must(t, s.HSet("ntopng.prefs.h", "f", "v"))
		cases := map[string][]string{
			"ntopng.prefs.*": {"ntopng.prefs.a", "ntopng.prefs.b", "ntopng.prefs.h"},
			"ntopng.*":       {"ntopng.prefs.a", "ntopng.prefs.b", "ntopng.prefs.h", "ntopng.user.admin.x"},
			"*":              {"a/b", "ntopng.prefs.a", "ntopng.prefs.b", "ntopng.prefs.h", "ntopng.user.admin.x", "other", "x1", "x2", "y1"},
			"x?":             {"x1", "x2"},
			"[xy]1":          {"x1", "y1"},
			"[^x]1":          {"y1"},
			"[a-x]2":         {"x2"},
			"a*b":            {"a/b"},
			"nothing*":       {},
			"other":          {"other"},
		}
		for p, want := range cases {
			got, err := s.Keys(p)
			must(t, err)
			eq(t, "keys "+p, got, want)
		}
	}},
	{"wrongtype", func(t *testing.T, s Store) {
		must(t, s.Set("str", "v", 0))
		must(t, s.HSet("hash", "f", "v"))
		if err := s.HSet("str", "f", "v"); !errors.Is(err, ErrWrongType) {
			t.Fatalf("hset on string: %v", err)
		}
		if _, _, err := s.Get("hash"); !errors.Is(err, ErrWrongType) {
			t.Fatalf("get on hash: %v", err)
		}
		if _, err := s.Push("hash", "x", true); !errors.Is(err, ErrWrongType) {
			t.Fatalf("push on hash: %v", err)
		}
		if err := s.SAdd("str", "x"); !errors.Is(err, ErrWrongType) {
			t.Fatalf("sadd on string: %v", err)
		}
		must(t, s.Set("hash", "now a string", 0)) // SET replaces any kind
		v, _, _ := s.Get("hash")
		eq(t, "set over hash", v, "now a string")
	}},
	{"hash", func(t *testing.T, s Store) {
		_, ok, _ := s.HGet("h", "f")
		eq(t, "missing field", ok, false)
		must(t, s.HSet("h", "f1", "a"))
		must(t, s.HSet("h", "f2", "b"))
		must(t, s.HSet("h", "f1", "c"))
		v, ok, _ := s.HGet("h", "f1")
		eq(t, "hget", v+strconv.FormatBool(ok), "ctrue")
		m, _ := s.HGetAll("h")
		eq(t, "hgetall", m, map[string]string{"f1": "c", "f2": "b"})
		must(t, s.HDel("h", "f1"))
		must(t, s.HDel("h", "f2"))
		keys, _ := s.Keys("h")
		eq(t, "empty hash removed", keys, []string{})
		m, _ = s.HGetAll("nohash")
		eq(t, "hgetall missing", m, map[string]string{})
	}},
	{"list", func(t *testing.T, s Store) {
		for i, v := range []string{"b", "a"} {
			n, err := s.Push("l", v, true)
			must(t, err)
			eq(t, "lpush len", n, i+1)
		}
		for _, v := range []string{"c", "a", "d", "a"} {
			_, _ = s.Push("l", v, false)
		}
		all, _ := s.LRange("l", 0, -1)
		eq(t, "lrange", all, []string{"a", "b", "c", "a", "d", "a"})
		part, _ := s.LRange("l", -3, -2)
		eq(t, "lrange neg", part, []string{"a", "d"})
		part, _ = s.LRange("l", 4, 100)
		eq(t, "lrange past end", part, []string{"d", "a"})
		part, _ = s.LRange("l", 5, 2)
		eq(t, "lrange empty", part, []string{})
		v, ok, _ := s.LIndex("l", -1)
		eq(t, "lindex -1", v+strconv.FormatBool(ok), "atrue")
		_, ok, _ = s.LIndex("l", 99)
		eq(t, "lindex out", ok, false)
		n, _ := s.LRem("l", -1, "a")
		eq(t, "lrem tail", n, 1)
		all, _ = s.LRange("l", 0, -1)
		eq(t, "after lrem -1", all, []string{"a", "b", "c", "a", "d"})
		n, _ = s.LRem("l", 0, "a")
		eq(t, "lrem all", n, 2)
		all, _ = s.LRange("l", 0, -1)
		eq(t, "after lrem 0", all, []string{"b", "c", "d"})
		v, ok, _ = s.Pop("l", true)
		eq(t, "lpop", v+strconv.FormatBool(ok), "btrue")
		v, _, _ = s.Pop("l", false)
		eq(t, "rpop", v, "d")
		n, _ = s.LLen("l")
		eq(t, "llen", n, 1)
		_, _, _ = s.Pop("l", false)
		_, ok, _ = s.Pop("l", false)
		eq(t, "pop empty", ok, false)
		keys, _ := s.Keys("l")
		eq(t, "empty list removed", keys, []string{})
		for i := 0; i < 10; i++ {
			_, _ = s.Push("t", strconv.Itoa(i), false)
		}
		must(t, s.LTrim("t", 2, -3))
		all, _ = s.LRange("t", 0, -1)
		eq(t, "ltrim", all, []string{"2", "3", "4", "5", "6", "7"})
		must(t, s.LTrim("t", 5, 1))
		n, _ = s.LLen("t")
		eq(t, "ltrim to empty", n, 0)
	}},
	{"set", func(t *testing.T, s Store) {
		must(t, s.SAdd("s", "b"))
		must(t, s.SAdd("s", "a"))
		must(t, s.SAdd("s", "b"))
		m, _ := s.SMembers("s")
		eq(t, "smembers", m, []string{"a", "b"})
		must(t, s.SRem("s", "a"))
		must(t, s.SRem("s", "zz"))
		m, _ = s.SMembers("s")
		eq(t, "after srem", m, []string{"b"})
		must(t, s.SRem("s", "b"))
		m, _ = s.SMembers("s")
		eq(t, "empty", m, []string{})
	}},
	{"dump-restore", func(t *testing.T, s Store) {
		must(t, s.Set("str", "v", 0))
		must(t, s.HSet("h", "f", "v"))
		_, _ = s.Push("l", "1", false)
		_, _ = s.Push("l", "2", false)
		must(t, s.SAdd("st", "m"))
		for _, k := range []string{"str", "h", "l", "st"} {
			d, ok, err := s.Dump(k)
			must(t, err)
			eq(t, "dump "+k, ok, true)
			must(t, s.Restore(k+"2", d, 0))
			must(t, s.Restore(k+"2", d, 0)) // replaces
		}
		v, _, _ := s.Get("str2")
		eq(t, "restored str", v, "v")
		m, _ := s.HGetAll("h2")
		eq(t, "restored hash", m, map[string]string{"f": "v"})
		l, _ := s.LRange("l2", 0, -1)
		eq(t, "restored list", l, []string{"1", "2"})
		st, _ := s.SMembers("st2")
		eq(t, "restored set", st, []string{"m"})
		_, ok, _ := s.Dump("missing")
		eq(t, "dump missing", ok, false)
		if err := s.Restore("x", "garbage", 0); !errors.Is(err, ErrBadDump) {
			t.Fatalf("restore garbage: %v", err)
		}
		d, _, _ := s.Dump("str")
		must(t, s.Restore("withttl", d, time.Hour))
		if ttl, _ := s.TTL("withttl"); ttl <= 0 {
			t.Fatalf("restore ttl: %v", ttl)
		}
	}},
	{"flush", func(t *testing.T, s Store) {
		must(t, s.Set("a", "1", 0))
		must(t, s.HSet("b", "f", "v"))
		must(t, s.FlushAll())
		keys, _ := s.Keys("*")
		eq(t, "after flush", keys, []string{})
		if s.Stats()["backend"] == nil {
			t.Fatal("stats without backend")
		}
	}},
}
