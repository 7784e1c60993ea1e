package api

import (
	"testing"

	"flowgate/alerts"
)

// TestReloadAlertExclusions: a script writes ntopng's exclusions document
// to the cache and reloads; the store then drops the excluded host alert
// (counted), keeps others, and a malformed document keeps the previous
// exclusions and answers false with the reason.
func TestReloadAlertExclusions(t *testing.T) {
	e := newEnv(t, Deps{Logger: quietLog()})
	hostAlert := func(ip string) alerts.Alert {
		return alerts.Alert{Entity: alerts.EntityHost, EntityVal: ip + "@0", Type: 49, Severity: alerts.SeverityError}
	}
	if !e.store.Trigger(hostAlert("192.168.1.9")) {
		t.Fatal("without exclusions the alert engages")
	}
	set := func(doc string) {
		t.Helper()
		if err := e.L.DoString(`ntop.setCache("ntopng.prefs.alert_exclusions", '` + doc + `')`); err != nil {
			t.Fatal(err)
		}
	}
	set(`{"1": {"49": {"excluded_hosts": {"192.168.1.10": {}}}}}`)
	if got := eval(e.L, `ntop.reloadAlertExclusions()`); got != "true" {
		t.Fatalf("reload = %s", got)
	}
	if e.store.Trigger(hostAlert("192.168.1.10")) || e.store.Counters().Excluded != 1 {
		t.Fatalf("the excluded host's alert engaged (excluded = %d)", e.store.Counters().Excluded)
	}
	if !e.store.Trigger(hostAlert("192.168.1.11")) {
		t.Fatal("another host's alert must engage")
	}
	set(`{"1": {"49": `)
	if got := eval(e.L, `select(2, ntop.reloadAlertExclusions())`); !contains(got, "alert exclusions:") {
		t.Fatalf("malformed document: %s", got)
	}
	if e.store.Trigger(hostAlert("192.168.1.10")) {
		t.Fatal("a malformed document must keep the previous exclusions")
	}
	// No cache entry: no exclusions.
	if err := e.L.DoString(`ntop.delCache("ntopng.prefs.alert_exclusions")`); err != nil {
		t.Fatal(err)
	}
	if got := eval(e.L, `ntop.reloadAlertExclusions()`); got != "true" {
		t.Fatalf("reload without a document = %s", got)
	}
	if !e.store.Trigger(hostAlert("192.168.1.10")) {
		t.Fatal("without a document nothing is excluded")
	}
}
