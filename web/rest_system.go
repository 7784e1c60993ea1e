package web

import (
	"net/http"
	"runtime"
	"time"

	"flowgate/engine"
	"flowgate/engine/ndpi"
)

// Version is what /lua/rest/version.lua and get/system/status.lua report;
// cmd/flowgate sets it from its build version.
var Version = "dev"

// breadthRoutes registers ntopng's REST v2 paths beyond the core lists
// (docs/rest-coverage.md has the table of what is served and what is not).
func (s *Server) breadthRoutes() {
	const v2 = "/lua/rest/v2/"
	for path, h := range map[string]http.HandlerFunc{
		v2 + "connect/test.lua":                 func(w http.ResponseWriter, r *http.Request) { writeOK(w, map[string]any{}) },
		"/lua/rest/version.lua":                 s.getVersion,
		v2 + "get/system/status.lua":            s.getSystemStatus,
		v2 + "get/system/health/interfaces.lua": s.getHealthInterfaces,
		v2 + "get/system/health/redis.lua":      s.getHealthStore,
		v2 + "get/system/health/stats.lua":      s.getHealthStats,
	} {
		s.mux.HandleFunc(path, h)
	}
	s.interfaceRoutes(v2)
	s.hostRoutes(v2)
	s.flowRoutes(v2)
	s.constRoutes(v2)
	s.networkRoutes(v2)
	s.hostPeerRoutes(v2)
	s.deviceRoutes(v2) // rest_devices.go
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	// ntopng's version.lua answers {"version": "..."} (v1 shape, no envelope rc).
	writeOK(w, map[string]any{"version": Version, "ndpi_version": ndpi.Version()})
}

// memStats are the process figures ntopng's status shows (bytes).
func memStats() (resident, total uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Sys - m.HeapReleased, m.Sys
}

func (s *Server) getSystemStatus(w http.ResponseWriter, r *http.Request) {
	used, _ := memStats()
	writeOK(w, map[string]any{
		"license_info": map[string]any{"version": Version, "system_id": "", "license": "", "status": "community"},
		"resources_used": map[string]any{
			"system": map[string]any{
				"cpu": map[string]any{"load": 0.0, "states": map[string]any{
					"iowait_percentage": 0.0, "active_percentage": 0.0, "idle_percentage": 0.0}},
				"ram": map[string]any{"percentage_used": 0.0, "available_bytes": 0, "total_bytes": 0},
			},
			"ntopng": map[string]any{"ram": map[string]any{"bytes_used": used}},
		},
	})
}

// getHealthInterfaces lists each interface allowed to the requester with
// the counters ntopng's health page shows.
func (s *Server) getHealthInterfaces(w http.ResponseWriter, r *http.Request) {
	me := requester(r)
	out := []map[string]any{}
	for _, i := range s.deps.Engine.Interfaces() {
		if !me.AllowsIfname(i.Name()) {
			continue
		}
		var st engine.InterfaceStats
		i.Do(func(t *engine.Tables) { st = *t.Stats() })
		out = append(out, map[string]any{
			"ifid": i.ID(), "ifname": i.Name(), "type": i.Kind(),
			"stats": map[string]any{
				"bytes": st.Bytes, "packets": st.Packets, "drops": st.DroppedFlows,
				"num_flows": st.ActiveFlows, "num_hosts": st.Hosts, "num_local_hosts": st.LocalHosts,
				"throughput_bps": st.ThroughputBps, "throughput_pps": st.ThroughputPps,
			},
		})
	}
	writeOK(w, out)
}

// getHealthStore is redis.lua: the health of the ntop.*Cache store (Redis
// with -r, else the embedded one).
func (s *Server) getHealthStore(w http.ResponseWriter, r *http.Request) {
	kv := s.kvStore()
	health := "green"
	if _, _, err := kv.Get("ntopng.prefs.health_probe"); err != nil {
		health = "red"
	}
	st := kv.Stats()
	// Only counters: the store's path or server address stay private.
	writeOK(w, map[string]any{"health": health, "backend": st["backend"], "dbsize": st["keys"], "ops": st["ops"]})
}

func (s *Server) getHealthStats(w http.ResponseWriter, r *http.Request) {
	used, total := memStats()
	up := time.Duration(0)
	if !s.start.IsZero() {
		up = time.Since(s.start)
	}
	writeOK(w, map[string]any{
		"uptime_secs": int64(up / time.Second), "uptime": formatUptime(up),
		"mem_resident_bytes": used, "mem_total_bytes": total,
		"goroutines": runtime.NumGoroutine(), "num_interfaces": len(s.deps.Engine.Interfaces()),
		"version": Version, "cpu_count": runtime.NumCPU(),
	})
}
