package web

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"flowgate/engine"
)

// Observation points are nProbe's OBSERVATION_POINT_ID (field 300), kept
// on each flow (engine.FlowExtra.ObservationPoint):
//
//	GET  /lua/pro/rest/v2/get/observation_points/stats.lua?ifid=N
//	     [{obs_point, alias, num_flows, bytes, packets}] over the active flows
//	     the requester may see (flows without an id are not counted)
//	GET  /lua/pro/rest/v2/get/observation_points/alias.lua?observation_point_id=N
//	POST /lua/pro/rest/v2/set/observation_points/alias.lua {observation_point_id, alias} (admin; "" removes it)
//
// The alias lives in the cache store under obsPointAliasKey. ntopng's
// delete/observation_point(s)/stats.lua are not served: flowgate keeps no
// per-observation-point counters to reset (the stats are the active flows').

func obsPointAliasKey(id int) string { return "ntopng.observation_points.alias." + strconv.Itoa(id) }

func (s *Server) obsPointRoutes() {
	s.mux.HandleFunc(proV2+"get/observation_points/stats.lua", s.getObsPointStats)
	s.mux.HandleFunc(proV2+"get/observation_points/alias.lua", s.getObsPointAlias)
	s.mux.HandleFunc(proV2+"set/observation_points/alias.lua", s.setObsPointAlias)
}

// obsPointID reads observation_point_id: an integer 0..65535.
func obsPointID(p params) (int, error) {
	v := p["observation_point_id"]
	id, err := strconv.Atoi(v)
	if err != nil || id < 0 || id > 0xffff {
		return 0, fmt.Errorf("bad observation_point_id %q (0 to 65535)", v)
	}
	return id, nil
}

// obsPointAlias is the alias of id, or the id itself when it has none (as
// ntopng shows an observation point without alias).
func (s *Server) obsPointAlias(id int) string {
	if a, ok, err := s.kvStore().Get(obsPointAliasKey(id)); err == nil && ok && a != "" {
		return a
	}
	return strconv.Itoa(id)
}

func (s *Server) getObsPointStats(w http.ResponseWriter, r *http.Request) {
	_, i, ff, ok := s.flowsRequest(w, r)
	if !ok {
		return
	}
	type agg struct{ flows, bytes, pkts uint64 }
	by := map[int]*agg{}
	i.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			x := f.Extra()
			if x == nil || x.ObservationPoint == 0 || !ff.match(t, f) {
				return true
			}
			a := by[int(x.ObservationPoint)]
			if a == nil {
				a = &agg{}
				by[int(x.ObservationPoint)] = a
			}
			a.flows++
			a.bytes += f.Bytes()
			a.pkts += f.Packets()
			return true
		})
	})
	out := make([]map[string]any, 0, len(by))
	for id, a := range by {
		out = append(out, map[string]any{"obs_point": id, "alias": s.obsPointAlias(id),
			"num_flows": a.flows, "bytes": a.bytes, "packets": a.pkts})
	}
	sort.Slice(out, func(a, b int) bool { return out[a]["obs_point"].(int) < out[b]["obs_point"].(int) })
	writeOK(w, out)
}

func (s *Server) getObsPointAlias(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	id, err := obsPointID(p)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	writeOK(w, map[string]any{"observation_point_id": id, "alias": s.obsPointAlias(id)})
}

func (s *Server) setObsPointAlias(w http.ResponseWriter, r *http.Request) {
	if !s.adminOnly(w, r) || !isPost(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	id, err := obsPointID(p)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	alias, err := readAlias(p, "alias") // the interface alias's check
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if alias == "" {
		err = s.kvStore().Del(obsPointAliasKey(id))
	} else {
		err = s.kvStore().Set(obsPointAliasKey(id), alias, 0)
	}
	if err != nil {
		s.deps.Logger.Warn("observation point alias not stored", "id", id, "err", err)
		writeError(w, 0, errInternal, "the alias cannot be stored")
		return
	}
	writeOK(w, map[string]any{"observation_point_id": id, "alias": s.obsPointAlias(id)})
}
