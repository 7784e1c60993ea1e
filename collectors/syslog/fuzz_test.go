package syslog

import (
	"bytes"
	"io"
	"testing"
)

// FuzzParse: any line parses without panicking, and a non-raw result
// carries what routing needs.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"<13>Nov 22 00:30:00 host app[1]: msg",
		"<165>1 2026-11-22T00:30:00.123Z fw01 myapp 42 ID7 [ex@1 a=\"b\"] hello",
		"<189>date=2026-11-22 time=00:30:00 devname=\"FG\" logid=\"1\"",
		"<30>2026-11-22T00:30:00.5+01:00 host2 nginx: GET /",
		"no priority at all",
		"<999>bad",
		"<13>",
		"\xff\xfe\x00",
	} {
		f.Add([]byte(s))
	}
	p := newParser()
	f.Fuzz(func(t *testing.T, line []byte) {
		out := p.parse(line)
		if out.raw && out.content != string(trimLine(line)) {
			t.Fatalf("raw content %q for %q", out.content, line)
		}
		if out.priority > 191 {
			t.Fatalf("priority %d", out.priority)
		}
	})
}

// FuzzFramer: any stream splits without panicking, messages are never
// longer than the maximum and the framer always makes progress.
func FuzzFramer(f *testing.F) {
	for _, s := range []string{
		"<13>a\n5 hello<13>b\n",
		"99999 x",
		"12",
		"\n\n\r\x00",
		"3 ab",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		fr := newFramer(bytes.NewReader(stream), 64)
		for i := 0; i <= len(stream)+1; i++ {
			m, err := fr.next()
			if err != nil {
				return
			}
			if len(m) > 64 {
				t.Fatalf("message of %d bytes", len(m))
			}
		}
		if _, err := fr.next(); err != io.EOF && err != io.ErrUnexpectedEOF {
			t.Fatalf("no end after %d bytes: %v", len(stream), err)
		}
	})
}
