package sqlitestore

import (
	"context"
	"reflect"
	"testing"

	"flowgate/alerts"
)

// amAlert is an am_host alert as activemon raises it (its JSON keys).
func amAlert(id uint64, key, js string) alerts.Alert {
	return alerts.Alert{ID: id, IfID: -1, Type: 30, Severity: alerts.SeverityWarning, Entity: alerts.EntityAMHost,
		EntityVal: key, Granularity: 60, Tstamp: 1000 + int64(id), TstampEnd: 1060 + int64(id), JSON: js,
		Action: alerts.ActionRelease, Script: "active_monitoring", Subdir: "system"}
}

// active_monitoring_alerts' own columns come from the alert's JSON as
// ntopng's am_alert_store fills them, and their filters select the same
// alerts from the file (historical) and from memory (engaged), the REAL
// measure_value included.
func TestActiveMonitoringColumns(t *testing.T) {
	d := open(t, Configuration{})
	as := []alerts.Alert{
		amAlert(1, "http@example.org/health", `{"host":"example.org/health","measurement":"http","ip":"192.0.2.7","operator":"gt","unit":"ms","threshold":100,"value":120.5,"unreachable":false,"granularity":"min"}`),
		amAlert(2, "icmp@192.0.2.1", `{"host":"192.0.2.1","measurement":"icmp","ip":"192.0.2.1","operator":"gt","unit":"ms","threshold":0,"value":0,"unreachable":true,"error":"no echo reply"}`),
		amAlert(3, "tcp@192.0.2.2:80", `{"host":"192.0.2.2:80","measurement":"tcp","ip":"192.0.2.2","threshold":50,"value":50.25}`),
		amAlert(4, "icmp@192.0.2.9", `not json`), // a foreign alert: the key stays the name
	}
	for _, a := range as {
		d.Append(a)
	}
	flush(t, d)
	rows, err := d.Select(context.Background(), `SELECT rowid, resolved_ip, resolved_name, measurement, measure_threshold, measure_value
		FROM active_monitoring_alerts ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"rowid": int64(1), "resolved_ip": "192.0.2.7", "resolved_name": "example.org/health", "measurement": "http", "measure_threshold": int64(100), "measure_value": 120.5},
		{"rowid": int64(2), "resolved_ip": "192.0.2.1", "resolved_name": "192.0.2.1", "measurement": "icmp", "measure_threshold": int64(0), "measure_value": 0.0},
		{"rowid": int64(3), "resolved_ip": "192.0.2.2", "resolved_name": "192.0.2.2:80", "measurement": "tcp", "measure_threshold": int64(50), "measure_value": 50.25},
		{"rowid": int64(4), "resolved_ip": nil, "resolved_name": "icmp@192.0.2.9", "measurement": nil, "measure_threshold": int64(0), "measure_value": 0.0},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("active_monitoring_alerts rows\n%v\nwant\n%v", rows, want)
	}

	cases := []struct {
		field, filter string
		want          []uint64
	}{
		{"measurement", "http;eq", []uint64{1}},
		{"measurement", "icmp;neq", []uint64{1, 3}}, // NULL is neither equal nor unequal
		{"measure_value", "50;gt", []uint64{1, 3}},  // 50.25 > 50 on REAL, in SQL and in memory
		{"measure_value", "50;lte", []uint64{2, 4}},
		{"measure_threshold", "100;gte", []uint64{1}},
		{"resolved_ip", "192.0.2;in", []uint64{1, 2, 3}},
		{"resolved_name", "192.0.2.2:80;eq", []uint64{3}},
	}
	for _, c := range cases {
		fs, err := ParseFilters(c.field, c.filter)
		if err != nil {
			t.Fatalf("%s=%s: %v", c.field, c.filter, err)
		}
		q := ListQuery{Family: FamilyAMHost, Filters: fs, Length: 100}
		hist, _, err := d.List(context.Background(), q, nil)
		if err != nil {
			t.Fatalf("%s=%s: %v", c.field, c.filter, err)
		}
		q.Status = StatusEngaged
		eng, _, err := d.List(context.Background(), q, as)
		if err != nil {
			t.Fatalf("%s=%s engaged: %v", c.field, c.filter, err)
		}
		if !reflect.DeepEqual(ids(hist), c.want) || !reflect.DeepEqual(ids(eng), c.want) {
			t.Errorf("%s=%s: historical %v, engaged %v, want %v", c.field, c.filter, ids(hist), ids(eng), c.want)
		}
	}
}
