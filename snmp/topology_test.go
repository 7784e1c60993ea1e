package snmp

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"flowgate/snmp/snmptest"
)

// The rows snmptest/testdata/topology.tsv serves, as the walks must read them.
var (
	wantLLDP = []LLDPNeighbor{
		{LocalPort: 1, LocalPortID: "Gi0/1", LocalPortDescr: "uplink", IfIndex: 1, RemoteChassisID: "00:aa:bb:cc:dd:ee",
			RemotePortID: "Ethernet1", RemotePortDescr: "to core", RemoteSysName: "core-sw1"},
		{LocalPort: 2, LocalPortID: "Gi0/2", LocalPortDescr: "access port", IfIndex: 2, RemoteChassisID: "access-7",
			RemotePortID: "02:00:00:00:00:01", RemoteSysName: "ap-7"},
	}
	wantBridge = []BridgeEntry{
		{MAC: "00:11:22:33:44:55", BridgePort: 2, IfIndex: 2, Status: 3},
		{MAC: "0A:0B:0C:0D:0E:0F", BridgePort: 1, IfIndex: 1, Status: 4},
	}
)

func TestTopologyWalk(t *testing.T) {
	a := snmptest.StartAgent(t, snmptest.PassLines(t, snmptest.TopologyRows(t), snmptest.LLDPSubtree, snmptest.BridgeSubtree)...)
	for _, tc := range []struct {
		name   string
		ver    string
		maxRep uint32
	}{
		{"v2c", "2c", 25},
		{"v2c one row per request", "2c", 1},
		{"v1", "1", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Long timeout: the pass script forks per varbind, slow on a loaded machine.
			p := New(Configuration{Interval: time.Hour, Timeout: 10 * time.Second, MaxRepetitions: tc.maxRep}, Deps{})
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: a.Port, Version: tc.ver, Community: "public"})
			if err != nil {
				t.Fatal(err)
			}
			// Interface names come from the last poll.
			if err := p.PollNow(d.Key()); err != nil {
				t.Fatal(err)
			}
			ifs, _ := p.Interfaces(d.Key())
			names := map[uint32]string{}
			for _, i := range ifs {
				names[i.Index] = i.Name
				if i.Name == "" {
					names[i.Index] = i.Descr
				}
			}
			if names[1] == "" || names[2] == "" {
				t.Fatalf("agent has no ifIndex 1 and 2: %+v", ifs)
			}
			wantLLDP := append([]LLDPNeighbor(nil), wantLLDP...)
			for k := range wantLLDP {
				wantLLDP[k].IfName = names[wantLLDP[k].IfIndex]
			}
			wantBridge := append([]BridgeEntry(nil), wantBridge...)
			for k := range wantBridge {
				wantBridge[k].IfName = names[wantBridge[k].IfIndex]
			}
			lldp, err := p.LLDP(d.Key())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(lldp, wantLLDP) {
				t.Fatalf("lldp\n got %+v\nwant %+v", lldp, wantLLDP)
			}
			br, err := p.Bridge(d.Key())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(br, wantBridge) {
				t.Fatalf("bridge\n got %+v\nwant %+v", br, wantBridge)
			}
			if c := p.Counters(); c.TopologyWalks != 2 || c.TopologyErrors != 0 || c.BadValues != 0 {
				t.Fatalf("counters %+v", c)
			}
		})
	}
}

func TestTopologyWalkErrors(t *testing.T) {
	p := New(Configuration{Interval: time.Hour, Timeout: 200 * time.Millisecond, Retries: -1}, Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if _, err := p.LLDP("nope"); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("unknown device: %v", err)
	}
	// A stopped agent (SIGSTOP) never answers: the walks time out; a port
	// nobody listens on is refused.
	paused := snmptest.StartAgent(t)
	paused.Pause()
	defer paused.Resume()
	want := 0
	for _, port := range []int{paused.Port, snmptest.FreeUDPPort(t)} {
		d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: port, Version: "2c", Community: "public"})
		if err != nil {
			t.Fatal(err)
		}
		for _, walk := range []func(string) error{
			func(k string) error { _, err := p.LLDP(k); return err },
			func(k string) error { _, err := p.Bridge(k); return err },
		} {
			if err := walk(d.Key()); !errors.Is(err, ErrTopologyWalk) {
				t.Fatalf("silent agent on %d: %v", port, err)
			}
			want++
		}
	}
	if c := p.Counters(); c.TopologyWalks != uint64(want) || c.TopologyErrors != uint64(want) {
		t.Fatalf("counters %+v", c)
	}
}

func TestTopologyRowBound(t *testing.T) {
	a := snmptest.StartAgent(t, snmptest.PassLines(t, snmptest.TopologyRows(t), snmptest.LLDPSubtree, snmptest.BridgeSubtree)...)
	p := New(Configuration{Interval: time.Hour, Timeout: 10 * time.Second, MaxTableRows: 1}, Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: a.Port, Version: "2c", Community: "public"})
	if err != nil {
		t.Fatal(err)
	}
	lldp, err := p.LLDP(d.Key())
	if err != nil {
		t.Fatal(err)
	}
	br, err := p.Bridge(d.Key())
	if err != nil {
		t.Fatal(err)
	}
	// The first row of each table is kept; bridge port 2 is past the
	// one-row port map, so its MAC has no ifIndex.
	if len(lldp) != 1 || lldp[0].RemoteSysName != "core-sw1" || len(br) != 1 || br[0].MAC != "00:11:22:33:44:55" || br[0].IfIndex != 0 {
		t.Fatalf("lldp %+v bridge %+v", lldp, br)
	}
	if c := p.Counters(); c.TopologyWalks != 2 || c.TopologyTruncated != 2 || c.TopologyErrors != 0 {
		t.Fatalf("counters %+v", c)
	}
}
