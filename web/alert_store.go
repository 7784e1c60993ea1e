package web

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"flowgate/alerts"
	"flowgate/alerts/sqlitestore"
)

// HandleAlertStore registers the alert REST of ntopng 5 over the SQLite
// history db and the in-memory store st (engaged alerts): per family
// (host, flow, interface, network, mac, snmp/device, user, system,
// am_host) get/<family>/alert/list.lua with "value;op" filters,
// get/<family>/alert/ts.lua, acknowledge|delete/<family>/alerts.lua; the
// type and severity counters; and the 4.2 list and constants of
// HandleAlerts. It replaces HandleAlerts and HandleAlertOps when the
// appliance has a history file.
func (s *Server) HandleAlertStore(db *sqlitestore.DB, st *alerts.Store) {
	s.proAlertTop(db) // pro_rest.go
	s.mux.HandleFunc("/lua/rest/v2/get/alert/list/alerts.lua", s.alertList(st, nil))
	s.mux.HandleFunc("/lua/rest/v2/get/all/alert/list.lua", s.alertList(st, nil))
	s.mux.HandleFunc("/lua/rest/v2/get/alert/severity/consts.lua", getSeverityConsts)
	s.mux.HandleFunc("/lua/rest/v2/get/alert/type/consts.lua", getTypeConsts)
	s.mux.HandleFunc("/lua/rest/v2/get/alert/type/counters.lua", s.storeCounters(db, db.CountByType, "alert_id"))
	s.mux.HandleFunc("/lua/rest/v2/get/alert/severity/counters.lua", s.storeCounters(db, db.CountBySeverity, "severity"))
	s.mux.HandleFunc("/lua/rest/v2/get/all/alert/ts.lua", s.storeSeries(db, ""))
	for _, f := range sqlitestore.Families() {
		name := string(f)
		if f == sqlitestore.FamilySNMP {
			name = "snmp/device"
		}
		s.mux.HandleFunc("/lua/rest/v2/get/"+name+"/alert/list.lua", s.storeList(db, st, f))
		s.mux.HandleFunc("/lua/rest/v2/get/"+name+"/alert/ts.lua", s.storeSeries(db, f))
		s.mux.HandleFunc("/lua/rest/v2/acknowledge/"+name+"/alerts.lua", s.storeChange(db, f, true))
		s.mux.HandleFunc("/lua/rest/v2/delete/"+name+"/alerts.lua", s.storeChange(db, f, false))
	}
}

// storeControl are the parameters that are not filters.
var storeControl = map[string]bool{"ifid": true, "status": true, "epoch_begin": true, "epoch_end": true,
	"start": true, "length": true, "sort": true, "order": true, "format": true, "draw": true, "label": true,
	"csrf": true, "query_preset": true, "visible_columns": true, "step": true, "alert_family": true,
	"currentPage": true, "perPage": true, "sortColumn": true, "sortOrder": true, "totalRows": true, "_": true}

// storeQuery reads the parameters shared by the list, the series, the
// counters and the changes: ifid, status, epoch range and filters.
func (s *Server) storeQuery(w http.ResponseWriter, r *http.Request, f sqlitestore.Family, path string) (sqlitestore.ListQuery, params, bool) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return sqlitestore.ListQuery{}, nil, false
	}
	if err := semicolonParams(r.URL.RawQuery, p); err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return sqlitestore.ListQuery{}, nil, false
	}
	q := sqlitestore.ListQuery{Family: f}
	ifid, ok := s.alertIfID(w, p, path)
	if !ok {
		return q, nil, false
	}
	q.IfID = &ifid
	if q.Status, err = sqlitestore.ParseStatus(p["status"]); err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return q, nil, false
	}
	if q.EpochBegin, err = epochParam(p, "epoch_begin"); err == nil {
		q.EpochEnd, err = epochParam(p, "epoch_end")
	}
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return q, nil, false
	}
	if f != "" {
		for k, v := range p {
			if storeControl[k] || v == "" {
				continue
			}
			fs, err := sqlitestore.ParseFilters(k, v)
			if err != nil {
				writeError(w, 0, errInvalidArgs, err.Error())
				return q, nil, false
			}
			q.Filters = append(q.Filters, fs...)
		}
	}
	return q, p, true
}

// semicolonParams adds the query parameters whose value holds a raw ';'
// ("severity=5;gte", as ntopng's clients write filters), which net/url
// drops as malformed.
func semicolonParams(raw string, p params) error {
	for _, kv := range strings.Split(raw, "&") {
		if !strings.Contains(kv, ";") {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			return errors.New("bad query parameter " + strconv.Quote(kv))
		}
		if _, ok := p[k]; !ok {
			p[k] = v
		}
	}
	return nil
}

// storeFailed answers a query error: a bad parameter is INVALID_ARGUMENTS,
// anything else an internal error (logged, not shown).
func (s *Server) storeFailed(w http.ResponseWriter, err error) {
	if errors.Is(err, sqlitestore.ErrBadParam) {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	s.deps.Logger.Warn("alert store query failed", "err", err)
	writeError(w, 0, errInternal, "alert store query failed")
}

// storeRecord is one row of a 5.x list: the fields of the 4.2 list plus
// the flow's endpoints for flow alerts.
type storeRecord struct {
	alertRecord
	UserLabel string       `json:"user_label,omitempty"`
	Flow      *storeFlowID `json:"flow,omitempty"`
}

type storeFlowID struct {
	CliIP         string `json:"cli_ip"`
	SrvIP         string `json:"srv_ip"`
	CliPort       int    `json:"cli_port"`
	SrvPort       int    `json:"srv_port"`
	VLAN          int    `json:"vlan_id"`
	Proto         int    `json:"proto"`
	L7Proto       int    `json:"l7_proto"`
	L7MasterProto int    `json:"l7_master_proto"`
	Score         int    `json:"score"`
}

func newStoreRecord(a *alerts.Alert, st sqlitestore.Status) storeRecord {
	rec := storeRecord{alertRecord: newAlertRecord(a), UserLabel: a.UserLabel}
	if st != sqlitestore.StatusEngaged {
		rec.Status = "historical"
		if a.Acknowledged {
			rec.Status = "acknowledged"
		}
	}
	if f := a.Flow; f != nil {
		rec.Flow = &storeFlowID{f.Cli.Addr, f.Srv.Addr, f.Cli.Port, f.Srv.Port, f.VLAN, f.Proto, f.L7Proto, f.L7Master, f.Score}
	}
	return rec
}

// storeListEnvelope is ntopng's list answer, plus flowgate's mark that
// recordsTotal is a lower bound: the count stopped at
// sqlitestore.CountLimit (docs/alert-store.md).
type storeListEnvelope struct {
	alertListEnvelope
	TotalIsLowerBound bool `json:"recordsTotalIsLowerBound,omitempty"`
}

func (s *Server) storeList(db *sqlitestore.DB, st *alerts.Store, f sqlitestore.Family) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, p, ok := s.storeQuery(w, r, f, r.URL.Path)
		if !ok {
			return
		}
		var err error
		if q.Start, err = intParam(p, "start", 0, math.MinInt, math.MaxInt); err == nil {
			q.Length, err = intParam(p, "length", 0, math.MinInt, math.MaxInt)
		}
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		// The 4.2 names (perPage, currentPage, sortColumn, sortOrder)
		// when the 5.x ones are absent.
		if p["length"] == "" && p["perPage"] != "" {
			pg, err := readPaging(p, "tstamp")
			if err != nil {
				writeError(w, 0, errInvalidArgs, err.Error())
				return
			}
			q.Start, q.Length = (pg.page-1)*pg.perPage, pg.perPage
		}
		if p["sort"] == "" && p["sortColumn"] != "" {
			p["sort"] = p["sortColumn"]
		}
		if p["order"] == "" && p["sortOrder"] != "" {
			p["order"] = p["sortOrder"]
		}
		q.Sort = p["sort"]
		switch p["order"] {
		case "", "desc":
			q.Desc = true
		case "asc":
		default:
			writeError(w, 0, errInvalidArgs, "bad order "+strconv.Quote(p["order"])+", want asc or desc")
			return
		}
		var engaged []alerts.Alert
		if q.Status == sqlitestore.StatusEngaged {
			engaged = st.EngagedAll()
		}
		page, err := db.ListPage(r.Context(), q, engaged)
		rows, total := page.Rows, page.Total
		if err != nil {
			s.storeFailed(w, err)
			return
		}
		if p["format"] == "txt" {
			writeAlertCSV(w, rows)
			return
		}
		recs := make([]storeRecord, 0, len(rows))
		for i := range rows {
			recs = append(recs, newStoreRecord(&rows[i], q.Status))
		}
		writeJSON(w, http.StatusOK, storeListEnvelope{alertListEnvelope: alertListEnvelope{RC: 0, RCStr: "OK", RCStrHR: "Success",
			RecordsTotal: total, RecordsFiltered: total, Rsp: map[string]any{"records": recs}},
			TotalIsLowerBound: page.TotalIsLowerBound})
	}
}

// writeAlertCSV answers format=txt: one header line and one line per alert.
func writeAlertCSV(w http.ResponseWriter, rows []alerts.Alert) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Write([]string{"row_id", "tstamp", "tstamp_end", "alert_id", "alert_name", "severity", "ifid", "entity_val", "subtype", "acknowledged", "json"})
	for _, a := range rows {
		t, _ := alerts.TypeByID(a.Type)
		cw.Write([]string{strconv.FormatUint(a.ID, 10), strconv.FormatInt(a.Tstamp, 10), strconv.FormatInt(a.TstampEnd, 10),
			strconv.Itoa(a.Type), t.Key, a.Severity.String(), strconv.Itoa(a.IfID), a.EntityVal, a.Subtype,
			strconv.FormatBool(a.Acknowledged), a.JSON})
	}
	cw.Flush()
}

// storeCounters answers get/alert/{type,severity}/counters.lua: counts
// over the stored alerts of every family ("historical-flows": flows only),
// most frequent first.
func (s *Server) storeCounters(db *sqlitestore.DB, count func(ctx context.Context, q sqlitestore.ListQuery) ([]sqlitestore.Count, error), key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var f sqlitestore.Family
		if r.URL.Query().Get("status") == "historical-flows" {
			f = sqlitestore.FamilyFlow
		}
		q, p, ok := s.storeQuery(w, r, f, r.URL.Path)
		if !ok {
			return
		}
		if v := p["alert_family"]; v != "" && f == "" {
			if sqlitestore.Family(v).Table() == "" {
				writeError(w, 0, errInvalidArgs, "bad alert_family "+strconv.Quote(v))
				return
			}
			q.Family = sqlitestore.Family(v)
		}
		counts, err := count(r.Context(), q)
		if err != nil {
			s.storeFailed(w, err)
			return
		}
		out := make([]map[string]any, 0, len(counts))
		for _, c := range counts {
			m := map[string]any{"count": c.Count}
			if key == "severity" {
				sev := alerts.Severity(c.Key)
				m["severity"], m["name"], m["title"] = c.Key, sev.String(), sev.Title()
			} else {
				t, _ := alerts.TypeByID(c.Key)
				m["alert_id"], m["name"], m["title"] = c.Key, t.Key, t.Title
			}
			out = append(out, m)
		}
		writeOK(w, out)
	}
}

// storeSeries answers get/<family>/alert/ts.lua: counts per severity and
// step (the step parameter, or the range over 31 slots as ntopng does).
func (s *Server) storeSeries(db *sqlitestore.DB, f sqlitestore.Family) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, p, ok := s.storeQuery(w, r, f, r.URL.Path)
		if !ok {
			return
		}
		if q.EpochBegin == 0 || q.EpochEnd == 0 {
			writeError(w, 0, errInvalidArgs, "epoch_begin and epoch_end are required")
			return
		}
		step := int64((q.EpochEnd - q.EpochBegin + 30) / 31)
		if v := p["step"]; v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				writeError(w, 0, errInvalidArgs, "bad step "+strconv.Quote(v))
				return
			}
			step = n
		}
		step = max(step, 1)
		ts, err := db.TimeSeries(r.Context(), q, step)
		if err != nil {
			s.storeFailed(w, err)
			return
		}
		type serie struct {
			ID       int     `json:"id"`
			Name     string  `json:"name"`
			Data     [][]any `json:"data"`
			Severity string  `json:"severity"`
		}
		series := []serie{}
		for _, sev := range alerts.Severities() {
			counts := ts.BySeverity[int(sev)]
			if counts == nil {
				continue
			}
			data := make([][]any, len(counts))
			for i, n := range counts {
				data[i] = []any{(ts.Begin + int64(i)*ts.Step) * 1000, n}
			}
			series = append(series, serie{int(sev), sev.Title(), data, sev.String()})
		}
		writeOK(w, map[string]any{"series": series, "step": ts.Step, "epoch_begin": q.EpochBegin, "epoch_end": q.EpochEnd})
	}
}

// storeChange answers acknowledge|delete/<family>/alerts.lua: the list's
// filters select the stored alerts (row_id among them); the answer is
// {"count": n}.
func (s *Server) storeChange(db *sqlitestore.DB, f sqlitestore.Family, ack bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := strings.Replace(strings.Replace(r.URL.Path, "/acknowledge/", "/get/", 1), "/delete/", "/get/", 1)
		q, p, ok := s.storeQuery(w, r, f, path)
		if !ok {
			return
		}
		if q.Status == sqlitestore.StatusEngaged {
			writeError(w, 0, errInvalidArgs, "engaged alerts are live state: neither acknowledged nor deleted")
			return
		}
		if p["status"] == "" && !ack {
			q.Status = sqlitestore.StatusAny // delete: historical and acknowledged
		}
		var n int
		var err error
		if ack {
			n, err = db.Acknowledge(r.Context(), q, p["label"])
		} else {
			n, err = db.Delete(r.Context(), q)
		}
		if err != nil {
			s.storeFailed(w, err)
			return
		}
		writeOK(w, map[string]any{"count": n})
	}
}
