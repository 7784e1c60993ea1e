package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// metrics writes the Prometheus text format. Interface stats come from the
// cheap Snapshot, never from the tables, so scraping does not touch the
// hot path.
func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	WriteEngineMetrics(bw, s)
	for _, m := range s.deps.Metrics {
		m(bw)
	}
}

// metricWriter writes one family at a time.
type metricWriter struct {
	w    io.Writer
	seen map[string]bool
}

func (m *metricWriter) write(name, typ, help string, labels string, v float64) {
	if !m.seen[name] {
		m.seen[name] = true
		fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(m.w, "%s%s %s\n", name, labels, strconv.FormatFloat(v, 'g', -1, 64))
}

// Label renders a Prometheus label pair with its value escaped.
func Label(k, v string) string {
	v = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
	return k + `="` + v + `"`
}

// WriteEngineMetrics writes every interface's counters.
func WriteEngineMetrics(w io.Writer, s *Server) {
	m := &metricWriter{w: w, seen: map[string]bool{}}
	for _, i := range s.deps.Engine.Interfaces() {
		st := i.Snapshot()
		c := i.Collector()
		l := Label("ifid", strconv.Itoa(i.ID())) + "," + Label("ifname", i.Name())
		m.write("flowgate_interface_bytes_total", "counter", "Bytes seen in flows.", l, float64(st.Bytes))
		m.write("flowgate_interface_packets_total", "counter", "Packets seen in flows.", l, float64(st.Packets))
		m.write("flowgate_interface_upload_bytes_total", "counter", "Bytes uploaded (egress).", l, float64(st.BytesUpload))
		m.write("flowgate_interface_download_bytes_total", "counter", "Bytes downloaded (ingress).", l, float64(st.BytesDownload))
		m.write("flowgate_interface_throughput_bps", "gauge", "Throughput, bits per second.", l, st.ThroughputBps)
		m.write("flowgate_interface_flows", "gauge", "Active flows.", l, float64(st.ActiveFlows))
		m.write("flowgate_interface_flows_created_total", "counter", "Flows created.", l, float64(st.TotalFlows))
		m.write("flowgate_interface_flows_expired_total", "counter", "Flows ended by idle timeout.", l, float64(st.FlowsExpired))
		m.write("flowgate_interface_hosts", "gauge", "Active hosts.", l, float64(st.Hosts))
		m.write("flowgate_interface_local_hosts", "gauge", "Active local hosts.", l, float64(st.LocalHosts))
		m.write("flowgate_interface_flow_records_total", "counter", "Flow records accepted.", l, float64(st.FlowRecords))
		for _, d := range []struct {
			reason string
			v      uint64
		}{{"max_flows", st.DropsMaxFlows}, {"max_hosts", st.DropsMaxHosts}, {"ip_mismatch", st.DropsIPMismatch}, {"queue_full", st.DropsQueueFull}} {
			m.write("flowgate_interface_dropped_flow_records_total", "counter", "Flow records dropped, by reason.", l+","+Label("reason", d.reason), float64(d.v))
		}
		m.write("flowgate_zmq_messages_total", "counter", "ZMQ messages received.", l, float64(c.MsgsRcvd.Load()))
		m.write("flowgate_zmq_lost_messages_total", "counter", "ZMQ messages lost per msg_id gaps.", l, float64(c.MsgDrops.Load()))
		for _, t := range []struct {
			topic string
			v     uint64
		}{{"flow", c.Flows.Load()}, {"event", c.Events.Load()}, {"counter", c.Counters.Load()}, {"template", c.Templates.Load()},
			{"option", c.Options.Load()}, {"hello", c.Hello.Load()}, {"listening-ports", c.ListeningPorts.Load()},
			{"snmp-ifaces", c.SNMPIfaces.Load()}, {"other", c.Messages.Load()}} {
			m.write("flowgate_zmq_topic_messages_total", "counter", "ZMQ messages by topic.", l+","+Label("topic", t.topic), float64(t.v))
		}
		errs := c.DecodeErrors()
		reasons := make([]string, 0, len(errs))
		for r := range errs {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			m.write("flowgate_zmq_decode_errors_total", "counter", "Rejected ZMQ messages, by reason.", l+","+Label("reason", r), float64(errs[r]))
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.write("flowgate_go_heap_bytes", "gauge", "Go heap in use.", "", float64(ms.HeapInuse))
	m.write("flowgate_go_goroutines", "gauge", "Goroutines.", "", float64(runtime.NumGoroutine()))
	if rss, ok := residentBytes(); ok {
		m.write("flowgate_resident_memory_bytes", "gauge", "Resident set size.", "", float64(rss))
	}
}

// residentBytes reads the RSS from /proc (Linux).
func residentBytes() (uint64, bool) {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(os.Getpagesize()), true
}
