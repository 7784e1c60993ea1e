package snmp

import "testing"

func TestConfigsBackup(t *testing.T) {
	p := New(Configuration{DataDir: t.TempDir()}, Deps{})
	for _, d := range []DeviceConfig{{Address: "192.0.2.1", Version: "2c", Community: "c1"}, {Address: "192.0.2.2", Version: "2c", Community: "c2"}} {
		if _, err := p.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
	got := p.Configs()
	if len(got) != 2 || got[0].Community != "c1" {
		t.Fatalf("configs keep the credentials: %+v", got)
	}
	bad := []DeviceConfig{{Address: "192.0.2.3", Version: "2c", Community: "c"}, {Address: "", Version: "9"}}
	if err := p.ReplaceConfigs(bad); err == nil {
		t.Fatal("bad devices accepted")
	}
	if len(p.Configs()) != 2 {
		t.Fatal("a refused replace changed the devices")
	}
	if err := p.ReplaceConfigs([]DeviceConfig{{Address: "192.0.2.2", Version: "2c", Community: "new"}}); err != nil {
		t.Fatal(err)
	}
	if got := p.Configs(); len(got) != 1 || got[0].Community != "new" {
		t.Errorf("after replace: %+v", got)
	}
	if err := ValidateConfigs([]DeviceConfig{{Address: "192.0.2.9", Version: "2c", Community: "a"}, {Address: "192.0.2.9", Version: "2c", Community: "b"}}); err == nil {
		t.Error("a device twice accepted")
	}
}
