package api

import (
	"bufio"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/store/kv"
	"flowgate/store/kv/kvtest"
)

// runChunk runs Lua source in L and fails the test with its error.
func runChunk(t *testing.T, L *lua.LState, src string) {
	t.Helper()
	if err := L.DoString(src); err != nil {
		t.Fatal(err)
	}
}

// chunkErr runs src and returns its error message ("" when it ran).
func chunkErr(L *lua.LState, src string) string {
	if err := L.DoString(src); err != nil {
		return err.Error()
	}
	return ""
}

// cacheScript exercises docs/ntop-api.md §5 and §6 from Lua; it runs against both backends.
const cacheScript = `
local function eq(a, b, what) if a ~= b then error(what .. ": got " .. tostring(a) .. ", want " .. tostring(b), 2) end end
eq(ntop.getCache("missing"), "", "missing key")
ntop.setCache("k", "v")
eq(ntop.getCache("k"), "v", "get")
ntop.setCache("n", 5)
eq(ntop.getCache("n"), "5", "number value")
eq(ntop.setnxCache("k", "w"), false, "setnx existing")
eq(ntop.setnxCache("k2", "w"), true, "setnx new")
ntop.renameCache("k2", "k3")
eq(ntop.getCache("k3"), "w", "renamed")
ntop.renameCache("nope", "k4") -- no error for a missing key
eq(ntop.incrCache("c"), 1, "incr")
eq(ntop.incrCache("c", 10), 11, "incr by")
ntop.delCache("c")
eq(ntop.getCache("c"), "", "deleted")
ntop.setCache("ttl", "v", 3600)
eq(ntop.getCacheStatus().backend ~= nil, true, "status")
eq(ntop.getCacheStats().backend ~= nil, true, "stats")
local keys = ntop.getKeysCache("k*")
eq(keys.k and keys.k3 and not keys.n, true, "keys")
eq(ntop.getKeysCache("zz*"), nil, "no keys")
eq(ntop.hasDumpCache("k"), true, "has dump")
local d = ntop.dumpCache("k")
eq(type(d), "string", "dump")
eq(ntop.restoreCache("k5", d), true, "restore")
eq(ntop.getCache("k5"), "v", "restored")
eq(ntop.restoreCache("k6", "bad dump"), false, "bad restore")

ntop.setHashCache("h", "f1", "a")
ntop.setHashCache("h", "f2", "b")
eq(ntop.getHashCache("h", "f1"), "a", "hget")
eq(ntop.getHashCache("h", "nof"), "", "hget missing")
local all = ntop.getHashAllCache("h")
eq(all.f1 .. all.f2, "ab", "hgetall")
local hk = ntop.getHashKeysCache("h")
eq(hk.f1 and hk.f2, true, "hkeys")
ntop.delHashCache("h", "f1")
eq(ntop.getHashCache("h", "f1"), "", "hdel")
eq(ntop.getHashAllCache("nohash"), nil, "empty hash")

ntop.rpushCache("l", "b")
ntop.lpushCache("l", "a")
ntop.rpushCache("l", "c")
ntop.rpushCache("l", "a")
eq(ntop.llenCache("l"), 4, "llen")
eq(table.concat(ntop.lrangeCache("l", 0, -1), ","), "a,b,c,a", "lrange")
eq(ntop.listIndexCache("l", 1), "b", "lindex")
eq(ntop.listIndexCache("l", 10), nil, "lindex out")
ntop.lremCache("l", "a")
eq(table.concat(ntop.lrangeCache("l", 0, -1), ","), "b,c", "lrem (key, value)")
ntop.rpushCache("l", "x")
ntop.lremCache("l", 1, "x")
eq(table.concat(ntop.lrangeCache("l", 0, -1), ","), "b,c", "lrem (key, count, value)")
ntop.ltrimCache("l", 1, 1)
eq(table.concat(ntop.lrangeCache("l", 0, -1), ","), "c", "ltrim")
eq(ntop.lpopCache("l"), "c", "lpop")
eq(ntop.rpopCache("l"), nil, "pop empty")
eq(ntop.lrangeCache("l", 0, -1), nil, "lrange empty")
for i = 1, 5 do ntop.rpushCache("q", tostring(i), 3) end
eq(table.concat(ntop.lrangeCache("q", 0, -1), ","), "3,4,5", "rpush trim")
for i = 1, 5 do ntop.lpushCache("p", tostring(i), 2) end
eq(table.concat(ntop.lrangeCache("p", 0, -1), ","), "5,4", "lpush trim")

ntop.setMembersCache("s", "b")
ntop.setMembersCache("s", "a")
ntop.setMembersCache("s", "a")
eq(table.concat(ntop.getMembersCache("s"), ","), "a,b", "smembers")
ntop.delMembersCache("s", "a")
eq(table.concat(ntop.getMembersCache("s"), ","), "b", "srem")

ntop.setPref("my_feature", "1")
eq(ntop.getPref("ntopng.prefs.my_feature"), "1", "pref full name")
ntop.setPref("ntopng.prefs.other", "x")
eq(ntop.getPref("other"), "x", "pref short name")
local prefs = ntop.getPrefs()
eq(prefs.my_feature .. prefs.other, "1x", "getPrefs")
ntop.reloadPreferences()

-- a wrong kind of key is a store error, not a script error
ntop.setHashCache("k", "f", "v")
eq(ntop.getCache("h"), "", "get on a hash")

eq(ntop.flushCache(), true, "flush")
eq(ntop.getCache("k"), "", "after flush")
`

func TestNtopCache(t *testing.T) {
	redis := kvtest.StartRedis(t, "")
	stores := map[string]func(t *testing.T) kv.Store{
		"embedded": func(t *testing.T) kv.Store {
			s, err := kv.OpenEmbedded(kv.Config{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"redis": func(t *testing.T) kv.Store {
			s, err := kv.Open(kv.Config{Redis: redis})
			if err != nil {
				t.Fatal(err)
			}
			_ = s.FlushAll()
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			e := newEnv(t, Deps{Cache: NewCacheOn(s), Logger: quietLog()})
			runChunk(t, e.L, cacheScript)
		})
	}
}

// TestNtopCacheShared: two Lua states (two flowgate instances) on one
// Redis see each other's writes.
func TestNtopCacheShared(t *testing.T) {
	redis := kvtest.StartRedis(t, "")
	var envs []*testEnv
	for i := 0; i < 2; i++ {
		s, err := kv.Open(kv.Config{Redis: redis + "@2"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		envs = append(envs, newEnv(t, Deps{Cache: NewCacheOn(s), Logger: quietLog()}))
	}
	runChunk(t, envs[0].L, `ntop.setCache("shared", "from a")`)
	runChunk(t, envs[1].L, `assert(ntop.getCache("shared") == "from a")`)
}

func TestNtopCacheBadArgs(t *testing.T) {
	e := newEnv(t, Deps{Logger: quietLog()})
	cases := map[string]string{
		`ntop.getCache()`:                                           "ntop.getCache: argument #1 (key) must be a string, got nil",
		`ntop.setCache({}, "v")`:                                    "ntop.setCache: argument #1 (key) must be a string, got table",
		`ntop.setCache("k", "v", "soon")`:                           "ntop.setCache: argument #3 (ttl) must be a number, got string",
		`ntop.setCache("k", "v", -5)`:                               "ntop.setCache: argument #3 (ttl) is out of range",
		`ntop.setCache("k", "v", 1e300)`:                            "ntop.setCache: argument #3 (ttl) is out of range",
		`ntop.lrangeCache("k", "a")`:                                "ntop.lrangeCache: argument #2 (start) must be a number",
		`ntop.rpushCache("k", "v", -1)`:                             "ntop.rpushCache: argument #3 (trim_size) must not be negative",
		`ntop.setHashCache("k", "f")`:                               "ntop.setHashCache: argument #3 (value) must be a string, got nil",
		`ntop.setCache("k", string.rep("x", 64 * 1024 * 1024 + 1))`: "ntop.setCache: argument #2 (value) is too long",
		`ntop.setCache("s", "x"); ntop.incrCache("s")`:              `ntop.incrCache: the value of "s" is not an integer`,
	}
	for src, want := range cases {
		if got := chunkErr(e.L, src); !strings.Contains(got, want) {
			t.Errorf("%s: error %q, want %q", src, got, want)
		}
	}
}

// TestNtopCacheStoreDown: a store that fails (Redis gone) makes calls
// answer nil and counts the errors; the script goes on.
func TestNtopCacheStoreDown(t *testing.T) {
	redis := kvtest.StartRedis(t, "")
	s, err := kv.Open(kv.Config{Redis: redis})
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // every later call fails with ErrClosed
	c := NewCacheOn(s)
	e := newEnv(t, Deps{Cache: c, Logger: quietLog()})
	runChunk(t, e.L, `
		ntop.setCache("a", "b")
		assert(ntop.getCache("a") == "")
		assert(ntop.lpopCache("a") == nil)
		assert(ntop.getKeysCache("*") == nil)`)
	if c.errs.Load() != 4 {
		t.Fatalf("store errors counted: %d", c.errs.Load())
	}
}

// TestSeedFunctionList: the code's table (ntop_seed.go) lists exactly the
// functions of the ntop.* reference, as copied in testdata; when the
// original reference document is beside the repository (as on CI), it is
// parsed too.
func TestSeedFunctionList(t *testing.T) {
	f, err := os.Open("testdata/ntop_seed_functions.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			p := strings.Split(line, "\t")
			want = append(want, p[0]+" "+p[2])
			if n, _ := strconv.Atoi(p[0]); seedSections[n] != p[1] {
				t.Errorf("section %s is %q in the code, %q in testdata", p[0], seedSections[n], p[1])
			}
		}
	}
	var got []string
	for _, s := range seedFuncs {
		got = append(got, strconv.Itoa(s.Section)+" "+s.Name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("seed function table and testdata disagree:\ncode %d names, testdata %d", len(got), len(want))
	}
	seeds, _ := filepath.Glob("../../../shared/seeds/004_*.txt")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if parsed := parseSeed(string(data)); strings.Join(parsed, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s lists %d functions, testdata %d: update testdata and ntop_seed.go", p, len(parsed), len(want))
		}
	}
	// every seed function exists in a Lua state, and every documented status is valid
	e := newEnv(t, Deps{Logger: quietLog()})
	ntop := e.L.GetGlobal("ntop").(*lua.LTable)
	for _, s := range seedFuncs {
		if _, ok := ntop.RawGetString(s.Name).(*lua.LFunction); !ok {
			t.Errorf("ntop.%s is not defined", s.Name)
		}
	}
	for _, r := range NtopStatuses() {
		if err := checkStatus(r.Status); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
}

// parseSeed lists "section name" for each `ntop.x` in the first column of
// the seed's tables, from section 3 on, first occurrence only.
func parseSeed(doc string) []string {
	secRe := regexp.MustCompile(`^## (\d+)\. `)
	nameRe := regexp.MustCompile("`ntop\\.([A-Za-z0-9_]+)")
	seen := map[string]bool{}
	var out []string
	sec := 0
	for _, line := range strings.Split(doc, "\n") {
		if m := secRe.FindStringSubmatch(line); m != nil {
			sec, _ = strconv.Atoi(m[1])
			continue
		}
		cells := strings.Split(line, "|")
		if sec < 3 || !strings.HasPrefix(line, "|") || len(cells) < 2 {
			continue
		}
		for _, m := range nameRe.FindAllStringSubmatch(cells[1], -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, strconv.Itoa(sec)+" "+m[1])
			}
		}
	}
	return out
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
