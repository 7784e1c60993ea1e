package activemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/history"
	"flowgate/internal/cputime"
	"flowgate/internal/testwait"
)

type fixture struct {
	m      *Monitor
	alerts *alerts.Store
	ts     *history.Scripts
	dir    string
}

func newFixture(t testing.TB, cfg Configuration) *fixture {
	t.Helper()
	dir := t.TempDir()
	hc := history.DefaultConfiguration()
	hc.DataDir = dir
	hs := history.New(hc)
	if err := hs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Stop)
	f := &fixture{alerts: alerts.NewStore(alerts.Config{}), ts: history.NewScripts(hs), dir: dir}
	if cfg.DataDir == "" {
		cfg.DataDir = dir
	}
	cfg.Disabled = true // rounds run by the test
	cfg.Metrics = prometheus.NewRegistry()
	m, err := New(cfg, Deps{Alerts: f.alerts, Timeseries: f.ts})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	f.m = m
	return f
}

func (f *fixture) add(t testing.TB, h Host) {
	t.Helper()
	if _, err := f.m.Add(h); err != nil {
		t.Fatalf("add %s: %v", h.Key(), err)
	}
}

func (f *fixture) engaged(key string) *alerts.Alert {
	for _, a := range f.alerts.Engaged(SystemIfID, alerts.EntityAMHost, key) {
		return &a
	}
	return nil
}

// serverIn serves h on a listener inside the namespace (TLS when tlsOn).
func serverIn(t *testing.T, ns *peerNS, h http.Handler, tlsOn bool) *httptest.Server {
	ln := ns.listenIn(t, net.JoinHostPort(ns.Peer4.String(), "0"))
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func hostOf(srv *httptest.Server) string {
	u := srv.Listener.Addr().String()
	return u
}

// TestRoundsAgainstNamespaces probes hosts of two namespaces: one where
// the kernel answers at once, one where a responder answers echo requests
// after 300 ms and an HTTP server answers late; plus addresses nobody
// answers and a closed port. Then the slow and silent hosts recover.
func TestRoundsAgainstNamespaces(t *testing.T) {
	fast := newPeerNS(t)
	slow := newPeerNS(t)
	slow.slowEcho(t, 300*time.Millisecond)

	open := fast.listenIn(t, net.JoinHostPort(fast.Peer4.String(), "0"))
	go func() {
		for {
			c, err := open.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed := fast.listenIn(t, net.JoinHostPort(fast.Peer4.String(), "0"))
	closedAddr := closed.Addr().String()
	closed.Close() // connection refused from now on

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	late := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond) // the server under test is slow on purpose
		w.WriteHeader(http.StatusOK)
	})
	web := serverIn(t, fast, ok, false)
	webTLS := serverIn(t, fast, ok, true)
	slowWeb := serverIn(t, slow, late, false)
	roots := x509.NewCertPool()
	roots.AddCert(webTLS.Certificate())

	f := newFixture(t, Configuration{PingWait: 2 * time.Second, Timeout: 3 * time.Second,
		TLS: &tls.Config{RootCAs: roots, ServerName: "example.com"}})

	type tc struct {
		h       Host
		outcome int
	}
	cases := []tc{
		{Host{Host: fast.Peer4.String(), Measurement: "icmp", Threshold: 250}, hourOK},
		{Host{Host: fast.Peer6.String(), Measurement: "icmp6", Threshold: 250}, hourOK},
		{Host{Host: fast.Silent4.String(), Measurement: "icmp", Threshold: 250}, hourUnreachable},
		{Host{Host: fast.Silent6.String(), Measurement: "icmp6", Threshold: 250}, hourUnreachable},
		{Host{Host: slow.Peer4.String(), Measurement: "icmp", Threshold: 100}, hourExceeded},
		{Host{Host: slow.Peer6.String(), Measurement: "icmp6", Threshold: 100}, hourExceeded},
		{Host{Host: open.Addr().String(), Measurement: "tcp", Threshold: 250}, hourOK},
		{Host{Host: closedAddr, Measurement: "tcp", Threshold: 250}, hourUnreachable},
		{Host{Host: hostOf(web) + "/health", Measurement: "http", Threshold: 250}, hourOK},
		{Host{Host: hostOf(webTLS), Measurement: "https", Threshold: 1000}, hourOK},
		{Host{Host: hostOf(slowWeb), Measurement: "http", Threshold: 100}, hourExceeded},
	}
	for _, c := range cases {
		f.add(t, c.h)
	}
	when := time.Now().Truncate(time.Minute)
	rep := f.m.Round(context.Background(), "min", when)
	if rep.Hosts != len(cases) || rep.OK != 5 || rep.Exceeded != 3 || rep.Unreachable != 3 {
		t.Errorf("round report %+v, want 11 hosts: 5 ok, 3 exceeded, 3 unreachable", rep)
	}
	for _, c := range cases {
		key := c.h.Key()
		st := f.m.Status(key)
		a := f.engaged(key)
		switch c.outcome {
		case hourOK:
			if !st.Reachable || st.Alerted || st.Value <= 0 || st.Value > c.h.Threshold || a != nil {
				t.Errorf("%s: status %+v, alert %v; want reachable within %v ms, no alert", key, st, a, c.h.Threshold)
			}
		case hourExceeded:
			if !st.Reachable || !st.Alerted || st.Value <= c.h.Threshold || a == nil {
				t.Errorf("%s: status %+v, alert %v; want reachable above %v ms, alerted", key, st, a, c.h.Threshold)
			}
		case hourUnreachable:
			if st.Reachable || !st.Alerted || st.Value != 0 || st.Error == "" || a == nil {
				t.Errorf("%s: status %+v, alert %v; want unreachable with an error, alerted", key, st, a)
			}
		}
		if a != nil && (a.Type != f.m.alertType || a.Granularity != 60 || a.Severity != alerts.SeverityWarning) {
			t.Errorf("%s: alert %+v", key, a)
		}
		// The series: the value (0 when unreachable), as ntopng writes it.
		res, err := f.ts.Query(context.Background(), "am_host:val_min",
			map[string]string{"ifid": "-1", "host": c.h.Host, "metric": c.h.Measurement}, when.Unix()-120, when.Unix()+60, 0)
		if err != nil {
			t.Fatalf("%s: series: %v", key, err)
		}
		if got := lastPoint(res); got != st.Value && !(math.Abs(got-st.Value) < 1e-6) {
			t.Errorf("%s: series last point %v, want the measured %v", key, got, st.Value)
		}
	}
	if h, avail := f.m.HourStats(cases[0].h.Key()); avail != 100 || h[when.Hour()][hourOK] != 1 {
		t.Errorf("hour stats of a reachable host: %v, availability %v", h[when.Hour()], avail)
	}
	s := f.m.Stats()
	if s.Measurements["icmp"]["unreachable"] != 1 || s.Measurements["icmp6"]["exceeded"] != 1 || s.AlertsEngaged != 6 || s.Rounds["min"] != 1 {
		t.Errorf("stats %+v", s)
	}

	// Recovery: the slow namespace's kernel answers again (first reply
	// wins), the silent address appears, the HTTP host gets a larger
	// threshold: every alert but the closed port's is released.
	slow.sysctl(t, "net.ipv4.icmp_echo_ignore_all", "0")
	slow.sysctl(t, "net.ipv6.icmp.echo_ignore_all", "0")
	run(t, "ip", "netns", "exec", fast.Name, "ip", "addr", "add", fast.Silent4.String()+"/24", "dev", fast.peerVeth)
	run(t, "ip", "neigh", "flush", "dev", fast.hostVeth) // forget the failed ARP of the silent round
	slowHTTP := Host{Host: hostOf(slowWeb), Measurement: "http", Threshold: 100}
	if _, err := f.m.Edit(slowHTTP.Key(), Host{Host: slowHTTP.Host, Measurement: "http", Threshold: 5000}); err != nil {
		t.Fatal(err)
	}
	rep = f.m.Round(context.Background(), "min", when.Add(time.Minute))
	if rep.OK != 9 || rep.Unreachable != 2 {
		t.Errorf("recovery round %+v, want 9 ok, 2 unreachable (the IPv6 silent address, the closed port)", rep)
	}
	for _, key := range []string{"icmp@" + slow.Peer4.String(), "icmp6@" + slow.Peer6.String(), "icmp@" + fast.Silent4.String(), slowHTTP.Key()} {
		if a := f.engaged(key); a != nil {
			t.Errorf("%s still engaged after recovery: %+v", key, a)
		}
	}
	rows, _ := f.alerts.List(alerts.Query{Entity: alerts.Ptr(alerts.EntityAMHost)})
	released := 0
	for _, r := range rows {
		if r.Action == alerts.ActionRelease {
			released++
		}
	}
	if released != 4 {
		t.Errorf("%d am_host alerts released into the history, want 4: %+v", released, rows)
	}
	if a := f.engaged("tcp@" + closedAddr); a == nil {
		t.Error("the closed port's alert was released")
	}
}

func lastPoint(r *history.Result) float64 {
	if r == nil || len(r.Series) == 0 {
		return math.NaN()
	}
	d := r.Series[0].Data
	for i := len(d) - 1; i >= 0; i-- {
		if !math.IsNaN(d[i]) {
			return d[i]
		}
	}
	return math.NaN()
}

// TestHostsPersistAndBadInput: bad hosts are refused with a clear error
// and a counter, nothing else changes; the hosts survive a restart.
func TestHostsPersistAndBadInput(t *testing.T) {
	f := newFixture(t, Configuration{})
	good := []Host{
		{Host: "192.0.2.1", Measurement: "icmp"},
		{Host: "2001:db8::1", Measurement: "icmp6", Threshold: 80, Granularity: "5mins"},
		{Host: "example.org:443", Measurement: "tcp", Threshold: 50, Granularity: "hour"},
		{Host: "example.org/status", Measurement: "https", Threshold: 900},
	}
	for _, h := range good {
		f.add(t, h)
	}
	bad := []struct {
		name string
		op   func() error
		want error
	}{
		{"unknown measurement", func() error { _, err := f.m.Add(Host{Host: "192.0.2.1", Measurement: "speedtest"}); return err }, ErrInvalid},
		{"v6 address for icmp", func() error { _, err := f.m.Add(Host{Host: "2001:db8::2", Measurement: "icmp"}); return err }, ErrInvalid},
		{"bad name", func() error { _, err := f.m.Add(Host{Host: "bad host!", Measurement: "icmp"}); return err }, ErrInvalid},
		{"tcp without port", func() error { _, err := f.m.Add(Host{Host: "192.0.2.1", Measurement: "tcp"}); return err }, ErrInvalid},
		{"tcp port 0", func() error { _, err := f.m.Add(Host{Host: "192.0.2.1:0", Measurement: "tcp"}); return err }, ErrInvalid},
		{"http with credentials", func() error { _, err := f.m.Add(Host{Host: "u:p@example.org", Measurement: "http"}); return err }, ErrInvalid},
		// The host tags the am_host series: no ',', '=' or ';', at most 128 bytes.
		{"http query with '='", func() error { _, err := f.m.Add(Host{Host: "example.org/s?a=1", Measurement: "http"}); return err }, ErrInvalid},
		{"http path with ','", func() error { _, err := f.m.Add(Host{Host: "example.org/a,b", Measurement: "https"}); return err }, ErrInvalid},
		{"host over 128 bytes", func() error {
			_, err := f.m.Add(Host{Host: "example.org/" + strings.Repeat("p", 120), Measurement: "http"})
			return err
		}, ErrInvalid},
		{"negative threshold", func() error {
			_, err := f.m.Add(Host{Host: "192.0.2.3", Measurement: "icmp", Threshold: -1})
			return err
		}, ErrInvalid},
		{"bad granularity", func() error {
			_, err := f.m.Add(Host{Host: "192.0.2.3", Measurement: "icmp", Granularity: "day"})
			return err
		}, ErrInvalid},
		{"duplicate", func() error { _, err := f.m.Add(Host{Host: "192.0.2.1", Measurement: "icmp"}); return err }, ErrExists},
		{"edit unknown", func() error { _, err := f.m.Edit("icmp@192.0.2.99", good[0]); return err }, ErrNotFound},
		{"edit onto another", func() error { _, err := f.m.Edit(good[0].Key(), good[1]); return err }, ErrExists},
		{"delete unknown", func() error { return f.m.Delete("icmp@192.0.2.99") }, ErrNotFound},
		{"import with a bad key", func() error {
			return f.m.Import(Config{"icmp@192.0.2.5": {Threshold: 10}, "nokey": {Threshold: 10}})
		}, ErrInvalid},
	}
	for i, c := range bad {
		err := c.op()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
		if got := f.m.Stats().ConfigRejected; got != uint64(i+1) {
			t.Errorf("%s: config_rejected %d, want %d", c.name, got, i+1)
		}
	}
	if got := f.m.Hosts(); len(got) != len(good) {
		t.Fatalf("hosts after refusals: %+v", got)
	}
	if h, _ := f.m.Host("icmp@192.0.2.1"); h.Threshold != DefaultThreshold || h.Granularity != "min" {
		t.Errorf("defaults: %+v", h)
	}

	// A restart reads the same hosts back.
	m2, err := New(Configuration{DataDir: f.dir, Disabled: true}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Start(); err != nil {
		t.Fatal(err)
	}
	defer m2.Stop()
	if a, b := m2.Export(), f.m.Export(); len(a) != len(b) || a[good[2].Key()] != b[good[2].Key()] {
		t.Errorf("after restart %+v, want %+v", a, b)
	}

	// Import replaces; reset empties (and the file follows).
	if err := f.m.Import(Config{"icmp@192.0.2.7": {Threshold: 12, Granularity: "5mins"}}); err != nil {
		t.Fatal(err)
	}
	if got := f.m.Export(); len(got) != 1 || got["icmp@192.0.2.7"].Threshold != 12 {
		t.Errorf("after import: %+v", got)
	}
	if err := f.m.Reset(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, FileName))
	if err != nil || string(b) != "{}" {
		t.Errorf("file after reset: %q, %v", b, err)
	}
}

// TestDeleteReleasesAlert: deleting an alerted host releases its alert.
func TestDeleteReleasesAlert(t *testing.T) {
	ns := newPeerNS(t)
	f := newFixture(t, Configuration{PingWait: 500 * time.Millisecond})
	h := Host{Host: ns.Silent4.String(), Measurement: "icmp"}
	f.add(t, h)
	f.m.Round(context.Background(), "min", time.Now())
	if f.engaged(h.Key()) == nil {
		t.Fatal("silent host not alerted")
	}
	if err := f.m.Delete(h.Key()); err != nil {
		t.Fatal(err)
	}
	if a := f.engaged(h.Key()); a != nil {
		t.Errorf("alert still engaged after delete: %+v", a)
	}
}

// TestStartRunsRounds: the running monitor measures on its own at the
// minute boundary of its clock.
func TestStartRunsRounds(t *testing.T) {
	start := time.Now()
	// A clock 59.9 s past a minute: the first round is 100 ms away.
	base := start.Truncate(time.Minute).Add(59*time.Second + 900*time.Millisecond)
	now := func() time.Time { return base.Add(time.Since(start)) }
	dir := t.TempDir()
	m, err := New(Configuration{DataDir: dir, PingWait: time.Second, Now: now}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(Host{Host: "127.0.0.1", Measurement: "icmp"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	testwait.For(t, "a round measuring 127.0.0.1", func() bool { return m.Status("icmp@127.0.0.1").Reachable })
	if st := m.Status("icmp@127.0.0.1"); st.When%60 != 0 {
		t.Errorf("round stamped %d, not at a minute", st.When)
	}
}

func TestDue(t *testing.T) {
	for _, c := range []struct {
		min  int
		want string
	}{{1, "[min]"}, {5, "[min 5mins]"}, {0, "[min 5mins hour]"}} {
		tm := time.Date(2026, 1, 1, 10, c.min, 0, 0, time.UTC)
		if got := fmtList(Due(tm)); got != c.want {
			t.Errorf("minute %d: %s, want %s", c.min, got, c.want)
		}
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

// BenchmarkRound1000 measures the CPU of a round of 1,000 ICMP hosts on
// loopback addresses (the kernel answers), in CPU seconds per round and
// in percent of a core when the round runs every minute.
func BenchmarkRound1000(b *testing.B) {
	f := newFixture(b, Configuration{PingWait: 2 * time.Second})
	for i := 0; i < 1000; i++ {
		f.add(b, Host{Host: "127.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1), Measurement: "icmp"})
	}
	when := time.Now().Truncate(time.Minute)
	f.m.Round(context.Background(), "min", when) // sockets and series exist
	b.ResetTimer()
	cpu0 := cputime.Process().Seconds()
	for i := 0; i < b.N; i++ {
		when = when.Add(time.Minute)
		rep := f.m.Round(context.Background(), "min", when)
		if rep.OK != 1000 {
			b.Fatalf("round %+v, want 1000 ok", rep)
		}
	}
	cpu := (cputime.Process().Seconds() - cpu0) / float64(b.N)
	b.ReportMetric(cpu, "cpu-s/round")
	b.ReportMetric(cpu/60*100, "%core@1/min")
}

// TestSlowTCPConnect: a handshake that completes only on the client's SYN
// retransmission (about a second) is above a 500 ms threshold.
func TestSlowTCPConnect(t *testing.T) {
	ns := newPeerNS(t)
	f := newFixture(t, Configuration{Timeout: 5 * time.Second})
	addr := ns.slowListener(t, 300*time.Millisecond)
	h := Host{Host: addr, Measurement: "tcp", Threshold: 500}
	f.add(t, h)
	rep := f.m.Round(context.Background(), "min", time.Now())
	st := f.m.Status(h.Key())
	if rep.Exceeded != 1 || !st.Reachable || st.Value <= 500 || f.engaged(h.Key()) == nil {
		t.Errorf("round %+v, status %+v: want a connect above 500 ms, alerted", rep, st)
	}
}

// TestDatagramSockets: where ping_group_range allows it (set inside a
// namespace), the unprivileged ICMP datagram sockets carry IPv4 and IPv6
// pings; where it does not (this host: "1 0"), forcing them fails with a
// counted socket error.
func TestDatagramSockets(t *testing.T) {
	ns := newPeerNS(t)
	ns.sysctl(t, "net.ipv4.ping_group_range", "0 2147483647")
	f := newFixture(t, Configuration{SocketMode: ModeDatagram, PingWait: 2 * time.Second})
	ns.inNS(t, func() { // the sockets open in the namespace, where the group may ping
		if !f.m.Pinger().Available(false, "") || !f.m.Pinger().Available(true, "") {
			t.Error("datagram ICMP sockets did not open where ping_group_range allows them")
		}
	})
	if m := f.m.Pinger().Mode(); m != ModeDatagram {
		t.Fatalf("mode %q, want datagram", m)
	}
	f.add(t, Host{Host: "127.0.0.1", Measurement: "icmp"})
	f.add(t, Host{Host: "::1", Measurement: "icmp6"})
	if rep := f.m.Round(context.Background(), "min", time.Now()); rep.OK != 2 {
		t.Errorf("round %+v, want both loopbacks of the namespace reachable", rep)
	}

	out, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil || strings.Fields(string(out))[0] != "1" || strings.Fields(string(out))[1] != "0" {
		return // this host lets some group ping: the refusal is not observable here
	}
	g := newFixture(t, Configuration{SocketMode: ModeDatagram})
	if g.m.Pinger().Available(false, "") || g.m.Stats().SocketErrors != 1 {
		t.Errorf("datagram socket on a host with ping_group_range \"1 0\": available, or not counted (%+v)", g.m.Stats())
	}
}
