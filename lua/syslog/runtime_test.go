package syslog

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
	"flowgate/internal/testwait"
	"flowgate/lua/api"
)

const h42 = `
local s = { hooks = {}, default_value = { threshold = 4 } }
function s.setup() record("setup") return true end
function s.hooks.handleEvent(conf, msg, host, prio)
  record("event", msg, host, prio, conf.app42.all.enabled, conf.app42.all.script_conf.level)
  interface.incSyslogStats(1, 0, 0, 2, 0, 3)
end
function s.teardown(c) record("teardown") end
return s
`

const h40 = `
local s = { hooks = {} }
function s.hooks.handleEvent(message) record("v40", message) end
return s
`

func TestHandlerSignatures(t *testing.T) {
	dir := writeScripts(t, map[string]string{"app42": h42, "app40": h40})
	f := newFixture(t, dir, Configuration{ScriptConf: map[string]map[string]any{"app42": {"level": 5}}})
	if !f.rt.HasHandler("app42") || !f.rt.HasHandler("app40") || f.rt.HasHandler("other") {
		t.Fatal("handlers not loaded")
	}
	f.rt.Deliver(&engine.LogEvent{Producer: "app42", Message: "hello", Host: "10.0.0.1", Priority: 13})
	f.rt.Deliver(&engine.LogEvent{Producer: "app40", Message: "old style", Host: "h", Priority: 1})
	if d := f.rt.Deliver(&engine.LogEvent{Producer: "other", Message: "x"}); d != engine.LogNoHandler {
		t.Fatalf("delivery to a producer without handler = %v", d)
	}
	testwait.For(t, "events", func() bool { return f.rt.WaitIdle(0) && len(f.rec.get()) >= 3 })
	f.rt.Stop()
	got := f.rec.get()
	want := [][]string{{"setup"}, {"event", "hello", "10.0.0.1", "13", "true", "5"}, {"teardown"}}
	var mine, old [][]string
	for _, r := range got {
		if r[0] == "v40" {
			old = append(old, r)
		} else {
			mine = append(mine, r)
		}
	}
	if !reflect.DeepEqual(mine, want) {
		t.Fatalf("4.2 handler got %q, want %q", mine, want)
	}
	if !reflect.DeepEqual(old, [][]string{{"v40", "old style"}}) {
		t.Fatalf("4.0 handler got %q", old)
	}
	st := map[string]ProducerStats{}
	for _, s := range f.rt.Stats() {
		st[s.Producer] = s
	}
	if s := st["app42"]; s.Received != 1 || s.Handled != 1 || s.TotEvents != 1 || s.Alerts != 2 || s.Flows != 3 {
		t.Fatalf("app42 stats %+v", s)
	}
	if s := st["other"]; s.Unhandled != 1 || s.HasHandler {
		t.Fatalf("other stats %+v", s)
	}
}

func TestSetupFalseAndBrokenScripts(t *testing.T) {
	dir := writeScripts(t, map[string]string{
		"off":     "local s={hooks={}} function s.setup() return false end function s.hooks.handleEvent() end return s",
		"syntax":  "local s = {",
		"notable": "return 42",
		"nohook":  "return {hooks={}}",
		"ok":      h40,
	})
	f := newFixture(t, dir, Configuration{})
	for _, p := range []string{"off", "syntax", "notable", "nohook"} {
		if f.rt.HasHandler(p) {
			t.Errorf("%s should not be loaded", p)
		}
	}
	if !f.rt.HasHandler("ok") {
		t.Fatal("ok not loaded")
	}
}

func TestErrorsAndTimeoutsAreCounted(t *testing.T) {
	dir := writeScripts(t, map[string]string{
		"bad": `local s={hooks={}}
function s.hooks.handleEvent(c, m)
  if m == "loop" then while true do end end
  error("boom " .. m)
end
return s`,
	})
	// The budget stops the endless loop; it is wide enough that the calls
	// that only throw never reach it, even on a loaded machine.
	f := newFixture(t, dir, Configuration{CallBudget: 500 * time.Millisecond})
	f.rt.Deliver(&engine.LogEvent{Producer: "bad", Message: "x"})
	f.rt.Deliver(&engine.LogEvent{Producer: "bad", Message: "loop"})
	f.rt.Deliver(&engine.LogEvent{Producer: "bad", Message: "y"})
	testwait.For(t, "calls", func() bool { return f.rt.WaitIdle(0) })
	s := f.rt.Stats()[0]
	if s.Errors != 3 || s.Timeouts != 1 || s.Handled != 0 || !strings.Contains(s.LastError, "boom y") {
		t.Fatalf("stats %+v", s)
	}
}

// A handler that blocks never blocks Deliver: the queue fills and the rest
// is dropped and counted, while other producers keep flowing.
func TestSlowHandlerDropsAreCounted(t *testing.T) {
	dir := writeScripts(t, map[string]string{
		"slow": `local s={hooks={}}
function s.hooks.handleEvent(c, m) block() end
return s`,
		"fast": `local s={hooks={}}
function s.hooks.handleEvent(c, m) record(m) end
return s`,
	})
	release := make(chan struct{})
	rec := &recorder{}
	f := newFixture(t, dir, Configuration{QueueSize: 8, CallBudget: time.Minute, Install: func(L *lua.LState, ctx *api.Context) {
		rec.install(L, ctx)
		L.SetGlobal("block", L.NewFunction(func(*lua.LState) int { <-release; return 0 }))
	}})
	f.rec = rec
	dropped := 0
	for range 1000 {
		if f.rt.Deliver(&engine.LogEvent{Producer: "slow", Message: "m"}) == engine.LogDropped {
			dropped++
		}
	}
	f.rt.Deliver(&engine.LogEvent{Producer: "fast", Message: "still flowing"})
	testwait.For(t, "the other producer", func() bool { return len(f.rec.get()) == 1 })
	close(release)
	// At most the queue and the event in the blocked call were accepted.
	if dropped < 1000-8-1 {
		t.Fatalf("dropped %d of 1000 with a queue of 8", dropped)
	}
	testwait.For(t, "slow drained", func() bool { return f.rt.WaitIdle(0) })
	var slow ProducerStats
	for _, s := range f.rt.Stats() {
		if s.Producer == "slow" {
			slow = s
		}
	}
	if slow.Dropped != uint64(dropped) || slow.Received != 1000 || slow.Handled != uint64(1000-dropped) {
		t.Fatalf("slow stats %+v, dropped %d", slow, dropped)
	}
}

func TestDiscoverLayouts(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{
		"callbacks/syslog/a.lua",
		"callbacks/system/syslog/a.lua",
		"callbacks/system/syslog/b.lua",
		"plugins/collectors/suricata/user_scripts/syslog/suricata.lua",
		"plugins/fortinet/user_scripts/syslog/Fortinet.lua",
		"callbacks/syslog/notes.txt",
	} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("return {}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := Discover(dir)
	want := map[string]string{
		"a":        filepath.Join(dir, "callbacks/syslog/a.lua"),
		"b":        filepath.Join(dir, "callbacks/system/syslog/b.lua"),
		"suricata": filepath.Join(dir, "plugins/collectors/suricata/user_scripts/syslog/suricata.lua"),
		"fortinet": filepath.Join(dir, "plugins/fortinet/user_scripts/syslog/Fortinet.lua"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Discover = %v, want %v", got, want)
	}
}

// Several workers share a producer's queue; each has its own state with
// its own setup and teardown.
func TestWorkers(t *testing.T) {
	dir := writeScripts(t, map[string]string{"w": `local s={hooks={}}
function s.setup() record("setup") end
function s.hooks.handleEvent(c, m) record(m) end
function s.teardown() record("teardown") end
return s`})
	f := newFixture(t, dir, Configuration{Workers: 3})
	for i := range 100 {
		f.rt.Deliver(&engine.LogEvent{Producer: "w", Message: strings.Repeat("x", i%5+1)})
	}
	testwait.For(t, "100 events", func() bool { return f.rt.Totals().Handled == 100 })
	f.rt.Stop()
	n := map[string]int{}
	for _, r := range f.rec.get() {
		n[r[0]]++
	}
	if n["setup"] != 3 || n["teardown"] != 3 || n["x"] != 20 {
		t.Fatalf("calls %v", n)
	}
}

// Seed 001's example (4.0 form, package.path from ntop.getDirs, dkjson,
// tprint) runs as written.
func TestSeedExample(t *testing.T) {
	dir := writeScripts(t, map[string]string{"suricata": `
local dirs = ntop.getDirs()
package.path = dirs.installdir .. "/scripts/lua/modules/?.lua;" .. package.path
require "lua_utils"
local json = require ("dkjson")

local syslog_module = {
   hooks = {},
}

function syslog_module.setup()
   return true
end

function syslog_module.hooks.handleEvent(message)
   local alert = json.decode(message)
   record(alert.event_type)
end

function syslog_module.teardown()
   return true
end

return syslog_module`})
	f := newFixture(t, dir, Configuration{})
	f.rt.Deliver(&engine.LogEvent{Producer: "suricata", Message: `{"event_type":"alert"}`})
	testwait.For(t, "event", func() bool { return len(f.rec.get()) == 1 })
	if got := f.rec.get()[0][0]; got != "alert" {
		t.Fatalf("got %q", got)
	}
}
