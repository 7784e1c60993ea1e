// Package pools holds ntopng's host pools: named sets of members (an IP
// address or CIDR network with its VLAN, or a MAC address) that hosts are
// matched to, so that host answers carry host_pool_id and alerts carry the
// pool their recipients filter on. Pool 0 is ntopng's "Default" pool of
// every host no other pool claims; it cannot be edited or deleted.
package pools

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/store"
)

// DefaultPoolID and DefaultPoolName are ntopng's (base_pools.lua).
const (
	DefaultPoolID   = 0
	DefaultPoolName = "Default"
	// FileName is the pools file in the data dir.
	FileName = "host_pools.json"
)

// Errors of the pool operations; the REST layer maps them to ntopng's rc.
var (
	ErrNotFound      = errors.New("pool not found")
	ErrTooMany       = errors.New("too many pools")
	ErrAlreadyBound  = errors.New("member already bound to another pool")
	ErrInvalid       = errors.New("invalid pool")
	ErrDefaultLocked = errors.New("the default pool cannot be changed")
)

// Configuration of the pool store.
type Configuration struct {
	// Path of the pools file; empty: pools live in memory only.
	Path string
	// MaxPools bounds the pools besides the default one (ntopng's
	// MAX_NUM_HOST_POOLS is 128 with the default pool).
	MaxPools int
	// MaxMembers bounds the members over all pools.
	MaxMembers int
	// MaxNameLen bounds a pool name (bytes).
	MaxNameLen int
	Logger     *slog.Logger
	// Metrics, when set, gets the flowgate_host_pool* families (New).
	Metrics prometheus.Registerer
}

// DefaultConfiguration is ntopng's limits: 127 user pools, 10,000 members.
func DefaultConfiguration() Configuration {
	return Configuration{MaxPools: 127, MaxMembers: 10000, MaxNameLen: 128}
}

// Pool is one host pool as ntopng's REST shows it.
type Pool struct {
	ID          int      `json:"pool_id"`
	Name        string   `json:"name"`
	Members     []string `json:"-"` // canonical members (MarshalJSON writes them)
	ConfigsetID int      `json:"configset_id"`
	Recipients  []string `json:"recipients"` // recipient ids (names in flowgate)
}

// MemberDetails are ntopng's member_details of one member.
type MemberDetails struct {
	Name    string `json:"name"`
	VLAN    int    `json:"vlan"`
	Member  string `json:"member"`
	Type    string `json:"type"` // ip, net, mac
	HostKey string `json:"hostkey"`
}

// Details describes a member string (already canonical).
func Details(member string) MemberDetails {
	m, err := ParseMember(member)
	if err != nil {
		return MemberDetails{Name: member, Member: member, Type: "ip", HostKey: member}
	}
	d := MemberDetails{Member: m.String(), VLAN: int(m.VLAN)}
	switch {
	case m.MAC != "":
		d.Name, d.Type, d.HostKey = m.MAC, "mac", m.MAC
	case m.Prefix.Bits() == m.Prefix.Addr().BitLen():
		d.Name, d.Type = m.Prefix.Addr().String(), "ip"
	default:
		d.Name, d.Type = m.Prefix.String(), "net"
	}
	if m.MAC == "" {
		d.HostKey = d.Name
		if m.VLAN != 0 {
			d.HostKey += "@" + strconv.Itoa(int(m.VLAN))
		}
	}
	return d
}

// MarshalJSON is ntopng's get_pool answer: members and member_details.
func (p Pool) MarshalJSON() ([]byte, error) {
	details := make(map[string]MemberDetails, len(p.Members))
	for _, m := range p.Members {
		details[m] = Details(m)
	}
	type plain Pool
	p.Recipients = nonNil(p.Recipients)
	return json.Marshal(struct {
		plain
		Members       []string                 `json:"members"`
		MemberDetails map[string]MemberDetails `json:"member_details"`
	}{plain(p), nonNil(p.Members), details})
}

// UnmarshalJSON reads what MarshalJSON writes (member_details ignored).
func (p *Pool) UnmarshalJSON(b []byte) error {
	type plain Pool
	var v struct {
		plain
		Members []string `json:"members"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Pool(v.plain)
	p.Members = v.Members
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Member is a parsed pool member: a network with its VLAN, or a MAC.
type Member struct {
	Prefix netip.Prefix
	VLAN   uint16
	MAC    string // lower case, colon separated; set for MAC members
}

// String is the canonical member: "a.b.c.d/n@vlan" or the MAC.
func (m Member) String() string {
	if m.MAC != "" {
		return m.MAC
	}
	return m.Prefix.String() + "@" + strconv.Itoa(int(m.VLAN))
}

// ParseMember reads ntopng's member syntax: an IP address or CIDR network
// with an optional "@vlan" (0 when absent), or a MAC address.
func ParseMember(s string) (Member, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return Member{}, fmt.Errorf("%w: member too long", ErrInvalid)
	}
	if hw, err := net.ParseMAC(s); err == nil && len(hw) == 6 {
		return Member{MAC: strings.ToUpper(hw.String())}, nil
	}
	addr, vlanStr, hasVLAN := strings.Cut(s, "@")
	var vlan uint64
	if hasVLAN {
		var err error
		if vlan, err = strconv.ParseUint(vlanStr, 10, 12); err != nil {
			return Member{}, fmt.Errorf("%w: member %q: bad vlan", ErrInvalid, s)
		}
	}
	var p netip.Prefix
	if strings.Contains(addr, "/") {
		var err error
		if p, err = netip.ParsePrefix(addr); err != nil {
			return Member{}, fmt.Errorf("%w: member %q: %v", ErrInvalid, s, err)
		}
	} else {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return Member{}, fmt.Errorf("%w: member %q: not an address, network or MAC", ErrInvalid, s)
		}
		if a.Zone() != "" {
			return Member{}, fmt.Errorf("%w: member %q: zoned address", ErrInvalid, s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if !p.IsValid() {
		return Member{}, fmt.Errorf("%w: member %q", ErrInvalid, s)
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
	}
	return Member{Prefix: p.Masked(), VLAN: uint16(vlan)}, nil
}

// ParseMembers reads ntopng's comma-separated pool_members.
func ParseMembers(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		m, err := ParseMember(f)
		if err != nil {
			return nil, err
		}
		if k := m.String(); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

type netKey struct {
	addr netip.Addr // masked to the length of its table
	vlan uint16
}

// index is the compiled member lookup, replaced whole on every change.
type index struct {
	byBits map[int]map[netKey]int // prefix length -> network -> pool
	bits   []int                  // lengths present, longest first
	macs   map[string]int
	member map[string]int // canonical member -> pool
}

// Counters are the store's running totals.
type Counters struct {
	Pools   int    `json:"pools"`
	Members int    `json:"members"`
	Changes uint64 `json:"changes"`
	Lookups uint64 `json:"lookups"`
	Matched uint64 `json:"matched"`
}

// Store holds the pools; safe for concurrent use. Lookups read an
// immutable index without locking (engine and alert goroutines call them).
type Store struct {
	cfg      Configuration
	mu       sync.Mutex
	pools    map[int]*Pool
	idx      atomic.Pointer[index]
	changes  atomic.Uint64
	lookups  atomic.Uint64
	matched  atomic.Uint64
	onChange []func()
}

// New returns an empty store; Start loads the pools file.
func New(cfg Configuration) *Store {
	def := DefaultConfiguration()
	if cfg.MaxPools <= 0 {
		cfg.MaxPools = def.MaxPools
	}
	if cfg.MaxMembers <= 0 {
		cfg.MaxMembers = def.MaxMembers
	}
	if cfg.MaxNameLen <= 0 {
		cfg.MaxNameLen = def.MaxNameLen
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{cfg: cfg, pools: map[int]*Pool{}}
	s.rebuildLocked()
	if cfg.Metrics != nil {
		s.registerMetrics(cfg.Metrics)
	}
	return s
}

// Start loads the pools file (none yet: no pools).
func (s *Store) Start() error {
	if s.cfg.Path == "" {
		return nil
	}
	b, ok, err := store.ReadFile(s.cfg.Path)
	if err != nil {
		return fmt.Errorf("pools: %w", err)
	}
	if !ok {
		return nil
	}
	var list []Pool
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("pools: %s: %w", s.cfg.Path, err)
	}
	next, err := s.validate(list)
	if err != nil {
		return fmt.Errorf("pools: %s: %w", s.cfg.Path, err)
	}
	s.mu.Lock()
	s.pools = next
	s.rebuildLocked()
	s.mu.Unlock()
	return nil
}

// Stop does nothing: every change is on disk when its call returns.
func (s *Store) Stop() {}

// OnChange registers fn, called after every change (outside the lock).
func (s *Store) OnChange(fn func()) {
	s.mu.Lock()
	s.onChange = append(s.onChange, fn)
	s.mu.Unlock()
}

func clonePool(p *Pool) Pool {
	c := *p
	c.Members = append([]string(nil), p.Members...)
	c.Recipients = append([]string(nil), p.Recipients...)
	return c
}

func defaultPool() Pool {
	return Pool{ID: DefaultPoolID, Name: DefaultPoolName, Members: []string{}, Recipients: []string{}}
}

// Get returns one pool (the default pool included).
func (s *Store) Get(id int) (Pool, bool) {
	if id == DefaultPoolID {
		return defaultPool(), true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pools[id]
	if !ok {
		return Pool{}, false
	}
	return clonePool(p), true
}

// All returns every pool, the default one first, by id.
func (s *Store) All() []Pool {
	s.mu.Lock()
	out := []Pool{defaultPool()}
	for _, p := range s.pools {
		out = append(out, clonePool(p))
	}
	s.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// Export is the user pools (no default pool), by id: the backup format.
func (s *Store) Export() []Pool { return s.All()[1:] }

// Add creates a pool with the lowest free id (ntopng reuses ids).
func (s *Store) Add(name string, members []string, configset int, recipients []string) (int, error) {
	s.mu.Lock()
	next := s.copyLocked()
	id := 1
	for next[id] != nil {
		id++
	}
	next[id] = &Pool{ID: id, Name: name, Members: members, ConfigsetID: configset, Recipients: recipients}
	return id, s.commit(next)
}

// Edit replaces a pool's name, members, configset and recipients.
func (s *Store) Edit(id int, name string, members []string, configset int, recipients []string) error {
	if id == DefaultPoolID {
		return ErrDefaultLocked
	}
	s.mu.Lock()
	if s.pools[id] == nil {
		s.mu.Unlock()
		return ErrNotFound
	}
	next := s.copyLocked()
	next[id] = &Pool{ID: id, Name: name, Members: members, ConfigsetID: configset, Recipients: recipients}
	return s.commit(next)
}

// Delete removes a pool; its members fall back to the default pool.
func (s *Store) Delete(id int) error {
	if id == DefaultPoolID {
		return ErrDefaultLocked
	}
	s.mu.Lock()
	if s.pools[id] == nil {
		s.mu.Unlock()
		return ErrNotFound
	}
	next := s.copyLocked()
	delete(next, id)
	return s.commit(next)
}

// Bind moves member into pool id. Into the default pool it always
// succeeds (the member leaves its pool); into another pool it fails with
// ErrAlreadyBound when another pool holds the member, as ntopng's
// bind_member_if_not_already_bound.
func (s *Store) Bind(member string, id int) error {
	m, err := ParseMember(member)
	if err != nil {
		return err
	}
	key := m.String()
	s.mu.Lock()
	if id != DefaultPoolID && s.pools[id] == nil {
		s.mu.Unlock()
		return ErrNotFound
	}
	cur, bound := s.idx.Load().member[key]
	if bound && cur == id {
		s.mu.Unlock()
		return nil
	}
	if bound && id != DefaultPoolID {
		s.mu.Unlock()
		return ErrAlreadyBound
	}
	next := s.copyLocked()
	if bound {
		p := next[cur]
		p.Members = remove(p.Members, key)
	}
	if id != DefaultPoolID {
		next[id].Members = append(next[id].Members, key)
	}
	return s.commit(next)
}

// Import replaces every user pool with list after validating all of it:
// nothing changes when any pool is wrong.
func (s *Store) Import(list []Pool) error {
	next, err := s.validate(list)
	if err != nil {
		return err
	}
	s.mu.Lock()
	return s.commit(next)
}

// Validate checks list as Import would, changing nothing.
func (s *Store) Validate(list []Pool) error {
	_, err := s.validate(list)
	return err
}

// Reset deletes every user pool.
func (s *Store) Reset() error {
	s.mu.Lock()
	return s.commit(map[int]*Pool{})
}

// ByMember returns the pool holding member (canonicalized), if any.
func (s *Store) ByMember(member string) (Pool, bool, error) {
	m, err := ParseMember(member)
	if err != nil {
		return Pool{}, false, err
	}
	id, ok := s.idx.Load().member[m.String()]
	if !ok {
		return Pool{}, false, nil
	}
	p, ok := s.Get(id)
	return p, ok, nil
}

// Match is the pool of a host: the pool of the longest member network
// holding ip on its VLAN, else the default pool.
func (s *Store) Match(ip netip.Addr, vlan uint16) int {
	s.lookups.Add(1)
	ix := s.idx.Load()
	ip = ip.Unmap()
	for _, bits := range ix.bits {
		if bits > ip.BitLen() {
			continue
		}
		p, err := ip.Prefix(bits)
		if err != nil {
			continue
		}
		if id, ok := ix.byBits[bits][netKey{p.Addr(), vlan}]; ok {
			s.matched.Add(1)
			return id
		}
	}
	return DefaultPoolID
}

// MatchMAC is the pool of a MAC member (default pool when none).
func (s *Store) MatchMAC(mac string) int {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		return DefaultPoolID
	}
	if id, ok := s.idx.Load().macs[strings.ToUpper(hw.String())]; ok {
		return id
	}
	return DefaultPoolID
}

// Counters are the totals.
func (s *Store) Counters() Counters {
	s.mu.Lock()
	c := Counters{Pools: len(s.pools)}
	for _, p := range s.pools {
		c.Members += len(p.Members)
	}
	s.mu.Unlock()
	c.Changes, c.Lookups, c.Matched = s.changes.Load(), s.lookups.Load(), s.matched.Load()
	return c
}

func remove(l []string, v string) []string {
	out := l[:0]
	for _, x := range l {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func (s *Store) copyLocked() map[int]*Pool {
	next := make(map[int]*Pool, len(s.pools)+1)
	for id, p := range s.pools {
		c := clonePool(p)
		next[id] = &c
	}
	return next
}

// commit validates next, writes it and makes it current; it is called
// with s.mu held and releases it.
func (s *Store) commit(next map[int]*Pool) error {
	list := make([]Pool, 0, len(next))
	for _, p := range next {
		list = append(list, *p)
	}
	checked, err := s.validate(list)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if err := s.save(checked); err != nil {
		s.mu.Unlock()
		return err
	}
	s.pools = checked
	s.rebuildLocked()
	fns := s.onChange
	s.mu.Unlock()
	s.changes.Add(1)
	for _, fn := range fns {
		fn()
	}
	return nil
}

// validate checks ids, names (unique, bounded), members (canonical, in
// one pool only) and the bounds, and returns the pools by id.
func (s *Store) validate(list []Pool) (map[int]*Pool, error) {
	if len(list) > s.cfg.MaxPools {
		return nil, fmt.Errorf("%w: %d pools, at most %d", ErrTooMany, len(list), s.cfg.MaxPools)
	}
	out := make(map[int]*Pool, len(list))
	names := map[string]bool{strings.ToLower(DefaultPoolName): true}
	owner := map[string]int{}
	total := 0
	for _, p := range list {
		if p.ID <= DefaultPoolID || p.ID > s.cfg.MaxPools {
			return nil, fmt.Errorf("%w: pool id %d out of 1..%d", ErrInvalid, p.ID, s.cfg.MaxPools)
		}
		if out[p.ID] != nil {
			return nil, fmt.Errorf("%w: pool id %d twice", ErrInvalid, p.ID)
		}
		name := strings.TrimSpace(p.Name)
		if name == "" || len(name) > s.cfg.MaxNameLen || strings.ContainsAny(name, "\x00\r\n") {
			return nil, fmt.Errorf("%w: pool %d: name empty, too long or with control characters", ErrInvalid, p.ID)
		}
		if names[strings.ToLower(name)] {
			return nil, fmt.Errorf("%w: pool name %q already used", ErrInvalid, name)
		}
		names[strings.ToLower(name)] = true
		c := Pool{ID: p.ID, Name: name, ConfigsetID: p.ConfigsetID, Members: []string{}, Recipients: []string{}}
		if p.ConfigsetID < 0 {
			return nil, fmt.Errorf("%w: pool %d: negative configset_id", ErrInvalid, p.ID)
		}
		for _, m := range p.Members {
			pm, err := ParseMember(m)
			if err != nil {
				return nil, fmt.Errorf("pool %q: %w", name, err)
			}
			k := pm.String()
			if prev, ok := owner[k]; ok {
				if prev == p.ID {
					continue
				}
				return nil, fmt.Errorf("%w: member %s in pools %d and %d", ErrAlreadyBound, k, prev, p.ID)
			}
			owner[k] = p.ID
			c.Members = append(c.Members, k)
		}
		total += len(c.Members)
		if total > s.cfg.MaxMembers {
			return nil, fmt.Errorf("%w: more than %d members", ErrTooMany, s.cfg.MaxMembers)
		}
		for _, r := range p.Recipients {
			if r = strings.TrimSpace(r); r != "" && len(r) <= 128 {
				c.Recipients = append(c.Recipients, r)
			}
		}
		out[p.ID] = &c
	}
	return out, nil
}

func (s *Store) save(pools map[int]*Pool) error {
	if s.cfg.Path == "" {
		return nil
	}
	list := make([]Pool, 0, len(pools))
	for _, p := range pools {
		list = append(list, *p)
	}
	sort.Slice(list, func(a, b int) bool { return list[a].ID < list[b].ID })
	b, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return fmt.Errorf("pools: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.cfg.Path), 0o750); err != nil {
		return fmt.Errorf("pools: %w", err)
	}
	if err := store.WriteFile(s.cfg.Path, b, 0o640); err != nil {
		return fmt.Errorf("pools: %w", err)
	}
	return nil
}

func (s *Store) rebuildLocked() {
	ix := &index{byBits: map[int]map[netKey]int{}, macs: map[string]int{}, member: map[string]int{}}
	for id, p := range s.pools {
		for _, k := range p.Members {
			m, err := ParseMember(k)
			if err != nil {
				continue
			}
			ix.member[k] = id
			if m.MAC != "" {
				ix.macs[m.MAC] = id
				continue
			}
			t := ix.byBits[m.Prefix.Bits()]
			if t == nil {
				t = map[netKey]int{}
				ix.byBits[m.Prefix.Bits()] = t
				ix.bits = append(ix.bits, m.Prefix.Bits())
			}
			t[netKey{m.Prefix.Addr(), m.VLAN}] = id
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ix.bits)))
	s.idx.Store(ix)
}
