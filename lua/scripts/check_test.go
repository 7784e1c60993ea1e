package scripts

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		problems int
		want     []string
	}{
		{"testdata/check_good", 0, []string{"on_protocolDetected.lua [flow/on_protocolDetected]: ok"}},
		{"testdata/check_bad", 4, []string{
			"syntax.lua:3", "nohooks.lua: no valid hook", "note: custom keys", // (note not counted)
			"missing.lua:3: ntop.noSuchFunction is not provided by flowgate",
			`unknown hook "sometimes"`,
		}},
	} {
		var out strings.Builder
		n, err := Check(tc.dir, &out)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.problems {
			t.Errorf("%s: %d problems, want %d\n%s", tc.dir, n, tc.problems, out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q\n%s", tc.dir, w, out.String())
			}
		}
	}
	if _, err := Check("testdata/does_not_exist", &strings.Builder{}); err == nil {
		t.Error("missing dir: no error")
	}
}
