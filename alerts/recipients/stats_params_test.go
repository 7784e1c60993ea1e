package recipients

import (
	"path/filepath"
	"testing"
)

// TestStatsParams: a named endpoint's recipient shows its own keys as
// given (an edit form starts from them); a URL recipient has none.
func TestStatsParams(t *testing.T) {
	dir := t.TempDir()
	m := newTestManager(t, dir)
	t.Cleanup(m.Stop)
	if _, err := m.AddEndpoint(EndpointConfig{Name: "f", Type: "file", Params: map[string]string{"path": filepath.Join(dir, "a.jsonl")}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"min_severity": "warning", "categories": "security,network", "batch": "10"}
	if _, err := m.AddRecipient(RecipientConfig{Name: "r", Endpoint: "f", Params: want}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add("file://" + filepath.Join(dir, "b.jsonl") + "?name=u"); err != nil {
		t.Fatal(err)
	}
	st, _ := m.Get("r")
	if len(st.Params) != len(want) {
		t.Fatalf("params %v, want %v", st.Params, want)
	}
	for k, v := range want {
		if st.Params[k] != v {
			t.Errorf("params[%s] = %q, want %q", k, st.Params[k], v)
		}
	}
	want["batch"] = "99" // a copy: the caller cannot change the recipient
	if st2, _ := m.Get("r"); st2.Params["batch"] != "10" {
		t.Errorf("stats share the recipient's params: %v", st2.Params)
	}
	st.Params["batch"] = "77"
	if st3, _ := m.Get("r"); st3.Params["batch"] != "10" {
		t.Errorf("stats share the recipient's params: %v", st3.Params)
	}
	if u, _ := m.Get("u"); u.Params != nil {
		t.Errorf("a URL recipient shows params %v", u.Params)
	}
}
