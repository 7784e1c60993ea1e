package clickhouse

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// DefaultPort is ClickHouse's native protocol port, ntopng's default.
const DefaultPort = 9000

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ParseSpec reads ntopng's -F value "clickhouse;host[@port];db;user;password"
// (host:port and [v6]:port are taken too) into cfg. Bare "clickhouse" is
// ntopng's shortcut for "clickhouse;127.0.0.1;ntopng;default;default".
// Missing trailing fields keep ntopng's defaults.
func ParseSpec(spec string, cfg *Configuration) error {
	parts := strings.Split(spec, ";")
	if parts[0] != "clickhouse" {
		return fmt.Errorf("-F %q: not a clickhouse spec", parts[0])
	}
	if len(parts) > 5 {
		return fmt.Errorf("-F clickhouse: want clickhouse;host[@port];db;user;password, got %d fields", len(parts))
	}
	def := []string{"clickhouse", "127.0.0.1", "ntopng", "default", "default"}
	for i := len(parts); i < len(def); i++ {
		parts = append(parts, def[i])
	}
	hostPort := parts[1]
	host, port := hostPort, strconv.Itoa(DefaultPort)
	if i := strings.LastIndexByte(hostPort, '@'); i >= 0 {
		host, port = hostPort[:i], hostPort[i+1:]
	} else if h, p, err := net.SplitHostPort(hostPort); err == nil {
		host, port = h, p
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		return fmt.Errorf("-F clickhouse: empty host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("-F clickhouse: bad port %q", port)
	}
	if !identRE.MatchString(parts[2]) {
		return fmt.Errorf("-F clickhouse: database name %q: want letters, digits and _", parts[2])
	}
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.Database, cfg.User, cfg.Password = parts[2], parts[3], parts[4]
	return nil
}
