package zmq

import (
	"fmt"
	"strings"
)

// Endpoint is one ZMQ endpoint of an interface: where to connect to a
// publishing nProbe, or where to bind for probes that connect to us.
type Endpoint struct {
	Addr string // tcp://host:port, as given to the socket
	Bind bool   // collector mode: a trailing "c" in ntopng's syntax
}

func (e Endpoint) String() string {
	if e.Bind {
		return e.Addr + "c"
	}
	return e.Addr
}

// MaxEndpoints is the number of endpoints one interface may list (ntopng
// Pro's MAX_ZMQ_SUBSCRIBERS).
const MaxEndpoints = 256

// ParseEndpoints splits an -i value into endpoints: "name@" prefixes are
// dropped, zmq:// is tcp://, endpoints are comma separated and a trailing
// "c" (or " c") means bind. Unlike ntopng, collector mode applies only to the
// endpoints that carry the "c": ntopng's flag leaks to later list items.
func ParseEndpoints(iface string) ([]Endpoint, error) {
	if _, rest, ok := strings.Cut(iface, "@"); ok && !strings.Contains(iface[:strings.Index(iface, "@")], "://") {
		iface = rest
	}
	var eps []Endpoint
	for _, part := range strings.Split(iface, ",") {
		s := strings.TrimSpace(part)
		if s == "" {
			continue
		}
		var ep Endpoint
		if strings.HasSuffix(s, "c") {
			ep.Bind = true
			s = strings.TrimSpace(strings.TrimSuffix(s, "c"))
		}
		if rest, ok := strings.CutPrefix(s, "zmq://"); ok {
			s = "tcp://" + rest
		}
		if strings.HasPrefix(s, "ipc://") {
			return nil, fmt.Errorf("endpoint %q: ipc:// is not supported, use tcp://", part)
		}
		hostport, ok := strings.CutPrefix(s, "tcp://")
		if !ok {
			return nil, fmt.Errorf("endpoint %q: want tcp://host:port", part)
		}
		i := strings.LastIndexByte(hostport, ':')
		if i <= 0 || i == len(hostport)-1 {
			return nil, fmt.Errorf("endpoint %q: want tcp://host:port", part)
		}
		for _, c := range hostport[i+1:] {
			if c < '0' || c > '9' {
				return nil, fmt.Errorf("endpoint %q: bad port %q", part, hostport[i+1:])
			}
		}
		if !ep.Bind && hostport[:i] == "*" {
			return nil, fmt.Errorf("endpoint %q: cannot connect to *, add a trailing c to bind", part)
		}
		ep.Addr = s
		eps = append(eps, ep)
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("interface %q: no endpoint", iface)
	}
	if len(eps) > MaxEndpoints {
		return nil, fmt.Errorf("interface %q: %d endpoints, at most %d", iface, len(eps), MaxEndpoints)
	}
	return eps, nil
}
