package api

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

type seedFunc struct {
	Section int
	Name    string
}

// forReal are the seed sections issue 4 implements for real; the share of
// their functions implemented is what docs/ntop-api.md counts.
var forReal = map[int]bool{3: true, 4: true, 5: true, 6: true, 9: true, 10: true, 11: true, 12: true,
	13: true, 23: true, 24: true, 25: true, 26: true, 27: true, 28: true, 29: true, 32: true}

// ntopPartial gives the status of built-in functions that do less than
// ntopng's; every other built-in is "implemented".
var ntopPartial = map[string]string{
	"getInfo":                     "partial: describes flowgate (product, version, platform, uptime); no license or port fields",
	"getDirs":                     "partial: installdir/scriptdir/callbacksdir/workingdir/pcapdir are real; httpdocsdir, bindir, etcdir, sharedir are empty",
	"msleep":                      "partial: capped at 1 s per call (a hook that sleeps stalls its interface)",
	"getASName":                   "partial: needs a GeoLite2-ASN database (--geoip-dir)",
	"getASNameFromASN":            "partial: needs a GeoLite2-ASN database (--geoip-dir); the first call indexes it (about 1 s)",
	"getFlowAlertRisk":            "partial: always 0 (flowgate's 4.2 flow alerts carry no nDPI risk id)",
	"getFlowAlertScore":           "partial: derived from the severity of the 4.2 flow status that raises the alert type",
	"addLocalNetwork":             "partial: seen by the ntop.* network calls of the calling Lua state; the engine keeps -m",
	"dumpFile":                    "partial: written through the state's print (Lua page response or flowgate lua's stdout)",
	"dumpBinaryFile":              "partial: written through the state's print (Lua page response or flowgate lua's stdout)",
	"tzset":                       "partial: no-op; Go reads the time zone once at start",
	"systemHostStat":              "partial: cpu_load and memory from /proc (Linux); alert queue fields from the alert store are zeros",
	"getMac64":                    "partial: MAC → 48-bit integer, as ntopng's key form (not an EUI-64 string)",
	"decodeMac64":                 "partial: 48-bit integer → MAC, as ntopng's key form (not an EUI-64 string)",
	"loadCustomCategoryIp":        customCatPartial,
	"loadCustomCategoryHost":      customCatPartial,
	"loadCustomCategoryFile":      customCatPartial,
	"matchCustomCategory":         customCatPartial,
	"setnDPIProtoCategory":        "partial: getnDPIProtoCategory sees the change; the engine's flow categories do not",
	"execCmd":                     "partial: only with --allow-lua-exec (AllowExec); otherwise nil and one log line",
	"execCmdAsync":                "partial: only with --allow-lua-exec (AllowExec); otherwise nil and one log line",
	"getHostInformation":          "partial: geolocation, AS, local network and cached name; no host-table counters",
	"insertMinuteSampling":        statsPartial,
	"insertHourSampling":          statsPartial,
	"insertDaySampling":           statsPartial,
	"getMinuteSampling":           statsPartial,
	"getMinuteSamplingsFromEpoch": statsPartial,
	"getHourSamplingsFromEpoch":   statsPartial,
	"getDaySamplingsFromEpoch":    statsPartial,
	"getMinuteSamplingsInterval":  statsPartial,
	"deleteMinuteStatsOlderThan":  statsPartial,
	"deleteHourStatsOlderThan":    statsPartial,
	"deleteDayStatsOlderThan":     statsPartial,
	"getCacheStatus":              "partial: backend, key count and counters; not Redis's INFO fields",
	"getCacheStats":               "partial: backend, key count and counters; not Redis's INFO fields",
}

const customCatPartial = "partial: lists are kept and matched by ntop.matchCustomCategory; the engine's flow classification does not use them yet"

const statsPartial = "partial: kept in the cache store (a hash per interface and granularity), not in SQLite files"

// ntopTests names the test covering each built-in group; docs/ntop-api.md shows it.
var ntopTests = map[int]string{
	3: "TestNtopSystem", 4: "TestNtopFiles", 5: "TestNtopCache", 6: "TestNtopCache", 9: "TestNtopIP",
	10: "TestNtopResolve", 13: "TestNtopStats", 22: "TestNtopZMQ", 11: "TestNtopHTTP", 12: "TestNtopLogging", 23: "TestNtopTime", 24: "TestNtopSend",
	25: "TestNtopGeo", 26: "TestNtopBitmap", 27: "TestNtopScore", 28: "TestNtopEdition", 29: "TestNtopPrivilege",
	32: "TestNtopLuaCache", 33: "TestNtopMisc", 17: "TestNtopNDPI", 14: "TestNtopRRD",
}

// ntopFuncTests overrides ntopTests for single functions.
var ntopFuncTests = map[string]string{
	"execCmd": "TestNtopExec", "execCmdAsync": "TestNtopExec", "readResultCmdAsync": "TestNtopExec",
	"sendMail": "TestNtopSendMail", "getHostInformation": "TestNtopHostInformation",
	"getservbyport": "TestNtopMiscFuncs", "getTLSVersionName": "TestNtopMiscFuncs", "getMac64": "TestNtopMiscFuncs",
	"decodeMac64": "TestNtopMiscFuncs", "isOffline": "TestNtopMiscFuncs", "isForcedOffline": "TestNtopMiscFuncs",
	"assetsEnabled": "TestNtopMiscFuncs", "httpGet": "TestNtopHTTPPost", "httpPost": "TestNtopHTTPPost",
	"postHTTPJsonData": "TestNtopHTTPPost", "getHostGeolocation": "TestNtopGeo", "isPingAvailable": "TestNtopEdition",
	"getRiskStr": "TestNtopRisk", "getRiskList": "TestNtopRisk", "getFlowRiskAlerts": "TestNtopRisk",
	"getBlacklistStats": "TestFlowRiskAndBlacklistAccessors", "resetBlacklistStats": "TestFlowRiskAndBlacklistAccessors",
	"reloadBlacklists": "TestFlowRiskAndBlacklistAccessors",
}

// builtinNtop is the set of ntop.* names the api package defines itself.
func builtinNtop() map[string]bool {
	out := map[string]bool{}
	for _, t := range tables {
		if t.name == "ntop" {
			for _, f := range t.fns {
				out[f.name] = true
			}
		}
	}
	return out
}

// NtopStatus is one row of the compatibility table.
type NtopStatus struct {
	Section int
	Group   string
	Name    string
	Status  string // implemented, partial: …, unavailable
	Where   string // "flowgate" or the registering package's note
	Test    string
}

// NtopStatuses lists every ntop.* function of the reference (seedFuncs)
// with its status in this process: a registered function (RegisterNtop)
// wins over a built-in, a built-in is implemented unless ntopPartial says
// otherwise, anything else is unavailable. Functions flowgate provides
// beyond the reference follow in section 0.
func NtopStatuses() []NtopStatus {
	reg := map[string]NtopFunc{}
	for _, f := range RegisteredNtop() {
		reg[f.Name] = f
	}
	built := builtinNtop()
	seen := map[string]bool{}
	var out []NtopStatus
	row := func(sec int, name string) NtopStatus {
		r := NtopStatus{Section: sec, Group: seedSections[sec], Name: name, Status: StatusUnavailable}
		switch f, ok := reg[name]; {
		case ok:
			r.Status, r.Test = f.Status, "registered by another package"
		case built[name]:
			r.Status, r.Test = StatusImplemented, ntopTests[sec]
			if t, ok := ntopFuncTests[name]; ok {
				r.Test = t
			}
			if p, ok := ntopPartial[name]; ok {
				r.Status = p
			}
		}
		return r
	}
	for _, s := range seedFuncs {
		seen[s.Name] = true
		out = append(out, row(s.Section, s.Name))
	}
	var extra []string
	for n := range built {
		if !seen[n] {
			extra = append(extra, n)
		}
	}
	for n := range reg {
		if !seen[n] && !built[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		r := row(0, n)
		r.Group = "Beyond the seed (ntopng 4.x names scripts use)"
		if r.Test == "" {
			r.Test = "TestNtopMisc"
		}
		out = append(out, r)
	}
	return out
}

// NtopAPIMarkdown renders docs/ntop-api.md from NtopStatuses.
func NtopAPIMarkdown() string {
	rows := NtopStatuses()
	var b strings.Builder
	b.WriteString("# ntop.* API compatibility\n\n")
	b.WriteString("Generated from the code (`lua/api` NtopStatuses, with the functions other packages register) by\n")
	b.WriteString("`go test ./cmd/flowgate -run TestNtopAPIDoc -update`; a test fails when this file, the code or\n")
	b.WriteString("seed 004's function list disagree. *unavailable* functions exist (no script dies on a nil\n")
	b.WriteString("call): they return what ntopng's community build returns when a feature is absent (nil, or\n")
	b.WriteString("false for `is…`/`has…` questions) and log one line per function naming it unavailable;\n")
	b.WriteString("the table says why each one is.\n\n")
	// summary
	type count struct{ impl, partial, total int }
	var real count
	per := map[int]*count{}
	for _, r := range rows {
		c := per[r.Section]
		if c == nil {
			c = &count{}
			per[r.Section] = c
		}
		c.total++
		switch {
		case r.Status == StatusImplemented:
			c.impl++
		case strings.HasPrefix(r.Status, "partial"):
			c.partial++
		}
		if forReal[r.Section] {
			real.total++
			if r.Status != StatusUnavailable {
				if r.Status == StatusImplemented {
					real.impl++
				} else {
					real.partial++
				}
			}
		}
	}
	fmt.Fprintf(&b, "Sections implemented for real (issue 4): %d of %d functions implemented or partial (%.0f%%), %d of them partial.\n\n",
		real.impl+real.partial, real.total, 100*float64(real.impl+real.partial)/float64(max(real.total, 1)), real.partial)
	b.WriteString("| § | group | implemented | partial | unavailable |\n|---|---|---|---|---|\n")
	secs := make([]int, 0, len(per))
	for s := range per {
		secs = append(secs, s)
	}
	sort.Ints(secs)
	for _, s := range secs {
		c := per[s]
		g := seedSections[s]
		if s == 0 {
			g = "beyond the seed"
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %d | %d |\n", s, g, c.impl, c.partial, c.total-c.impl-c.partial)
	}
	last := -1
	for _, r := range rows {
		if r.Section != last {
			last = r.Section
			if r.Section == 0 {
				b.WriteString("\n## Beyond the seed\n\n")
			} else {
				fmt.Fprintf(&b, "\n## %d. %s\n\n", r.Section, r.Group)
			}
			b.WriteString("| function | status | test, or why unavailable |\n|---|---|---|\n")
		}
		note := r.Test
		if r.Status == StatusUnavailable {
			note = UnavailableWhy(r.Name)
		}
		fmt.Fprintf(&b, "| `ntop.%s` | %s | %s |\n", r.Name, r.Status, note)
	}
	return b.String()
}

// unavailableAnswer is what ntopng's community build answers for an absent
// feature: false for a yes/no question, nil for anything else.
func unavailableAnswer(name string) lua.LValue {
	if strings.HasSuffix(strings.ToLower(name), "available") {
		return lua.LFalse // snmpv3available, isPingAvailable, …
	}
	for _, p := range []string{"is", "has", "should"} {
		if strings.HasPrefix(name, p) && len(name) > len(p) && name[len(p)] >= 'A' && name[len(p)] <= 'Z' {
			return lua.LFalse
		}
	}
	return lua.LNil
}

// installNtopExtras sets, in the ntop table, the functions other packages
// registered and a stub for every seed function nobody provides.
func (b *binding) installNtopExtras(L *lua.LState, tbl *lua.LTable) {
	installRegistered(L, tbl, b)
	built := builtinNtop()
	for _, s := range seedFuncs {
		if built[s.Name] || tbl.RawGetString(s.Name) != lua.LNil {
			continue
		}
		L.SetField(tbl, s.Name, L.NewFunction(b.unavailable(s.Name)))
	}
}

// unavailable returns the stub for ntop.<name>: ntopng's "absent feature"
// answer and one log line per function and Lua state.
func (b *binding) unavailable(name string) lua.LGFunction {
	ans := unavailableAnswer(name)
	return func(L *lua.LState) int {
		if !b.warned[name] {
			b.warned[name] = true
			b.log(slog.LevelWarn, "ntop."+name+" is unavailable in flowgate: returning "+ans.String()+" (see docs/ntop-api.md)")
		}
		L.Push(ans)
		return 1
	}
}
