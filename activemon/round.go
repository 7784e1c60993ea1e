package activemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"flowgate/alerts"
)

var resolver = net.DefaultResolver

// result is one host's measurement in a round.
type result struct {
	ok      bool
	value   float64 // ms
	ip      string
	err     error
	lookup  float64 // http(s): name lookup, ms
	connect float64 // https: until the TLS handshake ended, ms
}

// RoundReport sums up a round.
type RoundReport struct {
	Granularity string
	Hosts       int
	OK          int
	Exceeded    int
	Unreachable int
}

// Round probes every host of granularity g once, stamped when, and
// records the results: series, alerts, status. It returns when every
// probe has answered or timed out.
func (m *Monitor) Round(ctx context.Context, g string, when time.Time) RoundReport {
	start := time.Now()
	m.mu.Lock()
	var hosts []Host
	for _, h := range m.hosts {
		if h.Granularity == g {
			hosts = append(hosts, h)
		}
	}
	m.mu.Unlock()
	rep := RoundReport{Granularity: g, Hosts: len(hosts)}
	if len(hosts) == 0 {
		return rep
	}
	res := m.probe(ctx, hosts)
	for i, h := range hosts {
		switch m.record(h, res[i], when) {
		case hourOK:
			rep.OK++
		case hourExceeded:
			rep.Exceeded++
		default:
			rep.Unreachable++
		}
	}
	m.st.round(g, time.Since(start))
	return rep
}

// probe measures hosts, the ICMP ones through one pinger session (sent
// together, waited for together), the others concurrently.
func (m *Monitor) probe(ctx context.Context, hosts []Host) []result {
	res := make([]result, len(hosts))
	sess := m.ping.NewSession()
	byAddr := map[netip.Addr][]int{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, m.cfg.Concurrency)
	for i, h := range hosts {
		switch h.Measurement {
		case "icmp", "icmp6":
			rctx, cancel := context.WithTimeout(ctx, m.cfg.PingWait)
			a, err := resolve(rctx, h.Host, h.Measurement == "icmp6")
			cancel()
			if err != nil {
				m.st.resolveErrors.Add(1)
				res[i].err = err
				continue
			}
			res[i].ip = a.String()
			if len(byAddr[a]) == 0 {
				if err := sess.Ping(a, ""); err != nil {
					res[i].err = err
					m.warn.Warn("active monitoring: ping failed", "host", h.Key(), "err", err)
					continue
				}
			}
			byAddr[a] = append(byAddr[a], i)
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					res[i].err = ctx.Err()
					return
				}
				defer func() { <-sem }()
				if h.Measurement == "tcp" {
					res[i] = m.probeTCP(ctx, h)
				} else {
					res[i] = m.probeHTTP(ctx, h)
				}
			}()
		}
	}
	if len(byAddr) > 0 {
		deadline := time.Now().Add(m.cfg.PingWait)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		sess.Wait(deadline)
		got := sess.Collect()
		for a, idx := range byAddr {
			rtt, ok := got[a]
			for _, i := range idx {
				if ok {
					res[i].ok, res[i].value = true, ms(rtt)
				} else if res[i].err == nil {
					res[i].err = fmt.Errorf("no echo reply from %s within %v", a, m.cfg.PingWait)
				}
			}
		}
	}
	wg.Wait()
	return res
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// probeTCP measures a TCP connect (the handshake) to host:port.
func (m *Monitor) probeTCP(ctx context.Context, h Host) result {
	host, port, _ := net.SplitHostPort(h.Host)
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	a, err := resolve(ctx, host, false)
	if err != nil {
		if a, err = resolve(ctx, host, true); err != nil {
			m.st.resolveErrors.Add(1)
			return result{err: err}
		}
	}
	lookup := time.Since(t0)
	var d net.Dialer
	t1 := time.Now()
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
	if err != nil {
		m.st.probeErrors.Add(1)
		return result{ip: a.String(), err: fmt.Errorf("tcp connect %s: %w", h.Host, err)}
	}
	rtt := time.Since(t1)
	c.Close()
	return result{ok: true, value: ms(rtt), ip: a.String(), lookup: ms(lookup)}
}

// probeHTTP measures a GET of measurement://host (no redirect followed,
// no body read): the total time to the response headers, with the name
// lookup and (https) the time to the end of the TLS handshake, as
// ntopng's HTTP_STATS.
func (m *Monitor) probeHTTP(ctx context.Context, h Host) result {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var (
		mu                sync.Mutex
		dnsStart, dnsDone time.Time
		tlsDone           time.Time
		remote            string
	)
	trace := &httptrace.ClientTrace{
		DNSStart:         func(httptrace.DNSStartInfo) { mu.Lock(); dnsStart = time.Now(); mu.Unlock() },
		DNSDone:          func(httptrace.DNSDoneInfo) { mu.Lock(); dnsDone = time.Now(); mu.Unlock() },
		TLSHandshakeDone: func(tls.ConnectionState, error) { mu.Lock(); tlsDone = time.Now(); mu.Unlock() },
		GotConn:          func(i httptrace.GotConnInfo) { mu.Lock(); remote = i.Conn.RemoteAddr().String(); mu.Unlock() },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, h.Measurement+"://"+h.Host, nil)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("User-Agent", "flowgate-active-monitoring")
	tr := &http.Transport{TLSClientConfig: m.cfg.TLS, DisableKeepAlives: true, Proxy: nil,
		ResponseHeaderTimeout: m.cfg.Timeout}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t0 := time.Now()
	resp, err := cl.Do(req)
	total := time.Since(t0)
	if err != nil {
		m.st.probeErrors.Add(1)
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return result{err: fmt.Errorf("%s://%s: %w", h.Measurement, h.Host, err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	r := result{ok: true, value: ms(total)}
	if host, _, err := net.SplitHostPort(remote); err == nil {
		r.ip = host
	}
	if !dnsStart.IsZero() && !dnsDone.IsZero() {
		r.lookup = ms(dnsDone.Sub(dnsStart))
	}
	if !tlsDone.IsZero() {
		r.connect = ms(tlsDone.Sub(t0)) - r.lookup
	}
	return r
}

// record stores one measurement: status, hour stats, series, alert. It
// returns the hour-stats index of the outcome.
func (m *Monitor) record(h Host, r result, when time.Time) int {
	key := h.Key()
	outcome := hourUnreachable
	if r.ok {
		outcome = hourOK
		if r.value > h.Threshold { // every measurement's operator is "gt"
			outcome = hourExceeded
		}
	}
	m.mu.Lock()
	if _, still := m.hosts[key]; !still {
		m.mu.Unlock()
		return outcome // deleted during the round
	}
	s := m.status[key]
	if s == nil {
		s = &Status{}
		m.status[key] = s
	}
	s.When, s.Value, s.IP, s.Reachable, s.Alerted = when.Unix(), r.value, r.ip, r.ok, outcome != hourOK
	s.lookup, s.con = r.lookup, r.connect
	s.Error = ""
	if r.err != nil {
		s.Error = r.err.Error()
	}
	if s.IP == "" {
		s.IP = h.Host
	}
	hr := when.Hour()
	if s.hoursWhen != 0 && time.Unix(s.hoursWhen, 0).In(when.Location()).Hour() != hr {
		s.hours[hr] = [3]uint32{} // a new hour: its bucket of yesterday goes
	}
	s.hours[hr][outcome]++
	s.hoursWhen = when.Unix()
	ip := s.IP
	m.mu.Unlock()

	m.st.measured(h.Measurement, outcome)
	m.appendSeries(h, r, when)
	if m.deps.Alerts == nil {
		return outcome
	}
	base := m.alertBase(h)
	if outcome == hourOK {
		base.TstampEnd = when.Unix()
		if m.deps.Alerts.Release(base) {
			m.st.alertsReleased.Add(1)
		}
		return outcome
	}
	a := base
	a.Tstamp = when.Unix()
	a.Severity = alerts.SeverityWarning
	info := map[string]any{"host": h.Host, "measurement": h.Measurement, "ip": ip, "operator": "gt",
		"unit": Measurements[h.Measurement].Unit, "threshold": h.Threshold, "value": r.value,
		"unreachable": !r.ok, "granularity": h.Granularity}
	if !r.ok {
		// ntopng raises an unreachable host with value and threshold 0.
		info["value"], info["threshold"] = 0, 0
		if r.err != nil {
			info["error"] = r.err.Error()
		}
	}
	a.JSON = jsonString(info)
	if m.deps.Alerts.Trigger(a) {
		m.st.alertsEngaged.Add(1)
	}
	return outcome
}

// appendSeries writes am_host:val_<g> (0 when unreachable, as ntopng) and
// the http(s) phases: the registry's schemas (history/schema.go), tagged
// ifid -1 (the system interface), host and metric (the measurement).
func (m *Monitor) appendSeries(h Host, r result, when time.Time) {
	ts := m.deps.Timeseries
	if ts == nil {
		return
	}
	tags := map[string]string{"ifid": strconv.Itoa(SystemIfID), "host": h.Host, "metric": h.Measurement}
	err := ts.Append("am_host:val_"+h.Granularity, tags, map[string]float64{"value": r.value}, when.Unix())
	if err == nil && r.ok {
		switch h.Measurement {
		case "http":
			err = ts.Append("am_host:http_stats_"+h.Granularity, tags,
				map[string]float64{"lookup_ms": r.lookup, "other_ms": max(r.value-r.lookup, 0)}, when.Unix())
		case "https":
			err = ts.Append("am_host:https_stats_"+h.Granularity, tags,
				map[string]float64{"lookup_ms": r.lookup, "connect_ms": r.connect, "other_ms": max(r.value-r.lookup-r.connect, 0)}, when.Unix())
		}
	}
	if err != nil {
		m.st.seriesErrors.Add(1)
		m.warn.Warn("active monitoring: time series not written", "host", h.Key(), "err", err)
	}
}
