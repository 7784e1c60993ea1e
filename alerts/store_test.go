package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

func hostAlert(ip string, typ int, subtype string, sev Severity, gran int, ts int64) Alert {
	return Alert{IfID: 0, Type: typ, Subtype: subtype, Severity: sev, Entity: EntityHost,
		EntityVal: ip + "@0", Granularity: gran, Tstamp: ts, JSON: `{}`}
}

type recorder struct {
	mu sync.Mutex
	ns []Notification
}

func (r *recorder) add(n Notification) { r.mu.Lock(); r.ns = append(r.ns, n); r.mu.Unlock() }

func (r *recorder) actions() []Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Action
	for _, n := range r.ns {
		out = append(out, n.Alert.Action)
	}
	return out
}

func TestEngageRefreshRelease(t *testing.T) {
	s := NewStore(Config{})
	rec := &recorder{}
	s.Subscribe(rec.add)

	a := hostAlert("10.0.0.1", 49, "bytes", SeverityError, 60, 1000)
	if !s.Trigger(a) {
		t.Fatal("first trigger: want a new engagement")
	}
	a.Tstamp = 1060
	a.JSON = `{"value":2}`
	if s.Trigger(a) {
		t.Fatal("re-trigger: want a refresh, not a new engagement")
	}
	eng := s.Engaged(0, EntityHost, "10.0.0.1@0")
	if len(eng) != 1 {
		t.Fatalf("engaged: got %d alerts, want 1", len(eng))
	}
	if eng[0].Tstamp != 1000 || eng[0].TstampEnd != 1060 || eng[0].JSON != `{"value":2}` {
		t.Errorf("refresh: tstamp %d..%d json %s, want 1000..1060 and the new JSON", eng[0].Tstamp, eng[0].TstampEnd, eng[0].JSON)
	}
	// Another subtype or granularity is another engaged alert.
	b := hostAlert("10.0.0.1", 49, "packets", SeverityError, 60, 1000)
	c := hostAlert("10.0.0.1", 49, "bytes", SeverityError, 300, 1000)
	if !s.Trigger(b) || !s.Trigger(c) {
		t.Fatal("different subtype/granularity must engage separately")
	}
	if got := len(s.Engaged(0, EntityHost, "10.0.0.1@0")); got != 3 {
		t.Fatalf("engaged: got %d, want 3", got)
	}
	// Release ignores severity: the key decides.
	r := a
	r.Severity = SeverityWarning
	r.Tstamp, r.TstampEnd = 0, 1120
	if !s.Release(r) {
		t.Fatal("release of an engaged alert returned false")
	}
	if s.Release(r) {
		t.Fatal("second release returned true")
	}
	hist, n := s.List(Query{Status: StatusHistorical})
	if n != 1 || hist[0].Action != ActionRelease || hist[0].TstampEnd != 1120 || hist[0].Duration() != 120 {
		t.Fatalf("history after release: %+v (total %d)", hist, n)
	}
	want := []Action{ActionEngage, ActionEngage, ActionEngage, ActionRelease}
	if got := rec.actions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notifications: got %v, want %v", got, want)
	}
	c2 := s.Counters()
	if c2.Engaged != 2 || c2.Triggered != 3 || c2.Released != 1 || c2.Stored != 0 {
		t.Errorf("counters: %+v", c2)
	}
}

func TestStoreEvent(t *testing.T) {
	s := NewStore(Config{})
	rec := &recorder{}
	s.Subscribe(rec.add)
	a := hostAlert("10.0.0.2", 59, "", SeverityWarning, 0, 500)
	a.TstampEnd = 999 // ignored: an event has no duration
	s.StoreEvent(a)
	s.StoreEvent(a) // events do not deduplicate
	rows, n := s.List(Query{})
	if n != 2 || rows[0].Action != ActionStore || rows[0].TstampEnd != 500 {
		t.Fatalf("stored events: %+v", rows)
	}
	if len(s.Engaged(0, EntityHost, "10.0.0.2@0")) != 0 {
		t.Error("a stored event must not be engaged")
	}
	if got := s.Counters().Stored; got != 2 {
		t.Errorf("stored counter %d, want 2", got)
	}
	if len(rec.actions()) != 2 {
		t.Errorf("notifications: %v", rec.actions())
	}
}

func TestReleaseStale(t *testing.T) {
	s := NewStore(Config{})
	rec := &recorder{}
	s.Subscribe(rec.add)
	s.Trigger(hostAlert("10.0.0.1", 49, "bytes", SeverityError, 60, 1000))
	s.Trigger(hostAlert("10.0.0.2", 49, "bytes", SeverityError, 60, 1000))
	s.Trigger(hostAlert("10.0.0.3", 49, "bytes", SeverityError, 300, 1000))
	other := hostAlert("10.0.0.4", 49, "bytes", SeverityError, 60, 1000)
	other.IfID = 1
	s.Trigger(other)
	// The next minute run re-confirms only 10.0.0.1.
	s.Trigger(hostAlert("10.0.0.1", 49, "bytes", SeverityError, 60, 1060))
	s.ReleaseStale(0, 60, func(a Alert) bool { return a.TstampEnd >= 1060 })

	for _, tc := range []struct {
		ifid    int
		ip      string
		engaged bool
	}{
		{0, "10.0.0.1", true},  // re-confirmed
		{0, "10.0.0.2", false}, // stale: released
		{0, "10.0.0.3", true},  // other granularity
		{1, "10.0.0.4", true},  // other interface
	} {
		got := len(s.Engaged(tc.ifid, EntityHost, tc.ip+"@0")) == 1
		if got != tc.engaged {
			t.Errorf("%s: engaged %v, want %v", tc.ip, got, tc.engaged)
		}
	}
	if c := s.Counters(); c.Released != 1 || c.Engaged != 3 {
		t.Errorf("counters %+v", c)
	}
}

func TestHistoryBound(t *testing.T) {
	s := NewStore(Config{HistorySize: 3})
	for i := 1; i <= 5; i++ {
		s.StoreEvent(hostAlert(fmt.Sprint("10.0.0.", i), 59, "", SeverityInfo, 0, int64(i)))
	}
	rows, n := s.List(Query{SortBy: "tstamp", Asc: true})
	if n != 3 {
		t.Fatalf("history holds %d, want 3", n)
	}
	if rows[0].Tstamp != 3 || rows[2].Tstamp != 5 {
		t.Errorf("oldest must be dropped first: got tstamps %d..%d", rows[0].Tstamp, rows[2].Tstamp)
	}
	if d := s.Counters().Dropped; d != 2 {
		t.Errorf("dropped %d, want 2", d)
	}
}

func TestListFilters(t *testing.T) {
	s := NewStore(Config{})
	s.Trigger(hostAlert("10.0.0.1", 49, "bytes", SeverityError, 60, 100)) // engaged
	s.Trigger(hostAlert("10.0.0.2", 46, "", SeverityWarning, 60, 200))    // engaged
	s.StoreEvent(hostAlert("10.0.0.3", 59, "", SeverityNotice, 0, 300))   // historical
	ifa := Alert{IfID: 1, Type: 49, Subtype: "throughput", Severity: SeverityCritical,
		Entity: EntityInterface, EntityVal: "1", Granularity: 60, Tstamp: 400}
	s.Trigger(ifa)
	ifa.TstampEnd = 460
	s.Release(ifa) // historical, 400..460

	ids := func(rows []Alert) string {
		var b bytes.Buffer
		for _, r := range rows {
			fmt.Fprintf(&b, "%d,", r.Tstamp)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name  string
		q     Query
		want  string
		total int
	}{
		{"all newest first", Query{}, "400,300,200,100,", 4},
		{"ifid 0", Query{IfID: Ptr(0)}, "300,200,100,", 3},
		{"interface entity", Query{Entity: Ptr(EntityInterface)}, "400,", 1},
		{"entity value", Query{EntityVal: "10.0.0.2@0"}, "200,", 1},
		{"severity >= warning", Query{MinSeverity: SeverityWarning}, "400,200,100,", 3},
		{"type", Query{Type: Ptr(49)}, "400,100,", 2},
		{"subtype", Query{Subtype: "bytes"}, "100,", 1},
		{"engaged", Query{Status: StatusEngaged}, "200,100,", 2},
		{"historical", Query{Status: StatusHistorical}, "400,300,", 2},
		{"time range overlaps", Query{From: 250, To: 420}, "400,300,", 2},
		{"range ending before release end", Query{From: 450, To: 500}, "400,", 1},
		{"oldest first", Query{Asc: true}, "100,200,300,400,", 4},
		{"by severity", Query{SortBy: "severity"}, "400,100,200,300,", 4},
		{"page 2 of 2", Query{Offset: 2, Limit: 2}, "200,100,", 4},
		{"offset past end", Query{Offset: 10, Limit: 2}, "", 4},
	} {
		rows, total := s.List(tc.q)
		if got := ids(rows); got != tc.want || total != tc.total {
			t.Errorf("%s: got %s (total %d), want %s (total %d)", tc.name, got, total, tc.want, tc.total)
		}
	}
}

func TestNotificationJSON(t *testing.T) {
	for _, tc := range []struct {
		file  string
		alert Alert
	}{
		{"notification_host_engage.json", Alert{IfID: 0, Action: ActionEngage, Type: 49, Subtype: "bytes",
			Severity: SeverityError, Entity: EntityHost, EntityVal: "192.168.1.10@0", Granularity: 60,
			Tstamp: 1604300000, TstampEnd: 1604300000,
			JSON: `{"metric":"bytes","value":1234567,"operator":"gt","threshold":1000000,"alert_generation":{"script_key":"bytes","subdir":"host","confset_id":0}}`}},
		{"notification_flow_store.json", Alert{IfID: 2, Action: ActionStore, Type: 8, Severity: SeverityError,
			Entity: EntityFlow, EntityVal: "flow", Tstamp: 1604300000, JSON: `{"info":"example.com","status_info":"{}"}`,
			Flow: &FlowInfo{Status: 1, Score: 100, FirstSeen: 1604299990, Proto: 6, ProtoNDPI: "TLS.Google",
				L7Master: 91, L7Proto: 126, Cli2SrvBytes: 1000, Cli2SrvPkts: 10, Srv2CliBytes: 2000, Srv2CliPkts: 12,
				Cli: FlowPeer{Addr: "10.0.0.1", Port: 40000, Localhost: true},
				Srv: FlowPeer{Addr: "8.8.8.8", Port: 443, Blacklisted: true, Country: "US", ASN: 15169}}}},
	} {
		want, err := os.ReadFile("testdata/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got := Notification{Alert: tc.alert}.JSON()
		if !bytes.Equal(got, bytes.TrimSpace(want)) {
			t.Errorf("%s:\n got %s\nwant %s", tc.file, got, want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: invalid JSON", tc.file)
		}
	}
}

func TestAppendStringEscapes(t *testing.T) {
	for _, in := range []string{"plain", `q"b\s`, "tab\tnl\n\x01", "é😀", "<a href='/x'>&</a>", "bad\xffutf8"} {
		got := AppendString(nil, in)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q: %s is not valid JSON: %v", in, got, err)
			continue
		}
		if want := string([]rune(in)); back != want && in != "bad\xffutf8" {
			t.Errorf("%q: round trip gave %q", in, back)
		}
	}
	if got := string(AppendString(nil, "<a>/")); got != `"<a>/"` {
		t.Errorf("HTML and slash must stay as they are: %s", got)
	}
}

func TestConsts(t *testing.T) {
	for _, tc := range []struct {
		sev    Severity
		name   string
		syslog int
	}{{SeverityDebug, "debug", 7}, {SeverityInfo, "info", 6}, {SeverityNotice, "notice", 5}, {SeverityWarning, "warning", 4},
		{SeverityError, "error", 3}, {SeverityCritical, "critical", 2}, {SeverityAlert, "alert", 1}, {SeverityEmergency, "emergency", 0}} {
		if tc.sev.String() != tc.name || tc.sev.Syslog() != tc.syslog {
			t.Errorf("severity %d: %s/%d, want %s/%d", tc.sev, tc.sev, tc.sev.Syslog(), tc.name, tc.syslog)
		}
		if s, ok := ParseSeverity(tc.name); !ok || s != tc.sev {
			t.Errorf("ParseSeverity(%s) = %d", tc.name, s)
		}
	}
	for id, want := range map[int]Severity{0: SeverityInfo, 1: SeverityWarning, 2: SeverityError} {
		if got, ok := SeverityFrom40(id); !ok || got != want {
			t.Errorf("4.0 severity %d -> %v, want %v", id, got, want)
		}
	}
	if _, ok := SeverityFrom40(3); ok {
		t.Error("4.0 had no severity 3")
	}
	for key, id := range map[string]int{"alert_threshold_cross": 49, "alert_blacklisted_country": 1, "tcp_syn_flood": 46,
		"alert_list_download_succeeded": 69, "alert_user_01": 32768, "alert_user_05": 32772} {
		if ti, ok := TypeByKey(key); !ok || ti.ID != id {
			t.Errorf("TypeByKey(%s) = %+v", key, ti)
		}
	}
	if ti, ok := TypeByID(49); !ok || ti.Title != "Threshold Cross" {
		t.Errorf("TypeByID(49) = %+v", ti)
	}
	if _, ok := TypeByID(70); ok {
		t.Error("70 is not a 4.2 key")
	}
	if e, ok := ParseEntity("snmp_device"); !ok || e != EntitySNMPDevice {
		t.Error("ParseEntity(snmp_device)")
	}
	if id, sec, ok := GranularityByName("5mins"); !ok || id != Gran5Mins || sec != 300 {
		t.Errorf("5mins: %d %d", id, sec)
	}
	if id, ok := GranularityFromSeconds(3600); !ok || id != GranHour {
		t.Error("3600 s is hour")
	}
}

func TestConcurrent(t *testing.T) {
	s := NewStore(Config{HistorySize: 50})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				a := hostAlert(fmt.Sprint("10.", g, ".0.", i%20), 49, "bytes", SeverityError, 60, int64(i))
				a.IfID = g
				s.Trigger(a)
				if i%3 == 0 {
					s.Release(a)
				}
				s.StoreEvent(a)
			}
			s.ReleaseStale(g, 60, func(Alert) bool { return false })
		}(g)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				s.List(Query{Limit: 10})
				s.Counters()
			}
		}()
	}
	wg.Wait()
	if c := s.Counters(); c.Engaged != 0 || c.Triggered != c.Released {
		t.Errorf("after stale release everything is released: %+v", c)
	}
}

func TestDefaultClock(t *testing.T) {
	fixed := time.Unix(1700000000, 0)
	s := NewStore(Config{Now: func() time.Time { return fixed }})
	s.StoreEvent(Alert{Type: 49, Severity: SeverityError, Entity: EntityInterface, EntityVal: "0"})
	rows, _ := s.List(Query{})
	if rows[0].Tstamp != fixed.Unix() {
		t.Errorf("an alert without a time takes the store clock: %d", rows[0].Tstamp)
	}
}

func BenchmarkTriggerRefresh(b *testing.B) {
	s := NewStore(Config{})
	a := hostAlert("10.0.0.1", 49, "bytes", SeverityError, 60, 1)
	for i := 0; i < b.N; i++ {
		a.Tstamp = int64(i + 1)
		s.Trigger(a)
	}
}

func BenchmarkNotificationJSON(b *testing.B) {
	n := Notification{Alert: hostAlert("192.168.1.10", 49, "bytes", SeverityError, 60, 1604300000)}
	n.Alert.JSON = `{"metric":"bytes","value":1234567,"operator":"gt","threshold":1000000}`
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = n.AppendJSON(buf[:0])
	}
}
