package api

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

const (
	defaultHTTPTimeout = 10 * time.Second
	maxHTTPTimeout     = 60 * time.Second
	maxHTTPBody        = 16 << 20 // return_content cap
	maxSleep           = time.Second
)

var processStart = time.Now()

func init() {
	register("ntop", []luaFn{
		fn("getDirs", ntopGetDirs),
		fn("getCurrentPluginsDir", func(b *binding, L *lua.LState) int { L.Push(lua.LString(b.deps.ScriptsDir)); return 1 }),
		fn("getCurrentScriptsDir", func(b *binding, L *lua.LState) int { L.Push(lua.LString(b.deps.ScriptsDir)); return 1 }),
		fn("getInfo", ntopGetInfo),
		fn("getUptime", func(b *binding, L *lua.LState) int {
			b.pushI(L, int64(time.Since(processStart)/time.Second))
			return 1
		}),
		fn("getStartupEpoch", func(b *binding, L *lua.LState) int { b.pushI(L, processStart.Unix()); return 1 }),
		fn("getTime", func(b *binding, L *lua.LState) int { b.pushI(L, time.Now().Unix()); return 1 }),
		fn("gettimemsec", func(b *binding, L *lua.LState) int {
			b.pushNum(L, float64(time.Now().UnixMicro())/1000)
			return 1
		}),
		fn("getticks", func(b *binding, L *lua.LState) int { b.pushI(L, time.Now().UnixNano()); return 1 }),
		fn("gettickspersec", func(b *binding, L *lua.LState) int { b.pushNum(L, 1e9); return 1 }),
		fn("msleep", func(b *binding, L *lua.LState) int {
			// Capped: a hook that sleeps stalls its interface goroutine.
			time.Sleep(min(time.Duration(L.CheckInt64(1))*time.Millisecond, maxSleep))
			return 0
		}),
		fn("roundTime", func(b *binding, L *lua.LState) int {
			t, s := L.CheckInt64(1), L.CheckInt64(2)
			if s > 0 {
				t -= t % s
			}
			b.pushI(L, t)
			return 1
		}),
		fn("getDeadline", func(b *binding, L *lua.LState) int { b.pushI(L, 0); return 1 }),
		ntopConst("isDeadlineApproaching", false),
		ntopConst("isPro", false),
		ntopConst("isEnterprise", false),
		ntopConst("isEnterpriseM", false),
		ntopConst("isEnterpriseL", false),
		ntopConst("isEnterpriseXL", false),
		ntopConst("isEnterpriseXXL", false),
		ntopConst("isnEdge", false),
		ntopConst("isnEdgeEnterprise", false),
		ntopConst("isWindows", runtime.GOOS == "windows"),
		ntopConst("isShuttingDown", false),
		ntopConst("isAdministrator", true), // scripts run with the process's rights
		fn("getHttpPrefix", func(b *binding, L *lua.LState) int { L.Push(lua.LString("")); return 1 }),
		fn("getInstanceName", func(b *binding, L *lua.LState) int {
			h, _ := os.Hostname()
			L.Push(lua.LString(h))
			return 1
		}),
		fn("md5", func(b *binding, L *lua.LState) int {
			sum := md5.Sum([]byte(L.CheckString(1)))
			L.Push(lua.LString(hex.EncodeToString(sum[:])))
			return 1
		}),
		fn("bitmapIsSet", func(b *binding, L *lua.LState) int {
			bm, v := uint64(L.CheckInt64(1)), L.CheckInt(2)
			L.Push(lua.LBool(v >= 0 && v < 64 && bm&(1<<uint(v)) != 0))
			return 1
		}),
		fn("bitmapSet", func(b *binding, L *lua.LState) int {
			bm, v := uint64(L.CheckInt64(1)), L.CheckInt(2)
			if v >= 0 && v < 64 {
				bm |= 1 << uint(v)
			}
			b.pushNum(L, float64(bm))
			return 1
		}),
		fn("bitmapClear", func(b *binding, L *lua.LState) int {
			bm, v := uint64(L.CheckInt64(1)), L.CheckInt(2)
			if v >= 0 && v < 64 {
				bm &^= 1 << uint(v)
			}
			b.pushNum(L, float64(bm))
			return 1
		}),
		fn("exists", func(b *binding, L *lua.LState) int {
			_, err := os.Stat(L.CheckString(1))
			L.Push(lua.LBool(err == nil))
			return 1
		}),
		fn("isdir", func(b *binding, L *lua.LState) int {
			st, err := os.Stat(L.CheckString(1))
			L.Push(lua.LBool(err == nil && st.IsDir()))
			return 1
		}),
		fn("readdir", func(b *binding, L *lua.LState) int {
			t := L.NewTable()
			ents, _ := os.ReadDir(L.CheckString(1))
			for _, e := range ents {
				t.RawSetString(e.Name(), lua.LString(e.Name()))
			}
			L.Push(t)
			return 1
		}),

		// logging
		fn("traceEvent", func(b *binding, L *lua.LState) int {
			b.log(traceLevel(L.CheckInt(1)), L.CheckString(2))
			return 0
		}),
		fn("verboseTrace", func(b *binding, L *lua.LState) int { b.log(slog.LevelDebug, L.CheckString(1)); return 0 }),
		fn("syslog", ntopSyslog),

		// geolocation
		fn("hasGeoIP", func(b *binding, L *lua.LState) int { L.Push(lua.LBool(b.deps.GeoIP != nil)); return 1 }),
		fn("getASName", func(b *binding, L *lua.LState) int {
			ip, _ := netip.ParseAddr(L.CheckString(1))
			if g := b.deps.GeoIP.Lookup(ip); g.ASName != "" {
				L.Push(lua.LString(g.ASName))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}),
		fn("getHostGeolocation", func(b *binding, L *lua.LState) int {
			ip, _ := netip.ParseAddr(L.CheckString(1))
			g := b.deps.GeoIP.Lookup(ip)
			t := L.CreateTable(0, 6)
			t.RawSetString("country", lua.LString(g.Country))
			t.RawSetString("continent", lua.LString(g.Continent))
			t.RawSetString("city", lua.LString(g.City))
			b.setN(t, "latitude", g.Latitude)
			b.setN(t, "longitude", g.Longitude)
			b.setN(t, "asn", float64(g.ASN))
			t.RawSetString("asname", lua.LString(g.ASName))
			L.Push(t)
			return 1
		}),

		// HTTP client
		fn("httpGet", ntopHTTPGet),
		fn("httpPost", ntopHTTPPost),
		fn("postHTTPJsonData", ntopPostJSON),
	})
	register("ntop", cacheFuncs())
}

func ntopConst(name string, v bool) luaFn {
	return fn(name, func(b *binding, L *lua.LState) int { L.Push(lua.LBool(v)); return 1 })
}

func ntopGetDirs(b *binding, L *lua.LState) int {
	t := L.CreateTable(0, 10)
	install := filepath.Dir(b.deps.ScriptsDir)
	if b.deps.ScriptsDir == "" {
		install = ""
	}
	t.RawSetString("installdir", lua.LString(install))
	t.RawSetString("scriptdir", lua.LString(b.deps.ScriptsDir))
	t.RawSetString("callbacksdir", lua.LString(filepath.Join(b.deps.ScriptsDir, "callbacks")))
	t.RawSetString("workingdir", lua.LString(b.deps.DataDir))
	t.RawSetString("pcapdir", lua.LString(b.deps.DataDir))
	t.RawSetString("httpdocsdir", lua.LString(""))
	t.RawSetString("bindir", lua.LString(""))
	t.RawSetString("etcdir", lua.LString(""))
	t.RawSetString("sharedir", lua.LString(""))
	L.Push(t)
	return 1
}

func ntopGetInfo(b *binding, L *lua.LState) int {
	t := L.CreateTable(0, 10)
	v := b.deps.Version
	if v == "" {
		v = "flowgate"
	}
	t.RawSetString("product", lua.LString("flowgate"))
	t.RawSetString("version", lua.LString(v))
	t.RawSetString("version.enterprise_edition", lua.LFalse)
	t.RawSetString("version.enterprise_m_edition", lua.LFalse)
	t.RawSetString("version.enterprise_l_edition", lua.LFalse)
	t.RawSetString("version.nedge_edition", lua.LFalse)
	t.RawSetString("pro.release", lua.LFalse)
	t.RawSetString("platform", lua.LString(runtime.GOOS+"/"+runtime.GOARCH))
	t.RawSetString("OS", lua.LString(runtime.GOOS))
	b.setN(t, "uptime", float64(time.Since(processStart)/time.Second))
	L.Push(t)
	return 1
}

// traceLevel maps ntopng's TRACE_ERROR(0)..TRACE_DEBUG(4).
func traceLevel(l int) slog.Level {
	switch l {
	case 0:
		return slog.LevelError
	case 1:
		return slog.LevelWarn
	case 2, 3:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// syslogLevel maps a syslog(3) priority (0 emerg .. 7 debug).
func syslogLevel(p int) slog.Level {
	switch {
	case p <= 3:
		return slog.LevelError
	case p == 4:
		return slog.LevelWarn
	case p <= 6:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

func (b *binding) log(level slog.Level, msg string) {
	if level < b.minLevel {
		return
	}
	b.deps.Logger.Log(context.Background(), level, msg, "script", b.ctx.Script, "subdir", b.ctx.Subdir)
}

// ntopSyslog accepts 4.2's syslog(msg[, syslog_severity]) and the later
// syslog(level, msg).
func ntopSyslog(b *binding, L *lua.LState) int {
	if n, ok := L.Get(1).(lua.LNumber); ok && L.GetTop() >= 2 {
		b.log(syslogLevel(int(n)), L.CheckString(2))
		return 0
	}
	b.log(syslogLevel(L.OptInt(2, 6)), L.CheckString(1))
	return 0
}

// httpReq is one outgoing request built from a script's arguments.
type httpReq struct {
	method, url, body, contentType string
	user, pwd, bearer              string
	timeout                        time.Duration
	returnContent                  bool
	insecure                       bool // no_verify_cert: skip TLS verification
	headers                        map[string]string
}

func secs(v lua.LValue) time.Duration {
	if n, ok := v.(lua.LNumber); ok && n > 0 {
		return min(time.Duration(float64(n)*float64(time.Second)), maxHTTPTimeout)
	}
	return 0
}

func optStr(v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return string(s)
	}
	return ""
}

// do performs r and returns ntopng's result table {RESPONSE_CODE,
// CONTENT_TYPE, EFFECTIVE_URL, CONTENT?}, or nil plus a logged warning when
// the request could not be made.
func (b *binding) do(L *lua.LState, r httpReq) lua.LValue {
	if !b.deps.Offline.allowsURL(r.url) {
		b.log(slog.LevelWarn, "ntop.http: offline mode (ntop.setOffline): "+redactURL(r.url)+" is not on this machine or a private network")
		return lua.LNil
	}
	if r.timeout <= 0 {
		r.timeout = defaultHTTPTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	var body io.Reader
	if r.method != http.MethodGet {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		b.log(slog.LevelWarn, "ntop.http: "+err.Error())
		return lua.LNil
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.user != "" || r.pwd != "" {
		req.SetBasicAuth(r.user, r.pwd)
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	client := b.deps.HTTPClient
	if r.insecure {
		client = b.insecureClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		b.log(slog.LevelWarn, "ntop.http "+r.method+" "+r.url+": "+err.Error())
		return lua.LNil
	}
	defer resp.Body.Close()
	t := L.CreateTable(0, 4)
	b.setN(t, "RESPONSE_CODE", float64(resp.StatusCode))
	t.RawSetString("CONTENT_TYPE", lua.LString(resp.Header.Get("Content-Type")))
	t.RawSetString("EFFECTIVE_URL", lua.LString(resp.Request.URL.String()))
	if r.returnContent {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
		if err != nil {
			b.log(slog.LevelWarn, "ntop.http "+r.method+" "+r.url+": reading body: "+err.Error())
		}
		t.RawSetString("CONTENT", lua.LString(data))
		b.setN(t, "CONTENT_LEN", float64(len(data)))
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHTTPBody))
	}
	return t
}

// ntopHTTPGet is httpGet(url[, user, pwd, timeout, return_content, ...]).
func ntopHTTPGet(b *binding, L *lua.LState) int {
	L.Push(b.do(L, httpReq{method: http.MethodGet, url: argKey(L, "httpGet", 1, "url"), user: optStr(L.Get(2)),
		pwd: optStr(L.Get(3)), timeout: secs(L.Get(4)), returnContent: lua.LVAsBool(L.Get(5)),
		insecure: lua.LVAsBool(L.Get(6))}))
	return 1
}

// ntopHTTPPost is 4.2's httpPost(url, data[, user, pwd, timeout,
// return_content]) or the later httpPost(url, data, params_table) with
// username, password, timeout, return_content, bearer, x_api_key,
// extra_header. A body that looks like JSON is sent as application/json,
// anything else as a form.
func ntopHTTPPost(b *binding, L *lua.LState) int {
	r := httpReq{method: http.MethodPost, url: L.CheckString(1), body: L.OptString(2, "")}
	r.contentType = "application/x-www-form-urlencoded"
	if s := strings.TrimSpace(r.body); strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		r.contentType = "application/json"
	}
	if p, ok := L.Get(3).(*lua.LTable); ok {
		r.user, r.pwd = optStr(p.RawGetString("username")), optStr(p.RawGetString("password"))
		r.timeout = secs(p.RawGetString("timeout"))
		r.returnContent = lua.LVAsBool(p.RawGetString("return_content"))
		r.bearer = optStr(p.RawGetString("bearer"))
		r.headers = map[string]string{}
		if k := optStr(p.RawGetString("x_api_key")); k != "" {
			r.headers["X-API-Key"] = k
		}
		if h := optStr(p.RawGetString("extra_header")); h != "" {
			if k, v, ok := strings.Cut(h, ":"); ok {
				r.headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	} else {
		r.user, r.pwd = optStr(L.Get(3)), optStr(L.Get(4))
		r.timeout = secs(L.Get(5))
		r.returnContent = lua.LVAsBool(L.Get(6))
	}
	L.Push(b.do(L, r))
	return 1
}

// ntopPostJSON is 4.2's postHTTPJsonData(user, pwd, url, json[, timeout])
// (the webhook endpoint's call) or the later postHTTPJsonData(url, json):
// true when the server answered 2xx.
func ntopPostJSON(b *binding, L *lua.LState) int {
	r := httpReq{method: http.MethodPost, contentType: "application/json"}
	if L.GetTop() <= 2 {
		r.url, r.body = L.CheckString(1), L.CheckString(2)
	} else {
		r.user, r.pwd = optStr(L.Get(1)), optStr(L.Get(2))
		r.url, r.body = L.CheckString(3), L.CheckString(4)
		r.timeout = secs(L.Get(5))
	}
	res := b.do(L, r)
	ok := false
	if t, isT := res.(*lua.LTable); isT {
		code, _ := t.RawGetString("RESPONSE_CODE").(lua.LNumber)
		ok = code >= 200 && code < 300
	}
	L.Push(lua.LBool(ok))
	return 1
}
