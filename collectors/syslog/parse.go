package syslog

import (
	"bytes"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// parsed is one message after parsing: what routing needs and what the
// handler gets.
type parsed struct {
	priority int // -1 when the line had no <PRI>
	device   string
	app      string
	content  string
	time     time.Time
	fortinet bool // Fortinet key=value line (docs/script-contract.md §2.5: "date=" after <PRI>)
	raw      bool // no parser accepted the line: content is the whole line
}

// parser holds one goroutine's go-syslog machines (they are not meant to be
// shared: each carries a mutex and per-parse state).
type parser struct {
	p5424 gosyslog.Machine
	p3164 gosyslog.Machine
	buf   []byte // "<13>"+line for lines without a priority
}

func newParser() *parser {
	return &parser{
		p5424: rfc5424.NewParser(rfc5424.WithBestEffort()),
		// RFC 3339 timestamps: devices that send ISO dates in the 3164 slot.
		p3164: rfc3164.NewParser(rfc3164.WithBestEffort(), rfc3164.WithRFC3339(), rfc3164.WithSecondFractions(), rfc3164.WithYear(rfc3164.CurrentYear{})),
	}
}

// trimLine drops the trailing newline, CR and NUL bytes senders append.
func trimLine(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', 0:
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

// readPRI returns the priority of a "<N>" prefix and the bytes after it,
// or -1 and the line unchanged when there is none (or it is out of range).
func readPRI(b []byte) (int, []byte) {
	if len(b) < 3 || b[0] != '<' {
		return -1, b
	}
	n := 0
	for i := 1; i < len(b) && i <= 4; i++ {
		c := b[i]
		if c == '>' {
			if i == 1 || n > 191 {
				return -1, b
			}
			return n, b[i+1:]
		}
		if c < '0' || c > '9' {
			return -1, b
		}
		n = n*10 + int(c-'0')
	}
	return -1, b
}

// parse reads one line. It never fails: a line no parser accepts comes
// back raw (content = the line), for the `*` producer or the malformed
// counter to decide.
func (p *parser) parse(line []byte) parsed {
	line = trimLine(line)
	pri, rest := readPRI(line)
	out := parsed{priority: pri}
	if pri >= 0 && isFortinet(rest) {
		// FortiGate/FortiAnalyzer: <PRI>date=... time=... devname=... — no
		// header at all, the whole rest is the key=value record.
		out.fortinet = true
		out.content = string(rest)
		out.device = fortinetValue(rest, "devname")
		return out
	}
	if pri >= 0 && len(rest) > 2 && rest[0] >= '1' && rest[0] <= '9' && rest[1] == ' ' {
		if m, _ := p.p5424.Parse(line); m != nil {
			if sm, ok := m.(*rfc5424.SyslogMessage); ok && sm.Priority != nil {
				fill(&out, &sm.Base)
				return out
			}
		}
	}
	in := line
	var fracTime time.Time
	if pri >= 0 {
		// RFC 3339 stamps with fractions (rsyslog's RSYSLOG_ForwardFormat,
		// many appliances) are refused by the 3164 machine: parse the
		// stamp here and hand it the stamp without the fraction.
		if stripped, ts, ok := stripFraction(rest); ok {
			p.buf = append(append(p.buf[:0], line[:len(line)-len(rest)]...), stripped...)
			in, fracTime = p.buf, ts
		}
	}
	if pri < 0 {
		// 3164 without <PRI> (some appliances and `logger --no-act` style
		// relays): parse it with a neutral one; the handler still gets 0.
		p.buf = append(append(p.buf[:0], "<13>"...), line...)
		in = p.buf
	}
	if m, _ := p.p3164.Parse(in); m != nil {
		if sm, ok := m.(*rfc3164.SyslogMessage); ok && sm.Priority != nil && (sm.Message != nil || sm.Appname != nil) {
			fill(&out, &sm.Base)
			if !fracTime.IsZero() {
				out.time = fracTime
			}
			return out
		}
	}
	out.raw = true
	out.content = string(line)
	return out
}

func fill(out *parsed, b *gosyslog.Base) {
	if b.Hostname != nil {
		out.device = *b.Hostname
	}
	if b.Appname != nil {
		out.app = *b.Appname
	}
	if b.Message != nil {
		out.content = *b.Message
	}
	if b.Timestamp != nil {
		out.time = *b.Timestamp
	}
}

var (
	fortiDate  = []byte("date=")
	fortiLogID = []byte("logid=")
	fortiDev   = []byte("devname=")
)

// isFortinet: FortiOS lines start with date= (older) or carry devname= and
// logid= in the first fields (newer, logver=/eventtime= first).
func isFortinet(b []byte) bool {
	if bytes.HasPrefix(b, fortiDate) {
		return true
	}
	head := b
	if len(head) > 256 {
		head = head[:256]
	}
	return bytes.Contains(head, fortiLogID) && bytes.Contains(head, fortiDev)
}

// fortinetValue returns the value of key=value or key="value" in a
// Fortinet record ("" when absent).
func fortinetValue(b []byte, key string) string {
	for i := 0; i < len(b); {
		j := bytes.Index(b[i:], []byte(key+"="))
		if j < 0 {
			return ""
		}
		j += i
		if j > 0 && b[j-1] != ' ' {
			i = j + 1
			continue
		}
		v := b[j+len(key)+1:]
		if len(v) > 0 && v[0] == '"' {
			v = v[1:]
			if k := bytes.IndexByte(v, '"'); k >= 0 {
				return string(v[:k])
			}
			return string(v)
		}
		if k := bytes.IndexByte(v, ' '); k >= 0 {
			v = v[:k]
		}
		return string(v)
	}
	return ""
}

// stripFraction recognizes "YYYY-MM-DDTHH:MM:SS.fff<zone> rest" and returns
// the line without ".fff" and the full-precision time.
func stripFraction(b []byte) ([]byte, time.Time, bool) {
	if len(b) < 21 || b[4] != '-' || b[10] != 'T' || b[19] != '.' {
		return nil, time.Time{}, false
	}
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		sp = len(b)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(b[:sp]))
	if err != nil {
		return nil, time.Time{}, false
	}
	j := 20
	for j < sp && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	out := make([]byte, 0, len(b))
	out = append(append(out, b[:19]...), b[j:]...)
	return out, ts, true
}
