package web

import (
	"net/http"
	"strconv"
	"strings"

	chflows "flowgate/flowexport/clickhouse"
)

// HandleProDB serves ntopng Pro's historical-flows REST over the flows
// that -F clickhouse dumps (docs/clickhouse.md):
//
//	GET get/db/flows.lua?ifid=&begin_time_clause=&end_time_clause=[&select_clause=][&where_clause=]
//	    [&group_by_clause=][&order_by_clause=][&maxhits_clause=10]
//	GET get/db/topk_flows.lua?ifid=&begin_time_clause=&end_time_clause=[&select_keys_clause=]
//	    [&select_values_clause=BYTES][&topk_clause=SUM][&where_clause=][&maxhits_clause=10]
//	GET get/db/historical_db_search.lua?ifid=&epoch_begin=&epoch_end=[&start=0][&length=10]
//	    [&l7proto=7;eq][&l4proto=][&ip_version=][&ip=][&cli_ip=][&srv_ip=][&cli_port=]...
//
// The clauses are parsed against the flows table's columns and their
// values passed as query parameters (flowexport/clickhouse/query.go): a
// clause that does not parse is refused with invalid_args, never sent.
func (s *Server) HandleProDB(db *chflows.Writer) {
	if db == nil {
		return
	}
	s.mux.HandleFunc(proV2+"get/db/flows.lua", func(w http.ResponseWriter, r *http.Request) { s.dbFlows(w, r, db) })
	s.mux.HandleFunc(proV2+"get/db/topk_flows.lua", func(w http.ResponseWriter, r *http.Request) { s.dbTopK(w, r, db) })
	s.mux.HandleFunc(proV2+"get/db/historical_db_search.lua", func(w http.ResponseWriter, r *http.Request) { s.dbSearch(w, r, db) })
}

// maxDBHits bounds maxhits_clause and length.
const maxDBHits = 10000

// dbTimes reads the two required epoch parameters.
func dbTimes(p params, beginKey, endKey string) (int64, int64, error) {
	var out [2]int64
	for i, k := range []string{beginKey, endKey} {
		v, ok := p[k]
		if !ok || v == "" {
			return 0, 0, &argError{k, "(missing)"}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<32 {
			return 0, 0, &argError{k, v}
		}
		out[i] = n
	}
	if out[1] < out[0] {
		return 0, 0, &argError{endKey, p[endKey] + " (before " + beginKey + ")"}
	}
	return out[0], out[1], nil
}

func (s *Server) dbAnswer(w http.ResponseWriter, r *http.Request, db *chflows.Writer, q *chflows.Query, err error) ([]map[string]string, bool) {
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return nil, false
	}
	rows, err := db.Select(r.Context(), q)
	if err != nil {
		s.deps.Logger.Warn("historical flows query failed", "err", err)
		writeError(w, http.StatusInternalServerError, errInternal, "historical flows database unavailable")
		return nil, false
	}
	return rows, true
}

// dbClauses is what the three db handlers share: the parameters, the
// interface, the two epochs and (flows.lua, topk_flows.lua) maxhits_clause.
type dbClauses struct {
	p          params
	ifid       int
	begin, end int64
	hits       int
}

// dbClauseRequest reads the interface, the epochs (beginKey, endKey) and,
// when hitsKey is not "", the hit bound; a bad one is answered here.
func (s *Server) dbClauseRequest(w http.ResponseWriter, r *http.Request, beginKey, endKey, hitsKey string) (dbClauses, bool) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return dbClauses{}, false
	}
	c := dbClauses{p: p, ifid: i.ID()}
	var err error
	c.begin, c.end, err = dbTimes(p, beginKey, endKey)
	if err == nil && hitsKey != "" {
		c.hits, err = intParam(p, hitsKey, 10, 1, maxDBHits)
	}
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return dbClauses{}, false
	}
	return c, true
}

// dbReply runs q (or answers err) and writes the rows.
func (s *Server) dbReply(w http.ResponseWriter, r *http.Request, db *chflows.Writer, q *chflows.Query, err error) {
	if rows, ok := s.dbAnswer(w, r, db, q, err); ok {
		writeOK(w, rows)
	}
}

func (s *Server) dbFlows(w http.ResponseWriter, r *http.Request, db *chflows.Writer) {
	c, ok := s.dbClauseRequest(w, r, "begin_time_clause", "end_time_clause", "maxhits_clause")
	if !ok {
		return
	}
	p := c.p
	name, table := db.Table()
	q, err := chflows.ParseFlows(name, table, chflows.FlowsRequest{Ifid: c.ifid, Begin: c.begin, End: c.end, Select: p["select_clause"],
		Where: p["where_clause"], Group: p["group_by_clause"], Order: p["order_by_clause"], MaxHits: c.hits})
	s.dbReply(w, r, db, q, err)
}

func (s *Server) dbTopK(w http.ResponseWriter, r *http.Request, db *chflows.Writer) {
	c, ok := s.dbClauseRequest(w, r, "begin_time_clause", "end_time_clause", "maxhits_clause")
	if !ok {
		return
	}
	p := c.p
	if v := p["approx_search"]; v != "" && v != "true" && v != "false" {
		writeError(w, 0, errInvalidArgs, (&argError{"approx_search", v}).Error())
		return
	}
	name, table := db.Table()
	q, err := chflows.ParseTopK(name, table, chflows.TopKRequest{Ifid: c.ifid, Begin: c.begin, End: c.end, Keys: p["select_keys_clause"],
		Value: p["select_values_clause"], Where: p["where_clause"], TopK: p["topk_clause"], MaxHits: c.hits})
	s.dbReply(w, r, db, q, err)
}

// searchFilters maps historical_db_search.lua's filter parameters to
// columns ("ip" matches either side).
var searchFilters = []struct {
	param string
	cols  []string
}{
	{"l7proto", []string{"L7_PROTO"}},
	{"l7proto_master", []string{"L7_PROTO_MASTER"}},
	{"l7cat", []string{"L7_CATEGORY"}},
	{"l4proto", []string{"PROTOCOL"}},
	{"ip_version", []string{"IP_PROTOCOL_VERSION"}},
	{"vlan_id", []string{"VLAN_ID"}},
	{"cli_port", []string{"IP_SRC_PORT"}},
	{"srv_port", []string{"IP_DST_PORT"}},
	{"cli_asn", []string{"SRC_ASN"}},
	{"srv_asn", []string{"DST_ASN"}},
	{"input_snmp", []string{"INPUT_SNMP"}},
	{"output_snmp", []string{"OUTPUT_SNMP"}},
	{"probe_ip", []string{"PROBE_IP"}},
	{"score", []string{"SCORE"}},
	{"info", []string{"INFO"}},
	{"ip", nil}, // by family of the value: IPV4_* or IPV6_*, either side
	{"cli_ip", nil},
	{"srv_ip", nil},
}

func (s *Server) dbSearch(w http.ResponseWriter, r *http.Request, db *chflows.Writer) {
	c, ok := s.dbClauseRequest(w, r, "epoch_begin", "epoch_end", "")
	if !ok {
		return
	}
	p := c.p
	start, err := intParam(p, "start", 0, 0, 1<<30)
	if err == nil {
		var length int
		length, err = intParam(p, "length", 10, 1, maxDBHits)
		if err == nil {
			req := chflows.SearchRequest{Ifid: c.ifid, Begin: c.begin, End: c.end, Start: start, Length: length}
			req.Filters, err = searchFiltersOf(p)
			if err == nil {
				req.Order, req.Desc, err = searchOrder(p)
			}
			if err == nil {
				s.dbSearchRun(w, r, db, req)
				return
			}
		}
	}
	writeError(w, 0, errInvalidArgs, err.Error())
}

func searchFiltersOf(p params) ([]chflows.Filter, error) {
	var out []chflows.Filter
	for _, f := range searchFilters {
		v, ok := p[f.param]
		if !ok || v == "" {
			continue
		}
		val, op, found := strings.Cut(v, ";")
		if !found {
			op = "eq"
		}
		cols := f.cols
		if cols == nil {
			fam := "IPV4_"
			if strings.Contains(val, ":") {
				fam = "IPV6_"
			}
			switch f.param {
			case "ip":
				cols = []string{fam + "SRC_ADDR", fam + "DST_ADDR"}
			case "cli_ip":
				cols = []string{fam + "SRC_ADDR"}
			default:
				cols = []string{fam + "DST_ADDR"}
			}
		}
		out = append(out, chflows.Filter{Columns: cols, Op: op, Value: val})
	}
	return out, nil
}

// searchOrder reads the datatable sort (sort=column&order=asc|desc).
func searchOrder(p params) (string, bool, error) {
	col := strings.ToUpper(p["sort"])
	desc := true
	switch strings.ToLower(p["order"]) {
	case "", "desc":
	case "asc":
		desc = false
	default:
		return "", false, &argError{"order", p["order"]}
	}
	return col, desc, nil
}

func (s *Server) dbSearchRun(w http.ResponseWriter, r *http.Request, db *chflows.Writer, req chflows.SearchRequest) {
	name, table := db.Table()
	rowsQ, countQ, err := chflows.ParseSearch(name, table, req)
	rows, ok := s.dbAnswer(w, r, db, rowsQ, err)
	if !ok {
		return
	}
	total, ok := s.dbAnswer(w, r, db, countQ, nil)
	if !ok {
		return
	}
	n := 0
	if len(total) == 1 {
		n, _ = strconv.Atoi(total[0]["count"])
	}
	writeOK(w, map[string]any{"records": rows, "recordsTotal": n, "recordsFiltered": n})
}
