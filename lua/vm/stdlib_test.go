package vm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// TestSandboxPolicy runs each os/io function a script may call, in the
// default mode and with AllowExec (--allow-lua-exec): the file and time
// functions work in both, commands only with AllowExec, os.exit never; a
// refused call raises an error naming the option.
func TestSandboxPolicy(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWGATE_SANDBOX_TEST", "v42")
	src := filepath.Join(dir, "a.txt")
	dst := filepath.Join(dir, "b.txt")
	q := func(s string) string { return "'" + s + "'" }
	type tc struct {
		name, src string
		want      string // result (tostring), when no error is expected
		err       string // substring of the error, when one is expected
	}
	common := []tc{
		{"io.open write and read", "local f = assert(io.open(" + q(src) + ", 'w')); f:write('x1'); f:close(); local r = io.open(" + q(src) + "); local s = r:read('*a'); r:close(); return s", "x1", ""},
		{"os.rename", "return tostring(os.rename(" + q(src) + ", " + q(dst) + ")) .. tostring(io.open(" + q(src) + ") == nil)", "truetrue", ""},
		{"os.rename missing", "local ok, msg = os.rename(" + q(src) + ", " + q(dst) + "); return tostring(ok) .. (msg and ' msg' or '')", "nil msg", ""},
		{"os.remove", "return tostring(os.remove(" + q(dst) + ")) .. tostring(io.open(" + q(dst) + ") == nil)", "truetrue", ""},
		{"os.remove missing", "local ok, msg = os.remove(" + q(dst) + "); return tostring(ok) .. ' ' .. tostring(msg ~= nil)", "nil true", ""},
		{"os.tmpname creates a private file", "local n = os.tmpname(); local f = io.open(n); local ok = f ~= nil; if f then f:close() end; os.remove(n); return tostring(ok) .. tostring(io.open(n) == nil)", "truetrue", ""},
		{"os.time", "return tostring(os.time({year=2020, month=1, day=1, hour=0}) > 0 and os.time() > 1600000000)", "true", ""},
		{"os.date", "return os.date('!%Y-%m-%d %H:%M:%S', 86400)", "1970-01-02 00:00:00", ""},
		{"os.clock", "return type(os.clock())", "number", ""},
		{"os.difftime", "return os.difftime(10, 4)", "6", ""},
		{"os.getenv", "return os.getenv('FLOWGATE_SANDBOX_TEST')", "v42", ""},
		{"os.setenv absent", "return tostring(os.setenv)", "nil", ""},
		{"os.exit refused", "os.exit(0)", "", "os.exit is not allowed"},
	}
	modes := []struct {
		name  string
		allow bool
		cases []tc
	}{
		{"default", false, append(common,
			tc{"os.execute() says no shell", "return tostring(os.execute())", "false", ""},
			tc{"os.execute refused", "os.execute('true')", "", "os.execute is disabled: start flowgate with --allow-lua-exec"},
			tc{"io.popen refused", "io.popen('echo hi')", "", "io.popen is disabled: start flowgate with --allow-lua-exec"},
			tc{"pcall sees the refusal", "local ok, e = pcall(os.execute, 'true'); return tostring(ok) .. ' ' .. tostring(string.find(e, '--allow-lua-exec', 1, true) ~= nil)", "false true", ""},
		)},
		{"allow-lua-exec", true, append(common,
			tc{"os.execute() says shell", "return tostring(os.execute())", "true", ""},
			tc{"os.execute success", "local ok, how, code = os.execute('exit 0'); return tostring(ok) .. how .. code", "trueexit0", ""},
			tc{"os.execute exit code", "local ok, how, code = os.execute('exit 3'); return tostring(ok) .. how .. code", "nilexit3", ""},
			tc{"os.execute signal", "local ok, how, code = os.execute('kill -9 $$'); return tostring(ok) .. how .. code", "nilsignal9", ""},
			tc{"io.popen read", "local p = io.popen('echo hi'); local s = p:read('*l'); p:close(); return s", "hi", ""},
		)},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			s := New(Options{Install: func(L *lua.LState) {
				if m.allow {
					AllowExec(L)
				}
			}})
			defer s.Close()
			for _, c := range m.cases {
				t.Run(c.name, func(t *testing.T) {
					v, err := run(t, s, c.src, 0)
					if c.err != "" {
						var e *Error
						if !errors.As(err, &e) || !strings.Contains(e.Msg, c.err) {
							t.Fatalf("error %v, want one containing %q", err, c.err)
						}
						return
					}
					if err != nil || v.String() != c.want {
						t.Fatalf("got %v, %v; want %s", v, err, c.want)
					}
				})
			}
		})
	}
}

// TestExecKilledWithBudget: a command still running when its call's budget
// ends is killed with the call.
func TestExecKilledWithBudget(t *testing.T) {
	wd := NewWatchdog(time.Millisecond)
	wd.Start()
	defer wd.Stop()
	s := New(Options{Watchdog: wd, Install: AllowExec})
	defer s.Close()
	marker := filepath.Join(t.TempDir(), "done")
	_, err := run(t, s, "os.execute('sleep 5; touch "+marker+"')\nwhile true do end", 50*time.Millisecond)
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("error %v, want the budget", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command outlived its call")
	}
}
