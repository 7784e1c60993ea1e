package wire

import (
	"net/netip"
	"reflect"
	"testing"

	"flowgate/engine"
)

func TestDecodeEvent(t *testing.T) {
	body := []byte(`{"bytes":1000,"packets":10,"packet_drops":2,
		"iface":{"name":"eth1","speed":10000,"ip":"10.0.0.1"},"mode":"collector",
		"probe":{"public_ip":"203.0.113.1","ip":"10.0.0.2","version":"10.6","osname":"Linux","license":"lic",
		         "edition":"Pro","maintenance":"2025-01-01","uuid":"u-1","uuid_num":99},
		"time":1729766400,"avg":{"bps":8000,"pps":12},
		"timeout":{"lifetime":120,"idle":30,"collected_lifetime":60},
		"drops":{"export_queue_full":1,"too_many_flows":2,"elk_flow_drops":3,"sflow_pkt_sample_drops":4,
		         "flow_collection_drops":5,"flow_collection_udp_socket_drops":6},
		"flow_collection":{"nf_ipfix_flows":7,"collection_port":2055,"sflow_samples":8,
		   "exporters":{"192.0.2.9":{"time_last_flow":1729766399,"num_sflow_flows":1,"num_netflow_ipfix_flows":2,"num_drops":3,"unique_source_id":4},
		                "192.0.2.1":{"time_last_flow":5}}},
		"zmq":{"num_flow_exports":11,"num_zmq_exporters":1}}`)
	e, err := DecodeEvent(body, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := engine.ProbeEvent{SourceID: 7, Bytes: 1000, Packets: 10, PacketDrops: 2, IfName: "eth1", IfIP: "10.0.0.1", IfSpeed: 10000,
		Mode: "collector", PublicIP: "203.0.113.1", ProbeIP: "10.0.0.2", Version: "10.6", OSName: "Linux", License: "lic",
		Edition: "Pro", Maintenance: "2025-01-01", UUID: "u-1", UniqueSourceID: 99, Time: 1729766400, AvgBps: 8000, AvgPps: 12,
		TimeoutLifetime: 120, TimeoutIdle: 30, TimeoutCollectedLifetime: 60,
		DropsExportQueueFull: 1, DropsTooManyFlows: 2, DropsELK: 3, DropsSFlowSamples: 4, DropsFlowCollection: 5, DropsUDPSocket: 6,
		NFIPFIXFlows: 7, CollectionPort: 2055, SFlowSamples: 8, NumFlowExports: 11, NumZMQExporters: 1,
		Exporters: []engine.ExporterStats{{IP: "192.0.2.1", TimeLastFlow: 5},
			{IP: "192.0.2.9", TimeLastFlow: 1729766399, NumSFlowFlows: 1, NumNetFlowIPFIXFlows: 2, NumDrops: 3, UniqueSourceID: 4}}}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("\n got %+v\nwant %+v", e, want)
	}
	// 5.2.1 names.
	e, err = DecodeEvent([]byte(`{"zmq":{"num_exporters":3},"probe":{"unique_source_id":5}}`), 0)
	if err != nil || e.NumZMQExporters != 3 || e.UniqueSourceID != 5 {
		t.Errorf("fallbacks: %+v %v", e, err)
	}
	for _, bad := range []struct{ body, reason string }{{`[1]`, ReasonJSONType}, {`{"a":`, ReasonJSONSyntax}, {``, ReasonJSONSyntax}, {`{} {}`, ReasonJSONSyntax}} {
		if _, err := DecodeEvent([]byte(bad.body), 0); Reason(err) != bad.reason {
			t.Errorf("%q: %v, want %s", bad.body, err, bad.reason)
		}
	}
}

func TestDecodeJSONCounter(t *testing.T) {
	want := engine.CounterRecord{DeviceIP: netip.MustParseAddr("1.2.3.4"), SamplesGenerated: 3, IfIndex: 7, IfName: "ge-0/0/1",
		IfType: 6, IfSpeed: 1000000000, FullDuplex: true, AdminUp: true, OperUp: true, InOctets: 1, InPkts: 2, InErrors: 3,
		OutOctets: 4, OutPkts: 5, OutErrors: 6, Promisc: true}
	for _, body := range []string{
		// HEAD: integer device IP, integer promisc.
		`{"deviceIP":16909060,"samplesGenerated":3,"ifIndex":7,"ifName":"ge-0/0/1","ifType":6,"ifSpeed":1000000000,
		  "ifDirection":"Full","ifAdminStatus":"Up","ifOperStatus":"Up","ifInOctets":1,"ifInPackets":2,"ifInErrors":3,
		  "ifOutOctets":4,"ifOutPackets":5,"ifOutErrors":6,"ifPromiscuousMode":1,"CONTAINER":{"ID":"x"}}`,
		// 5.2.1: dotted device IP, string promisc; numeric keys.
		`{"0":"1.2.3.4","1":3,"2":7,"3":"ge-0/0/1","4":6,"5":1000000000,"6":"Full","7":"Up","8":"Up",
		  "9":1,"10":2,"11":3,"12":4,"13":5,"14":6,"ifPromiscuousMode":"1"}`,
	} {
		c, err := DecodeJSONCounter([]byte(body))
		if err != nil || !reflect.DeepEqual(c, want) {
			t.Errorf("%v\n got %+v\nwant %+v", err, c, want)
		}
	}
	if _, err := DecodeJSONCounter([]byte(`[]`)); Reason(err) != ReasonJSONType {
		t.Errorf("array: %v", err)
	}
}

func TestDecodeListeningPorts(t *testing.T) {
	lp, err := DecodeListeningPorts([]byte(`{"instance-name":"edr1","listening-ports":{
		"udp4":[{"port":53,"proc":"named","pkg":"bind9"}],"tcp4":[{"port":22,"proc":"sshd","pkg":"openssh"}],
		"tcp6":[{"port":443}]},"ip-addresses":["10.0.0.5","bogus","::1"]}`))
	want := engine.ListeningPorts{InstanceName: "edr1",
		Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("::1")},
		Ports: []engine.ListeningPort{{Proto: "tcp4", Port: 22, Process: "sshd", Package: "openssh"},
			{Proto: "udp4", Port: 53, Process: "named", Package: "bind9"}, {Proto: "tcp6", Port: 443}}}
	if err != nil || !reflect.DeepEqual(lp, want) {
		t.Errorf("%v\n got %+v\nwant %+v", err, lp, want)
	}
}

func TestDecodeSNMPIfaces(t *testing.T) {
	m, err := DecodeSNMPIfaces([]byte(`{"192.0.2.1":{"1":{"name":"eth0"},"2":{"name":"eth1"},"x":{"name":"skip"}},"192.0.2.2":{}}`))
	want := map[string]map[uint32]string{"192.0.2.1": {1: "eth0", 2: "eth1"}, "192.0.2.2": {}}
	if err != nil || !reflect.DeepEqual(m, want) {
		t.Errorf("%v %+v", err, m)
	}
	if _, err := DecodeSNMPIfaces([]byte(`{"192.0.2.1":5}`)); Reason(err) != ReasonJSONType {
		t.Errorf("non-object: %v", err)
	}
}

func TestDecodeOption(t *testing.T) {
	o, err := DecodeOption([]byte(`{"PEN":8741,"field":22,"value":1,"map":{"name":"Skype"}}`))
	if err != nil || o != (Option{PEN: 8741, Field: 22, Value: "1", Map: `{"name":"Skype"}`}) {
		t.Errorf("%v %+v", err, o)
	}
	if _, err := DecodeOption([]byte(`"x"`)); Reason(err) != ReasonJSONType {
		t.Errorf("string: %v", err)
	}
}

func TestReason(t *testing.T) {
	if Reason(nil) != "" || Reason(errorf(ReasonZlib, "x")) != ReasonZlib {
		t.Error("Reason")
	}
	if Reason(errString("plain")) != "other" {
		t.Error("foreign error")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
