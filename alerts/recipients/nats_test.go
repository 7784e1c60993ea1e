package recipients

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// TestNATSJetStream publishes to a real nats-server with JetStream; a
// redelivered batch (same event ids) is dropped by the stream's duplicate
// window, so the stream holds each alert once.
func TestNATSJetStream(t *testing.T) {
	bin := testpeer.Command(t, "nats-server", "nats-server")
	dir := t.TempDir()
	port := freePort(t)
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Log("nats-server: " + stderr.String())
		}
	}()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	m := newTestManager(t, t.TempDir(), "nats://"+addr+"/alerts.flowgate?stream=ALERTS&name=js&format=ecs",
		"nats://"+addr+"/nobody.listens?name=nostream")
	defer m.Stop()
	const n = 40
	for i := 0; i < n; i++ {
		m.Notify(alerts.Notification{Alert: hostAlert(i)})
	}
	// nats-server may still be starting: the worker retries until it is up.
	testwait.Until(t, 30*time.Second, "JetStream acks", func() bool { s, _ := m.Get("js"); return s.Sent == n })
	testwait.For(t, "no-stream error", func() bool {
		s, _ := m.Get("nostream")
		return strings.Contains(s.LastError, "no JetStream stream")
	})

	sp, _ := ParseURL("nats://" + addr + "/alerts.flowgate")
	c, err := dialNATS(context.Background(), addr, nil, sp, 5*time.Second)
	must(t, err)
	defer c.close()
	// Redeliver the first 10 alerts with their original ids, as a restart would.
	var ids []string
	var payloads [][]byte
	for i := 1; i <= 10; i++ {
		msg := streamMsg(t, c, uint64(i))
		var doc map[string]any
		must(t, json.Unmarshal(msg, &doc))
		ev := doc["event"].(map[string]any)
		ids = append(ids, ev["id"].(string))
		payloads = append(payloads, msg)
	}
	must(t, c.publish("alerts.flowgate", ids, payloads))
	body, err := c.request("$JS.API.STREAM.INFO.ALERTS", nil)
	must(t, err)
	var info struct {
		State struct {
			Msgs uint64 `json:"messages"`
		} `json:"state"`
	}
	must(t, json.Unmarshal(body, &info))
	if info.State.Msgs != n {
		t.Fatalf("stream holds %d messages, want %d (duplicates must be dropped)", info.State.Msgs, n)
	}
}

// streamMsg reads message seq of stream ALERTS through the JetStream API.
func streamMsg(t *testing.T, c *natsConn, seq uint64) []byte {
	t.Helper()
	body, err := c.request("$JS.API.STREAM.MSG.GET.ALERTS", []byte(`{"seq":`+strconv.FormatUint(seq, 10)+`}`))
	must(t, err)
	var r struct {
		Message struct {
			Data string `json:"data"`
		} `json:"message"`
	}
	must(t, json.Unmarshal(body, &r))
	b, err := base64.StdEncoding.DecodeString(r.Message.Data)
	must(t, err)
	return b
}
