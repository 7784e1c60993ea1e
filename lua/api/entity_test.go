package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/internal/testwait"
)

// inHost runs fn with the context at host ip@0, inside Do.
func (e *testEnv) inHost(t testing.TB, ip string, fn func()) {
	t.Helper()
	a, _ := parseHostKey(ip)
	e.iface.Do(func(tb *engine.Tables) {
		h := tb.Host(a, 0)
		if h == nil {
			t.Fatalf("no host %s", ip)
		}
		e.ctx.Tables, e.ctx.Host = tb, h
		defer func() { e.ctx.Tables, e.ctx.Host = nil, nil }()
		fn()
	})
}

func TestHostBindings(t *testing.T) {
	e := newEnv(t, Deps{GeoIP: testGeoIP(t)})
	e.process(tlsFlow, dnsFlow)
	cases := []struct{ ip, expr, want string }{
		{"192.168.1.10", "host.getIp().ip", "192.168.1.10"},
		{"192.168.1.10", "host.getIp().vlan", "0"},
		{"192.168.1.10", "host.isLocal()", "true"},
		{"192.168.1.10", "host.getBytes()['bytes.sent']", "1070"},
		{"192.168.1.10", "host.getBytes()['bytes.rcvd']", "5000"},
		{"192.168.1.10", "host.getNumFlows()['total_flows.as_client']", "2"},
		{"192.168.1.10", "host.getApplicationBytes(126)", "6000"},
		{"192.168.1.10", "host.getApplicationBytes(7)", "0"},
		{"192.168.1.10", "host.getTsKey()", "192.168.1.10"},
		{"8.8.8.8", "host.isLocal()", "false"},
		{"8.8.8.8", "host.getInfo().asn", "15169"},
		{"8.8.8.8", "host.getFullInfo().city", "Mountain View"},
		{"8.8.8.8", "host.getCachedAlertValue('bytes:1', 1)", ""},
	}
	for _, c := range cases {
		e.inHost(t, c.ip, func() {
			if got := eval(e.L, c.expr); got != c.want {
				t.Errorf("%s: %s = %q, want %q", c.ip, c.expr, got, c.want)
			}
		})
	}
}

func TestCachedAlertValuesPerEntity(t *testing.T) {
	e := newEnv(t, Deps{})
	e.process(tlsFlow)
	e.inHost(t, "192.168.1.10", func() {
		eval(e.L, "host.setCachedAlertValue('bytes', '100', 1)")
		if got := eval(e.L, "host.getCachedAlertValue('bytes', 1)"); got != "100" {
			t.Errorf("same host, same gid: %q", got)
		}
		if got := eval(e.L, "host.getCachedAlertValue('bytes', 2)"); got != "" {
			t.Errorf("other granularity: %q", got)
		}
	})
	e.inHost(t, "8.8.8.8", func() {
		if got := eval(e.L, "host.getCachedAlertValue('bytes', 1)"); got != "" {
			t.Errorf("other host sees %q", got)
		}
	})
}

func TestHostStoreReleaseAlert(t *testing.T) {
	e := newEnv(t, Deps{})
	e.process(tlsFlow)
	e.inHost(t, "192.168.1.10", func() {
		a := eval(e.L, "host.storeTriggeredAlert('49@bytes', 1, 5, 49, 'bytes', '{}').alert_entity_val")
		if a != "192.168.1.10@0" {
			t.Fatalf("storeTriggeredAlert: %q", a)
		}
		if got := eval(e.L, "host.storeTriggeredAlert('49@bytes', 1, 5, 49, 'bytes', '{}')"); got != "nil" {
			t.Errorf("re-trigger returned %q, want nil (already engaged)", got)
		}
		if got := eval(e.L, "#host.getAlerts(1)"); got != "1" {
			t.Errorf("getAlerts(1) has %s", got)
		}
		if got := eval(e.L, "#host.getAlerts(2)"); got != "0" {
			t.Errorf("getAlerts(2) has %s", got)
		}
		if got := eval(e.L, "host.releaseTriggeredAlert('49@bytes', 1, os.time()).alert_type"); got != "49" {
			t.Errorf("release: %q", got)
		}
		if got := eval(e.L, "host.releaseTriggeredAlert('49@bytes', 1, os.time())"); got != "nil" {
			t.Errorf("second release: %q", got)
		}
	})
	c := e.store.Counters()
	if c.Triggered != 1 || c.Released != 1 || c.Engaged != 0 {
		t.Fatalf("store counters %+v", c)
	}
}

func TestNetworkBindings(t *testing.T) {
	e := newEnv(t, Deps{})
	e.process(tlsFlow, lanFlow)
	e.iface.Do(func(tb *engine.Tables) {
		e.ctx.Tables, e.ctx.Network = tb, tb.Networks()[0]
		defer func() { e.ctx.Tables, e.ctx.Network = nil, nil }()
		for expr, want := range map[string]string{
			"network.getNetworkStats().network_key": "192.168.1.0/24",
			"network.getNetworkStats().egress":      "1000",
			"network.getNetworkStats().ingress":     "5000",
			"network.getNetworkStats().inner":       "100",
		} {
			if got := eval(e.L, expr); got != want {
				t.Errorf("%s = %q, want %q", expr, got, want)
			}
		}
		eval(e.L, "network.setCachedAlertValue('ingress', '7', 1)")
		if got := eval(e.L, "network.getCachedAlertValue('ingress', 1)"); got != "7" {
			t.Errorf("network cached value %q", got)
		}
	})
}

func TestInterfaceBindings(t *testing.T) {
	e := newEnv(t, Deps{})
	e.eng.AddInterface("syslog://127.0.0.1:5140", "syslog")
	e.process(tlsFlow, dnsFlow, lanFlow)
	cases := []struct{ expr, want string }{
		{"interface.getId()", "0"},
		{"interface.getName()", "tcp://127.0.0.1:5556"},
		{"interface.isPacketInterface()", "false"},
		{"interface.getnDPIProtoId('DNS')", "5"},
		{"interface.getnDPIProtoId('NoSuchProto')", "-1"},
		{"interface.getnDPIProtoName(91)", "TLS"},
		{"interface.getStats().stats.hosts", "4"},
		{"interface.getStats().stats.flows", "3"},
		{"interface.getStats().stats.bytes", "6170"},
		{"interface.getHostsInfo().numHosts", "4"},
		{"interface.getLocalHostsInfo().numHosts", "2"},
		{"interface.getRemoteHostsInfo().numHosts", "2"},
		{"interface.getHostsInfo(false, 'column_traffic', 1, 0, false).nextSlot", "1"},
		{"next(interface.getHostsInfo(false, 'column_traffic', 1, 0, false).hosts)", "192.168.1.10@0"},
		{"next(interface.getHostsInfo(false, 'column_ip', 1, 1, true).hosts)", "8.8.8.8@0"},
		{"interface.getHostInfo('8.8.8.8')['bytes.sent']", "5000"},
		{"interface.getHostInfo('9.9.9.9')", "nil"},
		{"interface.getNetworksStats()['192.168.1.0/24'].inner", "100"},
		{"interface.select('1')", "syslog://127.0.0.1:5140"},
		{"interface.getId()", "1"},
		{"interface.isSyslogInterface()", "true"},
		{"interface.getStats().stats.hosts", "0"},
		{"interface.select('tcp://127.0.0.1:5556')", "tcp://127.0.0.1:5556"},
		{"interface.select('nope')", "nil"},
		{"interface.getId()", "0"},
	}
	for _, c := range cases {
		if got := eval(e.L, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}
}

func TestProcessFlow(t *testing.T) {
	e := newEnv(t, Deps{})
	if err := e.eng.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.eng.Stop()
	got := eval(e.L, `interface.processFlow({src_ip="10.1.1.1", dst_ip="10.2.2.2", src_port=1234,
		dst_port=80, l4_proto="TCP", in_bytes=500, in_pkts=5, http_site="example.org",
		first_switched_iso8601="2020-11-02T10:00:00.000000+0000", SURICATA_FLOW_ID=42})`)
	if got != "true" {
		t.Fatalf("processFlow = %q", got)
	}
	var n int
	var site string
	testwait.For(t, "the processed flow in the engine", func() bool {
		e.iface.Do(func(tb *engine.Tables) {
			n = tb.NumFlows()
			tb.Flows(func(f *engine.Flow) bool { site = f.HTTPSite(); return false })
		})
		return n != 0
	})
	if n != 1 || site != "example.org" {
		t.Fatalf("flows after processFlow: %d, site %q", n, site)
	}
	if got := eval(e.L, `interface.processFlow({dst_ip="10.2.2.2"})`); !contains(got, "src_ip") {
		t.Errorf("processFlow without src_ip: %q", got)
	}
}

func TestNtopHTTPPost(t *testing.T) {
	var mu sync.Mutex
	var gotBody, gotType, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotBody, gotType = string(b), r.Header.Get("Content-Type")
		u, p, _ := r.BasicAuth()
		gotAuth = u + ":" + p
		mu.Unlock()
		if r.URL.Path == "/fail" {
			w.WriteHeader(500)
			return
		}
		w.Write([]byte("thanks"))
	}))
	defer srv.Close()
	e := newEnv(t, Deps{})
	e.L.SetGlobal("URL", luaStr(srv.URL))
	cases := []struct{ expr, want, body, ctype, auth string }{
		{`ntop.httpPost(URL, '{"hosts":["a"]}').RESPONSE_CODE`, "200", `{"hosts":["a"]}`, "application/json", ":"},
		{`ntop.httpPost(URL, 'a=1', 'u', 'p', 5, true).CONTENT`, "thanks", "a=1", "application/x-www-form-urlencoded", "u:p"},
		{`ntop.httpPost(URL, '{}', {username='x', password='y', return_content=true}).CONTENT`, "thanks", "{}", "application/json", "x:y"},
		{`ntop.postHTTPJsonData('w', 'z', URL, '[1]', 2)`, "true", "[1]", "application/json", "w:z"},
		{`ntop.postHTTPJsonData(URL .. '/fail', '[2]')`, "false", "[2]", "application/json", ":"},
	}
	for _, c := range cases {
		if got := eval(e.L, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
		mu.Lock()
		if gotBody != c.body || gotType != c.ctype || gotAuth != c.auth {
			t.Errorf("%s: server got body %q type %q auth %q", c.expr, gotBody, gotType, gotAuth)
		}
		mu.Unlock()
	}
	if got := eval(e.L, `ntop.httpGet(URL, nil, nil, 5, true).CONTENT`); got != "thanks" {
		t.Errorf("httpGet: %q", got)
	}
	if got := eval(e.L, `ntop.httpPost('http://127.0.0.1:1/x', '{}')`); got != "nil" {
		t.Errorf("post to a closed port: %q, want nil", got)
	}
}

func TestNtopMisc(t *testing.T) {
	e := newEnv(t, Deps{ScriptsDir: "/opt/scripts", DataDir: "/var/lib/flowgate"})
	cases := []struct{ expr, want string }{
		{"ntop.md5('abc')", "900150983cd24fb0d6963f7d28e17f72"},
		{"ntop.isPro()", "false"},
		{"ntop.isEnterpriseM()", "false"},
		{"ntop.isnEdge()", "false"},
		{"ntop.getDirs().scriptdir", "/opt/scripts"},
		{"ntop.getDirs().workingdir", "/var/lib/flowgate"},
		{"ntop.getDirs().installdir", "/opt"},
		{"ntop.getCache('k')", ""},
		{"(function() ntop.setCache('k', 'v') return ntop.getCache('k') end)()", "v"},
		{"(function() ntop.delCache('k') return ntop.getCache('k') end)()", ""},
		{"(function() ntop.setPref('ntopng.prefs.x', '1') return ntop.getPref('x') end)()", "1"},
		{"(function() ntop.setHashCache('h', 'f', 'v') return ntop.getHashCache('h', 'f') end)()", "v"},
		{"(function() ntop.rpushCache('l', 'a') ntop.rpushCache('l', 'b') return ntop.lpopCache('l') end)()", "a"},
		{"ntop.incrCache('n', 5)", "5"},
		{"ntop.bitmapIsSet(ntop.bitmapSet(0, 3), 3)", "true"},
		{"ntop.bitmapClear(8, 3)", "0"},
		{"ntop.gettimemsec() > 1.6e12", "true"},
		{"ntop.hasGeoIP()", "false"},
		{"ntop.getInfo().product", "flowgate"},
	}
	for _, c := range cases {
		if got := eval(e.L, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newCacheClock(func() time.Time { return now })
	c.Set("a", "1", 10*time.Second)
	c.Set("b", "2", 0)
	if v, ok := c.Get("a"); !ok || v != "1" {
		t.Fatalf("fresh key: %q %v", v, ok)
	}
	now = now.Add(10 * time.Second)
	if _, ok := c.Get("a"); ok {
		t.Error("key still there at its TTL")
	}
	if _, ok := c.Get("b"); !ok {
		t.Error("key without TTL expired")
	}
	if got := strings.Join(c.Keys("*"), ","); got != "b" {
		t.Errorf("Keys = %q", got)
	}
	if _, err := c.Incr("b", 1); err != nil {
		t.Error(err)
	}
	c.Set("s", "x", 0)
	if _, err := c.Incr("s", 1); err == nil {
		t.Error("Incr on a non-integer should fail")
	}
}

func TestOpenGeoIPErrors(t *testing.T) {
	if _, err := OpenGeoIP(t.TempDir()); err == nil {
		t.Error("empty dir: want an error")
	}
	dir := t.TempDir()
	writeFile(t, dir+"/GeoLite2-Country.mmdb", "not a database")
	if _, err := OpenGeoIP(dir); err == nil || !strings.Contains(err.Error(), "GeoLite2-Country.mmdb") {
		t.Errorf("corrupt file: %v", err)
	}
	var g *GeoIP
	if got := g.Lookup(parseAddr("8.8.8.8")); got != (GeoInfo{}) {
		t.Errorf("nil GeoIP lookup: %+v", got)
	}
}

func TestGeoIPCountryOnly(t *testing.T) {
	dir := t.TempDir()
	writeMMDB(t, dir, "GeoLite2-Country.mmdb", "GeoLite2-Country", map[string]mmdbMap{
		"81.2.69.0/24": {"country": mmdbMap{"iso_code": mmdbStr("GB")}},
	})
	g, err := OpenGeoIP(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got := g.Lookup(parseAddr("81.2.69.160")); got.Country != "GB" || got.City != "" || got.ASN != 0 {
		t.Errorf("lookup: %+v", got)
	}
	if got := g.Lookup(parseAddr("8.8.8.8")); got.Country != "" {
		t.Errorf("uncovered address: %+v", got)
	}
}

func TestProvided(t *testing.T) {
	p := Provided()
	for table, fns := range map[string][]string{
		"flow":      {"getBytes", "triggerStatus", "getClientGeolocation", "getFullInfo"},
		"host":      {"getIp", "getCachedAlertValue"},
		"network":   {"getNetworkStats"},
		"interface": {"select", "getHostsInfo", "processFlow"},
		"ntop":      {"httpPost", "getCache", "md5"},
	} {
		have := map[string]bool{}
		for _, f := range p[table] {
			have[f] = true
		}
		for _, f := range fns {
			if !have[f] {
				t.Errorf("Provided()[%q] lacks %s", table, f)
			}
		}
	}
	_ = alerts.EntityFlow
}
