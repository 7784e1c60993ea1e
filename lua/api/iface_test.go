package api

import (
	"net/netip"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/engine"
)

// isoEpoch's direct reader agrees with the time.Parse layouts it stands in
// for, and leaves what it does not know to them.
func TestIsoEpoch(t *testing.T) {
	ref := func(s string) uint32 {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil {
				return uint32(t.Unix())
			}
		}
		return 0
	}
	for _, s := range []string{
		"2020-11-02T10:00:00.123456+0100", "2020-11-02T10:00:00.123456-0130", "2020-11-02T10:00:00+0000",
		"2020-11-02T10:00:00Z", "2020-11-02T10:00:00.5Z", "2020-11-02T10:00:00.123456789+01:00",
		"2020-11-02T10:00:00", "2020-11-02T10:00:00.25", "2024-02-29T23:59:59+0000", "2023-02-29T00:00:00+0000",
		"2100-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2020-04-31T00:00:00Z", "2020-13-01T00:00:00Z",
		"2020-11-02T24:00:00Z", "2020-11-02T10:60:00Z", "2020-11-02T10:00:60Z", "2020-11-02T10:00:00+2400",
		"2020-11-02T10:00:00+0060", "2020-11-02T10:00:00.1234567890Z", "2020-11-02T10:00:00.Z",
		"2020-11-02t10:00:00Z", "2020-11-02T10:00:00z", "2020-11-02 10:00:00", "2020-11-02T10:00:00+01",
		"2020-11-02T10:00:00,5Z", "1969-12-31T23:59:59Z", "x020-11-02T10:00:00Z", "", "garbage",
	} {
		if got, want := isoEpoch(s), ref(s); got != want {
			t.Errorf("isoEpoch(%q) = %d, time.Parse gives %d", s, got, want)
		}
	}
	// Suricata's own shape takes the direct path.
	if e, ok := isoEpochFast("2020-11-02T10:00:00.123456+0100"); !ok || e != 1604307600 {
		t.Errorf("isoEpochFast = %d, %v", e, ok)
	}
}

// Keys match exactly or case-insensitively (SRC_IP, In_Bytes), unknown
// ones become additional fields with their values as text.
func TestFillRecordKeys(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(`rec = {SRC_IP="10.0.0.1", dst_ip="10.0.0.2", L4_SRC_PORT="1234", dst_port=80,
		Protocol="udp", In_Bytes=100, FIRST_SWITCHED_ISO8601="2020-11-02T10:00:00.000000+0000",
		SURICATA_FLOW_ID=1234567890123, ratio=0.5, flag=true, note="n"}`); err != nil {
		t.Fatal(err)
	}
	var r engine.FlowRecord
	if err := fillRecord(&r, L.GetGlobal("rec").(*lua.LTable)); err != nil {
		t.Fatal(err)
	}
	if r.SrcIP != netip.MustParseAddr("10.0.0.1") || r.DstIP != netip.MustParseAddr("10.0.0.2") || r.SrcPort != 1234 ||
		r.DstPort != 80 || r.Proto != 17 || r.InBytes != 100 || r.FirstSwitched != 1604311200 || r.IPVersion != 4 {
		t.Errorf("record %+v", r)
	}
	want := map[string]string{"SURICATA_FLOW_ID": "1234567890123", "ratio": "0.5", "flag": "true", "note": "n"}
	if len(r.Additional) != len(want) {
		t.Errorf("additional %+v", r.Additional)
	}
	for _, f := range r.Additional {
		if want[f.Key] != f.Value {
			t.Errorf("additional %s = %q, want %q", f.Key, f.Value, want[f.Key])
		}
	}
	if err := L.DoString(`rec = {src_ip="10.0.0.1", dst_ip="nope"}`); err != nil {
		t.Fatal(err)
	}
	if err := fillRecord(&engine.FlowRecord{}, L.GetGlobal("rec").(*lua.LTable)); err == nil || err.Error() != `bad address "nope"` {
		t.Errorf("bad address: %v", err)
	}
}
