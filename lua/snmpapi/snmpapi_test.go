package snmpapi

import (
	"fmt"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
	"flowgate/snmp"
	"flowgate/snmp/snmptest"
)

func TestNtopSNMP(t *testing.T) {
	a := snmptest.StartAgent(t, `override -rw .1.3.6.1.4.1.99999.1.0 octet_str "before"`)
	// No retries: the timeout must outlast the scheduling delays of a
	// loaded machine.
	p := snmp.New(snmp.Configuration{Timeout: 2 * time.Second, Retries: -1}, snmp.Deps{})
	L := lua.NewState()
	defer L.Close()
	api.Install(L, &api.Context{}, api.Deps{Services: &api.Services{SNMP: p}})
	host := fmt.Sprintf("127.0.0.1:%d", a.Port)
	L.SetGlobal("HOST", lua.LString(host))
	L.SetGlobal("V3", func() lua.LValue {
		t := L.NewTable()
		t.RawSetString("user", lua.LString(snmptest.V3User))
		t.RawSetString("auth_protocol", lua.LString("SHA"))
		t.RawSetString("auth_password", lua.LString(snmptest.V3Auth))
		t.RawSetString("priv_protocol", lua.LString("AES"))
		t.RawSetString("priv_password", lua.LString(snmptest.V3Priv))
		return t
	}())
	script := `
assert(ntop.snmpv3available() and ntop.snmpsetavailable() and ntop.snmpgetbulkavailable())
assert(ntop.snmpMaxNumEngines() == 32)
ntop.snmpSetBulkMaxNumRepetitions(5)
ntop.snmpSetFatMibPollingMode(true)

local r = assert(ntop.snmpget(HOST, "public", "1.3.6.1.2.1.1.5.0", 1, 2, "1.3.6.1.2.1.1.6.0"))
assert(r["1.3.6.1.2.1.1.6.0"] == "lab")
assert(r["1.3.6.1.2.1.1.5.0"] == "fg-test-agent", tostring(r["1.3.6.1.2.1.1.5.0"]))
local r3 = assert(ntop.snmpget(HOST, V3, "1.3.6.1.2.1.1.5.0", 3))
assert(r3["1.3.6.1.2.1.1.5.0"] == "fg-test-agent")
local r1 = assert(ntop.snmpget(HOST, "public", "1.3.6.1.2.1.1.3.0", 0))
assert(type(r1["1.3.6.1.2.1.1.3.0"]) == "number")

local n = assert(ntop.snmpgetnext(HOST, "public", "1.3.6.1.2.1.1.5", 1))
assert(n["1.3.6.1.2.1.1.5.0"] == "fg-test-agent")
local b = assert(ntop.snmpgetnextbulk(HOST, "public", "1.3.6.1.2.1.1", 1))
local count = 0
for k, v in pairs(b) do count = count + 1 end
assert(count == 5, "bulk " .. count)

local bad, err = ntop.snmpget(HOST, "wrong", "1.3.6.1.2.1.1.5.0", 1)
assert(bad == nil and err ~= nil)

assert(ntop.snmpset(HOST, "private", "1.3.6.1.4.1.99999.1.0", "s", "after", 1))
assert(ntop.snmpget(HOST, "public", "1.3.6.1.4.1.99999.1.0", 1)["1.3.6.1.4.1.99999.1.0"] == "after")
local ok, serr = ntop.snmpset(HOST, "private", "1.3.6.1.4.1.99999.1.0", "q", "x", 1)
assert(not ok and serr:find("unknown type"))

local e = ntop.snmpallocasnyncengine()
ntop.snmpgetasync(e, HOST, "public", "1.3.6.1.2.1.1.5.0", 1)
ntop.snmpgetnextasync(e, HOST, "public", "1.3.6.1.2.1.1.5", 1)
local got = {}
while #got < 2 do
  local rsp = ntop.snmpreadasyncrsp(e)
  if rsp then got[#got + 1] = rsp else ntop.msleep(10) end
end
for _, rsp in ipairs(got) do assert(rsp.response["1.3.6.1.2.1.1.5.0"] == "fg-test-agent") end
ntop.snmpfreeasnycengine(e)

ntop.snmpGetBatch({{agent_host = HOST, community = "public", oid = "1.3.6.1.2.1.1.5.0", version = 1},
                   {agent_host = HOST, community = V3, oid = {"1.3.6.1.2.1.1.6.0"}}})
local all = ntop.snmpReadResponses()
assert(#all == 2)
for _, rsp in ipairs(all) do assert(rsp.response ~= nil and rsp.agent_host == HOST, rsp.error) end
`
	if err := L.DoString(script); err != nil {
		t.Fatal(err)
	}
	// Every docs/ntop-api.md §18 name is registered.
	names := map[string]bool{}
	for _, f := range api.RegisteredNtop() {
		names[f.Name] = true
	}
	for _, n := range []string{"snmpv3available", "snmpsetavailable", "snmpgetbulkavailable", "snmpMaxNumEngines",
		"snmpSetBulkMaxNumRepetitions", "snmpSetFatMibPollingMode", "snmpToggleTrapCollection", "snmpSetInterfaceRole",
		"activateSnmpInterfaceRoles", "snmpget", "snmpgetnext", "snmpgetnextbulk", "snmpset", "snmpallocasnyncengine",
		"snmpfreeasnycengine", "snmpgetasync", "snmpgetnextasync", "snmpgetnextbulkasync", "snmpreadasyncrsp",
		"snmpGetBatch", "snmpReadResponses"} {
		if !names[n] {
			t.Errorf("ntop.%s not registered", n)
		}
	}
}
