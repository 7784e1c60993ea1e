package recipients

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"flowgate/alerts"
	"flowgate/internal/testwait"
)

func TestChatBodies(t *testing.T) {
	m := New(Configuration{})
	m.fctx = *testCtx
	evs := []*Event{eventOf(hostAlert(1), "a"), eventOf(flowAlert(), "b")}
	for style, key := range map[string]string{"slack": "text", "mattermost": "text", "discord": "content", "teams": "text"} {
		sp, err := ParseURL("webhook+https://chat.example/hook?style=" + style)
		if err != nil {
			t.Fatal(err)
		}
		e, err := newWebhook(sp, m)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(e.body(evs, formatters[sp.Format]), &body); err != nil {
			t.Fatalf("%s: %v", style, err)
		}
		text, _ := body[key].(string)
		if !strings.Contains(text, "[Threshold Cross][Host][192.168.1.10]") || !strings.Contains(text, "[Flow: 10.0.0.1:40000") {
			t.Errorf("%s body: %v", style, body)
		}
		if style == "teams" && body["@type"] != "MessageCard" {
			t.Errorf("teams card: %v", body)
		}
	}
	if _, err := ParseURL("webhook+https://h/?style=fax"); err != nil {
		t.Fatal(err) // the style is checked by the endpoint
	}
	sp, _ := ParseURL("webhook+https://h/?style=fax")
	if _, err := newWebhook(sp, m); err == nil {
		t.Fatal("unknown style accepted")
	}
}

func TestSavedRecipientsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	m := newTestManager(t, dir)
	if _, err := m.Add("file://" + dir + "/a.jsonl?name=saved"); err != nil {
		t.Fatal(err)
	}
	must(t, m.RegisterQueue("luaq"))
	must(t, m.Enqueue("luaq", []byte(`{"x":1}`)))
	if _, err := m.Add("shell:///bin/true?name=sh"); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	m2 := New(Configuration{DataDir: dir}) // shell not allowed now: skipped with a log line
	must(t, m2.Start())
	defer m2.Stop()
	if _, ok := m2.Get("saved"); !ok {
		t.Fatal("REST recipient lost")
	}
	if s, ok := m2.Get("luaq"); !ok || s.QueueLen != 1 {
		t.Fatalf("Lua queue lost: %+v", s)
	}
	if _, ok := m2.Get("sh"); ok {
		t.Fatal("shell recipient started without AllowShell")
	}
}

func TestShellEndpoint(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/on-alert.sh"
	must(t, os.WriteFile(script, []byte("#!/bin/sh\ncat >> "+dir+"/got.txt\n"), 0o700))
	m := newTestManager(t, dir, "shell://"+script+"?name=sh&format=cef")
	defer m.Stop()
	m.Notify(alerts.Notification{Alert: hostAlert(1)})
	testwait.For(t, "shell delivery", func() bool { s, _ := m.Get("sh"); return s.Sent == 1 })
	b, _ := os.ReadFile(dir + "/got.txt")
	if !strings.HasPrefix(string(b), "CEF:0|ntop|flowgate|") {
		t.Fatalf("script input: %q", b)
	}
	off := New(Configuration{DataDir: t.TempDir()})
	must(t, off.Start())
	defer off.Stop()
	if _, err := off.Add("shell://" + script); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("shell without AllowShell: %v", err)
	}
}
