package kafka

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"flowgate/flowexport"
	"flowgate/internal/testwait"
)

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		spec    string
		brokers []string
		topic   string
		err     string
	}{
		{spec: "127.0.0.1:9092;flows", brokers: []string{"127.0.0.1:9092"}, topic: "flows"},
		{spec: "a:9092, b:9092;ntopng.flows-1", brokers: []string{"a:9092", "b:9092"}, topic: "ntopng.flows-1"},
		{spec: "a:9092", err: "want broker"},
		{spec: ";flows", err: "no broker"},
		{spec: "a:9092;", err: "topic"},
		{spec: "a:9092;bad topic", err: "topic"},
	} {
		b, topic, err := ParseSpec(c.spec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || topic != c.topic || strings.Join(b, "|") != strings.Join(c.brokers, "|") {
			t.Errorf("%q: %v %q %v", c.spec, b, topic, err)
		}
	}
}

func rows(n int) []flowexport.Row {
	out := make([]flowexport.Row, n)
	for i := range out {
		r := &out[i]
		r.FlowID, r.IPVersion, r.Protocol = uint64(i+1), 4, 6
		r.Src = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).As16()
		r.Dst = netip.MustParseAddr("192.0.2.1").As16()
		r.SrcPort, r.DstPort, r.SrcBytes, r.DstBytes, r.SrcPkts, r.DstPkts = uint16(1000+i), 443, 10, 20, 1, 2
		r.FirstSeen, r.LastSeen, r.Instance, r.Info = 1700000000, 1700000005, "site-b", "a \"quoted\" name\n"
		if i%2 == 1 {
			r.IPVersion = 6
			r.Src = netip.MustParseAddr("2001:db8::1").As16()
			r.Dst = netip.MustParseAddr("2001:db8::2").As16()
		}
	}
	return out
}

// TestFlowsOnTheBus publishes rows to franz-go's in-process cluster and
// reads them back: one JSON message per flow, the ClickHouse row's fields.
func TestFlowsOnTheBus(t *testing.T) {
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "flows", "alerts"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cfg := DefaultConfiguration()
	cfg.Brokers, cfg.Topic, cfg.Metrics = cl.ListenAddrs(), "flows", prometheus.NewRegistry()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	const n = 200
	in := rows(n)
	for i := range in {
		if !p.Offer(&in[i]) {
			t.Fatal("offer refused")
		}
	}
	// ntop.sendKafkaMessage's path: any topic, bad ones refused and counted.
	if err := p.SendMessage("alerts", []byte(`{"alert":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := p.SendMessage("bad topic", []byte("x")); err == nil {
		t.Fatal("bad topic accepted")
	}
	testwait.ForState(t, "every message acknowledged", func() (any, bool) { c := p.Counters(); return c, c.Delivered == n+1 })
	if c := p.Counters(); c.ScriptMessages != 1 || c.ScriptDrops != 1 {
		t.Fatalf("script counters %+v", c)
	}
	p.Stop()
	if err := p.SendMessage("alerts", []byte("late")); err == nil {
		t.Fatal("message accepted after stop")
	}

	c, err := kgo.NewClient(kgo.SeedBrokers(cl.ListenAddrs()...), kgo.ConsumeTopics("flows", "alerts"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []map[string]any
	var alerts []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for (len(got) < n || len(alerts) == 0) && ctx.Err() == nil {
		fs := c.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			if r.Topic == "alerts" {
				alerts = append(alerts, string(r.Value))
				return
			}
			var m map[string]any
			if err := json.Unmarshal(r.Value, &m); err != nil {
				t.Fatalf("message %q: %v", r.Value, err)
			}
			got = append(got, m)
		})
	}
	if len(got) != n || len(alerts) != 1 || alerts[0] != `{"alert":1}` {
		t.Fatalf("%d flow messages, want %d; script messages %q", len(got), n, alerts)
	}
	for i, m := range got {
		want := &in[i]
		src, dst := "IPV4_SRC_ADDR", "IPV4_DST_ADDR"
		if want.IPVersion == 6 {
			src, dst = "IPV6_SRC_ADDR", "IPV6_DST_ADDR"
		}
		if m["FLOW_ID"] != float64(want.FlowID) || m[src] != flowexport.AddrString(&want.Src) || m[dst] != flowexport.AddrString(&want.Dst) ||
			m["IP_SRC_PORT"] != float64(want.SrcPort) || m["TOTAL_BYTES"] != float64(30) || m["PACKETS"] != float64(3) ||
			m["SRC2DST_PACKETS"] != float64(1) || m["INFO"] != want.Info || m["NTOPNG_INSTANCE_NAME"] != "site-b" ||
			m["IP_PROTOCOL_VERSION"] != float64(want.IPVersion) || m["LAST_SEEN"] != float64(1700000005) {
			t.Fatalf("message %d: %v, want row %+v", i, m, want)
		}
		// Every ClickHouse column but the other address family's is there.
		for _, col := range flowexport.Columns {
			if _, ok := m[col.Name]; !ok && !strings.HasPrefix(col.Name, "IPV") {
				t.Fatalf("message %d lacks %s", i, col.Name)
			}
		}
	}
}

// TestBufferBound: with no broker reachable, rows beyond the buffer are
// dropped and counted; Offer never blocks.
func TestBufferBound(t *testing.T) {
	cfg := DefaultConfiguration()
	cfg.Brokers, cfg.Topic, cfg.BufferRows, cfg.FlushTimeout = []string{"127.0.0.1:1"}, "flows", 10, 100*time.Millisecond
	cfg.Metrics = prometheus.NewRegistry()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	in := rows(100)
	accepted := 0
	for i := range in {
		if p.Offer(&in[i]) {
			accepted++
		}
	}
	p.Stop()
	c := p.Counters()
	if c.Queued != uint64(accepted) || c.BufferDrops != uint64(100-accepted) || c.BufferDrops == 0 || c.Delivered != 0 {
		t.Fatalf("counters %+v, accepted %d: want the overflow dropped and counted", c, accepted)
	}
	if c.Errors != c.Queued {
		t.Fatalf("counters %+v: every queued message should fail for good at stop, counted", c)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for _, cfg := range []Configuration{{Topic: "x", BufferRows: 1}, {Brokers: []string{"a:1"}, Topic: "bad topic", BufferRows: 1}, {Brokers: []string{"a:1"}, Topic: "x"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
