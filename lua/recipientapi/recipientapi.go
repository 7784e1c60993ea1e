// Package recipientapi provides the ntop.recipient_* functions
// (docs/ntop-api.md §16) on the recipients' persistent queues. The wiring puts the *recipients.Manager in
// api.Deps.Services.Recipients; without it the functions raise a clear error.
package recipientapi

import (
	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts/recipients"
	"flowgate/lua/api"
)

func init() {
	reg := func(name string, fn func(L *lua.LState, m *recipients.Manager) int) {
		api.RegisterNtopWith(name, func(d api.Deps) lua.LGFunction {
			var m *recipients.Manager
			if d.Services != nil {
				m = d.Services.Recipients
			}
			return func(L *lua.LState) int {
				if m == nil {
					L.RaiseError("ntop.%s: no recipients in this process (the recipient manager is not wired)", name)
					return 0
				}
				return fn(L, m)
			}
		}, api.StatusImplemented)
	}
	reg("recipient_register", func(L *lua.LState, m *recipients.Manager) int {
		check(L, m.RegisterQueue(L.CheckString(1)))
		return 0
	})
	reg("recipient_delete", func(L *lua.LState, m *recipients.Manager) int {
		check(L, m.Remove(L.CheckString(1)))
		return 0
	})
	// ntopng 4.2 calls recipient_enqueue(id, high_priority, json); the seed
	// documents (id, json). Both are accepted: the JSON is the last string.
	reg("recipient_enqueue", func(L *lua.LState, m *recipients.Manager) int {
		id := L.CheckString(1)
		msg := L.Get(L.GetTop())
		s, ok := msg.(lua.LString)
		if !ok || L.GetTop() < 2 {
			L.ArgError(2, "notification JSON string expected")
			return 0
		}
		check(L, m.Enqueue(id, []byte(s)))
		return 0
	})
	reg("recipient_dequeue", func(L *lua.LState, m *recipients.Manager) int {
		b, ok, err := m.Dequeue(L.CheckString(1))
		check(L, err)
		if !ok {
			L.Push(lua.LNil)
		} else {
			L.Push(lua.LString(b))
		}
		return 1
	})
	reg("recipient_stats", func(L *lua.LState, m *recipients.Manager) int {
		out := L.NewTable()
		for _, s := range m.Stats() {
			t := L.NewTable()
			L.SetField(t, "endpoint", lua.LString(s.Kind))
			L.SetField(t, "num_queued", lua.LNumber(s.QueueLen))
			L.SetField(t, "num_enqueued", lua.LNumber(s.Enqueued))
			L.SetField(t, "num_sent", lua.LNumber(s.Sent))
			L.SetField(t, "num_failed", lua.LNumber(s.Failed))
			L.SetField(t, "num_retried", lua.LNumber(s.Retried))
			L.SetField(t, "num_drops", lua.LNumber(s.Dropped))
			L.SetField(t, "last_use", lua.LNumber(s.LastUse))
			L.SetField(t, "last_error", lua.LString(s.LastError))
			for k, v := range s.Custom {
				L.SetField(t, k, lua.LNumber(v))
			}
			L.SetField(out, s.Name, t)
		}
		L.Push(out)
		return 1
	})
	reg("recipient_inc_stats", func(L *lua.LState, m *recipients.Manager) int {
		check(L, m.IncStat(L.CheckString(1), L.CheckString(2)))
		return 0
	})
	reg("recipient_last_use", func(L *lua.LState, m *recipients.Manager) int {
		t, err := m.LastUse(L.CheckString(1))
		check(L, err)
		L.Push(lua.LNumber(t))
		return 1
	})
}

func check(L *lua.LState, err error) {
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
}
