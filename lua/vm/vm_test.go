package vm

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func run(t *testing.T, s *State, src string, budget time.Duration) (lua.LValue, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.lua")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	proto, err := Compile(p)
	if err != nil {
		return lua.LNil, err
	}
	return s.Call(budget, s.Load(proto), 0, nil, nil, nil)
}

func TestStateLibrariesAndErrors(t *testing.T) {
	wd := NewWatchdog(time.Millisecond)
	wd.Start()
	defer wd.Stop()
	s := New(Options{ScriptsDir: "/scripts", Watchdog: wd})
	defer s.Close()
	for _, tc := range []struct {
		name, src string
		want      string
		kind      Kind
		line      int
	}{
		{"table.unpack", "return select('#', table.unpack({1,2,3}))", "3", -1, 0},
		{"table.pack", "return table.pack(1,nil,3).n", "3", -1, 0},
		{"math.tointeger", "return tostring(math.tointeger(3.0)) .. tostring(math.tointeger(3.5))", "3nil", -1, 0},
		{"dirs boilerplate", `package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path; return dirs.scriptdir`, "/scripts", -1, 0},
		{"os.execute refused without --allow-lua-exec", "return tostring(pcall(os.execute, 'true'))", "false", -1, 0},
		{"os.time kept", "return type(os.time())", "number", -1, 0},
		{"runtime error", "local x = 1\nerror('boom')", "", KindRuntime, 2},
		{"missing api", "ntop = {}\n\nntop.lacking(1)", "", KindMissingAPI, 3},
		{"infinite loop", "local i = 0\nwhile true do i = i + 1 end", "", KindTimeout, 2},
		{"pcall cannot swallow the budget", "while true do pcall(function() while true do end end) end", "", KindTimeout, 1},
		{"syntax", "x = = 1", "", KindSyntax, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The budget (wall clock) stops the endless loops; it is wide
			// enough that the other calls never reach it on a loaded machine.
			v, err := run(t, s, tc.src, 500*time.Millisecond)
			if tc.kind < 0 {
				if err != nil || v.String() != tc.want {
					t.Fatalf("got %v, %v; want %s", v, err, tc.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			if e.Kind != tc.kind || e.Line != tc.line {
				t.Fatalf("got %v (kind %v line %d), want kind %v line %d", e, e.Kind, e.Line, tc.kind, tc.line)
			}
			if tc.kind == KindMissingAPI && e.Msg[:12] != "ntop.lacking" {
				t.Fatalf("message %q does not name the function", e.Msg)
			}
		})
	}
	// The state works after a timeout.
	if v, err := run(t, s, "return 1+1", 500*time.Millisecond); err != nil || v.String() != "2" {
		t.Fatalf("after timeout: %v %v", v, err)
	}
}

// BenchmarkCallBudget compares an empty call without a watchdog, with the
// watchdog context (checked before every instruction), over a 10-instruction body.
func BenchmarkCallBudget(b *testing.B) {
	for _, limited := range []bool{false, true} {
		name := "unlimited"
		var wd *Watchdog
		if limited {
			name = "watchdog"
			wd = NewWatchdog(0)
			wd.Start()
		}
		b.Run(name, func(b *testing.B) {
			s := New(Options{Watchdog: wd})
			defer s.Close()
			p, _ := CompileString("return function(a, b) local x = 0 for i = 1, 3 do x = x + i end return x end", "bench.lua")
			fnv, _ := s.Call(0, s.Load(p), 0, nil, nil, nil)
			fn := fnv.(*lua.LFunction)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := s.Call2(time.Second, fn, lua.LNil, lua.LNil); err != nil {
					b.Fatal(err)
				}
			}
		})
		if wd != nil {
			wd.Stop()
		}
	}
}
