package web

import (
	"errors"
	"net/http"
	"sort"
)

// SyslogEndpoint is what the REST API needs of one syslog interface (the
// collector's producer map and listener counters, the handler runtime's
// per-producer counters), as functions so that this package imports
// neither.
type SyslogEndpoint struct {
	Ifid          int
	Producers     func() map[string]string            // source IP / device / "*" → producer
	SetProducer   func(source, producer string) error // producer "" deletes
	ListenerStats func() any                          // JSON object
	ProducerStats func() any                          // JSON array, one object per producer
	Totals        func() map[string]uint64            // ntopng's interface "syslog" stats
}

// HandleSyslog registers the syslog REST endpoints for eps (call before
// Start; the listener and handler register their own /metrics families):
//
//	GET  /lua/rest/v2/get/syslog/producers.lua?ifid=N   → [{host, producer}]
//	POST /lua/rest/v2/add/syslog/producer.lua            {ifid, host, producer}
//	POST /lua/rest/v2/edit/syslog/producer.lua           {ifid, host, producer[, old_host]}
//	POST /lua/rest/v2/delete/syslog/producer.lua         {ifid, host}
//	GET  /lua/rest/v2/get/syslog/stats.lua?ifid=N        → {syslog, listener, producers}
//
// Producer map changes apply to the next message, without restart.
func (s *Server) HandleSyslog(eps ...SyslogEndpoint) {
	byIf := map[int]SyslogEndpoint{}
	for _, e := range eps {
		byIf[e.Ifid] = e
	}
	// find reads ifid as every per-interface endpoint does (a user
	// restricted to another interface is NOT_GRANTED), then its syslog
	// endpoint.
	find := func(w http.ResponseWriter, r *http.Request) (params, SyslogEndpoint, bool) {
		p, i, ok := s.ifaceRequest(w, r)
		if !ok {
			return nil, SyslogEndpoint{}, false
		}
		e, ok := byIf[i.ID()]
		if !ok {
			writeError(w, 0, errInvalidInterface, "ifid is not a syslog interface")
			return nil, SyslogEndpoint{}, false
		}
		return p, e, true
	}
	s.mux.HandleFunc("/lua/rest/v2/get/syslog/producers.lua", func(w http.ResponseWriter, r *http.Request) {
		_, e, ok := find(w, r)
		if !ok {
			return
		}
		m := e.Producers()
		rows := make([]map[string]string, 0, len(m))
		for h, p := range m {
			rows = append(rows, map[string]string{"host": h, "producer": p})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i]["host"] < rows[j]["host"] })
		writeOK(w, rows)
	})
	edit := func(op string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !isPost(w, r) {
				return
			}
			p, e, ok := find(w, r)
			if !ok {
				return
			}
			host, producer := p["host"], p["producer"]
			if host == "" || (op != "delete" && producer == "") {
				writeError(w, 0, errInvalidArgs, "host and producer are required")
				return
			}
			var err error
			switch op {
			case "delete":
				err = e.SetProducer(host, "")
			case "edit":
				if old := p["old_host"]; old != "" && old != host {
					if err = e.SetProducer(old, ""); err != nil {
						break
					}
				}
				err = e.SetProducer(host, producer)
			default:
				if _, exists := e.Producers()[host]; exists {
					err = errors.New("host already in the producer map")
				} else {
					err = e.SetProducer(host, producer)
				}
			}
			if err != nil {
				writeError(w, 0, errInvalidArgs, err.Error())
				return
			}
			writeOK(w, map[string]string{"host": host, "producer": producer})
		}
	}
	s.mux.HandleFunc("/lua/rest/v2/add/syslog/producer.lua", edit("add"))
	s.mux.HandleFunc("/lua/rest/v2/edit/syslog/producer.lua", edit("edit"))
	s.mux.HandleFunc("/lua/rest/v2/delete/syslog/producer.lua", edit("delete"))
	s.mux.HandleFunc("/lua/rest/v2/get/syslog/stats.lua", func(w http.ResponseWriter, r *http.Request) {
		_, e, ok := find(w, r)
		if !ok {
			return
		}
		rsp := map[string]any{"ifid": e.Ifid}
		if e.Totals != nil {
			rsp["syslog"] = e.Totals()
		}
		if e.ListenerStats != nil {
			rsp["listener"] = e.ListenerStats()
		}
		if e.ProducerStats != nil {
			rsp["producers"] = e.ProducerStats()
		}
		writeOK(w, rsp)
	})
}
