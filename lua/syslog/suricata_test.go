package syslog

import (
	"testing"

	"flowgate/engine"
	"flowgate/internal/testwait"
)

// suricata.lua reuses one record table per event type: what an event adds
// (HTTP site, DNS query, TLS SNI) must not leak into the next event of the
// same type.
func TestSuricataRecordsDoNotLeak(t *testing.T) {
	dir := copyScripts(t, "../../deploy/scripts/callbacks/syslog/suricata.lua")
	f := newFixture(t, dir, Configuration{})
	msgs := []string{
		`{"event_type":"http","src_ip":"10.0.0.1","src_port":1001,"dest_ip":"10.9.0.1","dest_port":80,"proto":"TCP","http":{"hostname":"a.example","url":"/x"}}`,
		`{"event_type":"http","src_ip":"10.0.0.2","src_port":1002,"dest_ip":"10.9.0.1","dest_port":80,"proto":"TCP","http":{"url":"/y"}}`,
		`{"event_type":"alert","src_ip":"10.0.0.3","src_port":1003,"dest_ip":"10.9.0.1","dest_port":53,"proto":"UDP","alert":{"signature_id":1,"severity":3},"dns":{"rrname":"q.example"},"tls":{"sni":"s.example"}}`,
		`{"event_type":"alert","src_ip":"10.0.0.4","src_port":1004,"dest_ip":"10.9.0.1","dest_port":53,"proto":"UDP","alert":{"signature_id":2,"severity":3}}`,
		`{"event_type":"dns","src_ip":"10.0.0.5","src_port":1005,"dest_ip":"10.9.0.1","dest_port":53,"proto":"UDP","dns":{"rrname":"d.example"}}`,
		`{"event_type":"dns","src_ip":"10.0.0.6","src_port":1006,"dest_ip":"10.9.0.1","dest_port":53,"proto":"UDP","dns":{"id":1}}`,
	}
	for i := range msgs {
		if f.rt.Deliver(&engine.LogEvent{Producer: "suricata", Host: "ids", Priority: 14, Message: msgs[i]}) != engine.LogQueued {
			t.Fatalf("event %d not queued", i)
		}
	}
	// Idle too: the statistics checked below are counted in the same calls
	// that make the flows, possibly after the last flow appears.
	testwait.For(t, "6 flows and every call finished", func() bool { return len(f.flows()) == len(msgs) && f.rt.WaitIdle(0) })
	fl := f.flows()
	for key, want := range map[string]flowRow{
		"10.0.0.1:1001-10.9.0.1:80": {site: "a.example", url: "a.example/x"},
		"10.0.0.2:1002-10.9.0.1:80": {},
		"10.0.0.3:1003-10.9.0.1:53": {dns: "q.example", sni: "s.example"},
		"10.0.0.4:1004-10.9.0.1:53": {},
		"10.0.0.5:1005-10.9.0.1:53": {dns: "d.example"},
		"10.0.0.6:1006-10.9.0.1:53": {},
	} {
		r, ok := fl[key]
		if !ok || r.site != want.site || r.url != want.url || r.dns != want.dns || r.sni != want.sni {
			t.Errorf("flow %s: %+v (present %v), want %+v", key, r, ok, want)
		}
	}
	if st := f.rt.Stats()[0]; st.Flows != 6 || st.Alerts != 2 || st.Errors != 0 {
		t.Errorf("stats %+v", st)
	}
}
