package api

import (
	"errors"
	"strings"
	"testing"
)

type fakeKafka struct {
	topics, msgs []string
	fail         error
}

func (f *fakeKafka) SendMessage(topic string, msg []byte) error {
	if f.fail != nil {
		return f.fail
	}
	f.topics, f.msgs = append(f.topics, topic), append(f.msgs, string(msg))
	return nil
}

func TestSendKafkaMessage(t *testing.T) {
	k := &fakeKafka{}
	e := newEnv(t, Deps{Services: &Services{Kafka: k}})
	for _, tc := range []struct{ expr, want string }{
		{`ntop.sendKafkaMessage("alerts", '{"a":1}')`, "nil"},
		{`ntop.sendKafkaMessage("n", 42)`, "nil"},
		{`ntop.sendKafkaMessage("alerts")`, "error: "},
		{`ntop.sendKafkaMessage({}, "x")`, "error: "},
	} {
		if got := eval(e.L, tc.expr); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
	if strings.Join(k.topics, ",") != "alerts,n" || strings.Join(k.msgs, ",") != `{"a":1},42` {
		t.Fatalf("sent %v %v", k.topics, k.msgs)
	}
	// A refusing producer or none: the script carries on (nil).
	k.fail = errors.New("full")
	if got := eval(e.L, `ntop.sendKafkaMessage("alerts", "x")`); got != "nil" {
		t.Fatalf("refused: %q", got)
	}
	if got := eval(newEnv(t, Deps{}).L, `ntop.sendKafkaMessage("alerts", "x")`); got != "nil" {
		t.Fatalf("no kafka: %q", got)
	}
}
