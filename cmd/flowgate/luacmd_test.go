package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/lua/api"
	"flowgate/store/kv"
)

func runLuaTest(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runLuaIn(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunLua(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "t.lua")
	if err := os.WriteFile(script, []byte(`
local a, b = ...
print("args", arg[0] ~= nil, a, b, #arg)
print(interface.getName())
interface.select("second")
print(interface.getName())
ntop.setCache("lua.run", (tonumber(ntop.getCache("lua.run")) or 0) + 1)
print("runs", ntop.getCache("lua.run"))
print(ntop.getDirs().workingdir == "`+dir+`")
return tonumber(b) or 0
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runLuaTest(t, "", "-d", dir, "-i", "first", "-i", "second", script, "x", "3")
	if code != 3 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	want := "args\ttrue\tx\t3\t2\nfirst\nsecond\nruns\t1\ntrue\n"
	if out != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
	// the embedded store in the data dir keeps the cache between runs
	_, out, _ = runLuaTest(t, "", "-d", dir, script)
	if !strings.Contains(out, "runs\t2") {
		t.Fatalf("second run: %q", out)
	}
	// a running flowgate holds the store: a snapshot is used, with a warning
	s, err := kv.OpenEmbedded(kv.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, out, errs = runLuaTest(t, "", "-d", dir, script)
	if code != 0 || !strings.Contains(out, "runs\t3") || !strings.Contains(errs, "snapshot") {
		t.Fatalf("locked store: exit %d out %q err %q", code, out, errs)
	}
}

func TestRunLuaErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		src, wantErr string
		code         int
	}{
		{`error("boom")`, "boom", 1},
		{`ntop.getCache()`, "ntop.getCache: argument #1 (key) must be a string, got nil", 1},
		{`this is not lua`, "", 1},
		{`return false`, "", 1},
		{`print(ntop.isPro(), ntop.rrd_create == nil)`, "", 0},
	}
	for _, c := range cases {
		code, _, errs := runLuaTest(t, c.src, "-d", dir, "-")
		if code != c.code || !strings.Contains(errs, c.wantErr) {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.src, code, errs, c.code, c.wantErr)
		}
	}
	var out, errb bytes.Buffer
	if code := runLua(nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: flowgate lua") {
		t.Errorf("no file: exit %d, %q", code, errb.String())
	}
	if code, _, _ := runLuaTest(t, "", "-d", dir, filepath.Join(dir, "missing.lua")); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
}

var updateDocs = flag.Bool("update", false, "rewrite docs/ntop-api.md")

// TestNtopAPIDoc: docs/ntop-api.md is what the binary's ntop.* table (the
// api package's functions plus those other packages register) says.
func TestNtopAPIDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "ntop-api.md")
	got := api.NtopAPIMarkdown()
	if *updateDocs {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/flowgate -run TestNtopAPIDoc -update)", err)
	}
	if string(want) != got {
		t.Fatal("docs/ntop-api.md is stale: run go test ./cmd/flowgate -run TestNtopAPIDoc -update")
	}
}

// TestNtopUnavailableReasons: every ntop.* function flowgate does not
// provide says why (lua/api/unavailable.go), and no reason is left behind
// for a function that now exists. This binary links every package that
// registers functions, so the statuses are the appliance's.
func TestNtopUnavailableReasons(t *testing.T) {
	unavailable := map[string]bool{}
	for _, r := range api.NtopStatuses() {
		if r.Status == api.StatusUnavailable {
			unavailable[r.Name] = true
			if api.UnavailableWhy(r.Name) == "" {
				t.Errorf("ntop.%s is unavailable without a reason in lua/api/unavailable.go", r.Name)
			}
		}
	}
	for _, n := range api.UnavailableReasons() {
		if !unavailable[n] {
			t.Errorf("lua/api/unavailable.go gives a reason for ntop.%s, which is not unavailable", n)
		}
	}
}
