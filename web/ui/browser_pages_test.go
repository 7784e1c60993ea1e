package ui

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"flowgate/snmp/snmptest"
)

// TestBrowser's steps for the interfaces' kinds, the syslog producers, the
// networks, a host's peers and the styled login (with its TOTP step).

// browseInterfaceKinds: each interface shows its kind; the syslog one its
// producers, linking to #/syslog; the trap receiver its traps.
func browseInterfaceKinds(t *testing.T, ctx context.Context) {
	hashNav(t, ctx, "#/interfaces")
	run(t, ctx, "interface kinds", chromedp.WaitVisible(chromedp.CSS(`#interfaces-table tr[data-kind=syslog] a.syslog-link`)))
	zmq := text(t, ctx, `#interfaces-table tr[data-kind=zmq]`)
	sys := text(t, ctx, `#interfaces-table tr[data-kind=syslog]`)
	if !strings.Contains(zmq, "ZMQ") || !strings.Contains(zmq, "1 probe,") {
		t.Errorf("the ZMQ interface row %q lacks its kind and probe", zmq)
	}
	if !strings.Contains(sys, "Syslog") || !strings.Contains(sys, "2 producers, 7 messages (") || !strings.Contains(sys, "msg/s since start), 1 malformed") {
		t.Errorf("the syslog interface row %q lacks its kind, producers and bad lines", sys)
	}
	if tr := text(t, ctx, `#interfaces-table tr[data-kind=snmptrap]`); !strings.Contains(tr, "SNMP traps") || !strings.Contains(tr, "1 trap from 1 source, 0 decode errors") {
		t.Errorf("the trap receiver's row %q lacks its kind and counters", tr)
	}
	run(t, ctx, "to the syslog page",
		chromedp.Click(chromedp.CSS(`#interfaces-table a.syslog-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#syslog-producers-1 tbody tr[data-producer=fwlog]`)))
}

// browseSyslog: the producers with their handler, messages, rate and
// errors, the producer map and the bad lines; names carrying markup are
// text.
func browseSyslog(t *testing.T, ctx context.Context) {
	hashNav(t, ctx, "#/syslog")
	run(t, ctx, "syslog", chromedp.WaitVisible(chromedp.CSS(`#syslog-producers-1 tbody tr[data-producer=fwlog]`)))
	cells := func(producer string) []string {
		return val(t, ctx, "row "+producer, chromedp.Evaluate[[]string](`[...[...document.querySelectorAll('#syslog-producers-1 tbody tr')]
			.find((r) => r.dataset.producer === `+jsString(producer)+`).cells].map((c) => c.textContent)`))
	}
	// Producer, Handler, Messages, Rate, Handled, Errors, Dropped, Malformed, Last error.
	fw := cells("fwlog")
	if fw[1] != "fwlog.lua" || fw[2] != "4" || fw[4] != "3" || fw[5] != "1" || !strings.Contains(fw[8], "boom") {
		t.Errorf("fwlog row %q: want handler fwlog.lua, 4 messages, 3 handled, 1 error (boom)", fw)
	}
	x := cells(syslogXSS)
	if x[0] != syslogXSS || x[1] != "none" || x[2] != "2" {
		t.Errorf("the markup-named producer's row %q: want its name as text, no handler, 2 messages", x)
	}
	if m := text(t, ctx, `#syslog-map-1 tbody`); !strings.Contains(m, `<img src=x onerror=`) || !strings.Contains(m, "fw1") {
		t.Errorf("producer map %q lacks fw1 and the markup-named device as text", m)
	}
	if v := text(t, ctx, `#syslog-totals-1 dd[data-key="Malformed lines"]`); v != "1" {
		t.Errorf("malformed lines %q, want 1", v)
	}
	// The rate is the change between two refreshes (3 s apart): none came.
	waitJS(t, ctx, "rate", `[...document.querySelectorAll('#syslog-producers-1 tbody tr[data-producer=fwlog] td')][3].textContent === '0.0 msg/s'`)
	noInjected(t, ctx)
	shot(t, ctx, "syslog")
}

// browseNetworks: the local network with its hosts and traffic, sorted
// in the page, linking to its hosts and to its subnet:traffic chart.
func browseNetworks(t *testing.T, ctx context.Context, base string) {
	run(t, ctx, "networks",
		chromedp.Navigate(base+"/#/networks"),
		chromedp.WaitVisible(chromedp.CSS(`#networks-table tbody a`)))
	row := val(t, ctx, "network row", chromedp.Evaluate[[]string](`[...document.querySelector('#networks-table tbody tr').cells].map((c) => c.textContent)`))
	// Network, Hosts, Ingress, Egress, Inner, Traffic, Throughput, Chart.
	if row[0] != "10.1.0.0/16" || row[1] != "4" || row[2] == "0 B" || row[3] == "0 B" || row[5] == "0 B" {
		t.Errorf("network row %q: want 10.1.0.0/16, 4 hosts, traffic in and out", row)
	}
	run(t, ctx, "sort by hosts",
		chromedp.Click(chromedp.CSS(`#networks-table th[data-sort=hosts] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#networks-table th[data-sort=hosts][aria-sort=descending]`)))
	if loc := val(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "sort=hosts") {
		t.Errorf("URL %s does not keep the sort", loc)
	}
	run(t, ctx, "chart",
		chromedp.Click(chromedp.Search(`//*[@id='networks-table']//a[text()='Chart']`)),
		chromedp.WaitVisible(chromedp.CSS(`#net-chart canvas`)))
	waitJS(t, ctx, "ingress, egress, inner", `document.getElementById('net-chart').dataset.series === '3'`)
	shot(t, ctx, "networks")
	run(t, ctx, "the network's hosts",
		chromedp.Click(chromedp.CSS(`#networks-table tbody td.num a`)),
		chromedp.WaitVisible(chromedp.CSS(`#hosts-table tbody a`)))
	waitJS(t, ctx, "local hosts only", `document.querySelectorAll('#hosts-table tbody tr a').length === 4 && document.getElementById('host-network').value === '0'`)
}

// browseHostPeers: the host's peers, bytes each way, a peer's alias
// carrying markup shown as text, and the flows between the two.
func browseHostPeers(t *testing.T, ctx context.Context, base string) {
	// An alias is what ntopng shows as a host's name (set over the REST
	// as a script would, with the administrator's credentials).
	form := url.Values{"host": {"198.51.100.7"}, "custom_name": {xss}}
	req, _ := http.NewRequest("POST", base+"/lua/rest/v2/set/host/alias.lua", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("admin", adminPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"rc":0`) {
		t.Fatalf("set alias: %d %s", resp.StatusCode, body)
	}
	// The host page drawn afresh (the previous step left it open, its
	// peers read before the alias was set).
	hashNav(t, ctx, "#/flows")
	run(t, ctx, "flows", chromedp.WaitVisible(chromedp.CSS(`#flows-table`)))
	hashNav(t, ctx, "#/host/10.1.0.5")
	run(t, ctx, "host peers", chromedp.WaitVisible(chromedp.CSS(`#host-peers tbody a`)))
	waitJS(t, ctx, "two peers", `document.querySelectorAll('#host-peers tbody tr').length === 2`)
	peers := text(t, ctx, `#host-peers tbody`)
	if !strings.Contains(peers, "192.0.2.9") || !strings.Contains(peers, xss) || strings.Contains(peers, "10.1.0.6") {
		t.Errorf("peers %q: want 192.0.2.9 and the alias of 198.51.100.7 as text, not 10.1.0.6", peers)
	}
	noInjected(t, ctx)
	// 10.1.0.5 sent 2,000 B to 198.51.100.7 and received 500 B (fixture).
	row := val(t, ctx, "peer row", chromedp.Evaluate[[]string](`[...document.querySelector('#host-peers tbody tr').cells].map((c) => c.textContent)`))
	// Peer, Location, Flows, Sent, Received, Throughput, Traffic.
	if row[0] != xss || row[1] != "Remote" || row[2] != "1" || row[3] != "1.95 KB" || row[4] != "500 B" || row[6] != "2.44 KB" {
		t.Errorf("the biggest peer's row %q: want its alias, remote, 1 flow, 1.95 KB sent, 500 B received, 2.44 KB", row)
	}
	shot(t, ctx, "host-peers")
	run(t, ctx, "the flows between them",
		chromedp.Click(chromedp.CSS(`#host-peers tbody tr:first-child a[href^="#/flows"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#flows-table tbody a`)))
	waitJS(t, ctx, "one flow", `document.querySelectorAll('#flows-table tbody tr').length === 1`)
	if got := text(t, ctx, `#flows-table tbody`); !strings.Contains(got, "10.1.0.5") || !strings.Contains(got, "198.51.100.7") {
		t.Errorf("flows between the two: %q", got)
	}
	if loc := val(t, ctx, "location", chromedp.Location()); !strings.Contains(loc, "talking_with=198.51.100.7") {
		t.Errorf("URL %s lacks talking_with", loc)
	}
}

// browseHostSNMPPort: the host page's SNMP port (the fixture's flow
// 10.1.0.5 → 192.0.2.9 exported by the polled snmpd, entering on ifIndex 1)
// names the device and interface and links to that interface's page.
func browseHostSNMPPort(t *testing.T, ctx context.Context, f *fixture) {
	var lo string
	for _, i := range f.snmpIfs {
		if i.Index == 1 {
			lo = i.Name
		}
	}
	if lo == "" {
		t.Fatalf("snmpd serves no named ifIndex 1: %+v", f.snmpIfs)
	}
	hashNav(t, ctx, "#/flows")
	run(t, ctx, "flows", chromedp.WaitVisible(chromedp.CSS(`#flows-table`)))
	hashNav(t, ctx, "#/host/10.1.0.5")
	run(t, ctx, "host SNMP ports", chromedp.WaitVisible(chromedp.CSS(`#host-snmp-ports tbody a`)))
	// Device, Interface, Status, Flows, Traffic (1,000 B sent, 500 B received).
	row := val(t, ctx, "SNMP port row", chromedp.Evaluate[[]string](`[...document.querySelector('#host-snmp-ports tbody tr').cells].map((c) => c.textContent)`))
	if len(row) != 5 || row[0] != snmptest.SysName || !strings.HasPrefix(row[1], lo) || row[3] != "1" || row[4] != "1.46 KB" {
		t.Errorf("SNMP port row %q: want %s, %s, 1 flow, 1.46 KB", row, snmptest.SysName, lo)
	}
	if n := val(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#host-snmp-ports tbody tr').length`)); n != 1 {
		t.Errorf("%d SNMP port rows, want 1", n)
	}
	run(t, ctx, "the device's interface",
		chromedp.Click(chromedp.CSS(`#host-snmp-ports tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`#snmp-ifs a[aria-current="true"]`)))
	if got := text(t, ctx, `#snmp-ifs a[aria-current="true"]`); got != lo {
		t.Errorf("selected interface %q, want %q", got, lo)
	}
	loc := val(t, ctx, "location", chromedp.Location())
	if u, err := url.PathUnescape(loc); err != nil || !strings.HasSuffix(u, "#/snmp/"+f.snmpKey+"?if=1") {
		t.Errorf("URL %s, want the device %s and if=1", loc, f.snmpKey)
	}
}

// browseLoginStyledTOTP: the login page takes the UI's stylesheet (its
// CSP allows it, nothing inline), fits a phone, and its TOTP step logs the
// viewer in (TOTP was turned on by the preferences step).
func browseLoginStyledTOTP(t *testing.T, ctx context.Context, f *fixture) {
	base := f.base
	// Dark by the system's preference when no theme was picked in the UI.
	run(t, ctx, "login", chromedp.Navigate(base+"/lua/login.lua"), chromedp.WaitVisible(chromedp.CSS(`.login-box`)))
	val(t, ctx, "no theme picked", chromedp.Evaluate[bool](`(localStorage.removeItem('fg-theme'), true)`))
	run(t, ctx, "dark system",
		darkSystem(true),
		chromedp.Navigate(base+"/lua/login.lua"),
		chromedp.WaitVisible(chromedp.CSS(`.login-box`)))
	bg := val(t, ctx, "dark login", chromedp.Evaluate[string](`document.documentElement.dataset.theme + ' ' + getComputedStyle(document.body).backgroundColor`))
	if bg != "dark rgb(20, 24, 31)" {
		t.Errorf("login with a dark system preference: %q, want the dark theme's background", bg)
	}
	shot(t, ctx, "login-dark")
	run(t, ctx, "light system", darkSystem(false))
	run(t, ctx, "phone login",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.login-box input[name=user]`)))
	styled := val(t, ctx, "styled", chromedp.Evaluate[[]float64](`(() => { const b = document.querySelector('.login-box').getBoundingClientRect();
		return [document.styleSheets.length, b.width, document.documentElement.scrollWidth - innerWidth,
			getComputedStyle(document.querySelector('.login-box button')).backgroundColor === getComputedStyle(document.querySelector('.login-box h1')).color ? 1 : 0]; })()`))
	if styled[0] != 1 || styled[1] < 300 || styled[1] > 390 || styled[2] > 0 || styled[3] != 1 {
		t.Errorf("login on a phone: %v stylesheets, box %v px wide, %v px overflow, accent button %v", styled[0], styled[1], styled[2], styled[3])
	}
	if th := val(t, ctx, "theme", chromedp.Evaluate[string](`document.documentElement.dataset.theme`)); th != "light" && th != "dark" {
		t.Errorf("login theme %q", th)
	}
	shot(t, ctx, "phone-login")
	run(t, ctx, "desktop", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/#/hosts"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=user]`), viewer),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), viewPass),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`.login-box input[name=totp_code]`)))
	if w := val(t, ctx, "width", chromedp.Evaluate[int](`innerWidth`)); w != 1280 {
		t.Errorf("the TOTP step at %d px, want the desktop's 1280", w)
	}
	shot(t, ctx, "login-totp")
	secret, ok := f.users.TOTPSecret(viewer)
	if !ok {
		t.Fatal("the viewer has no TOTP secret: the preferences step did not enrol it")
	}
	// The next step's code: the enrolment used this step's (a code is
	// accepted once).
	code, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "totp code",
		chromedp.SendKeys(chromedp.CSS(`input[name=totp_code]`), code),
		chromedp.Submit(chromedp.CSS(`input[name=totp_code]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hosts-table tbody a`)))
	run(t, ctx, "logout", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// darkSystem makes the browser report a dark (or its own) colour-scheme
// preference to CSS and matchMedia.
func darkSystem(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		p := emulation.SetEmulatedMediaParams{}
		if on {
			p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
		}
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, p)
		return err
	})
}
