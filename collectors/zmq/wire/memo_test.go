package wire

import (
	"fmt"
	"strings"
	"testing"
)

// TestKeyMemo: the per-position key memo never changes a decode: keys that
// move between positions, a template that remaps a label between two
// messages, and keys too long to memoize all decode as a fresh decoder does.
func TestKeyMemo(t *testing.T) {
	long := strings.Repeat("K", maxMemoKey+1)
	tests := []struct {
		name     string
		template string // applied to the warm decoder between the two messages
		first    string
		second   string
	}{
		{"same order", "", `[{"IPV4_SRC_ADDR":"10.0.0.1","L4_SRC_PORT":1}]`, `[{"IPV4_SRC_ADDR":"10.0.0.2","L4_SRC_PORT":2}]`},
		{"keys swap positions", "", `[{"IPV4_SRC_ADDR":"10.0.0.1","L4_SRC_PORT":1},{"L4_SRC_PORT":3,"IPV4_SRC_ADDR":"10.0.0.3"}]`,
			`[{"L4_SRC_PORT":2,"8":"10.0.0.2","IPV4_SRC_ADDR":"10.0.0.4"}]`},
		{"numeric and symbolic at one position", "", `[{"8":"10.0.0.1"},{"IPV4_DST_ADDR":"10.0.0.9"}]`, `[{"12":"10.0.0.2"}]`},
		{"template remaps a label", `[{"PEN":0,"field":12,"name":"IPV4_SRC_ADDR"}]`,
			`[{"IPV4_SRC_ADDR":"10.0.0.1"}]`, `[{"IPV4_SRC_ADDR":"10.0.0.2"}]`},
		{"key longer than the memo", "", fmt.Sprintf(`[{%q:1,"7":5}]`, long), fmt.Sprintf(`[{%q:2,"7":6},{%q:3}]`, long, long[:maxMemoKey])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			warm := NewDecoder(Config{})
			if _, err := decodeAll(t, warm, FormatJSON, []byte(tc.first)); err != nil {
				t.Fatal(err)
			}
			fresh := NewDecoder(Config{})
			if tc.template != "" {
				for _, d := range []*Decoder{warm, fresh} {
					if _, _, err := d.Labels().ApplyTemplate([]byte(tc.template)); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := decodeAll(t, warm, FormatJSON, []byte(tc.second))
			want, werr := decodeAll(t, fresh, FormatJSON, []byte(tc.second))
			if err != nil || werr != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Fatalf("warm decoder %+v (%v)\nfresh decoder %+v (%v)", got, err, want, werr)
			}
		})
	}
}
