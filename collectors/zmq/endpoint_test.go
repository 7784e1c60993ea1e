package zmq

import (
	"reflect"
	"testing"
)

func TestParseEndpoints(t *testing.T) {
	cases := []struct {
		in   string
		want []Endpoint
		err  bool
	}{
		{in: "tcp://127.0.0.1:5556", want: []Endpoint{{"tcp://127.0.0.1:5556", false}}},
		{in: "tcp://*:5556c", want: []Endpoint{{"tcp://*:5556", true}}},
		{in: "tcp://*:5556 c", want: []Endpoint{{"tcp://*:5556", true}}},
		{in: "zmq://10.0.0.1:5556", want: []Endpoint{{"tcp://10.0.0.1:5556", false}}},
		{in: "probe1@tcp://10.0.0.1:5556", want: []Endpoint{{"tcp://10.0.0.1:5556", false}}},
		{in: "tcp://*:5556c,tcp://1.2.3.4:5557", want: []Endpoint{{"tcp://*:5556", true}, {"tcp://1.2.3.4:5557", false}}},
		{in: "tcp://[::1]:5556c", want: []Endpoint{{"tcp://[::1]:5556", true}}},
		{in: "tcp://*:5556", err: true},
		{in: "tcp://host", err: true},
		{in: "tcp://host:port", err: true},
		{in: "ipc:///tmp/x", err: true},
		{in: ",", err: true},
		{in: "eth0", err: true},
	}
	for _, c := range cases {
		got, err := ParseEndpoints(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: err = %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
}
