package recipients

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts"
)

// formatCtx is what formats need beyond the event.
type formatCtx struct {
	Hostname string
	App      string // syslog APP-NAME and CEF device product
	Version  string
	Loc      *time.Location
	IfName   func(ifid int) string
	Instance string // the JSON format's "instance" (omitted when empty)
}

// formatter appends one event in a format to b.
type formatter func(b []byte, e *Event, c *formatCtx) []byte

var formatters = map[string]formatter{
	"text":    appendText,
	"json":    appendJSON,
	"cef":     appendCEF,
	"ecs":     appendECS,
	"rfc5424": appendText, // the text message; the endpoint adds RFC 5424 structured data
}

func (c *formatCtx) ifName(ifid int) string {
	if c.IfName != nil {
		if n := c.IfName(ifid); n != "" {
			return n
		}
	}
	if ifid == -1 {
		return "system"
	}
	return "if" + strconv.Itoa(ifid)
}

// appendText writes ntopng's plaintext notification (docs/script-contract.md §5.6, syslog
// flavour: severity and entity shown, HTML-free):
// [dd/mm/YYYY HH:MM:SS]  [eth0] [Error] [Threshold Cross][Host][192.168.1.10] [Engaged] message
func appendText(b []byte, e *Event, c *formatCtx) []byte {
	d := e.Doc()
	if d == nil {
		return append(b, e.JSON...)
	}
	return appendPlain(b, d, c, true)
}

func appendPlain(b []byte, d *Doc, c *formatCtx, full bool) []byte {
	b = append(b, '[')
	b = time.Unix(d.Time(), 0).In(c.Loc).AppendFormat(b, "02/01/2006 15:04:05")
	b = append(b, "] "...)
	if d.IfID != -1 {
		b = append(b, " ["...)
		b = append(b, c.ifName(d.IfID)...)
		b = append(b, ']')
	}
	if full {
		b = append(b, " ["...)
		b = append(b, alerts.Severity(d.Severity).Title()...)
		b = append(b, ']')
	}
	b = append(b, " ["...)
	b = append(b, d.TypeTitle()...)
	b = append(b, ']')
	if full {
		b = append(b, '[')
		b = append(b, entityLabel(d.Entity)...)
		b = append(b, "]["...)
		b = append(b, entityShown(d)...)
		b = append(b, ']')
	}
	switch d.Action {
	case "engage":
		b = append(b, " [Engaged]"...)
	case "release":
		b = append(b, " [Released]"...)
	}
	b = append(b, ' ')
	return append(b, message(d)...)
}

func entityLabel(e int) string {
	words := strings.Split(alerts.EntityType(e).String(), "_")
	for i, w := range words {
		if w == "snmp" {
			words[i] = "SNMP"
		} else if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// entityShown is the entity value as ntopng shows it: hosts without "@0".
func entityShown(d *Doc) string {
	if d.Entity == int(alerts.EntityHost) {
		return strings.TrimSuffix(d.EntityVal, "@0")
	}
	return d.EntityVal
}

var granTitle = map[int]string{60: "Minute", 300: "5 Minute", 3600: "Hourly", 86400: "Daily"}
var opSign = map[string]string{"gt": ">", "lt": "<", "eq": "=", "ge": ">=", "le": "<="}

// message is the human description: ntopng's threshold wording, the flow
// summary of formatRawFlow, or the type title with its parameters.
func message(d *Doc) string {
	var params map[string]any
	_ = json.Unmarshal([]byte(d.AlertJSON), &params)
	if d.IsFlow {
		var sb strings.Builder
		info, _ := params["info"].(string)
		if info == "" {
			info = d.TypeTitle()
		}
		sb.WriteString(info)
		sb.WriteString(" [Flow: ")
		sb.WriteString(hostPort(d.CliAddr, d.CliPort))
		sb.WriteByte(' ')
		sb.WriteString(hostPort(d.SrvAddr, d.SrvPort))
		sb.WriteString("] [")
		sb.WriteString(l4Name(d.Proto))
		sb.WriteString("]")
		if d.ProtoNDPI != "" {
			sb.WriteString(" [Application: ")
			sb.WriteString(d.ProtoNDPI)
			sb.WriteString("]")
		}
		return sb.String()
	}
	if m, ok := params["metric"]; ok {
		if v, ok := params["value"]; ok {
			op := opSign[str(params["operator"])]
			if op == "" {
				op = str(params["operator"])
			}
			g := granTitle[d.Granularity]
			s := str(m) + " crossed by " + entityLabelLower(d.Entity) + " " + entityShown(d) +
				" [" + str(v) + " " + op + " " + str(params["threshold"]) + "]"
			if g != "" {
				s = g + " " + s
			}
			return s
		}
	}
	delete(params, "alert_generation")
	if len(params) == 0 {
		return d.TypeTitle()
	}
	p, _ := json.Marshal(params)
	return d.TypeTitle() + " " + string(p)
}

func entityLabelLower(e int) string { return strings.ToLower(entityLabel(e)) }

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	p, _ := json.Marshal(v)
	return string(p)
}

func hostPort(a string, p int) string {
	if strings.Contains(a, ":") {
		return "[" + a + "]:" + strconv.Itoa(p)
	}
	return a + ":" + strconv.Itoa(p)
}

func l4Name(p int) string {
	switch p {
	case 1:
		return "ICMP"
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 58:
		return "ICMPv6"
	case 132:
		return "SCTP"
	}
	return strconv.Itoa(p)
}

// appendJSON writes the 4.2 notification (syslog JSON: the object itself
// with "message" set) plus "event_id", the de-duplication id.
func appendJSON(b []byte, e *Event, c *formatCtx) []byte {
	raw := trimSpace(e.JSON)
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		b = append(b, `{"notification":`...)
		b = alerts.AppendString(b, string(raw))
		b = appendInstance(b, c)
		b = append(b, `,"event_id":`...)
		b = alerts.AppendString(b, e.ID)
		return append(b, '}')
	}
	b = append(b, raw[:len(raw)-1]...)
	if len(raw) > 2 {
		b = append(b, ',')
	}
	if d := e.Doc(); d != nil {
		b = append(b, `"message":`...)
		var m []byte
		m = appendPlain(m, d, c, false)
		b = alerts.AppendString(b, string(m))
		b = append(b, ',')
	}
	if c.Instance != "" {
		b = append(b, `"instance":`...)
		b = alerts.AppendString(b, c.Instance)
		b = append(b, ',')
	}
	b = append(b, `"event_id":`...)
	b = alerts.AppendString(b, e.ID)
	return append(b, '}')
}

// appendInstance appends `,"instance":"<name>"` when the instance is named.
func appendInstance(b []byte, c *formatCtx) []byte {
	if c.Instance == "" {
		return b
	}
	b = append(b, `,"instance":`...)
	return alerts.AppendString(b, c.Instance)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
