// Package categories holds what ntopng's category and application REST
// endpoints edit: the custom host lists of each nDPI category (host names,
// matched with their subdomains, and IP addresses or networks), category
// aliases, per-application category overrides, and custom application
// rules (protos.txt lines). The engine asks it (engine.Categorizer) for
// the category of every flow whose application it detects.
package categories

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"flowgate/engine/ndpi"
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/store"
)

// FileName is the categories file in the data dir.
const FileName = "custom_categories.json"

// ErrInvalid marks a rejected input.
var ErrInvalid = errors.New("invalid")

// Configuration of the store.
type Configuration struct {
	Path        string // empty: memory only
	MaxHosts    int    // entries over all categories
	MaxRules    int    // application rules over all applications
	MaxApps     int    // custom applications
	MaxAliasLen int
	// Metrics, when set, gets the flowgate_custom_category* families (New).
	Metrics prometheus.Registerer
}

// DefaultConfiguration bounds the lists at 100,000 hosts, 10,000 rules.
func DefaultConfiguration() Configuration {
	return Configuration{MaxHosts: 100000, MaxRules: 10000, MaxApps: 1024, MaxAliasLen: 64}
}

// Config is everything the store keeps: the backup format too.
type Config struct {
	Hosts    map[int][]string    `json:"hosts"`        // category id -> hosts
	Aliases  map[int]string      `json:"aliases"`      // category id -> name shown
	ProtoCat map[int]int         `json:"proto_cat"`    // application id -> category id
	Apps     map[string][]string `json:"applications"` // custom application -> protos.txt rules
}

// Valid reports whether id is one of nDPI's categories.
func Valid(id int) bool {
	if id < 0 || id > 255 {
		return false
	}
	return id == 0 || ndpi.Category(id).String() != ndpi.CategoryUnspecified.String()
}

// All lists nDPI's category ids in order.
func All() []int {
	var out []int
	for i := 0; i < 256; i++ {
		if Valid(i) {
			out = append(out, i)
		}
	}
	return out
}

var hostName = regexp.MustCompile(`^[a-z0-9_*]([a-z0-9_.-]{0,251}[a-z0-9])?$`)

// ParseHost canonicalizes a custom category entry: an IP address or CIDR
// network, or a host name (lower case, a leading "*." or "." dropped).
func ParseHost(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap().String(), nil
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "*."), ".")
	if !hostName.MatchString(s) || strings.Contains(s, "..") || strings.Contains(s, "*") {
		return "", fmt.Errorf("%w: host %q: not an address, network or host name", ErrInvalid, s)
	}
	return s, nil
}

// rulePattern is ntopng's protos.txt rule syntax: host:"name", ip:addr[/n][:port],
// tcp:ports, udp:ports.
var rulePattern = regexp.MustCompile(`^(host:"?[a-z0-9_.*-]{1,253}"?|ip:[0-9a-f.:/]{2,64}|(tcp|udp):[0-9,-]{1,64})$`)

// ParseRule checks one custom application rule.
func ParseRule(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !rulePattern.MatchString(s) {
		return "", fmt.Errorf("%w: rule %q: want host:\"name\", ip:addr, tcp:ports or udp:ports", ErrInvalid, s)
	}
	return s, nil
}

type index struct {
	names map[string]ndpi.Category
	nets  []netCat // longest first
	proto map[uint16]ndpi.Category
}

type netCat struct {
	p   netip.Prefix
	cat ndpi.Category
}

// Counters are the store's totals.
type Counters struct {
	Hosts      int    `json:"hosts"`
	Changes    uint64 `json:"changes"`
	Lookups    uint64 `json:"lookups"`
	Recategory uint64 `json:"recategorized"`
}

// Store is safe for concurrent use; FlowCategory reads an immutable index.
type Store struct {
	cfg     Configuration
	mu      sync.Mutex
	cur     Config
	idx     atomic.Pointer[index]
	changes atomic.Uint64
	lookups atomic.Uint64
	recat   atomic.Uint64
}

// New returns an empty store.
func New(cfg Configuration) *Store {
	d := DefaultConfiguration()
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = d.MaxHosts
	}
	if cfg.MaxRules <= 0 {
		cfg.MaxRules = d.MaxRules
	}
	if cfg.MaxApps <= 0 {
		cfg.MaxApps = d.MaxApps
	}
	if cfg.MaxAliasLen <= 0 {
		cfg.MaxAliasLen = d.MaxAliasLen
	}
	s := &Store{cfg: cfg}
	s.cur, _ = s.validate(Config{})
	s.rebuild()
	if cfg.Metrics != nil {
		s.registerMetrics(cfg.Metrics)
	}
	return s
}

// Start loads the file.
func (s *Store) Start() error {
	if s.cfg.Path == "" {
		return nil
	}
	b, ok, err := store.ReadFile(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("categories: %w", err)
	}
	if !ok {
		return nil
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("categories: %s: %w", s.cfg.Path, err)
	}
	v, err := s.validate(c)
	if err != nil {
		return fmt.Errorf("categories: %s: %w", s.cfg.Path, err)
	}
	s.mu.Lock()
	s.cur = v
	s.rebuild()
	s.mu.Unlock()
	return nil
}

// Stop does nothing: changes are on disk when their call returns.
func (s *Store) Stop() {}

func (c Config) clone() Config {
	n := Config{Hosts: map[int][]string{}, Aliases: map[int]string{}, ProtoCat: map[int]int{}, Apps: map[string][]string{}}
	for k, v := range c.Hosts {
		n.Hosts[k] = append([]string(nil), v...)
	}
	for k, v := range c.Aliases {
		n.Aliases[k] = v
	}
	for k, v := range c.ProtoCat {
		n.ProtoCat[k] = v
	}
	for k, v := range c.Apps {
		n.Apps[k] = append([]string(nil), v...)
	}
	return n
}

// Export is a copy of the whole configuration.
func (s *Store) Export() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.clone()
}

// Hosts are a category's custom hosts.
func (s *Store) Hosts(cat int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.cur.Hosts[cat]...)
}

// Alias is a category's alias ("" when none).
func (s *Store) Alias(cat int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.Aliases[cat]
}

// ProtoCategory is an application's category with the overrides.
func (s *Store) ProtoCategory(id uint16) ndpi.Category {
	if c, ok := s.idx.Load().proto[id]; ok {
		return c
	}
	return ndpi.CategoryOf(id)
}

// Apps are the custom applications and their rules.
func (s *Store) Apps() map[string][]string { return s.Export().Apps }

// Match is the custom category of a host name (or its nearest listed
// parent domain) or of an address in a listed network.
func (s *Store) Match(name string) (ndpi.Category, bool) {
	ix := s.idx.Load()
	if a, err := netip.ParseAddr(name); err == nil {
		a = a.Unmap()
		for _, n := range ix.nets {
			if n.p.Contains(a) {
				return n.cat, true
			}
		}
		return 0, false
	}
	h := strings.ToLower(strings.TrimSuffix(name, "."))
	for h != "" {
		if c, ok := ix.names[h]; ok {
			return c, true
		}
		_, rest, found := strings.Cut(h, ".")
		if !found {
			break
		}
		h = rest
	}
	return 0, false
}

// FlowCategory is engine.Categorizer: the server name's custom category,
// else the server address's, else the application's override.
func (s *Store) FlowCategory(master, app uint16, server netip.Addr, name string) (ndpi.Category, bool) {
	s.lookups.Add(1)
	ix := s.idx.Load()
	if len(ix.names) == 0 && len(ix.nets) == 0 && len(ix.proto) == 0 {
		return 0, false
	}
	if name != "" {
		if c, ok := s.Match(name); ok {
			s.recat.Add(1)
			return c, true
		}
	}
	if server.IsValid() && len(ix.nets) > 0 {
		if c, ok := s.Match(server.String()); ok {
			s.recat.Add(1)
			return c, true
		}
	}
	id := app
	if id == 0 {
		id = master
	}
	if c, ok := ix.proto[id]; ok {
		s.recat.Add(1)
		return c, true
	}
	return 0, false
}

// SetCategory replaces a category's hosts and alias, as
// edit/category/category.lua does. Hosts another category already lists
// are left out (ntopng's rule) and returned.
func (s *Store) SetCategory(cat int, hosts []string, alias string) (skipped []string, err error) {
	if !Valid(cat) {
		return nil, fmt.Errorf("%w: category %d", ErrInvalid, cat)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.cur.clone()
	owner := map[string]int{}
	for c, l := range next.Hosts {
		if c == cat {
			continue
		}
		for _, h := range l {
			owner[h] = c
		}
	}
	var keep []string
	for _, h := range hosts {
		ch, err := ParseHost(h)
		if err != nil {
			return nil, err
		}
		if _, taken := owner[ch]; taken {
			skipped = append(skipped, ch)
			continue
		}
		keep = append(keep, ch)
	}
	next.Hosts[cat] = keep
	if alias != "" {
		next.Aliases[cat] = alias
	}
	return skipped, s.commitLocked(next)
}

// SetApplication sets an application's category (id given) and replaces
// a custom application's rules (name given, rules may be empty).
func (s *Store) SetApplication(name string, id int, hasID bool, cat int, rules []string) error {
	if hasID && (id < 0 || id > int(ndpi.MaxID())) {
		return fmt.Errorf("%w: l7_proto_id %d", ErrInvalid, id)
	}
	if !Valid(cat) {
		return fmt.Errorf("%w: category %d", ErrInvalid, cat)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.cur.clone()
	if hasID {
		if ndpi.CategoryOf(uint16(id)) == ndpi.Category(cat) {
			delete(next.ProtoCat, id)
		} else {
			next.ProtoCat[id] = cat
		}
	}
	if name != "" {
		next.Apps[name] = rules
	}
	return s.commitLocked(next)
}

// DeleteApplication removes a custom application's rules; false when it
// has none.
func (s *Store) DeleteApplication(name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cur.Apps[name]; !ok {
		return false, nil
	}
	next := s.cur.clone()
	delete(next.Apps, name)
	return true, s.commitLocked(next)
}

// Import replaces everything after validating all of it.
func (s *Store) Import(c Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(c)
}

// Validate checks c as Import would, changing nothing.
func (s *Store) Validate(c Config) error {
	_, err := s.validate(c)
	return err
}

// Reset empties every list.
func (s *Store) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(Config{})
}

// Counters are the totals.
func (s *Store) Counters() Counters {
	s.mu.Lock()
	n := 0
	for _, l := range s.cur.Hosts {
		n += len(l)
	}
	s.mu.Unlock()
	return Counters{Hosts: n, Changes: s.changes.Load(), Lookups: s.lookups.Load(), Recategory: s.recat.Load()}
}

func (s *Store) commitLocked(c Config) error {
	v, err := s.validate(c)
	if err != nil {
		return err
	}
	if s.cfg.Path != "" {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			return fmt.Errorf("categories: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(s.cfg.Path), 0o750); err != nil {
			return fmt.Errorf("categories: %w", err)
		}
		if err := store.WriteFile(s.cfg.Path, b, 0o640); err != nil {
			return fmt.Errorf("categories: %w", err)
		}
	}
	s.cur = v
	s.rebuild()
	s.changes.Add(1)
	return nil
}

func (s *Store) validate(c Config) (Config, error) {
	out := Config{Hosts: map[int][]string{}, Aliases: map[int]string{}, ProtoCat: map[int]int{}, Apps: map[string][]string{}}
	seen := map[string]int{}
	total := 0
	for cat, l := range c.Hosts {
		if !Valid(cat) {
			return out, fmt.Errorf("%w: category %d", ErrInvalid, cat)
		}
		for _, h := range l {
			ch, err := ParseHost(h)
			if err != nil {
				return out, err
			}
			if prev, ok := seen[ch]; ok {
				if prev != cat {
					return out, fmt.Errorf("%w: host %s in categories %d and %d", ErrInvalid, ch, prev, cat)
				}
				continue
			}
			seen[ch] = cat
			out.Hosts[cat] = append(out.Hosts[cat], ch)
			total++
		}
		if total > s.cfg.MaxHosts {
			return out, fmt.Errorf("%w: more than %d custom category hosts", ErrInvalid, s.cfg.MaxHosts)
		}
		sort.Strings(out.Hosts[cat])
	}
	for cat, a := range c.Aliases {
		a = strings.TrimSpace(a)
		if !Valid(cat) || len(a) > s.cfg.MaxAliasLen || strings.ContainsAny(a, "\x00\r\n<>\"") {
			return out, fmt.Errorf("%w: alias of category %d", ErrInvalid, cat)
		}
		if a != "" {
			out.Aliases[cat] = a
		}
	}
	for id, cat := range c.ProtoCat {
		if id < 0 || id > int(ndpi.MaxID()) || !Valid(cat) {
			return out, fmt.Errorf("%w: application %d category %d", ErrInvalid, id, cat)
		}
		out.ProtoCat[id] = cat
	}
	if len(c.Apps) > s.cfg.MaxApps {
		return out, fmt.Errorf("%w: more than %d custom applications", ErrInvalid, s.cfg.MaxApps)
	}
	rules := 0
	for name, l := range c.Apps {
		if !validAppName(name) {
			return out, fmt.Errorf("%w: application name %q", ErrInvalid, name)
		}
		out.Apps[name] = []string{}
		for _, r := range l {
			cr, err := ParseRule(r)
			if err != nil {
				return out, err
			}
			out.Apps[name] = append(out.Apps[name], cr)
			rules++
		}
	}
	if rules > s.cfg.MaxRules {
		return out, fmt.Errorf("%w: more than %d application rules", ErrInvalid, s.cfg.MaxRules)
	}
	return out, nil
}

var appName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func validAppName(s string) bool { return appName.MatchString(s) }

// ValidAppName reports whether s can name a custom application.
func ValidAppName(s string) bool { return validAppName(s) }

func (s *Store) rebuild() {
	ix := &index{names: map[string]ndpi.Category{}, proto: map[uint16]ndpi.Category{}}
	for cat, l := range s.cur.Hosts {
		for _, h := range l {
			if p, err := netip.ParsePrefix(h); err == nil {
				ix.nets = append(ix.nets, netCat{p, ndpi.Category(cat)})
			} else if a, err := netip.ParseAddr(h); err == nil {
				ix.nets = append(ix.nets, netCat{netip.PrefixFrom(a, a.BitLen()), ndpi.Category(cat)})
			} else {
				ix.names[h] = ndpi.Category(cat)
			}
		}
	}
	sort.Slice(ix.nets, func(a, b int) bool { return ix.nets[a].p.Bits() > ix.nets[b].p.Bits() })
	for id, cat := range s.cur.ProtoCat {
		ix.proto[uint16(id)] = ndpi.Category(cat)
	}
	s.idx.Store(ix)
}
