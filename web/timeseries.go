package web

import (
	"errors"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"flowgate/history"
)

// HandleTimeseries registers ntopng's time-series REST on the store:
//
//	GET|POST /lua/rest/v2/get/timeseries/ts.lua?ts_schema=iface:traffic&ts_query=ifid:0&epoch_begin=T&epoch_end=T[&limit=N][&ts_aggregation=avg|max|min]
//	         (ts_schema "top:<schema>" ranks the series of the tags left out, e.g. top:host:traffic; topk=N)
//	GET|POST /lua/pro/rest/v2/get/timeseries/ts_multi.lua {ifid, epoch_begin, epoch_end, ts_requests: [...]} (timeseries_multi.go)
//	GET      /lua/rest/v2/get/timeseries/type/consts.lua?ifid=0&query=iface|host|subnet|snmp_interface|am
//
// Every parameter is checked before the store is touched: a wrong one
// answers INVALID_ARGUMENTS (rc -5, 400) and changes nothing.
func (s *Server) HandleTimeseries(st *history.Store) {
	s.mux.HandleFunc("/lua/rest/v2/get/timeseries/ts.lua", func(w http.ResponseWriter, r *http.Request) { s.getTimeseries(w, r, st) })
	s.mux.HandleFunc("/lua/rest/v2/get/timeseries/type/consts.lua", s.getTimeseriesConsts)
	s.mux.HandleFunc(proV2+"get/timeseries/ts_multi.lua", func(w http.ResponseWriter, r *http.Request) { s.getTimeseriesMulti(w, r, st) })
}

func (s *Server) getTimeseries(w http.ResponseWriter, r *http.Request, st *history.Store) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	q, ferr := s.tsQuery(r, p)
	if ferr != nil {
		writeError(w, 0, ferr.code, ferr.human)
		return
	}
	rsp, ferr := s.tsAnswer(r, st, q)
	if ferr != nil {
		writeError(w, 0, ferr.code, ferr.human)
		return
	}
	writeOK(w, rsp)
}

// restFail is why a request (or one time-series request of many) is
// refused: its rc and message.
type restFail struct {
	code  restError
	human string
}

func (f *restFail) Error() string { return f.human }

// tsQuery checks ts.lua's parameters (also one request of ts_multi.lua)
// and the requester's right to the interface and host they name.
func (s *Server) tsQuery(r *http.Request, p params) (history.Query, *restFail) {
	var err error
	q := history.Query{Schema: p["ts_schema"], Aggregation: p["ts_aggregation"]}
	if q.Schema == "" {
		return q, &restFail{errInvalidArgs, "missing ts_schema"}
	}
	if q.Tags, err = history.ParseTags(p["ts_query"]); err != nil {
		return q, &restFail{errInvalidArgs, err.Error()}
	}
	now := s.now().Unix()
	q.End, q.Begin = now, now-3600 // ntopng's default: the last hour
	for _, e := range []struct {
		name string
		dst  *int64
	}{{"epoch_begin", &q.Begin}, {"epoch_end", &q.End}} {
		if v := p[e.name]; v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return q, &restFail{errInvalidArgs, "bad " + e.name + " " + strconv.Quote(v)}
			}
			*e.dst = n
		}
	}
	for _, e := range []struct {
		name string
		dst  *int
	}{{"limit", &q.Limit}, {"topk", &q.TopK}} {
		if v := p[e.name]; v != "" {
			n, err := strconv.ParseFloat(v, 64) // ntopng's JSON clients send numbers
			if err != nil || n != math.Trunc(n) || n < 1 || n > 1e9 {
				return q, &restFail{errInvalidArgs, "bad " + e.name + " " + strconv.Quote(v)}
			}
			*e.dst = int(n)
		}
	}
	me := requester(r)
	if v, ok := q.Tags["ifid"]; ok {
		id, err := strconv.Atoi(v)
		if err != nil {
			return q, &restFail{errInvalidInterface, "bad ifid " + strconv.Quote(v)}
		}
		// An ifid of an SNMP device series is the -1 of ntopng's system
		// interface; otherwise it names an engine interface.
		if id >= 0 {
			i := s.deps.Engine.Interface(id)
			if i == nil {
				return q, &restFail{errInvalidInterface, "unknown ifid " + v}
			}
			if !me.AllowsIfname(i.Name()) {
				s.counters.notGranted.Add(1)
				return q, &restFail{errNotGranted, "interface not allowed to this user"}
			}
		}
	}
	if h, ok := q.Tags["host"]; ok {
		if visible := addrFilter(r); visible != nil && !visible(hostTagAddr(h)) {
			s.counters.notGranted.Add(1)
			return q, &restFail{errNotGranted, "host not allowed to this user"}
		}
	}
	return q, nil
}

// tsAnswer runs a checked query: ts.lua's answer, {metadata, series}.
func (s *Server) tsAnswer(r *http.Request, st *history.Store, q history.Query) (map[string]any, *restFail) {
	res, err := st.Query(r.Context(), q)
	if errors.Is(err, history.ErrBadQuery) {
		return nil, &restFail{errInvalidArgs, err.Error()}
	}
	if err != nil {
		s.deps.Logger.Warn("time-series query failed", "schema", q.Schema, "err", err)
		return nil, &restFail{errInternal, "time-series query failed"}
	}
	visible := addrFilter(r)
	series := make([]map[string]any, 0, len(res.Series))
	for _, sd := range res.Series {
		if h, ok := sd.Tags["host"]; ok && visible != nil && !visible(hostTagAddr(h)) {
			continue // a top entry the user may not see
		}
		data := make([]any, len(sd.Data))
		for i, v := range sd.Data {
			if !math.IsNaN(v) {
				data[i] = v
			}
		}
		e := map[string]any{"id": sd.ID, "data": data, "statistics": map[string]float64{
			"total": sd.Stats.Total, "average": sd.Stats.Average, "95th_percentile": sd.Stats.P95,
			"min": sd.Stats.Min, "max": sd.Stats.Max}}
		if sd.Tags != nil {
			e["tags"] = sd.Tags
		}
		series = append(series, e)
	}
	return map[string]any{
		"metadata": map[string]any{"epoch_begin": res.Begin, "epoch_end": res.End, "epoch_step": res.Step,
			"num_point": res.Points, "schema": res.Schema, "query": res.Query},
		"series": series,
	}, nil
}

// hostTagAddr is the address of a host tag ("ip" or "ip@vlan"); the zero
// address (allowed to nobody restricted) when it is not one.
func hostTagAddr(h string) netip.Addr {
	ip, _, _ := strings.Cut(h, "@")
	a, _ := netip.ParseAddr(ip)
	return a
}

// consts.lua's query families and the schema prefix of each ("am":
// active monitoring's am_host:* series).
var tsFamilies = map[string]string{"iface": "iface:", "host": "host:", "subnet": "subnet:", "snmp_interface": "snmp_if:", "am": "am_host:"}

func (s *Server) getTimeseriesConsts(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	prefix, ok := tsFamilies[p["query"]]
	if !ok {
		writeError(w, 0, errInvalidArgs, "bad query "+strconv.Quote(p["query"])+": want iface, host, subnet, snmp_interface or am")
		return
	}
	out := []map[string]any{}
	for _, sc := range history.Schemas() {
		if !strings.HasPrefix(sc.Name, prefix) {
			continue
		}
		unit := "number"
		if prefix == tsFamilies["am"] {
			unit = "ms" // every active monitoring measurement is a time
		} else if sc.Type == history.Counter {
			unit = "bps"
			if !strings.Contains(strings.Join(sc.Metrics, ","), "bytes") {
				unit = "fps"
			}
		}
		ts := map[string]any{}
		for _, m := range sc.Metrics {
			ts[m] = map[string]string{"label": m}
		}
		out = append(out, map[string]any{"schema": sc.Name, "label": sc.Name, "step": sc.Step, "measure_unit": unit,
			"type": sc.Type.String(), "tags": sc.Tags, "timeseries": ts})
	}
	writeOK(w, out)
}
