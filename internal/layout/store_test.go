package layout

import (
	"strings"
	"testing"
)

// store is the bottom of the picture: every component persists through
// it, so it imports nothing of flowgate but internal/ (and store/kv builds
// on store itself).
func TestStoreImportsOnlyInternal(t *testing.T) {
	checked := 0
	for _, p := range list(t) {
		if p.ImportPath != "flowgate/store" && !strings.HasPrefix(p.ImportPath, "flowgate/store/") {
			continue
		}
		checked++
		for _, d := range p.Deps {
			if d != "flowgate" && !strings.HasPrefix(d, "flowgate/") {
				continue // not flowgate's
			}
			if d == "flowgate/store" || strings.HasPrefix(d, "flowgate/store/") || strings.HasPrefix(d, "flowgate/internal/") {
				continue
			}
			t.Errorf("%s depends on %s", p.ImportPath, d)
		}
	}
	if checked < 2 {
		t.Fatalf("found %d store packages, want store and store/kv at least", checked)
	}
}
