package activemon

import (
	"testing"

	"flowgate/history"
)

// Every granularity a host may have has its three am_host schemas in the
// time-series registry, at the granularity's step, with ntopng's tags.
func TestSchemasRegistered(t *testing.T) {
	for _, g := range granularities {
		for _, name := range []string{"am_host:val_", "am_host:http_stats_", "am_host:https_stats_"} {
			sc := history.Lookup(name + g)
			if sc == nil {
				t.Errorf("%s%s not registered", name, g)
				continue
			}
			if sc.Step != int64(GranularitySeconds(g)) || sc.Type != history.Gauge || len(sc.Tags) != 3 ||
				sc.Tags[0] != "ifid" || sc.Tags[1] != "host" || sc.Tags[2] != "metric" {
				t.Errorf("%s: step %d, type %v, tags %v", sc.Name, sc.Step, sc.Type, sc.Tags)
			}
		}
	}
}
