package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNtopRRD: ntop.rrd_* from Lua with ntopng's calling conventions, on
// rrdtool's tutorial numbers (history/rrd checks the arithmetic in depth).
func TestNtopRRD(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, Deps{DataDir: dir})
	runChunk(t, e.L, `
		local path = ntop.getDirs().workingdir .. "/0/rrd/speed.rrd"
		assert(ntop.rrd_create(path, 300, 920804400, "DS:speed:COUNTER:600:U:U", "RRA:AVERAGE:0.5:1:24", "RRA:MAX:0.5:6:10") == nil)
		local vals = {12345, 12357, 12363, 12363, 12363, 12373, 12383, 12393, 12399, 12405, 12411, 12415, 12420, 12422, 12423}
		for i, v in ipairs(vals) do
			local when = 920804700 + 300 * (i - 1)
			local err
			if i % 2 == 0 then err = ntop.rrd_update(path, when .. ":" .. v)
			else err = ntop.rrd_update(path, when, v) end
			assert(err == nil, err)
		end
		local last, nds = ntop.rrd_lastupdate(path)
		assert(last == 920808900 and nds == 1, tostring(last))
		local start, step, names, rows, fend = ntop.rrd_fetch(path, "AVERAGE", 920804400, 920809200)
		assert(start == 920804400 and step == 300 and fend == 920809200, start .. " " .. step)
		assert(#names == 1 and names[1] == "speed")
		assert(#rows == 16, #rows)
		assert(rows[1][1] == nil) -- NaN skipped, as ntopng does
		assert(math.abs(rows[2][1] - 0.04) < 1e-9, rows[2][1])
		assert(math.abs(rows[6][1] - 10/300) < 1e-9)
		assert(rows[16][1] == nil)
		local s2, st2, cols, e2, n = ntop.rrd_fetch_columns(path, "AVERAGE", "920804400", "920809200")
		assert(s2 == 920804400 and st2 == 300 and e2 == 920809200 and n == 16)
		assert(cols.speed[1] ~= cols.speed[1]) -- NaN kept in columns
		assert(math.abs(cols.speed[3] - 0.02) < 1e-9)
		local _, mstep, _, mrows = ntop.rrd_fetch(path, "MAX", 920804400, 920808000, 1800)
		assert(mstep == 1800 and #mrows == 2 and math.abs(mrows[2][1] - 10/300) < 1e-9, mstep)
		assert(ntop.rrd_tune(path, "--heartbeat", "speed:900") == nil)
		assert(ntop.rrd_tune(path, "--heartbeat", "nope:900") ~= nil)
		-- errors: an update in the past, values of another count, bad specs
		assert(string.find(ntop.rrd_update(path, "920804700:1"), "illegal attempt"))
		assert(ntop.rrd_update(path, "920809900:1:2") ~= nil)
		assert(ntop.rrd_create(path .. "2", 60, "DS:x:NOPE:120:U:U", "RRA:AVERAGE:0.5:1:10") ~= nil)
		-- a missing RRD: four nils
		local a, b, c, d = ntop.rrd_fetch(ntop.getDirs().workingdir .. "/none.rrd", "AVERAGE", 0, 100)
		assert(a == nil and b == nil and c == nil and d == nil)
		assert(ntop.rrd_lastupdate("none.rrd") == nil)
	`)
	// Paths outside the data dir are refused and nothing is written.
	for _, p := range []string{"/tmp/escape.rrd", "../escape.rrd", "0/../../escape.rrd"} {
		got := eval(e.L, `ntop.rrd_create("`+p+`", 60, "DS:x:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:10")`)
		if !strings.Contains(got, "outside the data directory") {
			t.Errorf("create %s: %q", p, got)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape.rrd")); !os.IsNotExist(err) {
		t.Fatalf("escaped: %v", err)
	}
	if msg := chunkErr(e.L, `ntop.rrd_update("x.rrd", {})`); !strings.Contains(msg, "must be a string or a number") {
		t.Errorf("table arg: %q", msg)
	}
	if msg := chunkErr(e.L, `ntop.rrd_fetch("x.rrd", "AVERAGE", "yesterday", "now")`); !strings.Contains(msg, "argument #3") {
		t.Errorf("bad time: %q", msg)
	}
	// deleteOldRRDs(dir, seconds): the file was just written, so a day
	// keeps it and 0 s (older than now) would not remove a file modified
	// in the future of the test clock either; an old mtime removes it.
	path := filepath.Join(dir, "0", "rrd", "speed.rrd")
	runChunk(t, e.L, `ntop.deleteOldRRDs(ntop.getDirs().workingdir .. "/0/rrd", 86400)`)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("recent RRD removed: %v", err)
	}
	old := testNow.AddDate(0, 0, -40)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	runChunk(t, e.L, `ntop.deleteOldRRDs(0, 30 * 86400)`)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("old RRD kept: %v", err)
	}
}
