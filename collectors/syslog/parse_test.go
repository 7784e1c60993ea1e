package syslog

import (
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, line           string
		pri                  int
		device, app, content string
		raw, fortinet        bool
	}{
		{"rfc3164 tag pid", "<13>Nov 22 00:30:00 host1 suricata[123]: {\"a\":1}\n", 13, "host1", "suricata", `{"a":1}`, false, false},
		{"rfc3164 tag", "<14>Nov 22 00:30:00 host1 sshd: Accepted password", 14, "host1", "sshd", "Accepted password", false, false},
		{"rfc5424", "<165>1 2026-11-22T00:30:00.123Z fw01 myapp 42 ID7 - hello world", 165, "fw01", "myapp", "hello world", false, false},
		{"rfc5424 sd", `<165>1 2026-11-22T00:30:00Z fw01 myapp - - [ex@1 a="b"] msg here`, 165, "fw01", "myapp", "msg here", false, false},
		{"iso timestamp 3164", "<30>2026-11-22T00:30:00+01:00 host2 nginx[9]: GET /", 30, "host2", "nginx", "GET /", false, false},
		{"rfc3339 fraction", "<156>2026-11-22T00:44:13.123456+00:00 myhost fgrelay: relayed 00", 156, "myhost", "fgrelay", "relayed 00", false, false},
		{"rfc3339 fraction pid", "<156>2026-11-22T00:44:13.5Z myhost fgrelay[12]: relayed", 156, "myhost", "fgrelay", "relayed", false, false},
		{"no priority", "Nov 22 00:30:00 host3 cron[1]: job", 0, "host3", "cron", "job", false, false},
		{"fortinet", `<189>date=2026-11-22 time=00:30:00 devname="FG100" devid=FGT logid="0000000013" type=traffic`, 189, "FG100", "", `date=2026-11-22 time=00:30:00 devname="FG100" devid=FGT logid="0000000013" type=traffic`, false, true},
		{"fortinet logver", `<189>logver=700 timestamp=1 devname=FG2 logid=0100 type=event`, 189, "FG2", "", `logver=700 timestamp=1 devname=FG2 logid=0100 type=event`, false, true},
		{"garbage", "\x00\x01\xff\xfe binary", 0, "", "", "\x00\x01\xff\xfe binary", true, false},
		{"empty", "", 0, "", "", "", true, false},
	}
	p := newParser()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := p.parse([]byte(c.line))
			if got.raw != c.raw || got.fortinet != c.fortinet {
				t.Fatalf("raw=%v fortinet=%v, want %v %v (%+v)", got.raw, got.fortinet, c.raw, c.fortinet, got)
			}
			if max(got.priority, 0) != c.pri || got.device != c.device || got.app != c.app || got.content != c.content {
				t.Fatalf("got pri=%d device=%q app=%q content=%q; want %d %q %q %q", got.priority, got.device, got.app, got.content, c.pri, c.device, c.app, c.content)
			}
		})
	}
}
