package api

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	lua "github.com/yuin/gopher-lua"

	"flowgate/alerts"
	"flowgate/engine"
)

var testNow = time.Unix(1604300000, 0)

// testEnv is an engine with one interface and a Lua state with the API
// installed, its context pointing at that interface.
type testEnv struct {
	eng   *engine.Engine
	iface *engine.Interface
	L     *lua.LState
	ctx   *Context
	store *alerts.Store
}

func newEnv(t testing.TB, deps Deps) *testEnv {
	t.Helper()
	eng := engine.New(engine.Configuration{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")},
		Now:           func() time.Time { return testNow },
	})
	i := eng.AddInterface("tcp://127.0.0.1:5556", "zmq")
	store := alerts.NewStore(alerts.Config{Now: func() time.Time { return testNow }})
	L := lua.NewState()
	t.Cleanup(L.Close)
	ctx := &Context{Engine: eng, Iface: i, Alerts: store, Now: testNow, Script: "test_script", Subdir: "flow"}
	Install(L, ctx, deps)
	return &testEnv{eng: eng, iface: i, L: L, ctx: ctx, store: store}
}

type flowSpec struct {
	src, dst         string
	sport, dport     uint16
	proto            uint8
	inB, outB        uint64
	inP, outP        uint64
	master, app      uint16
	cliFlags, srvFlg uint8
	dns, sni         string
	retrIn           uint32
}

func (e *testEnv) process(specs ...flowSpec) {
	b := e.iface.NewBatch()
	for _, s := range specs {
		r := b.AddFlow()
		r.SrcIP, r.DstIP = netip.MustParseAddr(s.src), netip.MustParseAddr(s.dst)
		r.SrcPort, r.DstPort, r.Proto = s.sport, s.dport, s.proto
		r.IPVersion = 4
		r.InBytes, r.OutBytes, r.InPkts, r.OutPkts = s.inB, s.outB, s.inP, s.outP
		r.FirstSwitched, r.LastSwitched = uint32(testNow.Unix())-30, uint32(testNow.Unix())-5
		r.L7Master, r.L7App, r.L7Set = s.master, s.app, true
		r.ClientTCPFlags, r.ServerTCPFlags = s.cliFlags, s.srvFlg
		r.DNSQuery, r.TLSServerName = s.dns, s.sni
		r.RetrIn = s.retrIn
	}
	e.iface.Process(b)
}

// inFlow runs fn with the context pointed at the flow whose client port is
// sport, inside the interface's Do, as the hook runner does.
func (e *testEnv) inFlow(t testing.TB, sport uint16, fn func()) {
	t.Helper()
	found := false
	e.iface.Do(func(tb *engine.Tables) {
		tb.Flows(func(f *engine.Flow) bool {
			if f.ClientPort() != sport {
				return true
			}
			found = true
			e.ctx.Tables, e.ctx.Flow = tb, f
			defer func() { e.ctx.Tables, e.ctx.Flow = nil, nil }()
			fn()
			return false
		})
	})
	if !found {
		t.Fatalf("no flow with client port %d", sport)
	}
}

// eval returns tostring(expr) evaluated in L, or the error text.
func eval(L *lua.LState, expr string) string {
	if err := L.DoString("__r = tostring(" + expr + ")"); err != nil {
		return "error: " + err.Error()
	}
	return L.GetGlobal("__r").String()
}

// writeMMDB builds a small GeoLite2-style database file in dir.
func writeMMDB(t testing.TB, dir, name, dbType string, recs map[string]mmdbtype.Map) {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}

func cityRec(cc, cont, city string, lat, lon float64) mmdbtype.Map {
	return mmdbtype.Map{
		"country":   mmdbtype.Map{"iso_code": mmdbtype.String(cc)},
		"continent": mmdbtype.Map{"code": mmdbtype.String(cont)},
		"city":      mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}},
		"location":  mmdbtype.Map{"latitude": mmdbtype.Float64(lat), "longitude": mmdbtype.Float64(lon)},
	}
}

func asnRec(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(n),
		"autonomous_system_organization": mmdbtype.String(org)}
}

// testGeoIP opens a City+ASN pair covering 8.8.8.0/24 (US), 1.2.4.0/24 (CN)
// and 81.2.69.0/24 (GB).
func testGeoIP(t testing.TB) *GeoIP {
	dir := t.TempDir()
	writeMMDB(t, dir, "GeoLite2-City.mmdb", "GeoLite2-City", map[string]mmdbtype.Map{
		"8.8.8.0/24":   cityRec("US", "NA", "Mountain View", 37.4, -122.1),
		"1.2.4.0/24":   cityRec("CN", "AS", "Beijing", 39.9, 116.4),
		"81.2.69.0/24": cityRec("GB", "EU", "London", 51.5, -0.1),
	})
	writeMMDB(t, dir, "GeoLite2-ASN.mmdb", "GeoLite2-ASN", map[string]mmdbtype.Map{
		"8.8.8.0/24": asnRec(15169, "GOOGLE"),
		"1.2.4.0/24": asnRec(24151, "CNNIC"),
	})
	g, err := OpenGeoIP(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type mmdbMap = mmdbtype.Map
type mmdbStr = mmdbtype.String

func luaStr(s string) lua.LValue { return lua.LString(s) }

func parseAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func writeFile(t testing.TB, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
