package main

import (
	"strings"
	"testing"
)

// TestFlowExportOptions: -F and --kafka take ntopng's forms and refuse bad
// ones before anything starts, without echoing the password.
func TestFlowExportOptions(t *testing.T) {
	for _, c := range []struct {
		args      []string
		ch, kafka string
		err       string
	}{
		{args: []string{"-F", "clickhouse;127.0.0.1@9000;ntopng;default;s3cret"}, ch: "clickhouse;127.0.0.1@9000;ntopng;default;s3cret"},
		{args: []string{"--dump-flows", "clickhouse"}, ch: "clickhouse"},
		{args: []string{"--kafka", "k1:9092,k2:9092;flows"}, kafka: "k1:9092,k2:9092;flows"},
		{args: []string{"-F", "clickhouse;h@99999;db;u;s3cret"}, err: "bad port"},
		{args: []string{"-F", "clickhouse;h;db;u;s3cret;extra"}, err: "want clickhouse;"},
		{args: []string{"-F", "es;http://h:9200"}, err: "not a clickhouse spec"},
		{args: []string{"--kafka", "k1:9092"}, err: "want broker"},
	} {
		o, err := parseArgs(c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%v: error %v, want %q without the password", c.args, err, c.err)
			}
			continue
		}
		if err != nil || o.ClickHouse != c.ch || o.Kafka != c.kafka {
			t.Errorf("%v: %q %q %v", c.args, o.ClickHouse, o.Kafka, err)
		}
	}
}
