package api

import (
	"errors"
	"log/slog"

	lua "github.com/yuin/gopher-lua"
)

var errNoKafka = errors.New("no --kafka in this process")

// KafkaSender is the Kafka producer of --kafka (flowexport/kafka.Producer).
type KafkaSender interface {
	SendMessage(topic string, msg []byte) error
}

// ntop.sendKafkaMessage(topic, msg) queues msg for topic on the --kafka
// brokers and returns nil, as ntopng's. It never blocks: a full buffer, a
// bad topic or a process without --kafka drops the message (counted by the
// producer; the first drop of a Lua state is logged) rather than stop the
// script.
func init() {
	RegisterNtopWith("sendKafkaMessage", func(d Deps) lua.LGFunction {
		var k KafkaSender
		if d.Services != nil {
			k = d.Services.Kafka
		}
		log := d.Logger
		if log == nil {
			log = slog.Default()
		}
		warned := false // once per Lua state: the producer counts every drop
		return func(L *lua.LState) int {
			topic := argKey(L, "sendKafkaMessage", 1, "topic")
			msg := argKey(L, "sendKafkaMessage", 2, "msg")
			var err error
			if k == nil {
				err = errNoKafka
			} else {
				err = k.SendMessage(topic, []byte(msg))
			}
			if err != nil && !warned {
				warned = true
				log.Warn("ntop.sendKafkaMessage: message dropped (further drops of this script state are only counted)", "topic", topic, "err", err)
			}
			L.Push(lua.LNil)
			return 1
		}
	}, StatusImplemented)
}
