package recipients

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts"
)

// ECSVersion is the Elastic Common Schema version the documents declare.
const ECSVersion = "8.11.0"

// The ECS document: nested objects, as Elasticsearch's ECS templates map
// them. Only fields with a value are written.
type ecsDoc struct {
	Timestamp   string       `json:"@timestamp"`
	ECS         ecsVersion   `json:"ecs"`
	Message     string       `json:"message,omitempty"`
	Event       ecsEvent     `json:"event"`
	Rule        ecsRule      `json:"rule"`
	Log         *ecsLog      `json:"log,omitempty"`
	Observer    ecsObserver  `json:"observer"`
	Source      *ecsEndpoint `json:"source,omitempty"`
	Destination *ecsEndpoint `json:"destination,omitempty"`
	Host        *ecsHost     `json:"host,omitempty"`
	Network     *ecsNetwork  `json:"network,omitempty"`
	Labels      ecsLabels    `json:"labels"`
}

type ecsVersion struct {
	Version string `json:"version"`
}

type ecsEvent struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Category []string `json:"category"`
	Type     []string `json:"type"`
	Action   string   `json:"action,omitempty"`
	Code     string   `json:"code"`
	Severity int      `json:"severity"`
	Risk     int      `json:"risk_score,omitempty"`
	Start    string   `json:"start,omitempty"`
	End      string   `json:"end,omitempty"`
	Created  string   `json:"created"`
	Module   string   `json:"module"`
	Dataset  string   `json:"dataset"`
	Provider string   `json:"provider"`
	Original string   `json:"original,omitempty"`
}

type ecsRule struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category,omitempty"`
	Ruleset  string `json:"ruleset"`
}

type ecsLog struct {
	Level string `json:"level"`
}

type ecsObserver struct {
	Vendor   string `json:"vendor"`
	Product  string `json:"product"`
	Version  string `json:"version,omitempty"`
	Type     string `json:"type"`
	Hostname string `json:"hostname,omitempty"`
	Name     string `json:"name,omitempty"` // ECS observer.name: the instance (--instance-name)
}

type ecsEndpoint struct {
	IP      string  `json:"ip,omitempty"`
	Port    int     `json:"port,omitempty"`
	Bytes   uint64  `json:"bytes,omitempty"`
	Packets uint64  `json:"packets,omitempty"`
	Geo     *ecsGeo `json:"geo,omitempty"`
}

type ecsGeo struct {
	CountryISOCode string `json:"country_iso_code"`
}

type ecsHost struct {
	IP []string `json:"ip"`
}

type ecsNetwork struct {
	Transport string `json:"transport,omitempty"`
	IANA      string `json:"iana_number,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	VLAN      *struct {
		ID string `json:"id"`
	} `json:"vlan,omitempty"`
}

type ecsLabels struct {
	EntityType  string `json:"alert_entity"`
	EntityValue string `json:"alert_entity_val"`
	IfID        int    `json:"ifid"`
	Subtype     string `json:"alert_subtype,omitempty"`
	Granularity int    `json:"alert_granularity,omitempty"`
	PoolID      int    `json:"pool_id"`
}

// ecsCategory: flow alerts are network events; security scripts' findings
// carry "intrusion_detection" only when we know it, which the notification
// does not say, so every alert is "network" and hosts add "host".
func ecsCategory(d *Doc) []string {
	if d.Entity == int(alerts.EntityHost) {
		return []string{"network", "host"}
	}
	return []string{"network"}
}

func ecsType(d *Doc) []string {
	switch d.Action {
	case "engage":
		return []string{"start", "indicator"}
	case "release":
		return []string{"end", "indicator"}
	}
	return []string{"info", "indicator"}
}

func rfc3339(sec int64) string {
	if sec == 0 {
		return ""
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

func appendECS(b []byte, e *Event, c *formatCtx) []byte {
	d := e.Doc()
	if d == nil {
		d = &Doc{AlertJSON: string(e.JSON), Entity: -1}
	}
	doc := ecsDoc{
		Timestamp: rfc3339(d.Time()),
		ECS:       ecsVersion{ECSVersion},
		Event: ecsEvent{ID: e.ID, Kind: "alert", Category: ecsCategory(d), Type: ecsType(d),
			Action: d.Action, Code: d.TypeKey(), Severity: d.Severity,
			Created: time.Now().UTC().Format(time.RFC3339Nano), Module: "flowgate",
			Dataset: "flowgate.alerts", Provider: c.App},
		Rule:     ecsRule{ID: itoa(d.Type), Name: d.TypeTitle(), Category: d.Subtype, Ruleset: "ntopng"},
		Observer: ecsObserver{Vendor: "ntop", Product: c.App, Version: c.Version, Type: "ids", Hostname: c.Hostname, Name: c.Instance},
		Labels: ecsLabels{EntityType: alerts.EntityType(d.Entity).String(), EntityValue: d.EntityVal,
			IfID: d.IfID, Subtype: d.Subtype, Granularity: d.Granularity, PoolID: d.PoolID},
	}
	if doc.Timestamp == "" {
		doc.Timestamp = doc.Event.Created
	}
	if d.Entity >= 0 {
		doc.Message = message(d)
		doc.Event.Original = d.AlertJSON
		doc.Log = &ecsLog{Level: alerts.Severity(d.Severity).String()}
	}
	switch d.Action {
	case "engage":
		doc.Event.Start = rfc3339(d.Tstamp)
	case "release":
		doc.Event.Start, doc.Event.End = rfc3339(d.Tstamp), rfc3339(d.TstampEnd)
	default:
		doc.Event.Start = rfc3339(d.Tstamp)
	}
	if d.IsFlow {
		doc.Event.Risk = d.Score
		doc.Source = &ecsEndpoint{IP: d.CliAddr, Port: d.CliPort, Bytes: d.C2SBytes, Packets: d.C2SPkts}
		doc.Destination = &ecsEndpoint{IP: d.SrvAddr, Port: d.SrvPort, Bytes: d.S2CBytes, Packets: d.S2CPkts}
		if d.CliCountry != "" {
			doc.Source.Geo = &ecsGeo{d.CliCountry}
		}
		if d.SrvCountry != "" {
			doc.Destination.Geo = &ecsGeo{d.SrvCountry}
		}
		n := &ecsNetwork{Transport: strings.ToLower(l4Name(d.Proto)), IANA: itoa(d.Proto)}
		if d.ProtoNDPI != "" {
			n.Protocol = strings.ToLower(d.ProtoNDPI)
		}
		if d.VLAN != 0 {
			n.VLAN = &struct {
				ID string `json:"id"`
			}{itoa(d.VLAN)}
		}
		doc.Network = n
	} else if d.Entity == int(alerts.EntityHost) {
		ip, _, _ := strings.Cut(d.EntityVal, "@")
		if _, err := netip.ParseAddr(ip); err == nil {
			doc.Host = &ecsHost{IP: []string{ip}}
			doc.Source = &ecsEndpoint{IP: ip}
		}
	}
	out, err := json.Marshal(&doc)
	if err != nil { // cannot happen: plain strings and numbers
		return append(b, e.JSON...)
	}
	return append(b, out...)
}

func itoa(n int) string { return strconv.Itoa(n) }
