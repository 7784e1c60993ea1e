// Package users is flowgate's persistent user store: ntopng's user model
// (username, full name, password hash, group, allowed networks and
// interface, capability bits, language, API token, TOTP) kept in SQLite in
// the data dir. It knows nothing of HTTP or Lua: the web server
// authenticates against it and the ntop.* Lua bindings call its methods.
package users

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ntopng's groups (CONST_ADMINISTRATOR_USER, CONST_UNPRIVILEGED_USER).
const (
	Administrator = "administrator"
	Unprivileged  = "unprivileged"
)

// AdminUser is the user ntopng creates at first start.
const AdminUser = "admin"

// NologinUser is the name ntopng gives requests served with
// --disable-login (NTOP_NOLOGIN_USER).
const NologinUser = "nologin"

// DefaultLanguage is ntopng's NTOP_DEFAULT_USER_LANG.
const DefaultLanguage = "en"

// Capability is a bit of ntopng's per-user capability bitmap
// (UserCapabilities in ntopng's ntop_defines.h: the i-th enum value is the
// i-th bit). Administrators hold every capability.
type Capability uint

// ntopng's capability bits, in ntopng's order.
const (
	CapPools Capability = iota
	CapNotifications
	CapSNMP
	CapActiveMonitoring
	CapPreferences
	CapDeveloper
	CapChecks
	CapFlowDevices
	CapAlerts
	CapHistoricalFlows
	CapPcapDownload
	numCapabilities
)

var capabilityNames = [numCapabilities]string{
	"pools", "notifications", "snmp", "active_monitoring", "preferences", "developer",
	"checks", "flowdevices", "alerts", "historical_flows", "pcap_download",
}

// String is ntopng's name of the capability.
func (c Capability) String() string {
	if c < numCapabilities {
		return capabilityNames[c]
	}
	return fmt.Sprintf("capability_%d", uint(c))
}

// Bit is the capability's bit in a bitmap.
func (c Capability) Bit() uint64 { return 1 << c }

// CapabilityByName resolves ntopng's name of a capability.
func CapabilityByName(name string) (Capability, bool) {
	for i, n := range capabilityNames {
		if n == name {
			return Capability(i), true
		}
	}
	return 0, false
}

// AllCapabilities is the bitmap with every known capability.
const AllCapabilities uint64 = 1<<numCapabilities - 1

// User is what may be shown of a user: no hash, no token, no TOTP secret.
type User struct {
	Username      string
	FullName      string
	Group         string
	AllowedNets   []netip.Prefix // empty: every network
	AllowedIfname string         // empty: every interface
	Capabilities  uint64
	Language      string
	HasAPIToken   bool
	TOTPEnabled   bool
}

// IsAdmin tells whether the user is in ntopng's administrator group.
func (u User) IsAdmin() bool { return u.Group == Administrator }

// Can tells whether the user holds capability c; administrators hold all.
func (u User) Can(c Capability) bool { return u.IsAdmin() || u.Capabilities&c.Bit() != 0 }

// AllowsAddr tells whether ip is in the user's allowed networks.
func (u User) AllowsAddr(ip netip.Addr) bool {
	if len(u.AllowedNets) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range u.AllowedNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// AllowsPrefix tells whether the network p lies inside one of the user's
// allowed networks.
func (u User) AllowsPrefix(p netip.Prefix) bool {
	if len(u.AllowedNets) == 0 {
		return true
	}
	for _, n := range u.AllowedNets {
		if n.Bits() <= p.Bits() && n.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// AllowsIfname tells whether the user may see the interface called name.
func (u User) AllowsIfname(name string) bool {
	return u.AllowedIfname == "" || u.AllowedIfname == name
}

// AllowedNetsString is ntopng's form of the allowed networks: a comma list
// of CIDRs, "0.0.0.0/0,::/0" for all.
func (u User) AllowedNetsString() string {
	if len(u.AllowedNets) == 0 {
		return allNets
	}
	parts := make([]string, len(u.AllowedNets))
	for i, p := range u.AllowedNets {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// allNets is ntopng's CONST_DEFAULT_ALL_NETS.
const allNets = "0.0.0.0/0,::/0"

// Limits keep every field bounded (the store is written from REST and Lua).
const (
	MaxUsernameLen = 64
	MaxPasswordLen = 72 // bcrypt reads at most 72 bytes
	MaxFullNameLen = 128
	MaxIfnameLen   = 128
	MaxAllowedNets = 64
	maxLanguageLen = 8
)

// Errors callers tell apart (wrapped with context).
var (
	ErrInvalid        = errors.New("invalid")
	ErrExists         = errors.New("user already exists")
	ErrNotFound       = errors.New("no such user")
	ErrTooMany        = errors.New("too many users")
	ErrBadCredentials = errors.New("wrong username or password")
	ErrLastAdmin      = errors.New("the last administrator cannot be removed or demoted")
	ErrNoTOTPSecret   = errors.New("no TOTP secret enrolled")
)

func invalid(field, why string) error { return fmt.Errorf("%s: %s: %w", field, why, ErrInvalid) }

// ValidUsername checks ntopng's username rules: letters, digits and
// ". _ - @", 1 to MaxUsernameLen bytes.
func ValidUsername(name string) error {
	if name == "" || len(name) > MaxUsernameLen {
		return invalid("username", fmt.Sprintf("want 1 to %d characters", MaxUsernameLen))
	}
	for _, r := range name {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r))) {
			return invalid("username", "only letters, digits and . _ - @")
		}
	}
	if name == NologinUser {
		return invalid("username", "reserved")
	}
	return nil
}

// ValidPassword checks a new password's length.
func ValidPassword(pw string) error {
	if pw == "" || len(pw) > MaxPasswordLen {
		return invalid("password", fmt.Sprintf("want 1 to %d bytes", MaxPasswordLen))
	}
	return nil
}

func validText(field, v string, max int) error {
	if len(v) > max {
		return invalid(field, fmt.Sprintf("longer than %d bytes", max))
	}
	if !utf8.ValidString(v) {
		return invalid(field, "not UTF-8")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return invalid(field, "control character")
		}
	}
	return nil
}

// ValidGroup accepts ntopng's two groups.
func ValidGroup(g string) error {
	if g != Administrator && g != Unprivileged {
		return invalid("group", "want administrator or unprivileged")
	}
	return nil
}

func validLanguage(l string) error {
	if l == "" || len(l) > maxLanguageLen {
		return invalid("language", "want a language code such as en")
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return invalid("language", "want a language code such as en")
		}
	}
	return nil
}

// ParseAllowedNets reads ntopng's comma list of CIDRs; empty or one that
// covers everything means all networks (returned as nil).
func ParseAllowedNets(v string) ([]netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > MaxAllowedNets {
		return nil, invalid("allowed networks", fmt.Sprintf("more than %d", MaxAllowedNets))
	}
	var out []netip.Prefix
	all4, all6 := false, false
	for _, s := range parts {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, invalid("allowed networks", fmt.Sprintf("bad CIDR %q", s))
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		p = p.Masked()
		if p.Bits() == 0 {
			if p.Addr().Is4() {
				all4 = true
			} else {
				all6 = true
			}
		}
		out = append(out, p)
	}
	if all4 && all6 {
		return nil, nil
	}
	return out, nil
}
