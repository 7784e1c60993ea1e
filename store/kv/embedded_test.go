package kv

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"flowgate/internal/testwait"
)

func openDir(t *testing.T, dir string) *Embedded {
	t.Helper()
	s, err := OpenEmbedded(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fill writes one key of each kind plus some churn.
func fill(t *testing.T, s Store) {
	must(t, s.Set("str", "v", 0))
	must(t, s.Set("ttl", "v", time.Hour))
	must(t, s.HSet("h", "f", "v"))
	for i := 0; i < 5; i++ {
		_, _ = s.Push("l", strconv.Itoa(i), false)
	}
	_, _, _ = s.Pop("l", true)
	must(t, s.SAdd("s", "m"))
	_, _ = s.Incr("n", 7)
	must(t, s.Set("gone", "v", 0))
	must(t, s.Del("gone"))
	must(t, s.Rename("str", "str2"))
}

func checkFilled(t *testing.T, s Store) {
	t.Helper()
	v, _, _ := s.Get("str2")
	eq(t, "str2", v, "v")
	if d, _ := s.TTL("ttl"); d <= 0 || d > time.Hour {
		t.Fatalf("ttl after restart = %v", d)
	}
	m, _ := s.HGetAll("h")
	eq(t, "hash", m, map[string]string{"f": "v"})
	l, _ := s.LRange("l", 0, -1)
	eq(t, "list", l, []string{"1", "2", "3", "4"})
	st, _ := s.SMembers("s")
	eq(t, "set", st, []string{"m"})
	v, _, _ = s.Get("n")
	eq(t, "counter", v, "7")
	keys, _ := s.Keys("*")
	eq(t, "keys", keys, []string{"h", "l", "n", "s", "str2", "ttl"})
}

func TestEmbeddedPersists(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	fill(t, s)
	must(t, s.Close())
	if err := s.Set("x", "y", 0); err != ErrClosed {
		t.Fatalf("set after close: %v", err)
	}
	s = openDir(t, dir)
	checkFilled(t, s)
	must(t, s.Compact())
	must(t, s.Close())
	s = openDir(t, dir)
	defer s.Close()
	checkFilled(t, s)
}

// TestEmbeddedExpiryAcrossRestart: a key that expires while the process is
// down is gone after the restart; replay resolves expiry at each record's
// own time, so a hash field added to a live key before it expired does not
// resurrect it.
func TestEmbeddedExpiryAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	// The short TTLs leave the HSet below ample time to land before "h"
	// expires, even on a loaded machine.
	must(t, s.Set("short", "v", 2*time.Second))
	must(t, s.Set("long", "v", time.Hour))
	must(t, s.HSet("h", "a", "1"))
	_, _ = s.Expire("h", 2*time.Second)
	must(t, s.HSet("h", "b", "2"))
	must(t, s.Close())
	// Reopen until both short TTLs have run out while "down"; a hash that
	// the later field resurrected would never be empty.
	testwait.For(t, "the short key and the hash to expire while down", func() bool {
		s = openDir(t, dir)
		d, _ := s.TTL("short")
		m, _ := s.HGetAll("h")
		if d == -2 && len(m) == 0 {
			return true
		}
		must(t, s.Close())
		return false
	})
	defer s.Close()
	if d, _ := s.TTL("long"); d <= 0 {
		t.Fatalf("long ttl after restart = %v", d)
	}
}

// TestEmbeddedTornTail: a crash mid-record leaves a partial record; open
// cuts it off and keeps everything before it. Garbage appended is cut too.
func TestEmbeddedTornTail(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	fill(t, s)
	must(t, s.Set("last", "xxxxxxxxxxxxxxxx", 0))
	must(t, s.Close())
	p := filepath.Join(dir, FileName)
	data, err := os.ReadFile(p)
	must(t, err)
	for _, cut := range []int{1, 5, 9, 20} {
		must(t, os.WriteFile(p, data[:len(data)-cut], 0o640))
		s = openDir(t, dir)
		checkFilled(t, s)
		_, ok, _ := s.Get("last")
		eq(t, "torn record dropped", ok, false)
		if s.Stats()["truncated_bytes"].(uint64) == 0 {
			t.Fatal("truncation not counted")
		}
		// the store stays writable after the cut
		must(t, s.Set("after", "1", 0))
		must(t, s.Close())
		s = openDir(t, dir)
		v, _, _ := s.Get("after")
		eq(t, "write after truncation", v, "1")
		must(t, s.Close())
	}
	garbage := append(append([]byte{}, data...), []byte("\xff\xff\x00\x00garbage that is not a record")...)
	must(t, os.WriteFile(p, garbage, 0o640))
	s = openDir(t, dir)
	defer s.Close()
	v, _, _ := s.Get("last")
	eq(t, "data before garbage", v, "xxxxxxxxxxxxxxxx")
}

// TestEmbeddedEverysec: without Close (as after kill -9), what was written
// reaches the file within the fsync period.
func TestEmbeddedEverysec(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenEmbedded(Config{Dir: dir, FsyncEvery: 10 * time.Millisecond})
	must(t, err)
	defer s.Close()
	must(t, s.Set("k", "v", 0))
	p := filepath.Join(dir, FileName)
	testwait.For(t, "the log flush", func() bool {
		st, err := os.Stat(p)
		must(t, err)
		return st.Size() > 0
	})
	// a copy of the file as it is now is what a crash would leave
	data, err := os.ReadFile(p)
	must(t, err)
	crash := t.TempDir()
	must(t, os.WriteFile(filepath.Join(crash, FileName), data, 0o640))
	c := openDir(t, crash)
	defer c.Close()
	v, _, _ := c.Get("k")
	eq(t, "after crash", v, "v")
}

func TestEmbeddedCompactsAndLocks(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	if _, err := OpenEmbedded(Config{Dir: dir}); err == nil {
		t.Fatal("second open of a locked store succeeded")
	}
	for i := 0; i < 1000; i++ {
		must(t, s.Set("k", strconv.Itoa(i), 0))
	}
	must(t, s.Sync())
	before := s.Stats()["log_bytes"].(int64)
	must(t, s.Compact())
	after := s.Stats()["log_bytes"].(int64)
	if after >= before/10 {
		t.Fatalf("compaction: %d -> %d bytes", before, after)
	}
	if _, err := OpenEmbedded(Config{Dir: dir}); err == nil {
		t.Fatal("compacted store not locked")
	}
	must(t, s.Set("k2", "x", 0))
	must(t, s.Close())
	s = openDir(t, dir)
	defer s.Close()
	v, _, _ := s.Get("k")
	eq(t, "after compaction", v, "999")
	v, _, _ = s.Get("k2")
	eq(t, "written after compaction", v, "x")
}

func TestParseRedisSpec(t *testing.T) {
	cases := map[string]RedisSpec{
		"localhost":               {Addr: "localhost:6379"},
		"10.0.0.1:6380":           {Addr: "10.0.0.1:6380"},
		"h:6380@2":                {Addr: "h:6380", DB: 2},
		"h:6380:s3cret@1":         {Addr: "h:6380", Password: "s3cret", DB: 1},
		"h@3":                     {Addr: "h:6379", DB: 3},
		"/var/run/redis.sock@4":   {Addr: "/var/run/redis.sock", DB: 4},
		"[::1]:6390:pw":           {Addr: "[::1]:6390", Password: "pw"},
		":6390":                   {Addr: "127.0.0.1:6390"},
		"h:6379:pass:with:colons": {Addr: "h:6379", Password: "pass:with:colons"},
	}
	for in, want := range cases {
		got, err := ParseRedisSpec(in)
		if err != nil || got != want {
			t.Errorf("ParseRedisSpec(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "h:notaport", "h:70000", "h@x", "h@-1", "[::1"} {
		if _, err := ParseRedisSpec(bad); err == nil {
			t.Errorf("ParseRedisSpec(%q) accepted", bad)
		}
	}
}

// TestEmbeddedLoadsV1Log: a data dir written by the previous release (its
// kv.aof, committed under testdata/v1, written by lua/kv at commit
// 0ca3b1e with every kind of operation) loads with every value.
func TestEmbeddedLoadsV1Log(t *testing.T) {
	dir := t.TempDir()
	old, err := os.ReadFile(filepath.Join("testdata", "v1", FileName))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, FileName), old, 0o640))
	s := openDir(t, dir)
	check := func(s *Embedded) {
		t.Helper()
		v, _, _ := s.Get("str2")
		eq(t, "renamed string", v, "v")
		if _, ok, _ := s.Get("str"); ok {
			t.Fatal("renamed-away key present")
		}
		if d, _ := s.TTL("ttl"); d < 50*365*24*time.Hour {
			t.Fatalf("ttl = %v", d)
		}
		if d, _ := s.TTL("h"); d < 50*365*24*time.Hour {
			t.Fatalf("hash ttl = %v", d)
		}
		m, _ := s.HGetAll("h")
		eq(t, "hash", m, map[string]string{"f": "v"})
		l, _ := s.LRange("l", 0, -1)
		eq(t, "list", l, []string{"1", "2", "3", "4"})
		st, _ := s.SMembers("s")
		eq(t, "set", st, []string{"m"})
		v, _, _ = s.Get("n")
		eq(t, "counter", v, "7")
		v, _, _ = s.Get("big")
		eq(t, "100 kB value", len(v), 100000)
		keys, _ := s.Keys("*")
		eq(t, "keys", keys, []string{"big", "h", "l", "n", "s", "str2", "ttl"})
	}
	check(s)
	st := s.Stats()
	eq(t, "replayed", st["replayed_records"].(uint64), 24)
	eq(t, "truncated", st["truncated_bytes"].(uint64), 0)
	// compacted by the new code, it still holds the same data
	must(t, s.Compact())
	must(t, s.Close())
	s = openDir(t, dir)
	defer s.Close()
	check(s)
}

// TestEmbeddedTornTailEveryByte: the log cut at any byte inside its last
// record (a crash mid-write) opens with every earlier key, counts the cut
// bytes in truncated_bytes, and takes new writes.
func TestEmbeddedTornTailEveryByte(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	fill(t, s)
	must(t, s.Sync())
	p := filepath.Join(dir, FileName)
	fi, err := os.Stat(p)
	must(t, err)
	lastStart := fi.Size()
	must(t, s.Set("last", "xxxxxxxxxxxxxxxx", 0))
	must(t, s.Close())
	data, err := os.ReadFile(p)
	must(t, err)
	for cut := lastStart; cut < int64(len(data)); cut++ {
		crash := t.TempDir()
		must(t, os.WriteFile(filepath.Join(crash, FileName), data[:cut], 0o640))
		s := openDir(t, crash)
		checkFilled(t, s)
		if _, ok, _ := s.Get("last"); ok {
			t.Fatalf("cut at +%d: torn record applied", cut-lastStart)
		}
		if got := s.Stats()["truncated_bytes"].(uint64); got != uint64(cut-lastStart) {
			t.Fatalf("cut at +%d: truncated_bytes %d", cut-lastStart, got)
		}
		must(t, s.Set("after", "1", 0))
		must(t, s.Close())
		s = openDir(t, crash)
		v, _, _ := s.Get("after")
		eq(t, "write after repair", v, "1")
		must(t, s.Close())
	}
}
