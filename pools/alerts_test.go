package pools

import (
	"testing"

	"flowgate/alerts"
)

// Alerts raised on pool members carry the pool, which a recipient's pool
// filter then selects on.
func TestAlertPool(t *testing.T) {
	s := New(Configuration{})
	if _, err := s.Add("lan", []string{"10.1.0.0/16@0", "10.9.0.0/16@7"}, 0, nil); err != nil {
		t.Fatal(err)
	}
	var got []int
	st := alerts.NewStore(alerts.Config{PoolOf: AlertPool(s)})
	st.Subscribe(func(n alerts.Notification) { got = append(got, n.Alert.PoolID) })
	st.Trigger(alerts.Alert{Type: 1, Entity: alerts.EntityHost, EntityVal: "10.1.2.3@0"})
	st.Trigger(alerts.Alert{Type: 1, Entity: alerts.EntityHost, EntityVal: "10.9.2.3@0"}) // wrong VLAN
	st.StoreEvent(alerts.Alert{Type: 2, Entity: alerts.EntityFlow, EntityVal: "flow",
		Flow: &alerts.FlowInfo{VLAN: 7, Cli: alerts.FlowPeer{Addr: "192.0.2.1"}, Srv: alerts.FlowPeer{Addr: "10.9.0.1"}}})
	st.StoreEvent(alerts.Alert{Type: 3, Entity: alerts.EntityInterface, EntityVal: "0"})
	st.Trigger(alerts.Alert{Type: 4, Entity: alerts.EntityHost, EntityVal: "10.1.2.3@0", PoolID: 5}) // set by its raiser
	want := []int{1, 0, 1, 0, 5}
	if len(got) != len(want) {
		t.Fatalf("notifications: %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("alert %d: pool %d, want %d", i, got[i], want[i])
		}
	}
}
