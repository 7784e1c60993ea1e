package web

import (
	"net/http"
	"net/netip"
	"runtime"
	"sort"
	"time"

	"flowgate/alerts"
	"flowgate/alerts/sqlitestore"
	"flowgate/engine"
	"flowgate/engine/ndpi"
)

// proRoutes serves ntopng Pro's dashboard endpoints flowgate has the data
// for: top local and remote talkers, top applications, system data. Pro's
// answers are not published: these follow the community shapes of the
// same figures (docs/rest-coverage.md).
//
//	GET get/interface/top/local/talkers.lua?ifid=[&max_num_results=10]
//	GET get/interface/top/remote/talkers.lua?ifid=
//	GET get/interface/top/l7_stats.lua?ifid=
//	GET get/system/data.lua
func (s *Server) proRoutes() {
	s.mux.HandleFunc(proV2+"get/interface/top/local/talkers.lua", func(w http.ResponseWriter, r *http.Request) { s.topTalkers(w, r, true) })
	s.mux.HandleFunc(proV2+"get/interface/top/remote/talkers.lua", func(w http.ResponseWriter, r *http.Request) { s.topTalkers(w, r, false) })
	s.mux.HandleFunc(proV2+"get/interface/top/l7_stats.lua", s.topL7)
	s.mux.HandleFunc(proV2+"get/system/data.lua", s.proSystemData)
	s.exclusionRoutes() // alert_exclusions.go
	s.obsPointRoutes()  // obs_points.go
}

type talker struct {
	ip         netip.Addr
	vlan       uint16
	sent, rcvd uint64
	bps        float64
}

// topTalkers lists the local (or remote) hosts of an interface by
// throughput, then traffic: ntopng's top talkers widget.
func (s *Server) topTalkers(w http.ResponseWriter, r *http.Request, local bool) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	max, err := intParam(p, "max_num_results", 10, 1, maxLabelRows)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	visible := addrFilter(r)
	var rows []talker
	i.Do(func(t *engine.Tables) {
		t.Hosts(func(h *engine.Host) bool {
			if h.Local != local || (visible != nil && !visible(h.IP())) || h.IsBroadcast || h.IsMulticast {
				return true
			}
			rows = append(rows, talker{ip: h.IP(), vlan: h.VLAN(), sent: h.BytesSent, rcvd: h.BytesRcvd, bps: h.ThptBps})
			return true
		})
	})
	sort.Slice(rows, func(a, b int) bool {
		if rows[a].bps != rows[b].bps {
			return rows[a].bps > rows[b].bps
		}
		return rows[a].sent+rows[a].rcvd > rows[b].sent+rows[b].rcvd
	})
	if len(rows) > max {
		rows = rows[:max]
	}
	out := make([]map[string]any, 0, len(rows))
	for _, t := range rows {
		ip := t.ip.String()
		out = append(out, map[string]any{"ip": ip, "name": ip, "vlan": t.vlan,
			"label": ip, "value": t.bps, "throughput_bps": t.bps,
			"bytes":        map[string]uint64{"sent": t.sent, "rcvd": t.rcvd, "total": t.sent + t.rcvd},
			"host_pool_id": s.hostPoolID(t.ip, t.vlan)})
	}
	writeOK(w, out)
}

// topL7 is the interface's applications by traffic, the first
// max_num_results (default 10) and the rest as "Other".
func (s *Server) topL7(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	max, err := intParam(p, "max_num_results", 10, 1, maxLabelRows)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	sums := map[string]float64{}
	i.Do(func(t *engine.Tables) {
		t.ProtocolBytes(func(proto uint16, b uint64) { sums[ndpi.Name(proto)] += float64(b) })
	})
	writeOK(w, topLabels(sums, max, true))
}

// proSystemData is the system and process figures of Pro's system page.
func (s *Server) proSystemData(w http.ResponseWriter, r *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	ifaces := 0
	if s.deps.Engine != nil {
		for _, i := range s.deps.Engine.Interfaces() {
			if requester(r).AllowsIfname(i.Name()) {
				ifaces++
			}
		}
	}
	var engaged int
	if s.deps.Alerts != nil {
		engaged = s.deps.Alerts.Counters().Engaged
	}
	uptime := int64(0)
	if !s.start.IsZero() {
		uptime = int64(time.Since(s.start).Seconds())
	}
	writeOK(w, map[string]any{
		"version": Version, "edition": "community", "uptime": uptime,
		"num_interfaces": ifaces, "engaged_alerts": engaged,
		"ntopng": map[string]any{"ram": map[string]any{"bytes_used": m.Sys - m.HeapReleased, "heap_bytes": m.HeapAlloc},
			"goroutines": runtime.NumGoroutine(), "cpus": runtime.NumCPU()},
		"pools": s.deps.Pools.Counters(), "categories": s.deps.Categories.Counters(),
	})
}

// proAlertTop serves Pro's get/<family>/alert/top.lua from the alert
// history: the alert types and severities the filters select, most
// frequent first (called by HandleAlertStore), and the community
// delete/all/alerts.lua over the same history (rest_devices.go).
func (s *Server) proAlertTop(db *sqlitestore.DB) {
	s.mux.HandleFunc("/lua/rest/v2/delete/all/alerts.lua", s.deleteAllAlerts(db))
	families := append([]sqlitestore.Family{""}, sqlitestore.Families()...)
	for _, f := range families {
		name := string(f)
		switch f {
		case "":
			name = "all"
		case sqlitestore.FamilySNMP:
			name = "snmp/device"
		}
		f := f
		community := "/lua/rest/v2/get/" + name + "/alert/list.lua"
		s.mux.HandleFunc(proV2+"get/"+name+"/alert/top.lua", func(w http.ResponseWriter, r *http.Request) {
			q, _, ok := s.storeQuery(w, r, f, community)
			if !ok {
				return
			}
			byType, err := db.CountByType(r.Context(), q)
			if err == nil {
				var bySev []sqlitestore.Count
				if bySev, err = db.CountBySeverity(r.Context(), q); err == nil {
					writeOK(w, alertTop(byType, bySev))
					return
				}
			}
			s.storeFailed(w, err)
		})
	}
}

func alertTop(byType, bySev []sqlitestore.Count) map[string]any {
	types := make([]map[string]any, 0, len(byType))
	for _, c := range byType {
		t, _ := alerts.TypeByID(c.Key)
		types = append(types, map[string]any{"alert_id": c.Key, "name": t.Key, "title": t.Title, "count": c.Count})
	}
	sevs := make([]map[string]any, 0, len(bySev))
	for _, c := range bySev {
		sev := alerts.Severity(c.Key)
		sevs = append(sevs, map[string]any{"severity": c.Key, "name": sev.String(), "title": sev.Title(), "count": c.Count})
	}
	return map[string]any{"alert_id": types, "severity": sevs}
}
