package recipients

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"flowgate/alerts"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>" keyed by
// the recipient's secret=.
const SignatureHeader = "X-Flowgate-Signature"

// webhookEndpoint POSTs batches: ntopng's 0.2 body
// {"version":"0.2","alerts":[...]} (the shared secret is not put in the
// body, unlike ntopng: the signature header proves it instead), or a
// chat-shaped body for style=slack, discord, mattermost or teams.
type webhookEndpoint struct {
	sp      *Spec
	target  string
	secret  []byte
	style   string
	user    string
	pass    string
	channel string
	client  *http.Client
	m       *Manager
}

var webhookStyles = []string{"ntopng", "slack", "discord", "mattermost", "teams"}

func newWebhook(sp *Spec, m *Manager) (*webhookEndpoint, error) {
	u := *sp.URL
	u.Scheme = sp.Transport
	q := url.Values{}
	u.RawQuery = q.Encode()
	u.User = nil
	e := &webhookEndpoint{sp: sp, target: u.String(), secret: []byte(sp.Params.Get("secret")),
		style: sp.Params.Get("style"), user: sp.Params.Get("username"), pass: sp.Params.Get("password"),
		channel: sp.Params.Get("channel"), m: m}
	if sp.URL.User != nil {
		e.user = sp.URL.User.Username()
		e.pass, _ = sp.URL.User.Password()
	}
	if e.style == "" {
		e.style = "ntopng"
	}
	if indexOf(webhookStyles, e.style) < 0 {
		return nil, fmt.Errorf("recipient %s: style %q: want %s", sp.Name, e.style, strings.Join(webhookStyles, ", "))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if sp.Transport == "https" {
		c, err := tlsConfig(sp, u.Hostname())
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = c
	}
	e.client = &http.Client{Transport: tr, Timeout: sp.duration("timeout", 5*time.Second)}
	return e, nil
}

func (e *webhookEndpoint) batch() int {
	if e.style == "ntopng" {
		return 500
	}
	return 5 // chat services show a handful of alerts per message
}
func (e *webhookEndpoint) linger() time.Duration { return 0 }

func (e *webhookEndpoint) body(batch []*Event, f formatter) []byte {
	var b []byte
	if e.style == "ntopng" {
		b = append(b, `{"version":"0.2","alerts":[`...)
		for i, ev := range batch {
			if i > 0 {
				b = append(b, ',')
			}
			switch e.sp.Format {
			case "json", "ecs":
				b = f(b, ev, &e.m.fctx)
			default:
				b = alerts.AppendString(b, string(f(nil, ev, &e.m.fctx)))
			}
		}
		return append(b, "]}"...)
	}
	var lines []string
	for _, ev := range batch {
		var l []byte
		if d := ev.Doc(); d != nil {
			l = appendPlain(l, d, &e.m.fctx, true)
		} else {
			l = append(l, ev.JSON...)
		}
		lines = append(lines, string(l))
	}
	text := strings.Join(lines, "\n")
	switch e.style {
	case "discord":
		if len(text) > 2000 { // Discord refuses longer content
			text = text[:1997] + "..."
		}
		b = append(b, `{"username":"flowgate","content":`...)
		b = alerts.AppendString(b, text)
	case "teams":
		b = append(b, `{"@type":"MessageCard","@context":"https://schema.org/extensions","summary":`...)
		b = alerts.AppendString(b, fmt.Sprintf("flowgate: %d alert(s)", len(batch)))
		b = append(b, `,"title":`...)
		b = alerts.AppendString(b, fmt.Sprintf("flowgate: %d alert(s)", len(batch)))
		b = append(b, `,"text":`...)
		b = alerts.AppendString(b, strings.Join(lines, "\n\n"))
	default: // slack, mattermost
		b = append(b, `{"username":"flowgate","text":`...)
		b = alerts.AppendString(b, text)
		if e.channel != "" {
			b = append(b, `,"channel":`...)
			b = alerts.AppendString(b, e.channel)
		}
	}
	return append(b, '}')
}

// Sign is the signature header value of body for secret.
func Sign(secret, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

func (e *webhookEndpoint) send(ctx context.Context, batch []*Event, f formatter) error {
	body := e.body(batch, f)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.target, bytes.NewReader(body))
	if err != nil {
		return &permanentError{fmt.Errorf("webhook %s: %w", e.target, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", e.m.cfg.App+"/"+e.m.cfg.Version)
	req.Header.Set("X-Flowgate-Event-Ids", batch[0].ID+".."+batch[len(batch)-1].ID)
	req.Header.Set("X-Flowgate-Event-Count", strconv.Itoa(len(batch)))
	if len(e.secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(e.secret, body))
	}
	if e.user != "" {
		req.SetBasicAuth(e.user, e.pass)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", e.target, err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook %s: %s: %s", e.target, resp.Status, strings.TrimSpace(string(msg)))
	default:
		return &permanentError{fmt.Errorf("webhook %s: %s: %s", e.target, resp.Status, strings.TrimSpace(string(msg)))}
	}
}

func (e *webhookEndpoint) close() error {
	e.client.CloseIdleConnections()
	return nil
}
