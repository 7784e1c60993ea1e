package recipients

import (
	"encoding/json"
	"sync"

	"flowgate/alerts"
)

// Event is one queued notification as an endpoint sees it: the de-duplication
// id, the ntopng 4.2 notification JSON (docs/script-contract.md §5.4) and, decoded on demand,
// its fields. Lua's ntop.recipient_enqueue puts arbitrary JSON in queues,
// so decoding may fail: formats then fall back to the raw text.
type Event struct {
	Seq  uint64 // position in the recipient's queue
	ID   string // unique across restarts: receivers de-duplicate on it
	JSON []byte // the notification document

	once sync.Once
	doc  *Doc
}

// Doc is the decoded notification: the host/interface/network fields and,
// for flow alerts, the flow2alertJson fields.
type Doc struct {
	IfID        int    `json:"ifid"`
	Action      string `json:"action"`
	Type        int    `json:"alert_type"`
	Subtype     string `json:"alert_subtype"`
	Severity    int    `json:"alert_severity"`
	Entity      int    `json:"alert_entity"`
	EntityVal   string `json:"alert_entity_val"`
	Granularity int    `json:"alert_granularity"`
	Tstamp      int64  `json:"alert_tstamp"`
	TstampEnd   int64  `json:"alert_tstamp_end"`
	PoolID      int    `json:"pool_id"`
	AlertJSON   string `json:"alert_json"`

	IsFlow     bool   `json:"is_flow_alert"`
	FirstSeen  int64  `json:"first_seen"`
	Score      int    `json:"score"`
	FlowStatus int    `json:"flow_status"`
	VLAN       int    `json:"vlan_id"`
	Proto      int    `json:"proto"`
	ProtoNDPI  string `json:"proto.ndpi"`
	CliAddr    string `json:"cli_addr"`
	CliPort    int    `json:"cli_port"`
	SrvAddr    string `json:"srv_addr"`
	SrvPort    int    `json:"srv_port"`
	CliCountry string `json:"cli_country"`
	SrvCountry string `json:"srv_country"`
	C2SBytes   uint64 `json:"cli2srv_bytes"`
	S2CBytes   uint64 `json:"srv2cli_bytes"`
	C2SPkts    uint64 `json:"cli2srv_packets"`
	S2CPkts    uint64 `json:"srv2cli_packets"`
}

// Doc decodes the notification once; nil when it is not a notification
// object.
func (e *Event) Doc() *Doc {
	e.once.Do(func() {
		var d Doc
		if json.Unmarshal(e.JSON, &d) == nil {
			e.doc = &d
		}
	})
	return e.doc
}

// SetDoc presets the decoded form (the in-process path knows the alert and
// need not parse its own JSON back).
func (e *Event) SetDoc(d *Doc) { e.once.Do(func() { e.doc = d }) }

// docFromAlert is the decoded form of alerts.Notification.JSON() without
// the round trip through JSON.
func docFromAlert(a *alerts.Alert) *Doc {
	d := &Doc{IfID: a.IfID, Action: string(a.Action), Type: a.Type, Subtype: a.Subtype,
		Severity: int(a.Severity), Entity: int(a.Entity), EntityVal: a.EntityVal,
		Granularity: a.Granularity, Tstamp: a.Tstamp, TstampEnd: a.TstampEnd, PoolID: a.PoolID,
		AlertJSON: a.JSON}
	if f := a.Flow; f != nil {
		d.IsFlow = true
		d.Entity = int(alerts.EntityFlow)
		d.EntityVal = "flow"
		d.TstampEnd = 0
		d.FirstSeen, d.Score, d.FlowStatus, d.VLAN, d.Proto = f.FirstSeen, f.Score, f.Status, f.VLAN, f.Proto
		d.ProtoNDPI = f.ProtoNDPI
		d.CliAddr, d.CliPort, d.CliCountry = f.Cli.Addr, f.Cli.Port, f.Cli.Country
		d.SrvAddr, d.SrvPort, d.SrvCountry = f.Srv.Addr, f.Srv.Port, f.Srv.Country
		d.C2SBytes, d.S2CBytes, d.C2SPkts, d.S2CPkts = f.Cli2SrvBytes, f.Srv2CliBytes, f.Cli2SrvPkts, f.Srv2CliPkts
	}
	return d
}

// Time is the alert's time: the end of an engaged/released alert, else its
// start (ntopng formats alert_tstamp_end or alert_tstamp).
func (d *Doc) Time() int64 {
	if d.TstampEnd != 0 {
		return d.TstampEnd
	}
	return d.Tstamp
}

// TypeKey is "alert_threshold_cross", or "alert_<id>" for unknown ids.
func (d *Doc) TypeKey() string {
	t, _ := alerts.TypeByID(d.Type)
	return t.Key
}

// TypeTitle is "Threshold Cross".
func (d *Doc) TypeTitle() string {
	t, _ := alerts.TypeByID(d.Type)
	return t.Title
}
