package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"flowgate/history"
)

// maxTSRequests bounds the series one ts_multi.lua call may ask for: each
// is a store query, and ntopng's charts ask for a handful.
const maxTSRequests = 32

// tsCompare are ts_multi.lua's ts_compare choices: how far back the
// comparison window lies.
var tsCompare = map[string]time.Duration{"30m": 30 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "1w": 7 * 24 * time.Hour}

// tsRequest is one element of ts_requests.
type tsRequest struct {
	Query  string `json:"ts_query"`
	Schema string `json:"ts_schema"`
	Key    string `json:"tskey"`
}

// getTimeseriesMulti serves Pro's get/timeseries/ts_multi.lua: POST (or,
// like ts.lua, GET) {ifid, epoch_begin, epoch_end, limit, ts_compare, ts_requests: [{ts_query,
// ts_schema, tskey}]} answers an array, in request order, of what ts.lua
// answers for each request (metadata also carries the tskey). With
// ts_compare each answer adds additional_series {<ts_compare>: series of
// the same window that far back}. Every request is checked before any is
// run: one bad request refuses the call.
func (s *Server) getTimeseriesMulti(w http.ResponseWriter, r *http.Request, st *history.Store) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if v := p["ifid"]; v == "" {
		writeError(w, 0, errInvalidInterface, "missing ifid")
		return
	} else if id, err := strconv.Atoi(v); err != nil {
		writeError(w, 0, errInvalidInterface, "bad ifid "+strconv.Quote(v))
		return
	} else if id >= 0 && s.deps.Engine.Interface(id) == nil { // -1: ntopng's system interface
		writeError(w, 0, errInvalidInterface, "unknown ifid "+v)
		return
	}
	back, ok := tsCompare[p["ts_compare"]]
	if !ok && p["ts_compare"] != "" {
		writeError(w, 0, errInvalidArgs, "bad ts_compare "+strconv.Quote(p["ts_compare"])+" (30m, 1h, 1d or 1w)")
		return
	}
	reqs, err := tsRequests(r, p)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	queries := make([]history.Query, len(reqs))
	for i, req := range reqs {
		one := params{"ts_schema": req.Schema, "ts_query": req.Query}
		for _, k := range []string{"epoch_begin", "epoch_end", "limit"} {
			one[k] = p[k]
		}
		q, ferr := s.tsQuery(r, one)
		if ferr != nil {
			writeError(w, 0, ferr.code, fmt.Sprintf("ts_requests[%d]: %s", i, ferr.human))
			return
		}
		queries[i] = q
	}
	out := make([]map[string]any, len(queries))
	for i, q := range queries {
		rsp, ferr := s.tsAnswer(r, st, q)
		if ferr == nil && back > 0 {
			q.Begin, q.End = q.Begin-int64(back/time.Second), q.End-int64(back/time.Second)
			var past map[string]any
			if past, ferr = s.tsAnswer(r, st, q); ferr == nil {
				rsp["additional_series"] = map[string]any{p["ts_compare"]: past["series"]}
			}
		}
		if ferr != nil {
			writeError(w, 0, ferr.code, fmt.Sprintf("ts_requests[%d]: %s", i, ferr.human))
			return
		}
		rsp["metadata"].(map[string]any)["tskey"] = reqs[i].Key
		out[i] = rsp
	}
	writeOK(w, out)
}

// tsRequests reads ts_requests: a JSON array in a JSON body, or the same
// array as a JSON string in a form or query parameter.
func tsRequests(r *http.Request, p params) ([]tsRequest, error) {
	var reqs []tsRequest
	raw := p["ts_requests"]
	if raw == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Requests json.RawMessage `json:"ts_requests"`
		}
		// readParams put the (bounded) body back and already checked it is JSON.
		if err := json.NewDecoder(r.Body).Decode(&body); err == nil {
			raw = string(body.Requests)
		}
	}
	if raw == "" {
		return nil, fmt.Errorf("missing ts_requests")
	}
	if err := json.Unmarshal([]byte(raw), &reqs); err != nil {
		return nil, fmt.Errorf("bad ts_requests (an array of {ts_query, ts_schema, tskey}): %w", err)
	}
	if len(reqs) == 0 || len(reqs) > maxTSRequests {
		return nil, fmt.Errorf("ts_requests has %d requests, want 1 to %d", len(reqs), maxTSRequests)
	}
	return reqs, nil
}
