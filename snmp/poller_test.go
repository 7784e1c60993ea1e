package snmp

import (
	"net"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

func TestPollAgent(t *testing.T) {
	a := startAgent(t, "")
	for _, tc := range []struct {
		name string
		dev  DeviceConfig
	}{
		{"v2c", DeviceConfig{Address: "127.0.0.1", Port: a.Port, Version: "2c", Community: "public"}},
		{"v1", DeviceConfig{Address: "127.0.0.1", Port: a.Port, Version: "1", Community: "public"}},
		{"v3authPriv", DeviceConfig{Address: "127.0.0.1", Port: a.Port, Version: "3", User: testV3User,
			AuthProtocol: "SHA", AuthPassword: testV3Auth, PrivProtocol: "AES", PrivPassword: testV3Priv}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Configuration{DataDir: t.TempDir(), Interval: time.Hour, Timeout: time.Second}, Deps{})
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			d, err := p.AddDevice(tc.dev)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.PollNow(d.Key()); err != nil {
				t.Fatal(err)
			}
			st, _ := p.Device(d.Key())
			if !st.Reachable || st.System.Name != "fg-test-agent" || st.System.Location != "lab" || st.System.UpTime == 0 {
				t.Fatalf("status %+v", st)
			}
			ifs, _ := p.Interfaces(d.Key())
			var lo *Interface
			for i := range ifs {
				if ifs[i].Descr == "lo" {
					lo = &ifs[i]
				}
			}
			if lo == nil {
				t.Fatalf("no lo among %d interfaces: %+v", len(ifs), ifs)
			}
			if lo.OperStatus != 1 || lo.AdminStatus != 1 || lo.Type != 24 {
				t.Fatalf("lo %+v", lo)
			}
			if tc.name != "v1" && (lo.Name != "lo" || !lo.HC) {
				t.Fatalf("lo from ifXTable %+v", lo)
			}
			if err := p.PollNow(d.Key()); err != nil {
				t.Fatal(err)
			}
			if pts, _ := p.Series(d.Key(), lo.Index, time.Time{}); len(pts) < 2 {
				t.Fatalf("series %+v", pts)
			}
			if st, _ := p.Device(d.Key()); st.BadValues != 0 {
				t.Fatalf("bad values %d", st.BadValues)
			}
		})
	}
}

func TestUnreachableAndRecovery(t *testing.T) {
	a := startAgent(t, "")
	store := alerts.NewStore(alerts.Config{})
	// Not started: only PollNow polls, so the counts are exact. Without
	// retries, the timeout must outlast any scheduling delay of a loaded
	// machine: the first poll has to succeed.
	p := New(Configuration{Interval: time.Hour, Timeout: 2 * time.Second, Retries: -1}, Deps{Alerts: store})
	d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: "public"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PollNow(d.Key()); err != nil {
		t.Fatal(err)
	}
	a.pause(t)
	if err := p.PollNow(d.Key()); err == nil {
		t.Fatal("paused agent answered")
	}
	st, _ := p.Device(d.Key())
	if st.Reachable || st.LastError == "" {
		t.Fatalf("status %+v", st)
	}
	eng := store.Engaged(-1, alerts.EntitySNMPDevice, d.Key())
	if len(eng) != 1 || eng[0].Type != alertUnresponsiveDevice {
		t.Fatalf("engaged %+v", eng)
	}
	if c := p.Counters(); c.Unreachable != 1 || c.PollErrors != 1 {
		t.Fatalf("counters %+v", c)
	}
	a.resume(t)
	testwait.For(t, "recovery", func() bool { return p.PollNow(d.Key()) == nil })
	if eng := store.Engaged(-1, alerts.EntitySNMPDevice, d.Key()); len(eng) != 0 {
		t.Fatalf("still engaged %+v", eng)
	}
	if st, _ := p.Device(d.Key()); !st.Reachable {
		t.Fatalf("status %+v", st)
	}
}

func TestDevicesPersisted(t *testing.T) {
	dir := t.TempDir()
	p := New(Configuration{DataDir: dir, Interval: time.Hour}, Deps{})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddDevice(DeviceConfig{Address: "127.0.0.2", Version: "v3", User: "u", AuthProtocol: "sha",
		AuthPassword: "12345678", PrivProtocol: "aes", PrivPassword: "abcdefgh", Interval: 300}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddDevice(DeviceConfig{Address: "127.0.0.3", Version: "9"}); err == nil {
		t.Fatal("bad version accepted")
	}
	p.Stop()
	q := New(Configuration{DataDir: dir, Interval: time.Hour}, Deps{})
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer q.Stop()
	c, ok := q.deviceConfig("127.0.0.2")
	if !ok || c.AuthProtocol != "SHA" || c.PrivPassword != "abcdefgh" || c.Interval != 300 {
		t.Fatalf("reloaded %+v", c)
	}
	if st := q.Devices(); len(st) != 1 || st[0].Config.PrivPassword != "******" {
		t.Fatalf("devices %+v", st)
	}
	if err := q.RemoveDevice("127.0.0.2"); err != nil || len(q.Devices()) != 0 {
		t.Fatal("not removed", err)
	}
}

func TestParseDevice(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DeviceConfig
		bad  bool
	}{
		{in: "snmp://public@10.0.0.1", want: DeviceConfig{Address: "10.0.0.1", Port: 161, Version: "2c", Community: "public"}},
		{in: "snmp://c@10.0.0.1:1161?version=1&interval=30", want: DeviceConfig{Address: "10.0.0.1", Port: 1161, Version: "1", Community: "c", Interval: 30}},
		{in: "snmp://u@h?version=3&auth=SHA:12345678&priv=AES:abcdefgh", want: DeviceConfig{Address: "h", Port: 161, Version: "3",
			User: "u", AuthProtocol: "SHA", AuthPassword: "12345678", PrivProtocol: "AES", PrivPassword: "abcdefgh"}},
		{in: "snmp://u@h?version=3&priv=AES:abcdefgh", bad: true},
		{in: "http://x", bad: true},
		{in: "snmp://c@h?version=4", bad: true},
	} {
		got, err := ParseDevice(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("%s: %+v %v", tc.in, got, err)
		}
	}
}

func TestRatesWrapAndReset(t *testing.T) {
	p := New(Configuration{Interval: 10 * time.Second}, Deps{})
	d := p.newDevice(DeviceConfig{Address: "x"})
	t0 := time.Unix(1_700_000_000, 0)
	step := func(up uint64, at time.Time, i Interface) (*Interface, bool) {
		r := &pollResult{sys: System{UpTime: up}, ifaces: map[uint32]*Interface{1: &i}}
		reboot := p.apply(d, r, at)
		return d.ifaces[1], reboot
	}
	base := Interface{Index: 1, Speed: 1_000_000_000}
	i := base
	i.InOctets, i.OutOctets = 4294967000, 100
	step(1000, t0, i)
	// 32-bit wrap: 4294967000 → 1000 over 10 s is 1296 bytes.
	i.InOctets, i.OutOctets = 1000, 1100
	got, reboot := step(2000, t0.Add(10*time.Second), i)
	if reboot || got.InBps != 1296*8/10.0 || got.OutBps != 800 {
		t.Fatalf("wrap: %+v", got)
	}
	// Reboot: sysUpTime back, no rate.
	i.InOctets, i.OutOctets = 10, 10
	got, reboot = step(500, t0.Add(20*time.Second), i)
	if !reboot || got.InBps != 0 || got.OutBps != 0 {
		t.Fatalf("reboot: %+v %v", got, reboot)
	}
	// 64-bit counters going back are a reset, not a wrap.
	h := base
	h.HC, h.InOctets = true, 1<<40
	step(1500, t0.Add(30*time.Second), h)
	h.InOctets = 5
	got, _ = step(2500, t0.Add(40*time.Second), h)
	if got.InBps != 0 {
		t.Fatalf("hc reset: %+v", got)
	}
	// A "wrap" implying more than the link speed is a reset.
	s := base
	s.Speed = 1000
	s.InOctets = 4000000000
	step(3500, t0.Add(50*time.Second), s)
	s.InOctets = 5
	got, _ = step(4500, t0.Add(60*time.Second), s)
	if got.InBps != 0 {
		t.Fatalf("implausible: %+v", got)
	}
}

func TestSeriesRing(t *testing.T) {
	var s series
	for i := 1; i <= 5; i++ {
		s.add(Point{T: int64(i)}, 3)
	}
	pts := s.since(0)
	if len(pts) != 3 || pts[0].T != 3 || pts[2].T != 5 {
		t.Fatalf("%+v", pts)
	}
	if pts := s.since(4); len(pts) != 1 || pts[0].T != 5 {
		t.Fatalf("%+v", pts)
	}
}

// Values of the wrong type are counted and skipped; the poll succeeds.
func TestPollWrongTypes(t *testing.T) {
	a := startAgent(t, "override .1.3.6.1.2.1.2.2.1.8.1 octet_str \"up\"\noverride .1.3.6.1.2.1.2.2.1.2.1 integer 5")
	p := New(Configuration{Interval: time.Hour, Timeout: time.Second}, Deps{})
	d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: a.Port, Community: "public"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PollNow(d.Key()); err != nil {
		t.Fatal(err)
	}
	st, _ := p.Device(d.Key())
	if st.BadValues != 2 || !st.Reachable || p.Counters().BadValues != 2 {
		t.Fatalf("status %+v", st)
	}
}

// A fake agent answering garbage or truncated BER: polls fail with an
// error, counted, and nothing panics.
func TestPollGarbageReplies(t *testing.T) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	replies := [][]byte{[]byte("garbage"), {0x30, 0x82, 0xff}, {0x30, 0x05, 0x02, 0x01, 0x01, 0x04, 0x10},
		{0x30, 0x0c, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa2}}
	go func() {
		buf := make([]byte, 2048)
		for i := 0; ; i++ {
			_, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDP(replies[i%len(replies)], from)
		}
	}()
	p := New(Configuration{Interval: time.Hour, Timeout: 200 * time.Millisecond, Retries: -1}, Deps{})
	d, err := p.AddDevice(DeviceConfig{Address: "127.0.0.1", Port: c.LocalAddr().(*net.UDPAddr).Port, Community: "public"})
	if err != nil {
		t.Fatal(err)
	}
	for range replies {
		if err := p.PollNow(d.Key()); err == nil {
			t.Fatal("garbage accepted")
		}
	}
	if c := p.Counters(); c.PollErrors != uint64(len(replies)) || c.Unreachable != 1 {
		t.Fatalf("counters %+v", c)
	}
}
