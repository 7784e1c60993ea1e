package recipients

import (
	"testing"
)

// A backup carries the REST-added endpoints with their secrets, restores
// them into an empty manager, and a bad one changes nothing.
func TestBackupRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := New(Configuration{DataDir: dir})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	ep := EndpointConfig{Name: "hook", Type: "webhook", Params: map[string]string{"url": "https://siem.example/x", "secret": "s3cret"}}
	if _, err := m.AddEndpoint(ep); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddRecipient(RecipientConfig{Name: "r1", Endpoint: "hook", Params: map[string]string{"pools": "1,2"}}); err != nil {
		t.Fatal(err)
	}
	b := m.ExportBackup()
	if len(b.Endpoints) != 1 || b.Endpoints[0].Params["secret"] != "s3cret" || len(b.Recipients) != 1 {
		t.Fatalf("export: %+v", b)
	}
	m2 := New(Configuration{DataDir: t.TempDir()})
	if err := m2.Start(); err != nil {
		t.Fatal(err)
	}
	defer m2.Stop()
	for name, bad := range map[string]Backup{
		"masked secret":    {Endpoints: []EndpointConfig{{Name: "e", Type: "webhook", Params: map[string]string{"url": "https://x/", "secret": Masked}}}},
		"unknown endpoint": {Recipients: []RecipientConfig{{Name: "r", Endpoint: "nope"}}},
		"bad filter":       {Endpoints: b.Endpoints, Recipients: []RecipientConfig{{Name: "r", Endpoint: "hook", Params: map[string]string{"pools": "x"}}}},
		"bad kind":         {Endpoints: []EndpointConfig{{Name: "e", Type: "carrier-pigeon"}}},
	} {
		if err := m2.ImportBackup(bad); err == nil {
			t.Errorf("%s: imported", name)
		}
	}
	if len(m2.Endpoints()) != 0 {
		t.Fatal("a refused backup changed the endpoints")
	}
	if err := m2.ImportBackup(b); err != nil {
		t.Fatal(err)
	}
	got := m2.ExportBackup()
	if len(got.Endpoints) != 1 || got.Endpoints[0].Params["secret"] != "s3cret" || len(got.Recipients) != 1 || got.Recipients[0].Params["pools"] != "1,2" {
		t.Errorf("restored: %+v", got)
	}
	if st, ok := m2.Get("r1"); !ok || len(st.Filter.Pools) != 2 {
		t.Errorf("restored recipient's pool filter: %+v", st.Filter)
	}
}
