package syslog

import (
	"net/netip"
	"testing"
)

var benchLines = map[string]string{
	"rfc3164": "<14>Nov 22 00:30:00 ids01 suricata[3121]: {\"timestamp\":\"2026-11-22T00:30:00.000100+0000\",\"event_type\":\"flow\"}",
	"rfc5424": "<165>1 2026-11-22T00:30:00.123Z fw01 myapp 42 ID7 - a message of typical length for a firewall log line",
	"iso3164": "<156>2026-11-22T00:44:13.123456+00:00 vm fgrelay: relayed message of typical length",
}

func BenchmarkParse(b *testing.B) {
	for name, line := range benchLines {
		b.Run(name, func(b *testing.B) {
			p := newParser()
			l := []byte(line)
			b.ReportAllocs()
			for b.Loop() {
				_ = p.parse(l)
			}
		})
	}
}

// BenchmarkHandle is the whole receive path after the socket: parse,
// route, deliver to a sink that counts.
func BenchmarkHandle(b *testing.B) {
	c := New(Configuration{}, countSink{})
	r := c.newReceiver()
	l := []byte(benchLines["rfc3164"])
	peer := netip.MustParseAddr("127.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		r.handle(l, peer)
	}
}
