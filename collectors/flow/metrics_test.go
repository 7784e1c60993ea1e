package flow

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"flowgate/internal/testpeer"
)

// TestMetricsDocumented: after traffic with an error, every flowgate_flow_*
// family passes `promtool check metrics` and is listed in docs/metrics.md.
func TestMetricsDocumented(t *testing.T) {
	promtool := testpeer.Command(t, "promtool", "prometheus")
	reg := prometheus.NewPedanticRegistry()
	r := startRig(t, "127.0.0.1:0", "", reg)
	defer r.stop()
	d := r.c.workers[0].dec
	b := r.iface.NewBatch()
	_ = d.Decode(v5packet(0, 1, 1, 0, v5rec{src: "1.1.1.1", dst: "2.2.2.2"}), exp, false, b)
	_ = d.Decode([]byte{0, 7}, exp, false, b)
	r.iface.Recycle(b)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&text, mf); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text.Bytes())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s\n%s", err, out, text.String())
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		n++
		if !strings.Contains(string(doc), "| `"+mf.GetName()+"` |") {
			t.Errorf("docs/metrics.md does not list %s", mf.GetName())
		}
	}
	if n < 11 || !strings.Contains(text.String(), `reason="unknown_version"`) {
		t.Errorf("%d families:\n%s", n, text.String())
	}
}
