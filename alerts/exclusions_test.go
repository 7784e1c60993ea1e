package alerts

import (
	"strings"
	"sync"
	"testing"
)

// An exclusions document as ntopng's alert_exclusions module writes it:
// host alert 49 (threshold cross) off for 10.0.0.5, flow alert 1 off for
// anything in 192.168.10.0/24 and for 2001:db8::1.
const exclusionsDoc = `{
 "1": {"49": {"excluded_hosts": {"10.0.0.5": {}}}},
 "4": {"1": {"excluded_hosts": {"192.168.10.0/24": {}, "2001:db8::1@0": {}}}},
 "0": {"49": {"excluded_hosts": {"0": {}}}}
}`

func TestAlertExclusions(t *testing.T) {
	ex, err := ParseExclusions([]byte(exclusionsDoc))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Len() != 3 {
		t.Fatalf("Len = %d, want 3 (the interface entity is not an exclusion ntopng honours)", ex.Len())
	}
	st := NewStore(Config{})
	var mu sync.Mutex
	var notified []Alert
	st.Subscribe(func(n Notification) { mu.Lock(); notified = append(notified, n.Alert); mu.Unlock() })
	st.SetExclusions(ex)

	flow := func(cli, srv string) *FlowInfo {
		return &FlowInfo{Cli: FlowPeer{Addr: cli}, Srv: FlowPeer{Addr: srv}}
	}
	cases := []struct {
		name     string
		a        Alert
		excluded bool
	}{
		{"host alert of the excluded host", Alert{Entity: EntityHost, EntityVal: "10.0.0.5@0", Type: 49, Severity: SeverityError}, true},
		{"same host, another alert type", Alert{Entity: EntityHost, EntityVal: "10.0.0.5@0", Type: 50, Severity: SeverityError}, false},
		{"same alert, another host", Alert{Entity: EntityHost, EntityVal: "10.0.0.6@0", Type: 49, Severity: SeverityError}, false},
		{"flow alert, client in the excluded network", Alert{Entity: EntityFlow, EntityVal: "flow", Type: 1, Flow: flow("192.168.10.7", "8.8.8.8")}, true},
		{"flow alert, server is the excluded IPv6 host", Alert{Entity: EntityFlow, EntityVal: "flow", Type: 1, Flow: flow("10.1.1.1", "2001:db8::1")}, true},
		{"flow alert, neither peer excluded", Alert{Entity: EntityFlow, EntityVal: "flow", Type: 1, Flow: flow("192.168.11.7", "8.8.8.8")}, false},
		{"flow alert of another type", Alert{Entity: EntityFlow, EntityVal: "flow", Type: 2, Flow: flow("192.168.10.7", "8.8.8.8")}, false},
		{"interface alert", Alert{Entity: EntityInterface, EntityVal: "0", Type: 49}, false},
	}
	raised := 0
	for _, c := range cases {
		before := st.Counters()
		if c.a.Entity == EntityFlow {
			st.StoreEvent(c.a)
		} else {
			st.Trigger(c.a)
		}
		after := st.Counters()
		gotExcluded := after.Excluded == before.Excluded+1
		if gotExcluded != c.excluded {
			t.Errorf("%s: excluded = %v, want %v", c.name, gotExcluded, c.excluded)
		}
		if !c.excluded {
			raised++
		}
	}
	mu.Lock()
	n := len(notified)
	mu.Unlock()
	if n != raised {
		t.Fatalf("recipients saw %d notifications, want %d (no excluded alert reaches them)", n, raised)
	}
	if rows, _ := st.List(Query{}); len(rows) != raised {
		t.Fatalf("store holds %d alerts, want %d", len(rows), raised)
	}

	// Clearing the exclusions raises the alert again.
	st.SetExclusions(nil)
	if !st.Trigger(cases[0].a) {
		t.Fatal("after clearing the exclusions the host alert must engage")
	}
}

func TestParseExclusionsErrors(t *testing.T) {
	for _, c := range []struct{ doc, err string }{
		{`{"1": `, "unexpected end"},
		{`{"1": {"x": {"excluded_hosts": {"10.0.0.1": {}}}}}`, `bad alert id "x"`},
		{`{"1": {"49": {"excluded_hosts": {"not-an-ip": {}}}}}`, `bad host "not-an-ip"`},
		{`{"4": {"1": {"excluded_hosts": {"10.0.0.0/99": {}}}}}`, `bad network "10.0.0.0/99"`},
		{`["1"]`, "cannot unmarshal"},
	} {
		_, err := ParseExclusions([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: err = %v, want %q", c.doc, err, c.err)
		}
	}
	for _, doc := range []string{"", "  ", "{}"} {
		e, err := ParseExclusions([]byte(doc))
		if err != nil || e.Len() != 0 {
			t.Errorf("%q: %v, %d exclusions", doc, err, e.Len())
		}
	}
}
