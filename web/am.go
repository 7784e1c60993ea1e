package web

import (
	"errors"
	"net/http"
	"strconv"

	"flowgate/activemon"
)

// HandleActiveMonitoring registers ntopng's active monitoring REST on m
// (docs/active-monitoring.md):
//
//	GET  /lua/rest/v2/get/active_monitoring/list.lua[?measurement=M&only_alerted_hosts=0|1]
//	GET  /lua/rest/v2/get/active_monitoring/host.lua?am_host=H&measurement=M
//	GET  /lua/rest/v2/get/active_monitoring/measurements.lua
//	GET  /lua/rest/v2/get/active_monitoring/stats.lua
//	POST /lua/rest/v2/add/active_monitoring/host.lua    {am_host, measurement, threshold, granularity}
//	POST /lua/rest/v2/edit/active_monitoring/host.lua   {old_am_host, old_measurement, am_host, measurement, threshold, granularity}
//	POST /lua/rest/v2/delete/active_monitoring/host.lua {am_host, measurement}
//	export|import|reset/active_monitoring/config.lua (rest_config.go)
//
// The am_host alerts are the alert store's family (get/am_host/alert/list.lua).
func (s *Server) HandleActiveMonitoring(m *activemon.Monitor) {
	s.HandleConfigModule("active_monitoring", JSONModule(m.Export, m.ValidateConfig, m.Import, m.Reset))
	const v2 = "/lua/rest/v2/"
	s.mux.HandleFunc(v2+"get/active_monitoring/list.lua", func(w http.ResponseWriter, r *http.Request) {
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		meas := q["measurement"]
		if _, ok := activemon.Measurements[meas]; meas != "" && !ok {
			writeError(w, 0, errInvalidArgs, "unknown measurement "+strconv.Quote(meas))
			return
		}
		var alerted *bool
		switch v := q["only_alerted_hosts"]; v {
		case "":
		case "0", "1":
			b := v == "1"
			alerted = &b
		default:
			writeError(w, 0, errInvalidArgs, "only_alerted_hosts must be 0 or 1")
			return
		}
		rows := []amRow{}
		for _, h := range m.Hosts() {
			if meas != "" && h.Measurement != meas {
				continue
			}
			row := amHostRow(m, h)
			if alerted != nil && row.Metadata.IsAlerted != *alerted {
				continue
			}
			rows = append(rows, row)
		}
		writeOK(w, rows)
	})
	s.mux.HandleFunc(v2+"get/active_monitoring/host.lua", func(w http.ResponseWriter, r *http.Request) {
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		if q["am_host"] == "" || q["measurement"] == "" {
			writeError(w, 0, errInvalidArgs, "am_host and measurement are required")
			return
		}
		h, ok := m.Host(activemon.Host{Host: q["am_host"], Measurement: q["measurement"]}.Key())
		if !ok {
			writeError(w, 0, errNotFound, "no active monitoring host "+strconv.Quote(q["measurement"]+"://"+q["am_host"]))
			return
		}
		writeOK(w, amHostRow(m, h))
	})
	s.mux.HandleFunc(v2+"get/active_monitoring/measurements.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, activemon.MeasurementList())
	})
	s.mux.HandleFunc(v2+"get/active_monitoring/stats.lua", func(w http.ResponseWriter, r *http.Request) {
		writeOK(w, m.Stats())
	})
	s.mux.HandleFunc(v2+"add/active_monitoring/host.lua", func(w http.ResponseWriter, r *http.Request) {
		h, _, ok := amHostParams(w, r, false)
		if !ok {
			return
		}
		h, err := m.Add(h)
		if amFailed(w, err) {
			return
		}
		writeOK(w, amHostRow(m, h))
	})
	s.mux.HandleFunc(v2+"edit/active_monitoring/host.lua", func(w http.ResponseWriter, r *http.Request) {
		h, old, ok := amHostParams(w, r, true)
		if !ok {
			return
		}
		h, err := m.Edit(old, h)
		if amFailed(w, err) {
			return
		}
		writeOK(w, amHostRow(m, h))
	})
	s.mux.HandleFunc(v2+"delete/active_monitoring/host.lua", func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) {
			return
		}
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		if q["am_host"] == "" || q["measurement"] == "" {
			writeError(w, 0, errInvalidArgs, "am_host and measurement are required")
			return
		}
		if amFailed(w, m.Delete(activemon.Host{Host: q["am_host"], Measurement: q["measurement"]}.Key())) {
			return
		}
		writeOK(w, map[string]any{})
	})
}

// amHostParams reads a host to add or edit (and, for an edit, the key of
// the host it replaces: old_am_host/old_measurement, the new ones when absent).
// threshold is also read as ntopng 4's rtt_max.
func amHostParams(w http.ResponseWriter, r *http.Request, edit bool) (activemon.Host, string, bool) {
	var h activemon.Host
	if !isPost(w, r) {
		return h, "", false
	}
	q, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return h, "", false
	}
	h.Host, h.Measurement, h.Granularity = q["am_host"], q["measurement"], q["granularity"]
	if h.Host == "" || h.Measurement == "" {
		writeError(w, 0, errInvalidArgs, "am_host and measurement are required")
		return h, "", false
	}
	thr := q["threshold"]
	if thr == "" {
		thr = q["rtt_max"]
	}
	if thr != "" {
		v, err := strconv.ParseFloat(thr, 64)
		if err != nil || v <= 0 {
			writeError(w, 0, errInvalidArgs, "threshold must be a positive number of ms, got "+strconv.Quote(thr))
			return h, "", false
		}
		h.Threshold = v
	}
	old := h.Key()
	if edit {
		oh, om := q["old_am_host"], q["old_measurement"]
		if oh == "" {
			oh = h.Host
		}
		if om == "" {
			om = h.Measurement
		}
		old = activemon.Host{Host: oh, Measurement: om}.Key()
	}
	return h, old, true
}

// amFailed answers a monitor error: bad input and conflicts are
// INVALID_ARGUMENTS, a missing host NOT_FOUND, a failed save INTERNAL_ERROR.
func amFailed(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, activemon.ErrNotFound):
		writeError(w, 0, errNotFound, err.Error())
	case errors.Is(err, activemon.ErrInvalid), errors.Is(err, activemon.ErrExists), errors.Is(err, activemon.ErrFull):
		writeError(w, 0, errInvalidArgs, err.Error())
	default:
		writeError(w, 0, errInternal, err.Error())
	}
	return true
}

// amRow is a host as ntopng's get/active_monitoring/list.lua answers it.
type amRow struct {
	Key         string         `json:"key"`
	IPAddress   string         `json:"ip_address"`
	Threshold   float64        `json:"threshold"`
	HourlyStats []int          `json:"hourly_stats"`
	AmHost      string         `json:"am_host"`
	Target      amTarget       `json:"target"`
	Last        amLast         `json:"last_measurement"`
	Metadata    amMetadata     `json:"metadata"`
	Extra       map[string]any `json:"extra_measurements"`
}

type amTarget struct {
	Name string `json:"name"`
	Host string `json:"host"`
}

type amLast struct {
	Type  string `json:"measurement_type"`
	Value any    `json:"measurement_value"` // ms, "" before the first measurement
	Time  int64  `json:"last_measurement_time"`
	Error string `json:"error,omitempty"`
}

type amMetadata struct {
	IsAlerted    bool   `json:"is_alerted"`
	Granularity  string `json:"granularity"`
	Availability any    `json:"availability"` // percent, "" before the first measurement
	Unit         string `json:"unit"`
	Reachable    bool   `json:"reachable"`
}

func amHostRow(m *activemon.Monitor, h activemon.Host) amRow {
	st := m.Status(h.Key())
	hours, avail := m.HourStats(h.Key())
	row := amRow{Key: h.Key(), IPAddress: st.IP, Threshold: h.Threshold, AmHost: h.Host,
		Target: amTarget{Name: h.Measurement + "://" + h.Host, Host: h.Host},
		Last:   amLast{Type: h.Measurement, Value: "", Time: st.When, Error: st.Error},
		Metadata: amMetadata{IsAlerted: st.Alerted, Granularity: h.Granularity, Availability: "",
			Unit: activemon.Measurements[h.Measurement].Unit, Reachable: st.Reachable},
		Extra: map[string]any{}}
	if st.When != 0 {
		row.Last.Value = st.Value
	}
	if avail >= 0 {
		row.Metadata.Availability = avail
		// ntopng's colours per hour: 0 no check, 1 all ok, 2 none ok, 3 mixed.
		for _, c := range hours {
			bad := c[1] + c[2]
			switch {
			case c[0]+bad == 0:
				row.HourlyStats = append(row.HourlyStats, 0)
			case bad == 0:
				row.HourlyStats = append(row.HourlyStats, 1)
			case c[0] == 0:
				row.HourlyStats = append(row.HourlyStats, 2)
			default:
				row.HourlyStats = append(row.HourlyStats, 3)
			}
		}
	}
	if row.HourlyStats == nil {
		row.HourlyStats = []int{}
	}
	return row
}
