package api

import (
	"context"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/collectors/zmq/zmtp"
)

// docs/ntop-api.md §22: one ZMQ SUB socket per Lua state, on the collector's own ZMTP
// library. zmq_receive waits at most zmqRecvWait and answers nil on
// timeout, so a script polling it does not stall its goroutine for long.

const zmqRecvWait = time.Second

func init() {
	register("ntop", []luaFn{
		fn("zmq_connect", func(b *binding, L *lua.LState) int {
			ep, topic := argKey(L, "zmq_connect", 1, "endpoint"), ""
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				topic = argKey(L, "zmq_connect", 2, "topic")
			}
			b.zmqClose()
			var subs []string
			if topic != "" {
				subs = []string{topic}
			}
			s := zmtp.NewSub(zmtp.SubConfig{Subscribe: subs, QueueSize: 256, RcvBuf: -1})
			if err := s.Connect(ep); err != nil {
				s.Close()
				L.RaiseError("ntop.zmq_connect: argument #1 (endpoint) %q: %v", ep, err)
			}
			b.zmqSub = s
			return 0
		}),
		fn("zmq_disconnect", func(b *binding, L *lua.LState) int { b.zmqClose(); return 0 }),
		fn("zmq_receive", func(b *binding, L *lua.LState) int {
			if b.zmqSub == nil {
				L.Push(lua.LNil)
				return 1
			}
			ctx, cancel := context.WithTimeout(context.Background(), zmqRecvWait)
			defer cancel()
			m, err := b.zmqSub.RecvContext(ctx)
			if err != nil || len(m.Frames) == 0 {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(lua.LString(m.Frames[len(m.Frames)-1])) // the payload after topic/header frames
			return 1
		}),
	})
}

func (b *binding) zmqClose() {
	if b.zmqSub != nil {
		b.zmqSub.Close()
		b.zmqSub = nil
	}
}
