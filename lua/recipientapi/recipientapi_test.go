package recipientapi

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts/recipients"
	"flowgate/lua/api"
)

func TestRecipientQueuesFromLua(t *testing.T) {
	m := recipients.New(recipients.Configuration{DataDir: t.TempDir()})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	L := lua.NewState()
	defer L.Close()
	api.Install(L, &api.Context{}, api.Deps{Services: &api.Services{Recipients: m}})
	err := L.DoString(`
		ntop.recipient_register("r1")
		ntop.recipient_enqueue("r1", '{"a":1}')
		ntop.recipient_enqueue("r1", true, '{"b":2}')
		local st = ntop.recipient_stats()
		assert(st.r1.num_queued == 2, "queued " .. tostring(st.r1.num_queued))
		assert(ntop.recipient_dequeue("r1") == '{"a":1}')
		assert(ntop.recipient_dequeue("r1") == '{"b":2}')
		assert(ntop.recipient_dequeue("r1") == nil)
		ntop.recipient_inc_stats("r1", "num_custom")
		assert(ntop.recipient_stats().r1.num_custom == 1)
		assert(ntop.recipient_last_use("r1") > 0)
		local ok, e = pcall(ntop.recipient_enqueue, "nope", "{}")
		assert(not ok and tostring(e):find("not found"), tostring(e))
		ntop.recipient_delete("r1")
		assert(ntop.recipient_stats().r1 == nil)
	`)
	if err != nil {
		t.Fatal(err)
	}
}
