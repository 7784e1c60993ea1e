package web

import (
	"encoding/json"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"flowgate/engine"
)

// TestActiveFlowsProtocolNames: the flow list names each flow's L4 and
// application protocols (named for the page only: the walk copies ids)
// and sorts by the application's name, both ways.
func TestActiveFlowsProtocolNames(t *testing.T) {
	eng := engine.New(engine.DefaultConfiguration())
	i := eng.AddInterface("eth0", "zmq")
	rec := func(src string, port uint16, proto uint8, master, app uint16) engine.FlowRecord {
		return engine.FlowRecord{SrcIP: netip.MustParseAddr(src), DstIP: netip.MustParseAddr("192.0.2.1"),
			SrcPort: 40000, DstPort: port, Proto: proto, L7Master: master, L7App: app, L7Set: true,
			InBytes: 100, InPkts: 1, FirstSwitched: 1, LastSwitched: 2}
	}
	i.Process(&engine.Batch{Flows: []engine.FlowRecord{
		rec("10.0.0.1", 443, 6, 0, 91), rec("10.0.0.2", 53, 17, 0, 5), rec("10.0.0.3", 80, 6, 0, 7),
	}})
	s := New(DefaultConfiguration(), Dependencies{Engine: eng})
	for _, tc := range []struct{ order, want string }{
		{"asc", "UDP/DNS TCP/HTTP TCP/TLS"},
		{"desc", "TCP/TLS TCP/HTTP UDP/DNS"},
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/lua/rest/v2/get/flow/active.lua?ifid=0&sortColumn=protocol&sortOrder="+tc.order, nil))
		var env struct {
			Rsp struct {
				Data []struct {
					Protocol struct{ L4, L7 string } `json:"protocol"`
				} `json:"data"`
			} `json:"rsp"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
			t.Fatalf("%s: %v: %s", tc.order, err, w.Body.String())
		}
		var got []string
		for _, f := range env.Rsp.Data {
			got = append(got, f.Protocol.L4+"/"+f.Protocol.L7)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("sortOrder=%s: %v, want %s", tc.order, got, tc.want)
		}
	}
}
