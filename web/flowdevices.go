package web

import (
	"net/http"
	"net/netip"
	"strconv"
)

// FlowDeviceSource is what the REST API needs of one NetFlow/IPFIX or
// sFlow interface (collectors/flow): its exporters' statistics as JSON
// objects, one per exporter, with an "exporter_ip" key. Functions, so
// this package does not import the collector.
type FlowDeviceSource struct {
	Ifid  int
	SFlow bool
	// Devices returns one JSON object per exporter.
	Devices func() []map[string]any
}

// HandleFlowDevices registers ntopng Pro's flow device statistics for srcs
// (call before Start):
//
//	GET /lua/pro/rest/v2/get/flowdevices/stats.lua?ifid=N          → [exporter stats]  (NetFlow/IPFIX)
//	GET /lua/pro/rest/v2/get/flowdevice/stats.lua?ifid=N&ip=A      → exporter stats
//	GET /lua/pro/rest/v2/get/sflowdevices/stats.lua?ifid=N         → [exporter stats]  (sFlow)
//	GET /lua/pro/rest/v2/get/sflowdevice/stats.lua?ifid=N&ip=A     → exporter stats
//
// The single-device forms take ntopng's ifIdx too; when given, the answer
// carries that interface's name (from the exporter's option data) as
// "ifname".
func (s *Server) HandleFlowDevices(srcs ...FlowDeviceSource) {
	for _, sflow := range []bool{false, true} {
		byIf := map[int]FlowDeviceSource{}
		for _, src := range srcs {
			if src.SFlow == sflow {
				byIf[src.Ifid] = src
			}
		}
		prefix := "/lua/pro/rest/v2/get/flowdevice"
		if sflow {
			prefix = "/lua/pro/rest/v2/get/sflowdevice"
		}
		find := func(w http.ResponseWriter, r *http.Request) (params, FlowDeviceSource, bool) {
			p, err := readParams(r)
			if err != nil {
				writeError(w, 0, errInvalidArgs, err.Error())
				return nil, FlowDeviceSource{}, false
			}
			id, err := strconv.Atoi(p["ifid"])
			src, ok := byIf[id]
			if err != nil || !ok {
				kind := "a NetFlow/IPFIX"
				if sflow {
					kind = "an sFlow"
				}
				writeError(w, 0, errInvalidInterface, "ifid is not "+kind+" interface")
				return nil, FlowDeviceSource{}, false
			}
			return p, src, true
		}
		s.mux.HandleFunc(prefix+"s/stats.lua", func(w http.ResponseWriter, r *http.Request) {
			if _, src, ok := find(w, r); ok {
				writeOK(w, src.Devices())
			}
		})
		s.mux.HandleFunc(prefix+"/stats.lua", func(w http.ResponseWriter, r *http.Request) {
			p, src, ok := find(w, r)
			if !ok {
				return
			}
			a, err := netip.ParseAddr(p["ip"])
			if err != nil {
				writeError(w, 0, errInvalidArgs, "ip: want an IP address")
				return
			}
			ifIdx := p["ifIdx"]
			if ifIdx != "" {
				if _, err := strconv.ParseUint(ifIdx, 10, 32); err != nil {
					writeError(w, 0, errInvalidArgs, "ifIdx: want an interface index")
					return
				}
			}
			for _, d := range src.Devices() {
				if d["exporter_ip"] != a.Unmap().String() {
					continue
				}
				if ifIdx != "" {
					names, _ := d["interface_names"].(map[string]string)
					d["ifIdx"], d["ifname"] = ifIdx, names[ifIdx]
				}
				writeOK(w, d)
				return
			}
			writeError(w, 0, errNotFound, "no such exporter on this interface")
		})
	}
}
