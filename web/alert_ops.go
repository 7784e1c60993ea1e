package web

import (
	"net/http"
	"strconv"
	"strings"

	"flowgate/alerts"
)

// HandleAlertOps registers ntopng's acknowledge and delete endpoints for
// historical alerts (/lua/rest/v2/{acknowledge,delete}/<entity>/alerts.lua)
// over store. They take the list's filters (ifid, epoch_begin, epoch_end,
// severity, alert_id, ...) plus row_id; the answer is {"count": n}.
func (s *Server) HandleAlertOps(store *alerts.Store) {
	entities := map[string]*alerts.EntityType{"all": nil}
	for _, e := range []alerts.EntityType{alerts.EntityHost, alerts.EntityInterface, alerts.EntityNetwork,
		alerts.EntityFlow, alerts.EntityMAC, alerts.EntityUser, alerts.EntitySNMPDevice, alerts.EntityAMHost} {
		e := e
		name := e.String()
		if e == alerts.EntitySNMPDevice {
			name = "snmp/device"
		}
		entities[name] = &e
	}
	sys := alerts.EntityInterface
	entities["system"] = &sys
	for name, e := range entities {
		s.mux.HandleFunc("/lua/rest/v2/acknowledge/"+name+"/alerts.lua", s.alertOp(store, e, store.Acknowledge))
		s.mux.HandleFunc("/lua/rest/v2/delete/"+name+"/alerts.lua", s.alertOp(store, e, store.Delete))
	}
}

func (s *Server) alertOp(store *alerts.Store, entity *alerts.EntityType, op func(alerts.Query, []uint64) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		q := alerts.Query{Entity: entity, Status: alerts.StatusHistorical}
		path := strings.Replace(r.URL.Path, "/acknowledge/", "/get/", 1)
		path = strings.Replace(path, "/delete/", "/get/", 1)
		ifid, ok := s.alertIfID(w, p, path)
		if !ok {
			return
		}
		q.IfID = &ifid
		if err := alertFilters(p, &q); err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		q.Status = alerts.StatusHistorical // engaged alerts are live state
		var ids []uint64
		for _, v := range strings.FieldsFunc(p["row_id"], func(r rune) bool { return r == ',' || r == ';' }) {
			id, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				writeError(w, 0, errInvalidArgs, "bad row_id "+strconv.Quote(v))
				return
			}
			ids = append(ids, id)
		}
		writeOK(w, map[string]any{"count": op(q, ids)})
	}
}
