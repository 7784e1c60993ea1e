package api

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/lua/vm"
	"flowgate/store"
)

// docs/ntop-api.md §11 (HTTP beyond get/post), §12, §23, §24, §25, §27–§29, §32, §33.

func init() {
	register("ntop", []luaFn{
		// §11
		fn("httpFetch", ntopHTTPFetch),
		fn("httpGetAuthToken", func(b *binding, L *lua.LState) int {
			L.Push(b.do(L, httpReq{method: http.MethodGet, url: argKey(L, "httpGetAuthToken", 1, "url"),
				bearer: argKey(L, "httpGetAuthToken", 2, "token"), timeout: secs(L.Get(3)),
				returnContent: L.Get(4) == lua.LNil || lua.LVAsBool(L.Get(4)), insecure: lua.LVAsBool(L.Get(5))}))
			return 1
		}),
		fn("httpPostAuthToken", func(b *binding, L *lua.LState) int { return httpWithBody(b, L, "httpPostAuthToken", http.MethodPost) }),
		fn("httpPutAuthToken", func(b *binding, L *lua.LState) int { return httpWithBody(b, L, "httpPutAuthToken", http.MethodPut) }),
		fn("httpPatchAuthToken", func(b *binding, L *lua.LState) int {
			return httpWithBody(b, L, "httpPatchAuthToken", http.MethodPatch)
		}),
		fn("postHTTPTextFile", func(b *binding, L *lua.LState) int {
			url, path := argKey(L, "postHTTPTextFile", 1, "url"), argKey(L, "postHTTPTextFile", 2, "file_path")
			data, err := os.ReadFile(path)
			if err != nil {
				b.log(slog.LevelWarn, "ntop.postHTTPTextFile: "+err.Error())
				L.Push(lua.LFalse)
				return 1
			}
			res := b.do(L, httpReq{method: http.MethodPost, url: url, body: string(data), contentType: "text/plain",
				timeout: secs(L.Get(3))})
			L.Push(lua.LBool(is2xx(res)))
			return 1
		}),
		fn("getRandomCSRFValue", func(b *binding, L *lua.LState) int {
			var r [16]byte
			_, _ = rand.Read(r[:])
			L.Push(lua.LString(hex.EncodeToString(r[:])))
			return 1
		}),

		// §12
		fn("setLoggingLevel", func(b *binding, L *lua.LState) int {
			name := strings.ToLower(argKey(L, "setLoggingLevel", 1, "level"))
			lv, ok := map[string]slog.Level{"trace": slog.LevelDebug, "debug": slog.LevelDebug, "info": slog.LevelInfo,
				"normal": slog.LevelInfo, "warning": slog.LevelWarn, "error": slog.LevelError}[name]
			if !ok {
				L.RaiseError("ntop.setLoggingLevel: argument #1 (level) must be trace, debug, info, normal, warning or error, got %q", name)
			}
			if b.deps.LogLevel != nil {
				b.deps.LogLevel.Set(lv)
			}
			b.minLevel = lv
			return 0
		}),

		// §23: Go reads the zone once; TZ changes need a restart, as for any Go program.
		fn("tzset", func(b *binding, L *lua.LState) int { return 0 }),

		// §24
		fn("send_udp_data", func(b *binding, L *lua.LState) int {
			addr := hostPort(L, "send_udp_data")
			data := argKey(L, "send_udp_data", 3, "data")
			c, err := net.DialTimeout("udp", addr, sendTimeout)
			if err == nil {
				_, err = c.Write([]byte(data))
				c.Close()
			}
			if err != nil {
				b.log(slog.LevelWarn, "ntop.send_udp_data "+addr+": "+err.Error())
			}
			L.Push(lua.LBool(err == nil))
			return 1
		}),
		fn("send_tcp_data", func(b *binding, L *lua.LState) int {
			addr := hostPort(L, "send_tcp_data")
			data := argKey(L, "send_tcp_data", 3, "data")
			err := b.sendTCP(addr, data, secsOr(L.Get(4), sendTimeout))
			if err != nil {
				b.log(slog.LevelWarn, "ntop.send_tcp_data "+addr+": "+err.Error())
			}
			L.Push(lua.LBool(err == nil))
			return 1
		}),
		fn("tcpProbe", func(b *binding, L *lua.LState) int {
			addr := hostPort(L, "tcpProbe")
			c, err := net.DialTimeout("tcp", addr, secsOr(L.Get(3), sendTimeout))
			if err == nil {
				c.Close()
			}
			L.Push(lua.LBool(err == nil))
			return 1
		}),

		// §25
		fn("getASNameFromASN", func(b *binding, L *lua.LState) int {
			asn := argInt(L, "getASNameFromASN", 1, "asn", 0)
			if name := b.deps.GeoIP.asName(uint32(asn)); name != "" {
				L.Push(lua.LString(name))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}),
		fn("getMacManufacturer", func(b *binding, L *lua.LState) int {
			mac := argKey(L, "getMacManufacturer", 1, "mac")
			if v := b.deps.OUI.Lookup(mac); v != "" {
				L.Push(lua.LString(v))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}),

		// §27
		fn("mapScoreToSeverity", func(b *binding, L *lua.LState) int {
			b.pushI(L, int64(scoreToSeverity(argInt(L, "mapScoreToSeverity", 1, "score", 0))))
			return 1
		}),
		fn("mapSeverityToScore", func(b *binding, L *lua.LState) int {
			b.pushI(L, severityToScore(alerts.Severity(argInt(L, "mapSeverityToScore", 1, "severity", 0))))
			return 1
		}),
		fn("getFlowAlertScore", func(b *binding, L *lua.LState) int {
			id := int(argInt(L, "getFlowAlertScore", 1, "alert_id", 0))
			var score int64
			for _, d := range flowStatuses {
				if d.alertType == id {
					score = max(score, severityToScore(d.severity))
				}
			}
			b.pushI(L, score)
			return 1
		}),
		fn("getFlowAlertRisk", func(b *binding, L *lua.LState) int {
			_ = argInt(L, "getFlowAlertRisk", 1, "alert_id", 0)
			b.pushI(L, 0) // flowgate's 4.2 flow alerts carry no nDPI risk id
			return 1
		}),

		// §28: an honest description of flowgate
		ntopConst("isForcedCommunity", false),
		ntopConst("isPackage", false),
		ntopConst("isAppliance", false),
		ntopConst("isIoTBridge", false),
		ntopConst("isFreeBSD", runtime.GOOS == "freebsd"),
		ntopConst("isLinux", runtime.GOOS == "linux"),
		ntopConst("hasRadiusSupport", false),
		ntopConst("hasLdapSupport", false),
		ntopConst("isClickHouseEnabled", false),
		ntopConst("hasSpeedtestSupport", false),
		ntopConst("isNProbeIPSConfigured", false),
		ntopConst("isFlowDedupEnabled", false),
		fn("getLicenseLimits", func(b *binding, L *lua.LState) int {
			t := L.CreateTable(0, 4)
			// no license: limits are the configured table sizes, or -1 (none)
			maxFlows, maxHosts := -1, -1
			if b.ctx.Engine != nil {
				maxFlows, maxHosts = b.ctx.Engine.Config().MaxFlows, b.ctx.Engine.Config().MaxHosts
			}
			t.RawSetString("num_flows", lua.LNumber(maxFlows))
			t.RawSetString("num_hosts", lua.LNumber(maxHosts))
			t.RawSetString("num_interfaces", lua.LNumber(-1))
			t.RawSetString("num_exporters", lua.LNumber(-1))
			L.Push(t)
			return 1
		}),

		// §29: flowgate runs as one user with the rights it was started with.
		fn("gainWriteCapabilities", func(b *binding, L *lua.LState) int { L.Push(lua.LTrue); return 1 }),
		fn("dropWriteCapabilities", func(b *binding, L *lua.LState) int { L.Push(lua.LTrue); return 1 }),

		// §32
		fn("getLuaCache", func(b *binding, L *lua.LState) int {
			L.Push(b.luaCache().get(L, argKey(L, "getLuaCache", 1, "key")))
			return 1
		}),
		fn("setLuaCache", func(b *binding, L *lua.LState) int {
			k := argKey(L, "setLuaCache", 1, "key")
			v, err := vm.Freeze(L.Get(2))
			if err != nil {
				L.RaiseError("ntop.setLuaCache: argument #2 (value): %v", err)
			}
			b.luaCache().set(k, v, argTTL(L, "setLuaCache", 3))
			return 0
		}),
		fn("dumpLuaCache", func(b *binding, L *lua.LState) int {
			L.Push(b.luaCache().dump(L))
			return 1
		}),

		// §33
		fn("getservbyport", func(b *binding, L *lua.LState) int {
			port := argInt(L, "getservbyport", 1, "port", 0)
			proto := "tcp"
			if L.GetTop() >= 2 {
				proto = strings.ToLower(argKey(L, "getservbyport", 2, "proto"))
			}
			L.Push(lua.LString(serviceName(int(port), proto)))
			return 1
		}),
		fn("getTLSVersionName", func(b *binding, L *lua.LState) int {
			L.Push(lua.LString(tlsVersionName(argInt(L, "getTLSVersionName", 1, "version", 0))))
			return 1
		}),
		fn("getMac64", func(b *binding, L *lua.LState) int {
			s := argKey(L, "getMac64", 1, "mac")
			hw, err := net.ParseMAC(s)
			if err != nil || len(hw) != 6 {
				L.RaiseError("ntop.getMac64: argument #1 (mac) is not a MAC address: %q", s)
			}
			var n int64
			for _, c := range hw {
				n = n<<8 | int64(c)
			}
			b.pushI(L, n)
			return 1
		}),
		fn("decodeMac64", func(b *binding, L *lua.LState) int {
			n := argInt(L, "decodeMac64", 1, "mac64", 0)
			if n < 0 || n >= 1<<48 {
				L.RaiseError("ntop.decodeMac64: argument #1 (mac64) is out of range: %d", n)
			}
			hw := make(net.HardwareAddr, 6)
			for i := 5; i >= 0; i-- {
				hw[i] = byte(n)
				n >>= 8
			}
			L.Push(lua.LString(strings.ToUpper(hw.String())))
			return 1
		}),
		ntopConst("assetsEnabled", false),
	})
}

const sendTimeout = 3 * time.Second

func is2xx(res lua.LValue) bool {
	if t, ok := res.(*lua.LTable); ok {
		code, _ := t.RawGetString("RESPONSE_CODE").(lua.LNumber)
		return code >= 200 && code < 300
	}
	return false
}

func secsOr(v lua.LValue, def time.Duration) time.Duration {
	if d := secs(v); d > 0 {
		return d
	}
	return def
}

// hostPort reads (host, port) arguments 1 and 2.
func hostPort(L *lua.LState, fname string) string {
	host := argKey(L, fname, 1, "host")
	port := argInt(L, fname, 2, "port", 0)
	if port <= 0 || port > 65535 {
		L.RaiseError("ntop.%s: argument #2 (port) is out of range: %d", fname, port)
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}

// httpWithBody is http{Post,Put,Patch}AuthToken(url, token, body[, timeout, content_type]).
func httpWithBody(b *binding, L *lua.LState, fname, method string) int {
	r := httpReq{method: method, url: argKey(L, fname, 1, "url"), bearer: argKey(L, fname, 2, "token"),
		body: argKey(L, fname, 3, "body"), timeout: secs(L.Get(4)), returnContent: true, contentType: "application/json"}
	if ct := optStr(L.Get(5)); ct != "" {
		r.contentType = ct
	}
	L.Push(b.do(L, r))
	return 1
}

// ntopHTTPFetch is the seed's httpFetch(params) — url, method, body,
// headers, timeout, bearer, username, password, content_type,
// return_content, no_verify_cert — or ntopng's httpFetch(url, file[,
// timeout]), which downloads to a file and answers true/false.
func ntopHTTPFetch(b *binding, L *lua.LState) int {
	if p, ok := L.Get(1).(*lua.LTable); ok {
		r := httpReq{method: strings.ToUpper(optStr(p.RawGetString("method"))), url: optStr(p.RawGetString("url")),
			body: optStr(p.RawGetString("body")), bearer: optStr(p.RawGetString("bearer")),
			user: optStr(p.RawGetString("username")), pwd: optStr(p.RawGetString("password")),
			contentType: optStr(p.RawGetString("content_type")), timeout: secs(p.RawGetString("timeout")),
			returnContent: p.RawGetString("return_content") == lua.LNil || lua.LVAsBool(p.RawGetString("return_content")),
			insecure:      lua.LVAsBool(p.RawGetString("no_verify_cert")), headers: map[string]string{}}
		if r.url == "" {
			L.RaiseError("ntop.httpFetch: argument #1 (params) has no url")
		}
		if r.method == "" {
			r.method = http.MethodGet
			if r.body != "" {
				r.method = http.MethodPost
			}
		}
		if h, ok := p.RawGetString("headers").(*lua.LTable); ok {
			h.ForEach(func(k, v lua.LValue) { r.headers[k.String()] = v.String() })
		}
		L.Push(b.do(L, r))
		return 1
	}
	url, path := argKey(L, "httpFetch", 1, "url"), argKey(L, "httpFetch", 2, "file")
	res := b.do(L, httpReq{method: http.MethodGet, url: url, timeout: secs(L.Get(3)), returnContent: true})
	ok := is2xx(res)
	if ok {
		content := res.(*lua.LTable).RawGetString("CONTENT").String()
		// atomic: a script reading the file never sees half a download
		if err := store.WriteFile(path, []byte(content), store.ModePrivate); err != nil {
			b.log(slog.LevelWarn, "ntop.httpFetch: "+err.Error())
			ok = false
		}
	}
	L.Push(lua.LBool(ok))
	return 1
}

// insecureClient is deps.HTTPClient without TLS verification (the
// no_verify_cert argument), made once per state.
func (b *binding) insecureClient() *http.Client {
	if b.insecure == nil {
		c := *b.deps.HTTPClient
		var tr *http.Transport
		if t, ok := c.Transport.(*http.Transport); ok && t != nil {
			tr = t.Clone()
		} else {
			tr = http.DefaultTransport.(*http.Transport).Clone()
		}
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the script asked for it
		c.Transport = tr
		b.insecure = &c
	}
	return b.insecure
}

// sendTCP writes data on a kept connection to addr (ntopng keeps one per
// destination), reconnecting once when the old one is broken.
func (b *binding) sendTCP(addr, data string, timeout time.Duration) error {
	if b.tcpConns == nil {
		b.tcpConns = map[string]net.Conn{}
	}
	for attempt := 0; attempt < 2; attempt++ {
		c := b.tcpConns[addr]
		if c == nil {
			var err error
			if c, err = net.DialTimeout("tcp", addr, timeout); err != nil {
				return err
			}
			if len(b.tcpConns) >= 64 { // bounded: drop the others
				for k, old := range b.tcpConns {
					old.Close()
					delete(b.tcpConns, k)
				}
			}
			b.tcpConns[addr] = c
		}
		_ = c.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := c.Write([]byte(data)); err == nil {
			return nil
		} else if attempt == 1 {
			c.Close()
			delete(b.tcpConns, addr)
			return err
		}
		c.Close()
		delete(b.tcpConns, addr)
	}
	return nil
}

// ntopng's score levels (ntop_defines.h SCORE_LEVEL_*).
const (
	scoreInfo    = 1
	scoreNotice  = 10
	scoreWarning = 50
	scoreError   = 100
	scoreSevere  = 250
)

func scoreToSeverity(s int64) alerts.Severity {
	switch {
	case s < scoreInfo:
		return alerts.SeverityDebug
	case s < scoreNotice:
		return alerts.SeverityInfo
	case s < scoreWarning:
		return alerts.SeverityNotice
	case s < scoreError:
		return alerts.SeverityWarning
	case s < scoreSevere:
		return alerts.SeverityError
	}
	return alerts.SeverityCritical
}

func severityToScore(s alerts.Severity) int64 {
	switch {
	case s <= alerts.SeverityDebug:
		return 0
	case s == alerts.SeverityInfo:
		return scoreInfo
	case s == alerts.SeverityNotice:
		return scoreNotice
	case s == alerts.SeverityWarning:
		return scoreWarning
	case s == alerts.SeverityError:
		return scoreError
	}
	return scoreSevere
}

func tlsVersionName(v int64) string {
	switch v {
	case 0x0300:
		return "SSLv3"
	case 0x0301:
		return "TLSv1"
	case 0x0302:
		return "TLSv1.1"
	case 0x0303:
		return "TLSv1.2"
	case 0x0304:
		return "TLSv1.3"
	case 0xfeff:
		return "DTLSv1.0"
	case 0xfefd:
		return "DTLSv1.2"
	case 0xfefc:
		return "DTLSv1.3"
	}
	return fmt.Sprintf("TLS (%04X)", v)
}

// services is /etc/services (when present) over a few well-known ports.
var services = sync.OnceValue(func() map[string]string {
	m := map[string]string{"20/tcp": "ftp-data", "21/tcp": "ftp", "22/tcp": "ssh", "23/tcp": "telnet", "25/tcp": "smtp",
		"53/tcp": "domain", "53/udp": "domain", "67/udp": "bootps", "68/udp": "bootpc", "80/tcp": "http",
		"110/tcp": "pop3", "123/udp": "ntp", "143/tcp": "imap2", "161/udp": "snmp", "162/udp": "snmp-trap",
		"389/tcp": "ldap", "443/tcp": "https", "443/udp": "https", "514/udp": "syslog", "587/tcp": "submission",
		"636/tcp": "ldaps", "993/tcp": "imaps", "995/tcp": "pop3s", "3306/tcp": "mysql", "5432/tcp": "postgresql",
		"6379/tcp": "redis", "8080/tcp": "http-alt"}
	f, err := os.Open("/etc/services")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fs := strings.Fields(line)
		if len(fs) >= 2 && strings.Contains(fs[1], "/") {
			if _, dup := m[fs[1]]; !dup {
				m[fs[1]] = fs[0]
			}
		}
	}
	return m
})

// serviceName answers the port's service name, or the port number as
// text when unknown (as ntopng does).
func serviceName(port int, proto string) string {
	if n, ok := services()[strconv.Itoa(port)+"/"+proto]; ok {
		return n
	}
	return strconv.Itoa(port)
}
