package modules

import (
	"encoding/json"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestRESTConstsFromGoTable: every rest_utils.consts entry is the Go
// table's (rc, str, http_code), and nothing else is there.
func TestRESTConstsFromGoTable(t *testing.T) {
	L, _ := newState(t)
	for _, c := range RESTCodes {
		group := "err"
		if c.Success {
			group = "success"
		}
		got, err := eval(L, `local r = require("rest_utils").consts.`+group+`.`+c.Name+`
			return r.rc .. "|" .. r.str .. "|" .. r.http_code`)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want := strings.Join([]string{itoa(c.RC), c.Str, itoa(c.HTTP)}, "|")
		if got != want {
			t.Errorf("consts.%s.%s = %s, want %s", group, c.Name, got, want)
		}
	}
	n, err := eval(L, `local r = require("rest_utils").consts; local n = 0
		for _, g in pairs({r.success, r.err}) do for _ in pairs(g) do n = n + 1 end end; return n`)
	if err != nil || n != itoa(len(RESTCodes)) {
		t.Fatalf("consts count = %s (%v), want %d", n, err, len(RESTCodes))
	}
	// The seed's table.
	for name, want := range map[string]string{"not_found": "-1|404", "invalid_interface": "-2|400",
		"not_granted": "-3|401", "invalid_host": "-4|400", "invalid_args": "-5|400", "internal_error": "-6|500",
		"bad_format": "-7|400", "bad_content": "-8|400"} {
		c := RESTCodeByName(name)
		if got := itoa(c.RC) + "|" + itoa(c.HTTP); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

func itoa(n int) string { return lua.LNumber(n).String() }

// TestRESTAnswer: answer prints the envelope and hands the status and
// content type to sendHTTPContentTypeHeader; a bad code is an error.
func TestRESTAnswer(t *testing.T) {
	L, _ := newState(t)
	var out strings.Builder
	var status, ctype string
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int { out.WriteString(L.CheckString(1)); return 0 }))
	L.SetGlobal("sendHTTPContentTypeHeader", L.NewFunction(func(L *lua.LState) int {
		ctype, status = L.CheckString(1), L.Get(5).String()
		return 0
	}))
	if _, err := eval(L, `local r = require("rest_utils")
		r.extended_answer(r.consts.err.invalid_args, {a = 1}, {recordsTotal = 3})`); err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(out.String()), &env); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if env["rc"] != float64(-5) || env["rc_str"] != "INVALID_ARGUMENTS" || env["rc_str_hr"] != "Invalid arguments" ||
		env["recordsTotal"] != float64(3) || env["rsp"].(map[string]any)["a"] != float64(1) {
		t.Fatalf("envelope %v", env)
	}
	if status != "400" || ctype != "application/json" {
		t.Fatalf("status %s, content type %s", status, ctype)
	}
	if _, err := eval(L, `require("rest_utils").answer("ok")`); err == nil || !strings.Contains(err.Error(), "rest_utils.consts") {
		t.Fatalf("a string code: %v", err)
	}
	// 4.x: numeric constants and rc().
	got, err := eval(L, `local r = require("rest_utils"); return r.rc(r.consts_not_granted)`)
	if err != nil || !strings.Contains(got, `"rc_str":"NOT_GRANTED"`) {
		t.Fatalf("rc(): %s %v", got, err)
	}
}
