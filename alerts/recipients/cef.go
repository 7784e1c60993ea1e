package recipients

import (
	"net/netip"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// CEF (ArcSight Common Event Format, version 0), as ArcSight, QRadar and
// Sentinel ingest it:
//
//	CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|k=v k=v ...
//
// Header fields escape '|' and '\'; extension values escape '\', '=' and
// line breaks (as \n and \r). Severity is 0..10.

// cefSeverity maps the eight ntopng severities onto CEF's 0..10 scale:
// debug 0, info 1, notice 3, warning 5, error 7, critical 8, alert 9,
// emergency 10 (CEF: 0-3 low, 4-6 medium, 7-8 high, 9-10 very high).
var cefSeverity = [...]int{0, 0, 1, 3, 5, 7, 8, 9, 10}

// CEFSeverity is the CEF severity of an ntopng severity.
func CEFSeverity(s alerts.Severity) int {
	if !s.Valid() {
		return 0
	}
	return cefSeverity[s]
}

func appendCEFHeader(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '|', '\\':
			b = append(b, '\\', c)
		case '\r', '\n':
			b = append(b, ' ') // the header is one line; CEF has no escape for breaks there
		default:
			b = append(b, c)
		}
	}
	return append(b, '|')
}

func appendCEFExt(b []byte, key, val string) []byte {
	if val == "" {
		return b
	}
	if b[len(b)-1] != '|' {
		b = append(b, ' ')
	}
	b = append(b, key...)
	b = append(b, '=')
	for i := 0; i < len(val); i++ {
		switch c := val[i]; c {
		case '\\', '=':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendCEF(b []byte, e *Event, c *formatCtx) []byte {
	d := e.Doc()
	if d == nil {
		d = &Doc{AlertJSON: string(e.JSON), Entity: -1}
	}
	b = append(b, "CEF:0|"...)
	b = appendCEFHeader(b, "ntop")
	b = appendCEFHeader(b, c.App)
	b = appendCEFHeader(b, c.Version)
	b = appendCEFHeader(b, strconv.Itoa(d.Type))
	b = appendCEFHeader(b, d.TypeTitle())
	b = strconv.AppendInt(b, int64(CEFSeverity(alerts.Severity(d.Severity))), 10)
	b = append(b, '|')
	b = appendCEFExt(b, "rt", strconv.FormatInt(d.Time()*1000, 10))
	if d.Tstamp != 0 {
		b = appendCEFExt(b, "start", strconv.FormatInt(d.Tstamp*1000, 10))
	}
	if d.IsFlow {
		b = appendCEFExt(b, "src", d.CliAddr)
		b = appendCEFExt(b, "spt", strconv.Itoa(d.CliPort))
		b = appendCEFExt(b, "dst", d.SrvAddr)
		b = appendCEFExt(b, "dpt", strconv.Itoa(d.SrvPort))
		b = appendCEFExt(b, "proto", l4Name(d.Proto))
		b = appendCEFExt(b, "app", d.ProtoNDPI)
		b = appendCEFExt(b, "out", strconv.FormatUint(d.C2SBytes, 10))
		b = appendCEFExt(b, "in", strconv.FormatUint(d.S2CBytes, 10))
	} else if d.Entity == int(alerts.EntityHost) {
		ip, _, _ := strings.Cut(d.EntityVal, "@")
		if _, err := netip.ParseAddr(ip); err == nil {
			b = appendCEFExt(b, "src", ip)
		}
	}
	b = appendCEFExt(b, "act", d.Action)
	b = appendCEFExt(b, "cat", d.TypeKey())
	b = appendCEFExt(b, "externalId", e.ID)
	b = appendCEFExt(b, "dvchost", c.Hostname)
	if d.Entity >= 0 {
		b = appendCEFExt(b, "msg", message(d))
		b = appendCEFExt(b, "cs1Label", "entity")
		b = appendCEFExt(b, "cs1", alerts.EntityType(d.Entity).String())
		b = appendCEFExt(b, "cs2Label", "entityValue")
		b = appendCEFExt(b, "cs2", d.EntityVal)
		b = appendCEFExt(b, "cn1Label", "ifid")
		b = appendCEFExt(b, "cn1", strconv.Itoa(d.IfID))
	}
	if d.Subtype != "" {
		b = appendCEFExt(b, "cs3Label", "subtype")
		b = appendCEFExt(b, "cs3", d.Subtype)
	}
	b = appendCEFExt(b, "cs4Label", "alertJson")
	b = appendCEFExt(b, "cs4", d.AlertJSON)
	if d.IsFlow {
		b = appendCEFExt(b, "cn2Label", "score")
		b = appendCEFExt(b, "cn2", strconv.Itoa(d.Score))
	}
	return b
}
