package activemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"flowgate/history"
)

// Measurement is one kind of probe (ntopng's am_utils measurements that
// need no external service, plus tcp, flowgate's own).
type Measurement struct {
	Key           string   `json:"key"`
	Label         string   `json:"label"`
	Unit          string   `json:"unit"`     // of the value and the threshold
	Operator      string   `json:"operator"` // "gt": above the threshold is an alert
	Granularities []string `json:"granularities"`
	// Host says what the host field holds.
	Host string `json:"host_format"`
}

var granularities = []string{"min", "5mins", "hour"}

// Measurements are the kinds flowgate probes, by key.
var Measurements = map[string]Measurement{
	"icmp":  {Key: "icmp", Label: "ICMP", Unit: "ms", Operator: "gt", Granularities: granularities, Host: "IPv4 address or name"},
	"icmp6": {Key: "icmp6", Label: "ICMPv6", Unit: "ms", Operator: "gt", Granularities: granularities, Host: "IPv6 address or name"},
	"tcp":   {Key: "tcp", Label: "TCP connect", Unit: "ms", Operator: "gt", Granularities: granularities, Host: "host:port"},
	"http":  {Key: "http", Label: "HTTP", Unit: "ms", Operator: "gt", Granularities: granularities, Host: "host[:port][/path]"},
	"https": {Key: "https", Label: "HTTPS", Unit: "ms", Operator: "gt", Granularities: granularities, Host: "host[:port][/path]"},
}

// MeasurementList is Measurements sorted by key.
func MeasurementList() []Measurement {
	out := make([]Measurement, 0, len(Measurements))
	for _, m := range Measurements {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// GranularitySeconds is the period of "min", "5mins", "hour" (0: unknown).
func GranularitySeconds(g string) int {
	switch g {
	case "min":
		return 60
	case "5mins":
		return 300
	case "hour":
		return 3600
	}
	return 0
}

// DefaultThreshold is ntopng's threshold when none is given (ms).
const DefaultThreshold = 500

// maxThreshold bounds a threshold (ms): a day.
const maxThreshold = 86_400_000

// Host is one monitored target.
type Host struct {
	Host        string  `json:"host"`
	Measurement string  `json:"measurement"`
	Threshold   float64 `json:"threshold"` // ms; above it the host is alerted
	Granularity string  `json:"granularity"`
}

// Key is ntopng's host key, "<measurement>@<host>", which is also the
// alert entity value.
func (h Host) Key() string { return h.Measurement + "@" + h.Host }

// ParseKey splits a host key.
func ParseKey(k string) (host, measurement string, ok bool) {
	m, h, ok := strings.Cut(k, "@")
	if !ok || m == "" || h == "" {
		return "", "", false
	}
	return h, m, true
}

// ErrInvalid wraps every refusal of a host or configuration.
var ErrInvalid = errors.New("active monitoring")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// validName is a DNS name (letters, digits, '-', '.', '_').
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Validate checks a host and fills the defaults (threshold 500 ms,
// granularity "min").
func (h *Host) Validate() error {
	m, ok := Measurements[h.Measurement]
	if !ok {
		return invalid("unknown measurement %q (icmp, icmp6, tcp, http, https)", h.Measurement)
	}
	if h.Granularity == "" {
		h.Granularity = "min"
	}
	if GranularitySeconds(h.Granularity) == 0 {
		return invalid("granularity %q is not min, 5mins or hour", h.Granularity)
	}
	if h.Threshold == 0 {
		h.Threshold = DefaultThreshold
	}
	if !(h.Threshold > 0 && h.Threshold <= maxThreshold) {
		return invalid("threshold %v ms is not in (0, %d]", h.Threshold, maxThreshold)
	}
	// The host is the "host" tag of its am_host:* series: one that cannot
	// be a tag value would be measured without a chart.
	if err := history.CheckTagValue(h.Host); err != nil {
		return invalid("host %q cannot tag its time series: %v", h.Host, err)
	}
	switch m.Key {
	case "icmp", "icmp6":
		if a, err := netip.ParseAddr(h.Host); err == nil {
			if a.Is4() != (m.Key == "icmp") || a.Is4In6() {
				return invalid("%s is not an IPv%s address", h.Host, map[bool]string{true: "4", false: "6"}[m.Key == "icmp"])
			}
			return nil
		}
		if !validName(h.Host) {
			return invalid("host %q is neither an address nor a name", h.Host)
		}
	case "tcp":
		host, port, err := net.SplitHostPort(h.Host)
		if err != nil {
			return invalid("tcp host %q is not host:port", h.Host)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid("tcp port %q not in 1-65535", port)
		}
		if _, err := netip.ParseAddr(host); err != nil && !validName(host) {
			return invalid("tcp host %q is neither an address nor a name", host)
		}
	case "http", "https":
		if strings.ContainsAny(h.Host, " \t\r\n@") || strings.Contains(h.Host, "://") {
			return invalid("%s host %q: give host[:port][/path] (no scheme, credentials or spaces)", m.Key, h.Host)
		}
		u, err := url.Parse(m.Key + "://" + h.Host)
		if err != nil || u.Hostname() == "" {
			return invalid("%s host %q is not host[:port][/path]", m.Key, h.Host)
		}
		if _, err := netip.ParseAddr(u.Hostname()); err != nil && !validName(u.Hostname()) {
			return invalid("%s host %q is neither an address nor a name", m.Key, u.Hostname())
		}
	}
	return nil
}

// HostConfig is one host in ntopng's export, under its key.
type HostConfig struct {
	Threshold   float64 `json:"threshold"`
	Granularity string  `json:"granularity"`
}

// Config is ntopng's export of the active monitoring hosts
// (export/active_monitoring/config.lua): key → threshold and granularity.
type Config map[string]HostConfig

// UnmarshalJSON also reads the max_rtt of ntopng 4's exports.
func (c *HostConfig) UnmarshalJSON(b []byte) error {
	var v struct {
		Threshold   *float64 `json:"threshold"`
		MaxRTT      *float64 `json:"max_rtt"`
		Granularity string   `json:"granularity"`
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return err
	}
	c.Granularity = v.Granularity
	switch {
	case v.Threshold != nil:
		c.Threshold = *v.Threshold
	case v.MaxRTT != nil:
		c.Threshold = *v.MaxRTT
	}
	return nil
}

// Hosts checks every entry and returns the hosts, sorted by key.
func (c Config) Hosts() ([]Host, error) {
	out := make([]Host, 0, len(c))
	var errs []error
	for k, v := range c {
		host, m, ok := ParseKey(k)
		if !ok {
			errs = append(errs, invalid("key %q is not <measurement>@<host>", k))
			continue
		}
		h := Host{Host: host, Measurement: m, Threshold: v.Threshold, Granularity: v.Granularity}
		if err := h.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, errors.Join(errs...)
}
