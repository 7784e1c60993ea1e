package zmtp

import (
	"fmt"
	"net"
	"strings"
)

// parseEndpoint turns tcp://host:port into a Go address. For binds, "*" as
// host means all interfaces and "*" or "0" as port means any free port.
func parseEndpoint(ep string, bind bool) (string, error) {
	rest, ok := strings.CutPrefix(ep, "tcp://")
	if !ok {
		return "", fmt.Errorf("endpoint %q: only tcp:// is supported", ep)
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", ep, err)
	}
	if port == "" {
		return "", fmt.Errorf("endpoint %q: missing port", ep)
	}
	if bind {
		if host == "*" {
			host = ""
		}
		if port == "*" {
			port = "0"
		}
	} else if host == "" || host == "*" || port == "*" || port == "0" {
		return "", fmt.Errorf("endpoint %q: connect needs a host and a port", ep)
	}
	return net.JoinHostPort(host, port), nil
}
