package api

import (
	"bufio"
	"bytes"
	"context"
	"flowgate/collectors/zmq/zmtp"
	"flowgate/internal/testwait"
	"flowgate/store/kv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

type exprCase struct{ expr, want string }

func checkExprs(t *testing.T, L *lua.LState, cases []exprCase) {
	t.Helper()
	for _, c := range cases {
		if got := eval(L, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
	}
}

func mkdirs(t *testing.T, dirs ...string) {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNtopSystem(t *testing.T) {
	dir := t.TempDir()
	mkdirs(t, dir+"/a", dir+"/b")
	writeFile(t, filepath.Join(dir, "a", "x.lua"), "x")
	writeFile(t, filepath.Join(dir, "b", "y.txt"), "y")
	e := newEnv(t, Deps{DataDir: dir, ScriptsDir: dir + "/scripts"})
	e.L.SetGlobal("DIR", luaStr(dir))
	checkExprs(t, e.L, []exprCase{
		{"type(ntop.systemHostStat().mem_total)", "number"},
		{"ntop.systemHostStat().mem_total > 0", "true"},
		{"ntop.threadsInfo().goroutines > 0", "true"},
		{"type(ntop.refreshCPULoad())", "number"},
		{"ntop.checkLicense()", "1"},
		{"ntop.getSystemAlertsStats().engaged_alerts", "0"},
		{"ntop.getCookieAttributes()", "; SameSite=lax"},
		{"ntop.getAllPaths(DIR, '%.lua$') == nil", "false"},
		{"ntop.getAllPaths(DIR, [[\\.lua$]])[DIR .. '/a/x.lua']", "true"},
		{"ntop.getAllPaths(DIR, [[\\.lua$]])[DIR .. '/b/y.txt']", "nil"},
		{"ntop.getAllPaths(DIR)[DIR .. '/b/y.txt']", "true"},
		{"ntop.getStaticFileEpoch() == ntop.getStartupEpoch()", "true"},
		{"ntop.httpPurifyParam('<script>\"x\"')", "&lt;script&gt;&#34;x&#34;"},
		{"(function() ntop.limitResourcesUsage() return 'ok' end)()", "ok"},
		{"ntop.getDropPoolInfo().num_dropped_flows", "0"},
		{"ntop.getUptime() >= 0", "true"},
		{"ntop.getCurrentScriptsDir()", dir + "/scripts"},
		{"ntop.isShuttingDown()", "false"},
		{"ntop.getInfo().product", "flowgate"},
	})
	if msg := chunkErr(e.L, "ntop.getAllPaths(DIR, '[')"); !strings.Contains(msg, "ntop.getAllPaths: argument #2 (pattern)") {
		t.Errorf("bad pattern: %q", msg)
	}
}

func TestNtopFiles(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	e := newEnv(t, Deps{DataDir: dir})
	e.L.SetGlobal("DIR", luaStr(dir))
	e.L.SetGlobal("print", e.L.NewFunction(func(L *lua.LState) int { out.WriteString(L.ToString(1) + "\n"); return 0 }))
	mkdirs(t, dir+"/reports")
	writeFile(t, filepath.Join(dir, "reports", "r1.pdf"), "pdf")
	runChunk(t, e.L, `
		assert(ntop.mkdir(DIR .. "/m/n/o"))
		assert(ntop.isdir(DIR .. "/m/n/o"))
		local f = io.open(DIR .. "/m/file", "w"); f:write("hello"); f:close()
		assert(ntop.notEmptyFile(DIR .. "/m/file"))
		assert(not ntop.notEmptyFile(DIR .. "/m/n"))
		assert(not ntop.notEmptyFile(DIR .. "/nope"))
		assert(ntop.fileLastChange(DIR .. "/m/file") > 1.6e9)
		assert(ntop.fileLastChange(DIR .. "/nope") == -1)
		assert(ntop.exists(DIR .. "/m/file"))
		assert(ntop.readdir(DIR .. "/m").file == "file")
		assert(ntop.setDefaultFilePermissions(DIR .. "/m/file"))
		assert(ntop.dumpFile(DIR .. "/m/file"))
		assert(not ntop.dumpBinaryFile(DIR .. "/nope"))
		assert(ntop.listReports()["r1.pdf"] == DIR .. "/reports/r1.pdf")
		assert(not ntop.unlink(DIR .. "/m/n"), "unlink refuses a directory")
		assert(ntop.unlink(DIR .. "/m/file"))
		assert(not ntop.exists(DIR .. "/m/file"))
		assert(not ntop.rmdir(DIR .. "/m/file"))
		assert(ntop.rmdir(DIR .. "/m"))
		assert(not ntop.exists(DIR .. "/m"))
		assert(not ntop.rmdir("/"), "rmdir refuses /")
	`)
	if out.String() != "hello\n" {
		t.Errorf("dumpFile printed %q", out.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "reports", "r1.pdf")); err != nil || st.Size() != 3 {
		t.Error("report disturbed")
	}
}

func TestNtopIP(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.ipToNumber('192.168.1.1')", "3232235777"},
		{"ntop.ipToNumber('::1')", "0"},
		{"ntop.inet_ntoa(3232235777)", "192.168.1.1"},
		{"ntop.inet_ntoa('16777216')", "1.0.0.0"},
		{"ntop.networkPrefix('192.168.1.77', 24)", "192.168.1.0"},
		{"ntop.networkPrefix('2001:db8::1', 32)", "2001:db8::"},
		{"ntop.ipCmp('10.0.0.2', '10.0.0.10')", "-1"},
		{"ntop.ipCmp('10.0.0.2', '10.0.0.2')", "0"},
		{"ntop.ipCmp('10.0.0.3', '10.0.0.2')", "1"},
		{"ntop.isIPv6('::1')", "true"},
		{"ntop.isIPv6('1.2.3.4')", "false"},
		{"ntop.isIPv6('junk')", "false"},
		{"ntop.isLocalAddress('192.168.1.7')", "true"},
		{"ntop.isLocalAddress('8.8.8.8')", "false"},
		{"ntop.shouldResolveHost('192.168.1.7')", "true"},
		{"ntop.shouldResolveHost('8.8.8.8')", "false"},
		{"ntop.shouldResolveHost('::ffff:192.168.1.9')", "true"},
		{"select(2, pcall(ntop.shouldResolveHost, 'host.example'))", "<string>:1: ntop.shouldResolveHost: not an IP address: \"host.example\""},
		{"ntop.isLocalInterfaceAddress('127.0.0.1')", "true"},
		{"ntop.isLocalInterfaceAddress('192.0.2.77')", "false"},
		{"ntop.isAllowedInterface('eth0')", "true"},
		{"ntop.isAllowedNetwork('10.0.0.0/8')", "true"},
		{"ntop.getNetworks()['192.168.1.0/24']", "0"},
		{"ntop.getNetworkNameById(0)", "192.168.1.0/24"},
		{"ntop.getNetworkNameById(7)", "nil"},
		{"ntop.getNetworkIdByName('192.168.1.0/24')", "0"},
		{"ntop.getLocalNetworkID('10.9.0.0/16')", "-1"},
		{"(function() ntop.addLocalNetwork('10.9.0.0/16') return ntop.getLocalNetworkID('10.9.0.0/16') end)()", "1"},
		{"ntop.isLocalAddress('10.9.3.3')", "true"},
		{"ntop.getAddressNetwork('10.9.3.3').network", "10.9.0.0/16"},
		{"ntop.getAddressNetwork('8.8.8.8')", "nil"},
		{"ntop.getLocalNetworkAlias('10.9.0.0/16')", "nil"},
		{"(function() ntop.setHashCache('ntopng.network_aliases', '10.9.0.0/16', 'lab') return ntop.getLocalNetworkAlias('10.9.0.0/16') end)()", "lab"},
	})
	for src, want := range map[string]string{
		"ntop.networkPrefix('1.2.3.4', 40)": "ntop.networkPrefix: argument #2 (bits) is out of range",
		"ntop.networkPrefix('x', 8)":        `ntop.networkPrefix: argument #1 (ip) is not an address: "x"`,
		"ntop.inet_ntoa(-1)":                "ntop.inet_ntoa: argument #1 (number) is out of range",
		"ntop.addLocalNetwork('nope')":      "ntop.addLocalNetwork: argument #1 (cidr)",
		"ntop.ipCmp('1.2.3.4')":             "ntop.ipCmp: argument #2 (ip) must be a string, got nil",
	} {
		if got := chunkErr(e.L, src); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
}

func TestNtopResolve(t *testing.T) {
	r := NewResolver()
	lookups := make(chan string, 4)
	r.lookup = func(_ context.Context, ip string) (string, error) {
		lookups <- ip
		return "host-" + ip + ".example", nil
	}
	e := newEnv(t, Deps{Resolver: r})
	checkExprs(t, e.L, []exprCase{
		{"ntop.getResolvedName('192.0.2.1')", "192.0.2.1"},
		{"(function() ntop.setResolvedAddress('192.0.2.2', 'manual.example') return ntop.getResolvedName('192.0.2.2') end)()", "manual.example"},
		{"(function() ntop.resolveName('192.0.2.3') return 'ok' end)()", "ok"},
		{"ntop.resolveHost('localhost') ~= nil", "true"},
		{"ntop.resolveHost('no-such-host.invalid')", "nil"},
	})
	if ip := <-lookups; ip != "192.0.2.3" {
		t.Fatalf("looked up %s", ip)
	}
	testwait.For(t, "the asynchronous resolution", func() bool {
		return eval(e.L, "ntop.getResolvedName('192.0.2.3')") == "host-192.0.2.3.example"
	})
	if msg := chunkErr(e.L, "ntop.resolveName('not an ip')"); !strings.Contains(msg, "ntop.resolveName: argument #1 (ip)") {
		t.Errorf("bad ip: %q", msg)
	}
}

func TestNtopHTTP(t *testing.T) {
	type seen struct{ method, auth, body, ctype string }
	var mu sync.Mutex
	var last seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{r.Method, r.Header.Get("Authorization"), string(b), r.Header.Get("Content-Type")}
		mu.Unlock()
		if r.URL.Path == "/slow" {
			<-r.Context().Done() // until the client gives up
		}
		w.Write([]byte("body:" + r.Method))
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(h)
	defer tlsSrv.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f.txt"), "file text")
	e := newEnv(t, Deps{Logger: quietLog()})
	e.L.SetGlobal("URL", luaStr(srv.URL))
	e.L.SetGlobal("TLSURL", luaStr(tlsSrv.URL))
	e.L.SetGlobal("DIR", luaStr(dir))
	cases := []struct {
		expr, want string
		seen       seen
	}{
		{"ntop.httpGetAuthToken(URL, 'tok').CONTENT", "body:GET", seen{"GET", "Bearer tok", "", ""}},
		{"ntop.httpPostAuthToken(URL, 'tok', '{}').CONTENT", "body:POST", seen{"POST", "Bearer tok", "{}", "application/json"}},
		{"ntop.httpPutAuthToken(URL, 't2', 'x').CONTENT", "body:PUT", seen{"PUT", "Bearer t2", "x", "application/json"}},
		{"ntop.httpPatchAuthToken(URL, 't3', 'y').RESPONSE_CODE", "200", seen{"PATCH", "Bearer t3", "y", "application/json"}},
		{"ntop.httpFetch({url = URL, method = 'DELETE', headers = {['X-A'] = '1'}}).CONTENT", "body:DELETE", seen{"DELETE", "", "", ""}},
		{"ntop.httpFetch({url = URL, body = 'b', content_type = 'text/plain'}).CONTENT", "body:POST", seen{"POST", "", "b", "text/plain"}},
		{"ntop.postHTTPTextFile(URL, DIR .. '/f.txt')", "true", seen{"POST", "", "file text", "text/plain"}},
	}
	for _, c := range cases {
		if got := eval(e.L, c.expr); got != c.want {
			t.Errorf("%s = %q, want %q", c.expr, got, c.want)
		}
		mu.Lock()
		if last != c.seen {
			t.Errorf("%s: server saw %+v, want %+v", c.expr, last, c.seen)
		}
		mu.Unlock()
	}
	checkExprs(t, e.L, []exprCase{
		{"ntop.httpFetch(URL, DIR .. '/dl.txt')", "true"},
		{"ntop.postHTTPTextFile(URL, DIR .. '/missing')", "false"},
		// TLS: verification on by default, off with no_verify_cert
		{"ntop.httpGet(TLSURL, nil, nil, 5, true)", "nil"},
		{"ntop.httpGet(TLSURL, nil, nil, 5, true, true).CONTENT", "body:GET"},
		{"ntop.httpGetAuthToken(TLSURL, 'x', 5, true, true).CONTENT", "body:GET"},
		// timeouts
		{"ntop.httpGet(URL .. '/slow', nil, nil, 0.2, true)", "nil"},
		{"#ntop.getRandomCSRFValue()", "32"},
	})
	if data, _ := os.ReadFile(filepath.Join(dir, "dl.txt")); string(data) != "body:GET" {
		t.Errorf("httpFetch to file wrote %q", data)
	}
	if msg := chunkErr(e.L, "ntop.httpFetch({})"); !strings.Contains(msg, "ntop.httpFetch: argument #1 (params) has no url") {
		t.Errorf("httpFetch without url: %q", msg)
	}
}

func TestNtopLogging(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	lv := new(slog.LevelVar)
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: lv}))
	e := newEnv(t, Deps{Logger: log, LogLevel: lv})
	runChunk(t, e.L, `
		ntop.traceEvent(0, "an error")
		ntop.verboseTrace("hidden at info")
		ntop.setLoggingLevel("debug")
		ntop.verboseTrace("verbose now")
		ntop.setLoggingLevel("error")
		ntop.syslog(4, "a warning, filtered")
		ntop.syslog(3, "syslog err")`)
	out := buf.String()
	for _, want := range []string{"level=ERROR msg=\"an error\"", "level=DEBUG msg=\"verbose now\"", "syslog err"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"hidden at info", "filtered"} {
		if strings.Contains(out, not) {
			t.Errorf("log has %q:\n%s", not, out)
		}
	}
	if lv.Level() != slog.LevelError {
		t.Errorf("level var = %v", lv.Level())
	}
	if msg := chunkErr(e.L, `ntop.setLoggingLevel("loud")`); !strings.Contains(msg, "ntop.setLoggingLevel: argument #1 (level)") {
		t.Errorf("bad level: %q", msg)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestNtopTime(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.roundTime(1000, 300)", "900"},
		{"ntop.gettickspersec()", "1000000000"},
		{"ntop.getticks() > 0", "true"},
		{"(function() ntop.tzset() return 'ok' end)()", "ok"},
		{"math.abs(ntop.gettimemsec() / 1000 - os.time()) < 5", "true"},
	})
}

func TestNtopSend(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	got := make(chan string, 1)
	go func() {
		c, err := tcp.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(io.LimitReader(c, 10))
		got <- string(b)
	}()
	e := newEnv(t, Deps{Logger: quietLog()})
	e.L.SetGlobal("UDP", lua.LNumber(udp.LocalAddr().(*net.UDPAddr).Port))
	e.L.SetGlobal("TCP", lua.LNumber(tcp.Addr().(*net.TCPAddr).Port))
	checkExprs(t, e.L, []exprCase{
		{"ntop.send_udp_data('127.0.0.1', UDP, 'datagram')", "true"},
		{"ntop.send_tcp_data('127.0.0.1', TCP, 'hello')", "true"},
		{"ntop.send_tcp_data('127.0.0.1', TCP, 'world')", "true"}, // same connection
		{"ntop.tcpProbe('127.0.0.1', TCP)", "true"},
	})
	buf := make([]byte, 64)
	_ = udp.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := udp.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "datagram" {
		t.Fatalf("udp got %q %v", buf[:n], err)
	}
	select {
	case s := <-got:
		if s != "helloworld" {
			t.Fatalf("tcp got %q", s)
		}
	case <-time.After(testwait.Timeout):
		t.Fatal("tcp data never arrived")
	}
	// a closed port
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	e.L.SetGlobal("CLOSED", lua.LNumber(closed))
	checkExprs(t, e.L, []exprCase{
		{"ntop.tcpProbe('127.0.0.1', CLOSED, 1)", "false"},
		{"ntop.send_tcp_data('127.0.0.1', CLOSED, 'x')", "false"},
	})
	if msg := chunkErr(e.L, "ntop.send_udp_data('127.0.0.1', 70000, 'x')"); !strings.Contains(msg, "ntop.send_udp_data: argument #2 (port) is out of range") {
		t.Errorf("bad port: %q", msg)
	}
}

func TestNtopGeo(t *testing.T) {
	dir := t.TempDir()
	oui := filepath.Join(dir, "oui.csv")
	writeFile(t, oui, "Registry,Assignment,Organization Name,Organization Address\n"+
		"MA-L,00163E,Xensource Inc.,\"addr, with comma\"\nMA-L,F0D5BF,Intel Corporate,x\nMA-S,70B3D5001,Tiny Co,y\n")
	o, err := LoadOUI(oui, filepath.Join(dir, "missing.csv"))
	if err != nil || o.Len() != 3 {
		t.Fatalf("LoadOUI: %v, %d entries", err, o.Len())
	}
	e := newEnv(t, Deps{GeoIP: testGeoIP(t), OUI: o})
	checkExprs(t, e.L, []exprCase{
		{"ntop.getMacManufacturer('00:16:3e:11:22:33')", "Xensource Inc."},
		{"ntop.getMacManufacturer('F0-D5-BF-00-00-01')", "Intel Corporate"},
		{"ntop.getMacManufacturer('70:B3:D5:00:1F:FF')", "Tiny Co"},
		{"ntop.getMacManufacturer('02:00:00:00:00:01')", "nil"},
		{"ntop.hasGeoIP()", "true"},
		{"ntop.getHostGeolocation('8.8.8.8').asname", "GOOGLE"},
		{"ntop.getASName('8.8.8.8')", "GOOGLE"},
	})
	// the ASN database of the test fixture
	for asn, name := range testASNs {
		e.L.SetGlobal("ASN", lua.LNumber(asn))
		if got := eval(e.L, "ntop.getASNameFromASN(ASN)"); got != name {
			t.Errorf("getASNameFromASN(%d) = %q, want %q", asn, got, name)
		}
	}
	checkExprs(t, e.L, []exprCase{{"ntop.getASNameFromASN(4242424242)", "nil"}})
}

func TestNtopBitmap(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.bitmapIsSet(5, 0)", "true"},
		{"ntop.bitmapIsSet(5, 1)", "false"},
		{"ntop.bitmapSet(5, 1)", "7"},
		{"ntop.bitmapClear(7, 0)", "6"},
		{"ntop.bitmapIsSet(1, 64)", "false"},
	})
}

func TestNtopScore(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.mapScoreToSeverity(0)", "1"},
		{"ntop.mapScoreToSeverity(5)", "2"},
		{"ntop.mapScoreToSeverity(10)", "3"},
		{"ntop.mapScoreToSeverity(60)", "4"},
		{"ntop.mapScoreToSeverity(100)", "5"},
		{"ntop.mapScoreToSeverity(300)", "6"},
		{"ntop.mapSeverityToScore(4)", "50"},
		{"ntop.mapSeverityToScore(ntop.mapScoreToSeverity(100))", "100"},
		{"ntop.getFlowAlertScore(10)", "100"},
		{"ntop.getFlowAlertScore(9999)", "0"},
		{"ntop.getFlowAlertRisk(10)", "0"},
	})
}

func TestNtopEdition(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.isPro() or ntop.isEnterprise() or ntop.isEnterpriseL() or ntop.isnEdge() or ntop.isForcedCommunity()", "false"},
		{"ntop.isLinux()", "true"},
		{"ntop.isFreeBSD() or ntop.isWindows()", "false"},
		{"ntop.isPackage() or ntop.isAppliance() or ntop.isIoTBridge()", "false"},
		{"ntop.hasRadiusSupport() or ntop.hasLdapSupport() or ntop.isPingAvailable()", "false"},
		{"ntop.isClickHouseEnabled() or ntop.hasSpeedtestSupport() or ntop.isNProbeIPSConfigured() or ntop.isFlowDedupEnabled()", "false"},
		{"ntop.getLicenseLimits().num_flows > 0", "true"},
	})
}

func TestNtopPrivilege(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.gainWriteCapabilities()", "true"},
		{"ntop.dropWriteCapabilities()", "true"},
		{"ntop.isAdministrator()", "true"},
		// A script has the process's rights and no HTTP client of its own.
		{"ntop.getNologinUser()", "nologin"},
		{"ntop.getAllowedNetworks()", "0.0.0.0/0,::/0"},
		{"ntop.isPcapDownloadAllowed()", "true"},
		{"ntop.isLoginBlacklisted()", "false"},
		{"select(2, pcall(ntop.httpRedirect, '/'))", "<string>:1: ntop.httpRedirect: only a Lua page can redirect (this is a flow script)"},
		{"select(2, pcall(ntop.isLoginDisabled))", "<string>:1: ntop.isLoginDisabled: no web server in this process"},
	})
}

func TestNtopLuaCache(t *testing.T) {
	shared := NewLuaCache()
	now := time.Unix(1000, 0)
	shared.now = func() time.Time { return now }
	a := newEnv(t, Deps{LuaCache: shared})
	b := newEnv(t, Deps{LuaCache: shared})
	runChunk(t, a.L, `
		ntop.setLuaCache("s", "v")
		ntop.setLuaCache("t", {1, 2, x = {y = true}})
		ntop.setLuaCache("short", 5, 10)`)
	checkExprs(t, b.L, []exprCase{
		{"ntop.getLuaCache('s')", "v"},
		{"ntop.getLuaCache('t')[2]", "2"},
		{"ntop.getLuaCache('t').x.y", "true"},
		{"ntop.getLuaCache('short')", "5"},
		{"ntop.getLuaCache('none')", "nil"},
		{"ntop.dumpLuaCache().s", "v"},
	})
	now = now.Add(10 * time.Second)
	checkExprs(t, b.L, []exprCase{{"ntop.getLuaCache('short')", "nil"}})
	// a copy: changing the table read does not change the cache
	runChunk(t, b.L, `local t = ntop.getLuaCache('t'); t[1] = 99`)
	checkExprs(t, a.L, []exprCase{{"ntop.getLuaCache('t')[1]", "1"}})
	if msg := chunkErr(a.L, "ntop.setLuaCache('f', function() end)"); !strings.Contains(msg, "ntop.setLuaCache: argument #2 (value)") {
		t.Errorf("function value: %q", msg)
	}
	if msg := chunkErr(a.L, "local t = {}; t.t = t; ntop.setLuaCache('cyc', t)"); !strings.Contains(msg, "nested too deep") {
		t.Errorf("cyclic value: %q", msg)
	}
}

func TestNtopMiscFuncs(t *testing.T) {
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{
		{"ntop.getservbyport(22, 'tcp')", "ssh"},
		{"ntop.getservbyport(53, 'udp')", "domain"},
		{"ntop.getservbyport(47999, 'tcp')", "47999"},
		{"ntop.getTLSVersionName(0x0304)", "TLSv1.3"},
		{"ntop.getTLSVersionName(0x0303)", "TLSv1.2"},
		{"ntop.getTLSVersionName(0x1234)", "TLS (1234)"},
		{"ntop.getMac64('00:11:22:33:44:55')", "73588229205"},
		{"ntop.decodeMac64(ntop.getMac64('aa:bb:cc:dd:ee:ff'))", "AA:BB:CC:DD:EE:FF"},
		{"ntop.isOffline() or ntop.isForcedOffline() or ntop.assetsEnabled()", "false"},
	})
	if msg := chunkErr(e.L, "ntop.getMac64('zz')"); !strings.Contains(msg, "ntop.getMac64: argument #1 (mac)") {
		t.Errorf("bad mac: %q", msg)
	}
}

// TestNtopUnavailable: a seed function flowgate has nothing behind answers
// ntopng's "absent feature" value and logs once per function.
func TestNtopUnavailable(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	e := newEnv(t, Deps{Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))})
	checkExprs(t, e.L, []exprCase{
		{"ntop.rrd_inc_num_drops('x')", "nil"},
		{"ntop.rrd_inc_num_drops('y')", "nil"},
		{"ntop.isRoutingMode()", "false"},
		{"ntop.snmpv3available and ntop.snmpv3available()", "false"},
	})
	if n := strings.Count(buf.String(), "ntop.rrd_inc_num_drops is unavailable in flowgate"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, buf.String())
	}
}

// TestNtopTableTests: every test the compatibility table names exists.
func TestNtopTableTests(t *testing.T) {
	files, _ := filepath.Glob("*_test.go")
	var all strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	for _, r := range NtopStatuses() {
		if r.Status == StatusUnavailable || !strings.HasPrefix(r.Test, "Test") {
			continue
		}
		if !regexp.MustCompile(`func ` + r.Test + `\(`).MatchString(all.String()) {
			t.Errorf("ntop.%s: test %s does not exist", r.Name, r.Test)
		}
	}
}

var testASNs = map[uint32]string{15169: "GOOGLE", 24151: "CNNIC"}

func TestNtopNDPI(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hosts.txt"), "# comment\nads.example.com\n198.51.100.0/24\n\ntracker.example.net\n")
	shared := NewCustomCategories()
	a := newEnv(t, Deps{Categories: shared})
	b := newEnv(t, Deps{Categories: shared})
	a.L.SetGlobal("DIR", luaStr(dir))
	checkExprs(t, a.L, []exprCase{
		{"ntop.getnDPIProtoCategory(7).name", "Web"},
		{"ntop.isCustomApplication(7)", "false"},
		{"ntop.initnDPIReload()", "true"},
		{"ntop.loadCustomCategoryHost(100, 'mal.example.org')", "true"},
		{"ntop.loadCustomCategoryIp(100, '203.0.113.7')", "true"},
		{"ntop.loadCustomCategoryFile('Advertisement', DIR .. '/hosts.txt')", "3"},
		{"ntop.matchCustomCategory('mal.example.org')", "nil"}, // not before finalize
		{"ntop.finalizenDPIReload()", "true"},
		{"ntop.finalizenDPIReload()", "false"},
		{"ntop.loadCustomCategoryFile(5, DIR .. '/missing')", "nil"},
	})
	checkExprs(t, b.L, []exprCase{
		{"ntop.matchCustomCategory('mal.example.org')", "100"},
		{"ntop.matchCustomCategory('x.ads.example.com')", "101"}, // Advertisement
		{"ntop.matchCustomCategory('198.51.100.9')", "101"},
		{"ntop.matchCustomCategory('203.0.113.7')", "100"},
		{"ntop.matchCustomCategory('example.com')", "nil"},
		{"(function() ntop.setnDPIProtoCategory(7, 20) return ntop.getnDPIProtoCategory(7).id end)()", "20"},
	})
	if msg := chunkErr(a.L, "ntop.loadCustomCategoryIp(1, 'host')"); !strings.Contains(msg, "argument #2 (network)") {
		t.Errorf("bad network: %q", msg)
	}
}

func TestNtopExec(t *testing.T) {
	off := newEnv(t, Deps{Logger: quietLog()})
	checkExprs(t, off.L, []exprCase{{"ntop.execCmd('echo hi')", "nil"}, {"ntop.execCmdAsync('echo hi')", "nil"}})
	on := newEnv(t, Deps{AllowExec: true})
	checkExprs(t, on.L, []exprCase{
		{"ntop.execCmd('echo hi; echo err >&2')", "hi\n"},
		{"ntop.readResultCmdAsync(999)", "nil"},
	})
	runChunk(t, on.L, `H = ntop.execCmdAsync("printf async")`)
	testwait.For(t, "the async command's result", func() bool {
		got := eval(on.L, "ntop.readResultCmdAsync(H)")
		if got != "nil" && got != "async" {
			t.Fatalf("async result %q", got)
		}
		return got == "async"
	})
	checkExprs(t, on.L, []exprCase{{"ntop.readResultCmdAsync(H)", "nil"}}) // read once
}

// fakeSMTP accepts one message and hands its envelope and data over.
func fakeSMTP(t *testing.T) (string, <-chan string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		var rec strings.Builder
		io.WriteString(c, "220 fake ESMTP\r\n")
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if inData {
				if line == ".\r\n" {
					inData = false
					io.WriteString(c, "250 queued\r\n")
					continue
				}
				rec.WriteString(line)
				continue
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				io.WriteString(c, "250 fake\r\n")
			case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
				rec.WriteString(strings.TrimSpace(line) + "\n")
				io.WriteString(c, "250 ok\r\n")
			case cmd == "DATA":
				inData = true
				io.WriteString(c, "354 go\r\n")
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				got <- rec.String()
				return
			default:
				io.WriteString(c, "502 no\r\n")
			}
		}
	}()
	return l.Addr().String(), got
}

func TestNtopSendMail(t *testing.T) {
	addr, got := fakeSMTP(t)
	e := newEnv(t, Deps{Logger: quietLog()})
	e.L.SetGlobal("SMTP", luaStr("smtp://"+addr))
	checkExprs(t, e.L, []exprCase{
		{"ntop.sendMail({from = 'fg@example.com', to = 'a@example.com, b@example.com', subject = 'Alert', msg = 'host down', smtp_server = SMTP})", "true"},
	})
	select {
	case s := <-got:
		for _, want := range []string{"MAIL FROM:<fg@example.com>", "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "Subject: Alert", "host down"} {
			if !strings.Contains(s, want) {
				t.Errorf("server got %q, lacking %q", s, want)
			}
		}
	case <-time.After(testwait.Timeout):
		t.Fatal("no mail")
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	e.L.SetGlobal("CLOSED", luaStr(closed))
	checkExprs(t, e.L, []exprCase{{"ntop.sendMail('a@x', 'b@x', 'm', CLOSED)", "false"}})
	if msg := chunkErr(e.L, "ntop.sendMail({to = 'b@x'})"); !strings.Contains(msg, "ntop.sendMail: from, to and smtp_server are required") {
		t.Errorf("missing fields: %q", msg)
	}
}

func TestNtopHostInformation(t *testing.T) {
	e := newEnv(t, Deps{GeoIP: testGeoIP(t)})
	checkExprs(t, e.L, []exprCase{
		{"ntop.getHostInformation('8.8.8.8').asname", "GOOGLE"},
		{"ntop.getHostInformation('8.8.8.8').is_local", "false"},
		{"ntop.getHostInformation('192.168.1.9').local_network_name", "192.168.1.0/24"},
	})
}

func TestNtopStats(t *testing.T) {
	s, err := kvOpenTemp(t)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Deps{Cache: NewCacheOn(s)})
	base := testNow.Unix() - testNow.Unix()%86400
	steps := []struct {
		at   int64
		src  string
		want string
	}{
		{base + 30, "ntop.insertMinuteSampling(1, '{\"m\":1}')", ""},
		{base + 90, "ntop.insertMinuteSampling(1, '{\"m\":2}')", ""},
		{base + 3700, "ntop.insertHourSampling(1, 'h1')", ""},
		{base + 86400 + 5, "ntop.insertDaySampling(1, 'd1')", ""},
		{base + 100, "return ntop.getMinuteSampling(1, BASE + 61)", `{"m":2}`},
		{base + 100, "return ntop.getMinuteSampling(2, BASE + 61)", "nil"},
		{base + 100, "local t = ntop.getMinuteSamplingsFromEpoch(1, BASE) return t[BASE] .. t[BASE + 60]", `{"m":1}{"m":2}`},
		{base + 100, "local t = ntop.getMinuteSamplingsInterval(1, BASE + 1, BASE + 60) return t[BASE + 60] .. tostring(t[BASE])", `{"m":2}nil`},
		{base + 100, "return ntop.getHourSamplingsFromEpoch(1, 0)[BASE + 3600]", "h1"},
		{base + 100, "return ntop.getDaySamplingsFromEpoch(1, 0)[BASE + 86400]", "d1"},
		{base + 86400*3, "ntop.deleteMinuteStatsOlderThan(1, 1)", ""},
		{base + 86400*3, "return next(ntop.getMinuteSamplingsFromEpoch(1, 0))", "nil"},
		{base + 86400*3, "return ntop.getHourSamplingsFromEpoch(1, 0)[BASE + 3600]", "h1"},
		{base + 86400*3, "ntop.deleteHourStatsOlderThan(1, 0) ntop.deleteDayStatsOlderThan(1, 0)", ""},
		{base + 86400*3, "return tostring(next(ntop.getHourSamplingsFromEpoch(1, 0))) .. tostring(next(ntop.getDaySamplingsFromEpoch(1, 0)))", "nilnil"},
	}
	e.L.SetGlobal("BASE", lua.LNumber(base))
	for _, st := range steps {
		e.ctx.Now = time.Unix(st.at, 0)
		if err := e.L.DoString(st.src); err != nil {
			t.Fatalf("%s: %v", st.src, err)
		}
		if st.want != "" {
			got := e.L.Get(-1).String()
			e.L.Pop(1)
			if got != st.want {
				t.Errorf("%s = %q, want %q", st.src, got, st.want)
			}
		}
	}
	if msg := chunkErr(e.L, "ntop.deleteDayStatsOlderThan(1, -1)"); !strings.Contains(msg, "argument #2 (days) is out of range") {
		t.Errorf("bad days: %q", msg)
	}
}

func kvOpenTemp(t *testing.T) (kv.Store, error) {
	s, err := kv.OpenEmbedded(kv.Config{Dir: t.TempDir()})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func TestNtopZMQ(t *testing.T) {
	pub := zmtp.NewPub(zmtp.PubConfig{})
	if err := pub.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	e := newEnv(t, Deps{})
	checkExprs(t, e.L, []exprCase{{"ntop.zmq_receive()", "nil"}})
	e.L.SetGlobal("EP", luaStr(pub.Endpoints()[0]))
	runChunk(t, e.L, `ntop.zmq_connect(EP, "flow")`)
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Timeout)
	defer cancel()
	if err := pub.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// the subscription reaches the publisher asynchronously: resend until seen
	deadline := time.Now().Add(testwait.Timeout)
	for {
		if err := pub.Send([]byte("event"), []byte("not for us")); err != nil {
			t.Fatal(err)
		}
		if err := pub.Send([]byte("flow"), []byte(`{"IN_BYTES":1}`)); err != nil {
			t.Fatal(err)
		}
		_ = pub.Flush()
		if got := eval(e.L, "ntop.zmq_receive()"); got == `{"IN_BYTES":1}` {
			break
		} else if got != "nil" || time.Now().After(deadline) {
			t.Fatalf("zmq_receive = %q", got)
		}
	}
	runChunk(t, e.L, `ntop.zmq_disconnect()`)
	checkExprs(t, e.L, []exprCase{{"ntop.zmq_receive()", "nil"}})
	if msg := chunkErr(e.L, `ntop.zmq_connect("bogus://x")`); !strings.Contains(msg, "ntop.zmq_connect: argument #1 (endpoint)") {
		t.Errorf("bad endpoint: %q", msg)
	}
}
