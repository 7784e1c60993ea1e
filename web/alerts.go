package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts"
)

// HandleAlerts registers the alert REST endpoints over store: the 4.2
// list (/get/alert/list/alerts.lua), the 5.x per-entity lists
// (/get/{host,interface,network,flow,system,...}/alert/list.lua) and the
// severity and type constants.
func (s *Server) HandleAlerts(store *alerts.Store) {
	s.mux.HandleFunc("/lua/rest/v2/get/alert/list/alerts.lua", s.alertList(store, nil))
	for _, e := range []alerts.EntityType{alerts.EntityHost, alerts.EntityInterface, alerts.EntityNetwork,
		alerts.EntityFlow, alerts.EntityMAC, alerts.EntityUser, alerts.EntitySNMPDevice, alerts.EntityAMHost} {
		e := e
		name := e.String()
		if e == alerts.EntitySNMPDevice {
			name = "snmp/device"
		}
		s.mux.HandleFunc("/lua/rest/v2/get/"+name+"/alert/list.lua", s.alertList(store, &e))
	}
	// "system" alerts are those of the system interface (ifid -1).
	sys := alerts.EntityInterface
	s.mux.HandleFunc("/lua/rest/v2/get/system/alert/list.lua", s.alertList(store, &sys))
	s.mux.HandleFunc("/lua/rest/v2/get/all/alert/list.lua", s.alertList(store, nil))
	s.mux.HandleFunc("/lua/rest/v2/get/alert/severity/consts.lua", getSeverityConsts)
	s.mux.HandleFunc("/lua/rest/v2/get/alert/type/consts.lua", getTypeConsts)
}

// alertListEnvelope is the list answer: ntopng 5.x puts the DataTables
// totals beside rc.
type alertListEnvelope struct {
	RC              int    `json:"rc"`
	RCStr           string `json:"rc_str"`
	RCStrHR         string `json:"rc_str_hr"`
	RecordsTotal    int    `json:"recordsTotal"`
	RecordsFiltered int    `json:"recordsFiltered"`
	Rsp             any    `json:"rsp"`
}

type valueLabel struct {
	Value any    `json:"value"`
	Label string `json:"label"`
}

// alertRecord is one row, shaped like ntopng 5.x's alert lists (values
// with labels) plus the raw 4.2 fields.
type alertRecord struct {
	RowID       string     `json:"row_id"`
	IfID        int        `json:"ifid"`
	Status      string     `json:"status"` // "engaged" or "historical"
	Acked       bool       `json:"acknowledged"`
	Action      string     `json:"action"`
	AlertID     valueLabel `json:"alert_id"`
	AlertName   string     `json:"alert_name"`
	Severity    valueLabel `json:"severity"`
	Family      string     `json:"family"`
	EntityID    int        `json:"entity_id"`
	EntityVal   string     `json:"entity_val"`
	Subtype     string     `json:"subtype"`
	Granularity int        `json:"granularity"`
	Tstamp      valueLabel `json:"tstamp"`
	TstampEnd   int64      `json:"tstamp_end"`
	Duration    int64      `json:"duration"`
	ScriptKey   string     `json:"script_key"`
	Count       int        `json:"count"`
	JSON        string     `json:"json"`
	Msg         alertMsg   `json:"msg"`
}

type alertMsg struct {
	Name        string `json:"name"`
	Fullname    string `json:"fullname"`
	Value       int    `json:"value"`
	Description string `json:"description"`
}

var alertSortColumns = map[string]string{
	"tstamp": "tstamp", "severity": "severity", "alert_id": "type", "type": "type",
	"duration": "duration", "entity_val": "entity_val", "id": "id",
}

func (s *Server) alertList(store *alerts.Store, entity *alerts.EntityType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		q := alerts.Query{Entity: entity}
		ifid, ok := s.alertIfID(w, p, r.URL.Path)
		if !ok {
			return
		}
		q.IfID = &ifid
		if err := alertFilters(p, &q); err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		pg, err := readPaging(p, "tstamp")
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		col, ok := alertSortColumns[pg.column]
		if !ok {
			writeError(w, 0, errInvalidArgs, "unknown sortColumn "+strconv.Quote(pg.column))
			return
		}
		q.SortBy, q.Asc = col, !pg.desc
		q.Offset, q.Limit = (pg.page-1)*pg.perPage, pg.perPage
		// DataTables' start/length, as the 5.x lists take them.
		if v := p["start"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeError(w, 0, errInvalidArgs, "bad start "+strconv.Quote(v))
				return
			}
			q.Offset = n
		}
		if v := p["length"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				writeError(w, 0, errInvalidArgs, "bad length "+strconv.Quote(v))
				return
			}
			q.Limit = n
		}
		rows, total := store.List(q)
		recs := make([]alertRecord, 0, len(rows))
		for i := range rows {
			recs = append(recs, newAlertRecord(&rows[i]))
		}
		writeJSON(w, http.StatusOK, alertListEnvelope{RC: 0, RCStr: "OK", RCStrHR: "Success",
			RecordsTotal: total, RecordsFiltered: total, Rsp: map[string]any{"records": recs}})
	}
}

// alertIfID reads ifid; -1 (the system interface) is always valid, other
// ids must be engine interfaces. System alert lists default to -1.
func (s *Server) alertIfID(w http.ResponseWriter, p params, path string) (int, bool) {
	if strings.Contains(path, "/get/system/") && p["ifid"] == "" {
		return -1, true
	}
	if p["ifid"] == "-1" {
		return -1, true
	}
	i, ok := s.iface(w, p)
	if !ok {
		return 0, false
	}
	return i.ID(), true
}

func alertFilters(p params, q *alerts.Query) error {
	switch st := p["status"]; st {
	case "":
	case "engaged":
		q.Status = alerts.StatusEngaged
	case "historical", "historical-flows":
		q.Status = alerts.StatusHistorical
		if st == "historical-flows" {
			q.Entity = alerts.Ptr(alerts.EntityFlow)
		}
	default:
		return fmt.Errorf("bad status %q, want engaged or historical", st)
	}
	var err error
	if q.From, err = epochParam(p, "epoch_begin"); err != nil {
		return err
	}
	if q.To, err = epochParam(p, "epoch_end"); err != nil {
		return err
	}
	if q.From != 0 && q.To != 0 && q.From > q.To {
		return fmt.Errorf("epoch_begin %d is after epoch_end %d", q.From, q.To)
	}
	if v := p["severity"]; v != "" {
		sev, ok := alerts.ParseSeverity(strings.SplitN(v, ";", 2)[0])
		if !ok {
			n, err := strconv.Atoi(strings.SplitN(v, ";", 2)[0])
			if err != nil || !alerts.Severity(n).Valid() {
				return fmt.Errorf("bad severity %q", v)
			}
			sev = alerts.Severity(n)
		}
		q.MinSeverity = sev
	}
	for _, k := range []string{"alert_id", "alert_type"} {
		v := strings.SplitN(p[k], ";", 2)[0]
		if v == "" {
			continue
		}
		if t, ok := alerts.TypeByKey(v); ok {
			q.Type = alerts.Ptr(t.ID)
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("bad %s %q", k, v)
		}
		q.Type = alerts.Ptr(n)
	}
	if v := p["subtype"]; v != "" {
		q.Subtype = strings.SplitN(v, ";", 2)[0]
	}
	if v := p["alert_family"]; v != "" && q.Entity == nil {
		e, ok := alerts.ParseEntity(v)
		if !ok {
			return fmt.Errorf("bad alert_family %q", v)
		}
		q.Entity = &e
	}
	if v := strings.SplitN(p["ip"], ";", 2)[0]; v != "" {
		if !strings.Contains(v, "@") {
			vlan := p["vlan_id"]
			if vlan == "" {
				vlan = "0"
			}
			v += "@" + vlan
		}
		q.EntityVal = v
	}
	if v := strings.SplitN(p["network_name"], ";", 2)[0]; v != "" {
		q.EntityVal = v
	}
	return nil
}

func epochParam(p params, k string) (int64, error) {
	v := p[k]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad %s %q", k, v)
	}
	return n, nil
}

func newAlertRecord(a *alerts.Alert) alertRecord {
	t, _ := alerts.TypeByID(a.Type)
	status := "historical"
	if a.Action == alerts.ActionEngage {
		status = "engaged"
	}
	return alertRecord{
		RowID:       strconv.FormatUint(a.ID, 10),
		IfID:        a.IfID,
		Status:      status,
		Acked:       a.Acknowledged,
		Action:      string(a.Action),
		AlertID:     valueLabel{a.Type, t.Title},
		AlertName:   t.Title,
		Severity:    valueLabel{int(a.Severity), a.Severity.Title()},
		Family:      a.Entity.String(),
		EntityID:    int(a.Entity),
		EntityVal:   a.EntityVal,
		Subtype:     a.Subtype,
		Granularity: a.Granularity,
		Tstamp:      valueLabel{a.Tstamp, time.Unix(a.Tstamp, 0).Format("02/01/2006 15:04:05")},
		TstampEnd:   a.TstampEnd,
		Duration:    a.Duration(),
		ScriptKey:   a.Script,
		Count:       1,
		JSON:        a.JSON,
		Msg:         alertMsg{Name: t.Title, Fullname: t.Title, Value: a.Type, Description: t.Title + " " + a.EntityVal},
	}
}

func getSeverityConsts(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Severity string `json:"severity"`
		ID       int    `json:"id"`
	}
	out := []entry{}
	for _, s := range alerts.Severities() {
		out = append(out, entry{s.String(), int(s)})
	}
	writeOK(w, out)
}

func getTypeConsts(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Key  int    `json:"key"`
		Type string `json:"type"`
	}
	out := []entry{}
	for _, t := range alerts.Types() {
		out = append(out, entry{t.ID, t.Key})
	}
	writeOK(w, out)
}
